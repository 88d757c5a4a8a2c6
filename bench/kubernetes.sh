#!/usr/bin/env bash
# Watching Kubernetes (issue 7), release build, three local Kubernetes API servers (testkit's
# kube-api) holding 10 000 pods in all: cluster a 4 Deployments × 1 000 pods, clusters b and c 30 ×
# 100 each, spread over 4, 10 and 10 namespaces. The catalog holds a Component for each of the 64 Deployments. Prints:
#   - how long until every workload is on /api/kubernetes/workloads, and the server's memory (RSS)
#     then, against the same server watching no cluster;
#   - the server's CPU while idle, and while pods change (100 changes a second, all clusters);
#   - from a watch event to the browser: a pod's restart count is changed through the API server,
#     and the open entity page (synthetic-0: 1 000 pods, live) sees the SSE message and shows the
#     number in its row (p50 / p95 / p99 / max over 200 changes), plus the page's long tasks;
#   - rendering the entity page with 1 000 pods: the server's HTML (p50 of 20) and the browser's
#     load, hydration and first live snapshot.
#   bench/kubernetes.sh          Run through `./x bench kubernetes`.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }

[ -d end2end/node_modules/playwright-core ] ||
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
say "building (release)…"
cargo xtask build-site --release >/dev/null 2>&1
cargo build --release -p server -p testkit --bin cairn --bin kube-api >/dev/null 2>&1

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}" $(cat "$work"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# kube-api NAME SYNTHETIC OFFSET NAMESPACES: starts one cluster's API server, prints its URL.
kube_api() {
  target/release/kube-api --synthetic "$2" --offset "$3" --namespace "bench-$1" --namespaces "$4" >"$work/kube-$1.log" 2>&1 &
  # Runs in a command substitution (a subshell): its pid reaches the cleanup through a file.
  echo $! >"$work/kube-$1.pid"
  for _ in $(seq 400); do grep -q 'listening on' "$work/kube-$1.log" && break; sleep 0.05; done
  sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/kube-$1.log" | head -1
}
a=$(kube_api a 4x1000 0 4)
b=$(kube_api b 30x100 4 10)
c=$(kube_api c 30x100 34 10)
[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] || { say "a kube-api did not start"; cat "$work"/kube-*.log >&2; exit 1; }

python3 - "$work/bench-catalog.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-bench}\nspec: {type: team, children: []}\n")
    for i in range(64):
        f.write(f"---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: synthetic-{i}}}\n"
                f"spec: {{type: service, lifecycle: production, owner: team-bench}}\n")
PY
config() {
  cat <<YAML
catalog:
  processingInterval: { hours: 1 }
  locations:
    - type: file
      target: $work/bench-catalog.yaml
YAML
  if [ "$1" = clusters ]; then
    printf 'kubernetes:\n  clusterLocatorMethods:\n    - type: config\n      clusters:\n'
    for pair in "a $a" "b $b" "c $c"; do
      set -- $pair
      printf '        - { name: %s, url: "%s" }\n' "$1" "$2"
    done
  fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_cairn NAME clusters|none: starts a server, sets $base and $cairn_pid.
start_cairn() {
  config "$2" >"$work/$1.yaml"
  local port; port=$(free_port)
  CAIRN_CONFIG="$work/$1.yaml" CAIRN_LOG=warn target/release/cairn serve --bind "127.0.0.1:$port" \
    --database-url "$work/$1.db" --site-root target/site >"$work/$1.log" 2>&1 &
  cairn_pid=$!
  pids+=($cairn_pid)
  base="http://127.0.0.1:$port"
  for _ in $(seq 400); do curl -sf "$base/readyz" >/dev/null && return; sleep 0.05; done
  say "cairn did not start:"; cat "$work/$1.log" >&2; exit 1
}
rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

start_cairn baseline none
sleep 3
baseline_rss=$(rss_mib "$cairn_pid")
kill "$cairn_pid"; wait "$cairn_pid" 2>/dev/null || true

started=$(date +%s%3N)
start_cairn watching clusters
node bench/kubernetes/driver.mjs "$base" "$cairn_pid" "$baseline_rss" "$started" "$a" "$b" "$c"
