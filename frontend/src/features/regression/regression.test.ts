import { describe, expect, it } from "vitest";
import {
  EMPTY_BASELINE_FORM,
  formatChange,
  formatPercentChange,
  formatPValue,
  formatValue,
  lineScale,
  marginBound,
  pointEstimate,
  regressionPath,
  toBaselineRequest,
} from "./regression";

describe("regression: numbers", () => {
  it("writes metric values to 4 significant digits, changes signed", () => {
    expect([0.65, 0.0325, 65, 118.275, 0, 1e-7].map(formatValue)).toEqual(["0.65", "0.0325", "65", "118.3", "0", "1e-7"]);
    expect([0.05, -0.175, 0].map(formatChange)).toEqual(["+0.05", "-0.175", "0"]);
    expect([7.692, -26.923, 0].map(formatPercentChange)).toEqual(["+7.7%", "-26.9%", "0.0%"]);
    expect([0.0390625, 1, 0.000012345].map(formatPValue)).toEqual(["0.0391", "1", "0.0000123"]);
  });

  it("puts the margin on the regression side", () => {
    expect(marginBound(0.05, false)).toBe(-0.05);
    expect(marginBound(5, true)).toBe(5);
  });

  it("takes the paired mean change as the estimate, the delta when there is none", () => {
    expect(pointEstimate({ details: { paired_difference: -0.1 }, delta: -0.2 })).toBe(-0.1);
    expect(pointEstimate({ details: {}, delta: -0.2 })).toBe(-0.2);
    expect(pointEstimate({ details: { paired_difference: "x" }, delta: null })).toBeNull();
  });

  it("scales a number line to show every value with room around them", () => {
    const scale = lineScale([0, -0.05, -0.3, -0.02], 100);
    expect(scale.min).toBeLessThan(-0.3);
    expect(scale.max).toBeGreaterThan(0);
    expect(scale.at(scale.min)).toBe(0);
    expect(scale.at(scale.max)).toBeCloseTo(100);
    expect(scale.at(-0.3)).toBeLessThan(scale.at(-0.05));
    // All values the same (0 to 0): still a scale.
    const flat = lineScale([0, 0], 100);
    expect(flat.at(0)).toBeCloseTo(50);
  });
});

describe("regression: requests and routes", () => {
  it("leaves out empty optional inputs", () => {
    expect(toBaselineRequest({ ...EMPTY_BASELINE_FORM, name: " a ", runId: " r " })).toEqual({ name: "a", run_id: "r", metric: "primary_score" });
    expect(
      toBaselineRequest({ name: "a", runId: "r", metric: "score", margin: "2.5", judge: "mock", description: " why " }),
    ).toEqual({ name: "a", run_id: "r", metric: "score", margin: 2.5, judge: "mock", description: "why" });
  });

  it("links to the page with a check, a filter or a run", () => {
    expect(regressionPath()).toBe("/regression");
    expect(regressionPath({ run: "r1", check: "" })).toBe("/regression?run=r1");
  });
});
