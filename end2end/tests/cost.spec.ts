// The Cost views on the guest-mode server, whose cluster `dev` (testkit's fixtures: no nodes, no
// metrics API) is sampled every 2 seconds (global-setup.ts): an entity's Cost tab
// (checkout-service: its three pods' requests, usage unknown so the page says requests only), a
// team's (team-checkout owns it), and the organisation's explorer with its drill-down and the
// unallocated workloads (a Job's pod this file applies, which no entity claims). Each works
// without JavaScript too.
import { expect, test } from "./fixtures";

test.describe.configure({ mode: "serial" });

const TAB = "/catalog/default/component/checkout-service/cost";
const TEAM = "/catalog/default/group/team-checkout/cost";

// A pod of a Job no catalog entity claims: its cost is unallocated.
const BATCH_POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "nightly-export-1",
    namespace: "e2e-cost",
    uid: "uid-e2e-nightly-export-1",
    ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "nightly-export", uid: "uid-e2e-nightly-export", controller: true }],
  },
  spec: { nodeName: "worker-1", containers: [{ name: "export", image: "registry.example/export:1", resources: { requests: { cpu: "500m", memory: "1Gi" } } }] },
  status: { phase: "Running" },
};

test.beforeAll(async ({ request }) => {
  const kube = process.env.KUBE_API_URL;
  if (!kube) throw new Error("KUBE_API_URL is not set: global-setup.ts did not start the Kubernetes API");
  const applied = await fetch(`${kube}/_testkit/apply`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(BATCH_POD),
  });
  expect(applied.status, await applied.text()).toBe(200);
  // Wait for sampled cost of checkout-service and of the Job's pod.
  for (let i = 0; i < 120; i++) {
    const response = await request.get("/api/cost/allocation?window=1d&aggregate=controller&accumulate=true");
    const set = (await response.json()).data?.[0] ?? {};
    const entities = await (await request.get("/api/cost/allocation?window=1d&aggregate=entity&accumulate=true")).json();
    if (set["e2e-cost/Job/nightly-export"]?.totalCost > 0 && entities.data?.[0]?.["component:default/checkout-service"]?.totalCost > 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("no cost was sampled for checkout-service and the Job in 60 s");
});

test("an entity's Cost tab: the chart with its table, figures as quantity × hours × rate, requests only", async ({
  page,
  consoleErrors,
}) => {
  await page.goto("/catalog/default/component/checkout-service");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByTestId("entity-tabs").getByRole("link", { name: "Cost" }).click();
  await expect(page).toHaveURL(new RegExp(`${TAB}$`));
  await expect(page.getByTestId("usage-source")).toContainText("priced on requests alone");
  const chart = page.getByTestId("cost-chart");
  await expect(chart.getByRole("img", { name: /Cost per day by resource type/ })).toBeVisible();
  // 30 whole days and today: 31 rows, today's marked so far, with a cost.
  await chart.getByText("As a table").click();
  const rows = chart.getByTestId("cost-table").locator("tbody tr");
  await expect(rows).toHaveCount(31);
  await expect(rows.first()).toContainText("(so far)");
  // Every figure expands to quantity × hours × rate, the rate's unit and source.
  await rows.first().getByText("quantity × hours × rate").click();
  await expect(rows.first().getByTestId("figures")).toContainText(/vCPU × [\d.]+ h × USD 0\.031611\/vCPU-hour \(default\)/);
  await expect(rows.first().getByTestId("figures")).toContainText("GiB-hour (default)");
  await expect(page.getByTestId("cost-summary")).toContainText("CPU efficiency (usage ÷ request)unknown");
  await expect(page.getByTestId("cost-rollouts")).toBeVisible();
  // The range links keep working: 7 days is 8 rows.
  await page.getByTestId("range").getByRole("link", { name: "7 days" }).click();
  await expect(page).toHaveURL(/days=7$/);
  await page.getByTestId("cost-chart").getByText("As a table").click();
  await expect(page.getByTestId("cost-table").locator("tbody tr")).toHaveCount(8);
});

test("a team's cost: a row per entity it owns, its shares of idle and shared as lines of their own", async ({
  page,
  consoleErrors,
}) => {
  await page.goto(TEAM);
  await expect(page.getByTestId("scope")).toContainText("every entity this group owns");
  const lines = page.getByTestId("team-lines");
  const checkout = lines.locator('tr[data-key="component:default/checkout-service"]');
  await expect(checkout).toBeVisible();
  await expect(checkout.getByRole("link", { name: "component:default/checkout-service" })).toHaveAttribute("href", TAB);
  await expect(page.getByTestId("team-shares")).toContainText("Its share of idle capacity");
  await expect(page.getByTestId("team-shares")).toContainText("Its share of shared namespaces");
  // Nothing of another team's.
  await expect(lines.locator('tr[data-key="component:default/search-service"]')).toHaveCount(0);
});

test("the explorer: by team, drill into a team's entities, unallocated workloads listed", async ({ page, consoleErrors }) => {
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Cost" }).click();
  await expect(page).toHaveURL(/\/cost$/);
  const lines = page.getByTestId("explorer-lines");
  const team = lines.locator('tr[data-key="group:default/team-checkout"]');
  await expect(team).toBeVisible();
  // Unallocated is a row, never dropped, and the workloads behind it are listed.
  await expect(lines.locator('tr[data-key="__unallocated__"]')).toBeVisible();
  await expect(page.getByTestId("unallocated-lines").locator('tr[data-key="e2e-cost/Job/nightly-export"]')).toBeVisible();
  await team.getByRole("link").click();
  await expect(page).toHaveURL(/by=team&key=group%3Adefault%2Fteam-checkout/);
  await expect(page.getByTestId("explorer-lines").locator('tr[data-key="component:default/checkout-service"]')).toBeVisible();
  // Group by namespace.
  await page.getByTestId("group-by").getByRole("link", { name: "Namespace" }).click();
  await expect(page.getByTestId("explorer-lines").locator('tr[data-key="checkout"]')).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the tab, its table and figures, and the explorer read without script", async ({ page }) => {
    await page.goto(TAB);
    await expect(page.getByTestId("cost-chart").locator("svg title").first()).toHaveText("Cost per day by resource type");
    await page.getByTestId("cost-chart").getByText("As a table").click();
    await expect(page.getByTestId("cost-table").locator("tbody tr")).toHaveCount(31);
    await page.goto("/cost?by=system");
    await expect(page.getByTestId("explorer-lines").locator('tr[data-key="system:default/checkout"]')).toBeVisible();
  });
});

test("the CSV export defuses formulas and names its units", async ({ request }) => {
  const response = await request.get("/api/cost/export.csv?window=7d&aggregate=namespace&accumulate=true");
  expect(response.headers()["content-type"]).toContain("text/csv");
  const text = await response.text();
  expect(text.split("\r\n")[0]).toContain("cpuCoreHours (vCPU-hours)");
  expect(text).toContain(",checkout,USD,");
});
