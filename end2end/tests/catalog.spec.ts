// The catalog pages against the demo organisation: search, filters, sorting, paging, the entity
// page with its definition and graph, and registering a new location. The guest server's cluster
// adds one Component to the demo's 30: `label-printer`, discovered running there.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures";

const rows = (page) => page.getByTestId("entity-table").locator("tbody tr");

test("search narrows the list as you type and keeps the state in the URL", async ({ page, consoleErrors }) => {
  await page.goto("/catalog");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("result-count")).toHaveText("31 components");
  await page.getByLabel("Search").fill("payments");
  await expect(page).toHaveURL(/q=payments/);
  await expect(page.getByTestId("result-count")).not.toHaveText("31 components");
  await expect(rows(page).filter({ hasText: "Payments Service" })).toHaveCount(1);
  // The URL alone restores the view (shareable).
  await page.goto(page.url());
  await expect(page.getByLabel("Search")).toHaveValue("payments");
  await expect(rows(page).filter({ hasText: "Payments Service" })).toHaveCount(1);
  expect(consoleErrors).toEqual([]);
});

test("facets filter with counts, and a second click clears them", async ({ page }) => {
  await page.goto("/catalog");
  const libraries = page.locator('[data-facet="type"] a', { hasText: "library" });
  await expect(libraries.locator(".count")).toHaveText("5");
  await libraries.click();
  await expect(page).toHaveURL(/type=library/);
  await expect(page.getByTestId("result-count")).toHaveText("5 components");
  for (const cell of await rows(page).locator("td:nth-child(4)").allTextContents()) expect(cell).toBe("library");
  await page.locator('[data-facet="type"] a.selected').click();
  await expect(page.getByTestId("result-count")).toHaveText("31 components");

  await page.getByRole("navigation", { name: "Kinds" }).getByRole("link", { name: /API/ }).click();
  await expect(page).toHaveURL(/kind=api/);
  await expect(page.getByTestId("result-count")).toHaveText("12 apis");
});

test("columns sort and pages follow each other", async ({ page }) => {
  await page.goto("/catalog");
  const firstPage = await rows(page).locator("td:first-child").allTextContents();
  expect(firstPage).toHaveLength(20);
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page).toHaveURL(/cursor=/);
  await expect(rows(page)).toHaveCount(11);
  const secondPage = await rows(page).locator("td:first-child").allTextContents();
  expect(secondPage.filter((n) => firstPage.includes(n))).toEqual([]);
  await page.getByRole("link", { name: "← Previous" }).click();
  await expect(rows(page).first()).toHaveText(new RegExp(firstPage[0]));

  await page.getByRole("columnheader", { name: "Lifecycle" }).getByRole("link").click();
  await expect(page.getByRole("columnheader", { name: /Lifecycle/ })).toHaveAttribute("aria-sort", "ascending");
  await expect(rows(page).first().locator("td:nth-child(5)")).toHaveText("deprecated");
  await page.getByRole("columnheader", { name: /Lifecycle/ }).getByRole("link").click();
  await expect(page.getByRole("columnheader", { name: /Lifecycle/ })).toHaveAttribute("aria-sort", "descending");
  await expect(rows(page).first().locator("td:nth-child(5)")).toHaveText("production");
});

test("the entity page shows about, relations, dangling references and the API definition", async ({ page, consoleErrors }) => {
  await page.goto("/catalog?q=legacy");
  await page.getByRole("link", { name: "Legacy Promotions Engine" }).click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/legacy-promo-engine$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Legacy Promotions Engine");
  await expect(page.locator(".about")).toContainText("team-checkout");
  const dangling = page.locator("[data-dangling]");
  await expect(dangling).toContainText("legacy-erp-bridge");
  await expect(dangling).toContainText("missing");

  await page.goto("/catalog/default/api/checkout-api");
  const operations = page.getByTestId("operations").locator(":scope > li");
  await expect(operations).toHaveCount(6);
  await operations.filter({ hasText: "/checkouts/{checkoutId}/complete" }).locator("summary").click();
  await expect(operations.filter({ hasText: "/checkouts/{checkoutId}/complete" })).toContainText("Responses");
  expect(consoleErrors).toEqual([]);
});

test("the relations graph links to entities and its depth is adjustable", async ({ page }) => {
  await page.goto("/catalog/default/component/checkout-service");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const graph = page.getByTestId("graph");
  const nodes = graph.locator("a.node");
  const shallow = await nodes.count();
  expect(shallow).toBeGreaterThan(5);
  await page.getByRole("navigation", { name: "Graph depth" }).getByRole("link", { name: "2" }).click();
  await expect(page).toHaveURL(/depth=2/);
  await expect.poll(() => nodes.count()).toBeGreaterThan(shallow);
  await graph.locator('a.node[data-ref="group:default/team-checkout"]').click();
  await expect(page).toHaveURL(/\/catalog\/default\/group\/team-checkout/);
  await expect(page.getByTestId("members").locator("li")).not.toHaveCount(0);
  await expect(page.locator("#owned-title")).toContainText("Ownership");
});

test("register a location: preview, import, refresh, then unregister", async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-register-"));
  const file = join(dir, "catalog-info.yaml");
  writeFileSync(file, [
    "apiVersion: backstage.io/v1alpha1", "kind: Component", "metadata:", "  name: e2e-billing", "  description: Registered by a browser test",
    "spec:", "  type: service", "  lifecycle: experimental", "  owner: team-checkout", "",
  ].join("\n"));
  await page.goto("/catalog-import");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Location").fill(file);
  await page.getByRole("button", { name: "Analyze" }).click();
  await expect(page.getByTestId("preview")).toContainText("component:default/e2e-billing");
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("imported")).toContainText("Registered 1 entities");
  await page.getByTestId("imported").getByRole("link", { name: /e2e-billing/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("e2e-billing");

  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page.getByTestId("action-status")).toContainText("Refreshed");

  await page.locator("summary", { hasText: "Unregister location" }).click();
  await page.getByRole("button", { name: "Unregister", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Location unregistered" })).toBeVisible();
  const gone = await page.request.get("/api/catalog/entities/by-name/component/default/e2e-billing");
  expect(gone.status()).toBe(404);
});
