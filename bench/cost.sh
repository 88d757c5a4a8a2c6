#!/usr/bin/env bash
# Cost allocation (issue 17), release build, SQLite, guest mode. A steady cluster of PODS
# containers (one per pod) of SERVICES Components owned by 50 Groups, on nodes of 32 vCPU and
# 128 GiB, its history written straight into the tables as minute samples would have left it
# (cost-bench generate: daily rows for DAYS days, hourly rows for the last 31; store::generate).
# Prints:
#   - sampling: CPU time (user + system, SQLite included) and wall time to write one one-minute
#     sample of PODS containers (write_sample: claim, ids, rows added to the sample's, hour's and
#     day's rows), and the share of a core that is at one sample a minute;
#   - database growth per day (a day's daily and hourly rows) and the samples' steady size
#     (cost.retention.samples, 2 h of minute samples);
#   - p50/p95 of an entity's Cost tab (30 days), the explorer over 90 days (by team, by system),
#     and the allocation API over 30 days by owner, measured by the client over loopback.
#   bench/cost.sh                 10 000 pods, 1 000 services, 90 days, 100 requests
#   bench/cost.sh --small         1 000 pods, 100 services, 30 days, 30 requests
#   bench/cost.sh PODS SERVICES DAYS [REQUESTS]
# Run through `./x bench cost`.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }

pods=10000 services=1000 days=90 requests=100
if [ "${1:-}" = --small ]; then
  pods=1000 services=100 days=30 requests=30
elif [ $# -gt 0 ]; then
  pods=$1 services=${2:-1000} days=${3:-90} requests=${4:-100}
fi
teams=50 intervals=10

say "building (release)…"
# CAIRN_BENCH_BIN=DIR runs binaries built earlier (cairn, cost-bench) instead of building the tree.
bin=${CAIRN_BENCH_BIN:-target/release}
if [ -z "${CAIRN_BENCH_BIN:-}" ]; then
  build() { cargo build --release -p server -p cost --features cost/store --bin cairn --bin cost-bench "$@"; }
  build >/dev/null 2>&1 || build
fi
[ -d target/site ] || cargo xtask build-site --release >/dev/null 2>&1

work=$(mktemp -d)
cleanup() {
  [ -z "${cairn_pid:-}" ] || kill "$cairn_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

db="$work/cairn.db"
"$bin/cairn" migrate --database-url "$db" >/dev/null
say "generating $days days of $pods pods' history…"
generated=$("$bin/cost-bench" generate "$db" "$pods" "$services" "$teams" "$days")
say "writing $intervals one-minute samples of $pods containers…"
sampled=$("$bin/cost-bench" sample "$db" "$pods" "$intervals")
python3 bench/cost/driver.py catalog "$work/catalog.yaml" "$services" "$teams"
cat >"$work/cairn.yaml" <<YAML
catalog:
  processingInterval: { hours: 1 }
  locations:
    - type: file
      target: $work/catalog.yaml
YAML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
CAIRN_CONFIG="$work/cairn.yaml" CAIRN_LOG=warn "$bin/cairn" serve --bind "127.0.0.1:$port" \
  --database-url "$db" --site-root target/site >"$work/server.log" 2>&1 &
cairn_pid=$!
for _ in $(seq 400); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.05; done
curl -sf "$base/readyz" >/dev/null || { say "cairn did not start:"; cat "$work/server.log" >&2; exit 1; }
last=$(printf 'svc-%04d' $((services - 1)))
for _ in $(seq 1200); do
  curl -sf "$base/api/catalog/entities/by-name/component/default/$last" >/dev/null && break
  sleep 0.1
done
sleep 2 # the ingestion pass settles (relations)

echo
echo "Cost bench: $pods pods, $services services, $teams teams, $days days, $(nproc) cores, SQLite, guest mode, release build"
python3 - "$generated" "$sampled" "$pods" <<'PY'
import json, sys
g, s, pods = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
mib = lambda b: b / 1048576
print(f"history generated in {g['seconds']:.0f} s; database {mib(g['bytes']):.0f} MiB")
print(f"sampling {pods} containers, one interval: CPU {s['cpuSecondsMedian'] * 1000:.0f} ms median "
      f"(max {s['cpuSecondsMax'] * 1000:.0f} ms), wall {s['wallSecondsMedian'] * 1000:.0f} ms; "
      f"at one interval a minute: {s['cpuSecondsMedian'] / 60 * 100:.2f}% of a core (target < 2%)")
print(f"database growth per day: {mib(g['dayBytes']):.1f} MiB (a day's daily and hourly rows; hourly kept 31 days, daily 400); "
      f"samples: {mib(s['bytesPerInterval']):.2f} MiB per interval, about {mib(s['bytesPerInterval']) * 120:.0f} MiB kept (2 h)")
PY
echo
python3 bench/cost/driver.py measure "$base" "$services" "$requests"
echo
echo "server RSS after: $(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$cairn_pid/status") MiB"
