#!/usr/bin/env python3
"""The SLO bench's data and measurements (bench/slo.sh runs it).

  files DIR COMPONENTS SERIES DAYS END   catalog, SLO files (2 OpenSLO SLOs per Component) and
                                         OpenMetrics history (every 5 minutes, SERIES services)
  live PORT SERIES                       a scrape target whose counters keep growing (live data)
  wait BASE COUNT SECONDS                until COUNT SLOs are synced; prints the seconds it took
  measure BASE PROM PID REQUESTS MINUTES the figures (markdown table)
"""
import http.client, http.server, json, sys, threading, time, urllib.parse

STEP = 300


def service(i, series):
    return f"svc-{i % series:02d}"


def files(out, components, series, days, end):
    import os
    os.makedirs(f"{out}/slo", exist_ok=True)
    with open(f"{out}/catalog.yaml", "w") as f:
        for t in range(25):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: team-{t:02d}}}\n"
                    "spec: {type: team, children: []}\n")
        for c in range(components):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c-{c:03d}\n"
                    f"  annotations:\n    cairn.dev/slo-files: slo/c-{c:03d}.yaml\n"
                    f"spec: {{type: service, lifecycle: production, owner: team-{c % 25:02d}, system: sys-{c % 10}}}\n")
    for c in range(components):
        svc = service(c, series)
        with open(f"{out}/slo/c-{c:03d}.yaml", "w") as f:
            for name, target in (("availability", 99.9), ("availability-relaxed", 99.0)):
                f.write(f"""---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: {name}
  annotations:
    cairn.dev/entity: component:default/c-{c:03d}
spec:
  service: c-{c:03d}
  indicator:
    metadata: {{name: {name}-requests}}
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource: {{type: Prometheus, spec: {{query: 'bench_requests_total{{service="{svc}",code="500"}}'}}}}
        total:
          metricSource: {{type: Prometheus, spec: {{query: 'sum(bench_requests_total{{service="{svc}"}})'}}}}
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: {target}
""")
    start = end - days * 86400
    with open(f"{out}/history.om", "w") as f:
        f.write("# TYPE bench_requests counter\n")
        for s in range(series):
            svc = f"svc-{s:02d}"
            for code in ("200", "500"):
                value = 0
                t = start
                i = 0
                while t <= end:
                    f.write(f'bench_requests_total{{service="{svc}",code="{code}"}} {value} {t}\n')
                    per = 3000 + (i * 37 + s * 11) % 900
                    bad = 2 + (i + s) % 5 + (200 if (i + s * 97) % 2016 < 6 else 0)
                    value += bad if code == "500" else per - bad
                    t += STEP
                    i += 1
        f.write("# EOF\n")


def live(port, series):
    started = time.time()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            elapsed = time.time() - started
            lines = ["# TYPE bench_requests counter"]
            for s in range(series):
                total = int(elapsed * 10)
                bad = int(elapsed / 30)
                lines.append(f'bench_requests_total{{service="svc-{s:02d}",code="200"}} {total - bad}')
                lines.append(f'bench_requests_total{{service="svc-{s:02d}",code="500"}} {bad}')
            body = ("\n".join(lines) + "\n").encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


class Client:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def get(self, path):
        t = time.perf_counter()
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        ms = (time.perf_counter() - t) * 1000
        if r.status != 200:
            raise SystemExit(f"GET {path} {r.status}: {body[:300]!r}")
        return ms, body


def wait(base, count, seconds):
    c = Client(base)
    t = time.time()
    while time.time() - t < seconds:
        _, body = c.get("/api/slo")
        items = json.loads(body)["items"]
        synced = sum(1 for i in items if i.get("syncedTo"))
        if len(items) >= count and synced >= count:
            print(f"{time.time() - t:.0f}")
            return
        time.sleep(2)
    raise SystemExit(f"only {synced} of {count} SLOs synced after {seconds} s")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def row(label, values, target=""):
    print(f"| {label} | {len(values)} | {pct(values, 50):.1f} | {pct(values, 95):.1f} | {pct(values, 99):.1f} | {max(values):.1f} | {target} |",
          flush=True)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def queries(prom):
    c = Client(prom)
    q = urllib.parse.quote('sum(prometheus_http_requests_total{handler=~"/api/v1/query|/api/v1/query_range"})')
    _, body = c.get(f"/api/v1/query?query={q}")
    result = json.loads(body)["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def measure(base, prom, pid, requests, minutes):
    c = Client(base)
    print("| request | n | p50 ms | p95 ms | p99 ms | max ms | target |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for path in ("/catalog/default/component/c-000/reliability", "/api/slo/gate?entity=component:default/c-000"):
        c.get(path)  # warm
    tab = [c.get(f"/catalog/default/component/c-{i % 50:03d}/reliability")[0] for i in range(requests)]
    row("Reliability tab (2 SLOs, 30 days, HTML)", tab, "p95 < 100 ms")
    gate = [c.get(f"/api/slo/gate?entity=component:default/c-{i % 250:03d}")[0] for i in range(requests * 5)]
    row("deploy gate (GET /api/slo/gate)", gate, "p99 < 10 ms")
    team = [c.get("/catalog/default/group/team-00/reliability")[0] for _ in range(max(10, requests // 5))]
    row("a team's tab (20 SLOs)", team)
    every = [c.get("/api/slo")[0] for _ in range(max(10, requests // 5))]
    row("GET /api/slo (every SLO)", every)
    overview = [c.get("/reliability")[0] for _ in range(max(10, requests // 5))]
    row("/reliability (every SLO, HTML)", overview)
    print()
    q0, cpu0, t0 = queries(prom), cpu_seconds(pid), time.time()
    time.sleep(minutes * 60)
    q1, cpu1, t1 = queries(prom), cpu_seconds(pid), time.time()
    elapsed = t1 - t0
    _, body = c.get("/api/slo")
    items = json.loads(body)["items"]
    lag = max(time.time() - (i.get("syncedTo") or 0) for i in items)
    failed = sum(1 for i in items if i.get("syncError"))
    print(f"keeping {len(items)} SLOs current over {elapsed / 60:.1f} min (slo.syncInterval 5 min): "
          f"{(q1 - q0) / elapsed * 60:.0f} PromQL queries per minute ({q1 - q0:.0f} in all, Prometheus' own count), "
          f"Cairn's CPU {100 * (cpu1 - cpu0) / elapsed:.2f}% of a core ({cpu1 - cpu0:.1f} s; target < 5%); "
          f"oldest bucket mark {lag / 60:.1f} min behind now; {failed} sync errors")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "files":
        files(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]))
    elif cmd == "live":
        live(int(args[0]), int(args[1]))
    elif cmd == "wait":
        wait(args[0], int(args[1]), int(args[2]))
    elif cmd == "measure":
        measure(args[0], args[1], int(args[2]), int(args[3]), float(args[4]))
    else:
        raise SystemExit(__doc__)
