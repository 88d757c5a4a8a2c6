// Sign-in at a real OpenID provider (oidc/provider.mjs, started by global-setup.ts with a portal that
// requires sign-in): the way there and back, who the portal then takes the person for, admin rights
// that follow the catalog's groups, sign-out at both ends, and a person the catalog does not know.
import type { Page } from "@playwright/test";

import { expect, test } from "./fixtures";

test.use({ server: "signIn" });

const MAYA = "maya.okafor@northwind.example";
// A member of the admin group (global-setup.ts ADMIN_GROUP); Maya belongs to its parent only.
const DANIEL = "daniel.reyes@northwind.example";
const STRANGER = "robin.outsider@example.org";

const issuer = () => process.env.OIDC_ISSUER!;

test.beforeEach(async ({ page }) => {
  // The provider's development pages import a web font; nothing leaves this machine.
  await page.route("https://fonts.googleapis.com/**", (route) => route.fulfill({ contentType: "text/css", body: "" }));
});

/** On the provider's pages: its login form (any password), then its consent screen. */
async function signInAtProvider(page: Page, email: string) {
  await expect(page).toHaveURL((url) => url.href.startsWith(issuer()));
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill("any password will do");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

/** Signs in from the portal's sign-in page and waits to be back on `path`. */
async function signIn(page: Page, email: string, path = "/") {
  await page.goto(path);
  await expect(page).toHaveURL(/\/signin\?/);
  await page.goto(`/api/auth/login?returnTo=${encodeURIComponent(path)}`);
  await signInAtProvider(page, email);
  await expect(page).toHaveURL(path);
}

/** GET /api/auth/me with the page's own cookies. */
async function me(page: Page) {
  return page.evaluate(async () => (await fetch("/api/auth/me")).json());
}

test("a page asked for while signed out is shown after signing in at the provider", async ({ page, baseURL }) => {
  const asked = "/catalog?kind=component";
  await page.goto(asked);
  await expect(page).toHaveURL(`${baseURL}/signin?returnTo=${encodeURIComponent(asked)}`);
  expect(await me(page)).toMatchObject({ mode: "anonymous" });

  await page.goto(`/api/auth/login?returnTo=${encodeURIComponent(asked)}`);
  await signInAtProvider(page, MAYA);
  await expect(page).toHaveURL(`${baseURL}${asked}`);
  expect(await me(page)).toMatchObject({
    mode: "signedIn",
    userEntityRef: "user:default/maya-okafor",
    displayName: "Maya Okafor",
    email: MAYA,
    admin: false,
  });
});

test("admin rights follow the catalog's groups", async ({ page, browser }) => {
  await signIn(page, DANIEL);
  expect(await me(page)).toMatchObject({ userEntityRef: "user:default/daniel-reyes", admin: true });
  expect(await page.evaluate(async () => (await fetch("/api/auth/tokens")).status)).toBe(200);

  const other = await browser.newPage({ baseURL: page.url() });
  await other.route("https://fonts.googleapis.com/**", (route) => route.fulfill({ contentType: "text/css", body: "" }));
  await signIn(other, MAYA);
  expect(await me(other)).toMatchObject({ userEntityRef: "user:default/maya-okafor", admin: false });
  expect(await other.evaluate(async () => (await fetch("/api/auth/tokens")).status)).toBe(403);
  await other.context().close();
});

test("signing out ends the session at the provider too", async ({ page, baseURL }) => {
  await signIn(page, MAYA, "/catalog");
  const { csrfToken } = await me(page);
  const { redirect } = await page.evaluate(
    async (token) =>
      (await fetch("/api/auth/logout", { method: "POST", headers: { Accept: "application/json", "X-CSRF-Token": token } })).json(),
    csrfToken,
  );
  expect(redirect.startsWith(`${issuer()}/session/end`)).toBe(true);
  await page.goto(redirect);
  await page.getByRole("button", { name: "Yes, sign me out" }).click();
  // The provider sends people back to the portal's home, which now asks them to sign in.
  await expect(page).toHaveURL(`${baseURL}/signin?returnTo=%2F`);
  expect(await me(page)).toMatchObject({ mode: "anonymous" });

  // The provider's session is over too: signing in again asks for a login.
  await page.goto("/api/auth/login");
  await expect(page.locator('input[name="login"]')).toBeVisible();
});

test("a person the catalog does not know is refused with the reason", async ({ page, baseURL }) => {
  await page.goto("/api/auth/login?returnTo=%2Fcatalog");
  await signInAtProvider(page, STRANGER);
  await expect(page).toHaveURL((url) => url.href.startsWith(`${baseURL}/signin?error=`));
  const reason = new URL(page.url()).searchParams.get("error")!;
  expect(reason).toContain(STRANGER);
  expect(await me(page)).toMatchObject({ mode: "anonymous" });
});
