#!/usr/bin/env bash
# Git locations and webhooks (issue 4), on a real repository served over file://:
#   - registration to queryable for a repository holding N entities in one commit
#     (the shared generator's data, default 100 000);
#   - a refresh of the unchanged commit (no parsing at all);
#   - a signed GitHub push webhook for a one-file change until the change is queryable
#     (20 pushes, p50 and max).
# Prints "name: value" lines. Run through `./x bench git [N]`.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
generator=../shared/bench/gen_catalog.py
[ -f "$generator" ] || { echo "missing $generator (the shared benchmark generator)" >&2; exit 2; }
cargo xtask build-site --release >/dev/null 2>&1
cargo build --release -p server >/dev/null 2>&1
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
figure() { printf '%-52s %s\n' "$1:" "$2"; }

repo="$work/acme/shop"
python3 "$generator" "$n" "$repo" >/dev/null
cat > "$repo/services.yaml" <<YAML
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: webhook-probe
  description: version 0
spec: { type: service, lifecycle: production, owner: group:default/probe }
YAML
printf -- '---\napiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: probe }\nspec: { targets: [./services.yaml] }\n' >> "$repo/catalog-info.yaml"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
git -C "$repo" init -q --initial-branch main && git -C "$repo" add -A && git -C "$repo" commit -qm "catalog"

cat > "$work/cairn.yaml" <<YAML
catalog:
  allowedLocationTypes: [git, file]
  processingInterval: { hours: 1 }
events:
  modules:
    github:
      webhookSecret: bench-secret
YAML
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CAIRN_LOG=warn target/release/cairn --config "$work/cairn.yaml" serve --bind "127.0.0.1:$port" \
  --database-url "$work/cairn.db" --site-root target/site >"$work/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 200); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.05; done

python3 - "$base" "$repo" "$n" <<'PY'
import hashlib, hmac, json, subprocess, sys, time, urllib.request
base, repo, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def figure(name, value): print(f"{name + ':':<52} {value}")
def call(path, body=None, headers={}):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, headers={"content-type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=600) as r:
        text = r.read()
        return json.loads(text) if text else None
target = f"file://{repo}?ref=main"
start = time.time()
created = call("/api/catalog/locations", {"type": "git", "target": target})
figure(f"[{n}] git repository, registration to queryable", f"{(time.time() - start) * 1000:.0f} ms ({created['entityCount']} entities)")
location = created["location"]["id"]
# An unchanged commit: the refresh finds the same commit and reads nothing.
start = time.time()
call("/api/catalog/refresh", {"entityRef": "component:default/webhook-probe"})
figure(f"[{n}] refresh of an unchanged commit", f"{(time.time() - start) * 1000:.0f} ms")
push = lambda: json.dumps({"ref": "refs/heads/main", "repository": {"full_name": "acme/shop",
    "html_url": f"file://{repo}", "clone_url": f"file://{repo}", "default_branch": "main"}}).encode()
times = []
for i in range(1, 21):
    with open(f"{repo}/services.yaml") as f:
        text = f.read()
    with open(f"{repo}/services.yaml", "w") as f:
        f.write(text.replace(f"version {i - 1}", f"version {i}"))
    subprocess.run(["git", "-C", repo, "commit", "-qam", f"v{i}"], check=True)
    body = push()
    signature = "sha256=" + hmac.new(b"bench-secret", body, hashlib.sha256).hexdigest()
    start = time.time()
    call("/api/webhooks/github", body, {"x-github-event": "push", "x-hub-signature-256": signature})
    while True:
        e = call("/api/catalog/entities/by-name/component/default/webhook-probe")
        if e["metadata"].get("description") == f"version {i}":
            break
        time.sleep(0.01)
    times.append((time.time() - start) * 1000)
times.sort()
figure(f"[{n}] webhook one-file change to queryable p50 / max", f"{times[len(times)//2]:.0f} ms / {times[-1]:.0f} ms")
PY
