import { useCallback, useEffect, useRef, useState } from "react";
import { appendLines, chunkLines, EMPTY_LOG, type LogBuffer, type LogLine } from "./logLines";
import { EMPTY_SERIES, mergeMetrics, type MetricUpdate, type SeriesMap } from "./metricSeries";
import type { RunState } from "./history";
import { followRunStream, type StreamConnection } from "./runStream";

/**
 * Lines and points are applied at most this often: a run's output arrives in bursts
 * (the server flushes every 100 ms, and a connection replays every stored metric), and
 * one render a burst keeps a long run's page responsive.
 */
export const STREAM_FLUSH_MS = 100;

export type RunStreamHandlers = {
  /** The run's state, first and on every change. */
  onStatus?: (status: RunState, attempt: number) => void;
  /** The stream is over: the run ended and everything was sent. */
  onEnd?: (status: RunState | null) => void;
  /** A `checkpoint` event line arrived: the artifact list has a new entry. */
  onCheckpoint?: () => void;
};

export type RunStreamState = {
  connection: StreamConnection;
  /** Why the stream failed (`failed`), as the API client reports it. */
  error: unknown;
  log: LogBuffer;
  /** The points of every metric event, by name, deduplicated by step. */
  series: SeriesMap;
  /** The `end` event's status, once it came. */
  ended: { status: RunState | null } | null;
};

const INITIAL: RunStreamState = { connection: "connecting", error: null, log: EMPTY_LOG, series: EMPTY_SERIES, ended: null };

/**
 * Follows a run's log stream: lines (the newest MAX_LOG_LINES), metric
 * points, the connection's state, and callbacks for status changes, checkpoints and the
 * end. `addMetrics` merges points from elsewhere (GET /metrics) into the same series.
 */
export function useRunStream(runId: string, handlers: RunStreamHandlers = {}) {
  const [state, setState] = useState<RunStreamState>(INITIAL);
  const latestHandlers = useRef(handlers);
  useEffect(() => {
    latestHandlers.current = handlers;
  });

  const pending = useRef<{ lines: LogLine[]; metrics: MetricUpdate[]; timer: ReturnType<typeof setTimeout> | null }>({
    lines: [],
    metrics: [],
    timer: null,
  });

  const flush = useCallback(() => {
    const batch = pending.current;
    if (batch.timer !== null) clearTimeout(batch.timer);
    batch.timer = null;
    const { lines, metrics } = batch;
    if (lines.length === 0 && metrics.length === 0) return;
    batch.lines = [];
    batch.metrics = [];
    setState((current) => {
      const log = appendLines(current.log, lines);
      const series = mergeMetrics(current.series, metrics);
      return log === current.log && series === current.series ? current : { ...current, log, series };
    });
  }, []);

  const schedule = useCallback(() => {
    if (pending.current.timer === null) pending.current.timer = setTimeout(flush, STREAM_FLUSH_MS);
  }, [flush]);

  const addMetrics = useCallback(
    (updates: MetricUpdate[]) => {
      pending.current.metrics.push(...updates);
      schedule();
    },
    [schedule],
  );

  useEffect(() => {
    const controller = new AbortController();
    void followRunStream(runId, {
      signal: controller.signal,
      onConnection: (connection, error) =>
        setState((current) => ({ ...current, connection, error: connection === "failed" ? error : null })),
      onEvent: (event) => {
        const on = latestHandlers.current;
        switch (event.type) {
          case "log": {
            const lines = chunkLines(event.seq, event.stream, event.text, event.events);
            pending.current.lines.push(...lines);
            if (lines.some((line) => line.event?.kind === "checkpoint")) on.onCheckpoint?.();
            schedule();
            break;
          }
          case "metric":
            pending.current.metrics.push(event);
            schedule();
            break;
          case "status":
            on.onStatus?.(event.status, event.attempt);
            break;
          case "end":
            flush();
            setState((current) => ({ ...current, ended: { status: event.status } }));
            on.onEnd?.(event.status);
            break;
        }
      },
    });
    const batch = pending.current;
    return () => {
      controller.abort();
      if (batch.timer !== null) clearTimeout(batch.timer);
      batch.timer = null;
    };
  }, [runId, flush, schedule]);

  return { ...state, addMetrics };
}
