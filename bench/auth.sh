#!/usr/bin/env bash
# What authentication costs per request (issue 6), with the release binary and the demo catalog:
# p50 / p99 latency and throughput of GET /api/auth/me and a one-entity catalog read under load
# (wrk, 2 threads, 50 connections) with a session cookie, with a bearer token, and in guest mode
# (no authentication at all) as the baseline. Also the server process's CPU time per request
# (PostgreSQL's own work not included), and the rows it wrote to sessions, api_tokens and
# audit_events during each load (reads should write nothing, or once a minute per person or token),
# and then past that minute, during one second of the same load: how many times the session's and
# the token's "last seen" were written (once is the aim; each connection in flight may write).
# The session comes from a real sign-in at end2end/oidc/provider.mjs (its login and consent forms
# posted with curl); the token is created with that session through POST /api/auth/tokens.
#   bench/auth.sh [sqlite] [postgres]   default both; PostgreSQL at 127.0.0.1:5432 (user postgres)
#                                       in a database created and dropped here, skipped if not running
# Run through `./x bench auth`.
set -euo pipefail
cd "$(dirname "$0")/.."
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(sqlite postgres)
duration=${AUTH_BENCH_SECONDS:-10}
user=maya.okafor@northwind.example
admin_group=group:default/northwind

command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null); }
[ -d end2end/node_modules/oidc-provider ] ||
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
cargo xtask build-site --release >/dev/null 2>&1
cargo build --release -p server >/dev/null 2>&1

work=$(mktemp -d)
pg_db=cairn_bench_auth_$$
pg_created=
cleanup() {
  for p in ${cairn_pid:-} ${provider_pid:-}; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "$pg_created" ] || psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
say() { printf '%s\n' "$*" >&2; }

# The provider redirects back to one fixed portal address, so every signed-in server binds it.
port=$(free_port)
base="http://127.0.0.1:$port"
secret=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
CAIRN_URL=$base OIDC_CLIENT_SECRET=$secret node end2end/oidc/provider.mjs 0 >"$work/provider.log" 2>&1 &
provider_pid=$!
for _ in $(seq 200); do grep -q 'running at' "$work/provider.log" && break; sleep 0.05; done
issuer=$(sed -n 's/.*oidc provider running at \(http[^ ]*\).*/\1/p' "$work/provider.log")
[ -n "$issuer" ] || { say "the OIDC provider did not start:"; cat "$work/provider.log" >&2; exit 1; }

cat > "$work/guest.yaml" <<YAML
catalog:
  processingInterval: { hours: 1 }
  locations:
    - type: file
      target: $PWD/catalog/demo/northwind/catalog-info.yaml
YAML
{
  cat "$work/guest.yaml"
  cat <<YAML
app:
  baseUrl: $base
auth:
  oidc:
    issuer: $issuer
    clientId: cairn-e2e
    clientSecret: \${CAIRN_BENCH_OIDC_SECRET}
permission:
  adminGroups: [$admin_group]
YAML
} > "$work/signin.yaml"

# start_cairn CONFIG DATABASE_URL BIND: starts the portal and waits for /readyz.
start_cairn() {
  CAIRN_BENCH_OIDC_SECRET=$secret CAIRN_LOG=warn target/release/cairn --config "$1" serve --bind "$3" \
    --database-url "$2" --site-root target/site >>"$work/server.log" 2>&1 &
  cairn_pid=$!
  for _ in $(seq 400); do curl -sf "http://$3/readyz" >/dev/null && return; sleep 0.05; done
  say "the server did not start:"; cat "$work/server.log" >&2; exit 1
}
stop_cairn() { kill "$cairn_pid"; wait "$cairn_pid" 2>/dev/null || true; cairn_pid=; }

# Signs in at the provider like a browser: the portal's login redirect, the provider's login form
# (any password), its consent form, back to the portal's callback. Prints the session cookie.
sign_in() {
  local jar=$work/jar-$1 page=$work/page.html action
  rm -f "$jar"
  curl -sf -L -c "$jar" -b "$jar" -o "$page" "$base/api/auth/login?returnTo=%2F"
  for _ in 1 2 3; do
    action=$(grep -o 'action="[^"]*"' "$page" | head -1 | sed 's/^action="//; s/"$//') || true
    [ -n "$action" ] || break
    case $action in /*) action=$issuer$action ;; esac
    if grep -q 'name="login"' "$page"; then
      curl -sf -L -c "$jar" -b "$jar" -o "$page" -d prompt=login --data-urlencode "login=$user" -d password=x "$action"
    else
      curl -sf -L -c "$jar" -b "$jar" -o "$page" -d prompt=consent "$action"
    fi
  done
  awk '$6 == "cairn_session" {print $7}' "$jar"
}

# Rows written to the tables authentication may write, counted by triggers added for the bench.
count_writes_sql_sqlite="CREATE TABLE bench_writes (n INTEGER NOT NULL); INSERT INTO bench_writes VALUES (0);"
for t in sessions api_tokens audit_events; do
  for op in INSERT UPDATE DELETE; do
    count_writes_sql_sqlite+="CREATE TRIGGER bench_${t}_$op AFTER $op ON $t BEGIN UPDATE bench_writes SET n = n + 1; END;"
  done
done
count_writes_sql_postgres="CREATE TABLE bench_writes (n BIGINT NOT NULL); INSERT INTO bench_writes VALUES (0);
CREATE FUNCTION bench_count() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN UPDATE bench_writes SET n = n + 1; RETURN NULL; END \$\$;"
for t in sessions api_tokens audit_events; do
  count_writes_sql_postgres+="CREATE TRIGGER bench_count AFTER INSERT OR UPDATE OR DELETE ON $t FOR EACH ROW EXECUTE FUNCTION bench_count();"
done
sql() {
  case $backend in
    sqlite) sqlite3 -cmd '.timeout 10000' "$work/cairn.db" "$1" ;;
    postgres) psql -qAt -h 127.0.0.1 -U postgres -d "$pg_db" -c "$1" ;;
  esac
}
writes() { sql "SELECT n FROM bench_writes"; }

# The server's own CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$cairn_pid/stat"; }

# load LABEL ENDPOINT URL [wrk -H args...]: one row of the table (after a 1 s warm-up).
rows=()
load() {
  local label=$1 endpoint=$2 url=$3 out writes_before cpu_before p50 p99 rps requests bad cpu_us
  shift 3
  wrk -t2 -c50 -d1s "$@" "$url" >/dev/null
  writes_before=$(writes)
  cpu_before=$(cpu_ticks)
  out=$(wrk -t2 -c50 -d"${duration}s" --latency "$@" "$url")
  cpu_us=$(( ($(cpu_ticks) - cpu_before) * 1000000 / $(getconf CLK_TCK) ))
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  [ -z "$bad" ] || { say "$label $endpoint: $bad responses were not 2xx"; exit 1; }
  rows+=("$backend|$endpoint|$label|$p50|$p99|$rps|$((cpu_us / requests))|$(($(writes) - writes_before))")
}

# minute_mark LABEL [wrk -H args...]: rows written during 1 s of load on /api/auth/me.
marks=()
minute_mark() {
  local label=$1 before
  shift
  before=$(writes)
  wrk -t2 -c50 -d1s "$@" "$base$me" >/dev/null
  marks+=("$backend $label: $(($(writes) - before))")
}

me=/api/auth/me
catalog='/api/catalog/entities?limit=1'
for backend in "${backends[@]}"; do
  case $backend in
    sqlite) db_url=$work/cairn.db ;;
    postgres)
      if ! pg_isready -q -h 127.0.0.1 -p 5432; then say "PostgreSQL is not running at 127.0.0.1:5432: skipped"; continue; fi
      psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $pg_db" >/dev/null
      pg_created=1
      db_url=postgres://postgres@127.0.0.1:5432/$pg_db
      ;;
    *) say "unknown database '$backend' (use sqlite or postgres)"; exit 2 ;;
  esac
  say "[$backend] guest mode"
  bind=127.0.0.1:$(free_port)
  start_cairn "$work/guest.yaml" "$db_url" "$bind"
  triggers=count_writes_sql_$backend
  sql "${!triggers}" >/dev/null
  for _ in $(seq 400); do
    curl -sf "http://$bind/api/catalog/entities/by-name/user/default/maya-okafor" >/dev/null && break
    sleep 0.05
  done
  sleep 2 # the rest of the first ingestion pass settles
  load guest "$me" "http://$bind$me"
  load guest "$catalog" "http://$bind$catalog"
  stop_cairn

  say "[$backend] signed in: session cookie and API token"
  start_cairn "$work/signin.yaml" "$db_url" "127.0.0.1:$port"
  sleep 2 # the location is read again at start (unchanged)
  cookie=$(sign_in "$backend")
  [ -n "$cookie" ] || { say "the sign-in at $issuer gave no cairn_session cookie"; cat "$work/server.log" >&2; exit 1; }
  csrf=$(curl -sf -b "cairn_session=$cookie" "$base$me" |
    python3 -c 'import json,sys; me=json.load(sys.stdin); assert me["mode"]=="signedIn" and me["admin"], me; print(me["csrfToken"])')
  token=$(curl -sf -b "cairn_session=$cookie" -H "X-CSRF-Token: $csrf" -H 'content-type: application/json' \
    -d '{"name":"auth bench","scopes":["catalog:read"]}' "$base/api/auth/tokens" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  # Its first use records last_used_at (then at most once a minute): before the loads.
  curl -sf -H "Authorization: Bearer $token" "$base$catalog" >/dev/null
  last_written=$(date +%s)
  load session "$me" "$base$me" -H "Cookie: cairn_session=$cookie"
  load session "$catalog" "$base$catalog" -H "Cookie: cairn_session=$cookie"
  load token "$me" "$base$me" -H "Authorization: Bearer $token"
  load token "$catalog" "$base$catalog" -H "Authorization: Bearer $token"
  wait_s=$((last_written + 61 - $(date +%s)))
  [ "$wait_s" -le 0 ] || sleep "$wait_s"
  minute_mark session -H "Cookie: cairn_session=$cookie"
  minute_mark token -H "Authorization: Bearer $token"
  stop_cairn
  if [ "$backend" = postgres ]; then
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE $pg_db" >/dev/null
    pg_created=
  fi
done

printf '%s\n' "${rows[@]}" | python3 bench/auth/table.py
echo
echo "rows written in 1 s of load (wrk -c50) on $me once a minute has passed, 1 is the aim:"
printf '  %s\n' "${marks[@]}"
