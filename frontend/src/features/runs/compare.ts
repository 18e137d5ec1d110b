// Comparing 2-4 runs: the selection, its URL, and the configuration keys that differ.

import { flattenBuild } from "../datasets/manifest";

export const MIN_COMPARE = 2;
export const MAX_COMPARE = 4;

/**
 * One colour a run, told apart with colour-blindness too (Okabe-Ito): the stylesheet's
 * `--compare-N` (a lighter blue on dark), these light values where it is not loaded.
 */
export const COMPARE_COLORS = [
  "var(--compare-1, #0072b2)",
  "var(--compare-2, #e69f00)",
  "var(--compare-3, #009e73)",
  "var(--compare-4, #cc79a7)",
] as const;

/** `selected` with `runId` added (if there is room) or removed. */
export function toggleSelection(selected: readonly string[], runId: string, max: number = MAX_COMPARE): string[] {
  if (selected.includes(runId)) return selected.filter((id) => id !== runId);
  return selected.length >= max ? [...selected] : [...selected, runId];
}

/** The compare view's route: `/runs/compare?ids=a,b,c`. */
export function comparePath(runIds: readonly string[]): string {
  return `/runs/compare?ids=${runIds.map(encodeURIComponent).join(",")}`;
}

/** The run ids of the compare view's URL: distinct, in order, at most MAX_COMPARE. */
export function readCompareIds(params: URLSearchParams): string[] {
  const ids = (params.get("ids") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  return [...new Set(ids)].slice(0, MAX_COMPARE);
}

export type ConfigRow = { key: string; values: string[] };
export type ConfigDiff = { differing: ConfigRow[]; equal: number };

/** What a run's config holds for a key it lacks. */
export const ABSENT = "—";

/**
 * A run's flattened config, with the default output directory (`runs/<its id>`) written
 * as a pattern: every run has its own, so as a value it would always differ.
 */
function flatConfig(runId: string, config: Record<string, unknown>): Map<string, string> {
  const entries = new Map(flattenBuild(config));
  if (entries.get("output_dir") === `runs/${runId}`) entries.set("output_dir", "runs/<run id>");
  return entries;
}

/**
 * The keys whose values are not the same in every run (a key a run lacks counts as a
 * value of its own), in the order first seen; and how many keys are the same everywhere.
 */
export function configDiff(runs: readonly { run_id: string; config: Record<string, unknown> }[]): ConfigDiff {
  const flat = runs.map((run) => flatConfig(run.run_id, run.config));
  const keys = [...new Set(flat.flatMap((entries) => [...entries.keys()]))];
  const differing: ConfigRow[] = [];
  let equal = 0;
  for (const key of keys) {
    const values = flat.map((entries) => entries.get(key) ?? ABSENT);
    if (values.every((value) => value === values[0])) equal += 1;
    else differing.push({ key, values });
  }
  return { differing, equal };
}
