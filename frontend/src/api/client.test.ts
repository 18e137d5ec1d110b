import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../test/fetchMock";
import { api, unwrap } from "./client";
import { ApiError, formatFieldError, formatFieldPath, toApiError } from "./errors";
import { setToken, TOKEN_STORAGE_KEY } from "./token";

describe("api client", () => {
  it("sends the stored token as a bearer token", async () => {
    const { requests } = mockFetch({ "GET /api/traces": () => json(200, { data: [], pagination: { limit: 20, offset: 0, next_offset: null } }) });
    setToken("trt_secret");
    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBe("trt_secret");

    await unwrap(api.GET("/api/traces", { params: { query: { limit: 20, offset: 0 } } }));

    expect(requests[0]?.headers.get("Authorization")).toBe("Bearer trt_secret");
    expect(new URL(requests[0]!.url).search).toBe("?limit=20&offset=0");
  });

  it("sends no Authorization header without a stored token", async () => {
    const { requests } = mockFetch({}, { withHealth: true });
    await unwrap(api.GET("/api/health"));
    expect(requests[0]?.headers.has("Authorization")).toBe(false);
  });

  it("returns the parsed body on success", async () => {
    mockFetch({});
    await expect(unwrap(api.GET("/api/health"))).resolves.toEqual({ status: "healthy" });
  });

  it("parses an error body into an ApiError with status, error and detail", async () => {
    mockFetch({ "GET /api/traces/:id": () => apiError(404, "TraceNotFound", "No trace abc") });
    const failure = unwrap(api.GET("/api/traces/{trace_id}", { params: { path: { trace_id: "abc" } } }));
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({ status: 404, error: "TraceNotFound", detail: "No trace abc" });
  });

  it("keeps a 422's field errors as a list", async () => {
    const detail = [{ loc: ["body", "steps", 0, "i"], msg: "Input should be greater than or equal to 0", type: "greater_than_equal" }];
    mockFetch({ "POST /api/traces": () => apiError(422, "ValidationError", detail) });

    const error = await unwrap(api.POST("/api/traces", { body: {} as never })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiErr = error as ApiError;
    expect(apiErr.status).toBe(422);
    expect(apiErr.fieldErrors).toEqual(detail);
    expect(apiErr.message).toBe("ValidationError: steps → 0 → i: Input should be greater than or equal to 0");
  });

  it("turns a body that is not the error shape into a readable ApiError", async () => {
    mockFetch({ "GET /api/health": () => new Response("Bad Gateway from proxy", { status: 502, statusText: "Bad Gateway" }) });
    await expect(unwrap(api.GET("/api/health"))).rejects.toMatchObject({
      status: 502,
      error: "HTTP 502",
      detail: "Bad Gateway from proxy",
    });
  });

  it("reports a network failure as status 0", async () => {
    const { fetchMock } = mockFetch({});
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    await expect(unwrap(api.GET("/api/health"))).rejects.toMatchObject({ status: 0, error: "NetworkError" });
  });
});

describe("error formatting", () => {
  it("drops the body prefix and joins the path with arrows", () => {
    expect(formatFieldPath(["body", "steps", 0, "i"])).toBe("steps → 0 → i");
    expect(formatFieldPath(["query", "limit"])).toBe("query → limit");
    expect(formatFieldPath(["body"])).toBe("body");
    expect(formatFieldPath([])).toBe("(request)");
    expect(formatFieldError({ loc: ["body", "prompt"], msg: "Field required", type: "missing" })).toBe("prompt: Field required");
  });

  it("falls back to the status text for an empty error body", () => {
    expect(toApiError(500, "Internal Server Error", "")).toMatchObject({ error: "HTTP 500", detail: "Internal Server Error" });
    expect(toApiError(418, "", null)).toMatchObject({ error: "HTTP 418", detail: "Request failed" });
  });
});
