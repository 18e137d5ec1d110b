import { describe, expect, it } from "vitest";
import { alignSeries, EMPTY_SERIES, lastPoint, mergeMetrics, pointAtOrBefore, seriesUpdates, smoothEma, type MetricPoint } from "./metricSeries";

const loss = (step: number, value: number) => ({ name: "train/loss", step, value });

describe("metric series", () => {
  it("appends points past the last one, by series", () => {
    let series = mergeMetrics(EMPTY_SERIES, [loss(1, 5), loss(2, 4), { name: "eval/loss", step: 0, value: 5.5 }]);
    series = mergeMetrics(series, [loss(3, 3)]);
    expect(series.get("train/loss")).toEqual([
      [1, 5],
      [2, 4],
      [3, 3],
    ]);
    expect(series.get("eval/loss")).toEqual([[0, 5.5]]);
  });

  it("dedupes by name and step: a replay changes nothing and returns the same map", () => {
    const series = mergeMetrics(EMPTY_SERIES, [loss(1, 5), loss(2, 4), loss(3, 3)]);
    expect(mergeMetrics(series, [loss(1, 5), loss(2, 4), loss(3, 3)])).toBe(series);
    expect(mergeMetrics(series, [])).toBe(series);
  });

  it("sorts points that arrive out of order; the newest value of a step wins", () => {
    const series = mergeMetrics(EMPTY_SERIES, [loss(1, 5), loss(10, 2)]);
    const merged = mergeMetrics(series, [loss(5, 3), loss(10, 2.5), loss(5, 3.1)]);
    expect(merged.get("train/loss")).toEqual([
      [1, 5],
      [5, 3.1],
      [10, 2.5],
    ]);
    // Series that did not change keep their arrays.
    const other = mergeMetrics(mergeMetrics(EMPTY_SERIES, [{ name: "eval/loss", step: 0, value: 1 }]), [loss(1, 1)]);
    expect(mergeMetrics(other, [loss(2, 1)]).get("eval/loss")).toBe(other.get("eval/loss"));
  });

  it("merges GET /metrics's (downsampled) points with the stream's full ones", () => {
    const stored = seriesUpdates([{ name: "train/loss", points: [[1, 5], [3, 3], [4, 2]] }]);
    const live = [loss(1, 5), loss(2, 4), loss(3, 3), loss(4, 2), loss(5, 1.5)];
    const series = mergeMetrics(mergeMetrics(EMPTY_SERIES, stored), live);
    expect(series.get("train/loss")!.map(([step]) => step)).toEqual([1, 2, 3, 4, 5]);
    expect(lastPoint(series.get("train/loss"))).toEqual([5, 1.5]);
    expect(lastPoint(undefined)).toBeNull();
  });

  it("skips points that are not finite numbers", () => {
    expect(mergeMetrics(EMPTY_SERIES, [loss(1, Number.NaN), loss(Number.POSITIVE_INFINITY, 1)])).toBe(EMPTY_SERIES);
    expect(seriesUpdates([{ name: "x", points: [[1], [2, 3]] }])).toEqual([{ name: "x", step: 2, value: 3 }]);
  });

  it("aligns series on the union of their steps, null where a series has no point", () => {
    const train = [
      [1, 5],
      [2, 4],
      [3, 3],
    ] as const;
    const evals = [
      [0, 5.5],
      [2, 3.9],
    ] as const;
    expect(alignSeries([train, evals])).toEqual({
      x: [0, 1, 2, 3],
      ys: [
        [null, 5, 4, 3],
        [5.5, null, 3.9, null],
      ],
    });
    expect(alignSeries([])).toEqual({ x: [], ys: [] });
  });

  it("smooths with a debiased exponential moving average, as TensorBoard does", () => {
    const points: MetricPoint[] = [
      [1, 1],
      [2, 2],
      [4, 3],
    ];
    // weight 0.5: averages 0.5, 1.25, 2.125, divided by 1 - 0.5^n (0.5, 0.75, 0.875).
    const smoothed = smoothEma(points, 0.5);
    expect(smoothed.map(([step]) => step)).toEqual([1, 2, 4]);
    expect(smoothed[0]).toEqual([1, 1]);
    expect(smoothed[1]![1]).toBeCloseTo(5 / 3, 12);
    expect(smoothed[2]![1]).toBeCloseTo(17 / 7, 12);
    // The input is left as it was.
    expect(points[1]).toEqual([2, 2]);
  });

  it("keeps the first point and a flat series as they are, and damps noise more the heavier the weight", () => {
    const noisy: MetricPoint[] = [5, 3, 5, 3, 5, 3].map((value, i) => [i, value]);
    for (const weight of [0.6, 0.9, 0.99]) {
      expect(smoothEma(noisy, weight)[0]).toEqual([0, 5]);
      for (const [, value] of smoothEma([[0, 2.5], [1, 2.5], [2, 2.5]], weight)) expect(value).toBeCloseTo(2.5, 12);
    }
    const swing = (weight: number) => {
      const values = smoothEma(noisy, weight).map(([, value]) => value);
      return Math.abs(values[5]! - values[4]!);
    };
    expect(swing(0.9)).toBeLessThan(swing(0.6));
    expect(swing(0.6)).toBeLessThan(2);
  });

  it("returns the points themselves with weight 0 (off), and stays finite at weight 1", () => {
    const points: MetricPoint[] = [
      [1, 4],
      [2, 1],
    ];
    expect(smoothEma(points, 0)).toBe(points);
    expect(smoothEma([], 0.9)).toEqual([]);
    const heaviest = smoothEma(points, 1);
    expect(heaviest[0]).toEqual([1, 4]);
    expect(Number.isFinite(heaviest[1]![1])).toBe(true);
  });

  it("finds the last point at or before a step", () => {
    const points: MetricPoint[] = [
      [0, 5],
      [20, 4],
      [40, 3],
    ];
    expect(pointAtOrBefore(points, -1)).toBeNull();
    expect(pointAtOrBefore(points, 0)).toEqual([0, 5]);
    expect(pointAtOrBefore(points, 39)).toEqual([20, 4]);
    expect(pointAtOrBefore(points, 40)).toEqual([40, 3]);
    expect(pointAtOrBefore(points, 1000)).toEqual([40, 3]);
    expect(pointAtOrBefore([], 3)).toBeNull();
  });
});
