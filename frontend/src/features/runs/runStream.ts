// Following a run's GET /api/tunix/runs/{id}/logs: one fetch-based SSE connection at a
// time, reopened after a drop from the last seq received, so nothing is missed and no
// line arrives twice. Fetch rather than EventSource: EventSource cannot send the bearer
// token when auth is on, and one code path for both cases is easier to trust.

import { api, unwrap } from "../../api/client";
import { isApiError } from "../../api/errors";
import { subscribeToken } from "../../api/token";
import { openTokenPrompt } from "../auth/promptStore";
import { RUN_STATES, type RunState } from "./history";
import { readSse, type SseMessage } from "./sse";

export type LogStream = "stdout" | "stderr";

/**
 * The server's reading of one line of a `log` chunk: the training process's event on
 * it, as `{kind, ...its fields}` (training/events.py on the server is the one place that
 * reads the trainer's output). Its fields are checked where they are shown.
 */
export type LineEventData = { kind: string } & Record<string, unknown>;

export type RunStreamEvent =
  | { type: "status"; status: RunState; attempt: number }
  | {
      type: "log";
      seq: number;
      stream: LogStream;
      text: string;
      /**
       * One entry a line of `text` (null: a plain line), as the server sent them. A
       * server that sends none (an older one) gives [] here: every line is plain. An
       * entry missing at the end counts as null.
       */
      events: (LineEventData | null)[];
    }
  | { type: "metric"; name: string; step: number; value: number }
  | { type: "end"; status: RunState | null };

/**
 * connecting: the first request is open. open: events are flowing. reconnecting: the
 * connection dropped and is retried (from the last seq). ended: the server sent `end`.
 * failed: the server refused (not found, forbidden); not retried.
 */
export type StreamConnection = "connecting" | "open" | "reconnecting" | "ended" | "failed";

/** The first retry waits this long; each failure in a row doubles it, up to the cap. */
export const RECONNECT_BASE_MS = 1_000;
export const RECONNECT_MAX_MS = 15_000;
/**
 * The server sends a heartbeat at most 10 s apart when idle (and a ping comment every
 * 15 s): a connection silent for longer is half-open (a sleeping laptop, a proxy that
 * dropped it without a FIN) and is reopened rather than waited on forever.
 */
export const STALL_TIMEOUT_MS = 35_000;

export type FollowOptions = {
  onEvent: (event: RunStreamEvent) => void;
  onConnection: (state: StreamConnection, error?: unknown) => void;
  /** Stops following (unmount, another run). */
  signal: AbortSignal;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lineEvent(value: unknown): LineEventData | null {
  return isRecord(value) && typeof value.kind === "string" ? (value as LineEventData) : null;
}

/** A `log` event's `events`: each entry the server's reading of a line, or null. */
function lineEvents(value: unknown): (LineEventData | null)[] {
  return Array.isArray(value) ? value.map(lineEvent) : [];
}

function runState(value: unknown): RunState | null {
  return RUN_STATES.find((state) => state === value) ?? null;
}

/** One SSE message as a typed event; heartbeats and anything malformed are null. */
export function toRunStreamEvent(message: SseMessage): RunStreamEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (!isRecord(data)) return null;
  switch (message.event) {
    case "status": {
      const status = runState(data.status);
      return status && { type: "status", status, attempt: typeof data.attempt === "number" ? data.attempt : 0 };
    }
    case "log":
      if (typeof data.seq !== "number" || typeof data.text !== "string") return null;
      return {
        type: "log",
        seq: data.seq,
        stream: data.stream === "stderr" ? "stderr" : "stdout",
        text: data.text,
        events: lineEvents(data.events),
      };
    case "metric":
      if (typeof data.name !== "string" || typeof data.step !== "number" || typeof data.value !== "number") return null;
      return { type: "metric", name: data.name, step: data.step, value: data.value };
    case "end":
      return { type: "end", status: runState(data.status) };
    default:
      return null;
  }
}

/** A refusal that retrying cannot change (the run is gone, the id is bad, no access). */
function isFinalRefusal(error: unknown): boolean {
  return isApiError(error) && error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 408 && error.status !== 429;
}

function isUnauthorized(error: unknown): boolean {
  return isApiError(error) && error.status === 401;
}

/** The wait before reconnecting after `failures` failures in a row (1 or more). */
export function reconnectDelayMs(failures: number): number {
  return Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.max(0, failures - 1));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Resolves when a token is saved (or forgotten), or when following stops. */
function tokenChange(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = subscribeToken(done);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      unsubscribe();
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

async function openStream(runId: string, sinceSeq: number, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const body = await unwrap(
    api.GET("/api/tunix/runs/{run_id}/logs", {
      params: { path: { run_id: runId }, query: sinceSeq > 0 ? { since_seq: sinceSeq } : {} },
      parseAs: "stream",
      signal,
      cache: "no-store",
      headers: { Accept: "text/event-stream" },
    }),
  );
  if (!body) throw new Error("the log stream answered without a body");
  return body;
}

/**
 * Follows a run's events until `end`, a final refusal, or `signal`. Reconnects after a
 * drop (backing off while it keeps failing) with `since_seq` = the last seq received;
 * a `log` event at or below it is dropped, so a replay never shows a line twice.
 * Metric events are replayed in full on every connection: callers dedupe by name+step.
 */
export async function followRunStream(runId: string, { onEvent, onConnection, signal }: FollowOptions): Promise<void> {
  let lastSeq = 0;
  let failures = 0;
  while (!signal.aborted) {
    onConnection(failures === 0 && lastSeq === 0 ? "connecting" : "reconnecting");
    // Aborted by the caller, or by the stall watchdog (which only this connection sees).
    const connection = new AbortController();
    const abort = () => connection.abort();
    signal.addEventListener("abort", abort, { once: true });
    let stall: ReturnType<typeof setTimeout> | undefined;
    const alive = () => {
      clearTimeout(stall);
      stall = setTimeout(abort, STALL_TIMEOUT_MS);
    };
    try {
      alive();
      const body = await openStream(runId, lastSeq, connection.signal);
      onConnection("open");
      for await (const message of readSse(body, { onBytes: alive, signal: connection.signal })) {
        failures = 0;
        const event = toRunStreamEvent(message);
        if (!event) continue;
        if (event.type === "log") {
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
        }
        onEvent(event);
        if (event.type === "end") {
          onConnection("ended");
          return;
        }
      }
      if (signal.aborted) return;
      // The body ended without `end`: the server restarted, a proxy cut it, or it stalled.
      failures += 1;
    } catch (error) {
      if (signal.aborted) return;
      if (isFinalRefusal(error)) {
        onConnection("failed", error);
        return;
      }
      if (isUnauthorized(error)) {
        // The same prompt the queries open; the stream resumes once a token is saved.
        onConnection("failed", error);
        openTokenPrompt();
        await tokenChange(signal);
        failures = 0;
        continue;
      }
      failures += 1;
    } finally {
      clearTimeout(stall);
      signal.removeEventListener("abort", abort);
    }
    if (signal.aborted) return;
    onConnection("reconnecting");
    await sleep(reconnectDelayMs(failures), signal);
  }
}
