// A local run's stdout is the training process's events, one JSON object a line
// (`log`, `metric`, `checkpoint`, `generation`, `done`); a dry run's is plain text.
// Its `summary` is typed as a free-form object. Both are read defensively here.

export type Generation = { prompt: string; expected: string; output: string; correct: boolean | null };

export type RunEvents = {
  generations: Generation[];
  /** The step of the last `eval/loss` metric (the summary's eval loss), if any. */
  evalLossStep: number | null;
  /** The path of the last committed checkpoint, if any. */
  checkpointPath: string | null;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseLine(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

function text(value: unknown): string {
  if (typeof value === "string") return value;
  return value === null || value === undefined ? "" : JSON.stringify(value);
}

/** The events of interest in a run's stdout; lines that are not JSON objects are skipped. */
export function readRunEvents(stdout: string): RunEvents {
  const events: RunEvents = { generations: [], evalLossStep: null, checkpointPath: null };
  for (const line of stdout.split("\n")) {
    const event = parseLine(line);
    if (!event) continue;
    if (event.event === "generation") {
      events.generations.push({
        prompt: text(event.prompt),
        expected: text(event.expected),
        output: text(event.output),
        correct: typeof event.correct === "boolean" ? event.correct : null,
      });
    } else if (event.event === "metric" && event.name === "eval/loss" && typeof event.step === "number") {
      events.evalLossStep = event.step;
    } else if (event.event === "checkpoint" && typeof event.path === "string") {
      events.checkpointPath = event.path;
    }
  }
  return events;
}

const TURN_MARKERS = /<start_of_turn>(user|model)\n?|<end_of_turn>\n?/g;

/** A prompt in the chat template, `<start_of_turn>user\nWhat is 9 + 2?<end_of_turn>…`, as its text. */
export function promptText(prompt: string): string {
  return prompt.replace(TURN_MARKERS, "").trim();
}

/** A model's answer without the end-of-turn marker and trailing padding. */
export function outputText(output: string): string {
  return output.replace(/<end_of_turn>[\s\S]*$/, "").trimEnd();
}

/** The summary keys shown as facts; any other key is listed as it came. */
export const KNOWN_SUMMARY_KEYS = new Set([
  "steps",
  "start_step",
  "initial_loss",
  "final_loss",
  "eval_loss",
  "eval_loss_step",
  "exact_match",
  "train_examples",
  "eval_examples",
  "steps_per_second",
  "tokens_per_second",
  "peak_rss_mb",
  "wall_seconds",
  "latest_checkpoint",
  "error",
]);

export function numberAt(summary: Record<string, unknown>, key: string): number | null {
  const value = summary[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function formatLoss(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

export function formatPercent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(1))}%`;
}

export function formatNumber(value: number, digits = 2): string {
  return value.toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function formatSeconds(seconds: number): string {
  // A dry run takes milliseconds: "0 s" would read as "did not run".
  if (seconds < 1) return `${formatNumber(seconds * 1000, 0)} ms`;
  if (seconds < 60) return `${formatNumber(seconds, 1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** Any other summary value, as text. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}
