import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { hasFilters, listSearchParams, readListQuery, type TraceListQuery } from "./listQuery";
import { formatLocalTime, formatScore, shortId } from "./payload";
import { TRACE_PAGE_SIZE, useTraceList, type TraceSummary } from "./queries";
import { TraceFilters, type TraceFilterChange } from "./TraceFilters";

const COMPARE_COUNT = 2;
// The server cuts previews at 160 characters: a preview that long may go on.
const PREVIEW_CHARS = 160;

function preview(text: string): string {
  return text.length >= PREVIEW_CHARS ? `${text}…` : text;
}

function TraceRow({ trace, selected, onToggle }: { trace: TraceSummary; selected: boolean; onToggle: () => void }) {
  return (
    <tr data-testid="trace:row" className={selected ? "selected" : undefined}>
      <td className="select-cell">
        <input
          type="checkbox"
          checked={selected}
          onChange={onToggle}
          aria-label={`Select trace ${shortId(trace.id)} to compare`}
          data-testid="trace:compare-select"
        />
      </td>
      <td className="trace-text">
        <Link to={`/traces/${trace.id}`} title={trace.prompt_preview} data-testid="trace:prompt">
          {preview(trace.prompt_preview)}
        </Link>
      </td>
      <td className="trace-text" title={trace.final_answer_preview} data-testid="trace:answer">
        {preview(trace.final_answer_preview)}
      </td>
      <td data-testid="trace:source">{trace.source ?? <span className="muted">—</span>}</td>
      <td className="num" data-testid="trace:score">
        {trace.score === null ? <span className="muted">—</span> : formatScore(trace.score)}
      </td>
      <td>
        <time dateTime={trace.created_at}>{formatLocalTime(trace.created_at)}</time>
      </td>
      <td className="mono small" title={trace.id}>
        {shortId(trace.id)}
      </td>
    </tr>
  );
}

/** Stored traces, newest first, 20 a page, searched and filtered; pick two to compare. */
export function TraceList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const query = readListQuery(searchParams);
  const list = useTraceList(query);
  const [selected, setSelected] = useState<string[]>([]);
  const navigate = useNavigate();

  function show(next: TraceListQuery, replace = false) {
    setSearchParams(listSearchParams(next), { replace });
  }

  function filter(change: TraceFilterChange) {
    // Typing replaces the history entry: Back leaves the search, not each pause in it.
    show({ ...query, ...change, offset: 0 }, "q" in change);
  }

  function toggle(id: string) {
    setSelected((current) =>
      current.includes(id) ? current.filter((x) => x !== id) : [...current, id].slice(-COMPARE_COUNT),
    );
  }

  function compare() {
    const [base, other] = selected;
    if (base && other) navigate(`/traces/compare?${new URLSearchParams({ base, other }).toString()}`);
  }

  const page = list.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;
  const offset = query.offset;
  const empty = hasFilters(query)
    ? "No traces match these filters."
    : offset > 0
      ? "No traces on this page."
      : "No traces yet — paste one or import files above.";

  return (
    <section className="card" aria-labelledby="trace-list-title">
      <div className="card-header">
        <h2 id="trace-list-title">Traces</h2>
        <div className="actions">
          <span className="muted small">
            {selected.length}/{COMPARE_COUNT} selected
          </span>
          <button
            type="button"
            className="primary"
            disabled={selected.length !== COMPARE_COUNT}
            onClick={compare}
            data-testid="trace:compare-button"
          >
            Compare selected
          </button>
        </div>
      </div>

      <TraceFilters query={query} onChange={filter} />

      {list.isError && <ErrorMessage error={list.error} title="Could not load traces" />}
      {list.isPending && <p className="muted">Loading traces…</p>}
      {page && rows.length === 0 && (
        <p className="muted" data-testid="trace:empty">
          {empty}
        </p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="trace-table" data-testid="trace:list" aria-busy={list.isFetching}>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Compare</span>
                </th>
                <th scope="col">Prompt</th>
                <th scope="col">Final answer</th>
                <th scope="col">Source</th>
                <th scope="col" className="num">
                  Score
                </th>
                <th scope="col">Created</th>
                <th scope="col">ID</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((trace) => (
                <TraceRow
                  key={trace.id}
                  trace={trace}
                  selected={selected.includes(trace.id)}
                  onToggle={() => toggle(trace.id)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}

      <nav className="pager" aria-label="Trace pages">
        <button
          type="button"
          disabled={offset === 0}
          onClick={() => show({ ...query, offset: Math.max(0, offset - TRACE_PAGE_SIZE) })}
          data-testid="trace:prev-page"
        >
          ← Previous
        </button>
        <span className="muted small">{rows.length > 0 ? `${offset + 1}–${offset + rows.length}` : ""}</span>
        <button
          type="button"
          disabled={nextOffset === null || list.isPlaceholderData}
          onClick={() => nextOffset !== null && show({ ...query, offset: nextOffset })}
          data-testid="trace:next-page"
        >
          Next →
        </button>
      </nav>
    </section>
  );
}
