import type { RunState } from "./history";

/**
 * A run's state as a coloured pill. The word is always written out (colour is never the
 * only cue); a live state's dot pulses.
 */
export function RunStatusBadge({ status, testId = "run:status" }: { status: RunState; testId?: string }) {
  return (
    <span className={`pill run-status status-${status}`} data-status={status} data-testid={testId}>
      <span className="dot" aria-hidden="true" />
      {status}
    </span>
  );
}
