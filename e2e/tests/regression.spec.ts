import { randomUUID } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { buildDuelsDataset, queueShortRun, settleEvaluations, shot } from "./helpers";

// The run's database is shared by the spec files: this one's run is on a dataset of its
// own ("gate"), and its baseline has a name of its own.
const GAMES = 40;
const BASELINE = "e2e-gate";
// 10 held-out items: a 95% interval of the change is wide even when nothing changes, so
// the margin (primary score, 0–1) is wide too; 5% of the score would be inconclusive.
const MARGIN = "0.5";

type Evaluation = { id: string; status: string };

/** The run's newest evaluation once it has completed (the one it queued by itself, or a newer one). */
async function completedEvaluation(request: APIRequestContext, runId: string, timeout: number): Promise<Evaluation> {
  let newest: Evaluation | null = null;
  await expect
    .poll(
      async () => {
        const answer = await request.get(`/api/tunix/runs/${runId}/evaluation`);
        newest = answer.ok() ? ((await answer.json()) as Evaluation) : null;
        return newest?.status ?? "none";
      },
      { timeout, intervals: [2_000] },
    )
    .toMatch(/^(completed|failed|timeout|cancelled)$/);
  expect(newest!.status).toBe("completed");
  return newest!;
}

const started: string[] = [];
test.afterEach(async ({ request }) => {
  // A failed step must not leave the embedded worker (one job at a time) busy for the specs after it.
  for (const id of started.splice(0)) await request.post(`/api/tunix/runs/${id}/cancel`);
  await settleEvaluations(request);
});

test("a run evaluated again passes against a baseline of itself, with no flipped items; an unknown run is a 404", async ({
  page,
  request,
}) => {
  test.setTimeout(600_000);
  const dataset = await buildDuelsDataset(request, GAMES, "gate");
  const runId = await queueShortRun(request, dataset);
  started.push(runId);
  // Completing queues an evaluation with the default judge (EVAL_AUTO): the baseline pins it.
  const first = await completedEvaluation(request, runId, 480_000);

  // The baseline, set from the page's form (opened from the nav) with the run filled in.
  await page.goto("/traces");
  await page.getByTestId("sys:nav-regression").click();
  await expect(page.getByTestId("regression:page")).toBeVisible();
  await page.goto(`/regression?run=${runId}`);
  await expect(page.getByTestId("regression:baseline-run-id")).toHaveValue(runId);
  await page.getByTestId("regression:baseline-name").fill(BASELINE);
  await page.getByTestId("regression:baseline-margin").fill(MARGIN);
  await page.getByTestId("regression:baseline-judge").selectOption("exact_match");
  await page.getByTestId("regression:baseline-description").fill("The tiny model after 30 steps");
  await page.getByTestId("regression:baseline-submit").click();
  await expect(page.getByTestId("regression:baseline-saved")).toContainText(`Baseline ${BASELINE} created: Primary score`);
  const row = page.locator(`[data-testid="regression:baseline-row"][data-name="${BASELINE}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId("regression:baseline-margin")).toHaveText("0.5");
  await expect(row.getByTestId("regression:baseline-judge")).toHaveText("exact_match v1");
  await expect(row.getByTestId("regression:baseline-run")).toHaveAttribute("href", `/runs/${runId}`);
  await row.getByTestId("regression:history-toggle").click();
  await expect(page.getByTestId("regression:history-row")).toHaveCount(1);
  await shot(page, "32-regression-baseline");

  // The same checkpoint evaluated again (greedy, so the same answers), synchronously.
  const again = await request.post(`/api/tunix/runs/${runId}/evaluate?mode=sync`, {
    data: { judge_override: "exact_match" },
    timeout: 300_000,
  });
  expect([201, 202]).toContain(again.status());
  const second = (await again.json()) as Evaluation;
  expect(second.id).not.toBe(first.id);
  expect((await completedEvaluation(request, runId, 240_000)).id).toBe(second.id);

  // Checked from the page: the newest comparable evaluation, item by item against the baseline's.
  await expect(page.getByTestId("regression:check-baseline")).toHaveValue(BASELINE);
  await expect(page.getByTestId("regression:check-run-id")).toHaveValue(runId);
  await page.getByTestId("regression:check-submit").click();
  const report = page.getByTestId("regression:report");
  await expect(report).toHaveAttribute("data-verdict", "pass");
  await expect(page).toHaveURL(/[?&]check=[0-9a-f-]{36}/);
  await expect(page.getByTestId("regression:verdict")).toHaveText("pass");
  await expect(page.getByTestId("regression:reasons")).toContainText("stays above the margin -0.5");
  await expect(page.getByTestId("regression:delta")).toHaveText(/^0\b/);
  await expect(page.getByTestId("regression:changed")).toHaveText("0 worse · 0 better");
  await expect(page.getByTestId("regression:test")).toHaveText(/^exact McNemar test · p = 1$/);
  await expect(page.getByTestId("regression:current-evaluation")).toHaveAttribute("href", `/evaluations/${second.id}`);
  await expect(page.getByTestId("regression:baseline-evaluation")).toHaveAttribute("href", `/evaluations/${first.id}`);
  await expect(page.getByTestId("regression:interval-line")).toHaveAccessibleName(/95% interval .+ to .+; margin -0\.5 \(a drop past it is a regression\)/);
  await expect(page.getByTestId("regression:flipped-count")).toHaveText("none: every paired item scored the same");
  await expect(page.getByTestId("regression:flipped-item")).toHaveCount(0);
  // The history has it, marked as the one shown.
  const checkRow = page.getByTestId("regression:check-row");
  await expect(checkRow).toHaveCount(1);
  await expect(checkRow.getByTestId("regression:check-verdict")).toHaveText("pass");
  await expect(checkRow.getByTestId("regression:check-open")).toHaveText("Shown");
  await shot(page, "33-regression-check-pass");

  // Reloaded from its link, the stored report is the same.
  await page.reload();
  await expect(page.getByTestId("regression:report")).toHaveAttribute("data-verdict", "pass");

  // A run the server does not know: its 404 as the server says it.
  const unknown = randomUUID();
  await page.getByTestId("regression:check-run-id").fill(unknown);
  await page.getByTestId("regression:check-submit").click();
  const error = page.getByTestId("regression:check-form").getByTestId("sys:error");
  await expect(error).toContainText(`RunNotFound (HTTP 404) — no run ${unknown}`);
  await expect(checkRow).toHaveCount(1);
  await shot(page, "34-regression-check-404");
});
