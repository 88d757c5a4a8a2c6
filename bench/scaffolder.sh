#!/usr/bin/env bash
# The scaffolder (issue 5), with the release binary:
#   - a task from submission to its repository pushed (a local bare Git remote) and its entity
#     queryable in the catalog (20 runs, p50 and max; target under 2 s);
#   - `cairn template dry-run` of each built-in golden path (5 runs each, p50).
# Prints "name: value" lines. Run through `./x bench scaffolder`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo xtask build-site --release >/dev/null 2>&1
cargo build --release -p server >/dev/null 2>&1
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
figure() { printf '%-60s %s\n' "$1:" "$2"; }

# A small real template: fetch a skeleton, push it to a bare repository, register its catalog file.
mkdir -p "$work/template" "$work/remotes"
cp -r bench/scaffolder/template/. "$work/template/"
cat > "$work/cairn.yaml" <<YAML
catalog:
  allowedLocationTypes: [url, git, file]
  processingInterval: { hours: 1 }
  locations:
    - type: file
      target: $work/template/template.yaml
scaffolder:
  builtinTemplates: false
YAML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CAIRN_LOG=warn target/release/cairn --config "$work/cairn.yaml" serve --bind "127.0.0.1:$port" \
  --database-url "$work/cairn.db" --site-root target/site >"$work/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 200); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.05; done

python3 - "$base" "$work" <<'PY'
import json, subprocess, sys, time, urllib.request
base, work = sys.argv[1], sys.argv[2]
def figure(name, value): print(f"{name + ':':<60} {value}")
def call(path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
deadline = time.time() + 30
while call("/api/catalog/entities/by-name/template/default/bench-service")[0] != 200:
    if time.time() > deadline: sys.exit("the bench template never reached the catalog")
    time.sleep(0.1)
times = []
for i in range(20):
    name = f"bench-{i}"
    remote = f"{work}/remotes/{name}.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch", "main", remote], check=True)
    start = time.time()
    status, created = call("/api/scaffolder/v2/tasks", {"templateRef": "template:default/bench-service",
        "values": {"name": name, "owner": "group:default/platform", "remote": f"file://{remote}"}})
    assert status == 201, status
    while True:
        _, task = call(f"/api/scaffolder/v2/tasks/{created['id']}")
        if task["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.005)
    assert task["status"] == "completed", task
    assert call(f"/api/catalog/entities/by-name/component/default/{name}")[0] == 200
    times.append((time.time() - start) * 1000)
times.sort()
figure("task submitted to repository pushed and entity queryable p50 / max", f"{times[len(times)//2]:.0f} ms / {times[-1]:.0f} ms")
PY

# Dry runs of the built-in golden paths, as template authors run them (process start included).
for template in rust-service python-service node-service terraform-module; do
  values=bench/scaffolder/values/service.yaml
  file="templates/golden-paths/services/$template.yaml"
  if [ "$template" = terraform-module ]; then
    values=bench/scaffolder/values/terraform-module.yaml
    file=templates/golden-paths/terraform-module/template.yaml
  fi
  times=()
  for i in 1 2 3 4 5; do
    out="$work/dry-$template-$i"
    start=$(date +%s%N)
    target/release/cairn template dry-run "$file" --values "$values" --out "$out" >"$work/dry.log"
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  files=$(tail -n +1 "$work/dry.log" | grep -o '^[0-9]* files, [0-9]* bytes' || true)
  p50=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  figure "dry run of $template p50 ($files)" "$p50 ms"
done
