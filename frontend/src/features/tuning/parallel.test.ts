import { describe, expect, it } from "vitest";
import { axisPosition, axisTicks, measuredTrials, metricAxis, metricStrength, parallelAxes, parameterAxis, type Axis } from "./parallel";

describe("axisPosition", () => {
  it("places a value on a linear axis in proportion to its range, held at the ends", () => {
    const axis: Axis = { key: "warmup_steps", kind: "linear", min: 0, max: 10 };
    expect(axisPosition(axis, 0)).toBe(0);
    expect(axisPosition(axis, 2.5)).toBe(0.25);
    expect(axisPosition(axis, 10)).toBe(1);
    expect(axisPosition(axis, 12)).toBe(1);
    expect(axisPosition(axis, -1)).toBe(0);
    expect(axisPosition(axis, "5")).toBeNull();
    expect(axisPosition(axis, null)).toBeNull();
    expect(axisPosition(axis, Number.NaN)).toBeNull();
  });

  it("places a value on a log axis in proportion to its logarithm", () => {
    const axis: Axis = { key: "learning_rate", kind: "log", min: 0.001, max: 0.1 };
    expect(axisPosition(axis, 0.001)).toBeCloseTo(0);
    // A decade of two is half the axis, whatever the linear distance.
    expect(axisPosition(axis, 0.01)).toBeCloseTo(0.5);
    expect(axisPosition(axis, 0.1)).toBeCloseTo(1);
    expect(axisPosition({ ...axis, max: 0.02 }, 0.0123456)).toBeCloseTo(Math.log(12.3456) / Math.log(20));
    expect(axisPosition(axis, 0)).toBeNull();
    expect(axisPosition(axis, -0.01)).toBeNull();
  });

  it("spaces a choice's values evenly, the first at the bottom", () => {
    const axis: Axis = { key: "batch_size", kind: "category", values: [4, 8, 16] };
    expect(axisPosition(axis, 4)).toBe(0);
    expect(axisPosition(axis, 8)).toBe(0.5);
    expect(axisPosition(axis, 16)).toBe(1);
    expect(axisPosition(axis, 32)).toBeNull();
    // 4 and "4" are different values.
    expect(axisPosition(axis, "4")).toBeNull();
    const words: Axis = { key: "lr_schedule", kind: "category", values: ["constant", "cosine", "linear", "step"] };
    expect(axisPosition(words, "cosine")).toBeCloseTo(1 / 3);
    expect(axisPosition(words, "linear")).toBeCloseTo(2 / 3);
  });

  it("puts a value in the middle of a range of one value, or of a single category", () => {
    expect(axisPosition({ key: "a", kind: "linear", min: 3, max: 3 }, 3)).toBe(0.5);
    expect(axisPosition({ key: "a", kind: "log", min: 0.01, max: 0.01 }, 0.01)).toBe(0.5);
    expect(axisPosition({ key: "a", kind: "category", values: ["lora"] }, "lora")).toBe(0.5);
  });
});

describe("parameterAxis", () => {
  it("takes a range from the search space, log for a log-uniform one, widened to what a trial drew", () => {
    expect(parameterAxis("learning_rate", { type: "loguniform", min: 0.001, max: 0.02 }, [0.005, 0.01])).toEqual({
      key: "learning_rate",
      kind: "log",
      min: 0.001,
      max: 0.02,
    });
    expect(parameterAxis("warmup_steps", { type: "uniform", min: 0, max: 10 }, [12])).toEqual({ key: "warmup_steps", kind: "linear", min: 0, max: 12 });
    expect(parameterAxis("seed", { type: "randint", min: 0, max: 3 }, [1, 2])).toEqual({ key: "seed", kind: "linear", min: 0, max: 3 });
  });

  it("takes a choice's values in the space's order, then any other a trial reports", () => {
    expect(parameterAxis("batch_size", { type: "choice", values: [8, 4] }, [4, 8, 16, null])).toEqual({
      key: "batch_size",
      kind: "category",
      values: [8, 4, 16],
    });
  });

  it("reads an axis from the trials for a parameter the space does not name", () => {
    expect(parameterAxis("max_steps", undefined, [40, 20, undefined])).toEqual({ key: "max_steps", kind: "linear", min: 20, max: 40 });
    expect(parameterAxis("method", undefined, ["lora", "full", "lora"])).toEqual({ key: "method", kind: "category", values: ["lora", "full"] });
  });
});

describe("the chart's axes, ticks and strengths", () => {
  const trials = [
    { params: { learning_rate: 0.01, batch_size: 4 }, metric_value: 0.5 },
    { params: { learning_rate: 0.002, batch_size: 8 }, metric_value: 2 },
    { params: { learning_rate: 0.005, batch_size: 8 }, metric_value: null },
  ];

  it("has an axis a parameter, then the metric's over the values reported", () => {
    const space = { learning_rate: { type: "loguniform", min: 0.001, max: 0.02 }, batch_size: { type: "choice", values: [4, 8] } };
    const { parameters, metric } = parallelAxes(["learning_rate", "batch_size"], space, trials, "eval_loss");
    expect(parameters.map((axis) => [axis.key, axis.kind])).toEqual([
      ["learning_rate", "log"],
      ["batch_size", "category"],
    ]);
    expect(metric).toEqual({ key: "eval_loss", kind: "linear", min: 0.5, max: 2 });
    expect(measuredTrials(trials)).toHaveLength(2);
  });

  it("labels a numeric axis at its min and max, a choice at each value", () => {
    expect(axisTicks({ key: "lr", kind: "log", min: 0.001, max: 0.0234567 })).toEqual([
      { position: 0, label: "0.001" },
      { position: 1, label: "0.0235" },
    ]);
    expect(axisTicks(metricAxis("eval_loss", [0.5, 2.25]), (value) => value.toFixed(2))).toEqual([
      { position: 0, label: "0.50" },
      { position: 1, label: "2.25" },
    ]);
    expect(axisTicks({ key: "a", kind: "linear", min: 2, max: 2 })).toEqual([{ position: 0.5, label: "2" }]);
    expect(axisTicks({ key: "b", kind: "category", values: [4, 8, 16] }).map((tick) => [tick.position, tick.label])).toEqual([
      [0, "4"],
      [0.5, "8"],
      [1, "16"],
    ]);
    const many = Array.from({ length: 12 }, (_, index) => index);
    expect(axisTicks({ key: "c", kind: "category", values: many }).map((tick) => tick.label)).toEqual(["0", "11"]);
  });

  it("draws the best metric strongest, lower better for min and higher for max", () => {
    const values = [0.5, 1, 2.5];
    expect(values.map((value) => metricStrength(value, values, "min"))).toEqual([1, 0.75, 0]);
    expect(values.map((value) => metricStrength(value, values, "max"))).toEqual([0, 0.25, 1]);
    expect(metricStrength(3, [3, 3], "min")).toBe(1);
  });
});
