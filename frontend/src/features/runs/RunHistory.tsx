import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { comparePath, MAX_COMPARE, MIN_COMPARE, toggleSelection } from "./compare";
import { RUN_PAGE_SIZE, useRunList } from "./queries";
import { hasFilters, isLive, readListQuery, RUN_POLL_INTERVAL_MS, withListQuery, type RunListQuery } from "./history";
import { nextSort, RUN_COLUMNS, sortRuns, useRunColumns, type RunSort } from "./runColumns";
import { RunFilters, ViewSwitch, type FilterChange } from "./RunFilters";
import { ColumnChooser, RunTable, type Selection } from "./RunTable";

const NO_FILTERS: FilterChange = { status: null, datasetKey: null, tag: null, q: null };

function emptyText(query: RunListQuery): string {
  if (query.offset > 0) return "No runs on this page.";
  if (hasFilters(query)) return "No run matches these filters.";
  if (query.view === "training") return "No training runs yet — train one with the form above (dry runs are under Dry runs).";
  if (query.view === "dry-runs") return "No dry runs yet.";
  return "No runs yet — start one with the form above.";
}

function CompareBar({ selection, onClear }: { selection: Selection; onClear: () => void }) {
  const navigate = useNavigate();
  const { selected } = selection;
  return (
    <div className="compare-bar" role="group" aria-label="Compare runs" data-testid="run:compare-bar">
      <span className="muted small" data-testid="run:selected-count">
        {selected.length}/{MAX_COMPARE} selected
        {selected.length < MIN_COMPARE && ` — tick ${MIN_COMPARE} to ${MAX_COMPARE} training runs to compare them`}
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
        <button type="button" className="link-button" onClick={onClear} data-testid="run:clear-selection">
          Clear selection
        </button>
      )}
    </div>
  );
}

function SortNote({ sort, count, onReset }: { sort: RunSort | null; count: number; onReset: () => void }) {
  if (sort === null) {
    return (
      <p className="muted small sort-note" data-testid="run:sort-note">
        Newest first. A figure&apos;s header sorts the runs loaded on this page.
      </p>
    );
  }
  const label = RUN_COLUMNS.find((column) => column.id === sort.key)?.label.toLowerCase() ?? sort.key;
  return (
    <p className="muted small sort-note" data-testid="run:sort-note">
      Sorted by {label} ({sort.descending ? "highest" : "lowest"} first) among the {count} runs loaded; other pages are
      not included.{" "}
      <button type="button" className="link-button" onClick={onReset} data-testid="run:sort-reset">
        Newest first
      </button>
    </p>
  );
}

/**
 * Every recorded run, newest first, filtered and paged through the URL (training runs
 * unless asked otherwise); live while a run is. `expectLive`: a run submitted from this page is
 * in flight (a sync run is recorded as running when its request starts, and answered only at its end).
 */
export function RunHistory({ expectLive = false }: { expectLive?: boolean }) {
  const [searchParams, setSearchParams] = useSearchParams();
  const query = readListQuery(searchParams);
  const list = useRunList(query, { expectLive });
  const columns = useRunColumns();
  const [sorted, setSorted] = useState<RunSort | null>(null);
  // Kept across pages and filters: runs can be picked from anywhere in the history.
  const [selected, setSelected] = useState<string[]>([]);
  const selection: Selection = { selected, onToggle: (runId) => setSelected((current) => toggleSelection(current, runId)) };

  /** Applies `change` to the filters as the URL holds them now; any change but a page's goes to the first page. */
  function update(change: Partial<RunListQuery>) {
    setSearchParams((current) => withListQuery(current, { ...readListQuery(current), offset: 0, ...change }));
  }

  const page = list.data;
  const sort = sorted !== null && columns.shown.includes(sorted.key) ? sorted : null;
  const runs = sortRuns(page?.data ?? [], sort);
  const nextOffset = page?.pagination.next_offset ?? null;
  const live = expectLive || runs.some((run) => isLive(run.status));
  // A dry run only checks: it has no loss or score to compare.
  const comparing = query.view !== "dry-runs";

  return (
    <section className="card" aria-labelledby="run-history-title" data-testid="run:history">
      <div className="card-header">
        <h2 id="run-history-title">Run history</h2>
        <div className="actions">
          {live && (
            <span className="muted small live-note" data-testid="run:list-live">
              <span className="spinner small-spinner" aria-hidden="true" />
              Refreshing every {RUN_POLL_INTERVAL_MS / 1000} s while a run is pending or running
            </span>
          )}
          <ColumnChooser shown={columns.shown} onToggle={columns.toggle} />
        </div>
      </div>
      <ViewSwitch view={query.view} onChange={(view) => update({ view })} />
      <RunFilters query={query} onChange={update} />
      {comparing && <CompareBar selection={selection} onClear={() => setSelected([])} />}

      {list.isError && (
        <ErrorMessage
          error={list.error}
          title={page ? "Could not refresh the runs (retrying less often)" : "Could not load the runs"}
        />
      )}
      {list.isPending && <p className="muted">Loading runs…</p>}
      {page && runs.length === 0 && (
        <p className="muted" data-testid="run:list-empty">
          {emptyText(query)}{" "}
          {hasFilters(query) && (
            <button type="button" className="link-button" onClick={() => update(NO_FILTERS)}>
              Clear filters
            </button>
          )}
        </p>
      )}
      {runs.length > 0 && (
        <>
          <SortNote sort={sort} count={runs.length} onReset={() => setSorted(null)} />
          <RunTable
            runs={runs}
            busy={list.isPlaceholderData}
            columns={columns.shown}
            selection={comparing ? selection : null}
            mixed={query.view === "all"}
            tag={query.tag}
            onTag={(tag) => update({ tag })}
            sort={sort}
            onSort={(key) => setSorted(nextSort(sort, key))}
          />
        </>
      )}

      <nav className="pager" aria-label="Run pages">
        <button
          type="button"
          disabled={query.offset === 0}
          onClick={() => update({ offset: Math.max(0, query.offset - RUN_PAGE_SIZE) })}
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
          onClick={() => nextOffset !== null && update({ offset: nextOffset })}
          data-testid="run:next-page"
        >
          Next →
        </button>
      </nav>
    </section>
  );
}
