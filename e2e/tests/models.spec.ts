import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { buildDuelsDataset, queueShortRun, settleEvaluations, shot, shotOf } from "./helpers";

// The run's database is shared by the spec files: this one's runs are on a dataset of
// their own ("registry"), and its model has a name of its own.
const GAMES = 40;
const MODEL = "e2e-registry";
const RUN_TIMEOUT_MS = 420_000;
// Screenshots at Playwright's default size and a phone's.
const WIDE = { width: 1280, height: 720 };
const NARROW = { width: 390, height: 844 };

/** Waits for a queued run to end, and asserts it completed. */
async function completedRun(request: APIRequestContext, runId: string): Promise<void> {
  await expect
    .poll(async () => ((await (await request.get(`/api/tunix/runs/${runId}`)).json()) as { status: string }).status, {
      timeout: RUN_TIMEOUT_MS,
      intervals: [2_000],
    })
    .toMatch(/^(completed|failed|timeout|cancelled)$/);
  const run = (await (await request.get(`/api/tunix/runs/${runId}`)).json()) as { status: string };
  expect(run.status).toBe("completed");
}

/** Registers the run from its page into `model`: a new one, or one picked by its option's text. */
async function registerFromRunPage(page: Page, runId: string, model: { label: string } | { newName: string }): Promise<void> {
  await page.goto(`/runs/${runId}`);
  const form = page.getByTestId("models:promote-form");
  await expect(form).toBeVisible();
  const select = form.getByTestId("models:promote-model");
  await expect(select).toBeEnabled();
  if ("newName" in model) {
    await select.selectOption({ label: "New model…" });
    await form.getByTestId("models:promote-name").fill(model.newName);
  } else {
    await select.selectOption({ label: model.label });
  }
  await form.getByTestId("models:promote-submit").click();
}

/** Points `alias` at `version` (a label) with the model page's form. */
async function moveAlias(page: Page, alias: string, version: string, reason: string): Promise<void> {
  const versionId = await page.locator(`[data-testid="models:version-row"][data-version="${version}"]`).getAttribute("data-version-id");
  const form = page.getByTestId("models:move-form");
  await form.getByTestId("models:move-alias").fill(alias);
  await form.getByTestId("models:move-version").selectOption(versionId!);
  await form.getByTestId("models:move-reason").fill(reason);
  await form.getByTestId("models:move-submit").click();
}

const started: string[] = [];
test.afterEach(async ({ request }) => {
  // A failed step must not leave the embedded worker (one job at a time) busy for the specs after it.
  for (const id of started.splice(0)) await request.post(`/api/tunix/runs/${id}/cancel`);
  await settleEvaluations(request);
});

test("two trained runs registered from their pages into one model; staging set to v1, then v2, rolled back, with its history", async ({
  page,
  request,
}) => {
  test.setTimeout(600_000);
  const dataset = await buildDuelsDataset(request, GAMES, "registry");
  // Both queued at once: the worker trains them one after the other.
  const first = await queueShortRun(request, dataset);
  const second = await queueShortRun(request, dataset);
  started.push(first, second);
  await completedRun(request, first);
  // Its evaluation is not needed here: the worker goes on to the second run.
  await settleEvaluations(request);
  await completedRun(request, second);
  await settleEvaluations(request);

  // The first run becomes v1 of a new model, from the run's page.
  await registerFromRunPage(page, first, { newName: MODEL });
  await expect(page.getByTestId("models:promoted")).toHaveText(`Registered as ${MODEL} v1.`);

  // The second run becomes v2 of the same model; its link opens the model.
  await registerFromRunPage(page, second, { label: `${MODEL} (latest v1)` });
  await expect(page.getByTestId("models:promoted")).toHaveText(`Registered as ${MODEL} v2.`);
  await page.getByTestId("models:promoted-link").click();
  await expect(page.getByTestId("models:detail-name")).toHaveText(MODEL);
  const versions = page.getByTestId("models:version-row");
  await expect(versions).toHaveCount(2);
  await expect(versions.nth(0)).toHaveAttribute("data-version", "v2");
  await expect(versions.nth(0).getByTestId("models:version-run")).toHaveText(second.slice(0, 8));
  await expect(versions.nth(1).getByTestId("models:version-run")).toHaveText(first.slice(0, 8));
  await expect(versions.nth(0).getByTestId("models:version-archive")).toHaveText(/^[0-9a-f]{12} \d/);
  await versions.nth(0).getByTestId("models:version-toggle").click();
  await expect(page.getByTestId("models:provenance")).toContainText(dataset);

  // staging: v1, then v2, then rolled back to v1, all from the page.
  await moveAlias(page, "staging", "v1", "first look");
  await expect(page.getByTestId("models:moved")).toHaveText("staging now points at v1.");
  const staging = page.locator('[data-testid="models:alias"][data-alias="staging"]');
  await expect(staging.getByTestId("models:alias-version")).toHaveText("v1");
  await moveAlias(page, "staging", "v2", "the second run");
  await expect(page.getByTestId("models:moved")).toHaveText("staging now points at v2 (was v1).");
  await expect(staging.getByTestId("models:alias-version")).toHaveText("v2");
  await expect(versions.nth(0).getByTestId("models:version-aliases")).toHaveText("staging");

  const rollback = staging.getByTestId("models:alias-rollback");
  await expect(rollback).toHaveText("Roll back to v1");
  await rollback.click();
  await expect(staging.getByTestId("models:alias-version")).toHaveText("v1");
  const history = staging.getByTestId("models:history-row");
  await expect(history).toHaveCount(3);
  await expect.poll(() => history.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action")))).toEqual([
    "rollback",
    "set",
    "set",
  ]);
  await expect(history.getByTestId("models:history-move")).toHaveText(["v2 → v1", "v1 → v2", "— → v1"]);
  await expect(history.nth(1)).toContainText("the second run");
  await shot(page, "35-model-registry");

  // v1's lineage: the first run, the dataset, the alias now on it; each box linked.
  await versions.nth(1).getByTestId("models:version-lineage-toggle").click();
  const lineage = page.getByTestId("models:lineage");
  await expect(lineage.getByTestId("models:lineage-run-link")).toHaveAttribute("href", `/runs/${first}`);
  await expect(lineage.getByTestId("models:lineage-run-status")).toHaveText("completed");
  await expect(lineage.getByTestId("models:lineage-trace-count")).toHaveText(String(GAMES));
  await expect(lineage.getByTestId("models:lineage-dataset-flag")).toHaveCount(0);
  await expect(lineage.getByTestId("models:lineage-version")).toContainText(`${MODEL} v1`);
  await expect(lineage.getByTestId("models:lineage-aliases").getByTestId("models:alias-chip")).toHaveText("staging");
  await shot(page, "37-model-lineage");
  await page.setViewportSize(NARROW);
  await shot(page, "37-model-lineage-narrow");
  await page.setViewportSize(WIDE);

  // Its dataset's page lists both runs, each with the version promoted from it.
  const datasetLink = lineage.getByTestId("models:lineage-dataset-link");
  await expect(datasetLink).toHaveAttribute("href", `/datasets/${dataset}`);
  await datasetLink.click();
  await expect(page.getByTestId("dataset:key")).toHaveText(dataset);
  const builtOn = page.getByTestId("models:built-on-run");
  await expect(builtOn).toHaveCount(2);
  for (const [runId, label] of [[first, "v1"], [second, "v2"]] as const) {
    const run = page.locator(`[data-testid="models:built-on-run"][data-run-id="${runId}"]`);
    await expect(run.getByTestId("models:built-on-version-link")).toHaveText(`${MODEL} ${label}`);
  }
  await shot(page, "38-dataset-built-on");
  await page.setViewportSize(NARROW);
  await shot(page, "38-dataset-built-on-narrow");
  await page.setViewportSize(WIDE);

  // The first run's page says where it is registered.
  await page.locator(`[data-testid="models:built-on-run"][data-run-id="${first}"]`).getByTestId("models:built-on-run-link").click();
  await expect(page.getByTestId("models:run-registered")).toHaveText(`Registered as ${MODEL} v1. It can go into another model too.`);
  await shotOf(page.getByTestId("models:promote-form"), "39-run-registered");

  // The list shows the model with its newest version and where staging points now.
  await page.getByTestId("sys:nav-models").click();
  const row = page.locator(`[data-testid="models:row"][data-name="${MODEL}"]`);
  await expect(row.getByTestId("models:latest")).toHaveText("v2");
  await expect(row.getByTestId("models:version-count")).toHaveText("2");
  await expect(row.getByTestId("models:alias-chip")).toHaveText("staging→ v1");
  await shot(page, "36-models");
});
