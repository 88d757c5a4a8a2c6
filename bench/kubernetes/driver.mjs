// The browser and load side of bench/kubernetes.sh (see there): waits for the watches to settle,
// samples the server's memory and CPU, changes pods through the kube-api servers, and measures a
// live entity page in Debian's Chromium through playwright-core.
//   node bench/kubernetes/driver.mjs BASE CAIRN_PID BASELINE_RSS_MIB STARTED_MS KUBE_A KUBE_B KUBE_C
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(resolve("end2end/package.json"));
const { chromium } = require("playwright-core");
const [base, pid, baselineRss, startedMs, ...clusters] = process.argv.slice(2);
const TICKS = 100; // USER_HZ on Linux
const ENTITY_PAGE = `${base}/catalog/default/component/synthetic-0/deployments`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMib = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const cpuTicks = () => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
};
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const stats = (values) => {
  const s = [...values].sort((x, y) => x - y);
  return `p50 ${pct(s, 50).toFixed(1)} ms, p95 ${pct(s, 95).toFixed(1)} ms, p99 ${pct(s, 99).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (n=${s.length})`;
};
const figure = (name, value) => console.log(`${name.padEnd(58)} ${value}`);

// 1. Every workload listed and mapped.
let overview;
for (;;) {
  const response = await fetch(`${base}/api/kubernetes/workloads`);
  if (response.ok) {
    overview = await response.json();
    const pods = overview.workloads.reduce((n, w) => n + w.replicas.ready, 0);
    if (overview.workloads.length === 64 && pods === 10_000 && overview.workloads.every((w) => w.entity)) break;
  }
  await sleep(50);
}
const settledMs = Date.now() - Number(startedMs);
figure("clusters / workloads / pods watched", `3 / ${overview.workloads.length} / 10000`);
figure("start to every workload listed and mapped", `${(settledMs / 1000).toFixed(2)} s`);
await sleep(3000);
figure("server memory (RSS), watching 10 000 pods", `${rssMib().toFixed(0)} MiB (no cluster: ${baselineRss} MiB)`);

const cpuOver = async (seconds, during) => {
  const before = cpuTicks();
  const t0 = Date.now();
  await Promise.all([sleep(seconds * 1000), during?.(seconds)]);
  return ((cpuTicks() - before) / TICKS / ((Date.now() - t0) / 1000)) * 100;
};
figure("server CPU while idle (10 s)", `${(await cpuOver(10)).toFixed(1)} % of one core`);

// Every pod of every cluster, to change through the control endpoints.
const pods = [];
for (const url of clusters) {
  const list = await (await fetch(`${url}/api/v1/pods`)).json();
  // A list's items name no apiVersion and kind; an applied object must.
  for (const pod of list.items) pods.push({ url, pod: { apiVersion: "v1", kind: "Pod", ...pod } });
}
const apply = async ({ url, pod }) => {
  const response = await fetch(`${url}/_testkit/apply`, { method: "POST", body: JSON.stringify(pod), headers: { "content-type": "application/json" } });
  if (!response.ok) throw new Error(`apply: ${response.status} ${await response.text()}`);
};
const bump = (entry, restarts) => {
  entry.pod.status.containerStatuses[0].restartCount = restarts;
  return apply(entry);
};

const churn = async (seconds) => {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    const tick = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => {
      const entry = pods[Math.floor(Math.random() * pods.length)];
      return bump(entry, entry.pod.status.containerStatuses[0].restartCount + 1);
    }));
    n += 10;
    await sleep(Math.max(0, 100 - (Date.now() - tick)));
  }
  churned = n;
};
let churned = 0;
const busy = await cpuOver(20, churn);
figure("server CPU with pods changing (20 s)", `${busy.toFixed(1)} % of one core at ${(churned / 20).toFixed(0)} changes/s`);
figure("server memory (RSS) after the changes", `${rssMib().toFixed(0)} MiB`);

// 2. The entity page with 1 000 pods: the server's HTML.
const ssr = [];
let bytes = 0;
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  const html = await (await fetch(ENTITY_PAGE)).text();
  ssr.push(performance.now() - t0);
  bytes = html.length;
  if (!html.includes("synthetic-0-")) throw new Error("the page does not list the pods");
}
figure("entity page with 1 000 pods, server HTML", `${stats(ssr)}, ${(bytes / 1024).toFixed(0)} KiB`);

// 3. The browser: load, hydration, the live stream.
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage();
await page.addInitScript(() => {
  window.__updates = [];
  window.__longTasks = [];
  new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: "longtask", buffered: true });
  const Native = window.EventSource;
  window.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("update", (e) => {
        const at = Date.now();
        const update = JSON.parse(e.data);
        if (update.type === "pod") window.__updates.push({ at, name: update.pod.name, restarts: update.pod.restarts });
        if (update.type === "snapshot") window.__snapshotAt = at;
      });
    }
  };
});
const navStart = Date.now();
await page.goto(ENTITY_PAGE, { waitUntil: "load" });
const loadMs = Date.now() - navStart;
await page.waitForSelector('[data-testid=live][data-state=live]', { timeout: 60_000 });
const liveMs = Date.now() - navStart;
const rows = await page.locator("tr[data-testid=pod]").count();
const timing = await page.evaluate(() => {
  const n = performance.getEntriesByType("navigation")[0];
  return { html: n.responseEnd, dcl: n.domContentLoadedEventEnd, snapshot: window.__snapshotAt };
});
figure("entity page with 1 000 pods in Chromium", `HTML ${timing.html.toFixed(0)} ms, DOM ready ${timing.dcl.toFixed(0)} ms, load ${loadMs} ms, hydrated and live ${liveMs} ms, ${rows} pod rows`);

const own = pods.filter((p) => p.pod.metadata.name.startsWith("synthetic-0-")).slice(0, 200);
const sse = [];
const dom = [];
for (let k = 0; k < own.length; k++) {
  const entry = own[k];
  const name = entry.pod.metadata.name;
  const restarts = 100_000 + k;
  const sent = Date.now();
  await bump(entry, restarts);
  const seen = await page.waitForFunction(
    ([name, restarts]) => {
      const cell = document.querySelector(`tr[data-pod="${name}"] [data-testid=pod-restarts]`);
      return cell && cell.textContent.trim() === String(restarts) ? Date.now() : null;
    },
    [name, restarts],
    { polling: "raf", timeout: 10_000 },
  );
  dom.push((await seen.jsonValue()) - sent);
  const arrived = await page.evaluate(([name, restarts]) => window.__updates.find((u) => u.name === name && u.restarts === restarts)?.at, [name, restarts]);
  if (arrived) sse.push(arrived - sent);
  await sleep(20);
}
figure("watch event to SSE message in the browser", stats(sse));
figure("watch event to the pod's row updated on screen", stats(dom));
const longTasks = await page.evaluate(() => window.__longTasks);
figure("long tasks (>50 ms) on the page, load included", `${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`);
await browser.close();
