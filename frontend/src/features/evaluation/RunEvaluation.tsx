import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, type ReactNode } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { isApiError } from "../../api/errors";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { isLive } from "../runs/history";
import type { RunDetail } from "../runs/queries";
import { regressionPath } from "../regression/regression";
import { formatLocalTime } from "../traces/payload";
import { CancelEvaluation } from "./CancelEvaluation";
import { EvaluateRun } from "./EvaluateRun";
import { EVALUATION_ANCHOR, isEvaluationLive, RUN_EVALUATION_PARAM, type Evaluation } from "./evaluation";
import { EvaluationView } from "./EvaluationView";
import { AWAIT_EVALUATION_FOR_MS, evaluationKeys, useEvaluation, useRunEvaluation } from "./queries";

/** A card of the section before there is an evaluation to show. */
function Placeholder({ children, testId }: { children: ReactNode; testId: string }) {
  return (
    <section className="card evaluation" aria-labelledby="evaluation-title" data-testid={testId}>
      <h2 id="evaluation-title">Evaluation</h2>
      {children}
    </section>
  );
}

/** Why a run without an evaluation has none, in a sentence. */
function noneText(run: RunDetail): string {
  if (run.status === "completed") {
    return "Not evaluated yet. A completed training run queues an evaluation with the default judge by itself: it appears here within seconds. You can also evaluate it with a judge of your choice.";
  }
  if (isLive(run.status)) {
    return "The run is evaluated when it completes (its final checkpoint, on the dataset's held-out split, with the default judge): the score appears here.";
  }
  return `Only a completed run can be evaluated: this one ended ${run.status}.`;
}

/** Scrolls the section into view once, when the page was opened at `#evaluation` (a leaderboard link). */
function useScrollToAnchor(ready: boolean) {
  const { hash } = useLocation();
  const done = useRef(false);
  useEffect(() => {
    if (done.current || !ready || hash !== `#${EVALUATION_ANCHOR}`) return;
    done.current = true;
    document.getElementById(EVALUATION_ANCHOR)?.scrollIntoView?.({ block: "start" });
  }, [ready, hash]);
}

/** The newest evaluation is reloaded the moment the run ends: a completed run queues one by itself. */
function useReloadWhenRunEnds(run: RunDetail) {
  const queryClient = useQueryClient();
  const previous = useRef(run.status);
  useEffect(() => {
    const was = previous.current;
    previous.current = run.status;
    if (isLive(was) && !isLive(run.status)) void queryClient.invalidateQueries({ queryKey: evaluationKeys.ofRun(run.run_id) });
  }, [queryClient, run.status, run.run_id]);
}

/**
 * The run's newest evaluation (or, from a leaderboard link, the one the URL names), live
 * while it runs; "Evaluate" with a judge for a completed training run; cancel while it runs.
 */
export function RunEvaluation({ run }: { run: RunDetail }) {
  const [params, setParams] = useSearchParams();
  const pinnedId = params.get(RUN_EVALUATION_PARAM);
  const trained = run.mode !== "dry-run";
  const evaluable = trained && run.status === "completed";
  const completedAt = evaluable && run.completed_at ? Date.parse(run.completed_at) : Number.NaN;
  const newest = useRunEvaluation(run.run_id, {
    enabled: trained && pinnedId === null,
    awaitUntil: Number.isNaN(completedAt) ? null : completedAt + AWAIT_EVALUATION_FOR_MS,
  });
  const pinned = useEvaluation(pinnedId);
  useReloadWhenRunEnds(run);

  const showNewest = useCallback(() => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.delete(RUN_EVALUATION_PARAM);
        return next;
      },
      { preventScrollReset: true },
    );
  }, [setParams]);
  // A new evaluation is the newest: the section follows it.
  const onQueued = pinnedId === null ? undefined : showNewest;

  const query = pinnedId === null ? newest : pinned;
  useScrollToAnchor(query.isSuccess);

  let body: ReactNode;
  if (!trained) {
    body = (
      <Placeholder testId="eval:none">
        <p className="muted">A dry run trains nothing: there is nothing to evaluate.</p>
      </Placeholder>
    );
  } else if (query.isPending) {
    body = (
      <Placeholder testId="eval:loading">
        <p className="muted">Loading the evaluation…</p>
      </Placeholder>
    );
  } else if (query.isError && !query.data) {
    const missing = isApiError(query.error) && (query.error.status === 404 || query.error.status === 422);
    body = (
      <Placeholder testId="eval:load-error">
        {missing && pinnedId !== null ? (
          <p className="error">
            No evaluation has the id <code>{pinnedId}</code>.{" "}
            <button type="button" className="link-button" onClick={showNewest}>
              Show this run's newest evaluation
            </button>
          </p>
        ) : (
          <ErrorMessage error={query.error} title="Could not load the evaluation" />
        )}
      </Placeholder>
    );
  } else if (!query.data) {
    body = (
      <Placeholder testId="eval:none">
        <p className="muted" data-testid="eval:none-text">
          {noneText(run)}
        </p>
        {evaluable && <EvaluateRun runId={run.run_id} onQueued={onQueued} />}
      </Placeholder>
    );
  } else {
    const evaluation: Evaluation = query.data;
    const live = isEvaluationLive(evaluation.status);
    body = (
      <EvaluationView
        evaluation={evaluation}
        actions={
          <>
            <CancelEvaluation key={evaluation.id} evaluation={evaluation} />
            {evaluable && !live && <EvaluateRun runId={run.run_id} onQueued={onQueued} label="Evaluate again" />}
            {evaluation.status === "completed" && (
              <Link to={regressionPath({ run: run.run_id })} className="button-link button-size" data-testid="eval:regression-link">
                Regression gate
              </Link>
            )}
          </>
        }
        note={
          pinnedId !== null && (
            <p className="muted small" data-testid="eval:pinned-note">
              The evaluation of {formatLocalTime(evaluation.created_at)} (from a link).{" "}
              <button type="button" className="link-button" onClick={showNewest} data-testid="eval:show-newest">
                Show this run's newest evaluation
              </button>
            </p>
          )
        }
      />
    );
  }
  return (
    <div id={EVALUATION_ANCHOR} className="run-evaluation">
      {body}
      {query.isError && query.data && <ErrorMessage error={query.error} title="Could not refresh the evaluation (retrying less often)" />}
    </div>
  );
}
