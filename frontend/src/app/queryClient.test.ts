import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { isTokenPromptOpen } from "../features/auth/promptStore";
import { createQueryClient } from "./queryClient";

function retryOf(client = createQueryClient()) {
  const retry = client.getDefaultOptions().queries?.retry;
  if (typeof retry !== "function") throw new Error("expected a retry function");
  return retry;
}

describe("query client", () => {
  it("retries server and network failures, but never a 4xx answer", () => {
    const retry = retryOf();
    expect(retry(0, new ApiError(503, "Unavailable", "try later"))).toBe(true);
    expect(retry(0, new ApiError(0, "NetworkError", "down"))).toBe(true);
    expect(retry(2, new ApiError(503, "Unavailable", "try later"))).toBe(false);
    expect(retry(0, new ApiError(404, "TraceNotFound", "x"))).toBe(false);
    expect(retry(0, new Error("boom"))).toBe(true);
  });

  it("opens the token prompt when a query answers 401, not on other errors", async () => {
    const client = createQueryClient({ retry: false });
    await client.fetchQuery({ queryKey: ["x"], queryFn: () => Promise.reject(new ApiError(403, "Forbidden", "scope")) }).catch(() => undefined);
    expect(isTokenPromptOpen()).toBe(false);
    await client.fetchQuery({ queryKey: ["y"], queryFn: () => Promise.reject(new ApiError(401, "Unauthorized", "token")) }).catch(() => undefined);
    expect(isTokenPromptOpen()).toBe(true);
  });
});
