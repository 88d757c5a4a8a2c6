// Sign-in at a real OpenID provider (oidc/provider.mjs, started by global-setup.ts with a portal that
// requires sign-in): the way there and back, who the header then shows, admin pages that follow the
// catalog's groups, sign-out at both ends, and a person the catalog does not know.
import type { Page } from "@playwright/test";

import { expect, test } from "./fixtures";

test.use({ server: "signIn" });

const MAYA = { email: "maya.okafor@northwind.example", name: "Maya Okafor" };
// A member of the admin group (ADMIN_GROUP in global-setup.ts); Maya belongs to its parent only.
const DANIEL = { email: "daniel.reyes@northwind.example", name: "Daniel Reyes" };
const STRANGER = { email: "robin.outsider@example.org" };

const issuer = () => process.env.OIDC_ISSUER!;
const signedInUser = (page: Page) => page.locator('[data-testid="signed-in-user"]');
const signInLink = (page: Page) => page.locator('a[href^="/api/auth/login"]', { hasText: "Sign in" });

test.beforeEach(async ({ context }) => {
  // The provider's development pages import a web font; nothing leaves this machine.
  await context.route("https://fonts.googleapis.com/**", (route) => route.fulfill({ contentType: "text/css", body: "" }));
});

/** On the provider's pages: its login form (any password), then its consent screen. */
async function signInAtProvider(page: Page, email: string) {
  await expect(page).toHaveURL((url) => url.href.startsWith(`${issuer()}/`));
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill("any password will do");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

/** Asks for `path` signed out, signs in from the sign-in page and is back on `path`. */
async function signIn(page: Page, baseURL: string, person: { email: string; name: string }, path: string) {
  await page.goto(path);
  await expect(page).toHaveURL(`${baseURL}/signin?returnTo=${encodeURIComponent(path)}`);
  await signInLink(page).click();
  await signInAtProvider(page, person.email);
  await expect(page).toHaveURL(`${baseURL}${path}`);
  await expect(signedInUser(page)).toHaveText(person.name);
}

test("a page asked for while signed out is shown after signing in at the provider", async ({ page, baseURL, consoleErrors }) => {
  await signIn(page, baseURL!, MAYA, "/catalog?kind=component");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expect(page.locator('[data-testid="guest-banner"]')).toHaveCount(0);
  expect(await page.evaluate(async () => (await fetch("/api/auth/me")).json())).toMatchObject({
    mode: "signedIn",
    userEntityRef: "user:default/maya-okafor",
    email: MAYA.email,
    admin: false,
  });
  void consoleErrors; // checked when the test ends, provider's pages included
});

test("admin pages are there for members of the admin group only", async ({ page, baseURL, browser }) => {
  await signIn(page, baseURL!, DANIEL, "/");
  const nav = page.locator("nav");
  await expect(nav.getByRole("link", { name: "Tokens" })).toBeVisible();
  await nav.getByRole("link", { name: "Audit" }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
  // Daniel's own sign-in is in the audit log.
  await expect(page.getByText("user:default/daniel-reyes").first()).toBeVisible();
  await nav.getByRole("link", { name: "Tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await expect(page.locator('[data-testid="new-token"]')).toBeVisible();

  // Another person, in a browser of their own.
  const context = await browser.newContext({ baseURL });
  await context.route("https://fonts.googleapis.com/**", (route) => route.fulfill({ contentType: "text/css", body: "" }));
  const other = await context.newPage();
  await signIn(other, baseURL!, MAYA, "/");
  await expect(other.locator("nav").getByRole("link", { name: "Catalog" })).toBeVisible();
  await expect(other.locator("nav").getByRole("link", { name: "Tokens" })).toHaveCount(0);
  await expect(other.locator("nav").getByRole("link", { name: "Audit" })).toHaveCount(0);
  await other.goto("/admin/tokens");
  await expect(other.getByRole("alert")).toContainText("only admins may");
  await context.close();
});

test("signing out ends the session at the provider too", async ({ page, baseURL, consoleErrors }) => {
  void consoleErrors; // a Content-Security-Policy blocking the way to the provider shows up here
  await signIn(page, baseURL!, MAYA, "/catalog");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL((url) => url.href.startsWith(`${issuer()}/session/end`));
  await page.getByRole("button", { name: "Yes, sign me out" }).click();
  // The provider sends people back to the portal's home, which now asks them to sign in.
  await expect(page).toHaveURL(`${baseURL}/signin?returnTo=%2F`);
  await expect(signedInUser(page)).toHaveCount(0);
  await page.goto("/catalog");
  await expect(page).toHaveURL(`${baseURL}/signin?returnTo=%2Fcatalog`);

  // The provider's session is over too: signing in again asks for a login.
  await signInLink(page).click();
  await expect(page.locator('input[name="login"]')).toBeVisible();
});

test("a person the catalog does not know is refused with the reason", async ({ page, baseURL }) => {
  await page.goto("/catalog");
  await signInLink(page).click();
  await signInAtProvider(page, STRANGER.email);
  await expect(page).toHaveURL((url) => url.href.startsWith(`${baseURL}/signin?error=`));
  await expect(page.locator('[data-testid="sign-in-error"]')).toContainText(
    `no User entity in the catalog matches ${STRANGER.email}`,
  );
  await expect(signedInUser(page)).toHaveCount(0);
  await expect(signInLink(page)).toBeVisible();
});
