#!/usr/bin/env bash
# Visits benchmarks (numbers, not tests; README "Benchmarks"):
#   1. generating the Mid-Autumn 2025 campaign of Zhangdian for a register of FAMILIES (default 100,000);
#   2. the care dashboard of that district (GET /api/v1/visits/dashboard?year=2025) under wrk, 4
#      connections, only successful answers counted (a run with any other answer fails).
set -euo pipefail
cd "$(dirname "$0")/.."
FAMILIES=${1:-100000}
SECONDS_EACH=${BENCH_SECONDS:-20}
bash deploy/services.sh
. deploy/bench/autovacuum.sh
autovacuum_as_in_production
trap restore_autovacuum EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p nuanxin --bin nuanxin --bin nuanxin-bench
BIN=${CARGO_TARGET_DIR:-target}/release
DB=postgres://postgres@127.0.0.1:5432/nuanxin_bench_visits
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS nuanxin_bench_visits WITH (FORCE)"
echo "== campaign ($FAMILIES families)"
DATABASE_URL=$DB RUST_LOG=warn "$BIN/nuanxin-bench" visits "$FAMILIES"

PORT=${BENCH_PORT:-18150}
DATABASE_URL=$DB NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW=1000 RUST_LOG=warn \
  "$BIN/nuanxin" serve --bind 127.0.0.1:$PORT >/tmp/nuanxin-bench-visits.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; restore_autovacuum' EXIT
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf http://127.0.0.1:$PORT/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"tenant":"zhangdian","username":"admin","password":"nuanxin-demo-2026"}' \
  | python3 -c "import sys, json; print(json.load(sys.stdin)['token'])")
URL="/api/v1/visits/dashboard?year=2025"
curl -sf "http://127.0.0.1:$PORT$URL" -H "Authorization: Bearer $TOKEN" \
  | python3 -c "import sys, json; d = json.load(sys.stdin); print('dashboard:', d['total'])"
echo "== dashboard under wrk (${SECONDS_EACH} s, 4 connections)"
wrk -t2 -c4 -d5s -s deploy/bench/get_path.lua "http://127.0.0.1:$PORT" -- "$TOKEN" "$URL" >/dev/null
wrk -t2 -c4 -d"${SECONDS_EACH}s" --latency -s deploy/bench/get_path.lua "http://127.0.0.1:$PORT" -- "$TOKEN" "$URL" \
  | tee /tmp/nuanxin-wrk-visits.txt
if grep -q "Non-2xx" /tmp/nuanxin-wrk-visits.txt || ! grep -q "not successful: 0$" /tmp/nuanxin-wrk-visits.txt; then
  echo "!! answers that were not successful: this run does not count" >&2
  exit 1
fi
