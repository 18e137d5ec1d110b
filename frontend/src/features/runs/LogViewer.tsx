import { memo, useId, useLayoutEffect, useRef, useState } from "react";
import { ErrorMessage } from "../../ui/ErrorMessage";
import { describeMetric, MAX_LOG_LINES, type LogBuffer, type LogLine } from "./logLines";
import type { RunState } from "./history";
import type { StreamConnection } from "./runStream";

/** Within this many pixels of the bottom counts as "at the bottom": following resumes. */
export const FOLLOW_SLACK_PX = 8;

const CONNECTION_TEXT: Record<StreamConnection, string> = {
  connecting: "connecting…",
  open: "live",
  reconnecting: "reconnecting…",
  ended: "stream ended",
  failed: "stream unavailable",
};

function LineBody({ line }: { line: LogLine }) {
  const event = line.event;
  if (!event) return <>{line.text}</>;
  switch (event.kind) {
    case "metric":
      return <>{describeMetric(event)}</>;
    case "log":
      return <>{event.message}</>;
    case "checkpoint":
      return (
        <>
          <span className="log-tag">checkpoint</span> step {event.step ?? "?"} saved <span className="muted">{event.path}</span>
        </>
      );
    case "generation":
      return (
        <>
          <span className="log-tag">generation</span> expected <strong>{event.expected}</strong>, answered{" "}
          <span className="mono">{JSON.stringify(event.output.replace(/<end_of_turn>[\s\S]*$/, "").trimEnd())}</span>
          {event.correct !== null && <span aria-label={event.correct ? "correct" : "wrong"}>{event.correct ? " ✓" : " ✗"}</span>}
        </>
      );
    case "done":
      return (
        <>
          <span className="log-tag">done</span> {event.status}
        </>
      );
  }
}

const LogLineView = memo(function LogLineView({ line }: { line: LogLine }) {
  const kind = line.event?.kind ?? "text";
  return (
    <div
      className={`log-line ${line.stream} kind-${kind}`}
      data-testid="run:log-line"
      data-stream={line.stream}
      data-kind={kind}
      title={line.event ? line.text : undefined}
    >
      {line.stream === "stderr" && <span className="log-stream">stderr</span>}
      <LineBody line={line} />
    </div>
  );
});

type LogViewerProps = {
  log: LogBuffer;
  connection: StreamConnection;
  error: unknown;
  ended: { status: RunState | null } | null;
};

/**
 * The run's output as it arrives. Follows the newest line until the reader scrolls up;
 * then what is shown holds still (new lines are counted, not drawn) until they jump back
 * to the latest or scroll to the bottom. Metric lines (charted above) are hidden unless asked for.
 */
export function LogViewer({ log, connection, error, ended }: LogViewerProps) {
  const id = useId();
  const view = useRef<HTMLDivElement>(null);
  const [showMetrics, setShowMetrics] = useState(false);
  // While paused: the lines as they were, and how many had arrived by then.
  const [paused, setPaused] = useState<{ lines: LogLine[]; total: number } | null>(null);
  const following = paused === null;

  const lines = (paused?.lines ?? log.lines).filter((line) => showMetrics || line.event?.kind !== "metric");
  const unseen = paused ? log.total - paused.total : 0;

  // Where following last put the view. A scroll up can land before new lines render and its
  // scroll event after them (lines arrive many times a second): that render must leave the
  // reader where they went, and the scroll event, when it comes, pauses.
  const followedTo = useRef<number | null>(null);
  useLayoutEffect(() => {
    const element = view.current;
    if (!following || !element) {
      followedTo.current = null;
      return;
    }
    const movedUp = followedTo.current !== null && element.scrollTop < followedTo.current - FOLLOW_SLACK_PX;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= FOLLOW_SLACK_PX;
    if (movedUp && !atBottom) return;
    element.scrollTop = element.scrollHeight;
    followedTo.current = element.scrollTop;
  });

  function onScroll() {
    const element = view.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= FOLLOW_SLACK_PX;
    if (atBottom && paused) setPaused(null);
    else if (!atBottom && !paused) setPaused({ lines: log.lines, total: log.total });
  }

  const dropped = log.total - log.lines.length;
  return (
    <section className="card log-viewer" aria-labelledby={`${id}-title`} data-testid="run:logs">
      <div className="card-header">
        <h2 id={`${id}-title`}>Log</h2>
        <span className={`pill log-connection connection-${connection}`} data-testid="run:log-state" data-connection={connection}>
          <span className="dot" aria-hidden="true" />
          {CONNECTION_TEXT[connection]}
        </span>
      </div>
      <div className="log-toolbar">
        {log.metricLines > 0 && (
          <label className="inline-check">
            <input type="checkbox" checked={showMetrics} onChange={(event) => setShowMetrics(event.target.checked)} data-testid="run:log-show-metrics" />
            Show metric lines <span className="muted">({log.metricLines.toLocaleString()}, charted above)</span>
          </label>
        )}
        {following ? (
          (connection === "open" || connection === "connecting" || connection === "reconnecting") && (
            <span className="muted small follow-note" data-testid="run:log-following">
              Following new output
            </span>
          )
        ) : (
          <button type="button" className="primary jump" onClick={() => setPaused(null)} data-testid="run:log-jump">
            Jump to latest{unseen > 0 && ` (${unseen.toLocaleString()} new line${unseen === 1 ? "" : "s"})`}
          </button>
        )}
        {dropped > 0 && (
          <span className="muted small" data-testid="run:log-dropped">
            Showing the last {MAX_LOG_LINES.toLocaleString()} of {log.total.toLocaleString()} lines.
          </span>
        )}
      </div>
      {connection === "failed" && <ErrorMessage error={error} title="The live log is unavailable" />}
      <div
        ref={view}
        className="log-view code"
        role="log"
        aria-live="off"
        aria-label="Run output"
        tabIndex={0}
        onScroll={onScroll}
        data-testid="run:log-view"
        data-following={String(following)}
      >
        {lines.length === 0 && !ended && <div className="muted">{connection === "failed" ? "No output." : "Waiting for output…"}</div>}
        {lines.map((line) => (
          <LogLineView key={line.key} line={line} />
        ))}
        {ended && (
          <div className="log-end" data-testid="run:log-ended">
            — stream ended{ended.status ? ` (${ended.status})` : ""} —
          </div>
        )}
      </div>
    </section>
  );
}
