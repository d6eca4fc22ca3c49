#!/usr/bin/env bash
# The check-in sweep at scale (numbers, not a test; see README "Benchmarks", check-ins). By default the
# issue's goal: 100,000 paired elders over 100 districts (copies of Xicheng, each 1,000 pairings over its
# 8 communities and the demo's 24 families copied), 90 % checked in well before today's 10:00 deadline,
# 10,000 in all not. One `nuanxin checkins sweep --all-districts --at <today 10:01>` raises the 10,000
# first-step alerts and writes their 10,000 mails (a worker with an address in each community) to the
# outbox; it prints the sweep's own time (`seconds`) and the whole command's. A second sweep at the same
# time raises nothing and is timed too.
#   DISTRICTS=1 PAIRS=100000 MISSED=10000  the one-district variant (Xicheng itself)
#   PROFILE=release                        a release build (the numbers in the README)
# Database nuanxin_bench_checkins; the districts' folders in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-debug}
TARGET=${CARGO_TARGET_DIR:-target}
DISTRICTS=${DISTRICTS:-100}
PAIRS=${PAIRS:-1000}     # per district
MISSED=${MISSED:-100}    # per district
[ -n "${NO_BUILD:-}" ] || if [ "$PROFILE" = release ]; then cargo build --release -q -p nuanxin --bin nuanxin; else cargo build -q -p nuanxin --bin nuanxin; fi
BIN="$TARGET/$PROFILE/nuanxin"

TODAY=$(TZ=Asia/Shanghai date +%F)
DEADLINE_MINUTE=600
CHECKED_AT="$TODAY 09:00+08:00"
source deploy/bench-checkins-setup.sh
trap 'rm -rf "${DIR:-}"' EXIT
echo "districts: $($PSQL -c 'SELECT count(*) FROM tenants'), pairings: $($PSQL -c 'SELECT count(*) FROM checkin_pairings'), check-ins: $($PSQL -c 'SELECT count(*) FROM checkin_check_ins')"
AT="${TODAY}T10:01:00+08:00"
if [ "$DISTRICTS" = 1 ]; then WHICH=(--tenant xicheng); else WHICH=(--all-districts); fi
for run in first second; do
  START=$(date +%s.%N)
  OUT=$("$BIN" checkins sweep "${WHICH[@]}" --at "$AT")
  END=$(date +%s.%N)
  echo "$OUT" | python3 -c "
import sys, json
d = json.load(sys.stdin)
print('$run sweep ($PROFILE build): %d raised, %d mails; the sweep %.2f s, the whole command %.2f s' %
      (len(d['raised']), d['mails'], d['seconds'], $END - $START))"
done
echo "alerts: $($PSQL -c 'SELECT count(*) FROM checkin_alerts'), outbox: $($PSQL -c 'SELECT count(*) FROM mail_outbox')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
