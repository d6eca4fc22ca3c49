//! Service tasks and volunteer matching: volunteers, tasks, matching runs, offers (one per helper slot, the
//! slot's whole life) and the notices waiting to be mailed.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_domain::family::FamilyStatus;
use nuanxin_domain::tasks::{OfferStatus, TaskStatus, Urgency};
use nuanxin_ids::{
    FamilyId, MatchingRunId, OfferId, OrgUnitId, TaskId, TenantId, UserId, VolunteerId,
};
use uuid::Uuid;

pub mod proposals;

use crate::schema::{matching_runs, service_tasks, task_notices, task_offers, users, volunteers};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = volunteers)]
pub struct Volunteer {
    pub tenant_id: TenantId,
    pub id: VolunteerId,
    pub organization_id: Option<OrgUnitId>,
    pub user_id: Option<UserId>,
    pub name: String,
    pub email: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub skills: serde_json::Value,
    pub qualifications: serde_json::Value,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub availability: serde_json::Value,
    pub weekly_max: i16,
    pub preference: i16,
    pub training: serde_json::Value,
    pub no_shows: i32,
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a volunteer's update replaces.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = volunteers, treat_none_as_null = true)]
pub struct VolunteerUpdate {
    pub organization_id: Option<OrgUnitId>,
    pub user_id: Option<UserId>,
    pub name: String,
    pub email: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub skills: serde_json::Value,
    pub qualifications: serde_json::Value,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub availability: serde_json::Value,
    pub weekly_max: i16,
    pub preference: i16,
    pub training: serde_json::Value,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

impl Volunteer {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(volunteers::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: VolunteerId,
    ) -> QueryResult<Option<Volunteer>> {
        volunteers::table
            .filter(volunteers::id.eq(id))
            .select(Volunteer::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The volunteer record of a user account.
    pub async fn of_user(
        conn: &mut AsyncPgConnection,
        user: UserId,
    ) -> QueryResult<Option<Volunteer>> {
        volunteers::table
            .filter(volunteers::user_id.eq(user))
            .select(Volunteer::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// A page of volunteers by name: of one organization (`Some(Some(org))`), the independent ones
    /// (`Some(None)`) or all (`None`).
    pub async fn list(
        conn: &mut AsyncPgConnection,
        organization: Option<Option<OrgUnitId>>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<Volunteer>, i64)> {
        let build = || {
            let mut q = volunteers::table.into_boxed::<Pg>();
            match organization {
                Some(Some(org)) => q = q.filter(volunteers::organization_id.eq(org)),
                Some(None) => q = q.filter(volunteers::organization_id.is_null()),
                None => {}
            }
            q
        };
        let total = build().count().get_result(conn).await?;
        let rows = build()
            .order((volunteers::name, volunteers::id))
            .limit(limit)
            .offset(offset)
            .select(Volunteer::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    /// Inserts many volunteers (an import), in chunks that keep within the bind-parameter limit.
    pub async fn insert_many(conn: &mut AsyncPgConnection, rows: &[Volunteer]) -> QueryResult<()> {
        for chunk in rows.chunks(2000) {
            diesel::insert_into(volunteers::table)
                .values(chunk)
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// Every active volunteer of the district (the matching's helpers).
    pub async fn active(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Volunteer>> {
        volunteers::table
            .filter(volunteers::active.eq(true))
            .order(volunteers::id)
            .select(Volunteer::as_select())
            .load(conn)
            .await
    }

    pub async fn update(
        conn: &mut AsyncPgConnection,
        id: VolunteerId,
        change: &VolunteerUpdate,
    ) -> QueryResult<bool> {
        diesel::update(volunteers::table.filter(volunteers::id.eq(id)))
            .set(change)
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    /// The names of these volunteers.
    pub async fn names(
        conn: &mut AsyncPgConnection,
        ids: &[VolunteerId],
    ) -> QueryResult<Vec<(VolunteerId, String)>> {
        volunteers::table
            .filter(volunteers::id.eq_any(ids))
            .select((volunteers::id, volunteers::name))
            .load(conn)
            .await
    }

    /// Adds a no-show to the volunteer's record.
    pub async fn add_no_show(conn: &mut AsyncPgConnection, id: VolunteerId) -> QueryResult<()> {
        diesel::update(volunteers::table.filter(volunteers::id.eq(id)))
            .set(volunteers::no_shows.eq(volunteers::no_shows + 1))
            .execute(conn)
            .await
            .map(drop)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_tasks)]
pub struct ServiceTask {
    pub tenant_id: TenantId,
    pub id: TaskId,
    pub family_id: FamilyId,
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    pub series_id: Uuid,
    pub service: String,
    pub qualifications: serde_json::Value,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub by_phone: bool,
    pub helpers_needed: i16,
    pub urgency: Urgency,
    pub long_term: bool,
    pub contact_name: String,
    pub contact_phone_enc: Option<Vec<u8>>,
    pub notes: String,
    pub status: TaskStatus,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Whose tasks a caller reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskReach {
    District,
    Street(OrgUnitId),
    Community(OrgUnitId),
    /// Tasks offered or assigned to the organization, closed no earlier than `since`.
    Organization {
        org: OrgUnitId,
        since: DateTime<Utc>,
    },
    /// Tasks the volunteer was assigned (or, independent, offered), closed no earlier than `since`.
    Volunteer {
        volunteer: VolunteerId,
        since: DateTime<Utc>,
    },
    Nothing,
}

type TaskFilter = Box<dyn BoxableExpression<service_tasks::table, Pg, SqlType = Bool>>;

/// The SQL of a reach over `service_tasks`.
fn reach_filter(reach: TaskReach) -> TaskFilter {
    let recent = |since| {
        sql::<Bool>("(service_tasks.closed_at IS NULL OR service_tasks.closed_at >= ")
            .bind::<Timestamptz, _>(since)
            .sql(")")
    };
    match reach {
        TaskReach::District => Box::new(sql::<Bool>("true")),
        TaskReach::Nothing => Box::new(sql::<Bool>("false")),
        TaskReach::Street(s) => Box::new(service_tasks::street_id.eq(s)),
        TaskReach::Community(c) => Box::new(service_tasks::community_id.eq(c)),
        TaskReach::Organization { org, since } => Box::new(
            sql::<Bool>(
                "EXISTS (SELECT 1 FROM task_offers o WHERE o.tenant_id = service_tasks.tenant_id \
                 AND o.task_id = service_tasks.id AND o.organization_id = ",
            )
            .bind::<SqlUuid, _>(org)
            .sql(")")
            .and(recent(since)),
        ),
        TaskReach::Volunteer { volunteer, since } => Box::new(
            sql::<Bool>(
                "EXISTS (SELECT 1 FROM task_offers o WHERE o.tenant_id = service_tasks.tenant_id \
                 AND o.task_id = service_tasks.id AND (o.assigned_volunteer_id = ",
            )
            .bind::<SqlUuid, _>(volunteer)
            .sql(" OR (o.organization_id IS NULL AND o.volunteer_id = ")
            .bind::<SqlUuid, _>(volunteer)
            .sql(")))")
            .and(recent(since)),
        ),
    }
}

impl ServiceTask {
    pub async fn insert_many(
        conn: &mut AsyncPgConnection,
        rows: &[ServiceTask],
    ) -> QueryResult<()> {
        diesel::insert_into(service_tasks::table)
            .values(rows)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        reach: TaskReach,
        id: TaskId,
    ) -> QueryResult<Option<ServiceTask>> {
        service_tasks::table
            .filter(service_tasks::id.eq(id))
            .filter(reach_filter(reach))
            .select(ServiceTask::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// A page of the tasks in reach, soonest window first; `status` filters when given.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        reach: TaskReach,
        status: Option<TaskStatus>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<ServiceTask>, i64)> {
        let build = || {
            let mut q = service_tasks::table
                .into_boxed::<Pg>()
                .filter(reach_filter(reach));
            if let Some(s) = status {
                q = q.filter(service_tasks::status.eq(s));
            }
            q
        };
        let total = build().count().get_result(conn).await?;
        let rows = build()
            .order((service_tasks::starts_at, service_tasks::id))
            .limit(limit)
            .offset(offset)
            .select(ServiceTask::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    /// Open tasks starting between `from` and `until` (of one street when given): what a run matches.
    pub async fn to_match(
        conn: &mut AsyncPgConnection,
        street: Option<OrgUnitId>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> QueryResult<Vec<ServiceTask>> {
        let mut q = service_tasks::table
            .into_boxed::<Pg>()
            .filter(service_tasks::status.eq(TaskStatus::Open))
            .filter(service_tasks::starts_at.ge(from))
            .filter(service_tasks::starts_at.lt(until));
        if let Some(s) = street {
            q = q.filter(service_tasks::street_id.eq(s));
        }
        q.order(service_tasks::id)
            .select(ServiceTask::as_select())
            .load(conn)
            .await
    }

    /// Closes an open task with `status` (done, lapsed); false when it was not open.
    pub async fn close(
        conn: &mut AsyncPgConnection,
        id: TaskId,
        status: TaskStatus,
        at: DateTime<Utc>,
    ) -> QueryResult<bool> {
        diesel::update(
            service_tasks::table
                .filter(service_tasks::id.eq(id))
                .filter(service_tasks::status.eq(TaskStatus::Open)),
        )
        .set((
            service_tasks::status.eq(status),
            service_tasks::closed_at.eq(Some(at)),
        ))
        .execute(conn)
        .await
        .map(|n| n == 1)
    }

    /// Open tasks whose window ended before `before`: closed as done when every slot was done, else
    /// lapsed. Returns how many were closed.
    pub async fn close_past(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
    ) -> QueryResult<usize> {
        diesel::sql_query(
            "UPDATE service_tasks t SET closed_at = now(), status = CASE WHEN \
               (SELECT count(*) FROM task_offers o WHERE o.tenant_id = t.tenant_id AND o.task_id = t.id \
                AND o.status = 'done') >= t.helpers_needed THEN 'done' ELSE 'lapsed' END \
             WHERE t.status = 'open' AND t.ends_at < $1 \
               AND NOT EXISTS (SELECT 1 FROM task_offers o WHERE o.tenant_id = t.tenant_id \
                               AND o.task_id = t.id AND o.status = 'checked_in')",
        )
        .bind::<Timestamptz, _>(before)
        .execute(conn)
        .await
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = matching_runs)]
pub struct NewMatchingRun {
    pub tenant_id: TenantId,
    pub id: MatchingRunId,
    pub started_by: String,
    pub street_id: Option<OrgUnitId>,
    pub tasks: i32,
    pub candidates: i32,
    pub offers: i32,
    pub cost: i64,
    pub unfilled: serde_json::Value,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = matching_runs)]
pub struct MatchingRun {
    pub tenant_id: TenantId,
    pub id: MatchingRunId,
    pub started_by: String,
    pub street_id: Option<OrgUnitId>,
    pub started_at: DateTime<Utc>,
    pub tasks: i32,
    pub candidates: i32,
    pub offers: i32,
    pub cost: i64,
    pub unfilled: serde_json::Value,
}

impl NewMatchingRun {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(matching_runs::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// Records what the run wrote in the end (offers lost to a concurrent run are not counted).
    pub async fn set_offers(
        conn: &mut AsyncPgConnection,
        id: MatchingRunId,
        offers: i32,
    ) -> QueryResult<()> {
        diesel::update(matching_runs::table.filter(matching_runs::id.eq(id)))
            .set(matching_runs::offers.eq(offers))
            .execute(conn)
            .await
            .map(drop)
    }
}

impl MatchingRun {
    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: MatchingRunId,
    ) -> QueryResult<Option<MatchingRun>> {
        matching_runs::table
            .filter(matching_runs::id.eq(id))
            .select(MatchingRun::as_select())
            .first(conn)
            .await
            .optional()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = task_offers)]
pub struct TaskOffer {
    pub tenant_id: TenantId,
    pub id: OfferId,
    pub task_id: TaskId,
    pub run_id: MatchingRunId,
    pub slot: i16,
    pub volunteer_id: VolunteerId,
    pub organization_id: Option<OrgUnitId>,
    pub assigned_volunteer_id: Option<VolunteerId>,
    pub status: OfferStatus,
    pub cost: i64,
    pub reasons: String,
    pub deadline: DateTime<Utc>,
    pub decline_reason: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub minutes: Option<i32>,
    pub report: Option<String>,
    pub concern: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change of an offer's life (only the fields given change).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = task_offers)]
pub struct OfferChange {
    pub status: Option<OfferStatus>,
    pub assigned_volunteer_id: Option<VolunteerId>,
    pub decline_reason: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub minutes: Option<i32>,
    pub report: Option<String>,
    pub concern: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Per volunteer: tasks held in a coming window, offers received recently.
#[derive(Debug, Clone, QueryableByName)]
pub struct Load {
    #[diesel(sql_type = SqlUuid)]
    pub volunteer_id: VolunteerId,
    #[diesel(sql_type = Integer)]
    pub held: i32,
    #[diesel(sql_type = Integer)]
    pub recent: i32,
}

/// Completed visits of a volunteer to a household.
#[derive(Debug, Clone, QueryableByName)]
pub struct Visit {
    #[diesel(sql_type = SqlUuid)]
    pub family_id: FamilyId,
    #[diesel(sql_type = SqlUuid)]
    pub volunteer_id: VolunteerId,
    #[diesel(sql_type = Integer)]
    pub visits: i32,
}

/// A held window of a volunteer.
#[derive(Debug, Clone, QueryableByName)]
pub struct Busy {
    #[diesel(sql_type = SqlUuid)]
    pub volunteer_id: VolunteerId,
    #[diesel(sql_type = Timestamptz)]
    pub starts_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub ends_at: DateTime<Utc>,
}

/// A long-term pairing's helper: the last volunteer to serve the household in that service.
#[derive(Debug, Clone, QueryableByName)]
pub struct Pairing {
    #[diesel(sql_type = SqlUuid)]
    pub family_id: FamilyId,
    #[diesel(sql_type = Text)]
    pub service: String,
    #[diesel(sql_type = SqlUuid)]
    pub volunteer_id: VolunteerId,
}

/// Hours of service per volunteer over a period.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hours {
    #[diesel(sql_type = SqlUuid)]
    pub volunteer_id: VolunteerId,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub organization_id: Option<OrgUnitId>,
    #[diesel(sql_type = BigInt)]
    pub tasks: i64,
    #[diesel(sql_type = BigInt)]
    pub minutes: i64,
}

impl TaskOffer {
    /// Inserts the offers whose slot and volunteer are still free; returns those inserted. A concurrent
    /// run that took a slot first wins it (`task_offers_live_slot`), and this one skips it.
    pub async fn insert_new(
        conn: &mut AsyncPgConnection,
        rows: &[TaskOffer],
    ) -> QueryResult<Vec<TaskOffer>> {
        let mut inserted = Vec::new();
        for chunk in rows.chunks(2000) {
            inserted.extend(
                diesel::insert_into(task_offers::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .returning(TaskOffer::as_returning())
                    .get_results(conn)
                    .await?,
            );
        }
        Ok(inserted)
    }

    /// Every offer of these tasks.
    pub async fn of_tasks(
        conn: &mut AsyncPgConnection,
        tasks: &[TaskId],
    ) -> QueryResult<Vec<TaskOffer>> {
        let mut out = Vec::new();
        for chunk in tasks.chunks(10_000) {
            out.extend(
                task_offers::table
                    .filter(task_offers::task_id.eq_any(chunk))
                    .order((
                        task_offers::task_id,
                        task_offers::slot,
                        task_offers::created_at,
                    ))
                    .select(TaskOffer::as_select())
                    .load(conn)
                    .await?,
            );
        }
        Ok(out)
    }

    /// The offers a run wrote.
    pub async fn of_run(
        conn: &mut AsyncPgConnection,
        run: MatchingRunId,
    ) -> QueryResult<Vec<TaskOffer>> {
        task_offers::table
            .filter(task_offers::run_id.eq(run))
            .order((task_offers::task_id, task_offers::slot))
            .select(TaskOffer::as_select())
            .load(conn)
            .await
    }

    /// One offer, locked for its transition (two answers at once are applied one after the other).
    pub async fn lock(conn: &mut AsyncPgConnection, id: OfferId) -> QueryResult<Option<TaskOffer>> {
        task_offers::table
            .filter(task_offers::id.eq(id))
            .for_update()
            .select(TaskOffer::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn change(
        conn: &mut AsyncPgConnection,
        id: OfferId,
        change: &OfferChange,
    ) -> QueryResult<()> {
        diesel::update(task_offers::table.filter(task_offers::id.eq(id)))
            .set(change)
            .execute(conn)
            .await
            .map(drop)
    }

    /// Offers answered by an organization (or an independent volunteer), newest first.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        organization: Option<OrgUnitId>,
        volunteer: Option<VolunteerId>,
        status: Option<OfferStatus>,
        limit: i64,
    ) -> QueryResult<Vec<TaskOffer>> {
        let mut q = task_offers::table.into_boxed::<Pg>();
        match (organization, volunteer) {
            (Some(org), _) => q = q.filter(task_offers::organization_id.eq(org)),
            (None, Some(v)) => {
                q = q.filter(
                    task_offers::assigned_volunteer_id
                        .eq(v)
                        .or(task_offers::organization_id
                            .is_null()
                            .and(task_offers::volunteer_id.eq(v))),
                )
            }
            (None, None) => {}
        }
        if let Some(s) = status {
            q = q.filter(task_offers::status.eq(s));
        }
        q.order((task_offers::created_at.desc(), task_offers::id))
            .limit(limit)
            .select(TaskOffer::as_select())
            .load(conn)
            .await
    }

    /// Each volunteer's tasks held with windows in [from, until), and offers received since `recent`.
    pub async fn loads(
        conn: &mut AsyncPgConnection,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        recent: DateTime<Utc>,
    ) -> QueryResult<Vec<Load>> {
        diesel::sql_query(
            "SELECT o.volunteer_id, \
               count(*) FILTER (WHERE o.status IN ('offered', 'accepted', 'assigned', 'checked_in', 'done') \
                                AND t.starts_at >= $1 AND t.starts_at < $2)::int AS held, \
               count(*) FILTER (WHERE o.created_at >= $3)::int AS recent \
             FROM task_offers o JOIN service_tasks t ON t.tenant_id = o.tenant_id AND t.id = o.task_id \
             WHERE o.created_at >= $3 OR (t.starts_at >= $1 AND t.starts_at < $2) \
             GROUP BY o.volunteer_id",
        )
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(until)
        .bind::<Timestamptz, _>(recent)
        .load(conn)
        .await
    }

    /// Windows held by volunteers (offered to assigned) ending after `from`.
    pub async fn busy(conn: &mut AsyncPgConnection, from: DateTime<Utc>) -> QueryResult<Vec<Busy>> {
        diesel::sql_query(
            "SELECT COALESCE(o.assigned_volunteer_id, o.volunteer_id) AS volunteer_id, t.starts_at, t.ends_at \
             FROM task_offers o JOIN service_tasks t ON t.tenant_id = o.tenant_id AND t.id = o.task_id \
             WHERE o.status IN ('offered', 'accepted', 'assigned', 'checked_in') AND t.ends_at > $1",
        )
        .bind::<Timestamptz, _>(from)
        .load(conn)
        .await
    }

    /// Completed visits per household and volunteer, for these households.
    pub async fn visits(
        conn: &mut AsyncPgConnection,
        families: &[FamilyId],
    ) -> QueryResult<Vec<Visit>> {
        diesel::sql_query(
            "SELECT t.family_id, o.assigned_volunteer_id AS volunteer_id, count(*)::int AS visits \
             FROM task_offers o JOIN service_tasks t ON t.tenant_id = o.tenant_id AND t.id = o.task_id \
             WHERE o.status = 'done' AND t.family_id = ANY($1) \
             GROUP BY t.family_id, o.assigned_volunteer_id",
        )
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(families)
        .load(conn)
        .await
    }

    /// The helper of each long-term pairing of these households: the volunteer of the latest occurrence
    /// assigned or done.
    pub async fn pairings(
        conn: &mut AsyncPgConnection,
        families: &[FamilyId],
    ) -> QueryResult<Vec<Pairing>> {
        diesel::sql_query(
            "SELECT DISTINCT ON (t.family_id, t.service) t.family_id, t.service, \
                    o.assigned_volunteer_id AS volunteer_id \
             FROM task_offers o JOIN service_tasks t ON t.tenant_id = o.tenant_id AND t.id = o.task_id \
             WHERE t.long_term AND t.family_id = ANY($1) AND o.assigned_volunteer_id IS NOT NULL \
               AND o.status IN ('assigned', 'checked_in', 'done') \
             ORDER BY t.family_id, t.service, t.starts_at DESC",
        )
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(families)
        .load(conn)
        .await
    }

    /// Offers still awaiting an answer after their deadline.
    pub async fn overdue(
        conn: &mut AsyncPgConnection,
        now: DateTime<Utc>,
    ) -> QueryResult<Vec<OfferId>> {
        task_offers::table
            .filter(task_offers::status.eq(OfferStatus::Offered))
            .filter(task_offers::deadline.lt(now))
            .select(task_offers::id)
            .load(conn)
            .await
    }

    /// Accepted or assigned offers whose window ended before `before` without a check-in.
    pub async fn missed(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
    ) -> QueryResult<Vec<OfferId>> {
        task_offers::table
            .inner_join(
                service_tasks::table.on(service_tasks::tenant_id
                    .eq(task_offers::tenant_id)
                    .and(service_tasks::id.eq(task_offers::task_id))),
            )
            .filter(task_offers::status.eq_any([OfferStatus::Accepted, OfferStatus::Assigned]))
            .filter(service_tasks::ends_at.lt(before))
            .select(task_offers::id)
            .load(conn)
            .await
    }

    /// Assigned offers whose window starts within [now, until): the volunteer is reminded.
    pub async fn starting(
        conn: &mut AsyncPgConnection,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> QueryResult<Vec<(OfferId, VolunteerId)>> {
        task_offers::table
            .inner_join(
                service_tasks::table.on(service_tasks::tenant_id
                    .eq(task_offers::tenant_id)
                    .and(service_tasks::id.eq(task_offers::task_id))),
            )
            .filter(task_offers::status.eq(OfferStatus::Assigned))
            .filter(service_tasks::starts_at.ge(now))
            .filter(service_tasks::starts_at.lt(until))
            .select((
                task_offers::id,
                task_offers::assigned_volunteer_id.assume_not_null(),
            ))
            .load(conn)
            .await
    }

    /// Hours of done offers with a check-out in [from, until), per volunteer who went.
    pub async fn hours(
        conn: &mut AsyncPgConnection,
        organization: Option<OrgUnitId>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> QueryResult<Vec<Hours>> {
        diesel::sql_query(
            "SELECT v.id AS volunteer_id, v.name, v.organization_id, count(*) AS tasks, \
                    sum(o.minutes)::int8 AS minutes \
             FROM task_offers o JOIN volunteers v ON v.tenant_id = o.tenant_id AND v.id = o.assigned_volunteer_id \
             WHERE o.status = 'done' AND o.checked_out_at >= $1 AND o.checked_out_at < $2 \
               AND ($3::uuid IS NULL OR v.organization_id = $3) \
             GROUP BY v.id, v.name, v.organization_id ORDER BY v.organization_id NULLS LAST, v.name, v.id",
        )
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(until)
        .bind::<Nullable<SqlUuid>, _>(organization)
        .load(conn)
        .await
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = task_notices)]
pub struct NewNotice {
    pub tenant_id: TenantId,
    pub id: Uuid,
    /// `offer`, `answer`, `assignment`, `reminder`, `no_show`.
    pub kind: &'static str,
    pub offer_id: OfferId,
    pub recipient: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = task_notices)]
pub struct Notice {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub kind: String,
    pub offer_id: OfferId,
    pub recipient: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl NewNotice {
    /// Queues the notices not queued before (one per kind, offer and recipient, ever).
    pub async fn queue(conn: &mut AsyncPgConnection, rows: &[NewNotice]) -> QueryResult<usize> {
        let mut n = 0;
        for chunk in rows.chunks(5000) {
            n += diesel::insert_into(task_notices::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        Ok(n)
    }
}

impl Notice {
    /// Pending notices, locked so two mailers never take the same ones (the second skips them).
    pub async fn pending(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Notice>> {
        task_notices::table
            .filter(task_notices::sent_at.is_null())
            .order((task_notices::recipient, task_notices::created_at))
            .limit(limit)
            .for_update()
            .skip_locked()
            .select(Notice::as_select())
            .load(conn)
            .await
    }

    pub async fn mark_sent(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<()> {
        diesel::update(task_notices::table.filter(task_notices::id.eq_any(ids)))
            .set(task_notices::sent_at.eq(Some(Utc::now())))
            .execute(conn)
            .await
            .map(drop)
    }
}

/// The e-mail addresses of an org unit's active staff who have one, leaving out its volunteers' own
/// accounts (they are told about their own tasks only).
pub async fn staff_emails(
    conn: &mut AsyncPgConnection,
    unit: OrgUnitId,
) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::org_unit_id.eq(unit))
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(
            volunteers::table.filter(
                volunteers::tenant_id
                    .eq(users::tenant_id)
                    .and(volunteers::user_id.eq(users::id.nullable())),
            ),
        )))
        .select(users::email.assume_not_null())
        .order(users::id)
        .load(conn)
        .await
}

/// Where a household is: what a task for it copies.
#[derive(Debug, Clone, Queryable)]
pub struct FamilyPlace {
    pub id: FamilyId,
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub status: FamilyStatus,
}

/// The places of families in `scope` among `ids`.
pub async fn family_places(
    conn: &mut AsyncPgConnection,
    scope: nuanxin_access::Scope,
    ids: &[FamilyId],
) -> QueryResult<Vec<FamilyPlace>> {
    use crate::schema::families;
    use crate::scope::{in_scope, FAMILIES};
    families::table
        .filter(families::id.eq_any(ids))
        .filter(in_scope(scope, FAMILIES))
        .select((
            families::id,
            families::street_id,
            families::community_id,
            families::address,
            families::latitude,
            families::longitude,
            families::status,
        ))
        .load(conn)
        .await
}

/// Opens (or reopens) the household's follow-up for a volunteer's concern at check-out: one item per
/// household, service and day, each concern of the day added to its `detail.concerns`.
pub async fn raise_concern(
    conn: &mut AsyncPgConnection,
    family_id: FamilyId,
    street_id: OrgUnitId,
    service: &str,
    on: chrono::NaiveDate,
    concern: serde_json::Value,
) -> QueryResult<()> {
    use diesel::sql_types::{Date, Jsonb};
    diesel::sql_query(
        "INSERT INTO follow_ups (tenant_id, id, family_id, street_id, change, program, person, detail, created_on) \
         VALUES (nuanxin_current_tenant(), $1, $2, $3, 'volunteer_concern', $4, 'household', \
                 jsonb_build_object('concerns', jsonb_build_array($5::jsonb)), $6) \
         ON CONFLICT (tenant_id, family_id, change, program, person, created_on) DO UPDATE SET \
           detail = jsonb_set(follow_ups.detail, '{concerns}', \
                              COALESCE(follow_ups.detail->'concerns', '[]'::jsonb) || jsonb_build_array($5::jsonb)), \
           status = 'open', done_by = NULL, done_at = NULL, done_note = NULL",
    )
    .bind::<SqlUuid, _>(Uuid::new_v4())
    .bind::<SqlUuid, _>(family_id)
    .bind::<SqlUuid, _>(street_id)
    .bind::<Text, _>(service)
    .bind::<Jsonb, _>(concern)
    .bind::<Date, _>(on)
    .execute(conn)
    .await
    .map(drop)
}

/// A task's cancellation by the street: the reason, once per task (migration `…000075_task_cancel`).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crate::schema::task_cancellations)]
pub struct NewCancellation<'a> {
    pub tenant_id: TenantId,
    pub task_id: TaskId,
    pub reason: &'a str,
    pub cancelled_by: &'a str,
}

impl NewCancellation<'_> {
    /// Records the cancellation; false when the task was cancelled already.
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<bool> {
        diesel::insert_into(crate::schema::task_cancellations::table)
            .values(self)
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map(|n| n == 1)
    }
}

/// Why these tasks were cancelled, for the mail that tells the people concerned.
pub async fn cancel_reasons(
    conn: &mut AsyncPgConnection,
    tasks: &[TaskId],
) -> QueryResult<Vec<(TaskId, String)>> {
    use crate::schema::task_cancellations as c;
    c::table
        .filter(c::task_id.eq_any(tasks))
        .select((c::task_id, c::reason))
        .load(conn)
        .await
}

impl ServiceTask {
    /// One task in reach, locked for a change of its own (a cancel waits for a run writing its offers,
    /// and a run's offer waits for the cancel: the trigger of `…000075_task_cancel`).
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        reach: TaskReach,
        id: TaskId,
    ) -> QueryResult<Option<ServiceTask>> {
        service_tasks::table
            .filter(service_tasks::id.eq(id))
            .filter(reach_filter(reach))
            .for_update()
            .select(ServiceTask::as_select())
            .first(conn)
            .await
            .optional()
    }
}

impl TaskOffer {
    /// Every offer of a task, locked, in one order (an answer locks its offer before reading the task,
    /// so a cancel locks the offers before the task too and the two never wait on each other in a ring).
    pub async fn lock_of_task(
        conn: &mut AsyncPgConnection,
        task: TaskId,
    ) -> QueryResult<Vec<TaskOffer>> {
        task_offers::table
            .filter(task_offers::task_id.eq(task))
            .order(task_offers::id)
            .for_update()
            .select(TaskOffer::as_select())
            .load(conn)
            .await
    }
}

/// Ends the households' access given by the offers of closed tasks (done, lapsed) `visible_days` after
/// the task closed, as the district's `closed_visible_days` says; returns how many ended.
pub async fn end_closed_tasks_assignments(
    conn: &mut AsyncPgConnection,
    visible_days: u32,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE family_assignments a SET ends_at = t.closed_at + make_interval(days => $1) \
         FROM task_offers o JOIN service_tasks t ON t.tenant_id = o.tenant_id AND t.id = o.task_id \
         WHERE a.tenant_id = o.tenant_id AND a.source = 'task' AND a.source_id = o.id \
           AND a.ends_at IS NULL AND t.status IN ('done', 'lapsed')",
    )
    .bind::<Integer, _>(i32::try_from(visible_days).unwrap_or(i32::MAX))
    .execute(conn)
    .await
}
