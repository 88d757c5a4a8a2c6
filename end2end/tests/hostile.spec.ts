// Every route of the app, over a catalog whose every field is a hostile string (testkit's
// `hostile` module, served by global-setup's third server): in Chromium, nothing may run, load or
// navigate that the page did not mean to. Routes are read from the app's route table
// (app/src/root.rs), so a new page is covered by being a route. server/tests/hostile_strings.rs
// checks the same pages' HTML as served.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

test.use({ server: "hostile" });

const ENTITIES: [string, string][] = [
  ["domain", "hostile-domain"],
  ["system", "hostile-system"],
  ["group", "hostile-team"],
  ["user", "hostile-user"],
  ["component", "hostile-service"],
  ["api", "hostile-openapi"],
  ["api", "hostile-graphql"],
  ["resource", "hostile-db"],
  ["template", "hostile-template"],
];
const HOSTILE = "\"><x-evil-query x-evil-attr=1><script>window.cairnPwned=1</script>";

function routes(): string[] {
  const table = readFileSync(resolve("../app/src/root.rs"), "utf8");
  return [...table.matchAll(/path!\("([^"]*)"\)/g)].map((m) => `/${m[1]}`);
}

function pages(route: string, task: string): string[] {
  const params = route.split("/").filter((s) => s.startsWith(":"));
  if (params.length === 0) return [route, `${route}?q=${encodeURIComponent(HOSTILE)}&kind=${encodeURIComponent(HOSTILE)}&return_to=javascript:alert(1)`];
  for (const p of params) {
    if (![":namespace", ":kind", ":name", ":id"].includes(p)) throw new Error(`route ${route}: teach hostile.spec.ts a value for ${p}`);
  }
  const fill = (values: Record<string, string>) => route.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(values[p]));
  const out = [fill({ namespace: HOSTILE, kind: HOSTILE, name: HOSTILE, id: HOSTILE })];
  if (params.includes(":kind")) {
    for (const [kind, name] of ENTITIES) out.push(fill({ namespace: "default", kind, name }));
  } else if (params.includes(":namespace")) {
    out.push(fill({ namespace: "default", name: "hostile-template" }));
  } else {
    out.push(fill({ id: task }));
  }
  return out;
}

// Watches one page for anything an injection would do.
async function watch(page: Page, origin: string): Promise<string[]> {
  const problems: string[] = [];
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { cairnViolations: string[] }).cairnViolations ??= [];
      (window as unknown as { cairnViolations: string[] }).cairnViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on("dialog", (d) => {
    problems.push(`a ${d.type()} dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.origin !== origin && url.protocol !== "data:") problems.push(`a request to ${r.url()}`);
  });
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame() && new URL(f.url()).origin !== origin) problems.push(`navigated to ${f.url()}`);
  });
  return problems;
}

for (const route of routes()) {
  test(`route ${route} renders hostile strings inertly`, async ({ page, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    // For the task page, a task of the hostile template: its log and output carry hostile strings too.
    let task = "";
    if (route.includes(":id")) {
      const created = await page.request.post("/api/scaffolder/v2/tasks", {
        data: { templateRef: "template:default/hostile-template", values: { name: HOSTILE, note: HOSTILE, choice: "a" } },
      });
      expect(created.status()).toBe(201);
      task = (await created.json()).id as string;
    }
    const problems = await watch(page, origin);
    for (const path of pages(route, task)) {
      await page.goto(path);
      await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
      const found = await page.evaluate(() => ({
        pwned: (window as unknown as { cairnPwned?: unknown }).cairnPwned !== undefined,
        violations: (window as unknown as { cairnViolations?: string[] }).cairnViolations ?? [],
        injected: [...document.querySelectorAll("*")]
          .filter((e) => e.localName.startsWith("x-evil") || [...e.attributes].some((a) => a.name.startsWith("x-evil") || a.name.startsWith("on")))
          .map((e) => e.outerHTML.slice(0, 200)),
        unsafeLinks: [...document.querySelectorAll("[href],[src],[action],[formaction]")]
          .map((e) => e.getAttribute("href") ?? e.getAttribute("src") ?? e.getAttribute("action") ?? e.getAttribute("formaction") ?? "")
          .filter((v) => !/^(https?:\/\/|mailto:|#|\?)/i.test(v) && !(v.startsWith("/") && !v.startsWith("//") && !v.startsWith("/\\"))),
        metaRefresh: document.querySelectorAll("meta[http-equiv]").length,
      }));
      expect(found, `${path}`).toEqual({ pwned: false, violations: [], injected: [], unsafeLinks: [], metaRefresh: 0 });
      expect(new URL(page.url()).origin, `${path} stays on the portal`).toBe(origin);
    }
    expect(problems).toEqual([]);
  });
}

test("a hostile title reads as written, in the tab and the heading", async ({ page }) => {
  await page.goto("/catalog/default/component/hostile-service");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const title = "T1 </title><meta http-equiv=refresh content=0;url=https://evil.example>";
  await expect(page).toHaveTitle(`${title} · Cairn`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(title);
});
