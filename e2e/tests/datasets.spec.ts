import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { shot, shotOf } from "./helpers";

// The run's database is shared by the spec files; only this one generates
// High Card Duel traces, so source "ungar" matches exactly what it generated.
const GAMES = 30;

async function buildDataset(page: Page, name: string, source: string): Promise<void> {
  await page.getByTestId("dataset:name").fill(name);
  await page.getByTestId("dataset:source").fill(source);
}

async function readDownload(page: Page, testId: string): Promise<{ name: string; lines: string[] }> {
  const downloading = page.waitForEvent("download");
  await page.getByTestId(testId).click();
  const download = await downloading;
  const text = readFileSync(await download.path(), "utf8");
  return { name: download.suggestedFilename(), lines: text.split("\n").filter(Boolean) };
}

test("generate High Card Duel games, build a dataset from them and export it for tunix_sft", async ({ page }) => {
  await page.goto("/datasets");
  await expect(page.getByTestId("gen:ungar-status")).toContainText(/builtin|ungar/);
  await expect(page.getByTestId("gen:generator")).toHaveValue("high_card_duel");
  await page.getByTestId("gen:count").fill(String(GAMES));
  await page.getByTestId("gen:submit").click();
  await expect(page.getByTestId("gen:created")).toHaveText(String(GAMES));
  await expect(page.getByTestId("gen:preview")).toContainText("High Card Duel");

  await buildDataset(page, "duels", "ungar");
  const preview = page.getByTestId("dataset:preview");
  await expect(preview).toHaveAttribute("aria-busy", "false"); // counted for source "ungar", not before
  await expect(preview).toContainText(`${GAMES} traces match, ${GAMES} would be taken`);
  await shot(page, "11-datasets-build");
  await page.getByTestId("dataset:build-submit").click();

  await expect(page).toHaveURL(/\/datasets\/duels-v1$/);
  await expect(page.getByTestId("dataset:key")).toHaveText("duels-v1");
  await expect(page.getByTestId("dataset:trace-count")).toHaveText(String(GAMES));
  const train = Number(await page.getByTestId("dataset:split-train").innerText());
  const evalCount = Number(await page.getByTestId("dataset:split-eval").innerText());
  expect(evalCount).toBeGreaterThan(0);
  expect(train + evalCount).toBe(GAMES);
  await expect(page.getByTestId("dataset:sources")).toContainText(`ungar ${GAMES}`);
  await expect(page.getByTestId("dataset:sample-prompt")).toContainText("<start_of_turn>user");
  await expect(page.getByTestId("dataset:sample-completion")).toContainText("Answer: ");
  await expect(page.getByTestId("dataset:sha256")).toHaveText(/^[0-9a-f]{64}$/);
  await shot(page, "12-dataset-detail");

  // Its traces, by split: the Eval tab lists only the held-out ones, each linked to its trace.
  const members = page.getByTestId("dataset:members");
  await expect(members.getByTestId("dataset:member")).toHaveCount(GAMES);
  await members.getByRole("tab", { name: /Eval/ }).click();
  await expect(members.getByTestId("dataset:member")).toHaveCount(evalCount);
  await expect(members.locator('[data-testid="dataset:member"]:not([data-split="eval"])')).toHaveCount(0);
  await shotOf(members, "dataset-members");
  await members.getByTestId("dataset:member-link").first().click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f-]{36}$/);
  await page.goBack();
  await expect(members.getByRole("tab", { name: /Eval/ })).toHaveAttribute("aria-selected", "true");

  const all = await readDownload(page, "dataset:export-tunix_sft-all");
  expect(all.name).toBe("duels-v1.tunix_sft.all.jsonl");
  expect(all.lines).toHaveLength(GAMES);
  for (const line of all.lines) {
    const example = JSON.parse(line) as { prompt: string; completion: string };
    expect(example.prompt.startsWith("<start_of_turn>user\n")).toBe(true);
    expect(example.completion).toContain("<end_of_turn>");
  }
  const evalSplit = await readDownload(page, "dataset:export-tunix_sft-eval");
  expect(evalSplit.lines).toHaveLength(evalCount);

  await page.getByRole("link", { name: "← Datasets" }).click();
  await expect(page.getByTestId("dataset:row").filter({ hasText: "duels-v1" })).toBeVisible();
  await shot(page, "13-datasets-list");
});

test("a build that matches nothing is refused at the filters", async ({ page, request }) => {
  const before = (await (await request.get("/api/datasets?limit=100")).json()).data.length;
  await page.goto("/datasets");
  await page.getByTestId("gen:generator").selectOption("arithmetic");
  await expect(page.getByTestId("gen:param-difficulty")).toHaveValue("2");
  await buildDataset(page, "nothing", "no-such-source");
  await expect(page.getByTestId("dataset:preview")).toHaveAttribute("aria-busy", "false");
  await expect(page.getByTestId("dataset:preview")).toContainText("0 traces match, 0 would be taken");
  await page.getByTestId("dataset:build-submit").click();

  await expect(page.getByRole("group", { name: "Filters" }).getByTestId("dataset:field-error")).toHaveText(
    "no trace matches the filters",
  );
  await shot(page, "14-dataset-build-refused");
  const after = (await (await request.get("/api/datasets?limit=100")).json()).data.length;
  expect(after).toBe(before);
});

test("delete a dataset after confirming", async ({ page, request }) => {
  const built = await request.post("/api/datasets/build", {
    data: { name: "to-delete", filters: {}, limit: 5 },
  });
  expect(built.status()).toBe(201);
  const key = (await built.json()).dataset_key as string;

  await page.goto(`/datasets/${key}`);
  await page.getByTestId("dataset:delete").click();
  await expect(page.getByTestId("dataset:delete-confirm")).toBeVisible();
  await shot(page, "15-dataset-delete-confirm");
  await page.getByTestId("dataset:delete-confirm").click();

  await expect(page).toHaveURL(/\/datasets$/);
  await expect(page.getByTestId("dataset:build-form")).toBeVisible();
  expect((await request.get(`/api/datasets/${key}`)).status()).toBe(404);
});

test("an unknown dataset says it was not found", async ({ page }) => {
  await page.goto("/datasets/no-such-v1");
  await expect(page.getByTestId("dataset:not-found")).toContainText("Dataset 'no-such-v1' not found.");
});
