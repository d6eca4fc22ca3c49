# Sourced by the benchmarks that measure a served node.
#
# A node runs its daily jobs over every district's register when it starts (the newly-eligible check,
# task proposals, visit flags: seconds of both cores at 100,000 families), once a day. The speed goals
# are for the steady state, so the measurement starts once those runs are done; how long they took is
# printed. A database whose runs for today are already done waits for nothing.
wait_for_daily_runs() {
  local port=$1 waited=0 done_jobs
  while [ $waited -lt 180 ]; do
    done_jobs=$(curl -sf "http://127.0.0.1:$port/metrics" |
      grep -cE 'nuanxin_job_last_success_seconds\{job="(newly_eligible|propose_tasks|visit_flags)"\} [1-9]' || true)
    [ "$done_jobs" = 3 ] && break
    sleep 1
    waited=$((waited + 1))
  done
  echo "   the node's daily start-up runs took ${waited} s; the measurement starts after them"
}
