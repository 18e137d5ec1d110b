import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { buildDuelsDataset, shot, shotOf } from "./helpers";

// The run's database is shared by the spec files: this one's runs are on a dataset of its
// own ("labels"), and its name and tag are its own, so each filter finds exactly its runs.
const GAMES = 16;
const NAME = "Duels checked before the sweep";
const TAG = "e2e-labels";
const WIDE = { width: 1280, height: 720 };
const NARROW = { width: 390, height: 844 };

function row(page: Page, runId: string) {
  return page.locator(`[data-testid="run:row"][data-run-id="${runId}"]`);
}

/** A dry run, checked in the request (fast: nothing trains). */
async function dryRun(request: APIRequestContext, dataset: string): Promise<string> {
  const answer = await request.post("/api/tunix/run", {
    data: { dataset_key: dataset, model_id: "tunix-rt/tiny-gemma3", dry_run: true },
  });
  expect(answer.status()).toBe(202);
  const run = (await answer.json()) as { run_id: string; status: string };
  expect(run.status).toBe("completed");
  return run.run_id;
}

test("a dry run labelled on its page, found by its name and its tag; dry runs only under their switch", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const dataset = await buildDuelsDataset(request, GAMES, "labels");
  const labelled = await dryRun(request, dataset);
  const other = await dryRun(request, dataset);

  // Labelled from its page: a name, tags and notes.
  await page.goto(`/runs/${labelled}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Dry run ${labelled}`);
  await expect(page.getByTestId("run:labels")).toContainText("No name, notes or tags yet.");
  await page.getByTestId("run:labels-edit").click();
  await page.getByTestId("run:labels-name").fill(NAME);
  // A tag the server refuses: its message is shown at the tags.
  await page.getByTestId("run:labels-tags").fill(`${TAG}, duels/v1`);
  await page.getByTestId("run:labels-notes").fill("The dataset and the tokens check out.\nNext: the learning-rate sweep.");
  await page.getByTestId("run:labels-save").click();
  await expect(page.getByTestId("run:labels-error")).toContainText("Tag “duels/v1”");
  await expect(page.getByTestId("run:labels-tags")).toHaveAttribute("aria-invalid", "true");
  await shot(page, "40-run-labels-refused");

  await page.getByTestId("run:labels-tags").fill(`${TAG} smoke`);
  await page.getByTestId("run:labels-save").click();
  await expect(page.getByTestId("run:labels-form")).toBeHidden();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(NAME);
  await expect(page.getByTestId("run:detail-id")).toHaveText(labelled);
  await expect(page.getByTestId("run:tag-link")).toHaveText([TAG, "smoke"]);
  await expect(page.getByTestId("run:notes")).toContainText("Next: the learning-rate sweep.");
  await shot(page, "41-run-labelled");

  // The history lists training runs unless asked: neither dry run is there.
  await page.getByRole("link", { name: "← Runs" }).click();
  await expect(page.getByTestId("run:view-training")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("run:list").or(page.getByTestId("run:list-empty"))).toBeVisible();
  await expect(row(page, labelled)).toHaveCount(0);
  await expect(row(page, other)).toHaveCount(0);

  // Under Dry runs, both (on this dataset); then by name.
  await page.getByTestId("run:view-dry-runs").click();
  await expect(page).toHaveURL(/[?&]mode=dry-run/);
  await page.getByTestId("run:filter-dataset").selectOption(dataset);
  await expect(page.getByTestId("run:row")).toHaveCount(2);
  await expect(row(page, labelled).getByTestId("run:row-name")).toHaveText(NAME);
  await expect(row(page, other).getByTestId("run:row-name")).toHaveText(other.slice(0, 8));
  await page.getByTestId("run:filter-dataset").selectOption("");
  await page.getByTestId("run:filter-q").fill("checked BEFORE");
  await expect(page).toHaveURL(/[?&]q=checked\+BEFORE/);
  await expect(page.getByTestId("run:row")).toHaveCount(1);
  await expect(row(page, labelled)).toBeVisible();
  await page.getByTestId("run:history").scrollIntoViewIfNeeded();
  await shot(page, "42-runs-found-by-name");

  // A shared link holds the filters: the same list, loaded afresh.
  await page.goto(page.url());
  await expect(page.getByTestId("run:filter-q")).toHaveValue("checked BEFORE");
  await expect(page.getByTestId("run:row")).toHaveCount(1);

  // By its tag: its chip filters the list.
  await page.getByTestId("run:filter-q").fill("");
  await expect(page).not.toHaveURL(/[?&]q=/);
  await row(page, labelled).getByRole("button", { name: TAG }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]tag=${TAG}`));
  await expect(page.getByTestId("run:filter-tag")).toHaveValue(TAG);
  await expect(page.getByTestId("run:row")).toHaveCount(1);
  await expect(row(page, labelled)).toBeVisible();

  // The same tag among training runs: none; under All, the dry run, marked as one.
  await page.getByTestId("run:view-training").click();
  await expect(page.getByTestId("run:list-empty")).toContainText("No run matches these filters.");
  await page.getByTestId("run:view-all").click();
  await expect(page).toHaveURL(/[?&]mode=all/);
  await expect(row(page, labelled)).toContainText("dry run");
  // A dry run has no results to compare: it cannot be picked.
  await expect(row(page, labelled).getByTestId("run:select")).toHaveCount(0);
  await shot(page, "43-runs-by-tag-all");

  // From its run page, the tag link leads to the dry runs with that tag.
  await page.goto(`/runs/${labelled}`);
  await page.getByTestId("run:tag-link").filter({ hasText: TAG }).click();
  await expect(page).toHaveURL(new RegExp(`/runs\\?mode=dry-run&tag=${TAG}$`));
  await expect(page.getByTestId("run:row")).toHaveCount(1);

  // On a phone: the list keeps the run, its status and final loss; the form stays usable.
  await page.setViewportSize(NARROW);
  await page.getByTestId("run:history").scrollIntoViewIfNeeded();
  await expect(row(page, labelled).getByTestId("run:row-name")).toBeVisible();
  await expect(page.locator('[data-testid="run:row"] [data-column="dataset"]').first()).toBeHidden();
  await shot(page, "44-runs-by-tag-narrow");
  await shotOf(page.getByTestId("run:history"), "44-runs-by-tag-narrow-history");
  await page.goto(`/runs/${labelled}`);
  await page.getByTestId("run:labels-edit").click();
  await shot(page, "45-run-labels-form-narrow");
  await shotOf(page.getByTestId("run:detail"), "45-run-labels-form-narrow-detail");
  // The training runs (other specs' runs, if any), wide and narrow; the form's labels, open.
  await page.setViewportSize(WIDE);
  await page.goto(`/runs?dataset=${dataset}`);
  await page.getByTestId("run:form-labels").locator("summary").click();
  await expect(page.getByTestId("run:label-name")).toBeVisible();
  await page.getByTestId("run:history").scrollIntoViewIfNeeded();
  await shot(page, "46-runs-training");
  await page.setViewportSize(NARROW);
  await shot(page, "47-runs-training-narrow");
  await shotOf(page.getByTestId("run:history"), "47-runs-training-narrow-history");
});
