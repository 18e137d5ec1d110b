import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, NETWORK_ERROR_STATUS, toApiError } from "./errors";
import type { components, paths } from "./schema";
import { getToken } from "./token";

export type Schemas = components["schemas"];

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};

/**
 * The typed client of the backend, generated from openapi.json (src/api/schema.d.ts).
 * Paths already start with /api, so the base is the page's own origin: the backend
 * serves the UI, and `npm run dev` proxies /api to it.
 */
export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "" : window.location.origin,
  // Looked up per call, so tests can stub the global fetch.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(authMiddleware);

type ClientResult<T> = { data?: T; error?: unknown; response: Response };

/**
 * Awaits an `api.GET/POST(...)` call and returns its data, or throws an ApiError
 * with the status and the parsed `{error, detail}` body.
 */
export async function unwrap<T>(call: Promise<ClientResult<T>>): Promise<T> {
  let result: ClientResult<T>;
  try {
    result = await call;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ApiError(NETWORK_ERROR_STATUS, "NetworkError", `The server could not be reached (${message}).`);
  }
  const { response } = result;
  if (!response.ok) throw toApiError(response.status, response.statusText, result.error);
  return result.data as T;
}
