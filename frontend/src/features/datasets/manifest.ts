// The API types a manifest's `stats` and `build` as free-form objects; these guards
// narrow them back before rendering (and fall back to raw JSON when they do not fit).

export const STAT_NAMES = ["prompt_chars", "final_answer_chars", "steps", "total_chars"] as const;
export type StatName = (typeof STAT_NAMES)[number];
export type StatSummary = { min: number; max: number; mean: number; p50: number };
export type DatasetStats = Record<StatName, StatSummary> & { sources: Record<string, number> };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStatSummary(value: unknown): value is StatSummary {
  return isRecord(value) && (["min", "max", "mean", "p50"] as const).every((k) => typeof value[k] === "number");
}

export function readStats(stats: Record<string, unknown>): DatasetStats | null {
  const { sources } = stats;
  if (!isRecord(sources) || !Object.values(sources).every((n) => typeof n === "number")) return null;
  if (!STAT_NAMES.every((name) => isStatSummary(stats[name]))) return null;
  return stats as DatasetStats;
}

/** `{strategy, seed, filters: {source, ...}}` -> `[["strategy", "latest"], ["filters.source", "ungar"], ...]`. */
export function flattenBuild(build: Record<string, unknown>, prefix = ""): [string, string][] {
  return Object.entries(build).flatMap(([key, value]): [string, string][] => {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isRecord(value)) return flattenBuild(value, path);
    return [[path, value === null || value === undefined ? "—" : String(value)]];
  });
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

/** `0.1` -> `10%`. */
export function formatRatio(value: number): string {
  return `${Math.round(value * 1000) / 10}%`;
}

/** The UI route of a dataset. */
export function datasetPath(key: string): string {
  return `/datasets/${encodeURIComponent(key)}`;
}
