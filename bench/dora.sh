#!/usr/bin/env bash
# Delivery metrics (DORA, issue 16), release build, SQLite, guest mode. Generated history: a catalog
# of SERVICES Components (no repository annotation, so lead time answers `unknown` without Git:
# Git fetching is left out) owned by 50 Groups (team-00 owns a fifth of them, the others share the
# rest), and DEPLOYMENTS production deployments spread over the year before now (5% failed, an
# incident linked to every fourth failure), all loaded through the API (POST /api/dora/deployments
# and POST /api/incidents, several clients in parallel). Prints a table:
#   - one entity over 90 days by week (GET /api/dora/metrics?entity=…), p50/p95 over REQUESTS;
#   - a group over a year (?group=…): team-00 (the big one) and an ordinary team; and the
#     organisation over a year (neither entity nor group);
#   - the pages (server-rendered HTML, 90 days): one entity's Delivery tab, two team views (an
#     ordinary team, team-00) and the organisation's /delivery;
#   - a reported deployment (POST /api/dora/deployments) until /api/dora/metrics counts it (the API
#     path), and a rollout completing in a simulated cluster (testkit's kube-api, one Deployment of
#     a catalog service) until the metrics count it (watch → rollout history → metrics);
#   - an incident (POST /api/incidents, linked to that deployment) until its suspects show it
#     linked, and until the metrics count the deployment failed.
# Latencies are measured by the client over loopback (keep-alive), one request at a time.
#   bench/dora.sh                          1 000 services, 200 000 deployments, 200 requests
#   bench/dora.sh --small                  100 services, 10 000 deployments, 60 requests
#   bench/dora.sh SERVICES DEPLOYMENTS [REQUESTS]
# Run through `./x bench dora`.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }

services=1000 deployments=200000 requests=200
if [ "${1:-}" = --small ]; then
  services=100 deployments=10000 requests=60
elif [ $# -gt 0 ]; then
  services=$1 deployments=${2:-$((services * 200))} requests=${3:-200}
fi
groups=50
workers=${DORA_BENCH_WORKERS:-4}

say "building (release)…"
# CAIRN_BENCH_BIN=DIR runs binaries built earlier (cairn, kube-api) instead of building the tree.
bin=${CAIRN_BENCH_BIN:-target/release}
if [ -z "${CAIRN_BENCH_BIN:-}" ]; then
  cargo build --release -p server -p testkit --bin cairn --bin kube-api >/dev/null 2>&1 ||
    cargo build --release -p server -p testkit --bin cairn --bin kube-api
fi
[ -d target/site ] || cargo xtask build-site --release >/dev/null 2>&1

work=$(mktemp -d)
cleanup() {
  [ -z "${cairn_pid:-}" ] || kill "$cairn_pid" 2>/dev/null || true
  [ -z "${kube_pid:-}" ] || kill "$kube_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 bench/dora/driver.py catalog "$work/catalog.yaml" "$services" "$groups"
# A simulated cluster with one Deployment (synthetic-0, a service of the catalog) to roll out.
"$bin/kube-api" --synthetic 1x2 --namespace bench-dora --wall-clock >"$work/kube.log" 2>&1 &
kube_pid=$!
for _ in $(seq 400); do grep -q 'listening on' "$work/kube.log" && break; sleep 0.05; done
kube=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/kube.log" | head -1)
[ -n "$kube" ] || { say "kube-api did not start:"; cat "$work/kube.log" >&2; exit 1; }
cat >"$work/cairn.yaml" <<YAML
catalog:
  processingInterval: { hours: 1 }
  locations:
    - type: file
      target: $work/catalog.yaml
kubernetes:
  clusterLocatorMethods:
    - type: config
      clusters:
        - { name: bench, url: "$kube" }
YAML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
CAIRN_CONFIG="$work/cairn.yaml" CAIRN_LOG=warn "$bin/cairn" serve --bind "127.0.0.1:$port" \
  --database-url "$work/cairn.db" --site-root target/site >"$work/server.log" 2>&1 &
cairn_pid=$!
for _ in $(seq 400); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.05; done
curl -sf "$base/readyz" >/dev/null || { say "cairn did not start:"; cat "$work/server.log" >&2; exit 1; }
last=$(printf 'svc-%04d' $((services - 1)))
for _ in $(seq 1200); do
  curl -sf "$base/api/catalog/entities/by-name/component/default/$last" >/dev/null &&
    curl -sf "$base/api/catalog/entities/by-name/group/default/team-$(printf %02d $((groups - 1)))" >/dev/null && break
  sleep 0.1
done
sleep 2 # the ingestion pass settles (relations)

now_ms=$(date +%s%3N)
say "loading $deployments deployments of $services services through the API ($workers clients)…"
loaded=$(python3 bench/dora/driver.py load "$base" "$services" "$deployments" "$workers" "$now_ms")
db_mib=$(du -cm "$work"/cairn.db* | awk 'END {print $1}')
rss_mib=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$cairn_pid/status")

others=$(ps -eo pcpu=,comm= | awk -v me="$cairn_pid" '$1 > 20 && $2 !~ /^(cairn|python3|ps|awk)$/ {print $2}' | sort -u | tr '\n' ' ')
echo
echo "DORA bench: $services services, $groups groups, $(nproc) cores, SQLite, guest mode, release build"
python3 - "$loaded" "$db_mib" "$rss_mib" <<'PY'
import json, sys
l = json.loads(sys.argv[1])
print(f"loaded through the API: {l['deployments']} deployments + {l['incidents']} incidents in {l['seconds']:.0f} s "
      f"({(l['deployments'] + l['incidents']) / l['seconds']:.0f} requests/s); database {sys.argv[2]} MiB, server RSS {sys.argv[3]} MiB")
PY
[ -z "$others" ] || echo "other busy processes while loading (figures noisy): $others"
echo
python3 bench/dora/driver.py measure "$base" "$services" "$groups" "$now_ms" "$requests" "$kube"
echo
echo "server RSS after: $(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$cairn_pid/status") MiB"
