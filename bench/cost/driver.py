#!/usr/bin/env python3
"""The cost bench's catalog and timings (bench/cost.sh).

  driver.py catalog FILE SERVICES TEAMS   the catalog the generated history belongs to: svc-NNNN
                                          Components owned by team-NN (service % TEAMS), in
                                          system sys-NN (service % 100), in domain dom-N (system % 10)
  driver.py measure BASE SERVICES REQUESTS  p50/p95 of the Cost pages and the allocation API
"""
import http.client
import sys
import time
import urllib.parse


def catalog(path, services, teams):
    with open(path, "w") as f:
        for d in range(10):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {{name: dom-{d}}}\n"
                    "spec: {owner: team-00}\n")
        for s in range(100):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {{name: sys-{s:02d}}}\n"
                    f"spec: {{owner: team-00, domain: dom-{s % 10}}}\n")
        for t in range(teams):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: team-{t:02d}}}\n"
                    "spec: {type: team, children: []}\n")
        for s in range(services):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: svc-{s:04d}}}\n"
                    f"spec: {{type: service, lifecycle: production, owner: team-{s % teams:02d}, system: sys-{s % 100:02d}}}\n")


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


class Client:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)

    def timed(self, path):
        t = time.perf_counter()
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        body = r.read()
        ms = (time.perf_counter() - t) * 1000
        if r.status != 200:
            raise SystemExit(f"GET {path} {r.status}: {body[:300]!r}")
        return ms, body


def row(label, values, target, extra=""):
    print(f"| {label} | {len(values)} | {pct(values, 50):.1f} | {pct(values, 95):.1f} | {max(values):.1f} | {target} | {extra} |",
          flush=True)


def measure(base, services, requests):
    c = Client(base)
    print("| request | n | p50 ms | p95 ms | max ms | target | |")
    print("|---|---|---|---|---|---|---|")
    # One warm-up each, then REQUESTS timed ones.
    cases = [
        ("entity Cost tab, 30 days (HTML)", lambda i: f"/catalog/default/component/svc-{(i * 37) % services:04d}/cost", "p95 < 50"),
        ("explorer by team, 90 days (HTML)", lambda i: "/cost?by=team&days=90", "p95 < 500"),
        ("explorer by system, 90 days (HTML)", lambda i: "/cost?by=system&days=90", ""),
        ("allocation API, 30d by owner", lambda i: "/api/cost/allocation?window=30d&aggregate=owner&accumulate=true", "p95 < 200"),
        ("allocation API, 7d by entity, daily", lambda i: "/api/cost/allocation?window=7d&aggregate=entity", ""),
    ]
    for label, path, target in cases:
        n = requests if "entity Cost" in label else max(10, requests // 4)
        # The first request sums the whole past days (kept afterwards: cost.cache); the rest read
        # today's rows and add the kept sums.
        first, body = c.timed(path(0))
        times, size = [], len(body)
        for i in range(n):
            ms, body = c.timed(path(i + 1))
            times.append(ms)
        row(label, times, target, f"{size / 1024:.0f} KiB; first (past days summed) {first:.0f} ms")


if __name__ == "__main__":
    if sys.argv[1] == "catalog":
        catalog(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "measure":
        measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
