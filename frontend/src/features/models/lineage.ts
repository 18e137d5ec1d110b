// Lineage's pure parts: where a version came from (traces -> dataset version -> run ->
// evaluations and checks -> version -> aliases), what was built on a dataset, and how
// their free-form fields read.

import type { Schemas } from "../../api/client";
import type { Verdict } from "../regression/regression";
import { RUN_STATES, type RunState } from "../runs/history";

export type VersionLineage = Schemas["VersionLineage"];
export type LineageDataset = Schemas["LineageDataset"];
export type LineageTraces = Schemas["LineageTraces"];
export type LineageRun = Schemas["LineageRun"];
export type LineageEvaluation = Schemas["LineageEvaluation"];
export type LineageCheck = Schemas["LineageCheck"];
export type LineageVersion = Schemas["LineageVersion"];
export type DatasetLineage = Schemas["DatasetLineage"];
export type DatasetRunLineage = Schemas["DatasetRunLineage"];

/** The traces node names this many of the dataset's sample traces; the dataset's page has the rest. */
export const TRACE_SAMPLE_SHOWN = 3;

/**
 * The dataset now, next to the one the run trained on. `changed`: rebuilt under the same
 * key since (its content hash differs); `deleted`: gone; `unknown`: the run recorded no
 * hash to compare (or no dataset at all).
 */
export type DatasetDrift = "same" | "changed" | "deleted" | "unknown";

export function datasetDrift(dataset: Pick<LineageDataset, "key" | "sha256" | "sha256_now">): DatasetDrift {
  if (!dataset.key) return "unknown";
  if (dataset.sha256_now === null) return "deleted";
  if (dataset.sha256 === null) return "unknown";
  return dataset.sha256 === dataset.sha256_now ? "same" : "changed";
}

/** The API types these as plain strings; the badges know only their own words. */
export function asRunState(status: string): RunState | null {
  return (RUN_STATES as readonly string[]).includes(status) ? (status as RunState) : null;
}

const VERDICTS: readonly string[] = ["pass", "fail", "inconclusive"] satisfies readonly Verdict[];

export function asVerdict(verdict: string): Verdict | null {
  return VERDICTS.includes(verdict) ? (verdict as Verdict) : null;
}

/** A few of the run's settings, in words: `30 steps · lr 0.005 · batch 8`. */
export function runSettings(config: Record<string, unknown>): string | null {
  const parts: string[] = [];
  const number = (key: string) => (typeof config[key] === "number" && Number.isFinite(config[key]) ? (config[key] as number) : null);
  const steps = number("max_steps");
  const lr = number("learning_rate");
  const batch = number("batch_size");
  if (steps !== null) parts.push(`${steps} steps`);
  if (lr !== null) parts.push(`lr ${lr}`);
  if (batch !== null) parts.push(`batch ${batch}`);
  return parts.length > 0 ? parts.join(" · ") : null;
}

/** Version names, each with whether it is protected on this server (when known). */
export function aliasesOf(names: readonly string[], protectedNames: readonly string[]): { alias: string; protected: boolean }[] {
  return names.map((name) => ({ alias: name, protected: protectedNames.includes(name) }));
}
