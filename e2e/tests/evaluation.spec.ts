import { expect, test, type Locator } from "@playwright/test";
import { buildDuelsDataset, queueShortRun, settleEvaluations, shot } from "./helpers";

// The run's database is shared by the spec files: this one's evaluations are of datasets
// of its own ("judged", "baseline"), and the leaderboard is filtered to them.
const GAMES = 40;
const OUTCOME_ORDER = { wrong: 0, unscored: 1, correct: 2 } as const;

/** The outcomes of the item rows shown, in order. */
async function outcomes(section: Locator): Promise<string[]> {
  return section.getByTestId("eval:item").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-outcome") ?? ""));
}

const started: string[] = [];
test.afterEach(async ({ request }) => {
  // A failed step must not leave the embedded worker (one job at a time) busy for the specs after it.
  for (const id of started.splice(0)) await request.post(`/api/tunix/runs/${id}/cancel`);
  await settleEvaluations(request);
});

test("a trained run is evaluated by itself: progress, then a score and its items, wrong first; it is on the leaderboard", async ({
  page,
  request,
}) => {
  test.setTimeout(600_000);
  const dataset = await buildDuelsDataset(request, GAMES, "judged");
  const runId = await queueShortRun(request, dataset);
  started.push(runId);

  await page.goto(`/runs/${runId}`);
  const section = page.getByTestId("eval:section");
  // Completing queues an evaluation with the default judge: it shows up queued or answering…
  await expect(section).toHaveAttribute("data-status", /^(pending|running)$/, { timeout: 300_000 });
  await expect(page.getByTestId("run:status")).toHaveText("completed");
  await expect(page.getByTestId("eval:progress")).toBeVisible();
  await expect(page.getByTestId("eval:cancel")).toBeVisible();
  // …then counts its items as they are answered…
  await expect(page.getByTestId("eval:progress-text")).toHaveText(/^\d+ \/ 10 items$/, { timeout: 120_000 });
  // …and ends with a score, its interval, a verdict and the baseline it was judged against.
  await expect(section).toHaveAttribute("data-status", "completed", { timeout: 240_000 });
  await expect(page.getByTestId("eval:progress")).toBeHidden();
  const score = (await page.getByTestId("eval:score").textContent())!;
  expect(score).toMatch(/^\d{1,3}\.\d%$/);
  await expect(page.getByTestId("eval:interval")).toHaveText(/^95% interval \d+\.\d–\d+\.\d% \(Wilson\)$/);
  await expect(page.getByTestId("eval:verdict")).toHaveText(/^(pass|fail)$/);
  await expect(page.getByTestId("eval:baseline")).toContainText(/always answering .+ scores \d+\.\d%/);
  await expect(page.getByTestId("eval:judge")).toContainText("exact_match v1");
  await expect(page.getByTestId("eval:mock")).toHaveCount(0);
  await expect(page.getByTestId("eval:split")).toHaveText("eval");
  await expect(page.getByTestId("eval:checkpoint")).toHaveText(/^step \d+$/);
  await expect(page.getByTestId("eval:scored")).toContainText(/of 10/);

  // The items: wrong answers first, then unscored, then right; expected beside extracted.
  const rows = section.getByTestId("eval:item");
  await expect(rows).toHaveCount(10);
  const order = await outcomes(section);
  expect(order.map((o) => OUTCOME_ORDER[o as keyof typeof OUTCOME_ORDER])).toEqual(
    [...order].map((o) => OUTCOME_ORDER[o as keyof typeof OUTCOME_ORDER]).sort((a, b) => a - b),
  );
  await expect(rows.first().getByTestId("eval:item-expected")).toHaveText(/^Player [12]$|^Tie$/);
  await rows.first().getByTestId("eval:item-toggle").click();
  await expect(section.getByTestId("eval:item-output")).toBeVisible();
  await shot(page, "30-run-evaluation");

  // One outcome at a time: the Wrong tab lists only wrong answers (as many as the tab says).
  const wrongTab = page.getByTestId("eval:items-tab-wrong");
  const wrongCount = Number(await wrongTab.locator(".tab-count").textContent());
  await wrongTab.click();
  await expect(wrongTab).toHaveAttribute("aria-selected", "true");
  if (wrongCount === 0) await expect(page.getByTestId("eval:items-empty")).toBeVisible();
  else await expect.poll(() => outcomes(section)).toEqual(Array(wrongCount).fill("wrong"));

  // On the leaderboard (filtered to this dataset), with the same score; its link leads back.
  await page.goto(`/leaderboard?dataset_key=${dataset}`);
  const row = page.locator(`[data-testid="leaderboard:row"][data-run-id="${runId}"]`);
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row.getByTestId("leaderboard:score")).toContainText(new RegExp(`^${score.replace(".", "\\.")} \\(\\d+\\.\\d–\\d+\\.\\d\\)`));
  await expect(row).toContainText("exact_match v1");
  await shot(page, "31-leaderboard");
  await row.getByTestId("leaderboard:open").click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}\\?evaluation=[0-9a-f-]{36}#evaluation$`));
  await expect(page.getByTestId("eval:pinned-note")).toBeVisible();
  await expect(page.getByTestId("eval:score")).toHaveText(score);

  // Evaluated again with the mock judge, from the run's page: followed live, labelled MOCK…
  await page.getByTestId("eval:judge-select").selectOption("mock");
  await page.getByTestId("eval:evaluate").click();
  await expect(page).not.toHaveURL(/evaluation=/);
  await expect(page.getByTestId("eval:mock").first()).toBeVisible();
  await expect(section).toHaveAttribute("data-status", "completed", { timeout: 240_000 });
  await expect(page.getByTestId("eval:judge")).toContainText("mock v1");
  // …and kept off the leaderboard, where the exact-match evaluation stays.
  await page.goto(`/leaderboard?dataset_key=${dataset}`);
  await expect(page.getByTestId("leaderboard:row")).toHaveCount(1);
  await expect(page.getByTestId("leaderboard:row")).toContainText("exact_match");
  await page.getByTestId("leaderboard:run-link").click();
  await expect(page).toHaveURL(new RegExp(`/runs/${runId}$`));
});

test("a base model evaluated from the leaderboard: its page follows it, and it joins the board", async ({ page, request }) => {
  test.setTimeout(300_000);
  const dataset = await buildDuelsDataset(request, GAMES, "baseline");

  await page.goto(`/leaderboard?dataset_key=${dataset}`);
  await expect(page.getByTestId("leaderboard:empty")).toContainText("No evaluation matches these filters.");
  const judge = page.getByTestId("leaderboard:base-judge");
  await expect(judge).toHaveValue("exact_match");
  // A judge this installation cannot use is offered disabled, with why.
  await expect(judge.locator('option[value="llm_judge"]')).toBeDisabled();
  await expect(judge.locator('option[value="llm_judge"]')).toContainText("unavailable: set JUDGE_BASE_URL");
  await page.getByTestId("leaderboard:base-dataset").selectOption(dataset);
  await page.getByTestId("leaderboard:base-model-id").fill("tunix-rt/tiny-gemma3");

  // An unknown model is a 404, shown as the server says it.
  await page.getByTestId("leaderboard:base-model-id").fill("nobody/nothing");
  await page.getByTestId("leaderboard:base-submit").click();
  await expect(page.getByTestId("sys:error")).toContainText("ModelNotFound (HTTP 404)");
  await page.getByTestId("leaderboard:base-model-id").fill("tunix-rt/tiny-gemma3");
  await page.getByTestId("leaderboard:base-submit").click();
  await expect(page.getByTestId("leaderboard:base-status")).toBeVisible();
  await page.getByTestId("leaderboard:base-link").click();

  await expect(page).toHaveURL(/\/evaluations\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Base model tunix-rt/tiny-gemma3");
  await expect(page.getByTestId("eval:section")).toHaveAttribute("data-status", "completed", { timeout: 240_000 });
  await expect(page.getByTestId("eval:score")).toHaveText(/^\d{1,3}\.\d%$/);
  await expect(page.getByTestId("eval:checkpoint")).toContainText("the model as it is");
  await expect(page.getByTestId("eval:item")).toHaveCount(10);

  await page.getByRole("link", { name: "← Leaderboard" }).click();
  await expect(page).toHaveURL(/\/leaderboard$/);
  await page.goto(`/leaderboard?dataset_key=${dataset}`);
  const row = page.getByTestId("leaderboard:row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("base model");
  await expect(row.getByTestId("leaderboard:open")).toHaveAttribute("href", /^\/evaluations\/[0-9a-f-]{36}$/);
});
