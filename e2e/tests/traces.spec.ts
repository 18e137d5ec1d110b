import { expect, test } from "@playwright/test";
import { shot, trace } from "./helpers";

test("health shows the app as healthy and RediAI as a mock (REDIAI_MODE=mock)", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByTestId("sys:app-health")).toContainText(/healthy/i);
  await expect(page.getByTestId("sys:redi-health")).toHaveText("RediAI: mock");
  await shot(page, "01-home");
});

test("upload the example, then see it in the list and in detail", async ({ page }) => {
  await page.goto("/traces");
  await page.getByTestId("trace:load-example").click();
  await page.getByTestId("trace:submit").click();
  const created = page.getByTestId("trace:created-id");
  await expect(created).toBeVisible();
  const id = (await created.innerText()).match(/[0-9a-f-]{36}/)?.[0];
  expect(id).toBeTruthy();
  await shot(page, "02-traces-uploaded");

  await expect(page.getByTestId("trace:list")).toContainText(id!.slice(0, 8));
  await page.goto(`/traces/${id}`);
  const detail = page.getByTestId("trace:detail");
  await expect(detail).toContainText("What is 27 × 19?");
  await expect(detail).toContainText("513");
  await expect(page.getByTestId("trace:step")).toHaveCount(3);
  await shot(page, "03-trace-detail");

  await page.getByTestId("trace:score-button").click();
  await expect(page.getByTestId("trace:score-value")).toContainText(/\d/);
  await shot(page, "04-trace-scored");
});

test("invalid input is explained field by field and stores nothing", async ({ page, request }) => {
  const before = (await (await request.get("/api/traces?limit=100")).json()).data.length;
  await page.goto("/traces");
  const input = page.getByTestId("trace:json-input");

  await input.fill("{ not json");
  await page.getByTestId("trace:submit").click();
  await expect(page.getByText(/invalid json/i)).toBeVisible();

  const bad = trace("Duplicate steps", 2) as { steps: { i: number }[] };
  bad.steps[1].i = 0;
  await input.fill(JSON.stringify({ ...bad, prompt: "" }));
  await page.getByTestId("trace:submit").click();
  await expect(page.getByTestId("trace:field-error").first()).toContainText("prompt");
  await shot(page, "05-trace-validation-errors");

  const after = (await (await request.get("/api/traces?limit=100")).json()).data.length;
  expect(after).toBe(before);
});

test("the list pages through traces", async ({ page, request }) => {
  const batch = Array.from({ length: 25 }, (_, n) => trace(`Paged question ${n}`, 1));
  expect((await request.post("/api/traces/batch", { data: batch })).status()).toBe(201);

  await page.goto("/traces");
  const rows = page.getByTestId("trace:row");
  await expect(rows).toHaveCount(20);
  await page.getByTestId("trace:next-page").click();
  await expect(rows.first()).toBeVisible();
  const secondPage = await rows.count();
  expect(secondPage).toBeGreaterThan(0);
  expect(secondPage).toBeLessThanOrEqual(20);
  await shot(page, "06-traces-page-2");
  await page.getByTestId("trace:prev-page").click();
  await expect(rows).toHaveCount(20);
});

test("search narrows the list, keeps it over a reload, and combines with a filter", async ({ page, request }) => {
  const token = `needle-${Date.now().toString(36)}`;
  const batch = [
    { ...trace(`Where is the ${token} in the hay?`, 1), meta: { source: "e2e-search" } },
    { ...trace(`Find the ${token.toUpperCase()} again`, 2), meta: { source: "e2e" } },
    trace("Only hay here", 1),
  ];
  const created = await request.post("/api/traces/batch", { data: batch });
  expect(created.status()).toBe(201);
  const [first] = ((await created.json()) as { traces: { id: string }[] }).traces;
  expect((await request.post(`/api/traces/${first!.id}/score`, { data: {} })).status()).toBe(201);

  await page.goto("/traces");
  await page.getByTestId("trace:search").fill(token);
  const rows = page.getByTestId("trace:row");
  await expect(rows).toHaveCount(2);
  await expect(page).toHaveURL(new RegExp(`[?&]q=${token}`));
  await expect(rows.first().getByTestId("trace:prompt")).toContainText(token.toUpperCase());
  await expect(rows.first().getByTestId("trace:source")).toHaveText("e2e");

  await page.reload();
  await expect(page.getByTestId("trace:search")).toHaveValue(token);
  await expect(rows).toHaveCount(2);
  await expect(rows.last().getByTestId("trace:score")).toHaveText(/\d/);
  await shot(page, "traces-search");
  await page.getByTestId("trace:filter-source").selectOption("e2e-search");
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId("trace:prompt")).toContainText(`Where is the ${token}`);
});

test("import several trace files at once, JSON and JSONL", async ({ page }) => {
  const token = `imported-${Date.now().toString(36)}`;
  const lines = [trace(`${token} line one`, 1), trace(`${token} line two`, 2)].map((t) => JSON.stringify(t));
  await page.goto("/traces");
  await page.getByTestId("trace:file-input").setInputFiles([
    { name: "lines.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(lines.join("\n")) },
    { name: "list.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify([trace(`${token} listed`, 1)])) },
  ]);
  const files = page.getByTestId("trace:import-file");
  await expect(files).toHaveText(["lines.jsonl — 2 traces to import", "list.json — 1 trace to import"]);
  await page.getByTestId("trace:import-button").click();
  await expect(page.getByTestId("trace:import-summary")).toHaveText("3 traces stored.");
  await expect(files).toHaveText(["lines.jsonl — 2 traces stored", "list.json — 1 trace stored"]);

  await page.getByTestId("trace:search").fill(token);
  await expect(page.getByTestId("trace:row")).toHaveCount(3);
});

test("compare two traces side by side with their scores", async ({ page, request }) => {
  const short = await (await request.post("/api/traces", { data: trace("Short one", 1) })).json();
  const long = await (await request.post("/api/traces", { data: trace("Long one", 6) })).json();

  await page.goto("/traces");
  await page.getByTestId("trace:row").filter({ hasText: long.id.slice(0, 8) })
    .getByTestId("trace:compare-select").check();
  await page.getByTestId("trace:row").filter({ hasText: short.id.slice(0, 8) })
    .getByTestId("trace:compare-select").check();
  await page.getByTestId("trace:compare-button").click();

  await expect(page).toHaveURL(/\/traces\/compare\?/);
  await expect(page.getByTestId("compare:base")).toBeVisible();
  await expect(page.getByTestId("compare:other")).toBeVisible();
  const scores = [
    await page.getByTestId("compare:base-score").innerText(),
    await page.getByTestId("compare:other-score").innerText(),
  ].map((s) => Number.parseFloat(s.replace(/[^\d.]/g, "")));
  expect(scores.every((s) => s > 0)).toBe(true);
  expect(scores[0]).not.toBe(scores[1]);
  await shot(page, "07-compare");
});

test("every area of the navigation is built", async ({ page }) => {
  await page.goto("/tuning");
  await expect(page.getByTestId("tuning:page")).toBeVisible();
  await expect(page.getByText(/not (built|available) yet/i)).toHaveCount(0);
});

test("an unknown trace says it was not found", async ({ page }) => {
  await page.goto("/traces/00000000-0000-4000-8000-000000000000");
  await expect(page.getByText(/not found/i)).toBeVisible();
});

test("the API docs render from the server's own Swagger UI, under its Content-Security-Policy", async ({ page, baseURL }) => {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  const elsewhere: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!/^(data|blob):/.test(url) && new URL(url).origin !== new URL(baseURL!).origin) elsewhere.push(url);
  });
  const response = await page.goto("/docs");
  expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
  await expect(page.locator(".swagger-ui .info .title")).toContainText("Tunix RT");
  await expect(page.locator(".opblock").first()).toBeVisible();
  expect(errors).toEqual([]); // no script or style refused by the policy
  expect(elsewhere).toEqual([]); // no CDN
});
