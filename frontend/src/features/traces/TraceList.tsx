import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { formatLocalTime, shortId } from "./payload";
import { TRACE_PAGE_SIZE, useTraceList } from "./queries";

const COMPARE_COUNT = 2;

function readOffset(value: string | null): number {
  const offset = Number(value);
  return Number.isInteger(offset) && offset > 0 ? offset : 0;
}

/** Stored traces, newest first, 20 a page; pick two to compare. */
export function TraceList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const offset = readOffset(searchParams.get("offset"));
  const list = useTraceList(offset);
  const [selected, setSelected] = useState<string[]>([]);
  const navigate = useNavigate();

  function goTo(nextOffset: number) {
    setSearchParams(nextOffset > 0 ? { offset: String(nextOffset) } : {});
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

      {list.isError && <ErrorMessage error={list.error} title="Could not load traces" />}
      {list.isPending && <p className="muted">Loading traces…</p>}
      {page && rows.length === 0 && (
        <p className="muted">{offset > 0 ? "No traces on this page." : "No traces yet — paste one above."}</p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table data-testid="trace:list" aria-busy={list.isFetching}>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Compare</span>
                </th>
                <th scope="col">ID</th>
                <th scope="col">Created</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((trace) => (
                <tr key={trace.id} data-testid="trace:row" className={selected.includes(trace.id) ? "selected" : undefined}>
                  <td className="select-cell">
                    <input
                      type="checkbox"
                      checked={selected.includes(trace.id)}
                      onChange={() => toggle(trace.id)}
                      aria-label={`Select trace ${shortId(trace.id)} to compare`}
                      data-testid="trace:compare-select"
                    />
                  </td>
                  <td>
                    <Link to={`/traces/${trace.id}`} title={trace.id} className="mono">
                      {shortId(trace.id)}
                    </Link>
                  </td>
                  <td>
                    <time dateTime={trace.created_at}>{formatLocalTime(trace.created_at)}</time>
                  </td>
                  <td className="mono">{trace.trace_version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <nav className="pager" aria-label="Trace pages">
        <button
          type="button"
          disabled={offset === 0}
          onClick={() => goTo(Math.max(0, offset - TRACE_PAGE_SIZE))}
          data-testid="trace:prev-page"
        >
          ← Previous
        </button>
        <span className="muted small">
          {rows.length > 0 ? `${offset + 1}–${offset + rows.length}` : ""}
        </span>
        <button
          type="button"
          disabled={nextOffset === null || list.isPlaceholderData}
          onClick={() => nextOffset !== null && goTo(nextOffset)}
          data-testid="trace:next-page"
        >
          Next →
        </button>
      </nav>
    </section>
  );
}
