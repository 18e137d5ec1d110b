import { expect, test } from "@playwright/test";
import { createToken, shot } from "./helpers";

test("a 401 asks for a token, which is kept and can be forgotten", async ({ page }) => {
  const token = createToken("e2e");
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
