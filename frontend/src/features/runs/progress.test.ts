import { describe, expect, it } from "vitest";
import { CHECKS, LOCAL_SUMMARY, RUN_CONFIG } from "../../test/runs";
import { etaText, progressOf, rowProgressOf, totalStepsOf } from "./progress";

const RUNNING = { step: 20, total: 60, elapsedSeconds: 10, points: 2, finished: false };

describe("run progress", () => {
  it("gives the fraction, the pace and the time left from known inputs", () => {
    expect(progressOf(RUNNING)).toEqual({ step: 20, total: 60, fraction: 20 / 60, stepsPerSecond: 2, tokensPerSecond: null, elapsedSeconds: 10, etaSeconds: 20 });
    expect(progressOf({ ...RUNNING, tokensPerSecond: 900 }).tokensPerSecond).toBe(900); // the trainer's, passed on
  });

  it("gives the step and pace but no fraction nor ETA when the total is unknown", () => {
    expect(progressOf({ ...RUNNING, total: null })).toMatchObject({ step: 20, total: null, fraction: null, stepsPerSecond: 2, etaSeconds: null });
  });

  it("gives nothing to show before the first step, nor an ETA while too early to tell", () => {
    expect(progressOf({ step: null, total: 60, elapsedSeconds: 3, points: 0, finished: false })).toEqual({
      step: null,
      total: 60,
      fraction: null,
      stepsPerSecond: null,
      tokensPerSecond: null,
      elapsedSeconds: 3,
      etaSeconds: null,
    });
    expect(progressOf({ ...RUNNING, points: 1 }).etaSeconds).toBeNull();
    expect(progressOf({ ...RUNNING, elapsedSeconds: 4 }).etaSeconds).toBeNull();
    expect(progressOf({ ...RUNNING, elapsedSeconds: null })).toMatchObject({ stepsPerSecond: null, etaSeconds: null });
  });

  it("summarises a finished run with the trainer's own pace and no ETA", () => {
    expect(progressOf({ step: 60, total: 60, elapsedSeconds: 59, points: 6, stepsPerSecond: 0.406, tokensPerSecond: 850, finished: true })).toEqual({
      step: 60,
      total: 60,
      fraction: 1,
      stepsPerSecond: 0.406,
      tokensPerSecond: 850,
      elapsedSeconds: 59,
      etaSeconds: null,
    });
  });

  it("keeps the fraction within the bar when the step passes the total", () => {
    expect(progressOf({ ...RUNNING, step: 70 })).toMatchObject({ fraction: 1, etaSeconds: 0 });
  });
});

describe("a run's total steps", () => {
  const run = { config: RUN_CONFIG, checks: [], summary: null, status: "running" as const };

  it("is max_steps when set, else the steps check's count", () => {
    expect(totalStepsOf(run)).toBe(500);
    expect(totalStepsOf({ ...run, config: { ...RUN_CONFIG, max_steps: null }, checks: CHECKS })).toBe(300);
  });

  it("is the summary's steps only for a completed run, else unknown", () => {
    const noMax = { ...run, config: { ...RUN_CONFIG, max_steps: null }, summary: LOCAL_SUMMARY };
    expect(totalStepsOf(noMax)).toBeNull();
    expect(totalStepsOf({ ...noMax, status: "cancelled" })).toBeNull();
    expect(totalStepsOf({ ...noMax, status: "completed" })).toBe(20);
  });
});

describe("a row's progress in the run list", () => {
  it("is the same arithmetic on the list's step, points and time, with max_steps as the total", () => {
    const progress = { step: 20, points: 2, elapsed_seconds: 10, steps_per_second: null, tokens_per_second: null };
    expect(rowProgressOf({ progress, max_steps: 60 })).toEqual(progressOf(RUNNING));
    expect(rowProgressOf({ progress, max_steps: null })).toMatchObject({ total: null, fraction: null, stepsPerSecond: 2, etaSeconds: null });
    const measured = { ...progress, steps_per_second: 4, tokens_per_second: 1234.5 };
    expect(rowProgressOf({ progress: measured, max_steps: 60 })).toMatchObject({ stepsPerSecond: 4, tokensPerSecond: 1234.5, etaSeconds: 10 });
  });

  it("is null for a run that is not training now", () => {
    expect(rowProgressOf({ progress: null, max_steps: 60 })).toBeNull();
  });
});

describe("the time left, in words", () => {
  it("rounds to whole seconds, at least one", () => {
    expect(etaText(0.4)).toBe("about 1 s left");
    expect(etaText(19.6)).toBe("about 20 s left");
    expect(etaText(80)).toBe("about 1 min 20 s left");
  });
});
