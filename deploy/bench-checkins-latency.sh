#!/usr/bin/env bash
# From a check-in step falling due to its mail handed to a real SMTP server (numbers, not a test; see
# README "Benchmarks", check-ins). The data of bench-checkins.sh (100 districts × 1,000 pairings, 100 per
# district without today's check-in), with the deadline moved to a minute boundary T about two minutes
# ahead; then the real service (`nuanxin serve`, its own sweep job and mail job, on port 18130) against an
# SMTP server that records when each message arrives (deploy/smtp-sink.py, aiosmtpd, port 18131). When the
# outbox is empty it prints p50/p99/max of (arrival − due_at) over the alerts' mails, and how many arrived.
#   PROFILE=release  a release build (the numbers in the README)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-debug}
TARGET=${CARGO_TARGET_DIR:-target}
DISTRICTS=${DISTRICTS:-100}
PAIRS=${PAIRS:-1000}
MISSED=${MISSED:-100}
HTTP_PORT=18130
SMTP_PORT=18131
[ -n "${NO_BUILD:-}" ] || if [ "$PROFILE" = release ]; then cargo build --release -q -p nuanxin --bin nuanxin; else cargo build -q -p nuanxin --bin nuanxin; fi
BIN="$TARGET/$PROFILE/nuanxin"

TODAY=$(TZ=Asia/Shanghai date +%F)
DEADLINE_MINUTE=600
CHECKED_AT="$TODAY 09:00+08:00"
DB=nuanxin_bench_checkins_latency
source deploy/bench-checkins-setup.sh
LOG=$(mktemp)
SERVER_PID= SINK_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
  rm -rf "${DIR:-}" "$LOG"
}
trap cleanup EXIT

# The deadline: a minute boundary 100–160 s ahead, so that the service is up and has swept before it.
T=$(( ( $(date +%s) + 100 ) / 60 * 60 + 60 ))
DAY=$(TZ=Asia/Shanghai date -d "@$T" +%F)
MINUTE=$(( (T + 8 * 3600) % 86400 / 60 ))
$PSQL <<SQL
BEGIN;
UPDATE checkin_pairings SET deadline_minute = $MINUTE,
    starts_on = starts_on + ('$DAY'::date - '$TODAY'::date);
-- Checked in half an hour before the deadline, today and yesterday.
UPDATE checkin_check_ins SET
    logged_at = to_timestamp($T) - interval '30 minutes' - ('$TODAY'::date - day) * interval '1 day',
    day = day + ('$DAY'::date - '$TODAY'::date);
COMMIT;
SQL
echo "districts: $($PSQL -c 'SELECT count(*) FROM tenants'), pairings: $($PSQL -c 'SELECT count(*) FROM checkin_pairings'), deadline $(TZ=Asia/Shanghai date -d "@$T" '+%F %H:%M') local"

PY=python3; python3 -c "import aiosmtpd" 2>/dev/null || PY=/usr/bin/python3
"$PY" deploy/smtp-sink.py "$LOG" "$SMTP_PORT" & SINK_PID=$!
NUANXIN__APPLICATION__PORT=$HTTP_PORT NUANXIN__MAIL__SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" \
  "$BIN" serve >/dev/null 2>&1 & SERVER_PID=$!
until curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null; do sleep 1; done
# Mail queued before T (the demo's own) goes first; then wait for the deadline and an empty outbox.
while [ "$(date +%s)" -lt $((T + 5)) ] || [ "$($PSQL -c 'SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL')" != 0 ]; do
  [ "$(date +%s)" -lt $((T + 600)) ] || { echo "the outbox did not drain within 10 minutes"; break; }
  sleep 2
done
sleep 2
$PSQL <<SQL
CREATE TEMP TABLE arrived (at double precision, message_id text, pairing_id text);
\copy arrived FROM '$LOG' WITH (DELIMITER ' ')
WITH alert_mail AS (
    SELECT a.at - extract(epoch FROM c.due_at) AS latency
    FROM arrived a JOIN checkin_alerts c ON c.pairing_id::text = a.pairing_id AND c.step = 0
    WHERE a.pairing_id <> '-')
SELECT format('alerts raised: %s; their mails arrived: %s (outbox: %s sent, %s unsent); latency from due to SMTP: p50 %s s, p99 %s s, max %s s',
    (SELECT count(*) FROM checkin_alerts), count(*),
    (SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL),
    (SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL),
    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency)::numeric, 2),
    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY latency)::numeric, 2),
    round(max(latency)::numeric, 2))
FROM alert_mail;
SQL
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
