import { Link, useParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { runPath, shortRunId } from "../runs/history";
import { CancelEvaluation } from "./CancelEvaluation";
import { EvaluationView } from "./EvaluationView";
import { useEvaluation } from "./queries";

/**
 * One evaluation by id (a base model's has no run page to live on): what was evaluated,
 * then the same section a run's page shows.
 */
export function EvaluationPage() {
  const { evaluationId = "" } = useParams();
  const evaluation = useEvaluation(evaluationId);

  if (evaluation.isPending) return <p className="muted">Loading the evaluation…</p>;
  if (evaluation.isError && !evaluation.data) {
    // 422: not a UUID, so no evaluation can have it.
    if (isApiError(evaluation.error) && (evaluation.error.status === 404 || evaluation.error.status === 422)) {
      return (
        <section className="card" data-testid="eval:not-found">
          <h1>Evaluation not found</h1>
          <p>
            No evaluation has the id <code>{evaluationId}</code>. <Link to="/leaderboard">Back to the leaderboard</Link>
          </p>
        </section>
      );
    }
    return <ErrorMessage error={evaluation.error} title="Could not load the evaluation" />;
  }

  const detail = evaluation.data;
  return (
    <div className="stack">
      <p className="breadcrumb">
        <Link to="/leaderboard">← Leaderboard</Link>
      </p>
      <article className="card" aria-labelledby="evaluation-page-title" data-testid="eval:page">
        <h1 id="evaluation-page-title">
          {detail.run_id === null ? "Base model" : "Training run"} <span className="mono">{detail.model_id}</span>
        </h1>
        <p className="muted small" data-testid="eval:subject">
          {detail.run_id === null ? (
            "The model as it is, without training: the baseline a fine-tune must beat."
          ) : (
            <>
              Run{" "}
              <Link to={runPath(detail.run_id)} className="mono" data-testid="eval:run-link">
                {shortRunId(detail.run_id)}
              </Link>
              's final checkpoint.
            </>
          )}{" "}
          Evaluation <span className="mono">{detail.id}</span>
        </p>
        {evaluation.isError && <ErrorMessage error={evaluation.error} title="Could not refresh (retrying less often)" />}
      </article>
      <EvaluationView evaluation={detail} actions={<CancelEvaluation key={detail.id} evaluation={detail} />} />
    </div>
  );
}
