#!/usr/bin/env bash
# Benchmarks on this machine (numbers, not tests; see README "Benchmarks"):
#   1. registry: import a 10,000-row xlsx, fill the register to FAMILIES (default 100,000), time the list filters;
#   2. an authenticated GET /api/v1/families/{id} under wrk, as served and with every read from the
#      database, and `pgbench -S -M prepared` against the same PostgreSQL at the same concurrency
#      (4 clients), one after the other in this run.
set -euo pipefail
cd "$(dirname "$0")/.."
FAMILIES=${1:-100000}
SECONDS_EACH=${BENCH_SECONDS:-20}
bash deploy/services.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p nuanxin --bin nuanxin --bin nuanxin-bench

DB=postgres://postgres@127.0.0.1:5432/nuanxin_bench
echo "== registry ($FAMILIES families)"
DATABASE_URL=$DB RUST_LOG=warn target/release/nuanxin-bench registry "$FAMILIES"

PORT=18099
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
# Serves with the given extra settings, then measures one family read again and again under wrk.
measure_reads() {
  env DATABASE_URL=$DB NUANXIN__REDIS__URL=redis://127.0.0.1:6379 NUANXIN__REDIS__NAMESPACE=bench \
    NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW=1000 RUST_LOG=warn "$@" \
    target/release/nuanxin serve --bind 127.0.0.1:$PORT >/tmp/nuanxin-bench-serve.log 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
  TOKEN=$(curl -sf http://127.0.0.1:$PORT/api/v1/auth/login -H 'content-type: application/json' \
    -d '{"tenant":"xicheng","username":"admin","password":"nuanxin-demo-2026"}' | json "['token']")
  ID=$(curl -sf "http://127.0.0.1:$PORT/api/v1/families?per_page=1&page=777" -H "Authorization: Bearer $TOKEN" | json "['items'][0]['id']")
  URL="http://127.0.0.1:$PORT/api/v1/families/$ID"
  curl -sf -o /dev/null "$URL" -H "Authorization: Bearer $TOKEN"
  # Warm-up, not measured: every worker's connection pool and prepared statements, the session kept near.
  wrk -t2 -c4 -d5s -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null
  wrk -t2 -c4 -d"${SECONDS_EACH}s" --latency -H "Authorization: Bearer $TOKEN" "$URL"
  kill $SERVER; wait $SERVER 2>/dev/null || true
}

echo "== GET /api/v1/families/{id}: wrk, 4 connections, ${SECONDS_EACH}s (as served: the family kept near)"
measure_reads
# The first run's half a million read records reach the disk now, not as a checkpoint inside the next run.
psql -h 127.0.0.1 -U postgres -qc CHECKPOINT "$DB"
echo "== the same, every read from the database (NUANXIN__DATABASE__NEAR_FAMILIES=0)"
measure_reads NUANXIN__DATABASE__NEAR_FAMILIES=0

echo "== pgbench -S -M prepared, 4 clients, ${SECONDS_EACH}s"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS nuanxin_pgbench" -qc "CREATE DATABASE nuanxin_pgbench"
pgbench -h 127.0.0.1 -U postgres -i -s 10 -q nuanxin_pgbench 2>/dev/null
pgbench -h 127.0.0.1 -U postgres -S -M prepared -c 4 -j 2 -T "$SECONDS_EACH" nuanxin_pgbench 2>/dev/null | grep -E "tps|latency"
