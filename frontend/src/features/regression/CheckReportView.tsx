import type { ReactNode } from "react";
import { Link } from "react-router";
import { evaluationPath } from "../evaluation/evaluation";
import { runPath, shortRunId } from "../runs/history";
import { formatLocalTime } from "../traces/payload";
import { DifferenceLine } from "./DifferenceLine";
import { FlippedItems } from "./FlippedItems";
import {
  formatChange,
  formatPercentChange,
  formatPValue,
  formatValue,
  marginBound,
  metricLabel,
  pointEstimate,
  REPORT_ANCHOR,
  TEST_NAMES,
  type CheckReport,
} from "./regression";
import { CheckVerdict } from "./VerdictBadge";

function Fact({ term, children, testId }: { term: string; children: ReactNode; testId: string }) {
  return (
    <div className="fact">
      <dt>{term}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function EvaluationLink({ id, testId }: { id: string; testId: string }) {
  return (
    <Link to={evaluationPath(id)} className="mono small" title={id} data-testid={testId}>
      evaluation {id.slice(0, 8)}
    </Link>
  );
}

/** The test, with the bootstrap's resamples and seed (so it can be repeated). */
function testText(report: CheckReport): string {
  if (report.test === null) return "none";
  const name = TEST_NAMES[report.test];
  if (report.test !== "paired_bootstrap" || report.resamples === null) return name;
  return `${name} (${report.resamples.toLocaleString("en")} resamples, seed ${report.seed ?? "?"})`;
}

function Numbers({ report }: { report: CheckReport }) {
  const direction = report.lower_is_better ? "lower is better" : "higher is better";
  return (
    <dl className="facts check-facts">
      <Fact term="Metric" testId="regression:metric">
        {metricLabel(report.metric_name)} <span className="muted small">({direction})</span>
      </Fact>
      <Fact term="Baseline" testId="regression:report-baseline">
        <strong>{formatValue(report.baseline_value)}</strong>{" "}
        <span className="small">
          run{" "}
          <Link to={runPath(report.baseline_run_id)} className="mono" title={report.baseline_run_id}>
            {shortRunId(report.baseline_run_id)}
          </Link>{" "}
          · <EvaluationLink id={report.baseline_evaluation_id} testId="regression:baseline-evaluation" />
        </span>
      </Fact>
      <Fact term="Current" testId="regression:report-current">
        <strong>{report.current_value === null ? "—" : formatValue(report.current_value)}</strong>{" "}
        <span className="small">
          <EvaluationLink id={report.evaluation_id} testId="regression:current-evaluation" />
        </span>
      </Fact>
      <Fact term="Delta" testId="regression:delta">
        {report.delta === null ? "—" : formatChange(report.delta)}
        {report.delta_percent !== null && <span className="muted"> ({formatPercentChange(report.delta_percent)})</span>}
      </Fact>
      <Fact term="Paired items" testId="regression:n">
        {report.n} <span className="muted">· {report.n_excluded} excluded (unscored in one of them)</span>
      </Fact>
      <Fact term="Changed" testId="regression:changed">
        {report.b === null || report.c === null ? (
          "—"
        ) : (
          <>
            <span className="outcome-wrong">{report.b} worse</span> · <span className="outcome-correct">{report.c} better</span>
          </>
        )}
      </Fact>
      <Fact term="Test" testId="regression:test">
        {testText(report)}
        {report.p_value !== null && <> · p = {formatPValue(report.p_value)}</>}
      </Fact>
      <Fact term="Margin" testId="regression:margin">
        {formatChange(marginBound(report.margin, report.lower_is_better))}{" "}
        <span className="muted small">(alpha {report.alpha})</span>
      </Fact>
      <Fact term="Detectable" testId="regression:mdd">
        {report.minimum_detectable_difference === null ? (
          "—"
        ) : (
          <>
            {formatValue(report.minimum_detectable_difference)}{" "}
            <span className="muted small">(the change these {report.n} items detect 80% of the time)</span>
          </>
        )}
      </Fact>
    </dl>
  );
}

function Interval({ report }: { report: CheckReport }) {
  if (report.interval === null) {
    return (
      <p className="muted" data-testid="regression:no-interval">
        No interval: {report.comparable ? "no item was scored in both evaluations." : "the evaluations are not comparable."}
      </p>
    );
  }
  const { low, high, level } = report.interval;
  const estimate = pointEstimate(report);
  const bound = marginBound(report.margin, report.lower_is_better);
  return (
    <figure className="difference-figure" data-testid="regression:interval">
      <figcaption className="small">
        <strong>{Math.round(level * 100)}% interval of the change</strong> (current − baseline):{" "}
        <span data-testid="regression:interval-text">
          [{formatChange(low)}, {formatChange(high)}]
        </span>
        {estimate !== null && <> around {formatChange(estimate)}</>}
      </figcaption>
      <DifferenceLine
        low={low}
        high={high}
        estimate={estimate}
        margin={report.margin}
        lowerIsBetter={report.lower_is_better}
        testId="regression:interval-line"
      />
      <p className="muted small difference-legend">
        <span className="legend-band" aria-hidden="true" /> interval <span className="legend-dot" aria-hidden="true" /> paired mean
        change <span className="legend-zone" aria-hidden="true" /> past the margin ({formatChange(bound)}): a regression. It passes
        when the bar stays out of the shaded side.
      </p>
    </figure>
  );
}

/**
 * A check of a run against a baseline: the verdict and why, the numbers, the interval of
 * the change drawn against the margin, and the items that flipped.
 */
export function CheckReportView({ report }: { report: CheckReport }) {
  return (
    <section
      id={REPORT_ANCHOR}
      className="card check-report"
      aria-labelledby="check-report-title"
      data-testid="regression:report"
      data-check-id={report.id}
      data-verdict={report.verdict}
    >
      <div className="card-header">
        <h2 id="check-report-title">
          Run{" "}
          <Link to={runPath(report.run_id)} className="mono" title={report.run_id} data-testid="regression:report-run">
            {shortRunId(report.run_id)}
          </Link>{" "}
          against <span className="mono">{report.baseline_name}</span>{" "}
          <span className="muted small">v{report.baseline_version}</span>
        </h2>
        <span className="muted small">
          Checked <time dateTime={report.created_at}>{formatLocalTime(report.created_at)}</time>
        </span>
      </div>
      <div className={`verdict-banner verdict-banner-${report.verdict}`}>
        <CheckVerdict verdict={report.verdict} size="large" testId="regression:verdict" />
        <ul className="reasons" data-testid="regression:reasons">
          {report.reasons.map((reason, index) => (
            <li key={index}>{reason}</li>
          ))}
        </ul>
      </div>
      {!report.comparable && (
        <p className="muted small" data-testid="regression:not-comparable">
          Not comparable: a check needs the same dataset, split, judge and chat template as the baseline's evaluation.
        </p>
      )}
      <div className="check-report-grid">
        <Numbers report={report} />
        <Interval report={report} />
      </div>
      {report.comparable && (
        <FlippedItems items={report.flipped} evaluationId={report.evaluation_id} baselineEvaluationId={report.baseline_evaluation_id} />
      )}
    </section>
  );
}
