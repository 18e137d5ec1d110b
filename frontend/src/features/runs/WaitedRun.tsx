import { useEffect, useState } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { CancelRun } from "./CancelRun";
import { isLive, runPath } from "./history";
import { useRun } from "./queries";
import { RunLiveView } from "./RunLiveView";
import { RunResultView } from "./RunResultView";
import { RunStateLine } from "./RunStateLine";
import { RunStatusBadge } from "./RunStatusBadge";

type WaitedRunProps = {
  runId: string;
  /** Called once the run has ended (or could not be loaded): the page stops waiting. */
  onEnd: (runId: string) => void;
};

/**
 * A training run the Runs page queued and waits on ("Train and wait"): the run page's live
 * view (progress, loss curve, log, from its stream) while it is queued and trains, then its
 * result above that view. The run is a queued one like any other: it goes on if the page is left.
 */
export function WaitedRun({ runId, onEnd }: WaitedRunProps) {
  const [streaming, setStreaming] = useState(false);
  const run = useRun(runId, { streaming });
  const detail = run.data;
  const over = (detail !== undefined && !isLive(detail.status)) || (run.isError && detail === undefined);
  useEffect(() => {
    if (over) onEnd(runId);
  }, [over, onEnd, runId]);

  if (detail === undefined) {
    return run.isError ? (
      <ErrorMessage error={run.error} title="Could not load the queued run" />
    ) : (
      <p className="muted" data-testid="run:waited-loading">
        Loading the queued run…
      </p>
    );
  }
  const live = isLive(detail.status);
  return (
    <>
      {live ? (
        <section className="card" aria-labelledby="run-waited-title" data-testid="run:waited">
          <div className="card-header">
            <h2 id="run-waited-title">Training run</h2>
            <div className="actions">
              <RunStatusBadge status={detail.status} />
              <CancelRun run={detail} />
            </div>
          </div>
          <RunStateLine run={detail} streaming={streaming} />
          <p className="muted small">
            This page shows the result here when the run ends. It goes on if you leave:{" "}
            <Link to={runPath(runId)} data-testid="run:waited-link">
              its page
            </Link>{" "}
            follows it too.
          </p>
        </section>
      ) : (
        <RunResultView result={detail} />
      )}
      {/* Kept mounted when the run ends: its chart and log stay, under the result. */}
      <RunLiveView run={detail} onStreaming={setStreaming} />
    </>
  );
}
