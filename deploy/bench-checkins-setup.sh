# The check-in benchmarks' data (sourced by bench-checkins.sh and bench-checkins-latency.sh): a database
# $DB of DISTRICTS districts (Xicheng alone when 1, else copies of it in a temporary tenants folder, which
# NUANXIN__APPLICATION__TENANTS_DIR then names), PAIRS paired elders each over the demo's communities,
# all checked in well yesterday and, but MISSED per district, today at CHECKED_AT; daily deadline
# DEADLINE_MINUTE (minutes after local midnight) of TODAY (the district-local date). Needs BIN.
DB=${BENCH_DB:-nuanxin_bench_checkins}
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB RUST_LOG=warn
"$BIN" migrate >/dev/null
if [ "$DISTRICTS" = 1 ]; then
  "$BIN" tenant onboard xicheng --demo >/dev/null
else
  # Copies of Xicheng under their own slugs, onboarded with its demo data.
  DIR=$(mktemp -d)   # the caller removes it
  # Slugs are lowercase letters: benchaa, benchab, …
  SLUGS=$(python3 -c "import string as s; l=s.ascii_lowercase; print(' '.join(['bench'+a+b for a in l for b in l][:$DISTRICTS]))")
  for slug in $SLUGS; do
    cp -r tenants/xicheng "$DIR/$slug"
    sed -i "s/^slug: xicheng/slug: $slug/; s/^tenant: xicheng/tenant: $slug/" "$DIR/$slug"/*.yaml
  done
  export NUANXIN__APPLICATION__TENANTS_DIR=$DIR
  for slug in $SLUGS; do "$BIN" tenant onboard "$slug" --demo >/dev/null; done
fi
PSQL="psql -h 127.0.0.1 -U postgres -d $DB -qAt -v ON_ERROR_STOP=1"
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
-- Helpers in each community, up to 10 elders each (the demo's helpers stay).
INSERT INTO checkin_helpers (tenant_id, id, name, phone_enc, community_id, latitude, longitude, max_elders, created_by)
SELECT tenant_id, gen_random_uuid(), '邻居' || g, '\x00', community_id, 39.94, 116.37, 10, '00000000-0000-0000-0000-000000000000'
FROM (SELECT DISTINCT tenant_id, community_id FROM families) c, generate_series(1, ceil($PAIRS / 8.0 / 5)::int + 1) g;
CREATE TEMP TABLE h AS SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id) - 1 AS n,
    count(*) OVER (PARTITION BY tenant_id) AS of FROM checkin_helpers;
INSERT INTO checkin_pairings (tenant_id, id, family_id, person, helper_id, elder_consent_on, elder_consent_how,
    elder_consent_by, helper_consent_on, helper_consent_how, helper_consent_by, deadline_minute, starts_on, created_by, created_at)
SELECT f.tenant_id, gen_random_uuid(), f.id, 'mother', h.id, '$TODAY'::date - 7, 'in_person', f.id,
       '$TODAY'::date - 7, 'writing', f.id, $DEADLINE_MINUTE, '$TODAY'::date - 7, f.id, now() - interval '7 days'
FROM (SELECT tenant_id, id, row_number() OVER (PARTITION BY tenant_id) AS n FROM families
      WHERE id NOT IN (SELECT family_id FROM checkin_pairings)) f
JOIN h ON h.tenant_id = f.tenant_id AND h.n = f.n % h.of
WHERE f.n <= $PAIRS;
-- Every pairing but MISSED per district checked in well at CHECKED_AT today (before the deadline), and
-- every pairing yesterday.
INSERT INTO checkin_check_ins (tenant_id, id, pairing_id, logged_at, day, outcome, how, logged_by, on_behalf)
SELECT tenant_id, gen_random_uuid(), id, '$CHECKED_AT'::timestamptz - d * interval '1 day',
       '$TODAY'::date - d, 'well', 'visit', helper_id, false
FROM (SELECT *, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS n FROM checkin_pairings) p,
     generate_series(0, 1) d
WHERE d = 1 OR p.n > $MISSED;
COMMIT;
ANALYZE;
SQL
