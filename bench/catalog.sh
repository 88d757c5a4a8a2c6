#!/usr/bin/env bash
# Catalog benchmarks (issue 3) on the shared generator's data: ingestion time and rate, RSS, and
# p50/p99 latency under load for by-name, by-query (kind + owner, page of 100), full-text search,
# facets (every kind, and the components'), the server-rendered entity page and catalog page
# (searched, a kind, every kind, an owner's), RSS before, after and at its peak. Prints "name: value" lines.
#   bench/catalog.sh [N ...]            default: 10000 100000 (SQLite)
#   DATABASE_URL=postgres://… bench/catalog.sh N   (the database must exist and be empty)
# Run through `./x bench catalog` so the release build and tools are in place.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
generator=../shared/bench/gen_catalog.py
[ -f "$generator" ] || { echo "missing $generator (the shared benchmark generator)" >&2; exit 2; }
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null); }

[ -n "${CAIRN_BENCH_BIN:-}" ] && [ -d target/site ] || cargo xtask build-site --release >/dev/null 2>&1
# CAIRN_BENCH_BIN=DIR runs a cairn built earlier instead of building the tree.
bin=${CAIRN_BENCH_BIN:-target/release}
[ -n "${CAIRN_BENCH_BIN:-}" ] || cargo build --release -p server >/dev/null 2>&1
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
now_ms() { date +%s%3N; }
figure() { printf '%-52s %s\n' "$1:" "$2"; }
rss_mib() { echo $(( $(awk '/VmRSS/ {print $2}' /proc/$1/status) / 1024 )); }

for n in "${sizes[@]}"; do
  data="$work/gen-$n"
  python3 "$generator" "$n" "$data" >/dev/null
  cat > "$work/cairn.yaml" <<YAML
catalog:
  allowedLocationTypes: [file]
  processingInterval: { hours: 1 }
YAML
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  CAIRN_LOG=warn "$bin/cairn" --config "$work/cairn.yaml" serve --bind "127.0.0.1:$port" \
    --database-url "${DATABASE_URL:-$work/cairn-$n.db}" --site-root target/site >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.05; done
  curl -sf "$base/readyz" >/dev/null || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
  figure "[$n] RSS before ingestion" "$(rss_mib $pid) MiB"

  # Registration to every sampled entity queryable with all its relations.
  start=$(now_ms)
  curl -sf -X POST "$base/api/catalog/locations" -H 'content-type: application/json' \
    -d "{\"type\":\"file\",\"target\":\"$data/catalog-info.yaml\"}" >/dev/null
  python3 - "$base" "$data/manifest.json" <<'PY'
import json, sys, time, urllib.request
base, manifest = sys.argv[1], json.load(open(sys.argv[2]))
for s in manifest["sample"]:
    url = f"{base}/api/catalog/entities/by-name/{s['kind'].lower()}/default/{s['name']}"
    while True:
        try:
            e = json.load(urllib.request.urlopen(url))
            have = {f"{r['type']}|{r['targetRef']}" for r in e.get("relations", [])}
            if set(s["relations"]) <= have:
                break
        except Exception:
            pass
        time.sleep(0.05)
PY
  elapsed=$(( $(now_ms) - start ))
  total=$(curl -sf "$base/api/catalog/entities/by-query?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalItems"])')
  figure "[$n] registration to all queryable with relations" "$elapsed ms ($total entities)"
  figure "[$n] ingestion rate" "$(( n * 1000 / elapsed )) entities/s"
  figure "[$n] RSS after ingestion" "$(rss_mib $pid) MiB"

  load() { # name, names file, path template
    local out
    out=$(CAIRN_NAMES="$2" CAIRN_PATH="$3" wrk -t2 -c8 -d10s --latency -s bench/rotate.lua "$base" 2>&1)
    local p50 p99 rps
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    local errors
    errors=$(echo "$out" | awk '/Non-2xx/ {print $4}')
    figure "[$n] $1 p50 / p99 / throughput" "$p50 / $p99 / $rps req/s${errors:+ ($errors non-2xx)}"
  }
  load "by-name" "$data/names-component.txt" "/api/catalog/entities/by-name/component/default/%s"
  load "by-query kind+owner, page of 100" "$data/names-owner.txt" "/api/catalog/entities/by-query?filter=kind=component,relations.ownedBy=group:default/%s&limit=100"
  load "full-text search" "$data/terms.txt" "/api/catalog/entities/by-query?fullTextFilterTerm=%s&limit=20"
  printf '%s\n' kind spec.type spec.lifecycle spec.owner metadata.tags relations.ownedBy metadata.namespace > "$work/facets.txt"
  load "facets, one field" "$work/facets.txt" "/api/catalog/entity-facets?facet=%s"
  load "facets of components, one field" "$work/facets.txt" "/api/catalog/entity-facets?filter=kind=component&facet=%s"
  load "SSR entity page" "$data/names-component.txt" "/catalog/default/component/%s"
  load "SSR catalog page, searched" "$data/terms.txt" "/catalog?kind=component&q=%s"
  load "SSR catalog page, components" "$work/facets.txt" "/catalog?kind=component"
  load "SSR catalog page, every kind" "$work/facets.txt" "/catalog"
  load "SSR catalog page, components by an owner" "$data/names-owner.txt" "/catalog?kind=component&owner=group:default/%s"
  figure "[$n] RSS after load" "$(rss_mib $pid) MiB"
  figure "[$n] RSS peak" "$(( $(awk '/VmHWM/ {print $2}' /proc/$pid/status) / 1024 )) MiB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
