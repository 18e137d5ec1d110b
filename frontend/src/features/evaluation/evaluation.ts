// The evaluations domain's pure parts: how a score and its interval read, what the
// free-form `details` of an evaluation hold, and the routes of an evaluation.

import type { Schemas } from "../../api/client";
import { isLive } from "../runs/history";

export type Evaluation = Schemas["EvaluationDetail"];
export type EvaluationState = Evaluation["status"];
export type ScoreInterval = Schemas["Interval"];
export type ItemOutcome = "correct" | "wrong" | "unscored";

/** Answered items a page of the items table holds. */
export const ITEM_PAGE_SIZE = 20;

/** Pending or running: a worker may still change it. */
export function isEvaluationLive(status: EvaluationState): boolean {
  return isLive(status);
}

/** `0.775` -> `77.5%` (always one decimal: scores of one table line up). */
export function formatShare(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** `{low: 0.704, high: 0.834}` -> `70.4–83.4` (percent, without the sign). */
export function formatInterval(interval: Pick<ScoreInterval, "low" | "high">): string {
  return `${(interval.low * 100).toFixed(1)}–${(interval.high * 100).toFixed(1)}`;
}

/** `77.5% (70.4–83.4)`: the score (0–1) with its 95% interval when there is one. */
export function scoreText(primaryScore: number, interval: ScoreInterval | null): string {
  const score = formatShare(primaryScore);
  return interval ? `${score} (${formatInterval(interval)})` : score;
}

export const INTERVAL_METHODS: Record<ScoreInterval["method"], string> = {
  wilson: "Wilson",
  normal: "normal approximation",
};

export type LengthBucket = { minTokens: number; maxTokens: number; n: number; accuracy: number };
export type MajorityBaseline = { answer: string; share: number };

/** What the server's `details` hold, each field checked (the API types it as a free object). */
export type EvaluationFacts = {
  answered: number | null;
  correct: number | null;
  wrong: number | null;
  majorityBaseline: MajorityBaseline | null;
  verdictRule: string | null;
  formatAdherence: number | null;
  meanOutputTokens: number | null;
  meanReasoningTokens: number | null;
  meanReasoningSteps: number | null;
  meanLatencyMs: number | null;
  judgeCalls: number | null;
  byReasoningLength: LengthBucket[];
};

function numberAt(source: Record<string, unknown>, key: string): number | null {
  const value = source[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function objectAt(source: Record<string, unknown>, key: string): Record<string, unknown> | null {
  const value = source[key];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function readBaseline(value: Record<string, unknown> | null): MajorityBaseline | null {
  if (!value) return null;
  const share = numberAt(value, "share");
  return typeof value.answer === "string" && share !== null ? { answer: value.answer, share } : null;
}

function readBuckets(value: unknown): LengthBucket[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const bucket = entry as Record<string, unknown>;
    const [minTokens, maxTokens, n, accuracy] = ["min_tokens", "max_tokens", "n", "accuracy"].map((key) => numberAt(bucket, key));
    if (minTokens == null || maxTokens == null || n == null || accuracy == null) return [];
    return [{ minTokens, maxTokens, n, accuracy }];
  });
}

export function readFacts(details: Record<string, unknown>): EvaluationFacts {
  return {
    answered: numberAt(details, "answered"),
    correct: numberAt(details, "correct"),
    wrong: numberAt(details, "wrong"),
    majorityBaseline: readBaseline(objectAt(details, "majority_baseline")),
    verdictRule: typeof details.verdict_rule === "string" ? details.verdict_rule : null,
    formatAdherence: numberAt(details, "format_adherence"),
    meanOutputTokens: numberAt(details, "mean_output_tokens"),
    meanReasoningTokens: numberAt(details, "mean_reasoning_tokens"),
    meanReasoningSteps: numberAt(details, "mean_reasoning_steps"),
    meanLatencyMs: numberAt(details, "mean_latency_ms"),
    judgeCalls: numberAt(details, "judge_calls"),
    byReasoningLength: readBuckets(details.accuracy_by_reasoning_length),
  };
}

/** The decoding settings the evaluation answered with, those that are set, as `name value` pairs. */
export function decodingEntries(decoding: Record<string, unknown>): [string, string][] {
  return Object.entries(decoding)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : String(value)]);
}

/** `3 – 7 tokens`, or `5 tokens` for a bucket of one length. */
export function bucketLabel(bucket: LengthBucket): string {
  return bucket.minTokens === bucket.maxTokens ? `${bucket.minTokens} tokens` : `${bucket.minTokens}–${bucket.maxTokens} tokens`;
}

/** The UI route of an evaluation of its own (a base model's, or any by id). */
export function evaluationPath(evaluationId: string): string {
  return `/evaluations/${encodeURIComponent(evaluationId)}`;
}

/** The URL search parameter with which a run's page shows one of its evaluations (not its newest). */
export const RUN_EVALUATION_PARAM = "evaluation";
/** The id of the run page's evaluation section (its URL hash). */
export const EVALUATION_ANCHOR = "evaluation";

/**
 * Where an evaluation is shown: a run's on the run's page (that evaluation, which need
 * not be the run's newest), a base model's on its own page.
 */
export function evaluationLink(evaluation: { evaluationId: string; runId: string | null }): string {
  if (evaluation.runId === null) return evaluationPath(evaluation.evaluationId);
  const query = new URLSearchParams({ [RUN_EVALUATION_PARAM]: evaluation.evaluationId });
  return `/runs/${encodeURIComponent(evaluation.runId)}?${query.toString()}#${EVALUATION_ANCHOR}`;
}
