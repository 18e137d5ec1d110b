import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { runningDetail, trial, tuningDetail } from "../../test/tuning";
import { ParallelCoordinates } from "./ParallelCoordinates";
import type { TuningJobDetail } from "./tuning";

function renderChart(job: unknown) {
  return render(<ParallelCoordinates job={job as TuningJobDetail} />);
}

function lines() {
  return screen.getAllByTestId("tuning:parallel-line");
}

/** A polyline's points, as [x, y] pairs. */
function pointsOf(line: Element): number[][] {
  return (line.getAttribute("points") ?? "").split(" ").map((pair) => pair.split(",").map(Number));
}

function lineOf(trialNumber: number): Element {
  return lines().find((line) => line.getAttribute("data-trial") === String(trialNumber))!;
}

describe("parallel coordinates", () => {
  it("draws a line a trial with a metric, across an axis a parameter and one for the metric", () => {
    renderChart(runningDetail());

    const chart = screen.getByRole("img", { name: /^Parallel coordinates of 3 trials across learning_rate, batch_size and eval_loss/ });
    expect(chart).toHaveAccessibleName(
      "Parallel coordinates of 3 trials across learning_rate, batch_size and eval_loss (lower is better). Best eval_loss 0.5000: trial 2, learning_rate 0.0123, batch_size 4.",
    );
    // Trial 4 is still training, with no metric: no line.
    expect(lines()).toHaveLength(3);
    // The weakest first, the best last (drawn over the others).
    expect(lines().map((line) => line.getAttribute("data-trial"))).toEqual(["3", "1", "2"]);
    expect(lines().map((line) => line.querySelector("title")?.textContent)).toEqual([
      "Trial 3: learning_rate 0.001, batch_size 4; eval_loss 2.250, stopped early",
      "Trial 1: learning_rate 0.002, batch_size 8; eval_loss 0.9000",
      "Trial 2: learning_rate 0.0123, batch_size 4; eval_loss 0.5000 (best)",
    ]);

    const axes = screen.getAllByTestId("tuning:parallel-axis");
    expect(axes.map((axis) => [axis.dataset.axis, axis.dataset.kind])).toEqual([
      ["learning_rate", "log"],
      ["batch_size", "category"],
      ["eval_loss", "linear"],
    ]);
    const labels = (index: number) => [...axes[index]!.querySelectorAll(".parallel-tick text")].map((text) => text.textContent);
    expect(labels(0)).toEqual(["0.001", "0.02"]);
    expect(labels(1)).toEqual(["4", "8"]);
    expect(labels(2)).toEqual(["0.5000", "2.250"]);
  });

  it("places each value on its axis: log for a log-uniform range, a choice's values evenly spaced", () => {
    renderChart(runningDetail());
    const [lr, batch, metric] = screen.getAllByTestId("tuning:parallel-axis").map((axis) => {
      const line = axis.querySelector(".parallel-axis-line")!;
      return { x: Number(line.getAttribute("x1")), top: Number(line.getAttribute("y1")), bottom: Number(line.getAttribute("y2")) };
    });
    const at = (axis: typeof lr, position: number) => axis!.bottom - position * (axis!.bottom - axis!.top);

    // Trial 3: the range's lowest learning rate, the first batch size, the worst (highest) loss.
    const [lr3, batch3, metric3] = pointsOf(lineOf(3));
    expect(lr3).toEqual([lr!.x, at(lr, 0)]);
    expect(batch3).toEqual([batch!.x, at(batch, 0)]);
    expect(metric3).toEqual([metric!.x, at(metric, 1)]);

    // Trial 2: 0.0123456 on a log axis from 0.001 to 0.02; batch size 4; the best (lowest) loss.
    const [lr2, batch2, metric2] = pointsOf(lineOf(2));
    expect(lr2![1]).toBeCloseTo(at(lr, Math.log(12.3456) / Math.log(20)), 0);
    expect(batch2![1]).toBe(at(batch, 0));
    expect(metric2![1]).toBe(at(metric, 0));

    // Trial 1: batch size 8 at the top of its axis; its loss 0.9, (0.9 - 0.5) / 1.75 of the way up from 0.5 to 2.25.
    const [, batch1, metric1] = pointsOf(lineOf(1));
    expect(batch1![1]).toBe(at(batch, 1));
    expect(metric1![1]).toBeCloseTo(at(metric, 0.4 / 1.75), 0);
  });

  it("draws the best strongest and widest, trials stopped early dashed", () => {
    renderChart(runningDetail());
    const best = lineOf(2);
    expect(best).toHaveAttribute("data-best", "true");
    expect(best).toHaveClass("parallel-line", "best");
    expect(best).toHaveAttribute("data-strength", "1.000");
    expect(lineOf(3)).toHaveClass("ended-early");
    expect(lineOf(3)).toHaveAttribute("data-strength", "0.000");
    expect(lineOf(1)).not.toHaveClass("ended-early");
    expect(Number(lineOf(1).getAttribute("data-strength"))).toBeCloseTo(1 - 0.4 / 1.75, 3);
  });

  it("is hidden until two trials have a metric", () => {
    const one = [trial(1, { metric_value: 0.7 }), trial(2, { metric_value: null, status: "running" })];
    const { container, rerender } = renderChart(tuningDetail({ status: "running" }, one));
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByTestId("tuning:parallel")).not.toBeInTheDocument();

    const two = [trial(1, { metric_value: 0.7 }), trial(2, { metric_value: 0.8, params: { learning_rate: 0.01, batch_size: 4 } })];
    rerender(<ParallelCoordinates job={tuningDetail({ status: "completed" }, two) as unknown as TuningJobDetail} />);
    expect(within(screen.getByTestId("tuning:parallel")).getAllByTestId("tuning:parallel-line")).toHaveLength(2);
  });
});
