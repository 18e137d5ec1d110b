import { expect, test } from "@playwright/test";
import { createToken } from "./helpers";

// Runs in the "auth" project (the name ends in auth.spec.ts): auth is on here. EventSource
// cannot send a bearer token; the run page reads its stream with fetch, so it can.
test("the live log streams with the bearer token when auth is on", async ({ page, request }) => {
  const token = createToken("e2e-live-log");
  const headers = { Authorization: `Bearer ${token}` };
  const generated = await request.post("/api/generators/arithmetic/generate", {
    headers,
    data: { count: 12, params: { difficulty: 1 } },
  });
  expect(generated.status()).toBe(201);
  const built = await request.post("/api/datasets/build", {
    headers,
    data: { name: "auth-live", filters: { source: "arithmetic" }, strategy: "latest", limit: 12 },
  });
  expect(built.status()).toBe(201);
  const key = ((await built.json()) as { dataset_key: string }).dataset_key;
  const queued = await request.post("/api/tunix/run?mode=async", {
    headers,
    data: { dataset_key: key, model_id: "tunix-rt/tiny-gemma3", dry_run: true },
  });
  expect(queued.status()).toBe(202);
  const runId = ((await queued.json()) as { run_id: string }).run_id;
  // Without the token the stream is refused.
  expect((await request.get(`/api/tunix/runs/${runId}/logs`)).status()).toBe(401);

  await page.addInitScript((value) => window.localStorage.setItem("tunix-rt.token", value), token);
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId("run:status")).toHaveText("completed", { timeout: 30_000 });
  await expect(page.getByTestId("run:log-line").first()).toContainText(`[ok] dataset: ${key}`, { timeout: 30_000 });
  await expect(page.getByTestId("run:log-ended")).toHaveText("— stream ended (completed) —");
  await expect(page.getByTestId("sys:token-input")).toBeHidden();
});
