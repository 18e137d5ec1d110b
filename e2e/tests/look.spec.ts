import { expect, test } from "@playwright/test";
import { buildSumsDataset, queueShortRun, settleEvaluations, shot } from "./helpers";

const PHONE = { width: 390, height: 844 };
const DARK_BACKGROUND = "rgb(15, 19, 24)"; // --bg under prefers-color-scheme: dark

test("a trained run's page fits a 390 px phone and follows a dark colour scheme", async ({ page, request }) => {
  test.setTimeout(240_000);
  const dataset = await buildSumsDataset(request, 48, "look");
  const runId = await queueShortRun(request, dataset);
  await expect
    .poll(async () => ((await (await request.get(`/api/tunix/runs/${runId}`)).json()) as { status: string }).status, {
      timeout: 180_000,
    })
    .toBe("completed");
  await settleEvaluations(request);

  await page.setViewportSize(PHONE);
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId("run:curve")).toBeVisible();
  await expect(page.getByTestId("run:log-line").first()).toBeVisible();
  // Every section drawn, its long values (hashes, paths) and tables included.
  await expect(page.getByTestId("eval:decoding")).toBeVisible();
  await expect(page.getByTestId("run:artifact-list")).toBeVisible();
  // Nothing wider than the screen: the page never scrolls sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, "run-page-390");

  await page.emulateMedia({ colorScheme: "dark" });
  await expect.poll(() => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe(DARK_BACKGROUND);
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot(page, "run-page-dark");
});
