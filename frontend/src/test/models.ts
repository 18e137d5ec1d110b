import { EVALUATION_ID } from "./evaluations";
import { CHECK_ID } from "./regression";
import { RUN_ID, runId } from "./runs";

export const MODEL_ID = "00000000-0000-4000-8000-0000000000d1";
export const V1_ID = "00000000-0000-4000-8000-0000000000e1";
export const V2_ID = "00000000-0000-4000-8000-0000000000e2";
export const V1_RUN_ID = runId(41);

const REF = { v1: { id: V1_ID, version: "v1" }, v2: { id: V2_ID, version: "v2" } } as const;

export function versionRef(which: keyof typeof REF) {
  return REF[which];
}

/** An alias of `duel-reasoner`: `staging` on v2 unless overridden. */
export function alias(overrides: Record<string, unknown> = {}) {
  return { alias: "staging", version: REF.v2, protected: false, updated_at: "2025-03-05T10:00:00Z", rollback_to: REF.v1, ...overrides };
}

/** GET /api/models/{id}: `duel-reasoner`, two versions, `staging` on v2 and a protected `prod` on v1 (the server protects `prod`). */
export function model(overrides: Record<string, unknown> = {}) {
  return {
    id: MODEL_ID,
    name: "duel-reasoner",
    description: "Plays High Card Duel",
    task_type: "reasoning",
    latest_version: REF.v2,
    version_count: 2,
    aliases: [alias({ alias: "prod", version: REF.v1, protected: true, updated_at: "2025-03-04T10:00:00Z" }), alias()],
    protected_aliases: ["prod"],
    created_at: "2025-03-01T09:00:00Z",
    updated_at: "2025-03-05T10:00:00Z",
    ...overrides,
  };
}

export function modelPage(rows: unknown[], offset = 0, nextOffset: number | null = null) {
  return { data: rows, pagination: { limit: 50, offset, next_offset: nextOffset } };
}

function evaluationRecord(overrides: Record<string, unknown> = {}) {
  return {
    evaluation_id: EVALUATION_ID,
    judge: "exact_match",
    judge_version: "1",
    judge_config_hash: "e2b766d0e46e",
    mock: false,
    dataset_key: "duels-v1",
    dataset_sha256: "e2cf7e24",
    split: "eval",
    checkpoint_step: 30,
    primary_score: 0.7,
    score: 70,
    n_items: 10,
    n_scored: 10,
    created_at: "2025-03-02T12:00:00Z",
    ...overrides,
  };
}

/**
 * GET /api/models/versions/{id}: v2 of duel-reasoner from RUN_ID (exact_match 0.7, then a
 * newer mock evaluation that must not count), `staging` on it.
 */
export function version(overrides: Record<string, unknown> = {}) {
  return {
    id: V2_ID,
    model_id: MODEL_ID,
    model_name: "duel-reasoner",
    version: "v2",
    description: "After the longer warmup",
    source_run_id: RUN_ID,
    status: "ready",
    metrics: {
      training: { steps: 30, initial_loss: 5.5572, final_loss: 2.51, eval_loss: 2.8, exact_match: 0.5 },
      evaluations: [
        evaluationRecord(),
        evaluationRecord({ evaluation_id: "00000000-0000-4000-8000-0000000000f9", judge: "mock", mock: true, primary_score: 1 }),
      ],
    },
    config: { dataset_key: "duels-v1", model_id: "tunix-rt/tiny-gemma3", max_steps: 30 },
    provenance: {
      run_id: RUN_ID,
      dataset_key: "duels-v1",
      dataset_sha256: "e2cf7e24fccff16b4c4155f7abf2aeda99c7f0c6072879b4fae3bfd231f59073",
      template: "gemma-reasoning-v1",
      template_sha256: "ab".repeat(32),
      base_model: "tunix-rt/tiny-gemma3",
      method: "full",
      seed: 7,
      checkpoint_step: 30,
      params_sha256: "7db7cab8",
      versions: { jax: "0.10.2", tunix: "0.1.7" },
    },
    sha256: "c0ffee".padEnd(64, "0"),
    size_bytes: 1_572_864,
    aliases: ["staging"],
    created_at: "2025-03-03T12:00:00Z",
    ...overrides,
  };
}

/** v1: from run 41, no evaluation, `prod` on it. */
export function version1(overrides: Record<string, unknown> = {}) {
  return version({
    id: V1_ID,
    version: "v1",
    description: null,
    source_run_id: V1_RUN_ID,
    metrics: { training: { steps: 30, initial_loss: 5.6, final_loss: 3.25, eval_loss: null, exact_match: null }, evaluations: [] },
    provenance: { ...version().provenance, run_id: V1_RUN_ID },
    sha256: "beef".padEnd(64, "1"),
    size_bytes: 1_048_576,
    aliases: ["prod"],
    created_at: "2025-03-02T12:00:00Z",
    ...overrides,
  });
}

export function versionPage(rows: unknown[]) {
  return { data: rows, pagination: { limit: 100, offset: 0, next_offset: null } };
}

/** An event of an alias's history. */
export function aliasEvent(id: number, action: string, from: keyof typeof REF | null, to: keyof typeof REF | null, overrides: Record<string, unknown> = {}) {
  return {
    id,
    alias: "staging",
    action,
    from_version: from ? REF[from] : null,
    to_version: to ? REF[to] : null,
    actor: null,
    check_id: null,
    reason: null,
    created_at: `2025-03-0${Math.min(id, 9)}T10:00:00Z`,
    ...overrides,
  };
}

export function historyPage(rows: unknown[], nextOffset: number | null = null) {
  return { data: rows, pagination: { limit: 20, offset: 0, next_offset: nextOffset } };
}

export const DATASET_SHA = "e2cf7e24fccff16b4c4155f7abf2aeda99c7f0c6072879b4fae3bfd231f59073";
export const SAMPLE_TRACE_IDS = [1, 2, 3, 4].map((n) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`);

/** A version as lineage names it: v2 of duel-reasoner, `staging` on it. */
export function lineageVersion(overrides: Record<string, unknown> = {}) {
  return {
    model_id: MODEL_ID,
    model_name: "duel-reasoner",
    id: V2_ID,
    version: "v2",
    sha256: "c0ffee".padEnd(64, "0"),
    aliases: ["staging"],
    created_at: "2025-03-03T12:00:00Z",
    ...overrides,
  };
}

/**
 * GET /api/models/versions/{id}/lineage of v2: 30 traces of duels-v1 (unchanged since),
 * RUN_ID, a real and a mock evaluation, a passed check against gemma-v1.
 */
export function versionLineage(overrides: Record<string, unknown> = {}) {
  return {
    dataset: {
      key: "duels-v1",
      sha256: DATASET_SHA,
      sha256_now: DATASET_SHA,
      traces: { count: 30, train: 27, eval: 3, sample_ids: SAMPLE_TRACE_IDS },
    },
    run: {
      run_id: RUN_ID,
      status: "completed",
      base_model: "tunix-rt/tiny-gemma3",
      created_at: "2025-03-02T10:00:00Z",
      completed_at: "2025-03-02T10:05:00Z",
      config: { dataset_key: "duels-v1", max_steps: 30, learning_rate: 0.005, batch_size: 8 },
    },
    evaluations: [
      { id: EVALUATION_ID, judge: "exact_match", split: "eval", primary_score: 0.7, mock: false, created_at: "2025-03-02T12:00:00Z" },
      { id: "00000000-0000-4000-8000-0000000000f9", judge: "mock", split: "eval", primary_score: 1, mock: true, created_at: "2025-03-02T12:30:00Z" },
    ],
    checks: [{ id: CHECK_ID, baseline_name: "gemma-v1", verdict: "pass", created_at: "2025-03-02T13:00:00Z" }],
    version: lineageVersion(),
    ...overrides,
  };
}

/** GET /api/datasets/{key}/lineage of duels-v1: RUN_ID (v2 of duel-reasoner, staging) and run 41 (not registered). */
export function datasetLineage(overrides: Record<string, unknown> = {}) {
  return {
    key: "duels-v1",
    sha256: DATASET_SHA,
    traces: { count: 30, train: 27, eval: 3, sample_ids: SAMPLE_TRACE_IDS },
    runs: [
      { run_id: RUN_ID, status: "completed", base_model: "tunix-rt/tiny-gemma3", created_at: "2025-03-02T10:00:00Z", versions: [lineageVersion()] },
      { run_id: V1_RUN_ID, status: "failed", base_model: "tunix-rt/tiny-gemma3", created_at: "2025-03-01T10:00:00Z", versions: [] },
    ],
    runs_truncated: false,
    ...overrides,
  };
}
