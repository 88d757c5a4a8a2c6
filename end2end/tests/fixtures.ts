// Shared fixtures: the base URL of the server started by global-setup.ts, and a page that fails
// the test on any console error or uncaught exception (a CSP violation shows up as one).
import { test as base, expect } from "@playwright/test";

export const test = base.extend<{ consoleErrors: string[] }>({
  baseURL: async ({}, use) => {
    const url = process.env.CAIRN_BASE_URL;
    if (!url) throw new Error("CAIRN_BASE_URL is not set: global-setup.ts did not run");
    await use(url);
  },
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(msg.text());
    });
    page.on("pageerror", (err) => errors.push(err.message));
    await use(errors);
    expect(errors, "console errors").toEqual([]);
  },
});

export { expect };
