import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { getToken, setToken, TOKEN_STORAGE_KEY } from "../../api/token";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page, traceId } from "../../test/traces";

const GOOD_TOKEN = "trt_good";

/** Like the server with auth on: every /api route but /api/health needs the token. */
function requireToken(handler: RouteHandler): RouteHandler {
  return (request, params) =>
    request.headers.get("Authorization") === `Bearer ${GOOD_TOKEN}`
      ? handler(request, params)
      : apiError(401, "Unauthorized", "Missing or invalid bearer token");
}

function authServer(extra: Record<string, RouteHandler> = {}) {
  return mockFetch({
    "GET /api/redi/health": requireToken(() => json(200, { status: "healthy" })),
    "GET /api/traces": requireToken(() => json(200, page([1, 2], 0, null))),
    ...extra,
  });
}

describe("auth", () => {
  it("prompts for a token on a 401, stores it and refetches", async () => {
    const { requests } = authServer();
    const { user } = renderApp("/traces");

    const prompt = await screen.findByTestId("sys:token-prompt");
    expect(prompt).toHaveAttribute("role", "dialog");
    expect(screen.queryByTestId("sys:token-forget")).not.toBeInTheDocument();
    expect(screen.getByTestId("sys:redi-health")).toHaveTextContent("token needed");

    await user.type(within(prompt).getByLabelText("API token"), `  ${GOOD_TOKEN} `);
    await user.click(screen.getByTestId("sys:token-save"));

    expect(window.localStorage.getItem(TOKEN_STORAGE_KEY)).toBe(GOOD_TOKEN);
    expect(screen.queryByTestId("sys:token-prompt")).not.toBeInTheDocument();
    expect(await screen.findAllByTestId("trace:row")).toHaveLength(2);
    await waitFor(() => expect(screen.getByTestId("sys:redi-health")).toHaveTextContent("RediAI: healthy"));
    expect(requests.at(-1)?.headers.get("Authorization")).toBe(`Bearer ${GOOD_TOKEN}`);
    expect(screen.getByTestId("sys:token-forget")).toBeInTheDocument();
  });

  it("retries a write that failed with 401 once a token is saved", async () => {
    const { requests } = authServer({
      "POST /api/traces": requireToken(() =>
        json(201, { id: traceId(5), created_at: "2025-03-01T12:00:00Z", trace_version: "1.0" }),
      ),
    });
    const { user } = renderApp("/traces");
    await screen.findByTestId("sys:token-prompt");
    await user.click(screen.getByTestId("sys:token-cancel"));
    expect(screen.queryByTestId("sys:token-prompt")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("trace:load-example"));
    await user.click(screen.getByTestId("trace:submit"));
    await user.type(await screen.findByTestId("sys:token-input"), GOOD_TOKEN);
    await user.click(screen.getByTestId("sys:token-save"));

    expect(await screen.findByTestId("trace:created-id")).toHaveTextContent(traceId(5));
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("forgets the stored token from the header", async () => {
    setToken(GOOD_TOKEN);
    authServer();
    const { user } = renderApp("/traces");
    expect(await screen.findAllByTestId("trace:row")).toHaveLength(2);

    await user.click(screen.getByTestId("sys:token-forget"));

    expect(getToken()).toBeNull();
    expect(screen.queryByTestId("sys:token-forget")).not.toBeInTheDocument();
    // Without the token the server refuses again, so the prompt comes back.
    expect(await screen.findByTestId("sys:token-prompt")).toBeInTheDocument();
  });

  it("does not save an empty token and closes on Escape", async () => {
    authServer();
    const { user } = renderApp("/traces");
    const input = await screen.findByTestId("sys:token-input");

    expect(screen.getByTestId("sys:token-save")).toBeDisabled();
    await user.type(input, "{Escape}");

    expect(screen.queryByTestId("sys:token-prompt")).not.toBeInTheDocument();
    expect(getToken()).toBeNull();
  });
});
