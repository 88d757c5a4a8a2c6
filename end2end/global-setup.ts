// Starts `cairn serve` on a free port over a throw-away SQLite file and hands its URL to the tests
// (CAIRN_BASE_URL), with the demo organisation of cairn.dev.yaml loaded. The binary and site come
// from CAIRN_BIN / CAIRN_SITE_ROOT, set by `./x test`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

export default async function globalSetup(): Promise<() => Promise<void>> {
  const bin = resolve(process.env.CAIRN_BIN ?? "../target/debug/cairn");
  const site = resolve(process.env.CAIRN_SITE_ROOT ?? "../target/site");
  const dir = mkdtempSync(join(tmpdir(), "cairn-e2e-"));
  const server = spawn(
    bin,
    ["serve", "--bind", "127.0.0.1:0", "--database-url", join(dir, "cairn.db"), "--site-root", site],
    {
      stdio: ["ignore", "pipe", "inherit"],
      // The development configuration: the demo organisation, and file locations may be registered.
      env: { ...process.env, CAIRN_CONFIG: resolve("../cairn.dev.yaml"), CAIRN_LOG: process.env.CAIRN_LOG ?? "warn" },
    },
  );

  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${bin} did not start within 30 s`)), 30_000);
    server.once("exit", (code) => fail(new Error(`${bin} exited with ${code} before it was ready`)));
    createInterface({ input: server.stdout! }).on("line", (line) => {
      const match = line.match(/running at (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
  });
  const ready = await fetch(`${url}/readyz`);
  if (ready.status !== 200) throw new Error(`${url}/readyz answered ${ready.status}`);
  // The demo catalog is read in the background right after start: wait until it is queryable.
  const deadline = Date.now() + 30_000;
  while ((await fetch(`${url}/api/catalog/entities/by-name/component/default/checkout-service`)).status !== 200) {
    if (Date.now() > deadline) throw new Error("the demo catalog was not loaded within 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  process.env.CAIRN_BASE_URL = url;

  return async () => {
    server.kill("SIGTERM");
    await new Promise((done) => server.once("exit", done));
    rmSync(dir, { recursive: true, force: true });
  };
}
