// How a run's summary (typed as a free-form object) and its held-out answers are shown.
// Nothing here reads the run's stdout: the server stores each training event it needs.

import type { RunGenerations } from "./queries";

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

/**
 * What the held-out answers scored, from the server's own counts, so the count and the
 * percentage always describe the same answers: "77 of 100 correct (77%)". Null when no
 * prompt was answered.
 */
export function scoreLine({ generations, total, correct, exact_match: exactMatch }: RunGenerations): string | null {
  if (total === 0) return null;
  if (exactMatch === null) return `${total} answered, none scored`;
  const scored = generations.filter((generation) => generation.correct !== null).length;
  if (scored === total) return `${correct} of ${total} correct (${formatPercent(exactMatch)})`;
  return `${correct} of ${scored} scored correct (${formatPercent(exactMatch)}); ${total - scored} not scored`;
}

/** Where the trainer writes the checkpoint of `step`, among the run's artifacts. */
export function checkpointName(step: number): string {
  return `checkpoints/${step}`;
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
