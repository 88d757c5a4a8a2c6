// The Reliability views: an entity's tab (each SLO's figures with their counts, a burn-down from
// 100% and the burn rate with a production deploy and an incident on the same timeline, each chart
// with its table), a team's tab, the /reliability overview with its owner and system filters (a
// plain form, also without JavaScript), and the tab on a server with no Prometheus. The reliability
// server (global-setup.ts) reads fixtures/reliability and testkit's prometheus-fixture: eight days
// of requests with an hour-long outage a day ago.
import { type APIRequestContext, expect, test } from "./fixtures";

test.describe.configure({ mode: "serial" });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHECKOUT_TAB = "/catalog/default/component/checkout/reliability";

async function post(request: APIRequestContext, path: string, data: unknown): Promise<void> {
  const response = await request.post(path, { data });
  expect(response.ok(), `${path}: ${await response.text()}`).toBeTruthy();
}

test.describe("with Prometheus", () => {
  test.use({ server: "reliability" });

  test.beforeAll(async ({ request }) => {
    const now = Date.now();
    const finished = now - 2 * DAY;
    await post(request, "/api/dora/deployments", {
      id: "e2e-checkout-7",
      entity: "component:checkout",
      environment: "production",
      version: "7.0.0",
      startedAt: new Date(finished - 5 * 60_000).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      status: "succeeded",
    });
    await post(request, "/api/incidents", {
      id: "E2E-SLO-1",
      entity: "component:checkout",
      title: "Checkout errors <b>spike</b>",
      startedAt: new Date(now - DAY).toISOString(),
      resolvedAt: new Date(now - DAY + HOUR).toISOString(),
    });
  });

  test("an entity's tab shows each SLO's budget with its counts, charts with tables, deploys and incidents", async ({
    page,
    consoleErrors,
  }) => {
    await page.goto("/catalog/default/component/checkout");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await page.getByTestId("entity-tabs").getByRole("link", { name: "Reliability" }).click();
    await expect(page).toHaveURL(new RegExp(`${CHECKOUT_TAB}$`));

    const slo = page.getByTestId("slo");
    await expect(slo).toHaveCount(1);
    await expect(slo.getByRole("heading", { level: 3 })).toContainText("Checkout availability");
    const figures = slo.getByTestId("figures");
    await expect(figures).toContainText("99%");
    await expect(figures).toContainText("7 days, rolling");
    await expect(figures).toContainText(/good of [\d\u202f]+ events/);
    // The outage spent part of the budget: a percentage and the bad events left, with the counts.
    await expect(slo.getByTestId("remaining")).toContainText(/^\d+\.\d%: about [\d\u202f]+ bad events left at current traffic/);
    await expect(slo.getByTestId("remaining")).toContainText("allowed spent");

    // Two charts: images with names, a deploy marker and the incident's band, and their tables.
    const burnDown = slo.locator('[data-chart$="-burn-down"]');
    await expect(burnDown.getByRole("img", { name: /Error budget remaining/ })).toBeVisible();
    await expect(burnDown.locator(".deploy-label")).toHaveText("D1");
    await expect(burnDown.locator("rect.incident")).toHaveCount(1);
    await burnDown.getByText("As a table").click();
    await expect(burnDown.getByRole("table").locator("tbody tr").first()).toContainText("100.0%");
    const burnRate = slo.locator('[data-chart$="-burn-rate"]');
    await expect(burnRate.getByRole("img", { name: /Burn rate/ })).toBeVisible();
    await burnRate.getByText("As a table").click();
    await expect(burnRate.getByRole("table")).toContainText("×");

    // The deploy and the budget it burned until now; the incident, escaped, in its table.
    await expect(slo.getByTestId("deploys")).toContainText("7.0.0");
    await expect(slo.getByTestId("burned")).toContainText(/burned \d+\.\d% of the window's budget in (1 d 23 h|2 d 0 h)/);
    await expect(page.getByTestId("slo-incidents")).toContainText("Checkout errors <b>spike</b>");
    await expect(slo.getByTestId("alert-rules")).toContainText("14.4×");
    expect(consoleErrors).toEqual([]);
  });

  test("a window longer than Prometheus' history says so", async ({ page }) => {
    await page.goto("/catalog/default/component/search/reliability");
    await expect(page.getByTestId("short-history")).toContainText("Prometheus holds");
    await expect(page.getByTestId("figures")).toContainText("28 days, rolling");
  });

  test("the overview lists every SLO worst first, filters by owner and system, and leads to the tab", async ({
    page,
    consoleErrors,
  }) => {
    await page.goto("/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reliability" }).click();
    await expect(page).toHaveURL(/\/reliability$/);
    const rows = page.getByTestId("slo-row");
    await expect(rows).toHaveCount(2);
    // Checkout's 99% lost more of its budget than search's 90%.
    await expect(rows.first()).toContainText("Checkout availability");
    await expect(page.getByTestId("scope")).toContainText("2 of 2 SLOs shown");

    await page.getByRole("combobox", { name: "System" }).selectOption("system:default/storefront");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/system=system%3Adefault%2Fstorefront/);
    await expect(rows).toHaveCount(1);
    await rows.first().getByRole("link", { name: "Checkout availability" }).click();
    await expect(page).toHaveURL(new RegExp(`${CHECKOUT_TAB}$`));
    expect(consoleErrors).toEqual([]);
  });

  test("the filters work without JavaScript, and a team's tab lists what it owns", async ({ browser, baseURL }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
    const page = await context.newPage();
    await page.goto("/reliability");
    await page.getByRole("combobox", { name: "Owner" }).selectOption("group:default/team-sre");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByTestId("slo-row")).toHaveCount(2);
    await page.goto("/catalog/default/group/team-sre/reliability");
    await expect(page.getByTestId("scope")).toContainText("Team view");
    await expect(page.getByTestId("slo-row")).toHaveCount(2);
    await context.close();
  });
});

test("without Prometheus the tab says how to connect one", async ({ page }) => {
  await page.goto("/catalog/default/component/checkout-service/reliability");
  await expect(page.getByTestId("connect-prometheus")).toContainText("prometheus:");
  await page.goto("/reliability");
  await expect(page.getByTestId("connect-prometheus")).toBeVisible();
});
