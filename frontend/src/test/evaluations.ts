import { apiError, json } from "./fetchMock";
import { JUDGES } from "./judges";
import { RUN_ID } from "./runs";

export const EVALUATION_ID = "00000000-0000-4000-8000-0000000000e1";


export const COMPLETED_DETAILS = {
  answered: 40,
  correct: 26,
  wrong: 14,
  majority_baseline: { answer: "player 1", share: 0.525 },
  verdict_rule: "pass when the 95% interval's lower bound is above the majority baseline",
  format_adherence: 0.975,
  mean_output_tokens: 118.275,
  mean_reasoning_tokens: 101.375,
  mean_reasoning_steps: 2.975,
  mean_latency_ms: 213.97,
  judge_calls: 0,
  accuracy_by_reasoning_length: [
    { min_tokens: 97, max_tokens: 99, n: 7, accuracy: 0.8571428571428571 },
    { min_tokens: 100, max_tokens: 100, n: 7, accuracy: 0.7142857142857143 },
    { min_tokens: 101, max_tokens: 114, n: 26, accuracy: 0.6 },
  ],
  interval_method: "wilson",
};

/** GET .../evaluation: a completed exact-match evaluation of RUN_ID (26 of 40), unless overridden. */
export function evaluationDetail(overrides: Record<string, unknown> = {}) {
  return {
    id: EVALUATION_ID,
    run_id: RUN_ID,
    model_id: "tunix-rt/tiny-gemma3",
    dataset_key: "duels-v1",
    dataset_sha256: "e2cf7e24fccff16b4c4155f7abf2aeda99c7f0c6072879b4fae3bfd231f59073",
    split: "eval",
    judge: { name: "exact_match", version: "1", config_hash: JUDGES[0]!.config_hash, mock: false },
    checkpoint_step: 200,
    decoding: { temperature: 0, max_new_tokens: 137, batch_size: 32, prompt_buckets: [128], cache_size: 265 },
    status: "completed",
    score: 65,
    primary_score: 0.65,
    interval: { low: 0.495, high: 0.7787, method: "wilson" },
    verdict: "fail",
    n_items: 40,
    n_scored: 40,
    n_unscored: 0,
    details: COMPLETED_DETAILS,
    progress: { done: 40, total: 40 },
    message: "65.0% on 40 eval items (exact_match v1)",
    error: null,
    attempt: 1,
    created_at: "2025-03-01T12:01:00Z",
    started_at: "2025-03-01T12:01:00Z",
    completed_at: "2025-03-01T12:01:20Z",
    ...overrides,
  };
}

/** A queued or running evaluation: no score yet, `done` of `total` items answered. */
export function liveEvaluation(status: "pending" | "running", done: number, total = 40, overrides: Record<string, unknown> = {}) {
  return evaluationDetail({
    status,
    score: null,
    primary_score: null,
    interval: null,
    verdict: null,
    n_items: total,
    n_scored: 0,
    details: {},
    checkpoint_step: null,
    progress: { done, total },
    message: status === "pending" ? "Queued: a worker will start it." : "Answering the prompts.",
    completed_at: null,
    ...overrides,
  });
}

const PROMPT = (question: string) => `<start_of_turn>user\n${question}<end_of_turn>\n<start_of_turn>model\n`;

/** An item of GET .../items: `correct` decides its outcome. */
export function evaluationItem(index: number, correct: boolean | null, overrides: Record<string, unknown> = {}) {
  return {
    index,
    trace_id: null,
    prompt: PROMPT(`High Card Duel ${index}: who wins?`),
    expected: "Player 1",
    output: `Reasoning:\n1. Compare.\nAnswer: ${correct ? "Player 1" : "Player 2"}<end_of_turn>`,
    extracted: correct === null ? null : correct ? "Player 1" : "Player 2",
    correct,
    score: correct === null ? null : correct ? 1 : 0,
    format_ok: correct !== null,
    reasoning_steps: 1,
    reasoning_tokens: 10 + index,
    output_tokens: 20 + index,
    latency_ms: 150,
    judge_reasoning: null,
    judge_raw: null,
    judge_attempts: 0,
    unscored_reason: correct === null ? "no `Answer:` line" : null,
    ...overrides,
  };
}

export function itemPage(items: unknown[], offset = 0, nextOffset: number | null = null) {
  return { data: items, pagination: { limit: 20, offset, next_offset: nextOffset } };
}

export function leaderboardRow(n: number, overrides: Record<string, unknown> = {}) {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return {
    evaluation_id: id,
    run_id: `${String(n).padStart(8, "0")}-0000-4000-8000-${String(n).padStart(12, "0")}`,
    model_id: "tunix-rt/tiny-gemma3",
    dataset_key: "duels-v1",
    split: "eval",
    judge: "exact_match",
    judge_version: "1",
    score: 77.5,
    primary_score: 0.775,
    interval: { low: 0.704, high: 0.834, method: "wilson" },
    n_scored: 40,
    n_unscored: 0,
    verdict: "pass",
    created_at: "2025-03-01T12:00:00Z",
    ...overrides,
  };
}

export function leaderboardPage(rows: unknown[], offset = 0, nextOffset: number | null = null) {
  return { data: rows, pagination: { limit: 25, offset, next_offset: nextOffset } };
}

export const NO_EVALUATION = () => apiError(404, "EvaluationNotFound", `run ${RUN_ID} has no evaluation yet`);
export { JUDGES };
export const JUDGES_ROUTE = () => json(200, JUDGES);
