#!/usr/bin/env bash
# The check-in sweep at scale (numbers, not a test; see README "Benchmarks", check-ins): 100,000 paired
# elders in one district (a realistic spread: copies of the demo's 24 families over its 8 communities,
# 1,000 helpers), 90,000 checked in well before today's 10:00 deadline and 10,000 not. One
# `nuanxin checkins sweep --at <today 10:01>` raises the 10,000 first-step alerts and writes their
# 10,000 mails (a worker with an address in each community) to the outbox, in the time printed.
# A second sweep at the same time raises nothing and is timed too. PROFILE=release for a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-debug}
TARGET=${CARGO_TARGET_DIR:-target}
PAIRS=${BENCH_PAIRINGS:-100000}
MISSED=${BENCH_MISSED:-10000}
if [ "$PROFILE" = release ]; then cargo build --release -q -p nuanxin --bin nuanxin; else cargo build -q -p nuanxin --bin nuanxin; fi
BIN="$TARGET/$PROFILE/nuanxin"

psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS nuanxin_bench_checkins WITH (FORCE)" postgres
DB=postgres://postgres@127.0.0.1:5432/nuanxin_bench_checkins
export DATABASE_URL=$DB RUST_LOG=warn
"$BIN" migrate >/dev/null
"$BIN" tenant onboard xicheng --demo >/dev/null
TODAY=$(TZ=Asia/Shanghai date +%F)
PSQL="psql -h 127.0.0.1 -U postgres -d nuanxin_bench_checkins -qAt -v ON_ERROR_STOP=1"
$PSQL <<SQL
BEGIN;
-- An address in every community, so each first-step alert (the helper has no account) writes one mail.
INSERT INTO users (tenant_id, id, username, display_name, email, password_hash, org_unit_id)
SELECT tenant_id, gen_random_uuid(), 'bench-' || code, 'bench', code || '@bench.invalid', 'x', id
FROM org_units WHERE kind = 'community';
CREATE TEMP TABLE src AS SELECT f.* FROM families f;
INSERT INTO families SELECT (jsonb_populate_record(NULL::families,
    to_jsonb(s) || jsonb_build_object('id', gen_random_uuid()))).*
FROM src s, generate_series(1, ceil($PAIRS / 24.0)::int + 1);
INSERT INTO checkin_helpers (tenant_id, id, name, phone_enc, community_id, latitude, longitude, max_elders, created_by)
SELECT tenant_id, gen_random_uuid(), '邻居' || g, '\x00', community_id, 39.94, 116.37, 10, '00000000-0000-0000-0000-000000000000'
FROM (SELECT DISTINCT tenant_id, community_id FROM families) c, generate_series(1, 125) g;
CREATE TEMP TABLE h AS SELECT id, row_number() OVER () - 1 AS n FROM checkin_helpers;
INSERT INTO checkin_pairings (tenant_id, id, family_id, person, helper_id, elder_consent_on, elder_consent_how,
    elder_consent_by, helper_consent_on, helper_consent_how, helper_consent_by, deadline_minute, starts_on, created_by, created_at)
SELECT f.tenant_id, gen_random_uuid(), f.id, 'mother', h.id, '$TODAY'::date - 7, 'in_person', f.id,
       '$TODAY'::date - 7, 'writing', f.id, 600, '$TODAY'::date - 7, f.id, now() - interval '7 days'
FROM (SELECT tenant_id, id, row_number() OVER () AS n FROM families
      WHERE id NOT IN (SELECT family_id FROM checkin_pairings) LIMIT $PAIRS) f
JOIN h ON h.n = f.n % (SELECT count(*) FROM h);
-- Every pairing but MISSED checked in well at 09:00 today, and every pairing checked in yesterday.
INSERT INTO checkin_check_ins (tenant_id, id, pairing_id, logged_at, day, outcome, how, logged_by, on_behalf)
SELECT tenant_id, gen_random_uuid(), id, ('$TODAY 09:00'::timestamp AT TIME ZONE 'Asia/Shanghai') - d * interval '1 day',
       '$TODAY'::date - d, 'well', 'visit', helper_id, false
FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM checkin_pairings) p, generate_series(0, 1) d
WHERE d = 1 OR p.n > $MISSED;
COMMIT;
ANALYZE;
SQL
echo "pairings: $($PSQL -c 'SELECT count(*) FROM checkin_pairings'), check-ins: $($PSQL -c 'SELECT count(*) FROM checkin_check_ins')"
AT="${TODAY}T10:01:00+08:00"
for run in first second; do
  START=$(date +%s.%N)
  OUT=$("$BIN" checkins sweep --tenant xicheng --at "$AT")
  END=$(date +%s.%N)
  RAISED=$(echo "$OUT" | python3 -c "import sys, json; d = json.load(sys.stdin); print(len(d['raised']), d['mails'])")
  printf '%s sweep (%s build): raised, mails = %s in %.2f s (the whole command, start-up included)\n' \
    "$run" "$PROFILE" "$RAISED" "$(echo "$END - $START" | bc)"
done
echo "alerts: $($PSQL -c 'SELECT count(*) FROM checkin_alerts'), outbox: $($PSQL -c 'SELECT count(*) FROM mail_outbox')"
