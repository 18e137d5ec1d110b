import { json, type RouteHandler } from "./fetchMock";
import { datasetPage, datasetSummary } from "./datasets";
import { runId, TUNIX_AVAILABLE } from "./runs";

export const JOB_ID = "00000000-0000-4000-8000-0000000000f1";

/** A study as POST /api/tuning/jobs answers it: created, not started, unless overridden. */
export function tuningJob(overrides: Record<string, unknown> = {}) {
  return {
    id: JOB_ID,
    name: "lr-sweep",
    status: "created",
    dataset_key: "duels-v1",
    base_model_id: "tunix-rt/tiny-gemma3",
    mode: "local",
    metric_name: "eval_loss",
    metric_mode: "min",
    num_samples: 4,
    max_concurrent_trials: 2,
    search_alg: "random",
    scheduler: "asha",
    seed: 0,
    search_space: {
      learning_rate: { type: "loguniform", min: 0.001, max: 0.02 },
      batch_size: { type: "choice", values: [4, 8] },
    },
    training: { max_steps: 40, max_seq_length: 320, eval_every_n_steps: 10, num_generations: 0 },
    best_run_id: null,
    best_params: null,
    best_metric_value: null,
    message: null,
    error: null,
    created_at: "2025-03-01T12:00:00Z",
    queued_at: null,
    completed_at: null,
    attempt: 0,
    ...overrides,
  };
}

/** A trial `n` (begun n seconds after the study), completed unless overridden. */
export function trial(n: number, overrides: Record<string, unknown> = {}) {
  return {
    id: `0000000e-0000-4000-8000-${String(n).padStart(12, "0")}`,
    trial_key: `trial_${String(n).padStart(5, "0")}`,
    run_id: runId(n),
    params: { learning_rate: 0.005, batch_size: 8 },
    metric_value: 1,
    status: "completed",
    stopped_step: 40,
    error: null,
    created_at: `2025-03-01T12:00:${String(n).padStart(2, "0")}Z`,
    completed_at: `2025-03-01T12:01:${String(n).padStart(2, "0")}Z`,
    ...overrides,
  };
}

/** Four trials, best first as the server lists them: #2 best (0.5), #1, #3 stopped early, #4 running unmeasured. */
export const TRIALS = [
  trial(2, { params: { learning_rate: 0.0123456, batch_size: 4 }, metric_value: 0.5 }),
  trial(1, { params: { learning_rate: 0.002, batch_size: 8 }, metric_value: 0.9 }),
  trial(3, { params: { learning_rate: 0.001, batch_size: 4 }, metric_value: 2.25, status: "early_stopped", stopped_step: 10 }),
  trial(4, { params: { learning_rate: 0.0191, batch_size: 8 }, metric_value: null, status: "running", stopped_step: null, completed_at: null }),
];

/** GET /api/tuning/jobs/{id}: the study with `trials` (none unless given). */
export function tuningDetail(overrides: Record<string, unknown> = {}, trials: unknown[] = []) {
  return { ...tuningJob(overrides), trials };
}

/** A running study with TRIALS, #2 the best so far. */
export function runningDetail(overrides: Record<string, unknown> = {}) {
  return tuningDetail(
    {
      status: "running",
      queued_at: "2025-03-01T12:00:00Z",
      attempt: 1,
      best_run_id: runId(2),
      best_params: { learning_rate: 0.0123456, batch_size: 4 },
      best_metric_value: 0.5,
      ...overrides,
    },
    TRIALS,
  );
}

export function tuningPage(jobs: unknown[], offset = 0, nextOffset: number | null = null) {
  return { data: jobs, pagination: { limit: 20, offset, next_offset: nextOffset, next_cursor: nextOffset === null ? null : "c" } };
}

/** Datasets duels-v1 (with an eval split) and duels-v2 (without one). */
export function tuningDatasets() {
  const v1 = datasetSummary(1);
  const v2 = { ...datasetSummary(2), train_count: 30, eval_count: 0 };
  return { ...datasetPage([], 0, null), data: [v1, v2] };
}

/** Everything the Tuning page reads: no studies yet, Tunix with its built-in models, two datasets. */
export function tuningPageRoutes(routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    "GET /api/tuning/jobs": () => json(200, tuningPage([])),
    "GET /api/tunix/status": () => json(200, TUNIX_AVAILABLE),
    "GET /api/datasets": () => json(200, tuningDatasets()),
    ...routes,
  };
}
