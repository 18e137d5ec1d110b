import { datasetPage } from "./datasets";
import { apiError, json, type RouteHandler } from "./fetchMock";
import { JUDGES } from "./judges";
import { end, liveSse, sseResponse, status } from "./sse";

export const BUILTIN_MODELS = {
  "tunix-rt/tiny-gemma3": "Gemma 3, 2 layers, width 128 (~0.5M params)",
  "tunix-rt/small-gemma3": "Gemma 3, 4 layers, width 256 (~3.5M params)",
};

export const TUNIX_AVAILABLE = {
  available: true,
  version: "0.1.7",
  runtime_required: true,
  message: "Tunix runtime is available for execution.",
  jax_version: "0.10.2",
  devices: ["cpu:0"],
  builtin_models: BUILTIN_MODELS,
  local_models: [] as unknown[],
};

/** A checkpoint under MODEL_DIR, as `tunix-rt model import gemma-3-270m` leaves it. */
export const LOCAL_MODEL = {
  model_id: "google/gemma-3-270m",
  model_type: "gemma3_text",
  parameters: 268_098_176,
  size_bytes: 1_072_419_872,
  description: "Google's Gemma 3 270M, pretrained (18 layers, width 640, 262k vocabulary)",
  note: "268M parameters: on a CPU a LoRA step at batch 4 x 128 takes about 8 s (the first ~40 s, compiling) and ~8 GB of memory",
};

/** Tunix available, with LOCAL_MODEL under MODEL_DIR besides the built-in models. */
export const TUNIX_WITH_LOCAL_MODEL = { ...TUNIX_AVAILABLE, local_models: [LOCAL_MODEL] };

export const TUNIX_UNAVAILABLE = {
  available: false,
  version: null,
  runtime_required: false,
  message: "Tunix runtime not available. Install with `pip install -e 'backend[tunix]'` (make run does) for local execution.",
  jax_version: null,
  devices: [],
  builtin_models: BUILTIN_MODELS,
  local_models: [] as unknown[],
};

export const RUN_ID = "00000000-0000-4000-8000-0000000000a1";

export const CHECKS = [
  { name: "dataset", ok: true, detail: "duels-v1: 30 traces (27 train, 3 eval), template gemma-reasoning-v1" },
  { name: "model", ok: true, detail: "tunix-rt/tiny-gemma3: built in, random init" },
  { name: "tokens", ok: true, detail: "30 samples: prompt mean 30 / max 30 tokens; 0 longer than max_seq_length 320" },
  { name: "steps", ok: true, detail: "300 steps of batch 16 (27 train examples, 1 steps per epoch)" },
  { name: "output_dir", ok: true, detail: "/data/artifacts/runs/00000000-0000-4000-8000-0000000000a1" },
  { name: "runtime", ok: true, detail: "Tunix is installed" },
];

export function runResult(overrides: Record<string, unknown> = {}) {
  return {
    run_id: RUN_ID,
    status: "completed",
    mode: "dry-run",
    dataset_key: "duels-v1",
    model_id: "tunix-rt/tiny-gemma3",
    output_dir: `runs/${RUN_ID}`,
    exit_code: 0,
    stdout: CHECKS.map((c) => `[ok] ${c.name}: ${c.detail}`).join("\n"),
    stderr: "",
    duration_seconds: 0.0003,
    started_at: "2025-03-01T12:00:00Z",
    completed_at: "2025-03-01T12:00:00Z",
    message: "Dry-run completed successfully. Configuration is valid.",
    checks: CHECKS,
    summary: null,
    ...overrides,
  };
}

const PROMPT = (question: string) => `<start_of_turn>user\n${question}<end_of_turn>\n<start_of_turn>model\n`;

export const LOCAL_STDOUT = [
  { event: "log", time: 1, message: "model tunix-rt/tiny-gemma3 (full); 27 train / 3 eval examples" },
  { event: "metric", time: 2, step: 0, name: "eval/loss", value: 5.55 },
  { event: "metric", time: 3, step: 1, name: "train/loss", value: 5.557 },
  { event: "checkpoint", time: 4, step: 20, path: "/data/artifacts/runs/x/checkpoints/20" },
  { event: "generation", time: 5, prompt: PROMPT("What is 9 + 2?"), expected: "11", output: "Answer: 11<end_of_turn>   ", correct: true },
  { event: "generation", time: 6, prompt: PROMPT("What is 3 + 4?"), expected: "7", output: "Answer: 8", correct: false },
  { event: "generation", time: 7, prompt: PROMPT("What is 5 + 5?"), expected: null, output: "", correct: null },
]
  .map((event) => JSON.stringify(event))
  // Shown as it came: the page reads nothing from it.
  .concat(["not json {", "[1, 2]", '{"event": "done", "status": "completed"}'])
  .join("\n");

export const LOCAL_SUMMARY = {
  start_step: 0,
  steps: 20,
  initial_loss: 5.557240009307861,
  final_loss: 2.5100038051605225,
  eval_loss: 5.555627346038818,
  eval_loss_step: 0,
  exact_match: 0.5,
  train_examples: 27,
  eval_examples: 3,
  latest_checkpoint: 20,
  wall_seconds: 59.02,
  steps_per_second: 0.406,
  tokens_per_second: 850,
  peak_rss_mb: 839.2,
  params_sha256: "7db7cab8",
};

type GenerationRow = { prompt: string; expected: string | null; output: string; correct: boolean | null; step?: number | null };

/** GET .../generations: `rows` in order, counted as the server counts them. */
export function runGenerations(rows: GenerationRow[], runId: string = RUN_ID) {
  const scored = rows.filter((row) => row.correct !== null);
  const correct = scored.filter((row) => row.correct).length;
  return {
    run_id: runId,
    generations: rows.map((row, index) => ({ index, step: 20, ...row })),
    total: rows.length,
    correct,
    exact_match: scored.length > 0 ? correct / scored.length : null,
  };
}

/** The answers of LOCAL_STDOUT's run: one right, one wrong, one the trainer could not score. */
export const LOCAL_GENERATIONS = runGenerations([
  { prompt: PROMPT("What is 9 + 2?"), expected: "11", output: "Answer: 11<end_of_turn>   ", correct: true },
  { prompt: PROMPT("What is 3 + 4?"), expected: "7", output: "Answer: 8", correct: false },
  { prompt: PROMPT("What is 5 + 5?"), expected: null, output: "", correct: null },
]);

/** `total` sums answered, `correct` of them right (the first ones), as a long run's. */
export function manyGenerations(total: number, correct: number, runId: string = RUN_ID) {
  return runGenerations(
    Array.from({ length: total }, (_, i) => ({
      prompt: PROMPT(`What is ${i} + 1?`),
      expected: String(i + 1),
      output: i < correct ? `Answer: ${i + 1}` : "Answer: 0",
      correct: i < correct,
    })),
    runId,
  );
}

export function localRunResult(overrides: Record<string, unknown> = {}) {
  return runResult({
    mode: "local",
    stdout: LOCAL_STDOUT,
    stderr: "W0301 warning from XLA\n",
    duration_seconds: 67.59,
    message: "Training completed: 20 steps, loss 5.557 -> 2.51.",
    summary: LOCAL_SUMMARY,
    ...overrides,
  });
}

/** A deterministic run id: n=1 -> 00000001-0000-4000-8000-000000000001. */
export function runId(n: number): string {
  return `${String(n).padStart(8, "0")}-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** A row of GET /api/tunix/runs: completed dry run `n` on duels-v1 unless overridden. */
export function runSummary(n: number, overrides: Record<string, unknown> = {}) {
  return {
    run_id: runId(n),
    dataset_key: "duels-v1",
    model_id: "tunix-rt/tiny-gemma3",
    mode: "dry-run",
    status: "completed",
    started_at: "2025-03-01T12:00:05Z",
    completed_at: "2025-03-01T12:00:07Z",
    duration_seconds: 1.5,
    attempt: 1,
    created_at: "2025-03-01T12:00:00Z",
    name: null,
    tags: [],
    learning_rate: null,
    max_steps: null,
    steps: null,
    final_loss: null,
    eval_loss: null,
    exact_match: null,
    progress: null,
    ...overrides,
  };
}

/** A row of GET /api/tunix/runs: completed training run `n`, with its figures, unless overridden. */
export function trainedRunSummary(n: number, overrides: Record<string, unknown> = {}) {
  return runSummary(n, {
    mode: "local",
    duration_seconds: 67.5,
    learning_rate: 0.005,
    max_steps: 300,
    steps: 300,
    final_loss: 0.4321,
    eval_loss: 0.5,
    exact_match: 0.8,
    ...overrides,
  });
}

export function runListPage(runs: unknown[], offset = 0, nextOffset: number | null = null) {
  return { data: runs, pagination: { limit: 20, offset, next_offset: nextOffset, next_cursor: nextOffset === null ? null : "c" } };
}

export const RUN_CONFIG = {
  dataset_key: "duels-v1",
  model_id: "tunix-rt/tiny-gemma3",
  dry_run: true,
  learning_rate: 0.01,
  batch_size: 8,
  max_steps: 500,
  timeout_seconds: null,
  output_dir: `runs/${RUN_ID}`,
};

/** GET /api/tunix/runs/{run_id}: a queued dry run that a worker ran, unless overridden. */
export function runDetail(overrides: Record<string, unknown> = {}) {
  return {
    ...runResult({ stdout: "[ok] dataset: duels-v1\n[ok] model: built in", stderr: "" }),
    message: "",
    checks: [],
    summary: null,
    created_at: "2025-03-01T12:00:00Z",
    queued_at: "2025-03-01T12:00:00Z",
    claimed_at: "2025-03-01T12:00:03Z",
    started_at: "2025-03-01T12:00:03Z",
    completed_at: "2025-03-01T12:00:05Z",
    duration_seconds: 2,
    attempt: 1,
    max_attempts: 3,
    worker_id: "host-1:4242:ab12",
    error: null,
    cancel_requested_at: null,
    config: RUN_CONFIG,
    name: null,
    notes: null,
    tags: [],
    ...overrides,
  };
}

/** GET .../artifacts of a training run: two checkpoints (directories), its manifest, its data. */
export const RUN_ARTIFACTS = [
  { name: "checkpoints/20/_CHECKPOINT_METADATA", size: 379, sha256: "1".repeat(64), modified_at: "2025-03-01T12:00:40Z", kind: "checkpoint" },
  { name: "checkpoints/20/model_params/a", size: 1_300_000, sha256: "2".repeat(64), modified_at: "2025-03-01T12:00:41Z", kind: "checkpoint" },
  { name: "checkpoints/40/model_params/a", size: 1_300_000, sha256: "3".repeat(64), modified_at: "2025-03-01T12:01:20Z", kind: "checkpoint" },
  { name: "manifest.yaml", size: 1063, sha256: "0959943a328ac22f53eeb6af6e55057489452ac18c590d5bca657b7b36332d0c", modified_at: "2025-03-01T12:00:01Z", kind: "config" },
  { name: "dataset.jsonl", size: 14_299, sha256: "b".repeat(64), modified_at: "2025-03-01T12:00:01Z", kind: "other" },
];

/** GET .../metrics: `points` of train/loss (others empty unless given). */
export function runMetrics(series: Record<string, [number, number][]>, runId: string = RUN_ID) {
  return {
    run_id: runId,
    series: Object.entries(series).map(([name, points]) => ({ name, points, total: points.length })),
  };
}

/**
 * The routes a run's page reads besides the run itself, for any run: a stream that says
 * `streamStatus` (and ends, unless the run is pending or running: then it stays open),
 * no metrics, no files.
 */
export function runPageRoutes(streamStatus = "completed", routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    "GET /api/tunix/runs/:id/logs": () => {
      if (streamStatus !== "pending" && streamStatus !== "running") return sseResponse(status(streamStatus), end(streamStatus));
      const open = liveSse();
      open.send(status(streamStatus));
      return open.response;
    },
    "GET /api/tunix/runs/:id/metrics": (_request, params) => json(200, runMetrics({}, params.id)),
    "GET /api/tunix/runs/:id/artifacts": () => json(200, []),
    "GET /api/tunix/runs/:id/generations": (_request, params) => json(200, runGenerations([], params.id)),
    // Not evaluated (yet); the judges an Evaluate button offers.
    "GET /api/tunix/runs/:id/evaluation": (_request, params) => apiError(404, "EvaluationNotFound", `run ${params.id} has no evaluation yet`),
    "GET /api/judges": () => json(200, JUDGES),
    // No models yet: the register panel of a completed run offers a new one.
    "GET /api/models": () => json(200, { data: [], pagination: { limit: 100, offset: 0, next_offset: null } }),
    // Not registered yet.
    "GET /api/models/versions": () => json(200, []),
    ...routes,
  };
}

/** Everything the Runs page reads: Tunix available, datasets duels-v1 and duels-v2, no runs yet. */
export function runsPageRoutes(routes: Record<string, RouteHandler> = {}): Record<string, RouteHandler> {
  return {
    "GET /api/tunix/status": () => json(200, TUNIX_AVAILABLE),
    "GET /api/datasets": () => json(200, datasetPage([1, 2], 0, null)),
    "GET /api/tunix/runs": () => json(200, runListPage([])),
    "GET /api/tunix/runs/:id/generations": (_request, params) => json(200, runGenerations([], params.id)),
    ...routes,
  };
}
