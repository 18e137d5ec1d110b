// The study page's parallel coordinates, as pure parts: an axis a parameter of the search
// space (and one for the metric), where a value lies on its axis, the ticks an axis is
// labelled with, and how strongly a trial's line is drawn.

import { formatMetric, formatValue, type MetricMode, type SearchParameter, type TuningTrial } from "./tuning";

/** A numeric axis: linear, or logarithmic (a log-uniform parameter). */
export type NumericAxis = { key: string; kind: "linear" | "log"; min: number; max: number };
/** A choice: its values evenly spaced, the first at the bottom. */
export type CategoryAxis = { key: string; kind: "category"; values: unknown[] };
export type Axis = NumericAxis | CategoryAxis;

/** Where a value sits on its axis: 0 at the bottom, 1 at the top. */
export type Position = number;

/** The same value, however JSON wrote it: 4 and 4.0 alike; 4 and "4" not. */
function identity(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function finiteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * Where `value` lies on `axis`, from 0 (its bottom) to 1 (its top): a numeric axis in
 * proportion to its range (a log axis in proportion to the logarithms), a category axis
 * by the value's place among its values, evenly spaced. A range of one value, or a single
 * category, puts it in the middle. Null where the axis has no place for it (not a number,
 * not one of the values, at or below 0 on a log axis); a number outside the range is
 * held at the nearer end.
 */
export function axisPosition(axis: Axis, value: unknown): Position | null {
  if (axis.kind === "category") {
    const index = axis.values.findIndex((known) => identity(known) === identity(value));
    if (index < 0) return null;
    return axis.values.length === 1 ? 0.5 : index / (axis.values.length - 1);
  }
  if (!finiteNumber(value)) return null;
  if (axis.kind === "log" && value <= 0) return null;
  const scale = axis.kind === "log" ? Math.log : (x: number) => x;
  const low = scale(axis.min);
  const high = scale(axis.max);
  if (!(high > low)) return 0.5;
  return Math.min(1, Math.max(0, (scale(value) - low) / (high - low)));
}

/**
 * A parameter's axis: its range in the search space, widened to any value a trial drew
 * outside it (log for a log-uniform one); a choice's values in the space's order, then any
 * other a trial reports. A parameter the space does not name: a linear axis over the
 * values reported when all are numbers, else their categories in the order first seen.
 */
export function parameterAxis(key: string, parameter: Partial<SearchParameter> | undefined, observed: readonly unknown[]): Axis {
  const present = observed.filter((value) => value !== null && value !== undefined);
  const numbers = present.filter(finiteNumber);
  const categorical = parameter === undefined ? numbers.length === 0 || numbers.length < present.length : parameter.type === "choice";
  if (categorical) {
    const values: unknown[] = [];
    const seen = new Set<string>();
    for (const value of [...(parameter?.values ?? []), ...present]) {
      const id = identity(value);
      if (seen.has(id)) continue;
      seen.add(id);
      values.push(value);
    }
    return { key, kind: "category", values };
  }
  const bounds = [parameter?.min, parameter?.max, ...numbers].filter(finiteNumber);
  const min = bounds.length > 0 ? Math.min(...bounds) : 0;
  const max = bounds.length > 0 ? Math.max(...bounds) : 1;
  const log = parameter?.type === "loguniform" && min > 0;
  return { key, kind: log ? "log" : "linear", min, max };
}

/** The metric's axis: linear, over the values the trials reported. */
export function metricAxis(name: string, values: readonly number[]): NumericAxis {
  const finite = values.filter(finiteNumber);
  return { key: name, kind: "linear", min: finite.length > 0 ? Math.min(...finite) : 0, max: finite.length > 0 ? Math.max(...finite) : 1 };
}

export type Tick = { position: Position; label: string };

/** The most categories an axis names one by one; more, and only its first and last are named. */
export const MAX_CATEGORY_TICKS = 8;

/**
 * An axis's labels: a numeric axis its min and max (one label when they are equal), a
 * category axis each value (or its first and last when there are many).
 */
export function axisTicks(axis: Axis, format: (value: number) => string = (value) => formatValue(value)): Tick[] {
  if (axis.kind === "category") {
    const named = axis.values.length <= MAX_CATEGORY_TICKS ? axis.values : [axis.values[0], axis.values[axis.values.length - 1]];
    return named.map((value) => ({ position: axisPosition(axis, value) ?? 0.5, label: formatValue(value) }));
  }
  if (!(axis.max > axis.min)) return [{ position: 0.5, label: format(axis.min) }];
  return [
    { position: 0, label: format(axis.min) },
    { position: 1, label: format(axis.max) },
  ];
}

/** A metric value as the metric axis labels it. */
export const formatMetricTick = (value: number) => formatMetric(value);

/** The trials with a metric: the ones the chart can draw. */
export function measuredTrials<T extends Pick<TuningTrial, "metric_value">>(trials: readonly T[]): (T & { metric_value: number })[] {
  return trials.filter((trial): trial is T & { metric_value: number } => finiteNumber(trial.metric_value));
}

/**
 * How strongly a trial's line is drawn, from 0 (the worst metric of the study) to 1 (the
 * best): in proportion to the metric, lower better when `mode` is min. All equal: 1.
 */
export function metricStrength(value: number, values: readonly number[], mode: MetricMode): number {
  const low = Math.min(...values);
  const high = Math.max(...values);
  if (!(high > low)) return 1;
  const share = (value - low) / (high - low);
  return Math.min(1, Math.max(0, mode === "min" ? 1 - share : share));
}

/** The chart's axes: each parameter a trial drew (the space's order), then the metric. */
export function parallelAxes(
  columns: readonly string[],
  space: Readonly<Record<string, unknown>>,
  trials: readonly Pick<TuningTrial, "params" | "metric_value">[],
  metricName: string,
): { parameters: Axis[]; metric: NumericAxis } {
  const parameters = columns.map((key) =>
    parameterAxis(
      key,
      typeof space[key] === "object" && space[key] !== null ? (space[key] as Partial<SearchParameter>) : undefined,
      trials.map((trial) => trial.params[key]),
    ),
  );
  return { parameters, metric: metricAxis(metricName, measuredTrials(trials).map((trial) => trial.metric_value)) };
}
