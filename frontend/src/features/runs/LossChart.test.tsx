import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type uPlot from "uplot";
import { describe, expect, it, vi } from "vitest";
import { FakeUPlot } from "../../test/uplot";
import { LOSS_CHART_STORAGE_KEY } from "./lossChartSettings";
import { LossChart } from "./LossChart";
import { EMPTY_SERIES, mergeMetrics, smoothEma, type MetricPoint, type SeriesMap } from "./metricSeries";

const TRAIN: MetricPoint[] = [
  [1, 5],
  [2, 3],
  [3, 4],
  [4, 2],
];
const EVALS: MetricPoint[] = [
  [0, 5.5],
  [2, 3.5],
];

function seriesOf(train: MetricPoint[], evals: MetricPoint[] = EVALS): SeriesMap {
  return mergeMetrics(EMPTY_SERIES, [
    ...train.map(([step, value]) => ({ name: "train/loss", step, value })),
    ...evals.map(([step, value]) => ({ name: "eval/loss", step, value })),
    { name: "train/learning_rate", step: 1, value: 0.01 },
  ]);
}

/** Renders the chart and waits for uPlot (loaded lazily) to get its first data. */
async function renderChart(series: SeriesMap = seriesOf(TRAIN)) {
  const user = userEvent.setup();
  const view = render(<LossChart series={series} live={false} />);
  await screen.findByTestId("run:curve-chart");
  const plot = await waitFor(() => {
    const [live] = FakeUPlot.live();
    expect(live?.data[0].length).toBeGreaterThan(1);
    return live!;
  });
  return { ...view, user, plot };
}

function newestPlot(): FakeUPlot {
  const live = FakeUPlot.live();
  expect(live).toHaveLength(1);
  return live[0]!;
}

function legendText(series: string): string {
  const entry = screen.getAllByTestId("run:curve-legend-entry").find((li) => li.dataset.series === series)!;
  return entry.textContent!;
}

/** What uPlot does when the reader drags across steps `min`..`max`: the x scale changes, then the hook fires. */
function dragZoom(plot: FakeUPlot, min: number, max: number) {
  Object.assign(plot, { scales: { x: { min, max } } });
  act(() => plot.opts.hooks!.setScale![0]!(plot as unknown as uPlot, "x"));
}

function hover(plot: FakeUPlot, index: number | null) {
  act(() => plot.opts.hooks!.setCursor![0]!({ cursor: { idx: index }, data: plot.data } as unknown as uPlot));
}

describe("loss chart", () => {
  it("draws the loss on a log scale by default; the toggle switches to linear and is remembered", async () => {
    const { user, plot, unmount } = await renderChart(seriesOf([...TRAIN, [5, 0]]));
    expect(screen.getByTestId("run:curve-log-scale")).toBeChecked();
    expect(plot.opts.scales!.y).toEqual({ distr: 3, log: 10 });
    // The learning rate's right axis stays linear.
    expect(plot.opts.scales!.y2).toEqual({});
    expect(plot.opts.axes![1]!.label).toBe("loss (log scale)");
    // A loss of 0 has no place on a log axis: a gap.
    await waitFor(() => expect(plot.data[1]).toEqual([null, 5, 3, 4, 2, null]));

    await user.click(screen.getByTestId("run:curve-log-scale"));
    expect(plot.destroyed).toBe(true);
    const linear = newestPlot();
    expect(linear.opts.scales!.y).toEqual({});
    expect(linear.opts.axes![1]!.label).toBe("loss");
    expect(linear.data[1]).toEqual([null, 5, 3, 4, 2, 0]);
    expect(JSON.parse(window.localStorage.getItem(LOSS_CHART_STORAGE_KEY)!)).toMatchObject({ logScale: false });

    // The next run page opens as this one was left.
    unmount();
    render(<LossChart series={seriesOf(TRAIN)} live={false} />);
    expect(await screen.findByTestId("run:curve-log-scale")).not.toBeChecked();
    await waitFor(() => expect(FakeUPlot.live()[0]?.opts.scales!.y).toEqual({}));
  });

  it("smooths the train loss when asked, with the raw points faint behind it", async () => {
    const { user, plot } = await renderChart();
    expect(screen.getByTestId("run:curve-smoothing")).toHaveValue("0");
    expect(plot.opts.series.map((s) => s.label)).toEqual(["step", "train loss", "eval loss", "learning rate"]);

    await user.selectOptions(screen.getByTestId("run:curve-smoothing"), "0.6");
    const smoothed = newestPlot();
    expect(smoothed.opts.series.map((s) => s.label)).toEqual(["step", "train loss (raw)", "train loss", "eval loss", "learning rate"]);
    expect(smoothed.opts.series[1]).toMatchObject({ width: 1, alpha: 0.35, stroke: smoothed.opts.series[2]!.stroke });
    expect(smoothed.opts.series[2]).toMatchObject({ width: 2 });
    expect(smoothed.opts.series[2]!.alpha).toBeUndefined();
    const expected = smoothEma(TRAIN, 0.6).map(([, value]) => value);
    expect(smoothed.data[1]).toEqual([null, 5, 3, 4, 2]);
    expect(smoothed.data[2]).toEqual([null, ...expected]);
    // The eval loss is not smoothed.
    expect(smoothed.data[3]).toEqual([5.5, null, 3.5, null, null]);
    expect(legendText("train/loss")).toContain(`raw 2`);
    expect(JSON.parse(window.localStorage.getItem(LOSS_CHART_STORAGE_KEY)!)).toMatchObject({ smoothing: 0.6 });

    // Another weight changes only the data: the same chart.
    await user.selectOptions(screen.getByTestId("run:curve-smoothing"), "0.9");
    expect(FakeUPlot.live()[0]).toBe(smoothed);
    expect(smoothed.data[2]).toEqual([null, ...smoothEma(TRAIN, 0.9).map(([, value]) => value)]);

    await user.selectOptions(screen.getByTestId("run:curve-smoothing"), "off");
    expect(newestPlot().opts.series.map((s) => s.label)).toEqual(["step", "train loss", "eval loss", "learning rate"]);
  });

  it("shows Reset zoom after a drag-zoom, keeps the zoom while points arrive, and shows every step again on reset", async () => {
    const { user, plot, rerender } = await renderChart();
    expect(screen.queryByRole("button", { name: "Reset zoom" })).not.toBeInTheDocument();
    expect(plot.opts.cursor!.drag).toMatchObject({ x: true, y: false });

    // The scale fitted to all the data is no zoom.
    dragZoom(plot, 0, 4);
    expect(screen.queryByRole("button", { name: "Reset zoom" })).not.toBeInTheDocument();
    dragZoom(plot, 1, 3);
    expect(screen.getByRole("button", { name: "Reset zoom" })).toBeVisible();

    // A live point would fit x to all the data again: the zoom is put back.
    const setScale = vi.fn();
    Object.assign(plot, { setScale });
    const setData = vi.spyOn(plot, "setData");
    rerender(<LossChart series={seriesOf([...TRAIN, [5, 1.5]])} live={false} />);
    await waitFor(() => expect(setData).toHaveBeenCalledWith([[0, 1, 2, 3, 4, 5], expect.any(Array), expect.any(Array), expect.any(Array)], false));
    expect(setScale).toHaveBeenCalledWith("x", { min: 1, max: 3 });

    await user.click(screen.getByRole("button", { name: "Reset zoom" }));
    expect(screen.queryByRole("button", { name: "Reset zoom" })).not.toBeInTheDocument();
    expect(setData).toHaveBeenLastCalledWith(plot.data);
    expect(setData.mock.lastCall).toHaveLength(1);
  });

  it("shows each series' latest value and step without hovering, and the values at the cursor while hovering", async () => {
    const { plot } = await renderChart();
    const legend = screen.getByTestId("run:curve-legend");
    expect(legend).toHaveAccessibleName("Latest values");
    expect(within(legend).getAllByRole("listitem").map((li) => li.dataset.series)).toEqual(["train/loss", "eval/loss", "train/learning_rate"]);
    expect(legendText("train/loss")).toBe("train loss2step 4");
    expect(legendText("eval/loss")).toBe("eval loss3.5step 2");
    expect(legendText("train/learning_rate")).toBe("learning rate0.01step 1");

    // The cursor at step 1: the eval loss shows its last point at or before it.
    hover(plot, 1);
    expect(legend).toHaveAccessibleName("Values at step 1");
    expect(legendText("train/loss")).toBe("train loss5step 1");
    expect(legendText("eval/loss")).toBe("eval loss5.5step 0");

    hover(plot, null);
    expect(legend).toHaveAccessibleName("Latest values");
    expect(legendText("train/loss")).toBe("train loss2step 4");
  });
});
