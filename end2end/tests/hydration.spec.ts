// The pages render on the server and become interactive once the wasm runs.
import { expect, test } from "./fixtures";

test("the page hydrates without console errors", async ({ page, consoleErrors }) => {
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cairn");
  expect(consoleErrors).toEqual([]);
});

test("the theme switch works only once hydrated and is remembered", async ({ page, consoleErrors }) => {
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const html = page.locator("html");
  const toggle = page.getByTestId("theme-switch");
  await expect(html).toHaveAttribute("data-theme", "system");

  await toggle.click();
  await expect(html).toHaveAttribute("data-theme", "light");
  await toggle.click();
  await expect(html).toHaveAttribute("data-theme", "dark");
  await expect(toggle).toHaveAttribute("aria-label", "Theme: Dark. Switch to System.");

  // A new visit: the server itself renders the remembered theme (no flash of the wrong one).
  const response = await page.request.get("/");
  expect(await response.text()).toContain('data-theme="dark"');
  await page.reload();
  await expect(html).toHaveAttribute("data-theme", "dark");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--bg"));
  expect(background.trim()).toBe("#121614");

  // Back to following the system: the cookie is forgotten.
  await toggle.click();
  await expect(html).toHaveAttribute("data-theme", "system");
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === "cairn-theme")).toBeUndefined();
  expect(consoleErrors).toEqual([]);
});

test("without JavaScript the page still renders, but the switch does nothing", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Cairn");
  await page.getByTestId("theme-switch").click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
  await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");
  await context.close();
});

test("navigation happens in the browser and loads data through a server function", async ({ page, consoleErrors }) => {
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  const serverFn = page.waitForResponse((r) => r.url().includes("/_server/"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status" }).click();
  await expect(page).toHaveURL(/\/status$/);
  expect((await serverFn).status()).toBe(200);
  await expect(page.getByTestId("database")).toHaveText("SQLite");
  await expect(page).toHaveTitle("Status · Cairn");
  // The same document: the router swapped the page without a reload.
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  expect(consoleErrors).toEqual([]);
});

test("an unknown address shows the not-found page with status 404", async ({ page }) => {
  const response = await page.goto("/nothing/here");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
});

test("on a phone-sized screen the header still fits", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto("/");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status" })).toBeVisible();
  await expect(page.getByTestId("theme-switch")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  expect(overflow).toBe(false);
});
