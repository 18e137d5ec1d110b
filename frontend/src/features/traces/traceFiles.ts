// Trace files a user imports: JSON (one trace, or a list of them) or JSONL (one trace a
// line), read in the browser and sent in batches to POST /api/traces/batch, which
// stores a batch all or nothing and names each refused field by its item.

import { formatFieldPath, isApiError } from "../../api/errors";

/** At most this many traces a request: the server's default TRACE_BATCH_MAX_ITEMS. */
export const BATCH_MAX_ITEMS = 1000;
/** And about this many bytes of JSON a request (the server allows 32 MiB by default). */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;

/** A trace read from a file, and where it was: "line 3", "item 2", or "" (the file). */
export type FileTrace = { trace: unknown; where: string };

export type ParsedFile = {
  name: string;
  traces: FileTrace[];
  /** What could not be read, in words, each with its place. */
  problems: string[];
};

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "string" ? "a string" : typeof value === "number" ? "a number" : `a ${typeof value}`;
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readJsonLines(text: string): Pick<ParsedFile, "traces" | "problems"> {
  const traces: FileTrace[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    const where = `line ${index + 1}`;
    try {
      const value: unknown = JSON.parse(line);
      if (isObject(value)) traces.push({ trace: value, where });
      else problems.push(`${where}: ${kindOf(value)}, not a trace (a JSON object)`);
    } catch (error) {
      problems.push(`${where}: not JSON (${reason(error)})`);
    }
  });
  return { traces, problems };
}

function readJson(text: string): Pick<ParsedFile, "traces" | "problems"> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { traces: [], problems: [`not JSON (${reason(error)})`] };
  }
  if (isObject(value)) return { traces: [{ trace: value, where: "" }], problems: [] };
  if (!Array.isArray(value)) {
    return { traces: [], problems: [`the file holds ${kindOf(value)}, not a trace or a list of traces`] };
  }
  const traces: FileTrace[] = [];
  const problems: string[] = [];
  value.forEach((item: unknown, index) => {
    const where = `item ${index + 1}`;
    if (isObject(item)) traces.push({ trace: item, where });
    else problems.push(`${where}: ${kindOf(item)}, not a trace (a JSON object)`);
  });
  return { traces, problems };
}

/**
 * Reads a file's traces. `.jsonl` and `.ndjson` are one trace a line, `.json` one
 * trace or a list; another name is read as JSON if it parses as a whole, else as lines.
 */
export function parseTraceFile(name: string, text: string): ParsedFile {
  const lower = name.toLowerCase();
  let read: Pick<ParsedFile, "traces" | "problems">;
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) read = readJsonLines(text);
  else if (lower.endsWith(".json")) read = readJson(text);
  else {
    const whole = readJson(text);
    read = whole.problems.length === 0 ? whole : readJsonLines(text);
  }
  if (read.traces.length === 0 && read.problems.length === 0) read.problems.push("the file holds no traces");
  return { name, ...read };
}

/** The file's traces in request-sized batches (count and bytes), in order. */
export function batchesOf(traces: FileTrace[]): FileTrace[][] {
  const batches: FileTrace[][] = [];
  let current: FileTrace[] = [];
  let bytes = 0;
  for (const item of traces) {
    const size = JSON.stringify(item.trace).length + 1;
    if (current.length > 0 && (current.length >= BATCH_MAX_ITEMS || bytes + size > BATCH_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * A refused batch's errors, each placed in the file: the server's `["body", n, ...]`
 * is the batch's n-th trace ("line 7: steps → 0 → i: …"); anything else, in words.
 */
export function batchErrors(error: unknown, batch: FileTrace[]): string[] {
  if (!isApiError(error)) return [reason(error)];
  if (error.fieldErrors.length === 0) return [`${error.error}: ${String(error.detail)}`];
  return error.fieldErrors.map((item) => {
    const [root, index, ...rest] = item.loc;
    const trace = root === "body" && typeof index === "number" ? batch[index] : undefined;
    if (!trace) return item.loc.length > 1 ? `${formatFieldPath(item.loc)}: ${item.msg}` : item.msg;
    const field = rest.length > 0 ? `${formatFieldPath(["body", ...rest])}: ` : "";
    return `${trace.where || "the trace"}: ${field}${item.msg}`;
  });
}
