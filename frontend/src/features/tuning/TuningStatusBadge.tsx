import type { TrialState, TuningState } from "./tuning";

/**
 * A study's or a trial's state as a coloured pill (the run states' colours; `created` and
 * `early stopped` have their own). The word is always written out; a live state's dot pulses.
 */
export function TuningStatusBadge({ status, testId = "tuning:status" }: { status: TuningState | TrialState; testId?: string }) {
  return (
    <span className={`pill run-status status-${status.replace("_", "-")}`} data-status={status} data-testid={testId}>
      <span className="dot" aria-hidden="true" />
      {status.replace("_", " ")}
    </span>
  );
}
