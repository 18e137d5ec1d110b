import { act, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { page } from "../../test/traces";
import { HEALTH_REFETCH_INTERVAL_MS } from "./queries";

const emptyList = { "GET /api/traces": () => json(200, page([], 0, null)) };

describe("health indicator", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows the application and RediAI as healthy", async () => {
    mockFetch(emptyList);
    renderApp("/traces");

    await waitFor(() => expect(screen.getByTestId("sys:app-health")).toHaveTextContent("API: healthy"));
    expect(screen.getByTestId("sys:app-health")).toHaveAttribute("data-status", "ok");
    await waitFor(() => expect(screen.getByTestId("sys:redi-health")).toHaveTextContent("RediAI: healthy"));
  });

  it("says RediAI is a mock, not healthy, when the server never checks it", async () => {
    mockFetch({ ...emptyList, "GET /api/redi/health": () => json(200, { status: "healthy", mode: "mock" }) });
    renderApp("/traces");

    await waitFor(() => expect(screen.getByTestId("sys:redi-health")).toHaveTextContent("RediAI: mock"));
    expect(screen.getByTestId("sys:redi-health")).toHaveAttribute("data-status", "unknown");
    expect(screen.getByTestId("sys:redi-health")).toHaveAttribute("title", expect.stringContaining("REDIAI_MODE=mock"));
  });

  it("shows RediAI's error when it is down", async () => {
    mockFetch({ ...emptyList, "GET /api/redi/health": () => json(200, { status: "down", error: "Connection refused" }) });
    renderApp("/traces");

    await waitFor(() => expect(screen.getByTestId("sys:redi-health")).toHaveTextContent("RediAI: down (Connection refused)"));
    expect(screen.getByTestId("sys:redi-health")).toHaveAttribute("data-status", "bad");
  });

  it("shows the API as unreachable when the health check fails", async () => {
    const { fetchMock } = mockFetch(emptyList);
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));
    renderApp("/traces");

    await waitFor(() => expect(screen.getByTestId("sys:app-health")).toHaveTextContent("API: unreachable"));
    expect(screen.getByTestId("sys:redi-health")).toHaveTextContent("RediAI: unreachable");
  });

  it("refetches both every 30 seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { pathsCalled } = mockFetch(emptyList);
    renderApp("/traces");
    const healthCalls = () => pathsCalled().filter((p) => p.endsWith("/health")).length;
    await waitFor(() => expect(healthCalls()).toBe(2));

    await act(() => vi.advanceTimersByTimeAsync(HEALTH_REFETCH_INTERVAL_MS));

    await waitFor(() => expect(healthCalls()).toBe(4));
  });
});
