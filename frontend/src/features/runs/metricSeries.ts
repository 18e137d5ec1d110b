// A run's per-step scalars for the charts: the points of GET /metrics, then the `metric`
// events of the live stream (which replays every stored point on each connection), kept
// sorted by step with one value a step, however often a point arrives.

/** [step, value]. */
export type MetricPoint = readonly [number, number];
/** Series name -> its points, ascending by step, one a step. */
export type SeriesMap = ReadonlyMap<string, readonly MetricPoint[]>;
export type MetricUpdate = { name: string; step: number; value: number };

export const TRAIN_LOSS = "train/loss";
export const EVAL_LOSS = "eval/loss";
/** Tunix logs the optimizer's current rate under this name (optax inject_hyperparams). */
export const LEARNING_RATE = "train/learning_rate";
/** Steps and tokens trained per second over the latest steps, measured by the trainer as it trains. */
export const STEPS_PER_SECOND = "train/steps_per_second";
export const TOKENS_PER_SECOND = "train/tokens_per_second";
/** The series the run page reads (GET /metrics?name=...): those it charts, and the pace of its progress panel. */
export const RUN_PAGE_METRICS = [TRAIN_LOSS, EVAL_LOSS, LEARNING_RATE, STEPS_PER_SECOND, TOKENS_PER_SECOND] as const;

export const EMPTY_SERIES: SeriesMap = new Map();

function mergeOne(points: readonly MetricPoint[], added: MetricUpdate[]): readonly MetricPoint[] {
  // The common case while training: every new point is past the last one.
  let last = points.length > 0 ? points[points.length - 1]![0] : -Infinity;
  const appended: MetricPoint[] = [];
  for (const { step, value } of added) {
    if (step <= last) break;
    appended.push([step, value]);
    last = step;
  }
  if (appended.length === added.length) return points.concat(appended);

  // Out of order, or a replay: by step, the newest value of a step wins.
  const byStep = new Map<number, number>(points.map(([step, value]) => [step, value]));
  let changed = false;
  for (const { step, value } of added) {
    if (byStep.get(step) !== value) {
      byStep.set(step, value);
      changed = true;
    }
  }
  if (!changed) return points;
  return [...byStep.entries()].sort((a, b) => a[0] - b[0]);
}

/**
 * `series` with `updates` merged in, deduplicated by name and step. Returns `series`
 * itself when nothing changed (a replay of points already held), so a state setter
 * can skip the render.
 */
export function mergeMetrics(series: SeriesMap, updates: MetricUpdate[]): SeriesMap {
  if (updates.length === 0) return series;
  const byName = new Map<string, MetricUpdate[]>();
  for (const update of updates) {
    if (!Number.isFinite(update.step) || !Number.isFinite(update.value)) continue;
    const list = byName.get(update.name);
    if (list) list.push(update);
    else byName.set(update.name, [update]);
  }
  let next: Map<string, readonly MetricPoint[]> | null = null;
  for (const [name, added] of byName) {
    const points = series.get(name) ?? [];
    const merged = mergeOne(points, added);
    if (merged !== points) {
      next ??= new Map(series);
      next.set(name, merged);
    }
  }
  return next ?? series;
}

/** GET /metrics's answer, as the client reads it. */
export type MetricsAnswer = { series: { name: string; points: number[][] }[] };

/** GET /metrics's answer as updates for `mergeMetrics`. */
export function seriesUpdates(series: MetricsAnswer["series"]): MetricUpdate[] {
  return series.flatMap(({ name, points }) =>
    points.flatMap(([step, value]) => (step === undefined || value === undefined ? [] : [{ name, step, value }])),
  );
}

/**
 * Several series on one x axis (the union of their steps), as a chart takes them: each
 * y array as long as x, null where a series has no point at that step.
 */
export function alignSeries(list: readonly (readonly MetricPoint[])[]): { x: number[]; ys: (number | null)[][] } {
  const steps = new Set<number>();
  for (const points of list) for (const [step] of points) steps.add(step);
  const x = [...steps].sort((a, b) => a - b);
  const index = new Map(x.map((step, i) => [step, i]));
  const ys = list.map((points) => {
    const y: (number | null)[] = new Array<number | null>(x.length).fill(null);
    for (const [step, value] of points) y[index.get(step)!] = value;
    return y;
  });
  return { x, ys };
}

/** The last point of a series, if any. */
export function lastPoint(points: readonly MetricPoint[] | undefined): MetricPoint | null {
  return points && points.length > 0 ? points[points.length - 1]! : null;
}

/** The heaviest smoothing `smoothEma` applies. */
export const MAX_SMOOTHING = 0.999;

/**
 * TensorBoard's smoothing: an exponential moving average of the values in step order,
 * `weight` the share the average keeps at each point (0 = off, 0.9 = heavy). The
 * average is debiased (divided by 1 - weight^n) so the first points are not pulled
 * towards 0: the first point is unchanged and a flat series stays flat. Gaps between
 * steps count as one point, as in TensorBoard.
 */
export function smoothEma(points: readonly MetricPoint[], weight: number): readonly MetricPoint[] {
  if (!(weight > 0) || points.length === 0) return points;
  // A weight of 1 divides 0 by 0 below (and would hold the first value for ever).
  const kept = Math.min(weight, MAX_SMOOTHING);
  let average = 0;
  let count = 0;
  return points.map(([step, value]): MetricPoint => {
    average = average * kept + (1 - kept) * value;
    count += 1;
    return [step, average / (1 - kept ** count)];
  });
}

/** The last point at or before `step` (a legend's value under the cursor), if any. */
export function pointAtOrBefore(points: readonly MetricPoint[], step: number): MetricPoint | null {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (points[middle]![0] <= step) low = middle + 1;
    else high = middle;
  }
  return low > 0 ? points[low - 1]! : null;
}
