"""bench/dora.sh's client: writes the catalog, loads the history through the API, measures.

    driver.py catalog FILE SERVICES GROUPS
    driver.py load BASE SERVICES DEPLOYMENTS WORKERS NOW_MS
    driver.py measure BASE SERVICES GROUPS NOW_MS REQUESTS

Deterministic (seeded): the same arguments give the same history. Times are Unix milliseconds.
"""

import http.client
import json
import multiprocessing
import random
import statistics
import sys
import time
import urllib.parse
from datetime import datetime, timezone

DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS
# The big group: owns a fifth of the services; the others share the rest.
BIG_SHARE = 5


def rfc3339(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def owner_of(service, services, groups):
    """group index of a service: group 0 owns the first services/BIG_SHARE, the rest round robin."""
    big = services // BIG_SHARE
    return 0 if service < big else 1 + (service - big) % (groups - 1)


def name(service):
    return f"svc-{service:04d}"


def catalog(path, services, groups):
    with open(path, "w") as f:
        for g in range(groups):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {{name: team-{g:02d}}}\n"
                    "spec: {type: team, children: []}\n")
        # The one service of the simulated cluster (kube-api's Deployment synthetic-0).
        f.write("---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: synthetic-0}\n"
                "spec: {type: service, lifecycle: production, owner: team-00}\n")
        # No github.com/project-slug or source location: lead time answers `unknown` without Git.
        for s in range(services):
            f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name(s)}}}\n"
                    f"spec: {{type: service, lifecycle: production, owner: team-{owner_of(s, services, groups):02d}}}\n")


class Client:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def request(self, method, path, body=None):
        headers = {"content-type": "application/json"} if body is not None else {}
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(3):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt == 2:
                    raise


def history(service, per_service, now_ms):
    """One service's deployments over the year before now (ending an hour before), oldest first."""
    rnd = random.Random(service)
    start = now_ms - YEAR_MS
    times = sorted(rnd.randrange(start, now_ms - 3_600_000) for _ in range(per_service))
    out = []
    for k, t in enumerate(times):
        failed = rnd.random() < 0.05
        out.append({
            "id": f"bench-{service}-{k}",
            "entity": f"component:default/{name(service)}",
            "environment": "production",
            "version": f"1.{k}.0",
            "commit": f"{rnd.getrandbits(160):040x}",
            "startedAt": rfc3339(t - rnd.randrange(60_000, 900_000)),
            "finishedAt": rfc3339(t),
            "status": "failed" if failed else "succeeded",
        })
    return out


def load_worker(args):
    base, services, total, workers, w, now_ms = args
    client = Client(base)
    posted = incidents = 0
    for s in range(w, services, workers):
        per_service = total // services + (1 if s < total % services else 0)
        deployments = history(s, per_service, now_ms)
        for d in deployments:
            status, body = client.request("POST", "/api/dora/deployments", d)
            if status not in (200, 201):
                raise SystemExit(f"POST /api/dora/deployments {status}: {body[:300]!r}")
            posted += 1
        # An incident linked to every fourth failure (the others are failed rollouts alone).
        for k, d in enumerate(deployments):
            if d["status"] == "failed" and k % 4 == 0:
                status, body = client.request("POST", "/api/incidents", {
                    "id": f"bench-inc-{d['id']}", "entity": d["entity"], "title": "error rate high",
                    "startedAt": d["finishedAt"], "resolvedAt": rfc3339(parse_ms(d["finishedAt"]) + 1_800_000),
                    "deployment": d["id"],
                })
                if status not in (200, 201):
                    raise SystemExit(f"POST /api/incidents {status}: {body[:300]!r}")
                incidents += 1
    return posted, incidents


def parse_ms(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


def load(base, services, total, workers, now_ms):
    started = time.monotonic()
    with multiprocessing.Pool(workers) as pool:
        results = pool.map(load_worker, [(base, services, total, workers, w, now_ms) for w in range(workers)])
    elapsed = time.monotonic() - started
    posted = sum(r[0] for r in results)
    incidents = sum(r[1] for r in results)
    print(json.dumps({"deployments": posted, "incidents": incidents, "seconds": elapsed}))


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def timed(client, path):
    t = time.perf_counter()
    status, body = client.request("GET", path)
    ms = (time.perf_counter() - t) * 1000
    if status != 200:
        raise SystemExit(f"GET {path} {status}: {body[:300]!r}")
    return ms, body


def row(label, values, target=None, extra=""):
    line = f"| {label} | {len(values)} | {pct(values, 50):.1f} | {pct(values, 95):.1f} | {max(values):.1f} | {target or ''} | {extra} |"
    print(line, flush=True)


def metrics_path(scope, ref, from_ms, to_ms, interval="week"):
    params = {scope: ref} if scope else {}
    params.update({"from": rfc3339(from_ms), "to": rfc3339(to_ms), "interval": interval})
    q = urllib.parse.urlencode(params)
    return f"/api/dora/metrics?{q}"


def rollouts(client, kube, now_ms, trials):
    """A rollout completing in the simulated cluster (kube-api's roll-out scenario) until the
    metrics count it: the watch, the rollout history, then /api/dora/metrics."""
    k = Client(kube)
    status, body = k.request("GET", "/apis/apps/v1/deployments")
    namespace = json.loads(body)["items"][0]["metadata"]["namespace"]
    entity = "component:default/synthetic-0"
    counted = []
    for i in range(trials):
        window = metrics_path("entity", entity, now_ms - DAY_MS, int(time.time() * 1000) + DAY_MS)
        before = json.loads(timed(client, window)[1])["deploymentFrequency"]["deployments"]
        t0 = time.perf_counter()
        status, body = k.request("POST", "/_testkit/roll-out", {
            "namespace": namespace, "name": "synthetic-0",
            "image": f"registry.example/synthetic/synthetic-0:2.{i}.0", "outcome": "complete"})
        assert status == 200, (status, body)
        deadline = time.perf_counter() + 30
        while json.loads(timed(client, window)[1])["deploymentFrequency"]["deployments"] != before + 1:
            if time.perf_counter() > deadline:
                raise SystemExit(f"rollout {i} never counted in {window}")
            time.sleep(0.005)
        counted.append((time.perf_counter() - t0) * 1000)
    row("rollout completes in a cluster → counted in /api/dora/metrics", counted, "< 2 s",
        "kube-api roll-out, watched by Cairn, recorded in the rollout history")


def measure(base, services, groups, now_ms, requests, kube=None):
    client = Client(base)
    to = now_ms
    print("| figure | n | p50 ms | p95 ms | max ms | target | notes |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")

    # One entity over 90 days, by week: a different service each time.
    rnd = random.Random(7)
    picks = [rnd.randrange(services) for _ in range(requests)]
    timed(client, metrics_path("entity", f"component:default/{name(picks[0])}", to - 90 * DAY_MS, to))
    times, sizes, counts = [], [], []
    for s in picks:
        ms, body = timed(client, metrics_path("entity", f"component:default/{name(s)}", to - 90 * DAY_MS, to))
        times.append(ms)
        sizes.append(len(body))
        counts.append(json.loads(body)["deploymentFrequency"]["deployments"])
    row("entity, 90 days, weekly (GET /api/dora/metrics?entity=)", times, "p95 < 20 ms",
        f"{statistics.mean(counts):.0f} deployments, {statistics.mean(sizes) / 1024:.0f} KiB per answer")

    # Groups over a year: the big one, and an ordinary team.
    big = sum(1 for s in range(services) if owner_of(s, services, groups) == 0)
    team = sum(1 for s in range(services) if owner_of(s, services, groups) == 1)
    for g, owned, n in ((0, big, max(10, requests // 4)), (1, team, requests)):
        path = metrics_path("group", f"group:default/team-{g:02d}", to - 365 * DAY_MS, to)
        timed(client, path)
        times, body = [], b""
        for _ in range(n):
            ms, body = timed(client, path)
            times.append(ms)
        m = json.loads(body)
        row(f"group team-{g:02d} ({owned} services), a year, weekly", times, "p95 < 300 ms",
            f"{m['deploymentFrequency']['deployments']} deployments, {len(body) / 1024:.0f} KiB per answer"
            f"{', deployments list truncated' if m.get('deploymentsTruncated') else ''}")

    # The organisation over a year: GET /api/dora/metrics without entity or group, broken down by
    # owner. The first request judges every entity (what a replica does once after it starts, and
    # again after dora.cache.ttl); the next ones judge only entities whose data changed: none, then
    # one new deployment before each request (a busy organisation's steady state).
    path = metrics_path(None, None, to - 365 * DAY_MS, to)
    cold, _ = timed(client, path)
    times, body = [], b""
    for _ in range(max(10, requests // 4)):
        ms, body = timed(client, path)
        times.append(ms)
    m = json.loads(body)
    row("organisation, a year, weekly (no entity or group)", times, "p95 < 300 ms",
        f"{m['deploymentFrequency']['deployments']} deployments, {len(m['breakdown'])} owners, "
        f"{len(body) / 1024:.0f} KiB per answer; the first request (every entity judged): {cold:.0f} ms")
    times = []
    rnd = random.Random(11)
    for i in range(max(10, requests // 4)):
        finished = int(time.time() * 1000)
        status, answer = client.request("POST", "/api/dora/deployments", {
            "id": f"org-probe-{now_ms}-{i}", "entity": f"component:default/{name(rnd.randrange(services))}",
            "environment": "production", "version": f"8.{i}.0", "commit": f"{i:040x}",
            "startedAt": rfc3339(finished - 60_000), "finishedAt": rfc3339(finished), "status": "succeeded"})
        assert status == 201, (status, answer)
        ms, body = timed(client, metrics_path(None, None, to - 365 * DAY_MS, finished + 1))
        times.append(ms)
    row("organisation, a year, after each of a new deployment", times, "p95 < 300 ms",
        "one entity judged again per request")

    # The pages (server-rendered, 90 days by default): one entity's Delivery tab, team views, the
    # organisation's page.
    times, sizes = [], []
    timed(client, f"/catalog/default/component/{name(picks[0])}/delivery")
    for s in picks:
        ms, body = timed(client, f"/catalog/default/component/{name(s)}/delivery")
        times.append(ms)
        sizes.append(len(body))
    row("page: entity Delivery tab, 90 days (/catalog/…/component/svc/delivery)", times, "p95 < 100 ms",
        f"{statistics.mean(sizes) / 1024:.0f} KiB of HTML")
    for g, owned, n in ((1, team, requests), (0, big, max(10, requests // 4))):
        path = f"/catalog/default/group/team-{g:02d}/delivery"
        timed(client, path)
        times, body = [], b""
        for _ in range(n):
            ms, body = timed(client, path)
            times.append(ms)
        row(f"page: team view team-{g:02d} ({owned} services), 90 days", times, "p95 < 100 ms" if g else "",
            f"{len(body) / 1024:.0f} KiB of HTML")
    timed(client, "/delivery")
    times, body = [], b""
    for _ in range(max(10, requests // 4)):
        ms, body = timed(client, "/delivery")
        times.append(ms)
    row("page: organisation (/delivery), 90 days", times, "", f"{len(body) / 1024:.0f} KiB of HTML")

    # Reported deployment → counted in the metrics; incident → its suspects and the metrics.
    trials = max(10, requests // 5)
    deployed, incident_suspects, incident_metrics, post_ms = [], [], [], []
    for i in range(trials):
        entity = f"component:default/{name((i * 37) % services)}"
        window = metrics_path("entity", entity, now_ms - DAY_MS, int(time.time() * 1000) + DAY_MS)
        before = json.loads(timed(client, window)[1])["changeFailureRate"]
        t0 = time.perf_counter()
        finished = int(time.time() * 1000)
        dep_id = f"probe-{now_ms}-{i}"
        status, body = client.request("POST", "/api/dora/deployments", {
            "id": dep_id, "entity": entity, "environment": "production", "version": f"9.{i}.0",
            "commit": f"{i:040x}", "startedAt": rfc3339(finished - 60_000), "finishedAt": rfc3339(finished),
            "status": "succeeded"})
        assert status == 201, (status, body)
        post_ms.append((time.perf_counter() - t0) * 1000)
        while json.loads(timed(client, window)[1])["changeFailureRate"]["deployments"] != before["deployments"] + 1:
            pass
        deployed.append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        inc_id = f"probe-inc-{now_ms}-{i}"
        status, body = client.request("POST", "/api/incidents", {
            "id": inc_id, "entity": entity, "title": "probe", "startedAt": rfc3339(int(time.time() * 1000)),
            "deployment": dep_id})
        assert status == 201, (status, body)
        while True:
            status, body = client.request("GET", f"/api/incidents/{urllib.parse.quote('api:' + inc_id, safe='')}/suspects")
            if status == 200 and any(s["deployment"] == dep_id and s["linked"] for s in json.loads(body)["suspects"]):
                break
        incident_suspects.append((time.perf_counter() - t0) * 1000)
        while json.loads(timed(client, window)[1])["changeFailureRate"]["failed"] != before["failed"] + 1:
            pass
        incident_metrics.append((time.perf_counter() - t0) * 1000)
    if kube:
        rollouts(client, kube, now_ms, trials)
    row("POST /api/dora/deployments alone", post_ms)
    row("deployment reported → counted in /api/dora/metrics", deployed, "< 2 s",
        "API path (CI report), not a cluster rollout")
    row("POST /api/incidents → linked in GET /api/incidents/{id}/suspects", incident_suspects, "< 1 s")
    row("POST /api/incidents → deployment failed in /api/dora/metrics", incident_metrics, "< 1 s")


if __name__ == "__main__":
    cmd, *a = sys.argv[1:]
    if cmd == "catalog":
        catalog(a[0], int(a[1]), int(a[2]))
    elif cmd == "load":
        load(a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]))
    elif cmd == "measure":
        measure(a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]), a[5] if len(a) > 5 else None)
    else:
        raise SystemExit(f"unknown command {cmd}")
