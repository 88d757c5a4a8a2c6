#!/usr/bin/env bash
# Foundation benchmarks (issue 2). Prints one "name: value" line per figure.
#   bench/foundation.sh           incremental rebuild, release sizes, cold start, throughput, RSS
#   bench/foundation.sh --clean   also a clean debug build (what `./x run` does on a fresh clone; ~15 min)
# Run through `./x bench` so the toolchain and wasm-opt are set up.
set -euo pipefail
cd "$(dirname "$0")/.."

now_ms() { date +%s%3N; }
figure() { printf '%-40s %s\n' "$1:" "$2"; }
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ "${1:-}" = --clean ]; then
  start=$(now_ms)
  CARGO_TARGET_DIR="$work/target" cargo xtask build-site --out "$work/site" >/dev/null 2>&1
  CARGO_TARGET_DIR="$work/target" cargo build -p server >/dev/null 2>&1
  figure "clean debug build (site + server)" "$(( ($(now_ms) - start) / 1000 )) s"
  rm -rf "$work/target"
fi

# Incremental: what a developer waits for after editing a page.
cargo xtask build-site >/dev/null 2>&1 && cargo build -p server >/dev/null 2>&1
touch app/src/pages/home.rs
start=$(now_ms)
cargo xtask build-site >/dev/null 2>&1 && cargo build -p server >/dev/null 2>&1
figure "incremental debug rebuild (touch a page)" "$(( $(now_ms) - start )) ms"

# Nothing changed: the floor of `./x run` before the server starts.
start=$(now_ms)
cargo xtask build-site >/dev/null 2>&1 && cargo build -p server >/dev/null 2>&1
figure "no-op rebuild" "$(( $(now_ms) - start )) ms"

# Release: sizes of what browsers download.
cargo xtask build-site --release --out "$work/site" >/dev/null 2>&1
cargo build --release -p server >/dev/null 2>&1
bundle=$(sed -n 's/.*"bundle": "\(.*\)".*/\1/p' "$work/site/manifest.json")
wasm="$work/site/pkg/${bundle}_bg.wasm"
js="$work/site/pkg/${bundle}.js"
figure "wasm (release) raw" "$(stat -c %s "$wasm") B"
figure "wasm (release) gzip -9" "$(gzip -9c "$wasm" | wc -c) B"
figure "js glue (release) gzip -9" "$(gzip -9c "$js" | wc -c) B"
figure "server binary (release)" "$(( $(stat -c %s target/release/cairn) / 1024 )) KiB"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_server() {
  target/release/cairn serve --bind "127.0.0.1:$port" --database-url "$1" --site-root "$work/site" >/dev/null 2>&1 &
  pid=$!
}
wait_ready() {
  local deadline=$(( $(now_ms) + 10000 ))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "the server did not become ready within 10 s" >&2; exit 1; }
    sleep 0.002
  done
}

# Cold start: process spawn to the first 200 from /readyz (fresh database: includes migrations).
times=()
for i in 1 2 3 4 5; do
  start=$(now_ms); start_server "$work/cold-$i.db"; wait_ready
  times+=($(( $(now_ms) - start )))
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
figure "cold start to /readyz 200 (5 runs, ms)" "$sorted(median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) ms)"

start_server "$work/bench.db"; wait_ready
curl -s -o /dev/null "http://127.0.0.1:$port/"
sleep 2
figure "RSS idle (after start and one page)" "$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) MiB"

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null); }
rps=$(wrk -t2 -c64 -d10s "http://127.0.0.1:$port/healthz" | awk '/Requests\/sec/ {print $2}')
figure "/healthz throughput (wrk -t2 -c64 10s)" "$rps req/s"
rps=$(wrk -t2 -c16 -d10s "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')
figure "home page SSR throughput (wrk -t2 -c16 10s)" "$rps req/s"
figure "RSS after load" "$(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) MiB"
