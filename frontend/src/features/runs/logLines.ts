// The live log's lines: each `log` chunk split into lines, each line read as one of the
// training process's JSON events where it is one, and a buffer that keeps only the
// newest lines so a long run cannot grow the page without bound.

import type { LogStream } from "./runStream";

/** The most lines the viewer keeps (and renders); older ones are dropped, and it says so. */
export const MAX_LOG_LINES = 5_000;

/** What a line of the training process's stdout is, when it is a JSON event. */
export type LineEvent =
  | { kind: "metric"; name: string; step: number | null; value: number | null }
  | { kind: "log"; message: string }
  | { kind: "checkpoint"; step: number | null; path: string }
  | { kind: "generation"; expected: string; output: string; correct: boolean | null }
  | { kind: "done"; status: string }
  | { kind: "other"; name: string };

export type LogLine = {
  /** Unique and stable: `<seq>:<line in chunk>`. */
  key: string;
  seq: number;
  stream: LogStream;
  text: string;
  /** Set for a JSON event line; plain text otherwise. */
  event: LineEvent | null;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const numberOrNull = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : null);
const textOf = (value: unknown) => (typeof value === "string" ? value : value == null ? "" : JSON.stringify(value));

/** The event a line holds, or null for plain text (dry-run checks, warnings, tracebacks). */
export function readLineEvent(text: string): LineEvent | null {
  if (!text.trimStart().startsWith("{")) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value) || typeof value.event !== "string") return null;
  switch (value.event) {
    case "metric":
      return { kind: "metric", name: textOf(value.name), step: numberOrNull(value.step), value: numberOrNull(value.value) };
    case "log":
      return { kind: "log", message: textOf(value.message) };
    case "checkpoint":
      return { kind: "checkpoint", step: numberOrNull(value.step), path: textOf(value.path) };
    case "generation":
      return {
        kind: "generation",
        expected: textOf(value.expected),
        output: textOf(value.output),
        correct: typeof value.correct === "boolean" ? value.correct : null,
      };
    case "done":
      return { kind: "done", status: textOf(value.status) };
    default:
      return { kind: "other", name: value.event };
  }
}

/** A `log` chunk's lines: its text holds one or more lines, each ending "\n". */
export function chunkLines(seq: number, stream: LogStream, text: string): LogLine[] {
  const parts = text.split("\n");
  // The last part is what follows the final "\n": empty unless the process ended mid-line.
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map((line, index) => {
    const clean = line.endsWith("\r") ? line.slice(0, -1) : line;
    return { key: `${seq}:${index}`, seq, stream, text: clean, event: stream === "stdout" ? readLineEvent(clean) : null };
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
