import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { detail, traceId } from "../../test/traces";

const MULTILINE_TRACE = {
  trace_version: "1.0",
  prompt: "Add 2 and 3",
  final_answer: "5",
  // Stored out of order on purpose: the page shows steps by index.
  steps: [
    { i: 1, type: "compute", content: "2 + 3\n= 5" },
    { i: 0, type: "parse", content: "Two numbers" },
  ],
  meta: { source: "unit-test" },
};

const SCORE = {
  trace_id: traceId(1),
  score: 5.6,
  details: {
    step_count: 2,
    avg_step_length: 11,
    total_chars: 22,
    step_score: 10,
    length_score: 1.1,
    criteria: "baseline",
    scored_at: "2025-03-01T12:05:00Z",
  },
};

describe("trace detail", () => {
  it("shows the prompt, steps in order with line breaks, final answer and meta", async () => {
    mockFetch({ "GET /api/traces/:id": () => json(200, detail(1, MULTILINE_TRACE)) });
    renderApp(`/traces/${traceId(1)}`);

    const article = await screen.findByTestId("trace:detail");
    expect(within(article).getByText("Add 2 and 3")).toBeInTheDocument();
    const steps = within(article).getAllByTestId("trace:step");
    expect(steps.map((s) => within(s).getByTitle("Step index").textContent)).toEqual(["#0", "#1"]);
    expect(within(steps[0]!).getByText("parse")).toBeInTheDocument();
    // Line breaks survive (shown with white-space: pre-wrap).
    expect(within(steps[1]!).getByText((_, el) => el?.textContent === "2 + 3\n= 5")).toBeInTheDocument();
    expect(within(article).getByTestId("trace:final-answer")).toHaveTextContent("5");
    expect(within(article).getByText(/"source": "unit-test"/)).toBeInTheDocument();
  });

  it("scores the trace and shows the breakdown", async () => {
    const { requests } = mockFetch({
      "GET /api/traces/:id": () => json(200, detail(1, MULTILINE_TRACE)),
      "POST /api/traces/:id/score": () => json(201, SCORE),
    });
    const { user } = renderApp(`/traces/${traceId(1)}`);

    await user.click(await screen.findByTestId("trace:score-button"));

    expect(await screen.findByTestId("trace:score-value")).toHaveTextContent("5.6");
    const breakdown = screen.getByTestId("trace:score-breakdown");
    expect(breakdown).toHaveTextContent("step_score10.0 / 50");
    expect(breakdown).toHaveTextContent("length_score1.1 / 50");
    expect(breakdown).toHaveTextContent("step_count2");
    expect(breakdown).toHaveTextContent("avg_step_length11.0 chars");
    const post = requests.find((r) => r.method === "POST")!;
    expect(new URL(post.url).pathname).toBe(`/api/traces/${traceId(1)}/score`);
    expect(await post.json()).toEqual({ criteria: "baseline" });
  });

  it("says Trace not found on a 404", async () => {
    mockFetch({ "GET /api/traces/:id": () => apiError(404, "TraceNotFound", "No trace with this id") });
    renderApp(`/traces/${traceId(9)}`);

    expect(await screen.findByRole("heading", { name: "Trace not found" })).toBeInTheDocument();
  });

  it("shows Trace not found when scoring answers 404", async () => {
    mockFetch({
      "GET /api/traces/:id": () => json(200, detail(1)),
      "POST /api/traces/:id/score": () => apiError(404, "TraceNotFound", "gone"),
    });
    const { user } = renderApp(`/traces/${traceId(1)}`);

    await user.click(await screen.findByTestId("trace:score-button"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Trace not found");
  });

  it("shows other errors from {error, detail}", async () => {
    mockFetch({
      "GET /api/traces/:id": () =>
        apiError(422, "ValidationError", [{ loc: ["path", "trace_id"], msg: "Input should be a valid UUID", type: "uuid_parsing" }]),
    });
    renderApp("/traces/not-a-uuid");

    const alert = await screen.findByTestId("sys:error");
    expect(alert).toHaveTextContent("ValidationError");
    expect(alert).toHaveTextContent("path → trace_id: Input should be a valid UUID");
  });

  it("shows a payload that is not a reasoning trace as stored JSON", async () => {
    mockFetch({ "GET /api/traces/:id": () => json(200, detail(1, { legacy: true })) });
    renderApp(`/traces/${traceId(1)}`);

    expect(await screen.findByText(/not in the reasoning-trace shape/)).toBeInTheDocument();
    expect(screen.getByText(/"legacy": true/)).toBeInTheDocument();
  });
});
