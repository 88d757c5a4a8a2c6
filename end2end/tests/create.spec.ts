// The create-service wizard end to end: from the gallery through the form (validation as you
// type), the review and its file preview, to the live task page and the new entity's page. The
// template (fixtures/create) publishes to a local bare Git repository and registers the pushed
// catalog file, so nothing outside this machine is needed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { APIRequestContext } from "@playwright/test";
import { expect, test } from "./fixtures";

const FIXTURES = resolve(__dirname, "../fixtures/create");

/** Registers a fixture template (again: both tests may, in either order). */
async function register(request: APIRequestContext, file: string) {
  const response = await request.post("/api/catalog/locations", { data: { type: "file", target: join(FIXTURES, file) } });
  expect([201, 409], await response.text()).toContain(response.status());
}

test("a whole wizard run, from the gallery to the new component's page", async ({ page, consoleErrors }) => {
  test.setTimeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), "cairn-create-"));
  const remote = join(dir, "service.git");
  execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch", "main", remote]);
  const name = `e2e-svc-${Date.now().toString(36)}`;
  try {
    await register(page.request, "template.yaml");

    // The gallery: search narrows it to the template; Choose opens its form.
    await page.goto("/create");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await page.getByRole("searchbox", { name: "Search" }).fill("local git");
    await expect(page).toHaveURL(/\/create\?q=local%20git/);
    const card = page.getByTestId("template-card").filter({ hasText: "E2E service" });
    await expect(card).toBeVisible();
    await expect(page.getByTestId("template-card")).toHaveCount(1);
    await expect(card.getByRole("link", { name: "team-checkout" })).toHaveAttribute("href", "/catalog/default/group/team-checkout");
    await card.getByRole("link", { name: "Choose E2E service" }).click();

    // Page 1: the name is checked as it is typed; defaults are filled in.
    await expect(page.getByRole("heading", { name: "Service", exact: true })).toBeVisible();
    const nameInput = page.locator("#field-name");
    await expect(nameInput).toBeFocused(); // ui:autofocus
    await expect(page.locator("#field-description")).toHaveValue("Made by the browser test");
    await nameInput.fill("Bad Name");
    await expect(nameInput).toHaveAttribute("aria-invalid", "true");
    await expect(page.locator("#field-name-error")).toContainText("must match");
    await expect(nameInput).toHaveAttribute("aria-describedby", /field-name-error/);
    // Next with a bad page stays on it.
    await page.getByRole("button", { name: "Next" }).click();
    await expect(page.getByRole("heading", { name: "Service", exact: true })).toBeVisible();
    await expect(page.locator("#field-owner-error")).not.toBeEmpty();
    await nameInput.fill(name);
    await expect(nameInput).not.toHaveAttribute("aria-invalid", "true");
    await expect(page.locator("#field-name-error")).toBeEmpty();
    // The owner picker suggests the catalog's groups.
    await expect(page.locator("#field-owner-options option[value='group:default/team-checkout']")).toHaveCount(1);
    await page.locator("#field-owner").fill("group:default/team-checkout");
    await page.getByRole("button", { name: "Next" }).click();

    // Page 2: the repository and a radio choice with its default.
    await expect(page.getByRole("heading", { name: "Repository", exact: true })).toBeVisible();
    await expect(page.getByRole("radio", { name: "Experimental" })).toBeChecked();
    await page.getByRole("radio", { name: "Production" }).check();
    await page.locator("#field-remote").fill(`file://${remote}`);
    await page.getByRole("button", { name: "Next" }).click();

    // Review: every value, by its label; the preview shows the generated catalog file.
    const review = page.getByTestId("review-values");
    await expect(review.first()).toContainText(name);
    await expect(review.last()).toContainText("Production");
    await page.getByRole("button", { name: "Preview files" }).click();
    const preview = page.getByTestId("file-preview");
    await expect(preview).toContainText("2 files would be generated");
    await preview.getByRole("button", { name: "catalog-info.yaml" }).click();
    await expect(preview.getByTestId("file-text")).toContainText(`name: ${name}`);
    await expect(preview.getByTestId("file-text")).toContainText("lifecycle: production");

    // Create: the task page follows the steps live until they complete.
    await page.getByRole("button", { name: "Create" }).click();
    await expect(page).toHaveURL(/\/create\/tasks\/[0-9a-f-]+$/);
    const steps = page.getByTestId("task-step");
    await expect(steps).toHaveCount(3);
    await expect(page.getByTestId("task-status")).toHaveAttribute("data-status", "completed", { timeout: 30_000 });
    for (const step of await steps.all()) await expect(step).toHaveAttribute("data-status", "completed");
    await expect(page.getByTestId("task-log")).toContainText("Beginning step Publish");
    await expect(page.getByRole("button", { name: "Cancel" })).toHaveCount(0);
    // A file:// remote cannot be opened from a web page: its address is shown instead of a link.
    await expect(page.getByTestId("output-address")).toHaveText(`file://${remote}`);

    // The server render of the finished task says the same without the stream.
    const html = await (await page.request.get(page.url())).text();
    expect(html).toContain('data-status="completed"');

    // The new component is in the catalog, with its owner.
    await page.getByRole("link", { name: "Open in catalog" }).click();
    await expect(page).toHaveURL(new RegExp(`/catalog/default/component/${name}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
    await expect(page.getByRole("main")).toContainText("team-checkout");
    expect(consoleErrors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("templates Cairn cannot run are shown disabled with their problems; filters work without the wasm", async ({ browser, request }) => {
  await register(request, "template.yaml");
  await register(request, "unsupported.yaml");
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL: process.env.CAIRN_BASE_URL });
  const page = await context.newPage();

  // The tag filter is a plain link: it works as a page load.
  await page.goto("/create");
  await page.locator("[data-facet=tag]").getByRole("link", { name: /^e2e/ }).click();
  await expect(page).toHaveURL(/\/create\?tag=e2e$/);
  const cards = page.getByTestId("template-card");
  await expect(cards).toHaveCount(2);
  await expect(page.getByTestId("template-count")).toContainText("2 of");

  // The search box is a GET form.
  await page.getByRole("searchbox", { name: "Search" }).fill("does not have");
  await page.getByRole("searchbox", { name: "Search" }).press("Enter");
  await expect(page).toHaveURL(/q=does\+not\+have/);
  await expect(cards).toHaveCount(1);
  const unsupported = cards.first();
  await expect(unsupported).toHaveClass(/disabled/);
  await expect(unsupported.locator(".problems")).toContainText("acme:deploy");
  await expect(unsupported.getByRole("button", { name: "Choose" })).toBeDisabled();

  await page.goto("/create?q=no-template-is-called-this");
  await expect(page.getByText("No template matches")).toBeVisible();
  await context.close();
});

test("a task that fails says so plainly, with the step that failed", async ({ page, consoleErrors }) => {
  await register(page.request, "template.yaml");
  const created = await page.request.post("/api/scaffolder/v2/tasks", {
    data: {
      templateRef: "template:default/e2e-service",
      values: { name: "e2e-failing", owner: "group:default/team-checkout", remote: "file:///nowhere/missing.git" },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = await created.json();

  await page.goto(`/create/tasks/${id}`);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("task-status")).toHaveAttribute("data-status", "failed", { timeout: 30_000 });
  const outcome = page.getByTestId("task-outcome");
  await expect(outcome).toContainText("The task failed");
  await expect(outcome).toContainText("nowhere/missing.git");
  const steps = page.getByTestId("task-step");
  await expect(steps.nth(0)).toHaveAttribute("data-status", "completed");
  await expect(steps.nth(1)).toHaveAttribute("data-status", "failed");
  await expect(steps.nth(2)).toHaveAttribute("data-status", "pending");
  await expect(page.getByRole("button", { name: "Cancel" })).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});
