// Shared fixtures: the base URL of a server started by global-setup.ts (the guest-mode one unless a
// file says `test.use({ server: "signIn" })`), and a page that fails the test on any console error
// or uncaught exception (a CSP violation shows up as one).
import { test as base, expect } from "@playwright/test";

export type Server = "guest" | "signIn" | "hostile" | "reliability";

export const test = base.extend<{ server: Server; consoleErrors: string[] }>({
  server: ["guest", { option: true }],
  baseURL: async ({ server }, use) => {
    const variable = {
      guest: "CAIRN_BASE_URL",
      signIn: "CAIRN_SIGNIN_URL",
      hostile: "CAIRN_HOSTILE_URL",
      reliability: "CAIRN_RELIABILITY_URL",
    }[server];
    const url = process.env[variable];
    if (!url) throw new Error(`${variable} is not set: global-setup.ts did not run`);
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
