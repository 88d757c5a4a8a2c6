// Starts two `cairn serve` processes over throw-away SQLite files, both with the demo organisation:
// - the guest-mode one of cairn.dev.yaml (CAIRN_BASE_URL), which most tests use, watching one
//   Kubernetes cluster `dev`: testkit's local Kubernetes API over its fixtures (KUBE_API_URL, driven
//   through its /_testkit/ endpoints by tests/deployments.spec.ts);
// - one requiring sign-in at a real OpenID provider, oidc/provider.mjs (CAIRN_SIGNIN_URL, OIDC_ISSUER),
//   for tests/signin.spec.ts;
// - one over the hostile-strings catalog written by testkit's `hostile-catalog` (CAIRN_HOSTILE_URL),
//   for tests/hostile.spec.ts;
// - one over fixtures/reliability with testkit's `prometheus-fixture` (Debian's Prometheus over a
//   backfilled history) as its Prometheus (CAIRN_RELIABILITY_URL), for tests/reliability.spec.ts.
// The binaries and site come from CAIRN_BIN / KUBE_API_BIN / CAIRN_SITE_ROOT, set by `./x test`
// (default: what `./x build` and `cargo build -p testkit` left in ../target), e.g. `./x build && cd end2end && npx playwright test tests/signin.spec.ts`.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

// The demo group whose members are admins on the sign-in server (Daniel Reyes is one; Maya Okafor,
// in the parent group, is not).
export const ADMIN_GROUP = "group:default/digital-commerce";

const bin = resolve(process.env.CAIRN_BIN ?? "../target/debug/cairn");
const kubeApiBin = resolve(process.env.KUBE_API_BIN ?? "../target/debug/kube-api");
const hostileCatalogBin = resolve(process.env.HOSTILE_CATALOG_BIN ?? "../target/debug/hostile-catalog");
const prometheusFixtureBin = resolve(process.env.PROMETHEUS_FIXTURE_BIN ?? "../target/debug/prometheus-fixture");
const site = resolve(process.env.CAIRN_SITE_ROOT ?? "../target/site");

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), "cairn-e2e-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const kubeApi = await startKubeApi(children);
    const [guest, signIn, hostile, reliability] = await Promise.all([
      startGuest(dir, children, kubeApi),
      startSignIn(dir, children),
      startHostile(dir, children),
      startReliability(dir, children),
    ]);
    // The same file location holds as many entities on both servers once each has read it.
    const entities = await locationEntities(guest);
    await waitFor("the demo catalog on the sign-in server", async () => (await locationEntities(signIn.url)) === entities);
    process.env.CAIRN_BASE_URL = guest;
    process.env.CAIRN_SIGNIN_URL = signIn.url;
    process.env.OIDC_ISSUER = signIn.issuer;
    process.env.KUBE_API_URL = kubeApi;
    process.env.CAIRN_HOSTILE_URL = hostile;
    process.env.CAIRN_RELIABILITY_URL = reliability;
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}

// The local Kubernetes API over testkit's fixtures; its URL once it listens.
async function startKubeApi(children: ChildProcess[]): Promise<string> {
  const api = spawn(kubeApiBin, ["--fixtures", resolve("../testkit/fixtures/kubernetes"), "--token", "e2e-cluster-token"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(api);
  return readyLine(api, kubeApiBin, /listening on (http:\/\/\S+)/);
}

// The development configuration (guest mode, the demo organisation, file locations may be
// registered) plus the cluster `dev` at the local Kubernetes API.
async function startGuest(dir: string, children: ChildProcess[], kubeApi: string): Promise<string> {
  // Without its `demo:` section: the tests bring their own cluster and history, and must not
  // depend on what the demo generates.
  const dev = readFileSync(resolve("../cairn.dev.yaml"), "utf8")
    .replaceAll("./catalog/", `${resolve("../catalog")}/`)
    .replace(/^demo:\n(?:[ #].*\n|\n)*/m, "");
  const config = join(dir, "guest.yaml");
  writeFileSync(
    config,
    [
      dev,
      "kubernetes:",
      "  clusterLocatorMethods:",
      "    - type: config",
      "      clusters:",
      "        - name: dev",
      `          url: ${kubeApi}`,
      "          serviceAccountToken: ${CAIRN_E2E_KUBE_TOKEN}",
      "          owner: group:default/platform-engineering",
      // Cost sampled often, so tests/cost.spec.ts has figures within seconds.
      "cost:",
      "  interval: { seconds: 2 }",
      "  metrics:",
      "    timeout: { seconds: 1 }",
      "",
    ].join("\n"),
  );
  const url = await startCairn(children, "127.0.0.1:0", join(dir, "guest.db"), config, {
    CAIRN_E2E_KUBE_TOKEN: "e2e-cluster-token",
  });
  // The demo catalog is read in the background right after start: wait until it is queryable.
  await waitFor(
    "the demo catalog",
    async () => (await fetch(`${url}/api/catalog/entities/by-name/component/default/checkout-service`)).status === 200,
  );
  // And the Component discovered in the cluster (written a few seconds after it answered), so every
  // test sees the same catalog.
  await waitFor(
    "the discovered label-printer",
    async () => (await fetch(`${url}/api/catalog/entities/by-name/component/default/label-printer`)).status === 200,
  );
  return url;
}

// The provider and a portal that signs people in there. The portal's port is chosen first: its
// URL is the provider's redirect target and its own `app.baseUrl`.
async function startSignIn(dir: string, children: ChildProcess[]): Promise<{ url: string; issuer: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // A fresh client secret each run, handed to both through the environment only.
  const secret = randomBytes(24).toString("base64url");
  const provider = spawn(process.execPath, ["oidc/provider.mjs", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CAIRN_URL: url, OIDC_CLIENT_SECRET: secret },
  });
  children.push(provider);
  // Its development-mode warnings are expected; anything else on stderr is worth seeing.
  createInterface({ input: provider.stderr! }).on("line", (line) => {
    if (!line.startsWith("oidc-provider WARNING")) console.error(`[oidc] ${line}`);
  });
  const issuer = await readyLine(provider, "oidc/provider.mjs", /oidc provider running at (http:\/\/\S+)/);

  const config = join(dir, "signin.yaml");
  writeFileSync(
    config,
    [
      "app:",
      "  title: Cairn (sign-in tests)",
      `  baseUrl: ${url}`,
      "catalog:",
      "  locations:",
      "    - type: file",
      `      target: ${resolve("../catalog/demo/northwind/catalog-info.yaml")}`,
      "auth:",
      "  oidc:",
      `    issuer: ${issuer}`,
      "    clientId: cairn-e2e",
      "    clientSecret: ${CAIRN_E2E_OIDC_SECRET}",
      "permission:",
      `  adminGroups: [${ADMIN_GROUP}]`,
      "",
    ].join("\n"),
  );
  await startCairn(children, `127.0.0.1:${port}`, join(dir, "signin.db"), config, { CAIRN_E2E_OIDC_SECRET: secret });
  return { url, issuer };
}

// A guest-mode portal over testkit's hostile-strings catalog, once its entities are queryable.
async function startHostile(dir: string, children: ChildProcess[]): Promise<string> {
  const catalogFile = execFileSync(hostileCatalogBin, [join(dir, "hostile")]).toString().trim();
  const config = join(dir, "hostile.yaml");
  writeFileSync(
    config,
    ["app:", "  title: Cairn (hostile strings)", "catalog:", "  locations:", "    - type: file", `      target: ${catalogFile}`, ""].join(
      "\n",
    ),
  );
  const url = await startCairn(children, "127.0.0.1:0", join(dir, "hostile.db"), config, {});
  await waitFor(
    "the hostile catalog",
    async () => (await fetch(`${url}/api/catalog/entities/by-name/template/default/hostile-template`)).status === 200,
  );
  return url;
}

// A guest-mode portal over fixtures/reliability whose Prometheus is testkit's prometheus-fixture,
// once its loop has synced every SLO's buckets.
async function startReliability(dir: string, children: ChildProcess[]): Promise<string> {
  const fixture = spawn(prometheusFixtureBin, [], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(fixture);
  const prometheus = await readyLine(fixture, prometheusFixtureBin, /listening on (http:\/\/\S+)/);
  const config = join(dir, "reliability.yaml");
  writeFileSync(
    config,
    [
      "app:",
      "  title: Cairn (reliability)",
      "catalog:",
      "  locations:",
      "    - type: file",
      `      target: ${resolve("fixtures/reliability/catalog-info.yaml")}`,
      "prometheus:",
      `  url: ${prometheus}`,
      "  privateNetwork: true",
      "",
    ].join("\n"),
  );
  const url = await startCairn(children, "127.0.0.1:0", join(dir, "reliability.db"), config, {});
  await waitFor("the SLOs synced from Prometheus", async () => {
    const items = (await (await fetch(`${url}/api/slo`)).json()).items as { syncedTo: number | null }[];
    return items.length === 2 && items.every((i) => i.syncedTo !== null);
  });
  return url;
}

// Starts cairn and returns its URL once it answers ready.
async function startCairn(
  children: ChildProcess[],
  bind: string,
  database: string,
  config: string,
  env: Record<string, string>,
): Promise<string> {
  const server = spawn(bin, ["serve", "--bind", bind, "--database-url", database, "--site-root", site], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env, CAIRN_CONFIG: config, CAIRN_LOG: process.env.CAIRN_LOG ?? "warn" },
  });
  children.push(server);
  const url = await readyLine(server, bin, /running at (http:\/\/\S+)/);
  const ready = await fetch(`${url}/readyz`);
  if (ready.status !== 200) throw new Error(`${url}/readyz answered ${ready.status}`);
  return url;
}

// The first match of `pattern` on the child's stdout (its group 1), within 30 s.
function readyLine(child: ChildProcess, name: string, pattern: RegExp): Promise<string> {
  return new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within 30 s`)), 30_000);
    child.once("exit", (code) => fail(new Error(`${name} exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = line.match(pattern);
      if (match) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
  });
}

// Entities read from the demo catalog's file location, from the public /metrics (0 until read).
async function locationEntities(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith("cairn_catalog_location_entities{") && l.includes("demo/northwind/catalog-info.yaml"));
  return Number(line?.split(" ").pop() ?? 0);
}

async function waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} was not loaded within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A port nobody listens on now (the portal must know its own URL before it starts).
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((done) => child.once("exit", done));
}
