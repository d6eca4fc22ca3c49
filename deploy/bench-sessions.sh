#!/usr/bin/env bash
# Sessions with Redis up and with Redis down (numbers, not tests; see README "Benchmarks"): an authenticated
# GET /api/v1/families/{id} over the demo district's families (a different family per request, from a
# wrk script), first with Redis serving sessions, then with NUANXIN__REDIS__URL pointing at a closed port
# (sessions from PostgreSQL and the node's near copies), one after the other in this run, 4 connections.
# wrk prints "Non-2xx or 3xx responses" when there are any.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${BENCH_SECONDS:-20}
TARGET=${CARGO_TARGET_DIR:-target}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p nuanxin --bin nuanxin
. deploy/bench/autovacuum.sh
autovacuum_as_in_production
trap restore_autovacuum EXIT

DB=postgres://postgres@127.0.0.1:5432/nuanxin_bench_sessions
export DATABASE_URL=$DB RUST_LOG=warn
"$TARGET/release/nuanxin" migrate >/dev/null
"$TARGET/release/nuanxin" tenant onboard xicheng --demo >/dev/null

PORT=18098
json() { python3 -c "import sys, json; d = json.load(sys.stdin); print($1)"; }
SCRIPT=$(mktemp --suffix .lua)
measure() {
  env NUANXIN__REDIS__NAMESPACE=bench-sessions NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW=1000 "$@" \
    "$TARGET/release/nuanxin" serve --bind 127.0.0.1:$PORT >/tmp/nuanxin-bench-sessions.log 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true; rm -f "$SCRIPT"; restore_autovacuum' EXIT
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
  curl -s http://127.0.0.1:$PORT/readyz; echo
  TOKEN=$(curl -sf http://127.0.0.1:$PORT/api/v1/auth/login -H 'content-type: application/json' \
    -d '{"tenant":"xicheng","username":"admin","password":"nuanxin-demo-2026"}' | json "d['token']")
  IDS=$(curl -sf "http://127.0.0.1:$PORT/api/v1/families?per_page=100" -H "Authorization: Bearer $TOKEN" \
    | json "','.join('\"' + f['id'] + '\"' for f in d['items'])")
  cat >"$SCRIPT" <<LUA
local ids = {$IDS}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/families/" .. ids[n % #ids + 1], {["Authorization"] = "Bearer $TOKEN"})
end
LUA
  echo "families: $(echo "$IDS" | tr ',' '\n' | wc -l)"
  # Warm-up, not measured: connection pools, prepared statements, the session and families kept near.
  wrk -t2 -c4 -d5s -s "$SCRIPT" "http://127.0.0.1:$PORT" >/dev/null
  wrk -t2 -c4 -d"${SECONDS_EACH}s" --latency -s "$SCRIPT" "http://127.0.0.1:$PORT"
  kill $SERVER; wait $SERVER 2>/dev/null || true
}

echo "== Redis up"
measure NUANXIN__REDIS__URL=redis://127.0.0.1:6379
echo "== Redis down (configured, nothing listening)"
measure NUANXIN__REDIS__URL=redis://127.0.0.1:1
