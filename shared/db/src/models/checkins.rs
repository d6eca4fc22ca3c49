//! Neighbour pairings and daily check-ins: helpers, enrolments, pairings, pauses, check-ins, the days'
//! ladder snapshots, alerts, silence flags and emergencies (migration `…000040_checkins`).
//!
//! Every read of a pairing goes through [`in_scope`] on the pairing's family, so a street, a community
//! or a volunteer (through `family_assignments`) reaches exactly its own elders' pairings.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Int2, Json, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_access::Scope;
use nuanxin_checkins::Outcome;
use nuanxin_domain::checkins::{CheckInHow, ConsentHow, EnrolReason, PauseReason};
use nuanxin_ids::{AlertId, FamilyId, HelperId, OrgUnitId, PairingId, TenantId, UserId};
use uuid::Uuid;

use crate::schema::{
    checkin_alerts, checkin_check_ins, checkin_days, checkin_emergencies, checkin_enrolments,
    checkin_helpers, checkin_pairings, checkin_pauses, checkin_silences,
};
use crate::scope::{in_scope, FamilyColumns};

/// How a pairing reaches its family.
pub const PAIRINGS: FamilyColumns = FamilyColumns {
    table: "checkin_pairings",
    family_id: "family_id",
    street_id: None,
};

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = checkin_enrolments)]
pub struct Enrolment {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub family_id: FamilyId,
    pub person: String,
    pub reason: EnrolReason,
    pub note: Option<String>,
    pub enrolled_by: UserId,
    pub enrolled_at: DateTime<Utc>,
}

impl Enrolment {
    /// Enrols the member; false when they were enrolled already (the first enrolment stands).
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<bool> {
        let n = diesel::insert_into(checkin_enrolments::table)
            .values(self)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(n == 1)
    }

    pub async fn exists(
        conn: &mut AsyncPgConnection,
        family_id: FamilyId,
        person: &str,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            checkin_enrolments::table
                .filter(checkin_enrolments::family_id.eq(family_id))
                .filter(checkin_enrolments::person.eq(person)),
        ))
        .get_result(conn)
        .await
    }
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = checkin_helpers)]
pub struct HelperRow {
    pub tenant_id: TenantId,
    pub id: HelperId,
    pub name: String,
    pub phone_enc: Vec<u8>,
    pub community_id: OrgUnitId,
    pub latitude: f64,
    pub longitude: f64,
    pub user_id: Option<UserId>,
    pub max_elders: i16,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

/// A helper near an elder, with the elders paired with them now.
#[derive(Debug, Clone, QueryableByName)]
pub struct NearHelper {
    #[diesel(sql_type = SqlUuid)]
    pub id: HelperId,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = SqlUuid)]
    pub community_id: OrgUnitId,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub latitude: f64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub longitude: f64,
    #[diesel(sql_type = Int2)]
    pub max_elders: i16,
    #[diesel(sql_type = BigInt)]
    pub load: i64,
}

impl HelperRow {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(checkin_helpers::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// The helper, its row locked until the transaction ends: pairings for one helper are made one at
    /// a time, so two at once cannot both take its last place.
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        id: HelperId,
    ) -> QueryResult<Option<HelperRow>> {
        checkin_helpers::table
            .filter(checkin_helpers::id.eq(id))
            .for_update()
            .select(HelperRow::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: HelperId,
    ) -> QueryResult<Option<HelperRow>> {
        checkin_helpers::table
            .filter(checkin_helpers::id.eq(id))
            .select(HelperRow::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn of_ids(
        conn: &mut AsyncPgConnection,
        ids: &[HelperId],
    ) -> QueryResult<Vec<HelperRow>> {
        checkin_helpers::table
            .filter(checkin_helpers::id.eq_any(ids))
            .select(HelperRow::as_select())
            .load(conn)
            .await
    }

    /// The helper record of a volunteer account.
    pub async fn of_user(
        conn: &mut AsyncPgConnection,
        user: UserId,
    ) -> QueryResult<Option<HelperRow>> {
        checkin_helpers::table
            .filter(checkin_helpers::user_id.eq(user))
            .select(HelperRow::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Helpers inside a box of `[lat ± dlat, lon ± dlon]` with their current load (the caller measures
    /// the exact distance and ranks).
    pub async fn near(
        conn: &mut AsyncPgConnection,
        lat: f64,
        lon: f64,
        dlat: f64,
        dlon: f64,
    ) -> QueryResult<Vec<NearHelper>> {
        use diesel::sql_types::Double;
        diesel::sql_query(
            "SELECT h.id, h.name, h.community_id, h.latitude, h.longitude, h.max_elders, \
                 (SELECT count(*) FROM checkin_pairings p WHERE p.tenant_id = h.tenant_id \
                   AND p.helper_id = h.id AND p.ended_at IS NULL) AS load \
             FROM checkin_helpers h \
             WHERE h.latitude BETWEEN $1 - $3 AND $1 + $3 AND h.longitude BETWEEN $2 - $4 AND $2 + $4",
        )
        .bind::<Double, _>(lat)
        .bind::<Double, _>(lon)
        .bind::<Double, _>(dlat)
        .bind::<Double, _>(dlon)
        .load(conn)
        .await
    }

    /// How many elders the helper is paired with now.
    pub async fn load(conn: &mut AsyncPgConnection, id: HelperId) -> QueryResult<i64> {
        checkin_pairings::table
            .filter(checkin_pairings::helper_id.eq(id))
            .filter(checkin_pairings::ended_at.is_null())
            .count()
            .get_result(conn)
            .await
    }
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = checkin_pairings)]
pub struct PairingRow {
    pub tenant_id: TenantId,
    pub id: PairingId,
    pub family_id: FamilyId,
    pub person: String,
    pub helper_id: HelperId,
    pub elder_consent_on: NaiveDate,
    pub elder_consent_how: ConsentHow,
    pub elder_consent_by: UserId,
    pub helper_consent_on: NaiveDate,
    pub helper_consent_how: ConsentHow,
    pub helper_consent_by: UserId,
    pub deadline_minute: i16,
    pub days_off: i16,
    pub starts_on: NaiveDate,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_side: Option<String>,
    pub ended_reason: Option<String>,
    pub ended_by: Option<UserId>,
}

impl PairingRow {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(checkin_pairings::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// The pairing, if its family is in `scope`.
    pub async fn find(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        id: PairingId,
    ) -> QueryResult<Option<PairingRow>> {
        checkin_pairings::table
            .filter(checkin_pairings::id.eq(id))
            .filter(in_scope(scope, PAIRINGS))
            .select(PairingRow::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The pairings in `scope` (of `helper` only, when given), newest first.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        helper: Option<HelperId>,
        live_only: bool,
    ) -> QueryResult<Vec<PairingRow>> {
        let mut q = checkin_pairings::table
            .filter(in_scope(scope, PAIRINGS))
            .select(PairingRow::as_select())
            .order(checkin_pairings::created_at.desc())
            .into_boxed();
        if let Some(h) = helper {
            q = q.filter(checkin_pairings::helper_id.eq(h));
        }
        if live_only {
            q = q.filter(checkin_pairings::ended_at.is_null());
        }
        q.limit(500).load(conn).await
    }

    /// Ends the pairing at `at` (a side withdrew consent); false when it had ended already.
    pub async fn end(
        conn: &mut AsyncPgConnection,
        id: PairingId,
        at: DateTime<Utc>,
        side: &str,
        reason: &str,
        by: UserId,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            checkin_pairings::table
                .filter(checkin_pairings::id.eq(id))
                .filter(checkin_pairings::ended_at.is_null()),
        )
        .set((
            checkin_pairings::ended_at.eq(Some(at)),
            checkin_pairings::ended_side.eq(Some(side)),
            checkin_pairings::ended_reason.eq(Some(reason)),
            checkin_pairings::ended_by.eq(Some(by)),
        ))
        .execute(conn)
        .await?;
        Ok(n == 1)
    }

    /// Pairings the sweep looks at as of `now`: in force, or ended within the last two days (a day
    /// escalating past midnight may still owe its all-clears), keyset-paged by id.
    pub async fn sweep_page(
        conn: &mut AsyncPgConnection,
        now: DateTime<Utc>,
        after: PairingId,
        limit: i64,
    ) -> QueryResult<Vec<PairingRow>> {
        checkin_pairings::table
            .filter(checkin_pairings::id.gt(after))
            .filter(
                checkin_pairings::ended_at
                    .is_null()
                    .or(checkin_pairings::ended_at.gt(now - chrono::Duration::days(2))),
            )
            .filter(checkin_pairings::created_at.le(now))
            .order(checkin_pairings::id)
            .limit(limit)
            .select(PairingRow::as_select())
            .load(conn)
            .await
    }
}

/// A pairing as the sweep reads it: the row, and what the sweep needs of its two days (yesterday and
/// today) as JSON arrays, read in the one query of [`SweepRow::page`].
#[derive(Debug, Clone, QueryableByName)]
pub struct SweepRow {
    #[diesel(embed)]
    pub pairing: PairingRow,
    /// `[{"starts_on", "ends_on"}]`, every pause of the pairing.
    #[diesel(sql_type = Json)]
    pub pauses: serde_json::Value,
    /// `[{"day", "logged_at", "outcome"}]`, the two days' check-ins.
    #[diesel(sql_type = Json)]
    pub check_ins: serde_json::Value,
    /// `[{"day", "step", "acknowledged_at", "cleared_at"}]`, the two days' alerts.
    #[diesel(sql_type = Json)]
    pub alerts: serde_json::Value,
    /// `[{"day", "steps"}]`, the two days' ladder snapshots.
    #[diesel(sql_type = Json)]
    pub snapshots: serde_json::Value,
    /// The latest check-in at or before the sweep's instant.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_check_in: Option<DateTime<Utc>>,
    /// The `since` of the latest silence flag.
    #[diesel(sql_type = Nullable<Date>)]
    pub flagged_since: Option<NaiveDate>,
    #[diesel(sql_type = SqlUuid)]
    pub street_id: OrgUnitId,
    #[diesel(sql_type = SqlUuid)]
    pub community_id: OrgUnitId,
    /// The address of the helper's account, when the helper has one.
    #[diesel(sql_type = Nullable<Text>)]
    pub helper_email: Option<String>,
}

/// What one sweep query asks: the district, the instant, the district-local date of today, the
/// district's offset and its current ladder's first step.
#[derive(Debug, Clone, Copy)]
pub struct SweepAt {
    pub tenant_id: TenantId,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub utc_offset_secs: i32,
    /// Minutes after the deadline of the current ladder's earliest step.
    pub first_step_minutes: i32,
}

/// The sweep's page: pairings with ids in `[first, last]` that it must look at. A pairing is left out,
/// in SQL, only when the crate's decision for it is certainly empty: for each of the two days no
/// snapshot (so no alert) and no worrying check-in, and the day settled by a `well` check-in at or
/// before its first step (or, for today, its deadline still ahead or a day off, with yesterday settled
/// by a `well` check-in: then no silence can be due either). Everything else is decided in Rust. The
/// two days' check-ins and snapshots are read once for the page's id range and joined (four index
/// probes per pairing and day cost most of a settled district's sweep).
const SWEEP_PAGE: &str = "\
WITH page AS ( \
    SELECT p.*, \
        ((d.day + make_interval(mins => p.deadline_minute::int)) - make_interval(secs => $5::int)) \
            AT TIME ZONE 'UTC' AS deadline, \
        d.day, d.day = $4::date AS is_today \
    FROM checkin_pairings p, (VALUES ($4::date - 1), ($4::date)) AS d(day) \
    WHERE p.tenant_id = $1 AND p.id BETWEEN $2 AND $3 AND p.created_at <= $6 \
      AND (p.ended_at IS NULL OR p.ended_at > $6 - interval '2 days') \
), check_ins AS ( \
    SELECT c.pairing_id, c.day, bool_or(c.outcome <> 'well') AS worrying, \
        min(c.logged_at) FILTER (WHERE c.outcome = 'well') AS first_well \
    FROM checkin_check_ins c \
    WHERE c.tenant_id = $1 AND c.day IN ($4::date - 1, $4::date) AND c.pairing_id BETWEEN $2 AND $3 \
      AND c.logged_at <= $6 \
    GROUP BY c.pairing_id, c.day \
), started AS ( \
    SELECT k.pairing_id, k.day FROM checkin_days k \
    WHERE k.tenant_id = $1 AND k.pairing_id BETWEEN $2 AND $3 AND k.day IN ($4::date - 1, $4::date) \
), days AS ( \
    SELECT page.id, page.is_today, \
        s.pairing_id IS NULL AND NOT coalesce(c.worrying, false) AS quiet, \
        coalesce(c.first_well <= page.deadline + make_interval(mins => $7::int), false) AS well, \
        page.deadline > $6 AS early, \
        page.starts_on > page.day \
        OR (page.days_off::int >> (extract(isodow FROM page.day)::int - 1)) & 1 = 1 AS off \
    FROM page \
    LEFT JOIN check_ins c ON c.pairing_id = page.id AND c.day = page.day \
    LEFT JOIN started s ON s.pairing_id = page.id AND s.day = page.day \
), settled AS ( \
    SELECT y.id FROM days y JOIN days t ON t.id = y.id AND t.is_today AND NOT y.is_today \
    WHERE y.quiet AND t.quiet AND (y.well OR y.off) AND (t.well OR ((t.early OR t.off) AND y.well)) \
) \
SELECT p.*, \
    coalesce((SELECT json_agg(json_build_object('starts_on', s.starts_on, 'ends_on', s.ends_on)) \
        FROM checkin_pauses s WHERE s.tenant_id = $1 AND s.pairing_id = p.id), '[]') AS pauses, \
    coalesce((SELECT json_agg(json_build_object('day', c.day, 'logged_at', c.logged_at, 'outcome', c.outcome)) \
        FROM checkin_check_ins c WHERE c.tenant_id = $1 AND c.day IN ($4::date - 1, $4::date) \
          AND c.pairing_id = p.id), '[]') AS check_ins, \
    coalesce((SELECT json_agg(json_build_object('day', a.day, 'step', a.step, \
            'acknowledged_at', a.acknowledged_at, 'cleared_at', a.cleared_at)) \
        FROM checkin_alerts a WHERE a.tenant_id = $1 AND a.pairing_id = p.id \
          AND a.day IN ($4::date - 1, $4::date)), '[]') AS alerts, \
    coalesce((SELECT json_agg(json_build_object('day', k.day, 'steps', k.steps)) \
        FROM checkin_days k WHERE k.tenant_id = $1 AND k.pairing_id = p.id \
          AND k.day IN ($4::date - 1, $4::date)), '[]') AS snapshots, \
    (SELECT max(c.logged_at) FROM checkin_check_ins c WHERE c.tenant_id = $1 AND c.pairing_id = p.id \
        AND c.logged_at <= $6) AS last_check_in, \
    (SELECT max(s.since) FROM checkin_silences s WHERE s.tenant_id = $1 AND s.pairing_id = p.id) \
        AS flagged_since, \
    f.street_id, f.community_id, u.email AS helper_email \
FROM checkin_pairings p \
JOIN families f ON f.tenant_id = p.tenant_id AND f.id = p.family_id \
JOIN checkin_helpers h ON h.tenant_id = p.tenant_id AND h.id = p.helper_id \
LEFT JOIN users u ON u.tenant_id = h.tenant_id AND u.id = h.user_id AND u.active \
WHERE p.id IN (SELECT DISTINCT id FROM page) AND p.id NOT IN (SELECT id FROM settled) \
  AND p.tenant_id = $1 \
ORDER BY p.id";

impl SweepRow {
    /// The ids bounding the next page of at most `limit` pairings after `after`, or None at the end.
    pub async fn next_page(
        conn: &mut AsyncPgConnection,
        after: PairingId,
        limit: i64,
    ) -> QueryResult<Option<(PairingId, PairingId)>> {
        #[derive(QueryableByName)]
        struct Bounds {
            #[diesel(sql_type = Nullable<SqlUuid>)]
            first: Option<PairingId>,
            #[diesel(sql_type = Nullable<SqlUuid>)]
            last: Option<PairingId>,
        }
        let b: Bounds = diesel::sql_query(
            "WITH s AS (SELECT id FROM checkin_pairings WHERE id > $1 ORDER BY id LIMIT $2) \
             SELECT (SELECT id FROM s ORDER BY id LIMIT 1) AS first, \
                    (SELECT id FROM s ORDER BY id DESC LIMIT 1) AS last",
        )
        .bind::<SqlUuid, _>(after)
        .bind::<BigInt, _>(limit)
        .get_result(conn)
        .await?;
        Ok(b.first.zip(b.last))
    }

    /// The pairings with ids in `[first, last]` the sweep must decide as of `at` (see [`SWEEP_PAGE`]).
    pub async fn page(
        conn: &mut AsyncPgConnection,
        at: SweepAt,
        first: PairingId,
        last: PairingId,
    ) -> QueryResult<Vec<SweepRow>> {
        diesel::sql_query(SWEEP_PAGE)
            .bind::<SqlUuid, _>(at.tenant_id)
            .bind::<SqlUuid, _>(first)
            .bind::<SqlUuid, _>(last)
            .bind::<Date, _>(at.today)
            .bind::<diesel::sql_types::Integer, _>(at.utc_offset_secs)
            .bind::<Timestamptz, _>(at.now)
            .bind::<diesel::sql_types::Integer, _>(at.first_step_minutes)
            .load(conn)
            .await
    }
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = checkin_pauses)]
pub struct PauseRow {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub pairing_id: PairingId,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub reason: PauseReason,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

impl PauseRow {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(checkin_pauses::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn of_pairings(
        conn: &mut AsyncPgConnection,
        ids: &[PairingId],
    ) -> QueryResult<Vec<PauseRow>> {
        checkin_pauses::table
            .filter(checkin_pauses::pairing_id.eq_any(ids))
            .select(PauseRow::as_select())
            .load(conn)
            .await
    }
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = checkin_check_ins)]
pub struct CheckInRow {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub pairing_id: PairingId,
    pub logged_at: DateTime<Utc>,
    pub day: NaiveDate,
    pub outcome: Outcome,
    pub how: CheckInHow,
    pub logged_by: UserId,
    pub on_behalf: bool,
}

/// The latest check-in of a pairing (any outcome), for the silence flag.
#[derive(Debug, Clone, QueryableByName)]
pub struct LastCheckIn {
    #[diesel(sql_type = SqlUuid)]
    pub pairing_id: PairingId,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

impl CheckInRow {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(checkin_check_ins::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// The check-ins of `pairings` on the given days.
    pub async fn of_days(
        conn: &mut AsyncPgConnection,
        pairings: &[PairingId],
        days: &[NaiveDate],
    ) -> QueryResult<Vec<CheckInRow>> {
        checkin_check_ins::table
            .filter(checkin_check_ins::day.eq_any(days))
            .filter(checkin_check_ins::pairing_id.eq_any(pairings))
            .select(CheckInRow::as_select())
            .load(conn)
            .await
    }

    /// Each pairing's latest check-in at or before `now`.
    pub async fn last_of(
        conn: &mut AsyncPgConnection,
        pairings: &[PairingId],
        now: DateTime<Utc>,
    ) -> QueryResult<Vec<LastCheckIn>> {
        diesel::sql_query(
            "SELECT pairing_id, max(logged_at) AS at FROM checkin_check_ins \
             WHERE pairing_id = ANY($1) AND logged_at <= $2 GROUP BY pairing_id",
        )
        .bind::<Array<SqlUuid>, _>(pairings)
        .bind::<Timestamptz, _>(now)
        .load(conn)
        .await
    }
}

/// A day's ladder snapshot.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = checkin_days)]
pub struct DayRow {
    pub tenant_id: TenantId,
    pub pairing_id: PairingId,
    pub day: NaiveDate,
    pub steps: serde_json::Value,
    pub started_at: DateTime<Utc>,
}

impl DayRow {
    /// Stores the snapshots of days starting now; a day some node started already keeps its own.
    pub async fn start_many(conn: &mut AsyncPgConnection, rows: &[DayRow]) -> QueryResult<()> {
        for chunk in rows.chunks(5000) {
            diesel::sql_query(
                "INSERT INTO checkin_days (tenant_id, pairing_id, day, steps, started_at) \
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::jsonb[], $5::timestamptz[]) \
                 ON CONFLICT DO NOTHING",
            )
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.tenant_id).collect::<Vec<_>>())
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.pairing_id).collect::<Vec<_>>())
            .bind::<Array<Date>, _>(chunk.iter().map(|r| r.day).collect::<Vec<_>>())
            .bind::<Array<Jsonb>, _>(chunk.iter().map(|r| r.steps.clone()).collect::<Vec<_>>())
            .bind::<Array<Timestamptz>, _>(chunk.iter().map(|r| r.started_at).collect::<Vec<_>>())
            .execute(conn)
            .await?;
        }
        Ok(())
    }

    pub async fn of_days(
        conn: &mut AsyncPgConnection,
        pairings: &[PairingId],
        days: &[NaiveDate],
    ) -> QueryResult<Vec<DayRow>> {
        checkin_days::table
            .filter(checkin_days::day.eq_any(days))
            .filter(checkin_days::pairing_id.eq_any(pairings))
            .select(DayRow::as_select())
            .load(conn)
            .await
    }
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = checkin_alerts)]
pub struct AlertRow {
    pub tenant_id: TenantId,
    pub id: AlertId,
    pub pairing_id: PairingId,
    pub day: NaiveDate,
    pub step: i16,
    pub recipient: String,
    pub cause: nuanxin_checkins::Cause,
    pub due_at: DateTime<Utc>,
    pub raised_at: DateTime<Utc>,
    pub late: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<UserId>,
    pub finding: Option<String>,
    pub cleared_at: Option<DateTime<Utc>>,
}

/// The key of an alert inserted by this transaction.
#[derive(Debug, Clone, QueryableByName)]
pub struct RaisedKey {
    #[diesel(sql_type = SqlUuid)]
    pub id: AlertId,
    #[diesel(sql_type = SqlUuid)]
    pub pairing_id: PairingId,
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Int2)]
    pub step: i16,
}

/// What a list of alerts may be narrowed to.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertFilter {
    /// Only those not acknowledged and not cleared.
    pub open_only: bool,
    /// Only the alerts of this helper's pairings (a volunteer's own).
    pub helper: Option<HelperId>,
    /// Only those raised at or after.
    pub since: Option<DateTime<Utc>>,
}

impl AlertRow {
    /// Inserts the alerts under their unique key; returns the keys this transaction inserted (a step
    /// some node raised already is skipped, and its mail with it).
    pub async fn raise_many(
        conn: &mut AsyncPgConnection,
        rows: &[AlertRow],
    ) -> QueryResult<Vec<RaisedKey>> {
        let mut inserted = Vec::new();
        for chunk in rows.chunks(5000) {
            let mut keys: Vec<RaisedKey> = diesel::sql_query(
                "INSERT INTO checkin_alerts (tenant_id, id, pairing_id, day, step, recipient, cause, \
                     due_at, raised_at, late) \
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::int2[], \
                     $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::bool[]) \
                 ON CONFLICT (tenant_id, pairing_id, day, step, recipient) DO NOTHING \
                 RETURNING id, pairing_id, day, step",
            )
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.tenant_id).collect::<Vec<_>>())
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.pairing_id).collect::<Vec<_>>())
            .bind::<Array<Date>, _>(chunk.iter().map(|r| r.day).collect::<Vec<_>>())
            .bind::<Array<Int2>, _>(chunk.iter().map(|r| r.step).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(chunk.iter().map(|r| r.recipient.clone()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(chunk.iter().map(|r| r.cause.as_str()).collect::<Vec<_>>())
            .bind::<Array<Timestamptz>, _>(chunk.iter().map(|r| r.due_at).collect::<Vec<_>>())
            .bind::<Array<Timestamptz>, _>(chunk.iter().map(|r| r.raised_at).collect::<Vec<_>>())
            .bind::<Array<Bool>, _>(chunk.iter().map(|r| r.late).collect::<Vec<_>>())
            .load(conn)
            .await?;
            inserted.append(&mut keys);
        }
        Ok(inserted)
    }

    /// Marks the all-clear sent for the given alerts; returns the ids this transaction marked (an
    /// all-clear some node sent already is skipped).
    pub async fn clear_many(
        conn: &mut AsyncPgConnection,
        keys: &[(PairingId, NaiveDate, i16)],
        at: DateTime<Utc>,
    ) -> QueryResult<Vec<AlertRow>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        diesel::sql_query(
            "UPDATE checkin_alerts a SET cleared_at = $4 \
             FROM unnest($1::uuid[], $2::date[], $3::int2[]) AS k(pairing_id, day, step) \
             WHERE a.pairing_id = k.pairing_id AND a.day = k.day AND a.step = k.step \
               AND a.cleared_at IS NULL \
             RETURNING a.*",
        )
        .bind::<Array<SqlUuid>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind::<Array<Date>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind::<Array<Int2>, _>(keys.iter().map(|k| k.2).collect::<Vec<_>>())
        .bind::<Timestamptz, _>(at)
        .load(conn)
        .await
    }

    pub async fn of_days(
        conn: &mut AsyncPgConnection,
        pairings: &[PairingId],
        days: &[NaiveDate],
    ) -> QueryResult<Vec<AlertRow>> {
        checkin_alerts::table
            .filter(checkin_alerts::day.eq_any(days))
            .filter(checkin_alerts::pairing_id.eq_any(pairings))
            .select(AlertRow::as_select())
            .load(conn)
            .await
    }

    /// Alerts of pairings in `scope`, newest first.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        filter: AlertFilter,
    ) -> QueryResult<Vec<AlertRow>> {
        let mut pairings = checkin_pairings::table
            .filter(in_scope(scope, PAIRINGS))
            .select(checkin_pairings::id)
            .into_boxed();
        if let Some(h) = filter.helper {
            pairings = pairings.filter(checkin_pairings::helper_id.eq(h));
        }
        let mut q = checkin_alerts::table
            .filter(checkin_alerts::pairing_id.eq_any(pairings))
            .select(AlertRow::as_select())
            .order((
                checkin_alerts::raised_at.desc(),
                checkin_alerts::step.desc(),
            ))
            .into_boxed();
        if filter.open_only {
            q = q
                .filter(checkin_alerts::acknowledged_at.is_null())
                .filter(checkin_alerts::cleared_at.is_null());
        }
        if let Some(since) = filter.since {
            q = q.filter(checkin_alerts::raised_at.ge(since));
        }
        q.limit(500).load(conn).await
    }

    /// The alert, locked, if its pairing is in `scope`.
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        id: AlertId,
    ) -> QueryResult<Option<AlertRow>> {
        let pairings = checkin_pairings::table
            .filter(in_scope(scope, PAIRINGS))
            .select(checkin_pairings::id);
        checkin_alerts::table
            .filter(checkin_alerts::id.eq(id))
            .filter(checkin_alerts::pairing_id.eq_any(pairings))
            .for_update()
            .select(AlertRow::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Acknowledges every alert of the pairing's day not yet acknowledged: one person looked, the
    /// ladder stops for everyone. Returns how many.
    pub async fn acknowledge_day(
        conn: &mut AsyncPgConnection,
        pairing: PairingId,
        day: NaiveDate,
        at: DateTime<Utc>,
        by: UserId,
        finding: &str,
    ) -> QueryResult<usize> {
        diesel::update(
            checkin_alerts::table
                .filter(checkin_alerts::pairing_id.eq(pairing))
                .filter(checkin_alerts::day.eq(day))
                .filter(checkin_alerts::acknowledged_at.is_null()),
        )
        .set((
            checkin_alerts::acknowledged_at.eq(Some(at)),
            checkin_alerts::acknowledged_by.eq(Some(by)),
            checkin_alerts::finding.eq(Some(finding)),
        ))
        .execute(conn)
        .await
    }
}

/// A silent stretch flagged to the community worker.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = checkin_silences)]
pub struct SilenceRow {
    pub tenant_id: TenantId,
    pub pairing_id: PairingId,
    pub since: NaiveDate,
    pub raised_at: DateTime<Utc>,
}

/// A pairing's latest flagged stretch.
#[derive(Debug, Clone, QueryableByName)]
pub struct LastSilence {
    #[diesel(sql_type = SqlUuid)]
    pub pairing_id: PairingId,
    #[diesel(sql_type = Date)]
    pub since: NaiveDate,
}

impl SilenceRow {
    /// Inserts the flags; returns the (pairing, since) this transaction inserted.
    pub async fn flag_many(
        conn: &mut AsyncPgConnection,
        rows: &[SilenceRow],
    ) -> QueryResult<Vec<LastSilence>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        diesel::sql_query(
            "INSERT INTO checkin_silences (tenant_id, pairing_id, since, raised_at) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::timestamptz[]) \
             ON CONFLICT DO NOTHING RETURNING pairing_id, since",
        )
        .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.tenant_id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.pairing_id).collect::<Vec<_>>())
        .bind::<Array<Date>, _>(rows.iter().map(|r| r.since).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.raised_at).collect::<Vec<_>>())
        .load(conn)
        .await
    }

    /// Each pairing's latest flagged stretch.
    pub async fn last_of(
        conn: &mut AsyncPgConnection,
        pairings: &[PairingId],
    ) -> QueryResult<Vec<LastSilence>> {
        diesel::sql_query(
            "SELECT pairing_id, max(since) AS since FROM checkin_silences \
             WHERE pairing_id = ANY($1) GROUP BY pairing_id",
        )
        .bind::<Array<SqlUuid>, _>(pairings)
        .load(conn)
        .await
    }
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = checkin_emergencies)]
pub struct EmergencyRow {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub pairing_id: PairingId,
    pub what: String,
    pub ambulance: bool,
    pub hospital: Option<String>,
    pub outcome: Option<String>,
    pub recorded_by: UserId,
    pub recorded_at: DateTime<Utc>,
}

impl EmergencyRow {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(checkin_emergencies::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }
}

/// Where a pairing's family belongs, for addressing its alerts.
#[derive(Debug, Clone, Copy, Queryable)]
pub struct FamilyUnits {
    pub id: FamilyId,
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
}

/// The street and community of each family.
pub async fn family_units(
    conn: &mut AsyncPgConnection,
    ids: &[FamilyId],
) -> QueryResult<Vec<FamilyUnits>> {
    use crate::schema::families;
    families::table
        .filter(families::id.eq_any(ids))
        .select((families::id, families::street_id, families::community_id))
        .load(conn)
        .await
}

/// Every active user's e-mail address with their org unit (one district: hundreds of rows).
pub async fn emails_by_unit(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(OrgUnitId, String)>> {
    use crate::schema::users;
    users::table
        .filter(users::active)
        .filter(users::email.is_not_null())
        .select((users::org_unit_id, users::email.assume_not_null()))
        .load(conn)
        .await
}

/// The e-mail addresses of these users, by user.
pub async fn emails_of_users(
    conn: &mut AsyncPgConnection,
    ids: &[UserId],
) -> QueryResult<Vec<(UserId, String)>> {
    use crate::schema::users;
    users::table
        .filter(users::id.eq_any(ids))
        .filter(users::active)
        .filter(users::email.is_not_null())
        .select((users::id, users::email.assume_not_null()))
        .load(conn)
        .await
}

/// The e-mail addresses of the family's contact persons who have an account (their `contact`
/// assignment in force).
pub async fn emails_of_contacts(
    conn: &mut AsyncPgConnection,
    family_id: FamilyId,
) -> QueryResult<Vec<String>> {
    use crate::schema::{family_assignments, users};
    let contacts = family_assignments::table
        .filter(family_assignments::family_id.eq(family_id))
        .filter(family_assignments::source.eq("contact"))
        .filter(family_assignments::ends_at.is_null())
        .filter(family_assignments::user_id.is_not_null())
        .select(family_assignments::user_id.assume_not_null());
    users::table
        .filter(users::id.eq_any(contacts))
        .filter(users::active)
        .filter(users::email.is_not_null())
        .select(users::email.assume_not_null())
        .load(conn)
        .await
}

/// Records that the district office was told of the stall after `last_success_at`; false when some
/// node told it already.
pub async fn tell_stall(
    conn: &mut AsyncPgConnection,
    tenant_id: TenantId,
    last_success_at: DateTime<Utc>,
) -> QueryResult<bool> {
    use crate::schema::checkin_sweep_stalls;
    let n = diesel::insert_into(checkin_sweep_stalls::table)
        .values((
            checkin_sweep_stalls::tenant_id.eq(tenant_id),
            checkin_sweep_stalls::last_success_at.eq(last_success_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// When `job` last succeeded for `domain` (the scheduler's `job_runs`), if it ever did.
pub async fn last_success_of(
    conn: &mut AsyncPgConnection,
    job: &str,
    domain: &str,
) -> QueryResult<Option<DateTime<Utc>>> {
    use crate::schema::job_runs;
    Ok(job_runs::table
        .filter(job_runs::job.eq(job))
        .filter(job_runs::domain.eq(domain))
        .select(job_runs::last_success_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .await
        .optional()?
        .flatten())
}
