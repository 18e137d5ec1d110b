import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { runId, runMetrics, runsPageRoutes } from "../../test/runs";
import { FakeUPlot } from "../../test/uplot";
import { JOB_ID, runningDetail, tuningDetail, tuningJob } from "../../test/tuning";

const JOB = `/api/tuning/jobs/${JOB_ID}`;

function trialRows() {
  return screen.getAllByTestId("tuning:trial");
}

function column(name: string): string[] {
  return trialRows().map((row) => row.querySelector(`[data-param="${name}"]`)?.textContent ?? "");
}

afterEach(() => {
  vi.useRealTimers();
});

describe("study page", () => {
  it("shows a created study's settings, with Start and Cancel and no trials", async () => {
    mockFetch({ [`GET ${JOB}`]: () => json(200, tuningDetail()) });
    renderApp(`/tuning/${JOB_ID}`);

    expect(await screen.findByTestId("tuning:name")).toHaveTextContent("lr-sweep");
    expect(screen.getByTestId("tuning:status")).toHaveTextContent("created");
    expect(screen.getByTestId("tuning:start")).toBeEnabled();
    expect(screen.getByTestId("tuning:cancel")).toBeEnabled();
    expect(screen.getByTestId("tuning:no-trials")).toHaveTextContent("No trials yet: start the study.");
    expect(screen.getByTestId("tuning:no-best")).toBeInTheDocument();
    expect(screen.queryByTestId("tuning:state-line")).not.toBeInTheDocument();
    const space = screen.getByTestId("tuning:space-summary");
    expect(space).toHaveTextContent("learning_ratelog-uniform 0.001 – 0.02");
    expect(space).toHaveTextContent("batch_sizeone of 4, 8");
    expect(screen.getByTestId("tuning:training-summary")).toHaveTextContent("max_steps40");
    expect(screen.getByTestId("tuning:settings-metric")).toHaveTextContent("eval_loss, min (lower is better)");
    expect(screen.getByTestId("tuning:dataset-link")).toHaveAttribute("href", "/datasets/duels-v1");
  });

  it("starts the study, and then follows it", async () => {
    let detail = tuningDetail();
    const { pathsCalled } = mockFetch({
      [`GET ${JOB}`]: () => json(200, detail),
      [`POST ${JOB}/start`]: () => {
        detail = tuningDetail({ status: "pending", queued_at: "2025-03-01T12:00:05Z" });
        return json(202, tuningJob({ status: "pending", queued_at: "2025-03-01T12:00:05Z" }));
      },
    });
    const { user } = renderApp(`/tuning/${JOB_ID}`);
    await user.click(await screen.findByTestId("tuning:start"));

    await waitFor(() => expect(screen.getByTestId("tuning:status")).toHaveTextContent("pending"));
    expect(screen.queryByTestId("tuning:start")).not.toBeInTheDocument();
    expect(screen.getByTestId("tuning:cancel")).toBeEnabled();
    expect(screen.getByTestId("tuning:state-line")).toHaveTextContent("Queued: waiting for a worker to run the study. This page refreshes every 2 s.");
    expect(pathsCalled()).toContain(`POST ${JOB}/start`);
  });

  it("says why a start was refused", async () => {
    mockFetch({
      [`GET ${JOB}`]: () => json(200, tuningDetail()),
      [`POST ${JOB}/start`]: () => apiError(503, "NoWorker", "No worker is running."),
    });
    const { user } = renderApp(`/tuning/${JOB_ID}`);
    await user.click(await screen.findByTestId("tuning:start"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not started: NoWorker (HTTP 503) — No worker is running.");
    expect(screen.getByTestId("tuning:status")).toHaveTextContent("created");
  });

  it("lists the trials best first, a column a setting, each linked to its run", async () => {
    mockFetch({
      [`GET ${JOB}`]: () => json(200, runningDetail()),
      "GET /api/tunix/runs/:id/metrics": (_request, params) => json(200, runMetrics({ "eval/loss": [[10, 1]] }, params.id)),
    });
    renderApp(`/tuning/${JOB_ID}`);

    await screen.findByTestId("tuning:trials-table");
    expect(screen.getAllByTestId("tuning:param-header").map((th) => th.textContent)).toEqual(["learning_rate", "batch_size"]);
    const rows = trialRows();
    // Numbered in the order they began.
    expect(rows.map((row) => row.querySelector("td")?.textContent)).toEqual(["2", "1", "3", "4"]);
    expect(rows.map((row) => row.dataset.status)).toEqual(["completed", "completed", "early_stopped", "running"]);
    expect(column("learning_rate")).toEqual(["0.0123", "0.002", "0.001", "0.0191"]);
    expect(column("batch_size")).toEqual(["4", "8", "4", "8"]);
    expect(screen.getAllByTestId("tuning:trial-metric").map((td) => td.textContent)).toEqual(["0.5000", "0.9000", "2.250", "—"]);
    expect(within(rows[2]!).getByTestId("tuning:trial-status")).toHaveTextContent("early stopped");
    expect(within(rows[0]!).getByTestId("tuning:best-mark")).toBeInTheDocument();
    expect(within(rows[0]!).getByTestId("tuning:trial-run")).toHaveAttribute("href", `/runs/${runId(2)}`);
    expect(screen.getByTestId("tuning:state-line")).toHaveTextContent("Running: 1 trial training, 3 of 4 ended.");
    expect(screen.getByTestId("tuning:trial-counts")).toHaveTextContent("4 of 4 trials begun: 2 completed, 1 stopped early, 1 running.");

    // The best trial, its settings and its run.
    expect(screen.getByTestId("tuning:best-metric")).toHaveTextContent("0.5000");
    expect(screen.getByTestId("tuning:best-params")).toHaveTextContent("learning_rate0.0123");
    expect(screen.getByTestId("tuning:best-run")).toHaveAttribute("href", `/runs/${runId(2)}`);

    // The chart: each trial's metric in the order they began, and the best so far.
    await waitFor(() => expect(FakeUPlot.live()).toHaveLength(2));
    const bestSoFar = FakeUPlot.live().find((chart) => chart.root.parentElement?.dataset.testid === "tuning:chart-canvas");
    expect(bestSoFar!.data).toEqual([
      [1, 2, 3, 4],
      [0.9, 0.5, 2.25, null],
      [0.9, 0.5, 0.5, 0.5],
    ]);

    // Each trial's learning curve, and the trials across their settings.
    expect(screen.getByTestId("tuning:curves")).toBeInTheDocument();
    expect(screen.getAllByTestId("tuning:parallel-line")).toHaveLength(3);
  });

  it("sorts the trials by metric either way, or by the order they began", async () => {
    mockFetch({ [`GET ${JOB}`]: () => json(200, runningDetail()) });
    const { user } = renderApp(`/tuning/${JOB_ID}`);
    await screen.findByTestId("tuning:trials-table");
    const metric = screen.getByTestId("tuning:sort-metric");
    expect(metric.closest("th")).toHaveAttribute("aria-sort", "ascending");

    await user.click(metric);
    expect(metric.closest("th")).toHaveAttribute("aria-sort", "descending");
    expect(trialRows().map((row) => row.dataset.trialKey)).toEqual(["trial_00003", "trial_00001", "trial_00002", "trial_00004"]);

    await user.click(screen.getByTestId("tuning:sort-created"));
    expect(metric.closest("th")).toHaveAttribute("aria-sort", "none");
    expect(trialRows().map((row) => row.dataset.trialKey)).toEqual(["trial_00001", "trial_00002", "trial_00003", "trial_00004"]);
  });

  it("refreshes every 2 s while running, and stops once the study ends", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let calls = 0;
    mockFetch({
      [`GET ${JOB}`]: () => {
        calls += 1;
        return json(200, calls < 2 ? runningDetail() : runningDetail({ status: "completed", message: "4 trials; best eval_loss 0.5" }));
      },
    });
    renderApp(`/tuning/${JOB_ID}`);
    await screen.findByTestId("tuning:state-line");
    await act(() => vi.advanceTimersByTimeAsync(2_100));
    expect(await screen.findByTestId("tuning:message")).toHaveTextContent("4 trials; best eval_loss 0.5");
    expect(screen.queryByTestId("tuning:cancel")).not.toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(6_000));
    expect(calls).toBe(2);
  });

  it("cancels after a confirming click", async () => {
    let detail = runningDetail();
    const { requests } = mockFetch({
      [`GET ${JOB}`]: () => json(200, detail),
      [`POST ${JOB}/cancel`]: () => {
        detail = runningDetail({ status: "cancelled", completed_at: "2025-03-01T12:05:00Z", message: "cancelled" });
        return json(200, tuningJob({ status: "cancelled" }));
      },
    });
    const { user } = renderApp(`/tuning/${JOB_ID}`);
    await user.click(await screen.findByTestId("tuning:cancel"));
    expect(screen.getByRole("group", { name: "Confirm cancel" })).toHaveTextContent("Stop every trial? Each saves a checkpoint first.");
    expect(requests.some((r) => r.method === "POST")).toBe(false);

    await user.click(screen.getByTestId("tuning:cancel-confirm"));
    await waitFor(() => expect(screen.getByTestId("tuning:status")).toHaveTextContent("cancelled"));
    expect(requests.filter((r) => r.method === "POST").map((r) => new URL(r.url).pathname)).toEqual([`${JOB}/cancel`]);
    expect(screen.queryByTestId("tuning:cancel")).not.toBeInTheDocument();
  });

  it("shows a 409 when the study had already ended", async () => {
    mockFetch({
      [`GET ${JOB}`]: () => json(200, runningDetail()),
      [`POST ${JOB}/cancel`]: () => apiError(409, "Conflict", "the study has already ended"),
    });
    const { user } = renderApp(`/tuning/${JOB_ID}`);
    await user.click(await screen.findByTestId("tuning:cancel"));
    await user.click(screen.getByTestId("tuning:cancel-confirm"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Not cancelled: Conflict (HTTP 409) — the study has already ended");
  });

  it("opens the Runs page with the best trial's settings filled in", async () => {
    mockFetch(runsPageRoutes({ [`GET ${JOB}`]: () => json(200, runningDetail()) }));
    const { user } = renderApp(`/tuning/${JOB_ID}`);
    await user.click(await screen.findByTestId("tuning:use-best"));

    await waitFor(() => expect(screen.getByTestId("run:model")).toHaveValue("tunix-rt/tiny-gemma3"));
    expect(screen.getByTestId("run:dataset")).toHaveValue("duels-v1");
    expect(screen.getByTestId("run:learning-rate")).toHaveValue(0.0123456);
    expect(screen.getByTestId("run:batch-size")).toHaveValue(4);
    expect(screen.getByTestId("run:max-steps")).toHaveValue(40);
    expect(screen.getByTestId("run:max-seq-length")).toHaveValue(320);
    expect(screen.getByTestId("run:eval-every-n-steps")).toHaveValue(10);
    expect(screen.getByTestId("run:num-generations")).toHaveValue(0);
    expect(screen.getByTestId("run:warmup-steps")).toHaveValue(0);
    expect(screen.getByTestId("run:method")).toHaveValue("full");
  });

  it("says when no study has the id", async () => {
    mockFetch({ [`GET ${JOB}`]: () => apiError(404, "NotFound", "no such study") });
    renderApp(`/tuning/${JOB_ID}`);
    expect(await screen.findByTestId("tuning:not-found")).toHaveTextContent("Study not found");
  });
});
