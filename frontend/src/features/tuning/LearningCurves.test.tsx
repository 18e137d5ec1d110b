import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { json, mockFetch, type RouteHandler } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { runId, runMetrics } from "../../test/runs";
import { FakeUPlot } from "../../test/uplot";
import { JOB_ID, runningDetail, trial, TRIALS, tuningDetail } from "../../test/tuning";
import { BEST_WIDTH, OTHER_WIDTH, TRIAL_COLORS, trialStyle } from "./LearningCurves";

const JOB = `/api/tuning/jobs/${JOB_ID}`;

/** Each run's eval/loss, by the trial's number (runId(n) is trial n's run). */
const EVAL_POINTS: Record<number, [number, number][]> = {
  1: [
    [10, 2],
    [20, 1.2],
    [40, 0.9],
  ],
  2: [
    [10, 1.5],
    [20, 0.8],
    [40, 0.5],
  ],
  3: [[10, 2.25]],
  4: [
    [10, 1.9],
    [20, 1.1],
  ],
};

function trialOf(id: string): number {
  return Number(id.slice(-12));
}

/** GET .../metrics answering each run's eval/loss (and a train/loss it was not asked for, as the server would not). */
function metricsRoute(points: Record<number, [number, number][]> = EVAL_POINTS): RouteHandler {
  return (request, params) => {
    const names = new URL(request.url).searchParams.getAll("name");
    const n = trialOf(params.id!);
    return json(200, runMetrics(Object.fromEntries(names.map((name) => [name, name === "eval/loss" ? (points[n] ?? []) : [[5, 9] as [number, number]]])), params.id));
  };
}

function curvesPlot(): FakeUPlot {
  const plot = FakeUPlot.live().find((chart) => chart.root.parentElement?.dataset.testid === "tuning:curves-chart");
  expect(plot).toBeDefined();
  return plot!;
}

function metricsCalls(paths: string[]): string[] {
  return paths.filter((path) => path.includes("/metrics"));
}

afterEach(() => {
  vi.useRealTimers();
});

describe("learning curves", () => {
  it("overlays one series a trial, from its run's eval/loss, the best trial's wider and drawn last", async () => {
    const { pathsCalled } = mockFetch({ [`GET ${JOB}`]: () => json(200, runningDetail()), "GET /api/tunix/runs/:id/metrics": metricsRoute() });
    renderApp(`/tuning/${JOB_ID}`);

    await screen.findByTestId("tuning:curves-chart");
    const plot = await waitFor(() => {
      const found = curvesPlot();
      expect(found.data.length).toBe(5);
      return found;
    });
    // Each trial with a run is asked for the study's metric's series only.
    expect(metricsCalls(pathsCalled()).sort()).toEqual(
      [1, 2, 3, 4].map((n) => `GET /api/tunix/runs/${runId(n)}/metrics?name=eval%2Floss&max_points=500`).sort(),
    );

    // One series a trial: trials 1, 3 and 4 in the order they began, then the best (2) over them.
    const series = plot.opts.series.slice(1);
    expect(series.map((line) => line.label)).toEqual(["trial 1", "trial 3", "trial 4", "trial 2"]);
    expect(series.map((line) => line.width)).toEqual([OTHER_WIDTH, OTHER_WIDTH, OTHER_WIDTH, BEST_WIDTH]);
    expect(plot.data).toEqual([
      [10, 20, 40],
      [2, 1.2, 0.9],
      [2.25, null, null],
      [1.9, 1.1, null],
      [1.5, 0.8, 0.5],
    ]);
    // A loss on a log scale by default, as on a run's page.
    expect(plot.opts.scales!.y).toEqual({ distr: 3, log: 10 });
    expect(screen.getByTestId("tuning:curves-chart")).toHaveAttribute("data-series", "4");
    expect(screen.getByTestId("tuning:curves-chart")).toHaveAccessibleName("eval/loss by step of 4 trials; the best, trial 2: 0.5000 at step 40.");

    // The legend: each trial's number, settings and last value, by number; the best marked.
    const entries = within(screen.getByTestId("tuning:curve-legend")).getAllByTestId("tuning:curve-legend-entry");
    expect(entries.map((entry) => entry.dataset.trial)).toEqual(["1", "2", "3", "4"]);
    expect(entries[1]).toHaveAttribute("data-best", "true");
    expect(entries[1]).toHaveTextContent("#2learning_rate 0.0123, batch_size 40.5000step 40best");
    expect(entries[2]).toHaveTextContent("#3learning_rate 0.001, batch_size 42.250step 10stopped early");
    expect(entries[3]).toHaveTextContent("training");
  });

  it("reads train/loss for a study of train_loss, and says so when no trial has reported it", async () => {
    const trials = [trial(1, { status: "running", metric_value: null, stopped_step: null, completed_at: null })];
    const { pathsCalled } = mockFetch({
      [`GET ${JOB}`]: () => json(200, tuningDetail({ status: "running", metric_name: "train_loss" }, trials)),
      "GET /api/tunix/runs/:id/metrics": (_request, params) => json(200, runMetrics({ "train/loss": [] }, params.id)),
    });
    renderApp(`/tuning/${JOB_ID}`);

    await waitFor(() => expect(screen.getByTestId("tuning:curves-empty")).toHaveTextContent("No trial has reported train/loss yet."));
    expect(metricsCalls(pathsCalled())).toEqual([`GET /api/tunix/runs/${runId(1)}/metrics?name=train%2Floss&max_points=500`]);
  });

  it("is not shown before a trial has a run", async () => {
    mockFetch({
      [`GET ${JOB}`]: () => json(200, tuningDetail({ status: "running" }, [trial(1, { run_id: null, status: "running", metric_value: null })])),
    });
    renderApp(`/tuning/${JOB_ID}`);
    await screen.findByTestId("tuning:trials-table");
    expect(screen.queryByTestId("tuning:curves")).not.toBeInTheDocument();
  });

  it("says which trials' curves could not be loaded, and draws the others", async () => {
    mockFetch({
      [`GET ${JOB}`]: () => json(200, runningDetail({ status: "completed" })),
      "GET /api/tunix/runs/:id/metrics": (request, params) =>
        trialOf(params.id!) === 3 ? json(404, { error: "NotFound", detail: "no such run" }) : metricsRoute()(request, params),
    });
    renderApp(`/tuning/${JOB_ID}`);
    expect(await screen.findByTestId("tuning:curves-failed")).toHaveTextContent("Could not load the curve of trial 3.");
    await waitFor(() => expect(curvesPlot().opts.series.slice(1).map((line) => line.label)).toEqual(["trial 1", "trial 4", "trial 2"]));
  });

  it("asks again for the curves of the trials still training while the study runs, and for none once it ended", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let detail = runningDetail();
    const { pathsCalled } = mockFetch({ [`GET ${JOB}`]: () => json(200, detail), "GET /api/tunix/runs/:id/metrics": metricsRoute() });
    renderApp(`/tuning/${JOB_ID}`);
    await screen.findByTestId("tuning:curves-chart");
    const callsOf = (n: number) => metricsCalls(pathsCalled()).filter((path) => path.includes(runId(n))).length;
    await waitFor(() => expect([1, 2, 3, 4].map(callsOf)).toEqual([1, 1, 1, 1]));

    // Trial 4 trains: its curve is asked again with the study; the ended trials' are kept.
    await act(() => vi.advanceTimersByTimeAsync(2_100));
    await waitFor(() => expect(callsOf(4)).toBe(2));
    expect([1, 2, 3].map(callsOf)).toEqual([1, 1, 1]);

    // The study ends: trial 4's curve is asked once more, in full, and then no more.
    detail = tuningDetail(runningDetail({ status: "completed" }), [
      ...TRIALS.slice(0, 3),
      trial(4, { params: TRIALS[3]!.params, status: "completed", metric_value: 1.1 }),
    ]);
    await act(() => vi.advanceTimersByTimeAsync(2_100));
    await waitFor(() => expect(screen.queryByTestId("tuning:state-line")).not.toBeInTheDocument());
    await waitFor(() => expect(callsOf(4)).toBe(3));
    await act(() => vi.advanceTimersByTimeAsync(6_000));
    expect(callsOf(4)).toBe(3);
    expect([1, 2, 3].map(callsOf)).toEqual([1, 1, 1]);
    expect(curvesPlot().opts.series).toHaveLength(5);
  });
});

describe("trial colours", () => {
  it("gives each trial a theme colour by its number, dashed once the colours come round", () => {
    expect(trialStyle(1)).toEqual({ color: "var(--compare-1, #0072b2)", dash: undefined });
    expect(trialStyle(5)).toEqual({ color: TRIAL_COLORS[4], dash: undefined });
    expect(trialStyle(TRIAL_COLORS.length + 1)).toEqual({ color: TRIAL_COLORS[0], dash: [6, 3] });
    for (const color of TRIAL_COLORS) expect(color).toMatch(/^var\(--[\w-]+, #[0-9a-f]{6}\)$/);
  });
});
