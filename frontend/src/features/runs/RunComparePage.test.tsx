import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { apiError, json, mockFetch } from "../../test/fetchMock";
import { renderApp } from "../../test/render";
import { LOCAL_SUMMARY, RUN_CONFIG, runDetail, runId, runMetrics } from "../../test/runs";
import { FakeUPlot } from "../../test/uplot";

function trainingRun(n: number, config: Record<string, unknown>, summary: Record<string, unknown> | null = LOCAL_SUMMARY) {
  return runDetail({
    run_id: runId(n),
    mode: "local",
    summary,
    config: { ...RUN_CONFIG, dry_run: false, ...config, output_dir: `runs/${runId(n)}` },
  });
}

function comparePath(...ns: number[]): string {
  return `/runs/compare?ids=${ns.map(runId).join(",")}`;
}

describe("run compare", () => {
  it("overlays every run's train and eval loss, one colour a run, with a legend", async () => {
    mockFetch({
      "GET /api/tunix/runs/:id": (_request, params) => json(200, trainingRun(Number(params.id!.slice(0, 8)), {})),
      "GET /api/tunix/runs/:id/metrics": (_request, params) =>
        params.id === runId(1)
          ? json(200, runMetrics({ "train/loss": [[1, 5], [2, 4], [3, 3]], "eval/loss": [[0, 5.5], [2, 4.1]] }, runId(1)))
          : json(200, runMetrics({ "train/loss": [[1, 5.2], [2, 4.6]] }, runId(2))),
    });
    renderApp(comparePath(1, 2));

    const chart = await screen.findByTestId("run:compare-chart");
    expect(chart).toHaveAttribute("data-lines", "3");
    expect(chart).toHaveAttribute("data-points", "3,2");
    // The chart is built, and given its data, in effects just after the page renders.
    const plot = await waitFor(() => {
      const [live] = FakeUPlot.live();
      expect(live?.data).toEqual([
        [0, 1, 2, 3],
        [null, 5, 4, 3],
        [5.5, null, 4.1, null],
        [null, 5.2, 4.6, null],
      ]);
      return live!;
    });
    expect(plot.opts.series.map((s) => [s.label, s.stroke])).toEqual([
      ["step", undefined],
      ["00000001 train", "#0072b2"],
      ["00000001 eval", "#0072b2"],
      ["00000002 train", "#e69f00"],
    ]);
    expect(plot.opts.series[2]!.dash).toEqual([6, 4]);
    const results = screen.getByTestId("run:compare-results");
    expect(within(results).getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Fact", "00000001 completed", "00000002 completed"]);
    expect(within(results).getByRole("row", { name: /loss \(first → last\)/ })).toHaveTextContent("5.557 → 2.51");
    expect(within(results).getByRole("row", { name: /exact match/ })).toHaveTextContent("50%");
  });

  it("shows only the configuration keys whose values differ, and how many are the same", async () => {
    const runs: Record<string, unknown> = {
      [runId(1)]: trainingRun(1, { learning_rate: 0.01, batch_size: 8 }),
      [runId(2)]: trainingRun(2, { learning_rate: 0.003, batch_size: 8 }),
      [runId(3)]: trainingRun(3, { learning_rate: 0.01, batch_size: 16 }),
    };
    mockFetch({
      "GET /api/tunix/runs/:id": (_request, params) => json(200, runs[params.id!]),
      "GET /api/tunix/runs/:id/metrics": (_request, params) => json(200, runMetrics({}, params.id)),
    });
    renderApp(comparePath(1, 2, 3));

    const table = await screen.findByTestId("run:config-diff");
    const rows = within(table).getAllByTestId("run:config-diff-row");
    expect(rows.map((row) => row.getAttribute("data-key"))).toEqual(["learning_rate", "batch_size"]);
    expect(rows.map((row) => [...row.querySelectorAll("td")].map((td) => td.textContent))).toEqual([
      ["0.01", "0.003", "0.01"],
      ["8", "8", "16"],
    ]);
    // dataset_key, model_id, dry_run, max_steps, timeout_seconds and output_dir (each run's default) are the same.
    expect(screen.getByTestId("run:config-equal")).toHaveTextContent("6 other keys have the same value in every run (not shown).");
    expect(screen.getByTestId("run:compare-curve-empty")).toHaveTextContent("None of these runs recorded a loss");
  });

  it("says when the configurations are identical", async () => {
    mockFetch({
      "GET /api/tunix/runs/:id": (_request, params) => json(200, trainingRun(Number(params.id!.slice(0, 8)), {}, null)),
      "GET /api/tunix/runs/:id/metrics": (_request, params) => json(200, runMetrics({}, params.id)),
    });
    renderApp(comparePath(1, 2));
    expect(await screen.findByTestId("run:config-same")).toHaveTextContent("The configurations are identical (8 keys).");
    expect(screen.queryByTestId("run:config-diff")).not.toBeInTheDocument();
    expect(within(screen.getByTestId("run:compare-results")).getByRole("row", { name: /steps/ })).toHaveTextContent("steps——");
  });

  it("compares the runs it can load and says which it could not", async () => {
    mockFetch({
      "GET /api/tunix/runs/:id": (_request, params) =>
        params.id === runId(9) ? apiError(404, "RunNotFound", "no such run") : json(200, trainingRun(Number(params.id!.slice(0, 8)), { seed: Number(params.id!.slice(0, 8)) })),
      "GET /api/tunix/runs/:id/metrics": (_request, params) => json(200, runMetrics({ "train/loss": [[1, 5]] }, params.id)),
    });
    renderApp(comparePath(1, 9, 2));

    expect(await screen.findByTestId("run:compare-missing")).toHaveTextContent(`No run has the id ${runId(9)}.`);
    await waitFor(() => expect(screen.getAllByTestId("run:compare-status")).toHaveLength(2));
    expect(screen.getByTestId("run:config-diff-row")).toHaveAttribute("data-key", "seed");
    await waitFor(() => expect(screen.getByTestId("run:compare-chart")).toHaveAttribute("data-points", "1,1"));
  });

  it("asks for two to four runs when the URL names fewer than two", async () => {
    mockFetch({});
    renderApp(`/runs/compare?ids=${runId(1)}`);
    const empty = await screen.findByTestId("run:compare-empty");
    expect(empty).toHaveTextContent("Pick 2 to 4 runs in the run history and press Compare.");
    expect(within(empty).getByRole("link", { name: "run history" })).toHaveAttribute("href", "/runs");
  });
});
