// The Deployments views against the cluster `dev`: testkit's local Kubernetes API over
// testkit/fixtures/kubernetes (KUBE_API_URL, started by global-setup.ts), changed through its
// /_testkit/ control endpoints. In the fixtures, payments-service (namespace checkout, 3 replicas)
// has a pod crash-looping after OOMKilled, search-service a pod the scheduler cannot place, and
// storefront-web (in the catalog) has no workload at all.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Page, expect, test } from "./fixtures";

// These tests change the one cluster every test sees: one at a time.
test.describe.configure({ mode: "serial" });

const CRASHING = "payments-service-5b8c9d7f6-v8b2c";
const EXTRA = "payments-service-5b8c9d7f6-e2e01";
const PAYMENTS_TAB = "/catalog/default/component/payments-service/deployments";

function kubeApi(): string {
  const url = process.env.KUBE_API_URL;
  if (!url) throw new Error("KUBE_API_URL is not set: global-setup.ts did not start the Kubernetes API");
  return url;
}

// POST /_testkit/<action>; fails the test on anything but 200.
async function control(action: string, body?: unknown): Promise<void> {
  const response = await fetch(`${kubeApi()}/_testkit/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, `/_testkit/${action}: ${await response.text()}`).toBe(200);
}

// A pod as the fixtures have it (a fresh copy to change).
function fixturePod(name: string): any {
  const list = JSON.parse(readFileSync(resolve("../testkit/fixtures/kubernetes/pods.json"), "utf8"));
  const pod = list.items.find((p: any) => p.metadata.name === name);
  if (!pod) throw new Error(`no pod ${name} in the fixtures`);
  return { apiVersion: "v1", kind: "Pod", ...pod };
}

const workload = (page: Page, name: string) => page.locator(`[data-testid="workload"][data-workload="${name}"]`);
const podRow = (page: Page, name: string) => page.locator(`[data-testid="pod"][data-pod="${name}"]`);

async function openLive(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("live")).toHaveAttribute("data-state", "live");
}

test.afterEach(async () => {
  // Whatever a test changed, the next one starts from the fixtures.
  await control("restore");
  await control("apply", fixturePod(CRASHING));
  // Gone already unless a test stopped half-way: then a 400 saying so, which is fine.
  await fetch(`${kubeApi()}/_testkit/delete`, {
    method: "POST",
    body: JSON.stringify({ type: "pods", namespace: "checkout", name: EXTRA }),
  });
});

test("the entity's Deployments tab shows its workload, pods and problems in plain words", async ({ page, consoleErrors }) => {
  await page.goto("/catalog/default/component/payments-service");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByTestId("entity-tabs").getByRole("link", { name: "Deployments" }).click();
  await expect(page).toHaveURL(new RegExp(`${PAYMENTS_TAB}$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Payments Service");

  const payments = workload(page, "payments-service");
  await expect(payments.getByTestId("health")).toHaveText("degraded");
  await expect(payments.getByTestId("replicas")).toContainText("desired3");
  await expect(payments.getByTestId("images")).toContainText("5.2.0");
  await expect(payments.getByTestId("pod")).toHaveCount(3);
  await expect(payments.getByTestId("pod-count")).toHaveText("Pods: 2 of 3 ready");
  const crashing = podRow(page, CRASHING);
  await expect(crashing.getByTestId("pod-containers")).toContainText("CrashLoopBackOff");
  await expect(crashing.getByTestId("pod-termination")).toContainText("OOMKilled (exit 137)");
  await expect(crashing.getByTestId("pod-restarts")).toHaveText("7");
  await expect(crashing).toContainText("worker-2");

  const problems = page.getByTestId("problem-summary").getByTestId("problem");
  await expect(problems.first()).toContainText("Deployment payments-service (dev/checkout)");
  await expect(problems.filter({ hasText: /1 of 3 pods crash-looping.*OOMKilled/ })).toHaveCount(1);
  await expect(page.getByTestId("cluster").first()).toHaveAttribute("data-cluster", "dev");

  // The server render is complete on its own (no JavaScript needed to read it).
  const html = await (await page.request.get(PAYMENTS_TAB)).text();
  expect(html).toContain(CRASHING);
  expect(html).toContain("OOMKilled");
  expect(consoleErrors).toEqual([]);
});

test("an entity without workloads says where it looked and how to map one", async ({ page }) => {
  await page.goto("/catalog/default/component/storefront-web/deployments");
  const empty = page.getByTestId("deployments-empty");
  await expect(empty.getByTestId("searched-clusters")).toHaveText("Searched cluster dev.");
  await expect(empty).toContainText("backstage.io/kubernetes-id");
  await expect(empty).toContainText("backstage.io/kubernetes-label-selector");
  const missing = await page.request.get("/catalog/default/component/no-such-service/deployments");
  expect(missing.status()).toBe(404);
});

test("a pod's change reaches the open page without a reload", async ({ page, consoleErrors }) => {
  await openLive(page, PAYMENTS_TAB);
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

  const restarted = fixturePod(CRASHING);
  restarted.status.containerStatuses[0].restartCount = 8;
  await control("apply", restarted);
  await expect(podRow(page, CRASHING).getByTestId("pod-restarts")).toHaveText("8");

  // A new pod appears, a deleted one goes.
  const extra = fixturePod("payments-service-5b8c9d7f6-h3j6t");
  extra.metadata.name = EXTRA;
  extra.metadata.uid = "0d7e0c52-4c1e-4a57-9a55-2f3b1de2e001";
  await control("apply", extra);
  await expect(podRow(page, EXTRA)).toBeVisible();
  await control("delete", { type: "pods", namespace: "checkout", name: EXTRA });
  await expect(podRow(page, EXTRA)).toHaveCount(0);

  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  expect(consoleErrors).toEqual([]);
});

test("the Deployments page lists every workload, problems first, and filters by URL", async ({ page, consoleErrors }) => {
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deployments" }).click();
  await expect(page).toHaveURL(/\/deployments$/);
  const rows = page.getByTestId("deployment-row");
  for (const name of ["payments-service", "search-service", "search-indexer", "api-gateway", "inventory-service"]) {
    await expect(page.locator(`[data-testid="deployment-row"][data-workload$="/${name}"]`)).toHaveCount(1);
  }
  await expect(rows.first().getByTestId("health")).toHaveText("degraded");
  const payments = page.locator('[data-testid="deployment-row"][data-workload="dev/checkout/Deployment/payments-service"]');
  await expect(payments).toContainText("team-checkout");
  await expect(payments.getByTestId("first-problem")).not.toBeEmpty();

  await page.getByLabel("Namespace").selectOption("search");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/namespace=search/);
  await expect(rows).toHaveCount(2);
  for (const cell of await rows.locator("td:nth-child(5)").allTextContents()) expect(cell).toBe("search");
  await page.reload();
  await expect(page.getByLabel("Namespace")).toHaveValue("search");
  await expect(rows).toHaveCount(2);

  await page.goto(`/deployments?owner=${encodeURIComponent("group:default/team-checkout")}&state=degraded`);
  await expect(payments).toHaveCount(1);
  for (const health of await rows.getByTestId("health").allTextContents()) expect(health).toBe("degraded");
  await expect(page.locator('[data-testid="deployment-row"][data-workload$="/search-indexer"]')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test("the filters work before (and without) the wasm", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const page = await context.newPage();
  await page.goto("/deployments");
  await page.getByLabel("Cluster").selectOption("dev");
  await page.getByLabel("State").selectOption("degraded");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/cluster=dev/);
  await expect(page).toHaveURL(/state=degraded/);
  const rows = page.getByTestId("deployment-row");
  await expect(rows.first()).toBeVisible();
  for (const health of await rows.getByTestId("health").allTextContents()) expect(health).toBe("degraded");
  await context.close();
});

test("an unreachable cluster shows since when, and its last known state as stale", async ({ page }) => {
  await openLive(page, PAYMENTS_TAB);
  await control("outage");
  const notice = page.getByTestId("cluster-unreachable");
  await expect(notice).toHaveText(/^dev: unreachable since \d\d:\d\d UTC — showing its last known state$/, { timeout: 15_000 });
  const payments = workload(page, "payments-service");
  await expect(payments.getByTestId("stale")).toBeVisible();
  await expect(payments.getByTestId("pod")).toHaveCount(3);

  await page.goto("/deployments");
  await expect(page.getByTestId("cluster-unreachable")).toContainText("dev: unreachable since");
  await expect(page.locator('[data-testid="deployment-row"][data-workload$="/payments-service"]').getByTestId("stale")).toBeVisible();

  await control("restore");
  await expect(page.getByTestId("cluster-unreachable")).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId("live")).toHaveAttribute("data-state", "live");
});
