import { useCallback, useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { BaselineForm } from "./BaselineForm";
import { BaselineTable } from "./BaselineTable";
import { CheckForm } from "./CheckForm";
import { CheckHistory } from "./CheckHistory";
import { CheckReportView } from "./CheckReportView";
import { useBaselines, useCheck } from "./queries";
import { BASELINE_PAGE_SIZE, REGRESSION_PARAMS, REPORT_ANCHOR, type CheckReport } from "./regression";

/** `params` with one of the page's parameters set (or removed, for null). */
function withParam(params: URLSearchParams, key: string, value: string | null): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value) next.set(key, value);
  else next.delete(key);
  return next;
}

/** The report the URL names (`?check=`), loaded once; scrolled to when it changes. */
function ShownCheck({ checkId, onClose }: { checkId: string; onClose: () => void }) {
  const check = useCheck(checkId);
  const loaded = check.isSuccess;
  useEffect(() => {
    if (loaded) document.getElementById(REPORT_ANCHOR)?.scrollIntoView?.({ block: "start", behavior: "smooth" });
  }, [loaded, checkId]);

  if (check.isPending) return <p className="muted">Loading the report…</p>;
  if (check.isError) {
    // 422: not a UUID, so no check can have it.
    const missing = isApiError(check.error) && (check.error.status === 404 || check.error.status === 422);
    return (
      <section className="card" data-testid="regression:report-error">
        {missing ? (
          <p className="error">
            No check has the id <code>{checkId}</code>.{" "}
            <button type="button" className="link-button" onClick={onClose}>
              Close
            </button>
          </p>
        ) : (
          <ErrorMessage error={check.error} title="Could not load the report" />
        )}
      </section>
    );
  }
  return <CheckReportView report={check.data} />;
}

/**
 * Regression gates: the baselines (their history, delete), a form to set one, a form to
 * check a run against one with its report, and the stored checks. The report shown and
 * the history's filter live in the URL, so a report can be linked to.
 */
export function RegressionPage() {
  const [params, setParams] = useSearchParams();
  const checkId = params.get(REGRESSION_PARAMS.check);
  const filter = params.get(REGRESSION_PARAMS.baseline);
  const runId = params.get(REGRESSION_PARAMS.run) ?? "";
  const [offset, setOffset] = useState(0);
  const baselines = useBaselines(offset);

  const setParam = useCallback(
    (key: string, value: string | null) => setParams((current) => withParam(current, key, value), { preventScrollReset: true }),
    [setParams],
  );
  const onChecked = useCallback((report: CheckReport) => setParam(REGRESSION_PARAMS.check, report.id), [setParam]);
  const checkHref = (id: string) => `?${withParam(params, REGRESSION_PARAMS.check, id).toString()}`;

  const page = baselines.data;
  const rows = page?.data ?? [];
  const nextOffset = page?.pagination.next_offset ?? null;

  return (
    <div className="stack regression-page">
      <section className="card" aria-labelledby="regression-title" data-testid="regression:page">
        <div className="card-header">
          <h1 id="regression-title">Regression gates</h1>
          <Link to="/leaderboard" className="small">
            Leaderboard →
          </Link>
        </div>
        <p className="muted small">
          A baseline pins a run's evaluation. A check compares another run's evaluation with it item by item:{" "}
          <strong>fail</strong> when the run is significantly worse by more than the margin, <strong>pass</strong> when the
          95% interval of the change stays within it, <strong>inconclusive</strong> when the data cannot tell or the
          evaluations are not comparable.
        </p>
        <h2>Baselines</h2>
        {baselines.isError && (
          <ErrorMessage error={baselines.error} title={page ? "Could not refresh the baselines" : "Could not load the baselines"} />
        )}
        {baselines.isPending && <p className="muted">Loading the baselines…</p>}
        {page && rows.length === 0 && (
          <p className="muted" data-testid="regression:baselines-empty">
            {offset > 0 ? "No baselines on this page." : "No baselines yet: set one below from a completed, evaluated run."}
          </p>
        )}
        {rows.length > 0 && <BaselineTable baselines={rows} busy={baselines.isPlaceholderData} />}
        {(offset > 0 || nextOffset !== null) && (
          <nav className="pager" aria-label="Baseline pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - BASELINE_PAGE_SIZE))}>
              ← Previous
            </button>
            <button type="button" disabled={nextOffset === null || baselines.isPlaceholderData} onClick={() => nextOffset !== null && setOffset(nextOffset)}>
              Next →
            </button>
          </nav>
        )}
      </section>
      <div className="regression-forms">
        <BaselineForm runId={runId} />
        <CheckForm baselines={rows} loading={baselines.isPending} runId={runId} onChecked={onChecked} />
      </div>
      {checkId !== null && <ShownCheck key={checkId} checkId={checkId} onClose={() => setParam(REGRESSION_PARAMS.check, null)} />}
      <CheckHistory
        baseline={filter}
        baselineNames={rows.map((b) => b.name)}
        onFilter={(name) => setParam(REGRESSION_PARAMS.baseline, name)}
        shownId={checkId}
        checkHref={checkHref}
      />
    </div>
  );
}
