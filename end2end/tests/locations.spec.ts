// The admin page of locations: a location whose source breaks shows its error (and keeps its
// entities); problems in its files are listed with file and line; "Refresh" asks for a new read.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures";

const component = (name: string) =>
  ["apiVersion: backstage.io/v1alpha1", "kind: Component", "metadata:", `  name: ${name}`,
    "spec:", "  type: service", "  lifecycle: experimental", "  owner: team-checkout", ""].join("\n");

test("a location that cannot be read shows its error on the admin page", async ({ page, consoleErrors }) => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-locations-"));
  const broken = join(dir, "catalog-info.yaml");
  // One good document, one with a problem (no owner) on line 8.
  writeFileSync(broken, component("e2e-admin-ok") + "---\n" + component("e2e-admin-bad").replace("  owner: team-checkout\n", ""));
  const created = await page.request.post("/api/catalog/locations", { data: { type: "file", target: broken } });
  expect(created.status()).toBe(201);

  await page.goto("/admin/locations");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const row = page.getByTestId("location").filter({ hasText: broken });
  await expect(row).toHaveAttribute("data-state", "problems");
  await row.locator("summary").click();
  await expect(row.locator(".problems")).toContainText(`${broken}`);
  await expect(row.locator(".problems")).toContainText("owner");

  // The file disappears: the next refresh fails, says why, and the entity stays.
  rmSync(broken);
  await row.getByRole("button", { name: "Refresh" }).click();
  await expect(page.getByRole("status").filter({ hasText: "A refresh of" })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("location").filter({ hasText: broken })).toHaveAttribute("data-state", "failing", { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  const failing = page.getByTestId("location").filter({ hasText: broken });
  await expect(failing.getByTestId("location-error")).toContainText("Last refresh failed");
  await expect(failing.getByTestId("location-error")).toContainText(broken);
  // Failing locations come first.
  await expect(page.getByTestId("location").first()).toHaveAttribute("data-state", "failing");
  const kept = await page.request.get("/api/catalog/entities/by-name/component/default/e2e-admin-ok");
  expect(kept.status(), "the last good entities are kept").toBe(200);
  expect(consoleErrors).toEqual([]);
});
