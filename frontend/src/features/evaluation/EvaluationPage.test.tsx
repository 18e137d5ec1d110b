import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { evaluationDetail, evaluationItem, itemPage } from "../../test/evaluations";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { RUN_ID } from "../../test/runs";

const BASE_ID = "00000000-0000-4000-8000-0000000000b1";

describe("an evaluation's page", () => {
  it("shows a base model's evaluation: what was evaluated, its score and its items", async () => {
    mockFetch({
      [`GET /api/evaluations/${BASE_ID}`]: () => json(200, evaluationDetail({ id: BASE_ID, run_id: null, checkpoint_step: null })),
      [`GET /api/evaluations/${BASE_ID}/items`]: () =>
        json(200, itemPage([evaluationItem(3, false, { judge_reasoning: "It named the wrong player.", trace_id: "00000000-0000-4000-8000-000000000077" })])),
    });
    const { user } = renderApp(`/evaluations/${BASE_ID}`);

    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Base model tunix-rt/tiny-gemma3");
    expect(screen.getByTestId("eval:subject")).toHaveTextContent("the baseline a fine-tune must beat");
    expect(screen.getByTestId("eval:score")).toHaveTextContent("65.0%");
    expect(screen.getByTestId("eval:checkpoint")).toHaveTextContent("— (the model as it is)");
    expect(screen.getByRole("link", { name: "← Leaderboard" })).toHaveAttribute("href", "/leaderboard");

    const [row] = await screen.findAllByTestId("eval:item");
    await user.click(within(row!).getByTestId("eval:item-toggle"));
    expect(screen.getByTestId("eval:item-judge-reasoning")).toHaveTextContent("It named the wrong player.");
    expect(within(screen.getByTestId("eval:item-detail")).getByRole("link", { name: "its trace" })).toHaveAttribute(
      "href",
      "/traces/00000000-0000-4000-8000-000000000077",
    );
    await user.click(within(row!).getByTestId("eval:item-toggle"));
    expect(screen.queryByTestId("eval:item-detail")).not.toBeInTheDocument();
  });

  it("links a run's evaluation to the run, and says why a failed one has no score", async () => {
    mockFetch({
      [`GET /api/evaluations/${BASE_ID}`]: () =>
        json(200, evaluationDetail({ id: BASE_ID, status: "failed", score: null, primary_score: null, interval: null, verdict: null, n_items: 0, message: "the model process exited 1", error: "exit code 1", details: {} })),
    });
    renderApp(`/evaluations/${BASE_ID}`);

    expect(await screen.findByTestId("eval:run-link")).toHaveAttribute("href", `/runs/${RUN_ID}`);
    expect(screen.getByTestId("eval:error")).toHaveTextContent("Failed: the model process exited 1 — exit code 1");
    expect(screen.queryByTestId("eval:score")).not.toBeInTheDocument();
    expect(screen.queryByTestId("eval:items")).not.toBeInTheDocument();
  });

  it("says when no item could be scored", async () => {
    mockFetch({
      [`GET /api/evaluations/${BASE_ID}`]: () =>
        json(200, evaluationDetail({ id: BASE_ID, score: null, primary_score: null, interval: null, verdict: null, n_scored: 0, n_unscored: 40 })),
      [`GET /api/evaluations/${BASE_ID}/items`]: () => json(200, itemPage([])),
    });
    renderApp(`/evaluations/${BASE_ID}`);
    expect(await screen.findByTestId("eval:no-score")).toHaveTextContent("No item could be scored (40 unscored): there is no score.");
    expect(await screen.findByTestId("eval:items-empty")).toHaveTextContent("No items here.");
  });

  it("says an unknown evaluation was not found", async () => {
    mockFetch({ "GET /api/evaluations/:id": () => apiError(404, "EvaluationNotFound", "no evaluation") });
    renderApp(`/evaluations/${BASE_ID}`);
    expect(await screen.findByTestId("eval:not-found")).toHaveTextContent(`No evaluation has the id ${BASE_ID}.`);
  });

  it("shows other load errors from {error, detail}", async () => {
    mockFetch({ "GET /api/evaluations/:id": () => apiError(403, "Forbidden", "Token scope") });
    renderApp(`/evaluations/${BASE_ID}`);
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the evaluation: Forbidden (HTTP 403) — Token scope");
  });
});
