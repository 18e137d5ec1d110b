import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { createToken } from "./helpers";

// Runs in the "auth" project (the name ends in auth.spec.ts): auth is on here.
test("exports download with the bearer token when auth is on", async ({ page, request }) => {
  const token = createToken("e2e-exports");
  const headers = { Authorization: `Bearer ${token}` };
  const generated = await request.post("/api/generators/arithmetic/generate", {
    headers,
    data: { count: 12, seed: 1, params: { difficulty: 3 } },
  });
  expect(generated.status()).toBe(201);
  const built = await request.post("/api/datasets/build", {
    headers,
    // The newest 12 arithmetic traces are the ones just generated (runs.spec.ts generates some too).
    data: { name: "auth-export", filters: { source: "arithmetic" }, strategy: "latest", limit: 12 },
  });
  expect(built.status()).toBe(201);
  const key = (await built.json()).dataset_key as string;

  await page.addInitScript((value) => window.localStorage.setItem("tunix-rt.token", value), token);
  await page.goto(`/datasets/${key}`);
  const link = page.getByTestId("dataset:export-training_example-all");
  // The plain link alone would be refused: a browser navigation sends no bearer token.
  expect((await request.get((await link.getAttribute("href"))!)).status()).toBe(401);

  const downloading = page.waitForEvent("download");
  await link.click();
  const download = await downloading;
  const lines = readFileSync(await download.path(), "utf8").split("\n").filter(Boolean);
  expect(lines).toHaveLength(12);
  expect(JSON.parse(lines[0]!)).toMatchObject({ metadata: { source: "arithmetic" } });
});
