import { useCallback, useState } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { useRetryAfterToken } from "../auth/hooks";
import { useCancelRun, type RunDetail } from "./queries";
import { isLive } from "./history";

/**
 * Cancel, after a second click that says what happens. A running run stops at its next
 * step with a checkpoint, so until it ends the button reads "Cancel requested…". A 409
 * (the run ended meanwhile) is shown, and the run reloads to say how it ended.
 */
export function CancelRun({ run }: { run: RunDetail }) {
  const [confirming, setConfirming] = useState(false);
  const cancel = useCancelRun(run.run_id);

  const { mutate } = cancel;
  const confirm = useCallback(() => mutate(undefined, { onSettled: () => setConfirming(false) }), [mutate]);
  useRetryAfterToken(cancel.error, confirm);

  const live = isLive(run.status);
  const requested = live && run.cancel_requested_at !== null;
  if (!live && !cancel.isError) return null;

  return (
    <div className="cancel-run">
      {requested ? (
        <button type="button" disabled data-testid="run:cancel-requested">
          <span className="spinner small-spinner" aria-hidden="true" /> Cancel requested…
        </button>
      ) : confirming ? (
        <div className="confirm" role="group" aria-label="Confirm cancel">
          <span>
            {run.status === "running" ? "Stop training? It saves a checkpoint first." : "Cancel this queued run?"}
          </span>
          <button type="button" className="danger" onClick={confirm} disabled={cancel.isPending} data-testid="run:cancel-confirm">
            {cancel.isPending ? "Cancelling…" : "Cancel run"}
          </button>
          <button type="button" onClick={() => setConfirming(false)} disabled={cancel.isPending} data-testid="run:cancel-keep">
            Keep running
          </button>
        </div>
      ) : (
        live && (
          <button
            type="button"
            className="danger-outline"
            onClick={() => {
              cancel.reset();
              setConfirming(true);
            }}
            data-testid="run:cancel"
          >
            Cancel run
          </button>
        )
      )}
      {cancel.isError && <ErrorMessage error={cancel.error} title="Not cancelled" />}
    </div>
  );
}
