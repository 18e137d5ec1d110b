import { expect, test } from "@playwright/test";
import { buildDuelsDataset, queueShortRun, settleEvaluations, shot } from "./helpers";

// A short real run on a dataset of its own, served by its name (run-<id>) from its page.
const GAMES = 40;
const RUN_TIMEOUT_MS = 420_000;
const QUESTION = "High Card Duel: Player 1 has the queen of hearts, Player 2 has the nine of spades. Who wins?";

test.afterEach(async ({ request }) => {
  await settleEvaluations(request);
});

test("a completed run is tried in the Playground from its page: the answer streams with its figures, and the model shows as loaded", async ({
  page,
  request,
}) => {
  test.setTimeout(RUN_TIMEOUT_MS + 120_000);
  const dataset = await buildDuelsDataset(request, GAMES, "playground");
  const runId = await queueShortRun(request, dataset);
  await expect
    .poll(async () => ((await (await request.get(`/api/tunix/runs/${runId}`)).json()) as { status: string }).status, {
      timeout: RUN_TIMEOUT_MS,
      intervals: [2_000],
    })
    .toBe("completed");

  await page.goto(`/runs/${runId}`);
  await page.getByTestId("run:try-it").click();
  await expect(page).toHaveURL(new RegExp(`/playground\\?model=run-${runId}$`));
  await expect(page.getByTestId("playground:model")).toHaveValue(`run-${runId}`);

  // 30 steps do not teach the format: whatever it writes, it is streamed and counted.
  await page.getByTestId("playground:max-tokens").fill("24");
  await page.getByTestId("playground:input").fill(QUESTION);
  await page.getByTestId("playground:input").press("Enter");
  await expect(page.getByTestId("playground:question")).toHaveText(new RegExp(QUESTION.slice(0, 20)));
  const answer = page.getByTestId("playground:answer");
  await expect(answer).toHaveAttribute("data-status", "done", { timeout: 90_000 });
  await expect(page.getByTestId("playground:tokens")).toContainText("24 completion tokens");
  await expect(page.getByTestId("playground:ttft")).toContainText("first token");
  await expect(page.getByTestId("playground:finish").last()).toHaveAttribute("data-finish", /^(stop|length)$/);

  // The serving panel names what it loaded as the request asked for it.
  const loaded = page.getByTestId("playground:loaded-model");
  await expect(loaded.getByTestId("playground:loaded-name")).toHaveText(`run-${runId}`, { timeout: 10_000 });
  await expect(loaded.getByTestId("playground:loaded-state")).toHaveText("ready");
  await shot(page, "playground-run");

  // A phone's width: the chat and its panels stack, nothing overflows.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await shot(page, "playground-run-narrow");
});

test("a model that does not exist is said in words, and Retry asks again", async ({ page }) => {
  await page.goto("/playground?model=missing:prod");
  await expect(page.getByTestId("playground:model")).toHaveValue("missing:prod");
  await page.getByTestId("playground:input").fill("hello");
  await page.getByTestId("playground:send").click();
  const alert = page.getByTestId("playground:answer").getByRole("alert");
  await expect(alert).toContainText("model_not_found");
  await expect(alert).toContainText("no registered model 'missing'");
  await expect(page.getByTestId("playground:retry")).toBeVisible();
});
