// A training run's progress: how far it is, how fast it goes and how long is left, as
// pure arithmetic on what the run and its stream say, so the panel shows only what is
// known. The pace is the trainer's own, over its latest steps (its steps/s points); a
// metric event carries no time (its step, name and value only), and the stream replays
// every stored point on each connection, so arrival times would measure the replay.
// Before the trainer's first pace point, the rate is the steps over the wall time since
// the run started.

import type { RunDetail, RunSummary } from "./queries";
import { formatSeconds, numberAt } from "./runOutput";

/** Fewer loss points or seconds than this give no ETA: one point says nothing of a pace. */
export const MIN_POINTS_FOR_ETA = 2;
export const MIN_SECONDS_FOR_ETA = 5;

/** The steps check starts with the planned count: "300 steps of batch 16 (27 train …)". */
const STEPS_CHECK = /^(\d+) steps\b/;

/**
 * The steps the run will train: its `max_steps`, else what its steps check planned, else
 * (a completed run) the steps its summary says it trained. Null when none says.
 */
export function totalStepsOf(run: Pick<RunDetail, "config" | "checks" | "summary" | "status">): number | null {
  const maxSteps = numberAt(run.config, "max_steps");
  if (maxSteps !== null && maxSteps > 0) return maxSteps;
  const planned = STEPS_CHECK.exec(run.checks?.find((check) => check.name === "steps")?.detail ?? "");
  if (planned && Number(planned[1]) > 0) return Number(planned[1]);
  // A cancelled or failed run's summary counts the steps it got to, not those it planned.
  if (run.status === "completed" && run.summary) return numberAt(run.summary, "steps");
  return null;
}

export type ProgressInput = {
  /** The latest step trained (the last train/loss point's), null before the first. */
  step: number | null;
  total: number | null;
  /** Training wall time so far, null before the run started. */
  elapsedSeconds: number | null;
  /** How many loss points were seen. */
  points: number;
  /** The trainer's own measure (its latest pace point, or a finished run's summary), preferred when given. */
  stepsPerSecond?: number | null;
  /** Tokens trained per second, as the trainer measures them (its latest point, or its summary's). */
  tokensPerSecond?: number | null;
  /** The run ended: nothing is left to estimate. */
  finished: boolean;
};

export type RunProgress = {
  step: number | null;
  total: number | null;
  /** step / total, within [0, 1]; null when either is unknown. */
  fraction: number | null;
  stepsPerSecond: number | null;
  tokensPerSecond: number | null;
  elapsedSeconds: number | null;
  /** Seconds left at the pace so far; null while too early to tell, or when unknowable. */
  etaSeconds: number | null;
};

function rateOf({ step, elapsedSeconds, stepsPerSecond }: ProgressInput): number | null {
  if (stepsPerSecond !== undefined && stepsPerSecond !== null && stepsPerSecond > 0) return stepsPerSecond;
  if (step === null || step <= 0 || elapsedSeconds === null || elapsedSeconds <= 0) return null;
  return step / elapsedSeconds;
}

export function progressOf(input: ProgressInput): RunProgress {
  const { step, total, elapsedSeconds, points, finished } = input;
  const fraction = step !== null && total !== null && total > 0 ? Math.min(1, Math.max(0, step / total)) : null;
  const stepsPerSecond = rateOf(input);
  const early = points < MIN_POINTS_FOR_ETA || elapsedSeconds === null || elapsedSeconds < MIN_SECONDS_FOR_ETA;
  const etaSeconds =
    finished || early || step === null || total === null || stepsPerSecond === null ? null : Math.max(0, total - step) / stepsPerSecond;
  return { step, total, fraction, stepsPerSecond, tokensPerSecond: input.tokensPerSecond ?? null, elapsedSeconds, etaSeconds };
}

/**
 * A running training run's progress as the run list says it (its latest step, loss points,
 * pace and time so far, as of the server's answer: one request for the whole page); null for
 * any other run. The total is its `max_steps` (the list holds no steps check).
 */
export function rowProgressOf(run: Pick<RunSummary, "progress" | "max_steps">): RunProgress | null {
  const { progress } = run;
  if (progress === null) return null;
  return progressOf({
    step: progress.step,
    total: run.max_steps,
    elapsedSeconds: progress.elapsed_seconds,
    points: progress.points,
    stepsPerSecond: progress.steps_per_second,
    tokensPerSecond: progress.tokens_per_second,
    finished: false,
  });
}

/** "about 1 min 20 s left": whole seconds, as "about 0.4 s left" would claim a precision the pace does not have. */
export function etaText(etaSeconds: number): string {
  return `about ${formatSeconds(Math.max(1, Math.round(etaSeconds)))} left`;
}
