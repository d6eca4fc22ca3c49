#!/usr/bin/env bash
# Benchmarks on this machine (numbers, not tests; see README "Benchmarks"):
#   1. registry: import a 10,000-row xlsx, fill the register to FAMILIES (default 100,000), time the list filters;
#   2. an authenticated GET /api/v1/families/{id} under wrk: one family again and again, and random
#      families of a platform of 100 districts × 2,000 families (each read by its own district's
#      administrator), as served and with every read from the database; and `pgbench -S -M prepared`
#      against the same PostgreSQL at the same concurrency (4 clients), one after the other in this run.
#      Only successful answers count: the wrk script prints them, and any other answer, separately; a run
#      with a "Non-2xx" line is reported as failed.
# BENCH_ONLY=platform runs only the platform's random reads and pgbench (to iterate on the read path).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/bench/daily-runs.sh
. deploy/bench/autovacuum.sh
FAMILIES=${1:-100000}
SECONDS_EACH=${BENCH_SECONDS:-20}
bash deploy/services.sh
autovacuum_as_in_production
trap restore_autovacuum EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p nuanxin --bin nuanxin --bin nuanxin-bench
BIN=${CARGO_TARGET_DIR:-target}/release

DB=postgres://postgres@127.0.0.1:5432/nuanxin_bench
ONLY=${BENCH_ONLY:-all}
if [ "$ONLY" = all ]; then
  echo "== registry ($FAMILIES families)"
  DATABASE_URL=$DB RUST_LOG=warn "$BIN"/nuanxin-bench registry "$FAMILIES"
fi

PORT=18099
PLATFORM_DB=postgres://postgres@127.0.0.1:5432/nuanxin_bench_platform
PLATFORM_DIR=/tmp/nuanxin-bench-platform
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
login() {
  curl -sf http://127.0.0.1:$PORT/api/v1/auth/login -H 'content-type: application/json' \
    -d "{\"tenant\":\"$1\",\"username\":\"admin\",\"password\":\"nuanxin-demo-2026\"}" | json "['token']"
}
# Checks a wrk report: any answer that was not a success fails the benchmark run.
report() {
  cat "$1"
  if grep -q "Non-2xx" "$1" || ! grep -q "not successful: 0$" "$1"; then
    echo "!! answers that were not successful: this run does not count" >&2
    FAILED=1
  fi
}
FAILED=0
serve() {
  env NUANXIN__REDIS__URL=redis://127.0.0.1:6379 NUANXIN__REDIS__NAMESPACE=bench \
    NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW=1000 RUST_LOG=warn "$@" \
    "$BIN"/nuanxin serve --bind 127.0.0.1:$PORT >/tmp/nuanxin-bench-serve.log 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true; restore_autovacuum' EXIT
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
  wait_for_daily_runs $PORT
}
stop() { kill $SERVER; wait $SERVER 2>/dev/null || true; }

# One family again and again (the hot path's best case).
measure_one() {
  serve DATABASE_URL=$DB "$@"
  TOKEN=$(login xicheng)
  ID=$(curl -sf "http://127.0.0.1:$PORT/api/v1/families?per_page=1&page=777" -H "Authorization: Bearer $TOKEN" | json "['items'][0]['id']")
  echo "$TOKEN $ID" > /tmp/nuanxin-bench-one.txt
  # Warm-up, not measured: every worker's connection pool and prepared statements, the session kept near.
  wrk -t2 -c4 -d5s -s deploy/bench/random_reads.lua "http://127.0.0.1:$PORT" -- /tmp/nuanxin-bench-one.txt >/dev/null
  wrk -t2 -c4 -d"${SECONDS_EACH}s" -s deploy/bench/random_reads.lua "http://127.0.0.1:$PORT" -- /tmp/nuanxin-bench-one.txt > /tmp/nuanxin-wrk.txt
  report /tmp/nuanxin-wrk.txt
  stop
}

# Random families of every district, each read by its own district's administrator.
measure_random() {
  serve DATABASE_URL=$PLATFORM_DB NUANXIN__APPLICATION__TENANTS_DIR=$PLATFORM_DIR/tenants "$@"
  : > $PLATFORM_DIR/reads.txt
  for slug in $(cut -d' ' -f1 $PLATFORM_DIR/families.txt | sort -u); do
    token=$(login "$slug")
    grep "^$slug " $PLATFORM_DIR/families.txt | sed "s/^$slug /$token /" >> $PLATFORM_DIR/reads.txt
  done
  wrk -t2 -c4 -d5s -s deploy/bench/random_reads.lua "http://127.0.0.1:$PORT" -- $PLATFORM_DIR/reads.txt >/dev/null
  wrk -t2 -c4 -d"${SECONDS_EACH}s" -s deploy/bench/random_reads.lua "http://127.0.0.1:$PORT" -- $PLATFORM_DIR/reads.txt > /tmp/nuanxin-wrk.txt
  report /tmp/nuanxin-wrk.txt
  stop
}

if [ "$ONLY" = all ]; then
  echo "== GET /api/v1/families/{id}, one family: wrk, 4 connections, ${SECONDS_EACH}s (the family kept near)"
  measure_one
  psql -h 127.0.0.1 -U postgres -qc CHECKPOINT postgres
  echo "== the same, every read from the database (NUANXIN__DATABASE__NEAR_FAMILIES=0)"
  measure_one NUANXIN__DATABASE__NEAR_FAMILIES=0
fi

echo "== a platform of 100 districts × 2,000 families"
DATABASE_URL=$PLATFORM_DB RUST_LOG=warn "$BIN"/nuanxin-bench platform 100 2000 $PLATFORM_DIR
psql -h 127.0.0.1 -U postgres -qc CHECKPOINT postgres
echo "== GET /api/v1/families/{id}, random families of random districts: wrk, 4 connections, ${SECONDS_EACH}s (as served)"
measure_random
psql -h 127.0.0.1 -U postgres -qc CHECKPOINT postgres
echo "== the same, every read from the database (NUANXIN__DATABASE__NEAR_FAMILIES=0)"
measure_random NUANXIN__DATABASE__NEAR_FAMILIES=0

echo "== pgbench -S -M prepared, 4 clients, ${SECONDS_EACH}s"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS nuanxin_pgbench" -qc "CREATE DATABASE nuanxin_pgbench"
pgbench -h 127.0.0.1 -U postgres -i -s 10 -q nuanxin_pgbench 2>/dev/null
pgbench -h 127.0.0.1 -U postgres -S -M prepared -c 4 -j 2 -T "$SECONDS_EACH" nuanxin_pgbench 2>/dev/null | grep -E "tps|latency"
exit $FAILED
