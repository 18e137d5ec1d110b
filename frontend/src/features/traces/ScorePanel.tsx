import { useCallback } from "react";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { formatLocalTime, formatScore } from "./payload";
import { useScoreTrace } from "./queries";

/** "Score (baseline)": POST /api/traces/{id}/score and the breakdown it returns. */
export function ScorePanel({ traceId }: { traceId: string }) {
  const scoring = useScoreTrace(traceId);
  const { mutate } = scoring;
  const retry = useCallback(() => mutate(), [mutate]);
  useRetryAfterToken(scoring.error, retry);
  const result = scoring.data;

  return (
    <section className="card score" aria-labelledby="score-title">
      <div className="card-header">
        <h2 id="score-title">Score</h2>
        <button
          type="button"
          className="primary"
          onClick={() => scoring.mutate()}
          disabled={scoring.isPending}
          data-testid="trace:score-button"
        >
          {scoring.isPending ? "Scoring…" : "Score (baseline)"}
        </button>
      </div>
      {scoring.isError &&
        (isApiError(scoring.error) && scoring.error.status === 404 ? (
          <div className="error" role="alert">
            Trace not found
          </div>
        ) : (
          <ErrorMessage error={scoring.error} title="Scoring failed" />
        ))}
      {result ? (
        <>
          <p className="score-value">
            <span data-testid="trace:score-value">{formatScore(result.score)}</span>
            <span className="muted"> / 100</span>
          </p>
          <dl className="breakdown" data-testid="trace:score-breakdown">
            <dt>step_score</dt>
            <dd>{formatScore(result.details.step_score)} / 50</dd>
            <dt>length_score</dt>
            <dd>{formatScore(result.details.length_score)} / 50</dd>
            <dt>step_count</dt>
            <dd>{result.details.step_count}</dd>
            <dt>avg_step_length</dt>
            <dd>{result.details.avg_step_length.toFixed(1)} chars</dd>
            <dt>criteria</dt>
            <dd>{result.details.criteria}</dd>
            <dt>scored_at</dt>
            <dd>{formatLocalTime(result.details.scored_at)}</dd>
          </dl>
        </>
      ) : (
        !scoring.isError && (
          <p className="muted small">
            Baseline: step_score = min(steps / 10, 1) × 50, length_score = min(avg step chars / 500, 1) × 50.
          </p>
        )
      )}
    </section>
  );
}
