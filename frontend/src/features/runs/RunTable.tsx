import { useEffect, useRef, type ReactNode } from "react";
import { Link } from "react-router";
import { datasetPath } from "../datasets/manifest";
import { formatLocalTime } from "../traces/payload";
import { MAX_COMPARE } from "./compare";
import { hasStarted, runName, runPath, shortRunId } from "./history";
import type { RunSummary } from "./queries";
import {
  figureText,
  RUN_COLUMNS,
  SORT_COLUMNS,
  stepsText,
  type RunColumnId,
  type RunSort,
  type RunSortKey,
} from "./runColumns";
import { RunRowProgress } from "./RunRowProgress";
import { formatSeconds } from "./runOutput";
import { RunStatusBadge } from "./RunStatusBadge";
import { TagFilterChips } from "./RunTags";

export type Selection = { selected: string[]; onToggle: (runId: string) => void };

type TableOptions = {
  columns: readonly RunColumnId[];
  /** Null: no compare boxes (the dry runs view: a dry run has no results to compare). */
  selection: Selection | null;
  /** Dry and training runs are listed together: the dry ones say so. */
  mixed: boolean;
  tag: string | null;
  onTag: (tag: string | null) => void;
};

const SPECS = new Map(RUN_COLUMNS.map((column) => [column.id, column]));

/** `num` for figures; `col-wide` for the columns a phone leaves out. */
function columnClass(id: RunColumnId): string | undefined {
  const spec = SPECS.get(id);
  return [spec?.numeric ? "num" : "", spec?.narrow ? "" : "col-wide"].filter(Boolean).join(" ") || undefined;
}

const ABSENT = <span className="muted">—</span>;

function Started({ run }: { run: RunSummary }) {
  if (!hasStarted(run)) {
    return <span className="muted">{run.status === "pending" ? "queued" : "never"}</span>;
  }
  return <time dateTime={run.started_at}>{formatLocalTime(run.started_at)}</time>;
}

function cellContent(id: RunColumnId, run: RunSummary): ReactNode {
  switch (id) {
    case "dataset":
      return (
        <Link to={datasetPath(run.dataset_key)} className="mono">
          {run.dataset_key}
        </Link>
      );
    case "model":
      return run.model_id;
    case "steps":
      return stepsText(run) ?? ABSENT;
    case "learningRate":
    case "finalLoss":
    case "evalLoss":
    case "exactMatch":
      return figureText(run, id) ?? ABSENT;
    case "attempt":
      return run.attempt > 0 ? run.attempt : ABSENT;
    case "started":
      return <Started run={run} />;
    case "duration":
      return run.duration_seconds === null ? ABSENT : formatSeconds(run.duration_seconds);
  }
}

function Cell({ id, run }: { id: RunColumnId; run: RunSummary }) {
  const model = id === "model";
  return (
    <td
      className={[columnClass(id), model ? "mono truncate" : ""].filter(Boolean).join(" ")}
      title={model ? run.model_id : undefined}
      data-column={id}
    >
      {cellContent(id, run)}
    </td>
  );
}

function CompareBox({ run, selection }: { run: RunSummary; selection: Selection }) {
  if (run.mode === "dry-run") return <td className="select-cell" />;
  const checked = selection.selected.includes(run.run_id);
  const full = !checked && selection.selected.length >= MAX_COMPARE;
  return (
    <td className="select-cell">
      <input
        type="checkbox"
        checked={checked}
        disabled={full}
        onChange={() => selection.onToggle(run.run_id)}
        aria-label={`Compare run ${runName(run)}`}
        title={full ? `At most ${MAX_COMPARE} runs can be compared` : undefined}
        data-testid="run:select"
      />
    </td>
  );
}

/** The run's name (or short id) linking to its page, its tags, and whether it was a dry run. */
function RunCell({ run, options }: { run: RunSummary; options: TableOptions }) {
  return (
    <td className="run-cell">
      <div className="run-name-line">
        <Link
          to={runPath(run.run_id)}
          className={run.name === null ? "mono" : "run-name"}
          title={run.run_id}
          aria-label={run.name === null ? `Run ${run.run_id}` : `${run.name} (run ${run.run_id})`}
          data-testid="run:row-name"
        >
          {runName(run)}
        </Link>
        {run.name !== null && <span className="mono muted small">{shortRunId(run.run_id)}</span>}
        {options.mixed && run.mode === "dry-run" && <span className="pill dry-run-pill">dry run</span>}
      </div>
      {run.tags.length > 0 && <TagFilterChips tags={run.tags} active={options.tag} onPick={options.onTag} />}
    </td>
  );
}

function RunRow({ run, options }: { run: RunSummary; options: TableOptions }) {
  const selected = options.selection?.selected.includes(run.run_id) ?? false;
  return (
    <tr
      data-testid="run:row"
      data-run-id={run.run_id}
      data-status={run.status}
      data-mode={run.mode}
      className={selected ? "selected" : undefined}
    >
      {options.selection && <CompareBox run={run} selection={options.selection} />}
      <RunCell run={run} options={options} />
      {/* Why it failed, timed out, was cancelled or re-queued: on hover, the page has it in full. */}
      <td className="status-cell" title={run.error ?? undefined}>
        <RunStatusBadge status={run.status} testId="run:row-status" />
        <RunRowProgress run={run} />
      </td>
      {options.columns.map((id) => (
        <Cell key={id} id={id} run={run} />
      ))}
    </tr>
  );
}

type SortProps = { sort: RunSort | null; onSort: (key: RunSortKey) => void };

function ColumnHeader({ id, sort, onSort }: { id: RunColumnId } & SortProps) {
  const label = SPECS.get(id)?.label ?? id;
  const key = SORT_COLUMNS[id];
  if (key === null) {
    return (
      <th scope="col" className={columnClass(id)}>
        {label}
      </th>
    );
  }
  const active = sort?.key === key;
  return (
    <th scope="col" className={columnClass(id)} aria-sort={active ? (sort.descending ? "descending" : "ascending") : "none"}>
      <button type="button" className="sort-button" onClick={() => onSort(key)} data-testid={`run:sort-${id}`}>
        {label}
        <span aria-hidden="true" className="sort-arrow">
          {active ? (sort.descending ? "▼" : "▲") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** The loaded runs, in the order given, with the chosen columns. */
export function RunTable({ runs, busy, ...props }: { runs: RunSummary[]; busy: boolean } & TableOptions & SortProps) {
  const { sort, onSort, ...options } = props;
  return (
    <div className="table-wrap">
      <table className="run-table" data-testid="run:list" aria-busy={busy}>
        <thead>
          <tr>
            {options.selection && (
              <th scope="col" className="select-cell">
                <span className="visually-hidden">Compare</span>
              </th>
            )}
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            {options.columns.map((id) => (
              <ColumnHeader key={id} id={id} sort={sort} onSort={onSort} />
            ))}
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <RunRow key={run.run_id} run={run} options={options} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Which optional columns show; remembered by this browser. Closes on a click elsewhere. */
export function ColumnChooser({ shown, onToggle }: { shown: readonly RunColumnId[]; onToggle: (id: RunColumnId) => void }) {
  const chooser = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    function closeOutside(event: PointerEvent) {
      const details = chooser.current;
      if (details?.open && event.target instanceof Node && !details.contains(event.target)) details.open = false;
    }
    document.addEventListener("pointerdown", closeOutside);
    return () => document.removeEventListener("pointerdown", closeOutside);
  }, []);
  return (
    <details className="column-chooser" ref={chooser} data-testid="run:columns">
      <summary>Columns</summary>
      <fieldset>
        <legend className="visually-hidden">Columns shown</legend>
        {RUN_COLUMNS.map((column) => (
          <label key={column.id} className="inline-check">
            <input
              type="checkbox"
              checked={shown.includes(column.id)}
              onChange={() => onToggle(column.id)}
              data-testid={`run:column-${column.id}`}
            />
            {column.label}
          </label>
        ))}
        <p className="hint">A narrow screen shows the run, its status and final loss.</p>
      </fieldset>
    </details>
  );
}
