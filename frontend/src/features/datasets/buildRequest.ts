import type { DatasetBuildRequest, DatasetFilters, DatasetSelection } from "./queries";

/** The build form's inputs, as typed (numbers and dates stay text until sent). */
export type BuildFormValues = {
  name: string;
  description: string;
  strategy: "latest" | "random";
  seed: string;
  limit: string;
  evalRatio: string;
  source: string;
  minScore: string;
  createdAfter: string;
  createdBefore: string;
};

// The server's defaults (see DatasetBuildRequest): an emptied input sends them.
const DEFAULT_SEED = 42;
const DEFAULT_LIMIT = 1000;
const DEFAULT_EVAL_RATIO = 0.1;

/** The inputs that decide which traces a build takes (and so the preview's count). */
export type SelectionValues = Pick<
  BuildFormValues,
  "strategy" | "seed" | "limit" | "source" | "minScore" | "createdAfter" | "createdBefore"
>;

export const DEFAULT_BUILD_VALUES: BuildFormValues = {
  name: "",
  description: "",
  strategy: "latest",
  seed: String(DEFAULT_SEED),
  limit: String(DEFAULT_LIMIT),
  evalRatio: String(DEFAULT_EVAL_RATIO),
  source: "",
  minScore: "",
  createdAfter: "",
  createdBefore: "",
};

/** Input paths a 422 can point at (`loc` without "body"), for inline messages. */
export const BUILD_FIELD_PATHS = [
  "name",
  "description",
  "strategy",
  "seed",
  "limit",
  "eval_ratio",
  "filters",
  "filters.source",
  "filters.min_score",
  "filters.created_after",
  "filters.created_before",
] as const;

// A number input gives "" for text it cannot read, so nothing unparsed is ever sent.
function optionalNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** A `datetime-local` value (the user's local time, no zone) as an ISO instant. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function toFilters(values: SelectionValues): DatasetFilters {
  const filters: DatasetFilters = {};
  const source = values.source.trim();
  if (source) filters.source = source;
  const minScore = optionalNumber(values.minScore);
  if (minScore !== undefined) filters.min_score = minScore;
  const after = localToIso(values.createdAfter);
  if (after) filters.created_after = after;
  const before = localToIso(values.createdBefore);
  if (before) filters.created_before = before;
  return filters;
}

export function toSelection(values: SelectionValues): DatasetSelection {
  return {
    strategy: values.strategy,
    seed: optionalNumber(values.seed) ?? DEFAULT_SEED,
    limit: optionalNumber(values.limit) ?? DEFAULT_LIMIT,
    filters: toFilters(values),
  };
}

export function toBuildRequest(values: BuildFormValues): DatasetBuildRequest {
  const description = values.description.trim();
  return {
    ...toSelection(values),
    name: values.name.trim(),
    eval_ratio: optionalNumber(values.evalRatio) ?? DEFAULT_EVAL_RATIO,
    ...(description ? { description } : {}),
  };
}
