import { useCallback } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { isEvaluationLive, type Evaluation } from "./evaluation";
import { useCancelEvaluation } from "./queries";

/**
 * Cancels a pending or running evaluation in one click (it can simply be run again): a
 * pending one ends at once, a running one reads "Cancel requested…" until it stops. A 409
 * (it ended meanwhile) is shown, and the evaluation reloads to say how it ended.
 */
export function CancelEvaluation({ evaluation }: { evaluation: Evaluation }) {
  const cancel = useCancelEvaluation(evaluation);
  const { mutate } = cancel;
  const submit = useCallback(() => mutate(), [mutate]);
  useRetryAfterToken(cancel.error, submit);

  const live = isEvaluationLive(evaluation.status);
  if (!live && !cancel.isError) return null;
  // A running evaluation stops at its next batch (its process is asked to stop); it stays
  // `running` until then, with `cancel_requested_at` set (so a reload still says so).
  const requested = live && (cancel.isSuccess || evaluation.cancel_requested_at != null);
  return (
    <div className="cancel-run">
      {requested ? (
        <button type="button" disabled data-testid="eval:cancel-requested">
          <span className="spinner small-spinner" aria-hidden="true" /> Cancel requested…
        </button>
      ) : (
        live && (
          <button type="button" className="danger-outline" onClick={submit} disabled={cancel.isPending} data-testid="eval:cancel">
            {cancel.isPending ? "Cancelling…" : "Cancel evaluation"}
          </button>
        )
      )}
      {cancel.isError && <ErrorMessage error={cancel.error} title="Not cancelled" />}
    </div>
  );
}
