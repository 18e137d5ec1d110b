// The tuning area's pure parts: the settings a study may vary and how, the search-space
// editor's rows and their checks, the create request, where a 422 belongs, and the
// trials as the study page orders, charts and reuses them.

import type { Schemas } from "../../api/client";
import { isApiError, type FieldError } from "../../api/errors";
import { bodyPath, type PlacedErrors } from "../../ui/FieldErrors";
import { BODY_FIELDS, serverDefault, type RunFormField, type RunFormValues } from "../runs/runForm";
import { isBuiltinModel } from "../runs/localModels";
import { EVAL_LOSS, TRAIN_LOSS } from "../runs/metricSeries";

export type TuningJob = Schemas["TuningJob"];
export type TuningJobDetail = Schemas["TuningJobDetail"];
export type TuningTrial = Schemas["TuningTrial"];
export type TuningJobCreate = Schemas["TuningJobCreate"];
export type SearchParameter = Schemas["SearchParameter"];
export type TuningState = TuningJob["status"];
export type TrialState = TuningTrial["status"];
export type ParameterType = SearchParameter["type"];
export type MetricName = TuningJob["metric_name"];
export type MetricMode = TuningJob["metric_mode"];

export const TUNING_STATES = ["created", "pending", "running", "completed", "failed", "cancelled"] as const satisfies readonly TuningState[];
export const TRIAL_STATES = ["running", "completed", "early_stopped", "failed", "cancelled"] as const satisfies readonly TrialState[];

/** The study page refreshes this often while the study is queued or running. */
export const TUNING_POLL_INTERVAL_MS = 2_000;
/** Studies a page of the list holds. */
export const TUNING_PAGE_SIZE = 20;

/** Queued or running: a worker may still change it. */
export function isTuningLive(status: TuningState): boolean {
  return status === "pending" || status === "running";
}

export function canStart(status: TuningState): boolean {
  return status === "created";
}

export function canCancel(status: TuningState): boolean {
  return status === "created" || isTuningLive(status);
}

/** The UI route of a study. */
export function tuningPath(jobId: string): string {
  return `/tuning/${encodeURIComponent(jobId)}`;
}

// ---------------------------------------------------------------------------
// The settings a study may vary (the server's TUNABLE), and how.

/** What a setting's values are: a real number, a whole number, or one of some words. */
export type SettingKind = "float" | "int" | "word";

type SettingSpec = {
  kind: SettingKind;
  /** The parameter types the server accepts for it. */
  types: readonly ParameterType[];
  /** The words a `word` setting takes. */
  words?: readonly string[];
  /** A new row of this setting: a sensible small search. */
  initial: Omit<SpaceRowValues, "key">;
};

const FLOAT_TYPES = ["loguniform", "uniform", "choice"] as const;
const INT_TYPES = ["choice", "randint"] as const;

function choiceOf(values: string): Omit<SpaceRowValues, "key"> {
  return { type: "choice", values, min: "", max: "" };
}

function rangeOf(type: ParameterType, min: string, max: string): Omit<SpaceRowValues, "key"> {
  return { type, values: "", min, max };
}

/** Every setting a study may vary, in the order the editor offers them. */
export const TUNABLE_SETTINGS = {
  learning_rate: { kind: "float", types: FLOAT_TYPES, initial: rangeOf("loguniform", "0.001", "0.02") },
  batch_size: { kind: "int", types: INT_TYPES, initial: choiceOf("4, 8, 16") },
  warmup_steps: { kind: "int", types: INT_TYPES, initial: choiceOf("0, 5, 10") },
  lr_schedule: { kind: "word", types: ["choice"], words: ["constant", "cosine", "linear"], initial: choiceOf("constant, cosine, linear") },
  max_steps: { kind: "int", types: INT_TYPES, initial: choiceOf("20, 40") },
  num_epochs: { kind: "int", types: INT_TYPES, initial: rangeOf("randint", "1", "3") },
  max_seq_length: { kind: "int", types: INT_TYPES, initial: choiceOf("256, 320") },
  method: { kind: "word", types: ["choice"], words: ["full", "lora"], initial: choiceOf("full, lora") },
  lora_rank: { kind: "int", types: INT_TYPES, initial: choiceOf("4, 8, 16") },
  lora_alpha: { kind: "float", types: FLOAT_TYPES, initial: choiceOf("8, 16, 32") },
  seed: { kind: "int", types: INT_TYPES, initial: rangeOf("randint", "0", "3") },
} as const satisfies Record<string, SettingSpec>;

export type TunableKey = keyof typeof TUNABLE_SETTINGS;
export const TUNABLE_KEYS = Object.keys(TUNABLE_SETTINGS) as TunableKey[];

function specOf(key: TunableKey): SettingSpec {
  return TUNABLE_SETTINGS[key];
}

export function typesOf(key: TunableKey): readonly ParameterType[] {
  return specOf(key).types;
}

export const TYPE_LABELS: Record<ParameterType, string> = {
  choice: "choice of values",
  uniform: "uniform range",
  loguniform: "log-uniform range",
  randint: "whole numbers in a range",
};

// ---------------------------------------------------------------------------
// The search-space editor's rows.

/** One row of the editor, as typed. */
export type SpaceRowValues = { key: TunableKey; type: ParameterType; values: string; min: string; max: string };
export type SpaceRow = SpaceRowValues & { id: number };

/** The row's own problems, by input: what the server would refuse, found as it is typed. */
export type RowProblems = { key?: string; values?: string; min?: string; max?: string };

export function newRow(key: TunableKey, id: number): SpaceRow {
  return { id, key, ...specOf(key).initial };
}

/** The row a setting gets when chosen in an existing row: its own defaults. */
export function withKey(row: SpaceRow, key: TunableKey): SpaceRow {
  return newRow(key, row.id);
}

/** The first setting no row varies yet, or null when every one is. */
export function nextFreeKey(rows: readonly SpaceRow[]): TunableKey | null {
  const used = new Set(rows.map((row) => row.key));
  return TUNABLE_KEYS.find((key) => !used.has(key)) ?? null;
}

/** The comma-separated words of a choice: `"4, 8,,16 "` -> `["4", "8", "16"]`. */
export function splitValues(text: string): string[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/** A choice's values as the server takes them: numbers for a numeric setting. */
function choiceValues(key: TunableKey, text: string): { values: (number | string)[]; problem?: string } {
  const spec = specOf(key);
  const words = splitValues(text);
  if (words.length === 0) return { values: [], problem: "Give at least one value." };
  if (spec.kind === "word") {
    const allowed = spec.words ?? [];
    const unknown = words.filter((word) => !allowed.includes(word));
    if (unknown.length > 0) return { values: words, problem: `Not ${key}: ${unknown.join(", ")} (one of ${allowed.join(", ")}).` };
    return { values: words };
  }
  const numbers = words.map((word) => parseNumber(word));
  const bad = words.filter((_, index) => numbers[index] === null);
  if (bad.length > 0) return { values: words, problem: `Not a number: ${bad.join(", ")}.` };
  const values = numbers as number[];
  if (spec.kind === "int" && values.some((value) => !Number.isInteger(value))) {
    return { values, problem: "Whole numbers only." };
  }
  return { values };
}

/**
 * What is wrong with a row, by input, without asking the server: a setting varied twice,
 * a type the setting does not take, a choice with no (or unreadable) values, a range
 * without both ends, with min not below max, a log range from 0 or below, a whole-number
 * range with fractions. The server checks the rest (e.g. a batch size of 0).
 */
export function rowProblems(row: SpaceRowValues, rows: readonly SpaceRowValues[] = []): RowProblems {
  const problems: RowProblems = {};
  if (rows.filter((other) => other.key === row.key).length > 1) problems.key = "Varied by another row too.";
  if (!typesOf(row.key).includes(row.type)) {
    problems.key = `${row.key} takes ${typesOf(row.key).join(" or ")}.`;
    return problems;
  }
  if (row.type === "choice") {
    const { problem } = choiceValues(row.key, row.values);
    if (problem) problems.values = problem;
    return problems;
  }
  const min = parseNumber(row.min);
  const max = parseNumber(row.max);
  if (min === null) problems.min = row.min.trim() === "" ? "Required." : "Not a number.";
  if (max === null) problems.max = row.max.trim() === "" ? "Required." : "Not a number.";
  if (row.type === "randint") {
    if (min !== null && !Number.isInteger(min)) problems.min = "A whole number.";
    if (max !== null && !Number.isInteger(max)) problems.max = "A whole number.";
  }
  if (row.type === "loguniform" && min !== null && min <= 0) problems.min = "Above 0 for a log-uniform range.";
  if (min !== null && max !== null && !problems.min && !problems.max && min >= max) problems.max = "Above min.";
  return problems;
}

export function hasProblems(problems: Partial<Record<string, string>>): boolean {
  return Object.values(problems).some(Boolean);
}

/** The request's `search_space`: one parameter a row (rows are assumed checked). */
export function toSearchSpace(rows: readonly SpaceRowValues[]): Record<string, SearchParameter> {
  const space: Record<string, SearchParameter> = {};
  for (const row of rows) {
    if (row.type === "choice") {
      space[row.key] = { type: "choice", values: choiceValues(row.key, row.values).values };
    } else {
      space[row.key] = { type: row.type, min: Number(row.min.trim()), max: Number(row.max.trim()) };
    }
  }
  return space;
}

// ---------------------------------------------------------------------------
// The fixed training settings every trial shares.

/** The fixed settings the form offers, as typed (blank: the server's default). */
export type TrainingValues = {
  max_steps: string;
  batch_size: string;
  max_seq_length: string;
  eval_every_n_steps: string;
  checkpoint_every_n_steps: string;
  num_generations: string;
};
export type TrainingKey = keyof TrainingValues;

/** Small trials: a toy model learns in 40 steps, and answers no held-out prompts (they take time). */
export const TRAINING_DEFAULTS: TrainingValues = {
  max_steps: "40",
  batch_size: "8",
  max_seq_length: "320",
  eval_every_n_steps: "10",
  checkpoint_every_n_steps: "40",
  num_generations: "0",
};

export const TRAINING_KEYS = Object.keys(TRAINING_DEFAULTS) as TrainingKey[];

/**
 * The request's `training`: the filled-in numbers, less any the space varies (the server
 * refuses a setting in both).
 */
export function toTraining(values: TrainingValues, varied: ReadonlySet<string>): Record<string, number> {
  const training: Record<string, number> = {};
  for (const key of TRAINING_KEYS) {
    if (varied.has(key)) continue;
    const value = parseNumber(values[key]);
    if (value !== null) training[key] = value;
  }
  return training;
}

// ---------------------------------------------------------------------------
// The create form.

export type StudyValues = {
  name: string;
  metricName: MetricName;
  metricMode: MetricMode;
  numSamples: string;
  maxConcurrentTrials: string;
  searchAlg: TuningJobCreate["search_alg"];
  scheduler: TuningJobCreate["scheduler"];
  seed: string;
};

export const STUDY_DEFAULTS: StudyValues = {
  name: "",
  metricName: "eval_loss",
  metricMode: "min",
  numSamples: "8",
  maxConcurrentTrials: "2",
  searchAlg: "random",
  scheduler: "asha",
  seed: "0",
};

/** The form's own checks of the study's numbers (the server has the last word). */
export function studyProblems(values: StudyValues): Partial<Record<"name" | "numSamples" | "maxConcurrentTrials" | "seed", string>> {
  const problems: Partial<Record<"name" | "numSamples" | "maxConcurrentTrials" | "seed", string>> = {};
  const samples = parseNumber(values.numSamples);
  const concurrent = parseNumber(values.maxConcurrentTrials);
  const seed = parseNumber(values.seed);
  if (samples === null || !Number.isInteger(samples) || samples < 1 || samples > 64) problems.numSamples = "A whole number from 1 to 64.";
  if (concurrent === null || !Number.isInteger(concurrent) || concurrent < 1 || concurrent > 16) {
    problems.maxConcurrentTrials = "A whole number from 1 to 16.";
  } else if (samples !== null && !problems.numSamples && concurrent > samples) {
    problems.maxConcurrentTrials = "At most the number of trials.";
  }
  if (seed === null || !Number.isInteger(seed) || seed < 0) problems.seed = "A whole number, 0 or more.";
  return problems;
}

export type StudyTarget = { datasetKey: string; modelId: string };

/** The POST /api/tuning/jobs body. */
export function toTuningRequest(
  values: StudyValues,
  rows: readonly SpaceRowValues[],
  training: TrainingValues,
  { datasetKey, modelId }: StudyTarget,
): TuningJobCreate {
  return {
    name: values.name.trim(),
    dataset_key: datasetKey,
    base_model_id: modelId,
    metric_name: values.metricName,
    metric_mode: values.metricMode,
    num_samples: Number(values.numSamples),
    max_concurrent_trials: Number(values.maxConcurrentTrials),
    search_alg: values.searchAlg,
    scheduler: values.scheduler,
    seed: Number(values.seed),
    search_space: toSearchSpace(rows),
    training: toTraining(training, new Set(rows.map((row) => row.key))),
  };
}

/** The request fields with an input of their own (besides the space's rows and the training inputs). */
export const STUDY_FIELD_PATHS = [
  "name",
  "dataset_key",
  "base_model_id",
  "metric_name",
  "metric_mode",
  "num_samples",
  "max_concurrent_trials",
  "search_alg",
  "scheduler",
  "seed",
  "search_space",
] as const;

/** Where a row's server errors are placed: `search_space.<key>`. */
export function spacePath(key: string): string {
  return `search_space.${key}`;
}

export function trainingPath(key: string): string {
  return `training.${key}`;
}

/**
 * A 422's field errors, each placed at the input whose body path is the longest prefix of
 * its own: `["body", "search_space", "learning_rate", "values", 0]` at the learning rate's
 * row, `["body", "training", "max_steps"]` at Max steps; those no input stands for unplaced.
 */
export function placeTuningErrors(error: unknown, paths: readonly string[]): PlacedErrors {
  const items = isApiError(error) ? error.fieldErrors : [];
  const byLength = [...paths].sort((a, b) => b.length - a.length);
  const placeOf = (item: FieldError): string | null => {
    const path = bodyPath(item);
    if (path === null) return null;
    return byLength.find((known) => path === known || path.startsWith(`${known}.`)) ?? null;
  };
  return {
    at: (path) => items.filter((item) => placeOf(item) === path),
    unplaced: items.filter((item) => placeOf(item) === null),
    total: items.length,
  };
}

// ---------------------------------------------------------------------------
// A study's search space and trials, as the study page shows them.

/** `{type: "loguniform", min: 0.001, max: 0.02}` -> "log-uniform 0.001 – 0.02". */
export function describeParameter(parameter: unknown): string {
  if (typeof parameter !== "object" || parameter === null) return String(parameter);
  const { type, values, min, max } = parameter as Partial<SearchParameter>;
  if (type === "choice") return `one of ${(values ?? []).map(formatValue).join(", ")}`;
  const range = `${formatValue(min ?? null)} – ${formatValue(max ?? null)}`;
  if (type === "loguniform") return `log-uniform ${range}`;
  if (type === "randint") return `whole numbers ${range}`;
  if (type === "uniform") return `uniform ${range}`;
  return JSON.stringify(parameter);
}

/** A parameter's value for a table: numbers to 3 significant digits, whole ones as they are. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(3)));
  }
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** A metric's value: 4 significant digits. */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** "eval_loss, lower is better". */
export function metricDirection(mode: MetricMode): string {
  return mode === "min" ? "lower is better" : "higher is better";
}

/** The parameter names of the trials' columns: the space's order, then any other a trial reports. */
export function paramColumns(job: Pick<TuningJobDetail, "search_space" | "trials">): string[] {
  const columns = Object.keys(job.search_space);
  for (const trial of job.trials) {
    for (const key of Object.keys(trial.params)) if (!columns.includes(key)) columns.push(key);
  }
  return columns;
}

export type TrialSortKey = "metric" | "created";
export type TrialSort = { key: TrialSortKey; descending: boolean };

/** Best first: ascending for a metric minimised, descending for one maximised. */
export function bestFirst(mode: MetricMode): TrialSort {
  return { key: "metric", descending: mode === "max" };
}

function createdTime(trial: TuningTrial): number {
  const time = Date.parse(trial.created_at);
  return Number.isNaN(time) ? 0 : time;
}

/** The trials in the order they began (the creation order numbers them). */
export function inCreationOrder(trials: readonly TuningTrial[]): TuningTrial[] {
  return [...trials].sort((a, b) => createdTime(a) - createdTime(b) || a.trial_key.localeCompare(b.trial_key));
}

/** The trials sorted by one column; a trial with no metric yet is last either way. */
export function sortTrials(trials: readonly TuningTrial[], sort: TrialSort): TuningTrial[] {
  const sign = sort.descending ? -1 : 1;
  if (sort.key === "created") {
    const ordered = inCreationOrder(trials);
    return sort.descending ? ordered.reverse() : ordered;
  }
  return [...trials].sort((a, b) => {
    if (a.metric_value === null || b.metric_value === null) {
      return (a.metric_value === null ? 1 : 0) - (b.metric_value === null ? 1 : 0);
    }
    return sign * (a.metric_value - b.metric_value) || createdTime(a) - createdTime(b);
  });
}

/**
 * The chart's series, in creation order: each trial's metric (null while unmeasured) and
 * the best of those so far.
 */
export function bestSoFar(trials: readonly TuningTrial[], mode: MetricMode): { x: number[]; metric: (number | null)[]; best: (number | null)[] } {
  const ordered = inCreationOrder(trials);
  const x: number[] = [];
  const metric: (number | null)[] = [];
  const best: (number | null)[] = [];
  let current: number | null = null;
  ordered.forEach((trial, index) => {
    const value = trial.metric_value;
    if (value !== null && (current === null || (mode === "min" ? value < current : value > current))) current = value;
    x.push(index + 1);
    metric.push(value);
    best.push(current);
  });
  return { x, metric, best };
}

/** How many trials have begun, and how many of them ended each way. */
export function trialCounts(trials: readonly TuningTrial[]): Record<TrialState, number> {
  const counts = Object.fromEntries(TRIAL_STATES.map((state) => [state, 0])) as Record<TrialState, number>;
  for (const trial of trials) counts[trial.status] += 1;
  return counts;
}

/** Each trial's number: the order it began in (1 first), as the trials table numbers them. */
export function trialNumbers(trials: readonly TuningTrial[]): Map<string, number> {
  return new Map(inCreationOrder(trials).map((trial, index) => [trial.id, index + 1]));
}

/** A trial's settings in a line: "learning_rate 0.0123, batch_size 4" (the columns' order). */
export function describeParams(params: Record<string, unknown>, columns: readonly string[]): string {
  return columns
    .filter((key) => key in params)
    .map((key) => `${key} ${formatValue(params[key])}`)
    .join(", ");
}

/** The run's series each metric is read from (what its learning curve draws); primary_score
 * is reported once, from the run's evaluation, so its trials' curves are their eval loss. */
const CURVE_SERIES: Record<MetricName, string> = { eval_loss: EVAL_LOSS, train_loss: TRAIN_LOSS, primary_score: EVAL_LOSS };

/** The run's series that the study's metric is read from: eval_loss -> "eval/loss". */
export function curveSeriesName(metric: MetricName): string {
  return CURVE_SERIES[metric];
}

// ---------------------------------------------------------------------------
// The best trial's settings, as a prefilled run form.

/**
 * Every training value the best trial ran with, as the run form types them: the study's
 * fixed settings, then the trial's parameters; what neither gives, the server's default
 * for the model (what the trial got too).
 */
export function bestRunValues(
  job: Pick<TuningJob, "base_model_id" | "training">,
  params: Record<string, unknown>,
): RunFormValues {
  const given: Record<string, unknown> = { ...job.training, ...params };
  const text = (value: unknown): string | null =>
    typeof value === "number" && Number.isFinite(value) ? String(value) : typeof value === "string" ? value : null;
  const methodGiven = text(given.method);
  const method: RunFormValues["method"] =
    methodGiven === "full" || methodGiven === "lora" ? methodGiven : isBuiltinModel(job.base_model_id) ? "full" : "lora";
  const values = {} as Record<RunFormField, string>;
  for (const [field, bodyField] of Object.entries(BODY_FIELDS) as [RunFormField, string][]) {
    values[field] = text(given[bodyField]) ?? serverDefault(field, method, job.base_model_id);
  }
  values.method = method;
  values.outputDir = "";
  return values as RunFormValues;
}
