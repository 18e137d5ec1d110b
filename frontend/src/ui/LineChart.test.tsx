import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FakeUPlot } from "../test/uplot";
import { LineChart, type ChartLine } from "./LineChart";

const LINES: ChartLine[] = [
  { label: "train loss", color: "#2b6cb0" },
  { label: "learning rate", color: "#8a93a3", axis: "y2", dash: [5, 4] },
];

function chart(lines: ChartLine[], data = { x: [1, 2], ys: [[5, 4], [0.01, 0.009]] }) {
  return <LineChart data={data} lines={lines} xLabel="step" yLabel="loss" y2Label="learning rate" description="Loss by step." testId="chart" />;
}

describe("line chart", () => {
  it("draws the lines with their axes and labels, and says what it shows", () => {
    render(chart(LINES));
    const plot = FakeUPlot.live()[0]!;
    expect(plot.opts.series.map((s) => [s.label, s.scale])).toEqual([
      ["step", undefined],
      ["train loss", "y"],
      ["learning rate", "y2"],
    ]);
    expect(plot.opts.axes!.map((a) => [a.scale, a.label])).toEqual([
      ["x", "step"],
      ["y", "loss"],
      ["y2", "learning rate"],
    ]);
    expect(plot.data).toEqual([
      [1, 2],
      [5, 4],
      [0.01, 0.009],
    ]);
    expect(screen.getByRole("img", { name: "Loss by step." })).toBe(screen.getByTestId("chart"));
    // Ticks: short, whole steps, small rates in exponent form.
    const values = plot.opts.axes![1]!.values as (self: unknown, ticks: number[]) => string[];
    expect(values(null, [0, 0.5, 2.123456, 0.00002, 250000])).toEqual(["0", "0.5", "2.123", "2e-5", "2.5e+5"]);
    expect(plot.opts.axes![0]!.incrs).toContain(1);
    expect(plot.opts.axes![0]!.incrs).not.toContain(0.5);
  });

  it("updates the data in place, and rebuilds only when the lines change", () => {
    const { rerender, unmount } = render(chart(LINES));
    const first = FakeUPlot.live()[0]!;

    // A new array with the same lines is not a change.
    rerender(chart(LINES.map((line) => ({ ...line })), { x: [1, 2, 3], ys: [[5, 4, 3], [0.01, 0.009, 0.008]] }));
    expect(FakeUPlot.instances).toHaveLength(1);
    expect(first.data[0]).toEqual([1, 2, 3]);

    rerender(chart([LINES[0]!], { x: [1, 2, 3], ys: [[5, 4, 3]] }));
    expect(first.destroyed).toBe(true);
    const second = FakeUPlot.live()[0]!;
    expect(second.opts.series).toHaveLength(2);
    expect(second.opts.axes).toHaveLength(2);
    expect(second.data).toEqual([
      [1, 2, 3],
      [5, 4, 3],
    ]);

    unmount();
    expect(second.destroyed).toBe(true);
  });
});
