import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { buildSumsDataset, settleEvaluations, shot } from "./helpers";

// The run's database is shared by the spec files: this one's runs are on datasets of
// its own ("queue", "queue-other", "queue-live"), so filtering by them finds exactly its runs.
const SUMS = 12;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
// The embedded worker claims a queued dry run at once; the pages poll every 4 s.
const SETTLED = { timeout: 30_000 };

// The training run queues an evaluation of its own when it completes: the specs after
// this one need the worker.
test.afterEach(async ({ request }) => {
  await settleEvaluations(request);
});

function row(page: Page, runId: string) {
  return page.locator(`[data-testid="run:row"][data-run-id="${runId}"]`);
}

function runIdOf(page: Page): string {
  const id = new URL(page.url()).pathname.split("/").pop()!;
  expect(id).toMatch(UUID);
  return id;
}

/** Queues a dry run through the API (the form checks a dry run in its request) and opens its page. */
async function queueDryRun(page: Page, request: APIRequestContext, dataset: string): Promise<string> {
  const queued = await request.post("/api/tunix/run?mode=async", {
    data: { dataset_key: dataset, model_id: "tunix-rt/tiny-gemma3", dry_run: true },
  });
  expect(queued.status()).toBe(202);
  const runId = ((await queued.json()) as { run_id: string }).run_id;
  await page.goto(`/runs/${runId}`);
  return runId;
}

test("an async dry run: queued, run by the embedded worker, rerun, and found in the history", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const queue = await buildSumsDataset(request, SUMS, "queue");
  const other = await buildSumsDataset(request, SUMS, "queue-other");

  const first = await queueDryRun(page, request, queue);

  await expect(page.getByTestId("run:detail-id")).toHaveText(first);
  await expect(page.getByTestId("run:status")).toHaveText("completed", SETTLED);
  await expect(page.getByTestId("run:status")).toHaveAttribute("data-status", "completed");
  await expect(page.getByTestId("run:state-line")).toBeHidden();
  await expect(page.getByTestId("run:attempt")).toHaveText("1 of 3");
  await expect(page.getByTestId("run:worker")).not.toHaveText("none yet");
  await expect(page.getByTestId("run:queued").locator("time")).toBeVisible();
  await expect(page.getByTestId("run:claimed").locator("time")).toBeVisible();
  await expect(page.getByTestId("run:queue-wait")).toHaveText(/^\d[\d.,]* (ms|s)$/);
  await expect(page.getByTestId("run:config")).toContainText(queue);
  await expect(page.getByTestId("run:config")).toContainText("tunix-rt/tiny-gemma3");
  await expect(page.getByTestId("run:stdout-tail")).toContainText("dataset");
  await shot(page, "19-run-async-detail");

  // Rerun: a new run with the same configuration, followed on its own page.
  await page.getByTestId("run:rerun").click();
  await expect(page).not.toHaveURL(new RegExp(first));
  const rerun = runIdOf(page);
  await expect(page.getByTestId("run:status")).toHaveText("completed", SETTLED);
  await expect(page.getByTestId("run:config")).toContainText(queue);

  // A dry run whose model check fails (queued through the API), and a sync one.
  const failing = await request.post("/api/tunix/run?mode=async", {
    data: { dataset_key: other, model_id: "no-such/model", dry_run: true },
  });
  expect(failing.status()).toBe(202);
  const failed = (await failing.json()) as { run_id: string; status: string };
  expect(failed.status).toBe("pending");
  const inline = await request.post("/api/tunix/run", {
    data: { dataset_key: other, model_id: "tunix-rt/tiny-gemma3", dry_run: true },
  });
  expect(inline.status()).toBe(202);
  const sync = (await inline.json()) as { run_id: string; status: string };
  expect(sync.status).toBe("completed");

  // The history: newest first, each run's badge; it polls while one is pending. Dry runs
  // are listed under their own switch (training runs are the default).
  await page.getByRole("link", { name: "← Runs" }).click();
  await expect(page).toHaveURL(/\/runs$/);
  await expect(row(page, first)).toHaveCount(0);
  await page.getByTestId("run:view-dry-runs").click();
  await expect(page).toHaveURL(/\/runs\?mode=dry-run$/);
  await expect(row(page, failed.run_id).getByTestId("run:row-status")).toHaveText("failed", SETTLED);
  await expect(row(page, failed.run_id).getByTestId("run:row-status")).toHaveAttribute("data-status", "failed");
  for (const id of [first, rerun, sync.run_id]) {
    await expect(row(page, id).getByTestId("run:row-status")).toHaveText("completed");
  }
  await expect(row(page, first)).toContainText(queue);
  await expect(row(page, first)).toHaveAttribute("data-mode", "dry-run");
  await expect(page.getByTestId("run:list-live")).toBeHidden();
  const order = await page.getByTestId("run:row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run-id")));
  expect(order.indexOf(sync.run_id)).toBeLessThan(order.indexOf(first));
  await page.getByTestId("run:history").scrollIntoViewIfNeeded();
  await shot(page, "20-runs-history");

  // Filters narrow the list (and live in the URL).
  await page.getByTestId("run:filter-dataset").selectOption(queue);
  await expect(page).toHaveURL(new RegExp(`dataset_key=${queue}`));
  await expect(page.getByTestId("run:row")).toHaveCount(2);
  await expect(row(page, first)).toBeVisible();
  await expect(row(page, rerun)).toBeVisible();

  await page.getByTestId("run:filter-dataset").selectOption(other);
  await expect(page.getByTestId("run:row")).toHaveCount(2);
  await page.getByTestId("run:filter-status").selectOption("failed");
  await expect(page.getByTestId("run:row")).toHaveCount(1);
  await expect(row(page, failed.run_id)).toBeVisible();
  await shot(page, "21-runs-history-filtered");

  await page.getByTestId("run:view-training").click();
  await expect(page.getByTestId("run:list-empty")).toContainText("No run matches these filters.");
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(/\/runs$/);
  await page.getByTestId("run:view-dry-runs").click();
  await expect(row(page, first)).toBeVisible();

  // From a row to the run's page.
  await row(page, failed.run_id).getByRole("link", { name: `Run ${failed.run_id}` }).click();
  await expect(page.getByTestId("run:detail-id")).toHaveText(failed.run_id);
  await expect(page.getByTestId("run:status")).toHaveText("failed");
  await expect(page.getByTestId("run:stdout-tail")).toContainText("model");
  await shot(page, "22-run-failed-detail");
});

test("while a training run holds the worker, a queued dry run waits: both pages poll until the end", async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  const queue = await buildSumsDataset(request, SUMS, "queue-live");
  // The embedded worker runs one run at a time: a short training run keeps it busy.
  const training = await request.post("/api/tunix/run?mode=async", {
    data: {
      dataset_key: queue,
      model_id: "tunix-rt/tiny-gemma3",
      dry_run: false,
      max_seq_length: 160,
      max_steps: 5,
      num_generations: 0,
    },
  });
  expect(training.status()).toBe(202);
  const trainId = ((await training.json()) as { run_id: string }).run_id;

  await page.goto(`/runs/${trainId}`);
  await expect(page.getByTestId("run:status")).toHaveText("running", SETTLED);
  await expect(page.getByTestId("run:state-line")).toContainText("Running on");

  const waiting = await queueDryRun(page, request, queue);
  await expect(page.getByTestId("run:status")).toHaveText("pending");
  await expect(page.getByTestId("run:state-line")).toContainText("Queued: waiting for a worker to claim it.");
  await expect(page.getByTestId("run:claimed")).toHaveText("not yet");
  await shot(page, "23-run-queued-detail");

  await page.getByRole("link", { name: "← Runs" }).click();
  // Both kinds: the training run and the dry run waiting for it.
  await page.getByTestId("run:view-all").click();
  await page.getByTestId("run:filter-dataset").selectOption(queue);
  await expect(row(page, trainId).getByTestId("run:row-status")).toHaveText("running");
  await expect(row(page, waiting).getByTestId("run:row-status")).toHaveText("pending");
  await expect(page.getByTestId("run:list-live")).toContainText("Refreshing every 4 s");
  await shot(page, "24-runs-history-live");

  // The list follows both to the end on its own, then stops polling.
  await expect(row(page, trainId).getByTestId("run:row-status")).toHaveText("completed", { timeout: 180_000 });
  // The evaluation the training run queues as it completes may take the worker first.
  await expect(row(page, waiting).getByTestId("run:row-status")).toHaveText("completed", { timeout: 120_000 });
  await expect(page.getByTestId("run:list-live")).toBeHidden();
  await expect(row(page, trainId)).toHaveAttribute("data-mode", "local");
  await expect(row(page, waiting)).toContainText("dry run");
});

test("an unknown run says it was not found", async ({ page }) => {
  await page.goto("/runs/00000000-0000-4000-8000-000000000000");
  await expect(page.getByTestId("run:not-found")).toContainText("No run has the id 00000000-0000-4000-8000-000000000000.");
  await page.goto("/runs/not-a-run");
  await expect(page.getByTestId("run:not-found")).toBeVisible();
});
