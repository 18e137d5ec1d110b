// `log` chunks as the server sends them: the text the process wrote, and for each line the
// server's reading of it (training/events.py's `describe_lines`): the trainer's event as
// `{kind, ...its fields}`, or null for a plain line. Nothing here parses a line: a test
// says what each line is, as the server would.

import type { LineEventData } from "../features/runs/runStream";

/** A line of a chunk: plain text, or a trainer's event line with the server's reading of it. */
export type ChunkLine = string | { text: string; event: LineEventData };

/** The line the trainer prints for an event (`{"event": kind, "time": ..., ...}`) and the server's reading of it. */
export function eventLine(kind: string, fields: Record<string, unknown>): ChunkLine {
  return { text: JSON.stringify({ event: kind, time: 1, ...fields }), event: { kind, ...fields } };
}

export const logLine = (message: string) => eventLine("log", { message });
export const metricLine = (step: number | null, name: string, value: number) => eventLine("metric", { step, name, value });
export const checkpointLine = (step: number, path: string) => eventLine("checkpoint", { step, path });
export const generationLine = (fields: { expected: string | null; output: string; correct: boolean | null; index?: number; step?: number | null; prompt?: string }) =>
  eventLine("generation", { index: 0, step: 20, prompt: "What is 9 + 2?", ...fields });
export const doneLine = (status: string) => eventLine("done", { status, summary: {} });

/** A chunk of `lines`, each ending "\n", and one entry a line: what `log` events carry. */
export function chunkOf(lines: ChunkLine[]): { text: string; events: (LineEventData | null)[] } {
  return {
    text: lines.map((line) => (typeof line === "string" ? line : line.text) + "\n").join(""),
    events: lines.map((line) => (typeof line === "string" ? null : line.event)),
  };
}

/** A null entry for each line of `text` (the last part dropped when empty): a chunk of plain lines. */
export function plainEvents(text: string): null[] {
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map(() => null);
}
