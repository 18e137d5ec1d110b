// The run history's pure parts: which states are live, how often to poll, the
// history's filters as URL search parameters, and the timings of one run.

import type { Schemas } from "../../api/client";

export type RunState = Schemas["RunSummary"]["status"];
export type RunMode = Schemas["RunSummary"]["mode"];

export const RUN_STATES = ["pending", "running", "completed", "failed", "timeout", "cancelled"] as const satisfies readonly RunState[];
export const RUN_MODES = ["dry-run", "local"] as const satisfies readonly RunMode[];

/** Lists and live views poll this often while something is pending or running. */
export const RUN_POLL_INTERVAL_MS = 4_000;
/** The longest wait between polls while the server keeps failing. */
export const RUN_POLL_MAX_INTERVAL_MS = 60_000;

/** Pending or running: a worker may still change it. */
export function isLive(status: RunState): boolean {
  return status === "pending" || status === "running";
}

type PolledState = { status: "pending" | "error" | "success"; dataUpdatedAt: number };

/**
 * The delay before the next poll (TanStack Query's `refetchInterval`), or false to stop.
 * While the last poll failed, the delay is the time since the last success (at least the
 * base interval, at most the cap), so it doubles with each failure in a row and needs no
 * counter of its own: the interval restarts from every change of the query's state.
 * `baseMs`: the delay while all is well (a live view may poll faster than a list).
 */
export function pollDelay(
  live: boolean,
  state: PolledState,
  now: number = Date.now(),
  baseMs: number = RUN_POLL_INTERVAL_MS,
): number | false {
  if (!live) return false;
  if (state.status !== "error") return baseMs;
  const sinceSuccess = now - state.dataUpdatedAt;
  return Math.min(RUN_POLL_MAX_INTERVAL_MS, Math.max(baseMs, sinceSuccess));
}

/**
 * Which kind of run the history lists. Training runs by default: dry runs only check a
 * configuration, and dozens of them would bury the runs that trained.
 */
export type RunView = "training" | "dry-runs" | "all";
export const RUN_VIEWS = ["training", "dry-runs", "all"] as const satisfies readonly RunView[];

/** The API's `mode` filter of each view (all: none). */
export const VIEW_MODES: Record<RunView, RunMode | null> = { training: "local", "dry-runs": "dry-run", all: null };

/** The history's filters and page, as the /runs URL holds them. */
export type RunListQuery = {
  view: RunView;
  status: RunState | null;
  datasetKey: string | null;
  /** An exact tag. */
  tag: string | null;
  /** A part of the run's name (any case). */
  q: string | null;
  offset: number;
};

/** The history's URL search parameters (the API's own names). */
export const LIST_PARAMS = {
  view: "mode",
  status: "status",
  datasetKey: "dataset_key",
  tag: "tag",
  q: "q",
  offset: "offset",
} as const;

// `mode` in the URL: absent (or the API's `local`) lists training runs; `all` lists both.
const VIEW_PARAMS: Record<RunView, string | null> = { training: null, "dry-runs": "dry-run", all: "all" };

function oneOf<T extends string>(values: readonly T[], value: string | null): T | null {
  return values.find((v) => v === value) ?? null;
}

function readView(value: string | null): RunView {
  return RUN_VIEWS.find((view) => VIEW_PARAMS[view] === value) ?? "training";
}

function text(value: string | null): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}

/** Reads the filters from the URL; an unknown status or mode is no filter. */
export function readListQuery(params: URLSearchParams): RunListQuery {
  const offset = Number(params.get(LIST_PARAMS.offset));
  return {
    view: readView(params.get(LIST_PARAMS.view)),
    status: oneOf(RUN_STATES, params.get(LIST_PARAMS.status)),
    datasetKey: params.get(LIST_PARAMS.datasetKey) || null,
    tag: text(params.get(LIST_PARAMS.tag)),
    q: text(params.get(LIST_PARAMS.q)),
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

/**
 * `params` with the history's filters and page replaced by `query`. Other parameters
 * (the run form's `dataset`) are kept.
 */
export function withListQuery(params: URLSearchParams, query: RunListQuery): URLSearchParams {
  const next = new URLSearchParams(params);
  const values: Record<keyof RunListQuery, string | null> = {
    view: VIEW_PARAMS[query.view],
    status: query.status,
    datasetKey: query.datasetKey,
    tag: query.tag,
    q: query.q,
    offset: query.offset > 0 ? String(query.offset) : null,
  };
  for (const [key, name] of Object.entries(LIST_PARAMS) as [keyof RunListQuery, string][]) {
    const value = values[key];
    if (value) next.set(name, value);
    else next.delete(name);
  }
  return next;
}

/** Whether anything narrows the view's runs (the view itself is not a filter). */
export function hasFilters(query: RunListQuery): boolean {
  return query.status !== null || query.datasetKey !== null || query.tag !== null || query.q !== null;
}

/** The history filtered by one tag, in the view that lists a run of `mode`. */
export function tagPath(tag: string, mode: RunMode): string {
  const query: RunListQuery = {
    view: mode === "dry-run" ? "dry-runs" : "training",
    status: null,
    datasetKey: null,
    tag,
    q: null,
    offset: 0,
  };
  const search = withListQuery(new URLSearchParams(), query).toString();
  return `/runs?${search}`;
}

/** The UI route of a run. */
export function runPath(runId: string): string {
  return `/runs/${encodeURIComponent(runId)}`;
}

/** The first block of a UUID: enough to tell runs apart in a list. */
export function shortRunId(runId: string): string {
  return runId.split("-")[0] ?? runId;
}

function millis(iso: string | null): number | null {
  if (iso === null) return null;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? null : time;
}

/** Seconds from one instant to another, or null when either is missing. */
export function secondsBetween(from: string | null, to: string | null): number | null {
  const start = millis(from);
  const end = millis(to);
  return start === null || end === null ? null : Math.max(0, (end - start) / 1000);
}

/**
 * Whether `started_at` is a real start: until a worker claims a queued run the server
 * fills it with the time the run joined the queue (attempt 0), and a run re-queued
 * after its worker was lost is waiting again.
 */
export function hasStarted(run: { status: RunState; attempt: number }): boolean {
  return run.status !== "pending" && run.attempt > 0;
}

/** What a list calls a run: its name, or the first block of its id. */
export function runName(run: { run_id: string; name?: string | null }): string {
  return run.name ?? shortRunId(run.run_id);
}
