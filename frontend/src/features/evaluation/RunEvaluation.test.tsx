import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import {
  evaluationDetail,
  evaluationItem,
  EVALUATION_ID,
  itemPage,
  JUDGES,
  liveEvaluation,
  NO_EVALUATION,
} from "../../test/evaluations";
import { apiError, json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { RUN_ID, runDetail, runPageRoutes } from "../../test/runs";

const DETAIL = `/api/tunix/runs/${RUN_ID}`;
const NEWEST = `${DETAIL}/evaluation`;
const ITEMS = `/api/evaluations/${EVALUATION_ID}/items`;
const TRAINED = { mode: "local" };

function inTurn(...handlers: RouteHandler[]): RouteHandler {
  let call = 0;
  return (request, params) => handlers[Math.min(call++, handlers.length - 1)]!(request, params);
}

function fakeClock() {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

function calls(requests: Request[], method: string, path: string): Request[] {
  return requests.filter((r) => r.method === method && new URL(r.url).pathname === path);
}

/** A trained, completed run whose newest evaluation is `evaluation` (a handler), items as given. */
function trainedRun(evaluation: RouteHandler, routes: Record<string, RouteHandler> = {}) {
  return mockFetch({
    ...runPageRoutes(),
    [`GET ${DETAIL}`]: () => json(200, runDetail(TRAINED)),
    [`GET ${NEWEST}`]: evaluation,
    [`GET ${ITEMS}`]: () => json(200, itemPage([evaluationItem(1, false), evaluationItem(2, null), evaluationItem(0, true)])),
    ...routes,
  });
}

describe("a run's evaluation", () => {
  it("follows a running evaluation's progress every second, then shows its score, interval, verdict and baseline", async () => {
    fakeClock();
    const { requests } = trainedRun(
      inTurn(
        () => json(200, liveEvaluation("pending", 0, 0)),
        () => json(200, liveEvaluation("running", 12)),
        () => json(200, evaluationDetail()),
      ),
    );
    renderApp(`/runs/${RUN_ID}`);

    const section = await screen.findByTestId("eval:section");
    expect(screen.getByTestId("eval:status")).toHaveTextContent("pending");
    expect(screen.getByTestId("eval:progress")).toHaveTextContent("Queued: a worker will start it.");
    expect(screen.getByTestId("eval:checkpoint")).toHaveTextContent("the run's latest (known once it starts)");
    expect(screen.queryByTestId("eval:scored")).not.toBeInTheDocument();
    // No one can evaluate again while it runs; it can be cancelled.
    expect(screen.queryByTestId("eval:evaluate")).not.toBeInTheDocument();
    expect(screen.getByTestId("eval:cancel")).toBeInTheDocument();

    await act(() => vi.advanceTimersByTimeAsync(1_000));
    await waitFor(() => expect(screen.getByTestId("eval:progress-text")).toHaveTextContent("12 / 40 items"));
    expect(screen.getByRole("progressbar", { name: "Items answered" })).toHaveAttribute("value", "12");
    expect(screen.getByTestId("eval:status")).toHaveTextContent("running");

    await act(() => vi.advanceTimersByTimeAsync(1_000));
    await waitFor(() => expect(screen.getByTestId("eval:status")).toHaveTextContent("completed"));
    expect(screen.queryByTestId("eval:progress")).not.toBeInTheDocument();
    expect(screen.getByTestId("eval:score")).toHaveTextContent("65.0%");
    expect(screen.getByTestId("eval:interval")).toHaveTextContent("95% interval 49.5–77.9% (Wilson)");
    expect(screen.getByTestId("eval:interval-bar")).toHaveAccessibleName(
      "score 65.0%, 95% interval 49.5–77.9%, majority baseline 52.5%",
    );
    expect(screen.getByTestId("eval:verdict")).toHaveTextContent("fail");
    expect(screen.getByTestId("eval:baseline")).toHaveTextContent("Majority baseline: always answering player 1 scores 52.5%.");
    expect(screen.getByTestId("eval:judge")).toHaveTextContent("exact_match v1 (e2b766d0)");
    expect(screen.queryByTestId("eval:mock")).not.toBeInTheDocument();
    expect(screen.getByTestId("eval:split")).toHaveTextContent("eval");
    expect(screen.getByTestId("eval:checkpoint")).toHaveTextContent("step 200");
    expect(screen.getByTestId("eval:scored")).toHaveTextContent("40 of 40 (26 right, 14 wrong)");
    expect(screen.getByTestId("eval:format-adherence")).toHaveTextContent("97.5%");
    expect(screen.getByTestId("eval:mean-reasoning")).toHaveTextContent("101.4 tokens · 3 steps");
    expect(screen.getByTestId("eval:decoding")).toHaveTextContent("temperature 0 · max_new_tokens 137 · batch_size 32");
    const buckets = within(section).getAllByTestId("eval:length-bucket");
    expect(buckets.map((b) => b.textContent)).toEqual(["97–99 tokens85.7% of 7", "100 tokens71.4% of 7", "101–114 tokens60.0% of 26"]);

    // Ended: polling stops, the items load, and it can be evaluated again.
    expect(await screen.findAllByTestId("eval:item")).toHaveLength(3);
    expect(screen.getByTestId("eval:evaluate")).toHaveTextContent("Evaluate again");
    const polls = calls(requests, "GET", NEWEST).length;
    expect(polls).toBe(3);
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(calls(requests, "GET", NEWEST)).toHaveLength(polls);
  });

  it("shows the items in the server's order, expected beside extracted, and filters them by outcome", async () => {
    const { requests } = trainedRun(() => json(200, evaluationDetail({ n_unscored: 1, n_scored: 39 })), {
      [`GET ${ITEMS}`]: (request) => {
        const outcome = new URL(request.url).searchParams.get("outcome");
        if (outcome === "wrong") return json(200, itemPage([evaluationItem(1, false)]));
        if (outcome === "unscored") return json(200, itemPage([evaluationItem(2, null)]));
        if (outcome === "correct") return json(200, itemPage([evaluationItem(0, true)]));
        return json(200, itemPage([evaluationItem(1, false), evaluationItem(2, null), evaluationItem(0, true)]));
      },
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    const rows = await screen.findAllByTestId("eval:item");
    expect(rows.map((row) => row.dataset.outcome)).toEqual(["wrong", "unscored", "correct"]);
    const wrong = rows[0]!;
    expect(within(wrong).getByTestId("eval:item-expected")).toHaveTextContent("Player 1");
    expect(within(wrong).getByTestId("eval:item-extracted")).toHaveTextContent("Player 2");
    expect(within(wrong).getByTestId("eval:item-outcome")).toHaveTextContent("✗ wrong");
    expect(within(rows[1]!).getByTestId("eval:item-extracted")).toHaveTextContent("—");
    expect(within(rows[2]!).getByTestId("eval:item-outcome")).toHaveTextContent("✓ right");
    expect(screen.getByTestId("eval:scored")).toHaveTextContent("39 of 40 · 1 unscored");
    expect(screen.getByTestId("eval:items-tab-all")).toHaveTextContent("All40");
    expect(screen.getByTestId("eval:items-tab-wrong")).toHaveTextContent("Wrong14");
    expect(screen.getByTestId("eval:items-tab-unscored")).toHaveTextContent("Unscored1");
    expect(screen.getByTestId("eval:items-tab-correct")).toHaveTextContent("Correct26");

    // The whole output and why an item was not scored, on demand.
    await user.click(within(rows[1]!).getByTestId("eval:item-toggle"));
    expect(screen.getByTestId("eval:item-output")).toHaveTextContent("Reasoning: 1. Compare. Answer: Player 2");
    expect(screen.getByTestId("eval:item-output").textContent).not.toContain("<end_of_turn>");
    expect(screen.getByTestId("eval:item-unscored-reason")).toHaveTextContent("Not scored: no `Answer:` line");

    for (const outcome of ["wrong", "unscored", "correct"] as const) {
      await user.click(screen.getByTestId(`eval:items-tab-${outcome}`));
      await waitFor(() => expect(screen.getAllByTestId("eval:item").map((row) => row.dataset.outcome)).toEqual([outcome]));
      expect(screen.getByTestId(`eval:items-tab-${outcome}`)).toHaveAttribute("aria-selected", "true");
    }
    await user.click(screen.getByTestId("eval:items-tab-all"));
    await waitFor(() => expect(screen.getAllByTestId("eval:item")).toHaveLength(3));

    const asked = calls(requests, "GET", ITEMS).map((r) => new URL(r.url).searchParams);
    expect(asked.map((p) => p.get("outcome"))).toEqual([null, "wrong", "unscored", "correct"]);
    expect(asked.every((p) => p.get("limit") === "20" && p.get("offset") === "0")).toBe(true);
  });

  it("pages through the items with next_offset", async () => {
    const first = Array.from({ length: 20 }, (_, i) => evaluationItem(i, false));
    const { requests } = trainedRun(() => json(200, evaluationDetail()), {
      [`GET ${ITEMS}`]: (request) =>
        new URL(request.url).searchParams.get("offset") === "20"
          ? json(200, itemPage([evaluationItem(20, true)], 20, null))
          : json(200, itemPage(first, 0, 20)),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findAllByTestId("eval:item")).toHaveLength(20);
    expect(screen.getByTestId("eval:items-range")).toHaveTextContent("1–20");
    expect(screen.getByTestId("eval:items-prev")).toBeDisabled();
    await user.click(screen.getByTestId("eval:items-next"));
    await waitFor(() => expect(screen.getAllByTestId("eval:item")).toHaveLength(1));
    expect(screen.getByTestId("eval:items-range")).toHaveTextContent("21–21");
    expect(screen.getByTestId("eval:items-next")).toBeDisabled();
    await user.click(screen.getByTestId("eval:items-prev"));
    await waitFor(() => expect(screen.getAllByTestId("eval:item")).toHaveLength(20));
    expect(calls(requests, "GET", ITEMS).map((r) => new URL(r.url).searchParams.get("offset"))).toEqual(["0", "20"]);
  });

  it("labels a mock judge's evaluation MOCK", async () => {
    trainedRun(() => json(200, evaluationDetail({ judge: { name: "mock", version: "1", config_hash: JUDGES[2]!.config_hash, mock: true } })));
    renderApp(`/runs/${RUN_ID}`);

    const badges = await screen.findAllByTestId("eval:mock");
    expect(badges[0]).toHaveTextContent("MOCK judge");
    expect(within(screen.getByTestId("eval:judge")).getByTestId("eval:mock")).toBeInTheDocument();
  });

  it("explains a completed run without an evaluation, and Evaluate posts the chosen judge and follows the new one", async () => {
    let evaluated = false;
    const { requests } = trainedRun(() => (evaluated ? json(200, liveEvaluation("running", 3)) : NO_EVALUATION()), {
      [`POST ${DETAIL}/evaluate`]: () => {
        evaluated = true;
        return json(202, liveEvaluation("pending", 0, 40, { judge: { name: "mock", version: "1", config_hash: "ab", mock: true } }));
      },
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("eval:none-text")).toHaveTextContent("Not evaluated yet.");
    const select = await screen.findByTestId("eval:judge-select");
    // The default judge first; one this installation cannot use is listed, disabled, with why.
    await waitFor(() => expect(select).toHaveValue("exact_match"));
    const unavailable = within(select).getByRole("option", { name: /llm_judge/ });
    expect(unavailable).toBeDisabled();
    expect(unavailable).toHaveTextContent("llm_judge v1 — unavailable: set JUDGE_BASE_URL to an OpenAI-compatible endpoint");
    expect(within(select).getByRole("option", { name: /mock/ })).toHaveTextContent("mock v1 (mock)");

    await user.selectOptions(select, "mock");
    await user.click(screen.getByTestId("eval:evaluate"));

    expect(await screen.findByTestId("eval:section")).toBeInTheDocument();
    expect(screen.getByTestId("eval:status")).toHaveTextContent("pending");
    const posts = calls(requests, "POST", `${DETAIL}/evaluate`);
    expect(posts).toHaveLength(1);
    expect(new URL(posts[0]!.url).searchParams.get("mode")).toBe("async");
    expect(await posts[0]!.json()).toEqual({ judge_override: "mock", split: "eval", temperature: 0 });
    // Followed: polled until it ends.
    await waitFor(() => expect(screen.getByTestId("eval:status")).toHaveTextContent("running"), { timeout: 3_000 });
  });

  it.each([
    [409, "NotEvaluable", "run x has no checkpoint to evaluate"],
    [503, "NoWorker", "no worker is running"],
  ])("shows a %i from Evaluate as the server says it", async (status, error, detail) => {
    trainedRun(NO_EVALUATION, { [`POST ${DETAIL}/evaluate`]: () => apiError(status, error, detail) });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await waitFor(() => expect(screen.getByTestId("eval:judge-select")).toHaveValue("exact_match"));
    await user.click(screen.getByTestId("eval:evaluate"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(`Not evaluated: ${error} (HTTP ${status}) — ${detail}`);
    expect(screen.getByTestId("eval:none")).toBeInTheDocument();
  });

  it("shows a 422 for a judge that cannot be used, field by field", async () => {
    trainedRun(NO_EVALUATION, {
      [`POST ${DETAIL}/evaluate`]: () =>
        apiError(422, "ValidationError", [{ loc: ["body", "judge_override"], msg: "judge 'x' is not available", type: "value_error" }]),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await waitFor(() => expect(screen.getByTestId("eval:judge-select")).toHaveValue("exact_match"));
    await user.click(screen.getByTestId("eval:evaluate"));
    const error = await screen.findByTestId("sys:error");
    expect(error).toHaveTextContent("ValidationError (HTTP 422)");
    expect(error).toHaveTextContent("judge_override: judge 'x' is not available");
  });

  it("cancels a running evaluation: cancel requested until it stops, then cancelled", async () => {
    let answer = liveEvaluation("running", 5);
    const { requests } = trainedRun(() => json(200, answer), {
      // A running evaluation answers the request still running; its process stops soon after.
      [`POST /api/evaluations/${EVALUATION_ID}/cancel`]: () => json(202, answer),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.click(await screen.findByTestId("eval:cancel"));
    expect(await screen.findByTestId("eval:cancel-requested")).toBeDisabled();
    expect(calls(requests, "POST", `/api/evaluations/${EVALUATION_ID}/cancel`)).toHaveLength(1);

    answer = liveEvaluation("running", 5, 40, { status: "cancelled", message: "Cancelled.", error: "cancelled" });
    await waitFor(() => expect(screen.getByTestId("eval:status")).toHaveTextContent("cancelled"), { timeout: 3_000 });
    expect(screen.getByTestId("eval:error")).toHaveTextContent(/^Cancelled\.$/);
    expect(screen.queryByTestId("eval:cancel")).not.toBeInTheDocument();
    expect(screen.queryByTestId("eval:cancel-requested")).not.toBeInTheDocument();
    // What it answered before it stopped, without counts the server does not have.
    expect(screen.getByTestId("eval:items-tab-all")).toHaveTextContent(/^All$/);
    expect(screen.getByTestId("eval:items-tab-unscored")).toHaveTextContent(/^Unscored$/);
  });

  it("says a cancel was requested when the server says so (after a reload too)", async () => {
    const answer = liveEvaluation("running", 5, 40, { cancel_requested_at: "2026-11-30T08:00:00Z" });
    trainedRun(() => json(200, answer));
    renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("eval:cancel-requested")).toBeDisabled();
    expect(screen.queryByTestId("eval:cancel")).not.toBeInTheDocument();
  });

  it("shows a 409 from cancel (it had ended)", async () => {
    trainedRun(() => json(200, liveEvaluation("running", 5)), {
      [`POST /api/evaluations/${EVALUATION_ID}/cancel`]: () => apiError(409, "EvaluationNotCancellable", "evaluation has already ended"),
    });
    const { user } = renderApp(`/runs/${RUN_ID}`);

    await user.click(await screen.findByTestId("eval:cancel"));
    expect(await screen.findByTestId("sys:error")).toHaveTextContent(
      "Not cancelled: EvaluationNotCancellable (HTTP 409) — evaluation has already ended",
    );
  });

  it("says why a dry run, a live run and a failed run have no evaluation, without an Evaluate button", async () => {
    mockFetch({ ...runPageRoutes(), [`GET ${DETAIL}`]: () => json(200, runDetail()) });
    const dry = renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("eval:none")).toHaveTextContent("A dry run trains nothing: there is nothing to evaluate.");
    expect(screen.queryByTestId("eval:evaluate")).not.toBeInTheDocument();
    dry.unmount();

    mockFetch({ ...runPageRoutes("failed"), [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local", status: "failed" })) });
    const failed = renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("eval:none-text")).toHaveTextContent("Only a completed run can be evaluated: this one ended failed.");
    expect(screen.queryByTestId("eval:evaluate")).not.toBeInTheDocument();
    failed.unmount();

    mockFetch({
      ...runPageRoutes("running"),
      [`GET ${DETAIL}`]: () => json(200, runDetail({ mode: "local", status: "running", completed_at: null })),
    });
    renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("eval:none-text")).toHaveTextContent("The run is evaluated when it completes");
    expect(screen.queryByTestId("eval:evaluate")).not.toBeInTheDocument();
  });

  it("asks again when the run completes: the evaluation it queues by itself appears", async () => {
    let run = runDetail({ mode: "local", status: "running", completed_at: null });
    let queued = false;
    mockFetch({
      ...runPageRoutes("running"),
      [`GET ${DETAIL}`]: () => json(200, run),
      [`GET ${NEWEST}`]: () => (queued ? json(200, liveEvaluation("pending", 0)) : NO_EVALUATION()),
    });
    const { queryClient } = renderApp(`/runs/${RUN_ID}`);

    expect(await screen.findByTestId("eval:none-text")).toHaveTextContent("The run is evaluated when it completes");
    run = runDetail({ mode: "local", completed_at: new Date().toISOString() });
    queued = true;
    await act(() => queryClient.refetchQueries({ queryKey: ["runs", "detail", RUN_ID], exact: true }));
    await waitFor(() => expect(screen.getByTestId("eval:status")).toHaveTextContent("pending"));
  });

  it("shows the evaluation a link names (not the newest), and the newest on demand", async () => {
    const older = evaluationDetail({ id: "00000000-0000-4000-8000-0000000000e0", score: 50, primary_score: 0.5 });
    const { requests } = trainedRun(() => json(200, evaluationDetail()), {
      [`GET /api/evaluations/${older.id}`]: () => json(200, older),
      [`GET /api/evaluations/${older.id}/items`]: () => json(200, itemPage([])),
    });
    const { user } = renderApp(`/runs/${RUN_ID}?evaluation=${older.id}#evaluation`);

    expect(await screen.findByTestId("eval:score")).toHaveTextContent("50.0%");
    expect(screen.getByTestId("eval:pinned-note")).toHaveTextContent("(from a link)");
    expect(calls(requests, "GET", NEWEST)).toHaveLength(0);

    await user.click(screen.getByTestId("eval:show-newest"));
    await waitFor(() => expect(screen.getByTestId("eval:score")).toHaveTextContent("65.0%"));
    expect(screen.queryByTestId("eval:pinned-note")).not.toBeInTheDocument();
  });

  it("shows why the evaluation could not be read", async () => {
    trainedRun(() => apiError(403, "Forbidden", "Token scope"));
    renderApp(`/runs/${RUN_ID}`);
    expect(await screen.findByTestId("sys:error")).toHaveTextContent("Could not load the evaluation: Forbidden (HTTP 403) — Token scope");
  });
});
