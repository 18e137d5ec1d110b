// The live log's lines: each `log` chunk split into lines, each line paired with what the
// server made of it (the training process's event on it, or nothing: a plain line), and a
// buffer that keeps only the newest lines so a long run cannot grow the page without bound.
// Nothing here parses the trainer's output: the server reads each line (training/events.py)
// and sends its reading along with the text; a line it sent no reading for is plain text.

import type { LineEventData, LogStream } from "./runStream";

/** The most lines the viewer keeps (and renders); older ones are dropped, and it says so. */
export const MAX_LOG_LINES = 5_000;

/** What a line of the training process's stdout is, as the server read it: how the log shows it. */
export type LineEvent =
  | { kind: "metric"; name: string; step: number | null; value: number | null }
  | { kind: "log"; message: string }
  | { kind: "checkpoint"; step: number | null; path: string }
  | { kind: "generation"; expected: string | null; output: string; correct: boolean | null }
  | { kind: "done"; status: string };

export type LogLine = {
  /** Unique and stable: `<seq>:<line in chunk>`. */
  key: string;
  seq: number;
  stream: LogStream;
  /** The line as the process wrote it. */
  text: string;
  /** Set for a line the server read as an event; plain text otherwise. */
  event: LineEvent | null;
};

const numberOrNull = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : null);
const textOf = (value: unknown) => (typeof value === "string" ? value : value == null ? "" : JSON.stringify(value));

/** The server's reading of a line as the log shows it; null (plain text) for none or a kind it does not know. */
export function toLineEvent(data: LineEventData | null | undefined): LineEvent | null {
  if (!data) return null;
  switch (data.kind) {
    case "metric":
      return { kind: "metric", name: textOf(data.name), step: numberOrNull(data.step), value: numberOrNull(data.value) };
    case "log":
      return { kind: "log", message: textOf(data.message) };
    case "checkpoint":
      return { kind: "checkpoint", step: numberOrNull(data.step), path: textOf(data.path) };
    case "generation":
      return {
        kind: "generation",
        expected: typeof data.expected === "string" ? data.expected : null,
        output: textOf(data.output),
        correct: typeof data.correct === "boolean" ? data.correct : null,
      };
    case "done":
      return { kind: "done", status: textOf(data.status) };
    default:
      return null;
  }
}

/**
 * A `log` chunk's lines: its text holds one or more lines, each ending "\n"; `events`
 * holds the server's reading of each, in order (a missing entry: a plain line).
 */
export function chunkLines(seq: number, stream: LogStream, text: string, events: readonly (LineEventData | null)[]): LogLine[] {
  const parts = text.split("\n");
  // The last part is what follows the final "\n": empty unless the process ended mid-line.
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map((line, index) => {
    const clean = line.endsWith("\r") ? line.slice(0, -1) : line;
    return { key: `${seq}:${index}`, seq, stream, text: clean, event: toLineEvent(events[index]) };
  });
}

export type LogBuffer = {
  /** The newest lines, oldest first, at most `MAX_LOG_LINES`. */
  lines: LogLine[];
  /** Lines received in all, dropped ones included. */
  total: number;
  /** Of `lines`, how many are metric events (hidden unless asked for). */
  metricLines: number;
};

export const EMPTY_LOG: LogBuffer = { lines: [], total: 0, metricLines: 0 };

const isMetric = (line: LogLine) => line.event?.kind === "metric";

/** `buffer` with `added` appended, trimmed to the newest `max` lines. */
export function appendLines(buffer: LogBuffer, added: LogLine[], max: number = MAX_LOG_LINES): LogBuffer {
  if (added.length === 0) return buffer;
  let lines = buffer.lines.concat(added);
  let metricLines = buffer.metricLines + added.filter(isMetric).length;
  if (lines.length > max) {
    const dropped = lines.slice(0, lines.length - max);
    metricLines -= dropped.filter(isMetric).length;
    lines = lines.slice(-max);
  }
  return { lines, total: buffer.total + added.length, metricLines };
}

/** Names a metric line's value briefly: `step 12 · train/loss = 3.2`. */
export function describeMetric(event: Extract<LineEvent, { kind: "metric" }>): string {
  const value = event.value === null ? "—" : Number(event.value.toPrecision(5)).toString();
  return `${event.step === null ? "" : `step ${event.step} · `}${event.name} = ${value}`;
}
