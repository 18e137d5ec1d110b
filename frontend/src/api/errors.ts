import type { components } from "./schema";

export type FieldError = components["schemas"]["ValidationErrorItem"];

/** An API failure, parsed from the backend's `{"error", "detail"}` body. */
export class ApiError extends Error {
  readonly status: number;
  readonly error: string;
  /** A sentence, or (for 422) the list of field errors. */
  readonly detail: string | FieldError[];

  constructor(status: number, error: string, detail: string | FieldError[]) {
    super(`${error}: ${typeof detail === "string" ? detail : detail.map(formatFieldError).join("; ")}`);
    this.name = "ApiError";
    this.status = status;
    this.error = error;
    this.detail = detail;
  }

  get fieldErrors(): FieldError[] {
    return typeof this.detail === "string" ? [] : this.detail;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** Status 0 stands for "no HTTP answer at all" (server down, network error). */
export const NETWORK_ERROR_STATUS = 0;

// "body" only says where the error is (the request body); the rest is the field path.
const LOCATION_ROOTS = new Set(["body"]);

/** `["body", "steps", 0, "i"]` -> `steps → 0 → i`. */
export function formatFieldPath(loc: FieldError["loc"]): string {
  const path = loc.length > 1 && LOCATION_ROOTS.has(String(loc[0])) ? loc.slice(1) : loc;
  return path.length > 0 ? path.map(String).join(" → ") : "(request)";
}

export function formatFieldError(item: FieldError): string {
  return `${formatFieldPath(item.loc)}: ${item.msg}`;
}

function isFieldError(value: unknown): value is FieldError {
  if (typeof value !== "object" || value === null) return false;
  const item = value as Record<string, unknown>;
  return (
    Array.isArray(item.loc) &&
    item.loc.every((part) => typeof part === "string" || typeof part === "number") &&
    typeof item.msg === "string"
  );
}

/** Builds an ApiError from whatever a failed response carried. */
export function toApiError(status: number, statusText: string, body: unknown): ApiError {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const { error, detail } = body as Record<string, unknown>;
    const name = typeof error === "string" ? error : `HTTP ${status}`;
    if (typeof detail === "string") return new ApiError(status, name, detail);
    if (Array.isArray(detail) && detail.every(isFieldError)) {
      return new ApiError(status, name, detail.map((d) => ({ loc: d.loc, msg: d.msg, type: String(d.type ?? "") })));
    }
  }
  // Not our error shape: a proxy, or the server is down behind the dev proxy.
  const text = typeof body === "string" ? body.trim().slice(0, 300) : "";
  return new ApiError(status, `HTTP ${status}`, text || statusText || "Request failed");
}
