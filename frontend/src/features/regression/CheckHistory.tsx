import { useId, useState } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { runPath, shortRunId } from "../runs/history";
import { formatLocalTime } from "../traces/payload";
import { useChecks } from "./queries";
import {
  CHECK_PAGE_SIZE,
  formatChange,
  formatPercentChange,
  formatPValue,
  formatValue,
  metricLabel,
  type CheckSummary,
} from "./regression";
import { CheckVerdict } from "./VerdictBadge";

function CheckRow({ check, selected, href }: { check: CheckSummary; selected: boolean; href: string }) {
  return (
    <tr className={selected ? "selected" : undefined} data-testid="regression:check-row" data-check-id={check.id} data-verdict={check.verdict}>
      <td>
        <time dateTime={check.created_at}>{formatLocalTime(check.created_at)}</time>
      </td>
      <td>
        <span className="mono">{check.baseline_name}</span> <span className="muted small">v{check.baseline_version}</span>
      </td>
      <td>
        <Link to={runPath(check.run_id)} className="mono" title={check.run_id}>
          {shortRunId(check.run_id)}
        </Link>
      </td>
      <td>{metricLabel(check.metric_name)}</td>
      <td className="num">
        {formatValue(check.baseline_value)} → {check.current_value === null ? "—" : formatValue(check.current_value)}
      </td>
      <td className="num">
        {check.delta === null ? "—" : formatChange(check.delta)}
        {check.delta_percent !== null && <span className="muted small"> ({formatPercentChange(check.delta_percent)})</span>}
      </td>
      <td>
        <CheckVerdict verdict={check.verdict} testId="regression:check-verdict" />
      </td>
      <td className="num">{check.p_value === null ? "—" : formatPValue(check.p_value)}</td>
      <td>
        <Link to={href} className="button-link" aria-current={selected ? "true" : undefined} data-testid="regression:check-open">
          {selected ? "Shown" : "Open"}
        </Link>
      </td>
    </tr>
  );
}

type CheckHistoryProps = {
  /** Only this baseline's checks (null: all). */
  baseline: string | null;
  /** The baselines to filter by (a deleted one's checks stay: the filter keeps it). */
  baselineNames: string[];
  onFilter: (baseline: string | null) => void;
  /** The check shown above, marked in the list. */
  shownId: string | null;
  /** The link that shows a check. */
  checkHref: (checkId: string) => string;
};

/** The stored checks, newest first, of one baseline or all; each opens its full report. */
export function CheckHistory({ baseline, baselineNames, onFilter, shownId, checkHref }: CheckHistoryProps) {
  const id = useId();
  const [page, setPage] = useState({ baseline, offset: 0 });
  // A new filter starts from the first page.
  const offset = page.baseline === baseline ? page.offset : 0;
  const checks = useChecks({ baseline, offset });
  const rows = checks.data?.data ?? [];
  const nextOffset = checks.data?.pagination.next_offset ?? null;
  const names = baseline !== null && !baselineNames.includes(baseline) ? [baseline, ...baselineNames] : baselineNames;

  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid="regression:checks">
      <div className="card-header">
        <h2 id={`${id}-title`}>Check history</h2>
        <div className="inline-filter">
          <label htmlFor={`${id}-filter`} className="inline-label">
            Baseline
          </label>
          <select
            id={`${id}-filter`}
            value={baseline ?? ""}
            onChange={(event) => onFilter(event.target.value || null)}
            data-testid="regression:checks-filter"
          >
            <option value="">All baselines</option>
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {checks.isError && <ErrorMessage error={checks.error} title={checks.data ? "Could not refresh the checks" : "Could not load the checks"} />}
      {checks.isPending && <p className="muted">Loading the checks…</p>}
      {checks.data && rows.length === 0 && (
        <p className="muted" data-testid="regression:checks-empty">
          {offset > 0 ? "No checks on this page." : baseline ? `No run has been checked against ${baseline} yet.` : "No checks yet."}
        </p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="checks-table" aria-busy={checks.isPlaceholderData}>
            <thead>
              <tr>
                <th scope="col">Checked</th>
                <th scope="col">Baseline</th>
                <th scope="col">Run</th>
                <th scope="col">Metric</th>
                <th scope="col" className="num">
                  Baseline → current
                </th>
                <th scope="col" className="num">
                  Delta
                </th>
                <th scope="col">Verdict</th>
                <th scope="col" className="num">
                  p
                </th>
                <th scope="col">
                  <span className="visually-hidden">Report</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((check) => (
                <CheckRow key={check.id} check={check} selected={check.id === shownId} href={checkHref(check.id)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {(offset > 0 || nextOffset !== null) && (
        <nav className="pager" aria-label="Check history pages">
          <button
            type="button"
            disabled={offset === 0}
            onClick={() => setPage({ baseline, offset: Math.max(0, offset - CHECK_PAGE_SIZE) })}
            data-testid="regression:checks-prev"
          >
            ← Newer
          </button>
          <button
            type="button"
            disabled={nextOffset === null || checks.isPlaceholderData}
            onClick={() => nextOffset !== null && setPage({ baseline, offset: nextOffset })}
            data-testid="regression:checks-next"
          >
            Older →
          </button>
        </nav>
      )}
    </section>
  );
}
