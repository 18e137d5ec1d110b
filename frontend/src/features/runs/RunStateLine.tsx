import type { RunDetail } from "./queries";
import { isLive, RUN_POLL_INTERVAL_MS } from "./history";

/**
 * What a live run is doing now, in a sentence, and how the view keeps up (its stream, or
 * polling); nothing once it has ended. The run page's, and the Runs page's while it waits on a run.
 */
export function RunStateLine({ run, streaming }: { run: RunDetail; streaming: boolean }) {
  if (!isLive(run.status)) return null;
  const waiting = run.status === "pending";
  const stopping = run.cancel_requested_at !== null;
  return (
    <p className="run-state-line" role="status" data-testid="run:state-line">
      <span className="spinner" aria-hidden="true" />
      {stopping
        ? "Cancel requested: the run stops at its next step, after a checkpoint."
        : waiting
          ? run.attempt > 0
            ? "Queued again after its worker was lost: waiting for a worker."
            : "Queued: waiting for a worker to claim it."
          : `Running${run.worker_id ? ` on ${run.worker_id}` : ""}.`}{" "}
      <span className="muted small" data-testid="run:refresh-note">
        {streaming ? "Live: this page follows the run's stream." : `This page refreshes every ${RUN_POLL_INTERVAL_MS / 1000} s.`}
      </span>
    </p>
  );
}
