// The leaderboard's filters and page as URL search parameters, and the client-side
// order of the page shown.

import type { Schemas } from "../../api/client";

export type LeaderboardRow = Schemas["LeaderboardRow"];

/** Rows a page of the leaderboard holds. */
export const LEADERBOARD_PAGE_SIZE = 25;

/** The leaderboard's filters and page, as the /leaderboard URL holds them. Dates are days (`2025-03-01`). */
export type LeaderboardQuery = {
  datasetKey: string | null;
  modelId: string | null;
  judge: string | null;
  dateFrom: string | null;
  dateTo: string | null;
  offset: number;
};

export const NO_LEADERBOARD_FILTERS: LeaderboardQuery = {
  datasetKey: null,
  modelId: null,
  judge: null,
  dateFrom: null,
  dateTo: null,
  offset: 0,
};

/** The URL search parameters (the API's own names). */
export const LEADERBOARD_PARAMS = {
  datasetKey: "dataset_key",
  modelId: "model_id",
  judge: "judge",
  dateFrom: "date_from",
  dateTo: "date_to",
  offset: "offset",
} as const satisfies Record<keyof LeaderboardQuery, string>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: string | null): string | null {
  return value !== null && DAY.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

/** Reads the filters from the URL; a date that is not a day is no filter. */
export function readLeaderboardQuery(params: URLSearchParams): LeaderboardQuery {
  const offset = Number(params.get(LEADERBOARD_PARAMS.offset));
  return {
    datasetKey: params.get(LEADERBOARD_PARAMS.datasetKey) || null,
    modelId: params.get(LEADERBOARD_PARAMS.modelId)?.trim() || null,
    judge: params.get(LEADERBOARD_PARAMS.judge) || null,
    dateFrom: day(params.get(LEADERBOARD_PARAMS.dateFrom)),
    dateTo: day(params.get(LEADERBOARD_PARAMS.dateTo)),
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

/** `params` with the leaderboard's filters and page replaced by `query`; others kept. */
export function withLeaderboardQuery(params: URLSearchParams, query: LeaderboardQuery): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [key, name] of Object.entries(LEADERBOARD_PARAMS) as [keyof LeaderboardQuery, string][]) {
    const value = key === "offset" ? (query.offset > 0 ? String(query.offset) : null) : query[key];
    if (value) next.set(name, value);
    else next.delete(name);
  }
  return next;
}

export function hasLeaderboardFilters(query: LeaderboardQuery): boolean {
  return [query.datasetKey, query.modelId, query.judge, query.dateFrom, query.dateTo].some((value) => value !== null);
}

/**
 * The API's date bounds of the chosen days, in the browser's time zone: from the start
 * of the first day to the end of the last (the server's `date_to` is inclusive).
 */
export function dateBounds(query: Pick<LeaderboardQuery, "dateFrom" | "dateTo">): { date_from?: string; date_to?: string } {
  const bounds: { date_from?: string; date_to?: string } = {};
  if (query.dateFrom) bounds.date_from = new Date(`${query.dateFrom}T00:00:00`).toISOString();
  if (query.dateTo) bounds.date_to = new Date(`${query.dateTo}T23:59:59.999`).toISOString();
  return bounds;
}

/** How the page shown is ordered: the server's rank, or by a column. */
export type LeaderboardSortKey = "rank" | "score" | "n" | "date";
export type LeaderboardSort = { key: LeaderboardSortKey; descending: boolean };

export const RANK_ORDER: LeaderboardSort = { key: "rank", descending: false };

function sortValue(row: LeaderboardRow, key: Exclude<LeaderboardSortKey, "rank">): number {
  if (key === "score") return row.primary_score;
  if (key === "n") return row.n_scored;
  return Date.parse(row.created_at);
}

/**
 * The rows with their server rank (1 = best, counted from `offset`), in the order
 * asked for. Sorting reorders only this page: the rank stays the server's.
 */
export function rankRows(rows: LeaderboardRow[], offset: number, sort: LeaderboardSort): { rank: number; row: LeaderboardRow }[] {
  const ranked = rows.map((row, index) => ({ rank: offset + index + 1, row }));
  if (sort.key === "rank") return sort.descending ? ranked.reverse() : ranked;
  const key = sort.key;
  const sign = sort.descending ? -1 : 1;
  return ranked.sort((a, b) => sign * (sortValue(a.row, key) - sortValue(b.row, key)) || a.rank - b.rank);
}

/** The next order after a click on a column's header: its natural direction first, then the other. */
export function nextSort(current: LeaderboardSort, key: LeaderboardSortKey): LeaderboardSort {
  if (current.key === key) return { key, descending: !current.descending };
  // Best, most and newest first; the rank ascending (1 first).
  return { key, descending: key !== "rank" };
}
