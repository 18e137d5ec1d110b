import { expect, test } from "@playwright/test";
import { settleEvaluations, shot } from "./helpers";

// The run's database is shared by the spec files: "sums" takes the newest 48
// arithmetic traces, the ones generated here.
const SUMS = 48;

// The trained run queues an evaluation of its own: the specs after this one need the worker.
test.afterEach(async ({ request }) => {
  await settleEvaluations(request);
});

test("dry-run, then train the built-in tiny model on generated sums", async ({ page, request }) => {
  test.setTimeout(300_000);
  const generated = await request.post("/api/generators/arithmetic/generate", {
    data: { count: SUMS, params: { difficulty: 1 } },
  });
  expect(generated.status()).toBe(201);
  const built = await request.post("/api/datasets/build", {
    data: { name: "sums", filters: { source: "arithmetic" }, strategy: "latest", limit: SUMS },
  });
  expect(built.status()).toBe(201);
  const dataset = (await built.json()) as { dataset_key: string; trace_count: number };
  expect(dataset).toMatchObject({ dataset_key: "sums-v1", trace_count: SUMS });

  // From the dataset's page to the Runs page, with the dataset chosen.
  await page.goto("/datasets/sums-v1");
  await page.getByTestId("dataset:run-link").click();
  await expect(page).toHaveURL(/\/runs\?dataset=sums-v1$/);
  await expect(page.getByTestId("run:tunix-status")).toContainText(/Tunix \S+ · JAX \S+ · devices \S+/);
  await expect(page.getByTestId("run:dataset")).toHaveValue("sums-v1");
  await expect(page.getByTestId("run:model")).toHaveValue("tunix-rt/tiny-gemma3");
  await expect(page.getByTestId("run:train-wait")).toBeEnabled();

  await page.getByTestId("run:dry-run").click();
  await expect(page.getByTestId("run:message")).toHaveText("Dry-run completed successfully. Configuration is valid.");
  await expect(page.getByTestId("run:status")).toHaveText("completed");
  const checks = page.getByTestId("run:check");
  await expect(checks).toHaveCount(6);
  await expect(page.locator('[data-testid="run:check"][data-ok="true"]')).toHaveCount(6);
  for (const check of await checks.all()) await expect(check).toContainText("✓");
  await expect(checks.filter({ hasText: "tokens" })).toContainText("0 longer than max_seq_length 240");
  await shot(page, "16-run-dry-run");

  await page.getByTestId("run:max-seq-length").fill("160");
  await page.getByTestId("run:max-steps").fill("20");
  await page.getByTestId("run:num-generations").fill("1");
  // Waiting for the result on this page: the secondary choice. The run is queued, then
  // followed here with the run page's live view.
  await page.getByTestId("run:train-wait").click();

  const waited = page.getByTestId("run:waited");
  await expect(waited).toBeVisible();
  await expect(page.getByTestId("run:train-wait")).toBeDisabled();
  await expect(page.getByTestId("run:train-wait")).toHaveText("Training…");
  await expect(page.getByTestId("run:queue")).toBeDisabled();
  await expect(page.getByTestId("run:dry-run")).toBeDisabled();
  await expect(page).toHaveURL(/\/runs\?dataset=sums-v1$/);
  // Progress (step of 20, with a bar) and the log, live, instead of a counter of seconds.
  await expect(page.getByTestId("run:progress-step")).toHaveText(/^step \d+ of 20$/, { timeout: 90_000 });
  await expect(page.getByTestId("run:log-line").first()).toBeVisible();
  await expect(page.getByTestId("run:elapsed")).toHaveCount(0);
  await shot(page, "17-run-training");
  // The history polls while the page waits: the run is recorded as running at its start.
  const runningRows = page.locator('[data-testid="run:row"][data-status="running"]');
  await expect(runningRows).toHaveCount(1, { timeout: 15_000 });
  await expect(runningRows).toContainText("sums-v1");

  await expect(page.getByTestId("run:status")).toHaveText("completed", { timeout: 180_000 });
  await expect(waited).toBeHidden();
  await expect(page.getByTestId("run:train-wait")).toBeEnabled();
  await expect(runningRows).toHaveCount(0);
  await expect(page.getByTestId("run:message")).toContainText("Training completed: 20 steps");
  await expect(page.getByTestId("run:summary-steps")).toHaveText("20");
  const initial = Number(await page.getByTestId("run:initial-loss").getAttribute("data-value"));
  const final = Number(await page.getByTestId("run:final-loss").getAttribute("data-value"));
  expect(initial).toBeGreaterThan(0);
  expect(final).toBeLessThan(initial);
  await expect(page.getByTestId("run:latest-checkpoint")).toContainText("step 20 · checkpoints/20");
  // The answers come from the server's stored generations, counted there: the count and
  // the percentage are of the same (all) answers.
  const score = page.getByTestId("run:generations-score");
  await expect(score).toHaveText(/^(0 of 1 correct \(0%\)|1 of 1 correct \(100%\))$/);
  await expect(page.getByTestId("run:exact-match")).toHaveText((await score.textContent()) ?? "");
  await expect(page.getByTestId("run:generation")).toHaveCount(1);
  await expect(page.getByTestId("run:generation")).toContainText(/What is \d+ \+ \d+\?/);
  await page.getByTestId("run:stdout").locator("summary").click();
  await expect(page.getByTestId("run:stdout").locator("pre")).toContainText('"event":"done"');
  // Its progress sums up from the trainer's summary, tokens/s included.
  await expect(page.getByTestId("run:progress-tokens")).toHaveText(/^[\d,]+ tokens\/s$/);
  await shot(page, "18-run-trained");
});
