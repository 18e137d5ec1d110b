import { useId, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { Field } from "../../ui/Field";
import { datasetPath } from "../datasets/manifest";
import { formatLocalTime } from "../traces/payload";
import { comparePath, MAX_COMPARE, MIN_COMPARE, toggleSelection } from "./compare";
import { RUN_PAGE_SIZE, useRunDatasets, useRunList, type RunSummary } from "./queries";
import {
  hasFilters,
  hasStarted,
  isLive,
  readListQuery,
  RUN_MODES,
  RUN_POLL_INTERVAL_MS,
  RUN_STATES,
  runPath,
  shortRunId,
  withListQuery,
  type RunListQuery,
} from "./history";
import { RunStatusBadge } from "./RunStatusBadge";
import { formatSeconds } from "./runOutput";

const FILTER_ERROR_TEST_ID = "run:filter-error";
const NO_FILTERS: RunListQuery = { status: null, mode: null, datasetKey: null, offset: 0 };

type FiltersProps = { query: RunListQuery; onChange: (query: RunListQuery) => void };

/** Status, mode and dataset selects; any change goes back to the first page. */
function HistoryFilters({ query, onChange }: FiltersProps) {
  const datasets = useRunDatasets();
  const id = useId();
  const keys = (datasets.data?.data ?? []).map((d) => d.dataset_key);
  // A key from the URL that is not among the newest datasets stays choosable.
  if (query.datasetKey !== null && !keys.includes(query.datasetKey)) keys.unshift(query.datasetKey);

  function set(change: Partial<RunListQuery>) {
    onChange({ ...query, ...change, offset: 0 });
  }

  return (
    <div className="form-grid run-filters" role="group" aria-label="Filters" data-testid="run:filters">
      <Field id={`${id}-status`} label="Status" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-status`}
          value={query.status ?? ""}
          onChange={(event) => set({ status: RUN_STATES.find((s) => s === event.target.value) ?? null })}
          data-testid="run:filter-status"
        >
          <option value="">Any status</option>
          {RUN_STATES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-mode`} label="Mode" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-mode`}
          value={query.mode ?? ""}
          onChange={(event) => set({ mode: RUN_MODES.find((m) => m === event.target.value) ?? null })}
          data-testid="run:filter-mode"
        >
          <option value="">Any mode</option>
          {RUN_MODES.map((mode) => (
            <option key={mode} value={mode}>
              {mode}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${id}-dataset`} label="Dataset" errorTestId={FILTER_ERROR_TEST_ID}>
        <select
          id={`${id}-dataset`}
          value={query.datasetKey ?? ""}
          onChange={(event) => set({ datasetKey: event.target.value || null })}
          data-testid="run:filter-dataset"
        >
          <option value="">Any dataset</option>
          {keys.map((key) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
        </select>
      </Field>
    </div>
  );
}

function StartedCell({ run }: { run: RunSummary }) {
  if (!hasStarted(run)) {
    return <span className="muted">{run.status === "pending" ? "queued" : "never"}</span>;
  }
  return <time dateTime={run.started_at}>{formatLocalTime(run.started_at)}</time>;
}

type Selection = { selected: string[]; onToggle: (runId: string) => void };

function RunRow({ run, selection }: { run: RunSummary; selection: Selection }) {
  const checked = selection.selected.includes(run.run_id);
  const full = !checked && selection.selected.length >= MAX_COMPARE;
  return (
    <tr data-testid="run:row" data-run-id={run.run_id} data-status={run.status} className={checked ? "selected" : undefined}>
      <td className="select-cell">
        <input
          type="checkbox"
          checked={checked}
          disabled={full}
          onChange={() => selection.onToggle(run.run_id)}
          aria-label={`Compare run ${shortRunId(run.run_id)}`}
          title={full ? `At most ${MAX_COMPARE} runs can be compared` : undefined}
          data-testid="run:select"
        />
      </td>
      <td>
        <Link to={runPath(run.run_id)} className="mono" title={run.run_id} aria-label={`Run ${run.run_id}`}>
          {shortRunId(run.run_id)}
        </Link>
      </td>
      <td>
        <Link to={datasetPath(run.dataset_key)} className="mono">
          {run.dataset_key}
        </Link>
      </td>
      <td className="mono truncate" title={run.model_id}>
        {run.model_id}
      </td>
      <td>{run.mode}</td>
      {/* Why it failed, timed out, was cancelled or re-queued: on hover, the page has it in full. */}
      <td title={run.error ?? undefined}>
        <RunStatusBadge status={run.status} testId="run:row-status" />
      </td>
      <td className="num">{run.attempt > 0 ? run.attempt : <span className="muted">—</span>}</td>
      <td>
        <StartedCell run={run} />
      </td>
      <td className="num">
        {run.duration_seconds === null ? <span className="muted">—</span> : formatSeconds(run.duration_seconds)}
      </td>
    </tr>
  );
}

function RunTable({ runs, busy, selection }: { runs: RunSummary[]; busy: boolean; selection: Selection }) {
  return (
    <div className="table-wrap">
      <table data-testid="run:list" aria-busy={busy}>
        <thead>
          <tr>
            <th scope="col" className="select-cell">
              <span className="visually-hidden">Compare</span>
            </th>
            <th scope="col">Run</th>
            <th scope="col">Dataset</th>
            <th scope="col">Model</th>
            <th scope="col">Mode</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Attempt
            </th>
            <th scope="col">Started</th>
            <th scope="col" className="num">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <RunRow key={run.run_id} run={run} selection={selection} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Every recorded run, newest first, filtered and paged through the URL; live while a run
 * is. `expectLive`: a run submitted from this page is in flight (a sync run is recorded
 * as running when its request starts, and answered only at its end).
 */
export function RunHistory({ expectLive = false }: { expectLive?: boolean }) {
  const [searchParams, setSearchParams] = useSearchParams();
  const query = readListQuery(searchParams);
  const list = useRunList(query, { expectLive });
  // Kept across pages and filters: runs can be picked from anywhere in the history.
  const [selected, setSelected] = useState<string[]>([]);
  const navigate = useNavigate();
  const selection: Selection = { selected, onToggle: (runId) => setSelected((current) => toggleSelection(current, runId)) };

  function show(next: RunListQuery) {
    setSearchParams((current) => withListQuery(current, next));
  }

  const page = list.data;
  const runs = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;
  const live = expectLive || runs.some((run) => isLive(run.status));
  const filtered = hasFilters(query);

  return (
    <section className="card" aria-labelledby="run-history-title" data-testid="run:history">
      <div className="card-header">
        <h2 id="run-history-title">Run history</h2>
        {live && (
          <span className="muted small live-note" data-testid="run:list-live">
            <span className="spinner small-spinner" aria-hidden="true" />
            Refreshing every {RUN_POLL_INTERVAL_MS / 1000} s while a run is pending or running
          </span>
        )}
      </div>
      <HistoryFilters query={query} onChange={show} />
      <div className="compare-bar" role="group" aria-label="Compare runs" data-testid="run:compare-bar">
        <span className="muted small" data-testid="run:selected-count">
          {selected.length}/{MAX_COMPARE} selected
          {selected.length < MIN_COMPARE && ` — tick ${MIN_COMPARE} to ${MAX_COMPARE} runs to compare them`}
        </span>
        <button
          type="button"
          className="primary"
          disabled={selected.length < MIN_COMPARE}
          onClick={() => navigate(comparePath(selected))}
          data-testid="run:compare-selected"
        >
          Compare
        </button>
        {selected.length > 0 && (
          <button type="button" className="link-button" onClick={() => setSelected([])} data-testid="run:clear-selection">
            Clear selection
          </button>
        )}
      </div>

      {list.isError && (
        <ErrorMessage
          error={list.error}
          title={page ? "Could not refresh the runs (retrying less often)" : "Could not load the runs"}
        />
      )}
      {list.isPending && <p className="muted">Loading runs…</p>}
      {page && runs.length === 0 && (
        <p className="muted" data-testid="run:list-empty">
          {query.offset > 0
            ? "No runs on this page."
            : filtered
              ? "No run matches these filters."
              : "No runs yet — start one with the form above."}{" "}
          {filtered && (
            <button type="button" className="link-button" onClick={() => show(NO_FILTERS)}>
              Clear filters
            </button>
          )}
        </p>
      )}
      {runs.length > 0 && <RunTable runs={runs} busy={list.isPlaceholderData} selection={selection} />}

      <nav className="pager" aria-label="Run pages">
        <button
          type="button"
          disabled={query.offset === 0}
          onClick={() => show({ ...query, offset: Math.max(0, query.offset - RUN_PAGE_SIZE) })}
          data-testid="run:prev-page"
        >
          ← Previous
        </button>
        <span className="muted small" data-testid="run:page-range">
          {runs.length > 0 ? `${query.offset + 1}–${query.offset + runs.length}` : ""}
        </span>
        <button
          type="button"
          disabled={nextOffset === null || list.isPlaceholderData}
          onClick={() => nextOffset !== null && show({ ...query, offset: nextOffset })}
          data-testid="run:next-page"
        >
          Next →
        </button>
      </nav>
    </section>
  );
}
