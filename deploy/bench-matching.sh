#!/usr/bin/env bash
# The matching engine against OR-Tools (numbers, not tests; see shared/matching/README.md "Benchmark").
# Builds nuanxin in release, generates the benchmark problems (10,000 tasks x 50,000 helpers x 200,000 pairs,
# and a scarce one with 5,000 helpers), then runs `nuanxin matching solve` and OR-Tools' SimpleMinCostFlow
# (bench/ortools_solve.py: the same file, the same model) RUNS times each, interleaved, and checks that both
# find the same cost. Whole processes are timed, file read included; OR-Tools also reports its phases.
#   bash deploy/bench-matching.sh            # RUNS=5 by default
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
BENCH=shared/matching/bench
python3 -c "import ortools, numpy" 2>/dev/null || pip install -q ortools numpy
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -q -p nuanxin --bin nuanxin
BIN=${CARGO_TARGET_DIR:-target}/release/nuanxin
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

# Prints the median wall and cpu (user + sys) seconds and the peak RSS of the lines "wall cpu rss_kb" in a file.
summary() {
  python3 -c '
import statistics, sys
rows = [tuple(map(float, line.split())) for line in open(sys.argv[1])]
wall, cpu, rss = zip(*rows)
print(f"median wall {statistics.median(wall):.2f} s (best {min(wall):.2f}), median cpu {statistics.median(cpu):.2f} s, peak RSS {max(rss) / 1024:.0f} MB")
' "$1"
}

for shape in "plentiful 50000" "scarce 5000"; do
  set -- $shape
  name=$1 helpers=$2
  python3 $BENCH/gen.py --tasks 10000 --helpers "$helpers" --arcs 200000 --seed 1 > "$DIR/$name.json"
  echo "== $name: 10000 tasks, $helpers helpers, 200000 pairs ($(du -m "$DIR/$name.json" | cut -f1) MB), $RUNS runs each"
  : > "$DIR/nuanxin.times"; : > "$DIR/ortools.times"; : > "$DIR/ortools.phases"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$DIR/t" -f "%e %U %S %M" "$BIN" matching solve "$DIR/$name.json" > "$DIR/nuanxin.out"
    awk '{print $1, $2+$3, $4}' "$DIR/t" >> "$DIR/nuanxin.times"
    /usr/bin/time -o "$DIR/t" -f "%e %U %S %M" python3 $BENCH/ortools_solve.py "$DIR/$name.json" \
      > "$DIR/ortools.out" 2>> "$DIR/ortools.phases"
    awk '{print $1, $2+$3, $4}' "$DIR/t" >> "$DIR/ortools.times"
  done
  ours=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cost'])" "$DIR/nuanxin.out")
  theirs=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cost'])" "$DIR/ortools.out")
  echo "nuanxin matching solve:       $(summary "$DIR/nuanxin.times"); cost $ours"
  echo "OR-Tools SimpleMinCostFlow:   $(summary "$DIR/ortools.times"); cost $theirs"
  echo "OR-Tools phases, each run:"
  sed 's/^/  /' "$DIR/ortools.phases"
  if [ "$ours" != "$theirs" ]; then
    echo "COSTS DIFFER: nuanxin $ours, OR-Tools $theirs" >&2
    exit 1
  fi
done
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
