import { useState } from "react";
import { Link } from "react-router";
import { runPath, shortRunId } from "../runs/history";
import { TuningStatusBadge } from "./TuningStatusBadge";
import {
  bestFirst,
  formatMetric,
  formatValue,
  paramColumns,
  sortTrials,
  trialNumbers,
  type TrialSort,
  type TrialSortKey,
  type TuningJobDetail,
} from "./tuning";

function SortHeader({
  label,
  sortKey,
  sort,
  onSort,
  className,
}: {
  label: string;
  sortKey: TrialSortKey;
  sort: TrialSort;
  onSort: (key: TrialSortKey) => void;
  className?: string;
}) {
  const active = sort.key === sortKey;
  return (
    <th scope="col" className={className} aria-sort={active ? (sort.descending ? "descending" : "ascending") : "none"}>
      <button type="button" className="sort-button" onClick={() => onSort(sortKey)} data-testid={`tuning:sort-${sortKey}`}>
        {label}
        <span aria-hidden="true" className="sort-arrow">
          {active ? (sort.descending ? "▼" : "▲") : "↕"}
        </span>
      </button>
    </th>
  );
}

/**
 * Every trial so far: its number (the order it began in), state, the settings it drew
 * (a column each), its metric, the last step it reported, its run and any error. Best
 * first; sorted by the metric or the trial's number when a header is clicked.
 */
export function TrialsTable({ job }: { job: TuningJobDetail }) {
  const [sort, setSort] = useState<TrialSort>(() => bestFirst(job.metric_mode));
  const columns = paramColumns(job);
  const numbers = trialNumbers(job.trials);
  const trials = sortTrials(job.trials, sort);

  function onSort(key: TrialSortKey) {
    setSort((current) =>
      current.key === key
        ? { key, descending: !current.descending }
        : key === "metric"
          ? bestFirst(job.metric_mode)
          : { key, descending: false },
    );
  }

  if (job.trials.length === 0) {
    return (
      <p className="muted" data-testid="tuning:no-trials">
        {job.status === "created"
          ? "No trials yet: start the study."
          : job.status === "pending"
            ? "No trials yet: the study is waiting for a worker."
            : job.status === "running"
              ? "No trials yet: the first ones are starting."
              : "No trials ran."}
      </p>
    );
  }

  return (
    <div className="table-wrap">
      <table className="trials" data-testid="tuning:trials-table">
        <thead>
          <tr>
            <SortHeader label="#" sortKey="created" sort={sort} onSort={onSort} className="num" />
            <th scope="col">Status</th>
            {columns.map((key) => (
              <th key={key} scope="col" className="mono param-col" data-testid="tuning:param-header">
                {key}
              </th>
            ))}
            <SortHeader label={job.metric_name} sortKey="metric" sort={sort} onSort={onSort} className="num" />
            <th scope="col" className="num">
              Step
            </th>
            <th scope="col">Run</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {trials.map((trial) => {
            const best = trial.run_id !== null && trial.run_id === job.best_run_id;
            return (
              <tr
                key={trial.id}
                className={best ? "best-trial" : undefined}
                data-testid="tuning:trial"
                data-trial-key={trial.trial_key}
                data-status={trial.status}
                data-best={best || undefined}
              >
                <td className="num" title={trial.trial_key}>
                  {numbers.get(trial.id)}
                </td>
                <td>
                  <TuningStatusBadge status={trial.status} testId="tuning:trial-status" />
                  {best && (
                    <span className="pill best-pill" data-testid="tuning:best-mark">
                      best
                    </span>
                  )}
                </td>
                {columns.map((key) => (
                  <td key={key} className="mono" data-param={key}>
                    {formatValue(trial.params[key])}
                  </td>
                ))}
                <td className="num" data-testid="tuning:trial-metric">
                  {trial.metric_value === null ? <span className="muted">—</span> : formatMetric(trial.metric_value)}
                </td>
                <td className="num">{trial.stopped_step ?? <span className="muted">—</span>}</td>
                <td>
                  {trial.run_id ? (
                    <Link to={runPath(trial.run_id)} className="mono" aria-label={`Run ${trial.run_id}`} data-testid="tuning:trial-run">
                      {shortRunId(trial.run_id)}
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="trial-error" data-testid="tuning:trial-error">
                  {trial.error ?? ""}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
