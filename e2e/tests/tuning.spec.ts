import { expect, test } from "@playwright/test";
import { buildDuelsDataset, shot } from "./helpers";

// A study is created through the form and checked on its page; it is never started (that
// runs Ray Tune and trains). Its dataset is one of its own ("tuning").
const GAMES = 24;

test("a study created from the Tuning page is stored, not started", async ({ page, request }) => {
  const dataset = await buildDuelsDataset(request, GAMES, "tuning");

  await page.goto("/tuning");
  await expect(page.getByTestId("tuning:page")).toBeVisible();
  const form = page.getByTestId("tuning:form");
  await form.getByTestId("tuning:dataset").selectOption(dataset);
  await expect(form.getByTestId("tuning:model")).toHaveValue(/^tunix-rt\//);
  await form.getByTestId("tuning:name").fill("e2e-lr-sweep");
  await form.getByTestId("tuning:num-samples").fill("4");

  // The learning rate's row is there; a second row varies the batch size.
  await form.getByTestId("tuning:space-add").click();
  const batch = form.getByTestId("tuning:space-row").nth(1);
  await expect(batch).toHaveAttribute("data-key", "batch_size");
  await batch.getByTestId("tuning:space-values").fill("4, 8");
  await expect(form.getByTestId("tuning:training-batch-size")).toBeDisabled();

  // A range the wrong way round is refused as it is typed.
  const rate = form.getByTestId("tuning:space-row").first();
  await rate.getByTestId("tuning:space-max").fill("0.0005");
  await expect(rate.getByTestId("tuning:field-error")).toHaveText("Max: Above min.");
  await expect(form.getByTestId("tuning:create")).toBeDisabled();
  await shot(page, "tuning-01-form-invalid");
  await rate.getByTestId("tuning:space-max").fill("0.02");
  await expect(rate.getByTestId("tuning:field-error")).toHaveCount(0);

  await form.getByTestId("tuning:create").click();

  await expect(page).toHaveURL(/\/tuning\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("tuning:name")).toHaveText("e2e-lr-sweep");
  await expect(page.getByTestId("tuning:status")).toHaveText("created");
  await expect(page.getByTestId("tuning:start")).toBeEnabled();
  await expect(page.getByTestId("tuning:cancel")).toBeEnabled();
  await expect(page.getByTestId("tuning:no-trials")).toHaveText("No trials yet: start the study.");
  await expect(page.getByTestId("tuning:space-summary")).toContainText("log-uniform 0.001 – 0.02");
  await expect(page.getByTestId("tuning:space-summary")).toContainText("one of 4, 8");
  await shot(page, "tuning-02-study-created");

  // The list has it, newest first.
  await page.getByRole("link", { name: "← Tuning" }).click();
  const first = page.getByTestId("tuning:row").first();
  await expect(first.getByTestId("tuning:open")).toHaveText("e2e-lr-sweep");
  await expect(first.getByTestId("tuning:status")).toHaveText("created");
  await shot(page, "tuning-03-list-and-form");
});
