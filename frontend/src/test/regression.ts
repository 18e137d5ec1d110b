import { EVALUATION_ID } from "./evaluations";
import { JUDGES } from "./judges";
import { RUN_ID } from "./runs";

export const BASELINE_RUN_ID = "00000000-0000-4000-8000-0000000000b1";
export const BASELINE_EVALUATION_ID = "00000000-0000-4000-8000-0000000000b2";
export const CHECK_ID = "00000000-0000-4000-8000-0000000000c1";

const PINNED_JUDGE = { name: "exact_match", version: "1", config_hash: JUDGES[0]!.config_hash };

/** A setting of baseline `gemma-v1` (version 1: the primary score 0.65 of BASELINE_RUN_ID, the default margin). */
export function baselineSetting(overrides: Record<string, unknown> = {}) {
  return {
    version: 1,
    run_id: BASELINE_RUN_ID,
    evaluation_id: BASELINE_EVALUATION_ID,
    metric: "primary_score",
    lower_is_better: false,
    margin: 0.0325,
    margin_default: true,
    value: 0.65,
    judge: PINNED_JUDGE,
    dataset_key: "duels-v1",
    dataset_sha256: "e2cf7e24fccff16b4c4155f7abf2aeda99c7f0c6072879b4fae3bfd231f59073",
    split: "eval",
    description: null,
    created_at: "2025-03-01T12:00:00Z",
    ...overrides,
  };
}

/** GET /api/regression/baselines: a row. */
export function baseline(overrides: Record<string, unknown> = {}) {
  return { ...baselineSetting(), name: "gemma-v1", updated_at: "2025-03-01T12:00:00Z", ...overrides };
}

export function baselinePage(rows: unknown[], offset = 0, nextOffset: number | null = null) {
  return { data: rows, pagination: { limit: 50, offset, next_offset: nextOffset } };
}

export function checkPage(rows: unknown[], offset = 0, nextOffset: number | null = null) {
  return { data: rows, pagination: { limit: 20, offset, next_offset: nextOffset } };
}

/** A flipped item: `worse` (right in the baseline, wrong now) or better. */
export function flippedItem(index: number, direction: "worse" | "better", overrides: Record<string, unknown> = {}) {
  const worse = direction === "worse";
  return {
    index,
    trace_id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
    direction,
    expected: "Player 1",
    baseline_value: worse ? 1 : 0,
    current_value: worse ? 0 : 1,
    baseline_extracted: worse ? "Player 1" : "Player 2",
    current_extracted: worse ? "Player 2" : "Player 1",
    ...overrides,
  };
}

const WORSE = [3, 8, 11, 14, 20, 22, 30, 37];

/**
 * POST /api/regression/check: RUN_ID against gemma-v1 v2, a fail: 0.65 -> 0.475 on 40
 * paired items (2 more excluded), 8 worse and 1 better (exact McNemar p = 0.0391), the
 * interval [-0.3137, -0.0285] past the margin -0.0325.
 */
export function failReport(overrides: Record<string, unknown> = {}) {
  return {
    id: CHECK_ID,
    run_id: RUN_ID,
    baseline_name: "gemma-v1",
    baseline_version: 2,
    baseline_run_id: BASELINE_RUN_ID,
    metric_name: "primary_score",
    baseline_value: 0.65,
    current_value: 0.475,
    delta: -0.175,
    delta_percent: -26.923077,
    verdict: "fail",
    p_value: 0.0390625,
    created_at: "2025-03-02T09:30:00Z",
    evaluation_id: EVALUATION_ID,
    baseline_evaluation_id: BASELINE_EVALUATION_ID,
    comparable: true,
    reasons: ["significantly worse (p = 0.0391 < 0.05) and the 95% interval of the change [-0.3137, -0.02852] reaches past the margin -0.0325"],
    lower_is_better: false,
    n: 40,
    n_excluded: 2,
    b: 8,
    c: 1,
    test: "mcnemar_exact",
    interval: { low: -0.313712, high: -0.028523, level: 0.95 },
    margin: 0.0325,
    alpha: 0.05,
    minimum_detectable_difference: 0.1871,
    resamples: null,
    seed: null,
    // Worse first, then better (the server's order); item 8 was not traced and answered nothing parseable.
    flipped: [
      ...WORSE.map((index) => flippedItem(index, "worse", index === 8 ? { trace_id: null, current_extracted: null } : {})),
      flippedItem(5, "better"),
    ],
    details: { paired_difference: -0.175 },
    ...overrides,
  };
}

/** A check whose evaluations differ in judge: inconclusive, no statistics. */
export function inconclusiveReport(overrides: Record<string, unknown> = {}) {
  return failReport({
    verdict: "inconclusive",
    p_value: null,
    comparable: false,
    reasons: ["the judges differ: exact_match 1 (config e2b766d0e46e) and mock 1 (config ab02ca921797)"],
    n: 0,
    n_excluded: 0,
    b: null,
    c: null,
    test: null,
    interval: null,
    minimum_detectable_difference: null,
    flipped: [],
    details: {},
    ...overrides,
  });
}

/** GET /api/regression/checks: a row (a report's summary). */
export function checkSummary(n: number, overrides: Record<string, unknown> = {}) {
  const report = failReport();
  return {
    id: `00000000-0000-4000-8000-0000000000${String(n).padStart(2, "0")}`,
    run_id: report.run_id,
    baseline_name: report.baseline_name,
    baseline_version: report.baseline_version,
    baseline_run_id: report.baseline_run_id,
    metric_name: report.metric_name,
    baseline_value: report.baseline_value,
    current_value: report.current_value,
    delta: report.delta,
    delta_percent: report.delta_percent,
    verdict: report.verdict,
    p_value: report.p_value,
    created_at: report.created_at,
    ...overrides,
  };
}
