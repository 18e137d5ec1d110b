import type { ReactNode } from "react";
import { Link } from "react-router";
import { datasetPath } from "../datasets/manifest";
import { RunStatusBadge } from "../runs/RunStatusBadge";
import { formatNumber, formatSeconds } from "../runs/runOutput";
import { secondsBetween } from "../runs/history";
import { formatLocalTime } from "../traces/payload";
import {
  decodingEntries,
  formatInterval,
  formatShare,
  INTERVAL_METHODS,
  isEvaluationLive,
  readFacts,
  type Evaluation,
  type EvaluationFacts,
} from "./evaluation";
import { EvaluationItems } from "./EvaluationItems";
import { IntervalBar } from "./IntervalBar";
import { ReasoningLengthChart } from "./ReasoningLengthChart";

function Fact({ name, testId, children }: { name: string; testId: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{name}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

export function MockBadge() {
  return (
    <span className="pill mock-badge" title="A mock judge: no model graded these answers" data-testid="eval:mock">
      MOCK judge
    </span>
  );
}

export function VerdictBadge({ verdict, testId = "eval:verdict" }: { verdict: Evaluation["verdict"]; testId?: string }) {
  if (verdict === null) return <span className="muted">—</span>;
  return (
    <span className={`pill verdict verdict-${verdict}`} data-verdict={verdict} data-testid={testId}>
      {verdict}
    </span>
  );
}

/** "12 / 40 items" and a bar, while the model answers and the judge scores. */
function Progress({ evaluation }: { evaluation: Evaluation }) {
  const { done, total } = evaluation.progress;
  return (
    <div className="eval-progress" role="status" data-testid="eval:progress" data-done={done} data-total={total}>
      <p>
        <span className="spinner small-spinner" aria-hidden="true" /> {evaluation.message}{" "}
        <span className="muted small">This section refreshes every second.</span>
      </p>
      {total > 0 && (
        <div className="progress-line">
          <progress value={done} max={total} aria-label="Items answered" />
          <span data-testid="eval:progress-text">
            {done} / {total} items
          </span>
        </div>
      )}
    </div>
  );
}

const ENDED_WITHOUT = { failed: "Failed", timeout: "Timed out", cancelled: "Cancelled" } as const;

/** Why an evaluation has no score: how it ended and the server's words for it, each said once. */
function EndedWithout({ evaluation }: { evaluation: Evaluation }) {
  const status = evaluation.status as keyof typeof ENDED_WITHOUT;
  const label = ENDED_WITHOUT[status] ?? status;
  const said = new Set([label.toLowerCase()]);
  const reasons = [evaluation.message, evaluation.error].filter((text): text is string => {
    const key = (text ?? "").trim().replace(/\.$/, "").toLowerCase();
    if (!key || said.has(key)) return false;
    said.add(key);
    return true;
  });
  return (
    <p className="error" data-testid="eval:error">
      <strong>{label}</strong>
      {reasons.length > 0 ? `: ${reasons.join(" — ")}` : "."}
    </p>
  );
}

/** The score, its interval, the verdict and the baseline it was judged against. */
function Score({ evaluation, facts }: { evaluation: Evaluation; facts: EvaluationFacts }) {
  const primary = evaluation.primary_score;
  if (primary === null) {
    return (
      <p className="error" data-testid="eval:no-score">
        No item could be scored ({evaluation.n_unscored} unscored): there is no score.
      </p>
    );
  }
  const { interval } = evaluation;
  const baseline = facts.majorityBaseline;
  return (
    <div className="eval-score-block">
      <div className="eval-score-line">
        <span className="score-value" data-testid="eval:score" data-value={primary}>
          {formatShare(primary)}
        </span>
        {interval && (
          <span className="muted" data-testid="eval:interval">
            95% interval {formatInterval(interval)}% ({INTERVAL_METHODS[interval.method]})
          </span>
        )}
        <VerdictBadge verdict={evaluation.verdict} />
      </div>
      <IntervalBar score={primary} interval={interval} baseline={baseline?.share ?? null} size="large" testId="eval:interval-bar" />
      <p className="interval-legend muted small" aria-hidden="true">
        <span>0%</span>
        <span>
          <span className="legend-dot" /> score {interval && <><span className="legend-band" /> 95% interval</>}{" "}
          {baseline && <><span className="legend-line" /> majority baseline</>}
        </span>
        <span>100%</span>
      </p>
      {baseline && (
        <p className="small" data-testid="eval:baseline">
          Majority baseline: always answering <strong className="mono">{baseline.answer}</strong> scores{" "}
          <strong>{formatShare(baseline.share)}</strong>.
        </p>
      )}
      {facts.verdictRule && <p className="hint">Verdict: {facts.verdictRule}.</p>}
    </div>
  );
}

/** The checkpoint that answered: a run's is known once the evaluation has started. */
function Checkpoint({ evaluation, live }: { evaluation: Evaluation; live: boolean }) {
  if (evaluation.checkpoint_step !== null) return <>step {evaluation.checkpoint_step}</>;
  if (evaluation.run_id === null) return <span className="muted">— (the model as it is)</span>;
  return <span className="muted">{live ? "the run's latest (known once it starts)" : "—"}</span>;
}

function Facts({ evaluation, facts, live }: { evaluation: Evaluation; facts: EvaluationFacts; live: boolean }) {
  const took = secondsBetween(evaluation.started_at, evaluation.completed_at);
  const decoding = decodingEntries(evaluation.decoding);
  return (
    <dl className="facts" data-testid="eval:facts">
      <Fact name="Judge" testId="eval:judge">
        <span className="mono">{evaluation.judge.name}</span> v{evaluation.judge.version}{" "}
        <span className="muted mono small" title={`config ${evaluation.judge.config_hash}`}>
          ({evaluation.judge.config_hash.slice(0, 8)})
        </span>
        {evaluation.judge.mock && <> {<MockBadge />}</>}
      </Fact>
      <Fact name="Split" testId="eval:split">
        {evaluation.split}
      </Fact>
      <Fact name="Checkpoint" testId="eval:checkpoint">
        <Checkpoint evaluation={evaluation} live={live} />
      </Fact>
      {!live && (
        <Fact name="Scored" testId="eval:scored">
          {evaluation.n_scored} of {evaluation.n_items}
          {evaluation.n_unscored > 0 && <span className="unscored-count"> · {evaluation.n_unscored} unscored</span>}
          {facts.correct !== null && facts.wrong !== null && (
            <span className="muted">
              {" "}
              ({facts.correct} right, {facts.wrong} wrong)
            </span>
          )}
        </Fact>
      )}
      {facts.formatAdherence !== null && (
        <Fact name="Format adherence" testId="eval:format-adherence">
          {formatShare(facts.formatAdherence)}
        </Fact>
      )}
      {(facts.meanReasoningTokens !== null || facts.meanReasoningSteps !== null) && (
        <Fact name="Mean reasoning" testId="eval:mean-reasoning">
          {formatNumber(facts.meanReasoningTokens ?? 0, 1)} tokens · {formatNumber(facts.meanReasoningSteps ?? 0, 1)} steps
        </Fact>
      )}
      {facts.meanOutputTokens !== null && (
        <Fact name="Mean output" testId="eval:mean-output">
          {formatNumber(facts.meanOutputTokens, 1)} tokens
          {facts.meanLatencyMs !== null && <span className="muted"> · {formatNumber(facts.meanLatencyMs, 0)} ms an item</span>}
        </Fact>
      )}
      {facts.judgeCalls !== null && facts.judgeCalls > 0 && (
        <Fact name="Judge calls" testId="eval:judge-calls">
          {facts.judgeCalls}
        </Fact>
      )}
      <Fact name="Dataset" testId="eval:dataset">
        <Link to={datasetPath(evaluation.dataset_key)} className="mono">
          {evaluation.dataset_key}
        </Link>
        {evaluation.dataset_sha256 && (
          <span className="muted mono small" title={`sha256 ${evaluation.dataset_sha256}`}>
            {" "}
            ({evaluation.dataset_sha256.slice(0, 8)})
          </span>
        )}
      </Fact>
      {decoding.length > 0 && (
        <Fact name="Decoding" testId="eval:decoding">
          <span className="small">{decoding.map(([name, value]) => `${name} ${value}`).join(" · ")}</span>
        </Fact>
      )}
      <Fact name="Created" testId="eval:created">
        <time dateTime={evaluation.created_at}>{formatLocalTime(evaluation.created_at)}</time>
        {took !== null && <span className="muted"> · took {formatSeconds(took)}</span>}
      </Fact>
    </dl>
  );
}

type EvaluationViewProps = {
  evaluation: Evaluation;
  /** Buttons for the header (evaluate again, cancel). */
  actions?: ReactNode;
  /** A line under the header (which evaluation this is). */
  note?: ReactNode;
  id?: string;
};

/**
 * One evaluation: live progress while it runs; then its score with the 95% interval,
 * verdict and majority baseline, the judge, the reasoning metrics, accuracy by reasoning
 * length and the items.
 */
export function EvaluationView({ evaluation, actions, note, id }: EvaluationViewProps) {
  const facts = readFacts(evaluation.details);
  const live = isEvaluationLive(evaluation.status);
  const completed = evaluation.status === "completed";
  return (
    <section
      className="card evaluation"
      id={id}
      aria-labelledby="evaluation-title"
      data-testid="eval:section"
      data-evaluation-id={evaluation.id}
      data-status={evaluation.status}
    >
      <div className="card-header">
        <h2 id="evaluation-title">
          Evaluation{" "}
          <span className="muted small">
            {evaluation.judge.name} v{evaluation.judge.version} · {evaluation.split} split
          </span>
        </h2>
        <div className="actions">
          {evaluation.judge.mock && <MockBadge />}
          <RunStatusBadge status={evaluation.status} testId="eval:status" />
          {actions}
        </div>
      </div>
      {note}
      {live && <Progress evaluation={evaluation} />}
      {!live && !completed && <EndedWithout evaluation={evaluation} />}
      <div className={completed ? "evaluation-grid" : undefined}>
        {completed && (
          <div className="stack">
            <Score evaluation={evaluation} facts={facts} />
            <ReasoningLengthChart buckets={facts.byReasoningLength} />
          </div>
        )}
        <Facts evaluation={evaluation} facts={facts} live={live} />
      </div>
      {!live && evaluation.n_items > 0 && <EvaluationItems key={evaluation.id} evaluation={evaluation} facts={facts} />}
    </section>
  );
}
