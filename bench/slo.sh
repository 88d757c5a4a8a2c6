#!/usr/bin/env bash
# SLOs and error budgets (issue 18), release build, SQLite, guest mode. A catalog of COMPONENTS
# Components with two OpenSLO SLOs each (99.9% and 99% over 30 rolling days; 500 SLOs by default)
# over SERIES services' request counters in Debian's Prometheus: DAYS of history every 5 minutes
# backfilled by `promtool tsdb create-blocks-from openmetrics`, and a live scrape target whose
# counters keep growing. Cairn syncs every SLO's 5-minute buckets (the first sync reaches back the
# whole window), then the script prints:
#   - the Reliability tab (server-rendered HTML of an entity with 2 SLOs) p50/p95/p99, target p95 < 100 ms;
#   - the deploy gate (GET /api/slo/gate) p50/p95/p99, target p99 < 10 ms;
#   - a team's tab, GET /api/slo and /reliability (every SLO);
#   - while keeping the buckets current for MINUTES (slo.syncInterval: 5 min): PromQL queries per
#     minute (Prometheus' own request count) and Cairn's CPU (utime + stime from /proc), target < 5%
#     of a core.
# Latencies are measured by the client over loopback (keep-alive), one request at a time.
#   bench/slo.sh                                    250 components (500 SLOs), 50 series, 30 days, 6 min
#   bench/slo.sh --small                            25 components (50 SLOs), 10 series, 30 days, 1 min
#   bench/slo.sh COMPONENTS SERIES DAYS MINUTES [REQUESTS]
# Run through `./x bench slo`. CAIRN_BENCH_BIN=DIR runs a cairn built earlier.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }

components=250 series=50 days=30 minutes=6 requests=200
if [ "${1:-}" = --small ]; then
  components=25 series=10 days=30 minutes=1 requests=50
elif [ $# -gt 0 ]; then
  components=$1 series=${2:-50} days=${3:-30} minutes=${4:-6} requests=${5:-200}
fi
slos=$((components * 2))
command -v promtool >/dev/null && command -v prometheus >/dev/null ||
  { say "promtool and prometheus are missing: ./x setup installs Debian's prometheus package"; exit 1; }

bin=${CAIRN_BENCH_BIN:-target/release}
if [ -z "${CAIRN_BENCH_BIN:-}" ]; then
  say "building (release)…"
  cargo build --release -p server --bin cairn >/dev/null 2>&1 || cargo build --release -p server --bin cairn
fi
[ -d target/site ] || cargo xtask build-site --release >/dev/null 2>&1

work=$(mktemp -d)
cleanup() {
  for pid in ${cairn_pid:-} ${prom_pid:-} ${live_pid:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# History up to 30 minutes ago (the backfill's newest block stays clear of the live head).
end=$(( $(date +%s) / 300 * 300 - 1800 ))
say "writing $days days of history for $series series and $slos SLOs…"
python3 bench/slo/driver.py files "$work" "$components" "$series" "$days" "$end"
t=$(date +%s)
promtool tsdb create-blocks-from openmetrics --quiet "$work/history.om" "$work/data" >/dev/null
say "promtool backfill: $(( $(date +%s) - t )) s"
rm "$work/history.om"

live_port=$(free_port)
python3 bench/slo/driver.py live "$live_port" "$series" &
live_pid=$!
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global: { scrape_interval: 15s }
scrape_configs:
  - job_name: self
    static_configs: [{ targets: ['127.0.0.1:$prom_port'] }]
  - job_name: bench
    static_configs: [{ targets: ['127.0.0.1:$live_port'] }]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" --storage.tsdb.retention.time=100y \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
prom="http://127.0.0.1:$prom_port"
for _ in $(seq 600); do curl -sf "$prom/-/ready" >/dev/null && break; sleep 0.1; done
curl -sf "$prom/-/ready" >/dev/null || { say "prometheus did not start:"; tail "$work/prometheus.log" >&2; exit 1; }

cat >"$work/cairn.yaml" <<YAML
catalog:
  processingInterval: { hours: 1 }
  locations:
    - type: file
      target: $work/catalog.yaml
prometheus:
  url: $prom
  privateNetwork: true
YAML
port=$(free_port)
base="http://127.0.0.1:$port"
CAIRN_CONFIG="$work/cairn.yaml" CAIRN_LOG=warn "$bin/cairn" serve --bind "127.0.0.1:$port" \
  --database-url "$work/cairn.db" --site-root target/site >"$work/server.log" 2>&1 &
cairn_pid=$!
for _ in $(seq 400); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.05; done
curl -sf "$base/readyz" >/dev/null || { say "cairn did not start:"; cat "$work/server.log" >&2; exit 1; }

say "waiting for Cairn's first sync of $slos SLOs ($days days each)…"
cpu0=$(awk '{print $14 + $15}' "/proc/$cairn_pid/stat")
first=$(python3 bench/slo/driver.py wait "$base" "$slos" 3600)
cpu1=$(awk '{print $14 + $15}' "/proc/$cairn_pid/stat")
db_mib=$(du -cm "$work"/cairn.db* | awk 'END {print $1}')
rss_mib=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$cairn_pid/status")

echo
echo "SLO bench: $slos SLOs ($components components) over $series series, $days days every 5 min, $(nproc) cores, SQLite, guest mode, release build"
echo "first sync of every SLO (30 days of 5-minute buckets each): ${first} s, Cairn CPU $(( (cpu1 - cpu0) / 100 )) s; database $db_mib MiB, server RSS $rss_mib MiB"
others=$(ps -eo pcpu=,comm= | awk '$1 > 20 && $2 !~ /^(cairn|python3|ps|awk|prometheus)$/ {print $2}' | sort -u | tr '\n' ' ')
[ -z "$others" ] || echo "other busy processes (figures noisy): $others"
echo
python3 bench/slo/driver.py measure "$base" "$prom" "$cairn_pid" "$requests" "$minutes"
echo
echo "server RSS after: $(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$cairn_pid/status") MiB"
