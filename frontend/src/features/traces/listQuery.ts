// The trace list's filters and page as the /traces URL holds them (so a search survives
// a reload and can be shared), and as the API takes them.

/** The list's filters and page. Dates are local calendar days (`YYYY-MM-DD`). */
export type TraceListQuery = {
  /** A part of the prompt (any case). */
  q: string | null;
  source: string | null;
  /** true: scored traces only; false: unscored only; null: both. */
  scored: boolean | null;
  /** The first day shown. */
  from: string | null;
  /** The last day shown (included). */
  to: string | null;
  offset: number;
};

export const EMPTY_LIST_QUERY: TraceListQuery = { q: null, source: null, scored: null, from: null, to: null, offset: 0 };

// The URL's names: the API's own, except for the days, which the API takes as instants.
const PARAMS = { q: "q", source: "source", scored: "scored", from: "from", to: "to", offset: "offset" } as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function readDay(value: string | null): string | null {
  return value !== null && DAY.test(value) && !Number.isNaN(localMidnight(value).getTime()) ? value : null;
}

function readOffset(value: string | null): number {
  const offset = Number(value);
  return Number.isInteger(offset) && offset > 0 ? offset : 0;
}

function readScored(value: string | null): boolean | null {
  return value === "true" ? true : value === "false" ? false : null;
}

export function readListQuery(params: URLSearchParams): TraceListQuery {
  return {
    q: params.get(PARAMS.q) || null,
    source: params.get(PARAMS.source) || null,
    scored: readScored(params.get(PARAMS.scored)),
    from: readDay(params.get(PARAMS.from)),
    to: readDay(params.get(PARAMS.to)),
    offset: readOffset(params.get(PARAMS.offset)),
  };
}

/** The URL's search parameters: only what differs from the unfiltered first page. */
export function listSearchParams(query: TraceListQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.q) params.set(PARAMS.q, query.q);
  if (query.source) params.set(PARAMS.source, query.source);
  if (query.scored !== null) params.set(PARAMS.scored, String(query.scored));
  if (query.from) params.set(PARAMS.from, query.from);
  if (query.to) params.set(PARAMS.to, query.to);
  if (query.offset > 0) params.set(PARAMS.offset, String(query.offset));
  return params;
}

export function hasFilters(query: TraceListQuery): boolean {
  return Boolean(query.q || query.source || query.scored !== null || query.from || query.to);
}

function localMidnight(day: string): Date {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, date);
}

function nextDay(day: string): Date {
  const midnight = localMidnight(day);
  return new Date(midnight.getFullYear(), midnight.getMonth(), midnight.getDate() + 1);
}

export type TraceListParams = {
  limit: number;
  offset: number;
  q?: string;
  source?: string;
  scored?: boolean;
  created_from?: string;
  created_to?: string;
};

/** The API's query: the days become the instants where they start and end here. */
export function listApiParams(query: TraceListQuery, limit: number): TraceListParams {
  const params: TraceListParams = { limit, offset: query.offset };
  if (query.q) params.q = query.q;
  if (query.source) params.source = query.source;
  if (query.scored !== null) params.scored = query.scored;
  if (query.from) params.created_from = localMidnight(query.from).toISOString();
  if (query.to) params.created_to = nextDay(query.to).toISOString();
  return params;
}
