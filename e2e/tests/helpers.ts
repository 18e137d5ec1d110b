import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, type APIRequestContext, type Locator, type Page } from "@playwright/test";

// Each run's screenshots, for review (ignored by git); the reviewed ones worth keeping are
// copied to e2e/screenshots/.
const SHOTS = join(import.meta.dirname, "..", "test-results", "screenshots");
const CLI = join(import.meta.dirname, "..", "..", ".venv", "bin", "tunix-rt");

/** Creates an API token with the CLI, on the server's database; auth is on from then. */
export function createToken(name: string, scope = "write"): string {
  return execFileSync(CLI, ["token", "create", "--name", name, "--scope", scope], {
    env: { ...process.env, DATA_DIR: process.env.E2E_DATA_DIR!, DATABASE_URL: "" },
    encoding: "utf8",
  }).trim();
}

/** Saves a full-page screenshot under e2e/test-results/screenshots/ for review. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  // Scrolled, the sticky header would be drawn across the middle of a full-page shot.
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: "instant" }));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Saves a screenshot of one element (as it is scrolled now) beside the others. */
export async function shotOf(locator: Locator, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await locator.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export function trace(prompt: string, steps: number): Record<string, unknown> {
  return {
    trace_version: "1.0",
    prompt,
    final_answer: "42",
    steps: Array.from({ length: steps }, (_, i) => ({
      i,
      type: "think",
      content: `Step ${i}: ${"reasoning ".repeat(10 * (i + 1))}`.trim(),
    })),
    meta: { source: "e2e" },
  };
}

/** Generates `count` arithmetic traces and builds the latest of them into the next
 * version of dataset `name`; returns its key. */
export async function buildSumsDataset(request: APIRequestContext, count: number, name: string): Promise<string> {
  const generated = await request.post("/api/generators/arithmetic/generate", {
    data: { count, params: { difficulty: 1 } },
  });
  expect(generated.status()).toBe(201);
  const built = await request.post("/api/datasets/build", {
    data: { name, filters: { source: "arithmetic" }, strategy: "latest", limit: count },
  });
  expect(built.status()).toBe(201);
  return ((await built.json()) as { dataset_key: string }).dataset_key;
}

/** Generates `count` High Card Duel games and builds them into the next version of
 * dataset `name`, a quarter held out for evaluation; returns its key. */
export async function buildDuelsDataset(request: APIRequestContext, count: number, name: string): Promise<string> {
  const generated = await request.post("/api/ungar/high-card-duel/generate", { data: { count, seed: 11 } });
  expect(generated.status()).toBe(201);
  const built = await request.post("/api/datasets/build", {
    data: { name, limit: count, filters: { source: "ungar" }, eval_ratio: 0.25 },
  });
  expect(built.status()).toBe(201);
  return ((await built.json()) as { dataset_key: string }).dataset_key;
}

/** Queues a short real training run (30 steps of the built-in tiny model; the score
 * need not be good) on `dataset`; returns its id. */
export async function queueShortRun(request: APIRequestContext, dataset: string): Promise<string> {
  const queued = await request.post("/api/tunix/run?mode=async", {
    data: {
      dataset_key: dataset,
      model_id: "tunix-rt/tiny-gemma3",
      dry_run: false,
      max_steps: 30,
      batch_size: 8,
      learning_rate: 0.005,
      warmup_steps: 5,
      max_seq_length: 240,
      num_generations: 0,
    },
  });
  expect(queued.status()).toBe(202);
  return ((await queued.json()) as { run_id: string }).run_id;
}

type LiveEvaluation = { id: string; status: string };

const EVALUATION_SETTLE_MS = 90_000;

/**
 * Cancels the evaluations that completed training runs queued by themselves and waits for
 * them to end. The embedded worker runs one job at a time: a spec that trains leaves its
 * run's evaluation holding it, and the specs after it expect it free.
 */
export async function settleEvaluations(request: APIRequestContext): Promise<void> {
  const runs = await request.get("/api/tunix/runs", { params: { mode: "local", status: "completed", limit: 100 } });
  if (!runs.ok()) return;
  const live: string[] = [];
  for (const run of ((await runs.json()) as { data: { run_id: string }[] }).data) {
    const answer = await request.get(`/api/tunix/runs/${run.run_id}/evaluation`);
    if (!answer.ok()) continue;
    const evaluation = (await answer.json()) as LiveEvaluation;
    if (evaluation.status !== "pending" && evaluation.status !== "running") continue;
    await request.post(`/api/evaluations/${evaluation.id}/cancel`);
    live.push(evaluation.id);
  }
  for (const id of live) {
    await expect
      .poll(async () => ((await (await request.get(`/api/evaluations/${id}`)).json()) as LiveEvaluation).status, {
        timeout: EVALUATION_SETTLE_MS,
      })
      .toMatch(/^(completed|failed|timeout|cancelled)$/);
  }
}
