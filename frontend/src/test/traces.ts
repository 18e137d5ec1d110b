import { EXAMPLE_TRACE } from "../features/traces/example";

/** A deterministic UUID-shaped id: n=1 -> 00000000-0000-4000-8000-000000000001. */
export function traceId(n: number): string {
  return `0000000${n}`.slice(-8) + "-0000-4000-8000-" + `00000000000${n}`.slice(-12);
}

function stored(n: number) {
  return { id: traceId(n), created_at: "2025-03-01T12:00:00Z", trace_version: "1.0" };
}

/** A list row: what was stored, and the previews, source and latest score. */
export function summary(n: number) {
  return {
    ...stored(n),
    prompt_preview: `Question ${n}: what is ${n} × 19?`,
    final_answer_preview: String(n * 19),
    source: n % 2 === 0 ? "arithmetic" : null,
    score: n % 3 === 0 ? 42.5 : null,
  };
}

export function page(ids: number[], offset: number, nextOffset: number | null) {
  return {
    data: ids.map(summary),
    pagination: { limit: 20, offset, next_offset: nextOffset, next_cursor: nextOffset === null ? null : "c" },
  };
}

export function detail(n: number, payload: Record<string, unknown> = EXAMPLE_TRACE) {
  return { ...stored(n), payload };
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
