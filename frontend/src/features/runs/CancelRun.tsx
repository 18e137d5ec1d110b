import { useCallback } from "react";
import { ConfirmCancel } from "./ConfirmCancel";
import { useCancelRun, type RunDetail } from "./queries";
import { isLive } from "./history";

/**
 * Cancel, after a second click that says what happens. A running run stops at its next
 * step with a checkpoint, so until it ends the button reads "Cancel requested…". A 409
 * (the run ended meanwhile) is shown, and the run reloads to say how it ended.
 */
export function CancelRun({ run }: { run: RunDetail }) {
  const cancel = useCancelRun(run.run_id);
  const { mutate } = cancel;
  const onConfirm = useCallback((onSettled: () => void) => mutate(undefined, { onSettled }), [mutate]);
  const live = isLive(run.status);

  return (
    <ConfirmCancel
      testIdPrefix="run"
      shown={live}
      requested={live && run.cancel_requested_at !== null}
      question={run.status === "running" ? "Stop training? It saves a checkpoint first." : "Cancel this queued run?"}
      label="Cancel run"
      keepLabel="Keep running"
      cancel={cancel}
      onConfirm={onConfirm}
    />
  );
}
