import { readFileSync } from "node:fs";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { buildSumsDataset, settleEvaluations, shot, shotOf } from "./helpers";

// The run's database is shared by the spec files: this one's runs are on datasets of
// its own ("live", "live-compare").
const SUMS = 48;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

function runIdOf(page: Page): string {
  const id = new URL(page.url()).pathname.split("/").pop()!;
  expect(id).toMatch(UUID);
  return id;
}

async function chartPoints(page: Page): Promise<number> {
  return Number(await page.getByTestId("run:curve-chart").getAttribute("data-points"));
}

// Should a step fail midway, the 2000-step run must not hold the embedded worker (one
// run at a time) for the tests after it.
const started: string[] = [];
test.afterEach(async ({ request }) => {
  for (const id of started.splice(0)) await request.post(`/api/tunix/runs/${id}/cancel`);
  // A completed run queues an evaluation of its own: the specs after this one need the worker.
  await settleEvaluations(request);
});

test("a training run followed live: log lines and loss points arrive, cancel stops it, its checkpoint downloads", async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  const dataset = await buildSumsDataset(request, SUMS, "live");

  // Launched from the form with its primary button, which queues the run and opens its page
  // (waiting in the request is the secondary choice): long enough (2000 steps) to be watched and cancelled.
  await page.goto(`/runs?dataset=${dataset}`);
  await expect(page.getByTestId("run:model")).toHaveValue("tunix-rt/tiny-gemma3");
  await page.getByTestId("run:max-steps").fill("2000");
  await page.getByTestId("run:batch-size").fill("8");
  await page.getByTestId("run:max-seq-length").fill("160");
  await page.getByTestId("run:checkpoint-every-n-steps").fill("20");
  await page.getByTestId("run:eval-every-n-steps").fill("50");
  await page.getByTestId("run:num-generations").fill("0");
  const queue = page.getByRole("button", { name: "Queue training" });
  await expect(queue).toHaveClass(/\bprimary\b/);
  await expect(page.getByRole("button", { name: "Train and wait" })).not.toHaveClass(/\bprimary\b/);
  await shotOf(page.locator(".run-buttons"), "run-form-buttons");
  await queue.click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  const runId = runIdOf(page);
  started.push(runId);
  await expect(page.getByTestId("run:status")).toHaveText(/^(pending|running)$/);

  // The stream is open: the page stops polling and says so.
  await expect(page.getByTestId("run:log-state")).toHaveAttribute("data-connection", "open", { timeout: 30_000 });
  await expect(page.getByTestId("run:status")).toHaveText("running", { timeout: 60_000 });
  await expect(page.getByTestId("run:refresh-note")).toHaveText("Live: this page follows the run's stream.");

  // Log lines arrive: the trainer's first `log` event, shown as its message.
  const lines = page.getByTestId("run:log-line");
  await expect(lines.first()).toContainText(`model tunix-rt/tiny-gemma3 (full)`, { timeout: 90_000 });

  // The loss curve gains points as training goes on.
  await expect.poll(() => chartPoints(page), { timeout: 90_000 }).toBeGreaterThan(3);
  const before = await chartPoints(page);
  await expect.poll(() => chartPoints(page), { timeout: 30_000 }).toBeGreaterThan(before);
  await expect(page.getByTestId("run:curve-summary")).toContainText(/train loss: \d+ points, last [\d.]+ at step \d+/);
  // Its throughput, as the trainer measures it over its latest steps.
  await expect(page.getByTestId("run:progress-tokens")).toHaveText(/^[\d,]+ tokens\/s$/);

  // Metric lines are hidden until asked for; then the log holds them too.
  const shownBefore = await lines.count();
  await page.getByTestId("run:log-show-metrics").check();
  await expect.poll(() => lines.count()).toBeGreaterThan(shownBefore);
  await expect(page.locator('[data-testid="run:log-line"][data-kind="metric"]').first()).toContainText(/step \d+ · (train|eval)\/\w+ = /);
  await shot(page, "25-run-live");

  // The run list, in a second tab, shows the same run's progress live: its step moves, with an ETA.
  const list = await page.context().newPage();
  await list.goto(`/runs?dataset_key=${dataset}`);
  const progress = list.locator(`[data-testid="run:row"][data-run-id="${runId}"] [data-testid="run:row-progress"]`);
  const stepOf = async () => Number(await progress.getAttribute("data-step"));
  await expect(progress.getByTestId("run:row-progress-step")).toHaveText(/^\d+ \/ 2000 · [\d.,]+ steps\/s$/);
  await expect(progress.getByTestId("run:row-progress-eta")).toHaveText(/^about (\d+ min )?\d+ s left$/);
  const eta = await progress.getByTestId("run:row-progress-eta").textContent();
  const firstStep = await stepOf();
  await expect.poll(stepOf, { timeout: 15_000 }).toBeGreaterThan(firstStep);
  await expect(progress.getByTestId("run:row-progress-eta")).not.toHaveText(eta!, { timeout: 15_000 });
  await expect(progress.getByRole("progressbar")).toHaveAttribute("aria-valuemax", "2000");
  await expect(progress).toHaveAttribute("title", /^[\d.,]+ steps\/s · [\d,]+ tokens\/s · .+ elapsed$/);
  await shotOf(list.getByTestId("run:history"), "runs-progress");
  await list.close();

  // Scrolling up pauses following (what is shown holds still); "Jump to latest" resumes.
  const view = page.getByTestId("run:log-view");
  await expect(view).toHaveAttribute("data-following", "true");
  await expect.poll(() => view.evaluate((el) => el.scrollHeight > el.clientHeight + 50)).toBe(true);
  await view.evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(view).toHaveAttribute("data-following", "false");
  const jump = page.getByTestId("run:log-jump");
  await expect(jump).toContainText(/Jump to latest \(\d[\d,]* new lines?\)/, { timeout: 15_000 });
  await shotOf(page.getByTestId("run:logs"), "26-run-log-paused");
  await jump.click();
  await expect(view).toHaveAttribute("data-following", "true");
  await expect(page.getByTestId("run:log-following")).toBeVisible();
  expect(await view.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(10);

  // A checkpoint is listed while it trains (checkpoint_every_n_steps 20).
  await expect(page.locator('[data-testid="run:artifact"][data-kind="checkpoint"]').first()).toBeVisible({ timeout: 60_000 });

  // Cancel, confirmed: "cancel requested…" until the trainer stops, then `cancelled`.
  await page.getByTestId("run:cancel").click();
  await expect(page.getByRole("group", { name: "Confirm cancel" })).toContainText("Stop training? It saves a checkpoint first.");
  await page.getByTestId("run:cancel-confirm").click();
  await expect(page.getByTestId("run:status")).toHaveText("cancelled", { timeout: 60_000 });
  await expect(page.getByTestId("run:cancel")).toBeHidden();
  await expect(page.getByTestId("run:error")).toContainText(/Cancelled: the trainer stopped at step \d+/);
  await expect(page.getByTestId("run:log-ended")).toHaveText("— stream ended (cancelled) —");
  await expect(page.getByTestId("run:log-state")).toHaveText("stream ended");
  // The run was not over: asking again is a 409.
  expect((await request.post(`/api/tunix/runs/${runId}/cancel`)).status()).toBe(409);

  // The final checkpoint is listed, and downloads (as a tar) through the client.
  const checkpoints = page.locator('[data-testid="run:artifact"][data-kind="checkpoint"]');
  await expect(checkpoints.first()).toBeVisible();
  await expect(page.locator('[data-testid="run:artifact"][data-name="manifest.yaml"]')).toContainText("config");
  await page.getByTestId("run:artifacts").scrollIntoViewIfNeeded();
  await shot(page, "27-run-cancelled");

  const last = checkpoints.last();
  const name = (await last.getAttribute("data-name"))!;
  expect(name).toMatch(/^checkpoints\/\d+$/);
  const downloading = page.waitForEvent("download");
  await last.getByTestId("run:artifact-download").click();
  const download = await downloading;
  // Named after the run (the first 8 hex digits of its id) and the checkpoint's step.
  expect(download.suggestedFilename()).toBe(`run-${runId.slice(0, 8)}-checkpoints-${name.split("/")[1]}.tar`);
  const tar = readFileSync((await download.path())!);
  expect(tar.length).toBeGreaterThan(1024);
  expect(tar.subarray(257, 262).toString("latin1")).toBe("ustar");
  expect(tar.toString("latin1")).toContain(`${name.split("/")[1]}/commit_success.txt`);
});

test("compare two short runs: both loss curves, and only the config keys that differ", async ({ page, request }) => {
  test.setTimeout(300_000);
  const dataset = await buildSumsDataset(request, SUMS, "live-compare");
  const ids: string[] = [];
  for (const learningRate of [0.01, 0.003]) {
    const queued = await request.post("/api/tunix/run?mode=async", {
      data: {
        dataset_key: dataset,
        model_id: "tunix-rt/tiny-gemma3",
        dry_run: false,
        learning_rate: learningRate,
        max_seq_length: 160,
        max_steps: 25,
        eval_every_n_steps: 10,
        num_generations: 0,
      },
    });
    expect(queued.status()).toBe(202);
    ids.push(((await queued.json()) as { run_id: string }).run_id);
  }

  // Picked in the history (filtered to this dataset), then compared.
  await page.goto(`/runs?dataset_key=${dataset}`);
  const rows = page.getByTestId("run:row");
  await expect(rows).toHaveCount(2);
  for (const id of ids) {
    await expect(page.locator(`[data-testid="run:row"][data-run-id="${id}"] [data-testid="run:row-status"]`)).toHaveText(
      "completed",
      { timeout: 240_000 },
    );
  }
  await expect(page.getByTestId("run:compare-selected")).toBeDisabled();
  for (const id of ids) await page.locator(`[data-testid="run:row"][data-run-id="${id}"]`).getByTestId("run:select").check();
  await expect(page.getByTestId("run:selected-count")).toHaveText("2/4 selected");
  await page.getByTestId("run:history").scrollIntoViewIfNeeded();
  await shot(page, "28-runs-compare-select");
  await page.getByTestId("run:compare-selected").click();

  await expect(page).toHaveURL(/\/runs\/compare\?ids=/);
  expect(new URL(page.url()).searchParams.get("ids")!.split(",").sort()).toEqual([...ids].sort());
  // Only learning_rate differs (each run's default output dir is its own, and counts as the same).
  await expect(page.getByTestId("run:config-diff-row")).toHaveCount(1);
  await expect(page.getByTestId("run:config-diff-row")).toHaveAttribute("data-key", "learning_rate");
  await expect(page.getByTestId("run:config-equal")).toContainText(/\d+ other keys have the same value in every run \(not shown\)/);
  // Two runs, each a train and an eval line, with their points.
  const chart = page.getByTestId("run:compare-chart");
  await expect(chart).toHaveAttribute("data-lines", "4");
  await expect(chart).toHaveAttribute("data-points", /^\d+,\d+$/);
  const counts = (await chart.getAttribute("data-points"))!.split(",").map(Number);
  for (const count of counts) expect(count).toBeGreaterThanOrEqual(10);
  await expect(page.getByTestId("run:compare-status")).toHaveText(["completed", "completed"]);
  await shot(page, "29-runs-compare");
});
