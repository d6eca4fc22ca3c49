#!/usr/bin/env bash
# Data sharing benchmarks (issue 12; numbers, not tests; see README "Data sharing" and "Benchmarks"):
#   1. nuanxin-bench sharing: fill Xicheng's register to FAMILIES (default 100,000), approve a request of
#      区卫生局 over every family (filter, minimise, mask, pseudonymise, seal, write) and report the time and
#      the peak memory the approval adds; read the release in keyset pages against the register's own list;
#   2. POST /api/v1/verifications under wrk: 4 connections, random registered parents, as 区卫生局's account,
#      once the node's verification index is built (its build time, size and the node's memory printed),
#      with the rate limit raised for the run (a department's desk asks 60 a minute; wrk asks thousands).
#      Twice: as fast as the connections can ask (the machine saturated, wrk included), then with each
#      connection pausing BENCH_VERIFY_PAUSE_MS (default 5) between questions — the latency of a question
#      rather than of a queue. Only successful answers count: a run with answers that were not successful
#      is reported as failed; each run starts once the audit events of the runs before it are sealed
#      (a saturated run leaves hundreds of thousands to chain). Beside them, in the same run and for as long, `pgbench -S -M prepared -c4`
#      (one primary-key SELECT per transaction) unpaced and at the paced run's rate (`-R`): what this box's
#      PostgreSQL answers at that moment, the floor under any request that reads it. `uptime` is printed
#      beside every number. Then both runs again with the load generator and the node on separate
#      cores, as a load generator is run beside a service it measures (`taskset`: the node started on
#      CPU 1, so with one HTTP worker, wrk with one thread on CPU 0; PostgreSQL and Redis where the
#      scheduler puts them): unpinned on this 2-core box, wrk's threads and the node's preempt each other.
#   flock /work/bench.lock bash deploy/bench-sharing.sh [FAMILIES]        # BENCH_SECONDS=20 by default
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/bench/daily-runs.sh
. deploy/bench/autovacuum.sh
FAMILIES=${1:-100000}
SECONDS_EACH=${BENCH_SECONDS:-20}
TARGET=${CARGO_TARGET_DIR:-target}
bash deploy/services.sh
autovacuum_as_in_production
trap restore_autovacuum EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p nuanxin --bin nuanxin --bin nuanxin-bench

DB=postgres://postgres@127.0.0.1:5432/nuanxin_bench_sharing
IDS=/tmp/nuanxin-bench-sharing-residents.txt
echo "== approval over the register ($FAMILIES families); $(uptime)"
DATABASE_URL=$DB RUST_LOG=warn "$TARGET/release/nuanxin-bench" sharing "$FAMILIES" "$IDS"

PORT=18140
SERVER=
trap 'kill $SERVER 2>/dev/null || true; restore_autovacuum' EXIT
rss_mb() { echo $(( $(ps -o rss= -p $SERVER) / 1024 )); }
index_parents() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^nuanxin_verification_index\{held="parents"\}/ {print $2}'; }
# Starts the node (its arguments: a command to start it under, e.g. `taskset -c 1`), logs 区卫生局's
# account in and warms it up, not measured: every worker's pool, prepared statements, the session
# kept near. The first question also starts the district's verification index (sharing::held): wait
# for it, and report how long the build took and what it holds.
start_node() {
  [ -n "$SERVER" ] && { kill $SERVER; wait $SERVER 2>/dev/null || true; }
  env DATABASE_URL=$DB NUANXIN__REDIS__URL=redis://127.0.0.1:6379 NUANXIN__REDIS__NAMESPACE=bench-sharing \
    NUANXIN__SECURITY__LOGIN_ATTEMPTS_PER_WINDOW=1000 NUANXIN__SECURITY__VERIFICATIONS_PER_MINUTE=100000000 \
    RUST_LOG=warn,nuanxin::sharing::verify=info "$@" "$TARGET/release/nuanxin" serve --bind 127.0.0.1:$PORT >/tmp/nuanxin-bench-sharing.log 2>&1 &
  SERVER=$!
  for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
  wait_for_daily_runs $PORT
  TOKEN=$(curl -sf http://127.0.0.1:$PORT/api/v1/auth/login -H 'content-type: application/json' \
    -d '{"tenant":"xicheng","username":"health","password":"nuanxin-demo-2026"}' |
    python3 -c "import sys, json; print(json.load(sys.stdin)['token'])")
  echo "   the node before any question: $(rss_mb) MB resident, $(ls /proc/$SERVER/task | wc -l) threads"
  local started
  started=$(date +%s.%N)
  "${WRK[@]}" -c4 -d5s -s deploy/bench/verifications.lua "http://127.0.0.1:$PORT" -- "$IDS" "$TOKEN" health_check >/dev/null
  for _ in $(seq 1 600); do [ "$(index_parents)" -gt 0 ] 2>/dev/null && break; sleep 0.2; done
  echo "   verification index: $(index_parents) parents within $(echo "$(date +%s.%N) - $started" | bc) s of the first question (build time in the node's log: $(grep -oE 'ms[=":]+[0-9]+' /tmp/nuanxin-bench-sharing.log | tail -1)); the node: $(rss_mb) MB resident"
}
# The audit events a run's answers write are sealed into the chain in the background: after a run
# as fast as the connections can ask, hundreds of thousands wait, and sealing them would compete for
# the CPUs with the next run. Each run starts once the queue of unsealed events is empty (printed).
wait_for_sealing() {
  local waited=0 left
  while [ $waited -lt 300 ]; do
    left=$(psql "$DB" -qAtc "SELECT count(*) FROM audit_unsealed")
    [ "$left" = 0 ] && break
    sleep 1
    waited=$((waited + 1))
  done
  echo "   waited ${waited} s for the audit events of earlier runs to be sealed (${left} left)"
}
buckets() { curl -sf "http://127.0.0.1:$PORT/metrics" | grep '_duration_seconds_bucket'; }
# One wrk run of 4 connections, each pausing $1 ms between its questions (0: none), reported with the
# node's own timing of the same answers (handler in to response out; cumulative buckets) beside wrk's:
# a difference between them is time spent waiting outside the handler, e.g. for a CPU.
verify_run() {
  wait_for_sealing
  buckets > /tmp/nuanxin-verify-buckets-before.txt
  "${WRK[@]}" -c4 -d"${SECONDS_EACH}s" --latency -s deploy/bench/verifications.lua "http://127.0.0.1:$PORT" -- \
    "$IDS" "$TOKEN" health_check "$1" > /tmp/nuanxin-wrk-verify.txt
  cat /tmp/nuanxin-wrk-verify.txt
  echo "   the node's own timing of these answers (answers at or under each bound):"
  buckets | paste /tmp/nuanxin-verify-buckets-before.txt - |
    awk '{ sub(/.*le="/, "", $1); sub(/".*/, "", $1); printf "     <= %s s: %d\n", $1, $4 - $2 }'
  echo "   after wrk: $(uptime)"
  if grep -q "Non-2xx" /tmp/nuanxin-wrk-verify.txt || ! grep -q "not successful: 0$" /tmp/nuanxin-wrk-verify.txt; then
    echo "!! answers that were not successful: this run does not count" >&2
    exit 1
  fi
}
PAUSE=${BENCH_VERIFY_PAUSE_MS:-5}
WRK=(wrk -t2)
echo "== POST /api/v1/verifications (health_check), random registered parents: wrk, 4 connections, ${SECONDS_EACH}s; $(uptime)"
echo "-- the node and wrk where the scheduler puts them"
start_node
echo "-- 1. as fast as the 4 connections can ask (closed loop: the machine is saturated, wrk included)"
verify_run 0
RATE=$(awk '/^successful:/ {print int($4)}' /tmp/nuanxin-wrk-verify.txt)
# 2. The same 4 connections at a pace a department's desks could never reach but this box can carry
# without queueing (each asks every PAUSE ms): the latency of a question, not of a queue.
echo "-- 2. 4 connections, each asking every ${PAUSE} ms (at most $((4000 / PAUSE)) questions a second)"
verify_run "$PAUSE"
PACED=$(awk '/^successful:/ {print int($4)}' /tmp/nuanxin-wrk-verify.txt)
if [ "$(nproc)" -ge 2 ]; then
  # The node started on CPU 1 (its HTTP workers, one a core it may use: one), wrk with one thread on CPU 0.
  WRK=(taskset -c 0 wrk -t1)
  echo "-- the node on CPU 1, wrk on CPU 0"
  start_node taskset -c 1
  echo "-- 3. pinned: as fast as the 4 connections can ask"
  verify_run 0
  PINNED=$(awk '/^successful:/ {print int($4)}' /tmp/nuanxin-wrk-verify.txt)
  echo "-- 4. pinned, 4 connections, each asking every ${PAUSE} ms"
  verify_run "$PAUSE"
  PINNED_PACED=$(awk '/^successful:/ {print int($4)}' /tmp/nuanxin-wrk-verify.txt)
fi
PGB=nuanxin_bench_sharing_pgbench
psql -h 127.0.0.1 -U postgres -qAtc "SELECT 1 FROM pg_database WHERE datname = '$PGB'" | grep -q 1 ||
  { createdb -h 127.0.0.1 -U postgres "$PGB" && pgbench -h 127.0.0.1 -U postgres -i -q -s 10 "$PGB" >/dev/null 2>&1; }
# pgbench at 4 clients, unpaced then at the paced run's rate (-R, latency counted from each
# transaction's scheduled start, so a late start counts against it).
pgbench_run() {
  echo "== reference, same run: pgbench -S -M prepared -c4 -j2 -T${SECONDS_EACH} $*; $(uptime)"
  rm -f /tmp/nuanxin-pgb.*
  (cd /tmp && pgbench -h 127.0.0.1 -U postgres -S -M prepared -c4 -j2 -T"$SECONDS_EACH" "$@" -l \
    --log-prefix=nuanxin-pgb "$PGB" 2>/dev/null | grep -E "^(tps|latency average|number of failed)")
  # Per-transaction log: the third column is the latency in microseconds.
  cat /tmp/nuanxin-pgb.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {
    printf "pgbench latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (%d transactions)\n",
      a[int(NR*0.5)]/1000, a[int(NR*0.9)]/1000, a[int(NR*0.99)]/1000, NR}'
  echo "   after pgbench: $(uptime)"
}
pgbench_run
pgbench_run -R "$PACED"
echo "verification answers per second: ${RATE} unpaced, ${PACED} paced; pinned ${PINNED:-} unpaced, ${PINNED_PACED:-} paced"
