import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { detail, traceId } from "../../test/traces";

function compared(n: number, score: number, prompt: string) {
  return { ...detail(n, { trace_version: "1.0", prompt, final_answer: "x", steps: [{ i: 0, type: "t", content: "c" }] }), score };
}

const comparePath = `/traces/compare?base=${traceId(1)}&other=${traceId(2)}`;

describe("compare page", () => {
  it("shows both traces side by side and highlights the higher score", async () => {
    mockFetch({
      "GET /api/traces/compare": () =>
        json(200, { base: compared(1, 12.5, "Base prompt"), other: compared(2, 40, "Other prompt") }),
    });
    renderApp(comparePath);

    const base = await screen.findByTestId("compare:base");
    const other = screen.getByTestId("compare:other");
    expect(within(base).getByText("Base prompt")).toBeInTheDocument();
    expect(within(other).getByText("Other prompt")).toBeInTheDocument();
    expect(screen.getByTestId("compare:base-score")).toHaveTextContent("12.5");
    expect(screen.getByTestId("compare:other-score")).toHaveTextContent("40.0");
    expect(other).toHaveClass("higher");
    expect(base).not.toHaveClass("higher");
    expect(within(other).getByText("Higher score")).toBeInTheDocument();
  });

  it("highlights neither on a tie", async () => {
    mockFetch({ "GET /api/traces/compare": () => json(200, { base: compared(1, 20, "a"), other: compared(2, 20, "b") }) });
    renderApp(comparePath);

    expect(await screen.findByText("Both traces have the same baseline score.")).toBeInTheDocument();
    expect(screen.getByTestId("compare:base")).not.toHaveClass("higher");
    expect(screen.getByTestId("compare:other")).not.toHaveClass("higher");
  });

  it("shows the server's error naming the missing ids", async () => {
    mockFetch({ "GET /api/traces/compare": () => apiError(404, "TraceNotFound", `No trace with id ${traceId(2)}`) });
    renderApp(comparePath);

    const alert = await screen.findByTestId("sys:error");
    expect(alert).toHaveTextContent("TraceNotFound");
    expect(alert).toHaveTextContent(traceId(2));
  });

  it("asks for two traces when the query is incomplete", async () => {
    const { pathsCalled } = mockFetch({});
    renderApp(`/traces/compare?base=${traceId(1)}`);

    expect(await screen.findByText(/Pick two traces/)).toBeInTheDocument();
    expect(pathsCalled().some((p) => p.includes("compare"))).toBe(false);
  });
});
