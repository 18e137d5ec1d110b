import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { shot } from "./helpers";

const CLI = join(import.meta.dirname, "..", "..", ".venv", "bin", "tunix-rt");

test("a 401 asks for a token, which is kept and can be forgotten", async ({ page }) => {
  const token = execFileSync(CLI, ["token", "create", "--name", "e2e", "--scope", "write"], {
    env: { ...process.env, DATA_DIR: process.env.E2E_DATA_DIR!, DATABASE_URL: "" },
    encoding: "utf8",
  }).trim();
  expect(token).toMatch(/^trt_/);

  await page.goto("/traces");
  const input = page.getByTestId("sys:token-input");
  await expect(input).toBeVisible();
  await shot(page, "09-token-prompt");

  await input.fill("trt_wrong");
  await page.getByTestId("sys:token-save").click();
  await expect(page.getByTestId("sys:token-input")).toBeVisible(); // still refused

  await page.getByTestId("sys:token-input").fill(token);
  await page.getByTestId("sys:token-save").click();
  await expect(page.getByTestId("trace:list")).toBeVisible();
  await expect(page.getByTestId("trace:row").first()).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem("tunix-rt.token"))).toBe(token);
  await shot(page, "10-authenticated");

  await page.reload();
  await expect(page.getByTestId("trace:row").first()).toBeVisible();

  await page.getByTestId("sys:token-forget").click();
  expect(await page.evaluate(() => localStorage.getItem("tunix-rt.token"))).toBeNull();
  await page.reload();
  await expect(page.getByTestId("sys:token-input")).toBeVisible();
});
