// The regression gates' pure parts: the metrics a gate compares, how their values read,
// the set-baseline form's request, the number line of a check's interval, and the routes.

import type { Schemas } from "../../api/client";

export type Baseline = Schemas["Baseline"];
export type BaselineDetail = Schemas["BaselineDetail"];
export type BaselineSetting = Schemas["BaselineSetting"];
export type BaselineRequest = Schemas["BaselineRequest"];
export type CheckRequest = Schemas["CheckRequest"];
export type CheckReport = Schemas["CheckReport"];
export type CheckSummary = Schemas["CheckSummary"];
export type FlippedItem = Schemas["FlippedItem"];
export type Metric = Baseline["metric"];
export type Verdict = CheckSummary["verdict"];

/** Baselines and checks a page of their lists holds. */
export const BASELINE_PAGE_SIZE = 50;
export const CHECK_PAGE_SIZE = 20;

export const METRICS: readonly { value: Metric; label: string; hint: string }[] = [
  { value: "primary_score", label: "Primary score", hint: "0–1, the share of items right" },
  { value: "score", label: "Score", hint: "0–100" },
  { value: "format_rate", label: "Format rate", hint: "0–1, answers in the expected format" },
  { value: "output_tokens", label: "Output tokens", hint: "mean per answer; lower is better" },
];

export function metricLabel(metric: Metric): string {
  return METRICS.find((m) => m.value === metric)?.label ?? metric;
}

/** A metric value in its own units, to 4 significant digits (as the server's reasons): `0.0325`, `65`, `118.3`. */
export function formatValue(value: number): string {
  if (value === 0) return "0";
  return String(Number(value.toPrecision(4)));
}

/** A change, signed: `+0.05`, `-0.125`, `0`. */
export function formatChange(value: number): string {
  const text = formatValue(value);
  return value > 0 ? `+${text}` : text;
}

/** `delta_percent` (a change as % of the baseline's value): `-12.5%`, `+3.0%`. */
export function formatPercentChange(percent: number): string {
  const text = `${Math.abs(percent).toFixed(1)}%`;
  if (percent > 0) return `+${text}`;
  return percent < 0 ? `-${text}` : text;
}

/** A p-value to 3 significant digits: `0.0313`, `1`. */
export function formatPValue(p: number): string {
  return String(Number(p.toPrecision(3)));
}

export const TEST_NAMES: Record<NonNullable<CheckReport["test"]>, string> = {
  mcnemar_exact: "exact McNemar test",
  paired_bootstrap: "paired bootstrap",
};

/** The margin as a bound on the change: a drop below `-margin` (a rise above it when lower is better) is a regression. */
export function marginBound(margin: number, lowerIsBetter: boolean): number {
  return lowerIsBetter ? margin : -margin;
}

/** The paired mean change (current − baseline) the interval is around; the seed's delta when the server gave none. */
export function pointEstimate(report: Pick<CheckReport, "details" | "delta">): number | null {
  const paired = report.details.paired_difference;
  return typeof paired === "number" && Number.isFinite(paired) ? paired : report.delta;
}

/** Where the values of a number line fall: a scale that shows 0, the margin and the interval with room around them. */
export type LineScale = { min: number; max: number; at: (value: number) => number };

/** A scale over `values` onto [0, width], padded by 12% of their span on each side. */
export function lineScale(values: readonly number[], width: number): LineScale {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const span = high - low || Math.abs(high) || 1;
  const min = low - span * 0.12;
  const max = high + span * 0.12;
  return { min, max, at: (value) => ((value - min) / (max - min)) * width };
}

/** The set-baseline form's inputs, as typed. */
export type BaselineFormValues = {
  name: string;
  runId: string;
  metric: Metric;
  margin: string;
  judge: string;
  description: string;
};

export const EMPTY_BASELINE_FORM: BaselineFormValues = {
  name: "",
  runId: "",
  metric: "primary_score",
  margin: "",
  judge: "",
  description: "",
};

/** Inputs a 422 can point at (`loc` without "body"). */
export const BASELINE_FIELD_PATHS = ["name", "run_id", "metric", "margin", "judge", "description", "lower_is_better"] as const;
export const CHECK_FIELD_PATHS = ["baseline_name", "run_id", "evaluation_id"] as const;

/**
 * The request of the form: empty optional inputs are left out (the server's defaults).
 * A number input gives "" for text it cannot read, so the margin is a number or absent.
 */
export function toBaselineRequest(values: BaselineFormValues): BaselineRequest {
  const margin = values.margin.trim();
  const request: BaselineRequest = { name: values.name.trim(), run_id: values.runId.trim(), metric: values.metric };
  if (margin && Number.isFinite(Number(margin))) request.margin = Number(margin);
  if (values.judge) request.judge = values.judge;
  if (values.description.trim()) request.description = values.description.trim();
  return request;
}

/** The regression page; `check`: a stored report shown; `baseline`: the check history's filter; `run`: a run to fill in. */
export const REGRESSION_PARAMS = { check: "check", baseline: "baseline", run: "run" } as const;

export function regressionPath(params: Partial<Record<keyof typeof REGRESSION_PARAMS, string>> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `/regression?${text}` : "/regression";
}

/** The id of the report's card: opening a stored check scrolls to it. */
export const REPORT_ANCHOR = "check-report";
