import { describe, expect, it } from "vitest";
import { alignSeries, EMPTY_SERIES, lastPoint, mergeMetrics, seriesUpdates } from "./metricSeries";

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
});
