// The Delivery (DORA) views on the guest-mode server: an entity's tab, a team's (a Group's tab)
// and confirming a suspected deployment, with and without JavaScript. History is reported through
// the API (POST /api/dora/deployments and /api/incidents) before the tests, relative to now, without
// commits (so nothing asks Git), on Resources (the demo's generated history is of Components):
// orders-db and cart-session-cache belong to team-checkout; inventory-db (team-inventory) holds the
// incident whose suspects are judged.
import { type APIRequestContext, expect, test } from "./fixtures";

test.describe.configure({ mode: "serial" });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ORDERS_TAB = "/catalog/default/resource/orders-db/delivery";
const INVENTORY_TAB = "/catalog/default/resource/inventory-db/delivery";
const TEAM_TAB = "/catalog/default/group/team-checkout/delivery";

async function post(request: APIRequestContext, path: string, data: unknown): Promise<void> {
  const response = await request.post(path, { data });
  expect(response.ok(), `${path}: ${await response.text()}`).toBeTruthy();
}

function deployment(id: string, entity: string, version: string, finished: number, status = "succeeded") {
  return {
    id,
    entity,
    environment: "production",
    version,
    startedAt: new Date(finished - 5 * 60_000).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    status,
  };
}

test.beforeAll(async ({ request }) => {
  const now = Date.now();
  // orders-db: six deployments in the last 20 days, two failed.
  for (let k = 0; k < 6; k++) {
    const status = k === 1 || k === 4 ? "failed" : "succeeded";
    await post(request, "/api/dora/deployments", deployment(`e2e-orders-${k}`, "resource:orders-db", `3.${k}.0`, now - (20 - 3 * k) * DAY, status));
  }
  await post(request, "/api/dora/deployments", deployment("e2e-cart-0", "resource:cart-session-cache", "9.0.0", now - 2 * DAY));
  // inventory-db: two deployments, then an incident an hour after the second.
  await post(request, "/api/dora/deployments", deployment("e2e-inventory-0", "resource:inventory-db", "1.0.0", now - 5 * DAY));
  await post(request, "/api/dora/deployments", deployment("e2e-inventory-1", "resource:inventory-db", "1.1.0", now - 2 * DAY));
  await post(request, "/api/incidents", {
    id: "E2E-INC-1",
    entity: "resource:inventory-db",
    title: "Stock counts drift <b>after</b> the nightly run",
    startedAt: new Date(now - 2 * DAY + HOUR).toISOString(),
  });
});

test("an entity's Delivery tab shows each metric with its counts, tiers with their year, trends and deployments", async ({
  page,
  consoleErrors,
}) => {
  await page.goto("/catalog/default/resource/orders-db");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByTestId("entity-tabs").getByRole("link", { name: "Delivery" }).click();
  await expect(page).toHaveURL(new RegExp(`${ORDERS_TAB}$`));

  const cfr = page.locator('[data-metric="changeFailureRate"]');
  await expect(cfr.getByTestId("value")).toHaveText("33.3%");
  await expect(cfr.getByTestId("evidence")).toContainText("2 failed of 6 deployments = 33.3% (2 rollout failed");
  await expect(cfr.getByTestId("band")).toHaveText("DORA State of DevOps 2024: nearest Low (40%)");
  await expect(page.locator('[data-metric="deploymentFrequency"]').getByTestId("evidence")).toContainText("6 deployments in 90 days");
  await expect(page.locator('[data-metric="leadTimeForChanges"]').getByTestId("evidence")).toContainText("changes unknown for 6 deployments");

  // Five charts, each an image with a name and a table of the same numbers.
  const charts = page.getByTestId("chart");
  await expect(charts).toHaveCount(5);
  const failure = page.locator('[data-chart="trend-failure"]');
  await expect(failure.getByRole("img", { name: /Change failure rate per week/ })).toBeVisible();
  await expect(failure.locator(".marker-label").first()).toContainText("· 2024");
  await failure.getByText("As a table").click();
  await expect(failure.getByRole("table")).toContainText("50.0% (1 of 2)");

  const rows = page.getByTestId("deployment");
  await expect(rows).toHaveCount(6);
  await expect(page.locator('[data-deployment="e2e-orders-1"]').getByTestId("status")).toHaveText(/^failed\s*rollout failed$/);
  await expect(page.locator('[data-deployment="e2e-orders-2"]').getByTestId("changes")).toContainText("unknown: the entity names no repository");

  // Another range and another report year: links, so the URL says what is shown.
  await page.getByTestId("range").getByRole("link", { name: "30 days" }).click();
  await expect(page).toHaveURL(/days=30/);
  await page.getByTestId("band-year").getByRole("link", { name: "2021" }).click();
  await expect(cfr.getByTestId("band")).toHaveText(/^DORA State of DevOps 2021: worse than Low/);
  await page.getByTestId("band-year").getByRole("link", { name: "2025" }).click();
  await expect(page.getByTestId("no-tiers")).toBeVisible();
  await expect(page.locator('[data-chart="trend-failure"] .marker')).toHaveCount(0);

  // Every table downloads, as CSV or JSON, for the range shown.
  const csvHref = await page.getByTestId("export-deployments").getByRole("link", { name: "CSV" }).getAttribute("href");
  const csv = await (await page.request.get(csvHref!)).text();
  expect(csv.split("\r\n")[0]).toBe(
    "id,entity,version,commit,startedAt,finishedAt,status,failureReasons,reworkReasons,recoveredAt,recoveredBy,recoverySeconds,changes,leadTimeMedianSeconds,changesUnknown",
  );
  expect(csv).toContain("e2e-orders-4,resource:default/orders-db,3.4.0,");
  expect(consoleErrors).toEqual([]);
});

test("a team's Delivery tab pools what it owns and leads to each entity's tab", async ({ page, consoleErrors }) => {
  await page.goto(TEAM_TAB);
  await expect(page.getByTestId("scope")).toContainText("Team view");
  const orders = page.locator('[data-testid="breakdown-row"][data-key="resource:default/orders-db"]');
  await expect(orders.getByTestId("cfr")).toHaveText("2 failed of 6 = 33.3%");
  await expect(page.locator('[data-testid="breakdown-row"][data-key="resource:default/cart-session-cache"]')).toBeVisible();
  // Pooled: the team's rate weighs every deployment, its own and its entities'.
  await expect(page.locator('[data-metric="changeFailureRate"]').getByTestId("evidence")).toContainText(/failed of \d+ deployments/);

  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await orders.getByRole("link", { name: "resource:default/orders-db" }).click();
  await expect(page).toHaveURL(new RegExp(`${ORDERS_TAB}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText(/orders/i);

  // The organisation's page, from the header, leads to the team.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Delivery" }).click();
  await expect(page).toHaveURL(/\/delivery$/);
  const team = page.locator('[data-testid="breakdown-row"][data-key="group:default/team-checkout"]');
  await expect(team).toBeVisible();
  await team.getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`${TEAM_TAB}$`));
  expect(consoleErrors).toEqual([]);
});

test("an owner confirms a suspected deployment, and it counts as failed", async ({ page, consoleErrors }) => {
  await page.goto(INVENTORY_TAB);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const incident = page.locator('[data-testid="incident"][data-incident="api:E2E-INC-1"]');
  await expect(incident).toContainText("Stock counts drift <b>after</b> the nightly run");
  const suspect = incident.locator('[data-testid="suspect"][data-deployment="e2e-inventory-1"]');
  await expect(suspect).toContainText("same entity; finished 60 min before");
  await expect(page.locator('[data-metric="changeFailureRate"]').getByTestId("evidence")).toContainText("0 failed of 2 deployments");

  await suspect.getByTestId("confirmed").click();
  await expect(page.getByRole("status")).toContainText("e2e-inventory-1 confirmed as a cause of api:E2E-INC-1.");
  await expect(suspect.getByTestId("verdict")).toHaveText("confirmed");
  await expect(page.locator('[data-metric="changeFailureRate"]').getByTestId("evidence")).toContainText(
    "1 failed of 2 deployments = 50.0% (0 rollout failed, 0 rolled back, 1 with an incident)",
  );
  await expect(page.locator('[data-deployment="e2e-inventory-1"]').getByTestId("status")).toContainText("incident api:E2E-INC-1");
  expect(consoleErrors).toEqual([]);
});

test("the verdict forms work without JavaScript", async ({ browser }) => {
  // The suspect confirmed above, rejected again from a page that runs no script.
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL: process.env.CAIRN_BASE_URL });
  const page = await context.newPage();
  await page.goto(INVENTORY_TAB);
  const suspect = () => page.locator('[data-testid="suspect"][data-deployment="e2e-inventory-1"]');
  await expect(suspect().getByTestId("verdict")).toHaveText("confirmed");
  await suspect().getByTestId("rejected").click();
  await expect(page).toHaveURL(new RegExp(`${INVENTORY_TAB}`));
  await expect(suspect().getByTestId("verdict")).toHaveText("rejected");
  await expect(page.locator('[data-metric="changeFailureRate"]').getByTestId("evidence")).toContainText("0 failed of 2 deployments");
  await context.close();
});
