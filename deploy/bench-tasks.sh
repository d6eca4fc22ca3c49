#!/usr/bin/env bash
# A district's matching run at size (issue 10 Speed; numbers, not tests; README "Benchmarks"): Xicheng with
# TASKS open tasks (default 5,000) and VOLUNTEERS volunteers (default 20,000) seeded by
# `nuanxin-bench tasks`, then `nuanxin matching run --tenant xicheng` timed end to end as a whole release
# process (district load, the read, candidates and costs, the exact solve, the offers and notices written),
# with its peak RSS from /usr/bin/time -v. Each of RUNS runs (default 3) starts from a fresh seed, so every
# run matches all tasks. Under the shared benchmark lock: only one benchmark runs at a time on this machine.
#   bash deploy/bench-tasks.sh [TASKS] [VOLUNTEERS]
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS=${1:-5000}
VOLUNTEERS=${2:-20000}
RUNS=${RUNS:-3}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -q -p nuanxin --bin nuanxin --bin nuanxin-bench
BIN=${CARGO_TARGET_DIR:-target}/release
DB_NAME=${BENCH_DB:-nuanxin_bench_tasks}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB_NAME RUST_LOG=warn
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for run in $(seq "$RUNS"); do
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
  "$BIN/nuanxin-bench" tasks "$TASKS" "$VOLUNTEERS"
  echo "== run $run: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  flock /work/bench.lock /usr/bin/time -v -o "$OUT/time" "$BIN/nuanxin" matching run --tenant xicheng > "$OUT/run.json"
  python3 - "$OUT/run.json" "$OUT/time" <<'PY'
import json, re, sys
out = json.load(open(sys.argv[1]))
run = out["run"]
t = open(sys.argv[2]).read()
wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", t)
secs = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1)) + float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
phases = ", ".join(f"{k} {v:.2f} s" for k, v in out.get("phases", {}).items())
print(f"process: wall {secs:.2f} s, cpu {cpu:.2f} s, peak RSS {rss / 1024:.0f} MB; run {out['seconds']:.2f} s ({phases})")
print(f"tasks {run['tasks']}, candidate pairs {run['candidates']}, offers {len(run['matches'])}, "
      f"tasks short {len(run['unfilled'])}, cost {run['cost']}")
PY
done
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
