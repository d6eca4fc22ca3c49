//! Tasks proposed from entitlements: one row per family, program and service (`task_proposals`).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_domain::tasks::proposals::ProposalStatus;
use nuanxin_ids::{FamilyId, OrgUnitId, TenantId};
use uuid::Uuid;

use crate::schema::task_proposals;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = task_proposals)]
pub struct TaskProposal {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub family_id: FamilyId,
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    pub program: String,
    pub service: String,
    /// `mother`, `father`, `father,mother`; empty for a household program.
    pub persons: String,
    pub by_phone: bool,
    pub reason: String,
    pub status: ProposalStatus,
    pub first_proposed_on: NaiveDate,
    pub seen_on: NaiveDate,
    pub task_series_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// What a run found for one family: a proposal to record, or to mark seen again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalFound {
    pub family_id: FamilyId,
    pub program: String,
    pub service: String,
    pub persons: String,
    pub by_phone: bool,
    pub reason: String,
}

/// Whose proposals: the district's, a street's or a community's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalReach {
    District,
    Street(OrgUnitId),
    Community(OrgUnitId),
}

type ReachFilter =
    Box<dyn BoxableExpression<task_proposals::table, Pg, SqlType = diesel::sql_types::Bool>>;

fn reach_filter(reach: ProposalReach) -> ReachFilter {
    match reach {
        ProposalReach::District => Box::new(diesel::dsl::sql::<Bool>("true")),
        ProposalReach::Street(s) => Box::new(task_proposals::street_id.eq(s)),
        ProposalReach::Community(c) => Box::new(task_proposals::community_id.eq(c)),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl TaskProposal {
    /// Takes the district's proposals for this transaction: runs at once record their findings one
    /// after the other (a run's lapses and another's upserts never wait on each other's rows).
    pub async fn lock_district(
        conn: &mut AsyncPgConnection,
        tenant_id: TenantId,
    ) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<Text, _>(format!("task_proposals:{tenant_id}"))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Records what a run found on `on`: new proposals are inserted open, existing ones marked seen
    /// (a lapsed one opens again; accepted and dismissed ones keep their decision). Families no longer
    /// in the register are skipped. Returns how many proposals are new. Two runs at once make each
    /// proposal once (the unique key); a run of an earlier day never moves `seen_on` back.
    pub async fn record_found(
        conn: &mut AsyncPgConnection,
        on: NaiveDate,
        found: &[ProposalFound],
    ) -> QueryResult<u64> {
        let mut new = 0;
        for chunk in found.chunks(5000) {
            let counted: Count = diesel::sql_query(
                "WITH up AS ( \
                   INSERT INTO task_proposals (tenant_id, id, family_id, street_id, community_id, program, \
                       service, persons, by_phone, reason, first_proposed_on, seen_on) \
                   SELECT f.tenant_id, gen_random_uuid(), f.id, f.street_id, f.community_id, h.program, \
                       h.service, h.persons, h.by_phone, h.reason, $7, $7 \
                   FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[]) \
                       AS h(family_id, program, service, persons, by_phone, reason) \
                   JOIN families f ON f.tenant_id = nuanxin_current_tenant() AND f.id = h.family_id \
                   ORDER BY h.family_id, h.program, h.service \
                   ON CONFLICT (tenant_id, family_id, program, service) DO UPDATE SET \
                       seen_on = GREATEST(task_proposals.seen_on, excluded.seen_on), \
                       persons = excluded.persons, by_phone = excluded.by_phone, \
                       reason = excluded.reason, \
                       street_id = excluded.street_id, community_id = excluded.community_id, \
                       status = CASE WHEN task_proposals.status = 'lapsed' THEN 'open' \
                                     ELSE task_proposals.status END \
                   WHERE task_proposals.seen_on < excluded.seen_on \
                      OR task_proposals.status = 'lapsed' \
                      OR task_proposals.reason <> excluded.reason \
                   RETURNING (xmax = 0) AS inserted) \
                 SELECT count(*) FILTER (WHERE inserted) AS n FROM up",
            )
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|f| f.family_id).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(chunk.iter().map(|f| f.program.as_str()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(chunk.iter().map(|f| f.service.as_str()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(chunk.iter().map(|f| f.persons.as_str()).collect::<Vec<_>>())
            .bind::<Array<Bool>, _>(chunk.iter().map(|f| f.by_phone).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(chunk.iter().map(|f| f.reason.as_str()).collect::<Vec<_>>())
            .bind::<Date, _>(on)
            .get_result(conn)
            .await?;
            new += u64::try_from(counted.n).unwrap_or(0);
        }
        Ok(new)
    }

    /// Open proposals (of one street when given) that a complete run did not find: lapsed. Called
    /// under [`TaskProposal::lock_district`] with everything the run found.
    pub async fn lapse_not_found(
        conn: &mut AsyncPgConnection,
        found: &[ProposalFound],
        street: Option<OrgUnitId>,
    ) -> QueryResult<usize> {
        diesel::sql_query(
            "UPDATE task_proposals p SET status = 'lapsed' \
             WHERE p.status = 'open' AND ($4::uuid IS NULL OR p.street_id = $4) \
               AND NOT EXISTS (SELECT 1 FROM unnest($1::uuid[], $2::text[], $3::text[]) \
                                   AS h(family_id, program, service) \
                               WHERE h.family_id = p.family_id AND h.program = p.program \
                                 AND h.service = p.service)",
        )
        .bind::<Array<SqlUuid>, _>(found.iter().map(|f| f.family_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(found.iter().map(|f| f.program.as_str()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(found.iter().map(|f| f.service.as_str()).collect::<Vec<_>>())
        .bind::<Nullable<SqlUuid>, _>(street)
        .execute(conn)
        .await
    }

    /// A page of the proposals in `reach` (of one status when given), oldest open first.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        reach: ProposalReach,
        status: Option<ProposalStatus>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<TaskProposal>, i64)> {
        let build = || {
            let mut q = task_proposals::table
                .into_boxed::<Pg>()
                .filter(reach_filter(reach));
            if let Some(s) = status {
                q = q.filter(task_proposals::status.eq(s));
            }
            q
        };
        let total = build().count().get_result(conn).await?;
        let rows = build()
            .order((
                task_proposals::first_proposed_on,
                task_proposals::family_id,
                task_proposals::id,
            ))
            .limit(limit)
            .offset(offset)
            .select(TaskProposal::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    /// The proposal in `reach`, locked until the transaction ends (two decisions at once queue here).
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        reach: ProposalReach,
        id: Uuid,
    ) -> QueryResult<Option<TaskProposal>> {
        task_proposals::table
            .filter(task_proposals::id.eq(id))
            .filter(reach_filter(reach))
            .for_update()
            .select(TaskProposal::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Records the street's decision on an open proposal: accepted with its task, or dismissed with a
    /// reason. False when it was no longer open.
    pub async fn decide(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        decision: &Decision<'_>,
        by: &str,
    ) -> QueryResult<bool> {
        let (status, series, reason) = match decision {
            Decision::Accepted { series } => (ProposalStatus::Accepted, Some(*series), None),
            Decision::Dismissed { reason } => (ProposalStatus::Dismissed, None, Some(*reason)),
        };
        diesel::update(
            task_proposals::table
                .filter(task_proposals::id.eq(id))
                .filter(task_proposals::status.eq(ProposalStatus::Open)),
        )
        .set((
            task_proposals::status.eq(status),
            task_proposals::task_series_id.eq(series),
            task_proposals::decision_reason.eq(reason),
            task_proposals::decided_by.eq(by),
            task_proposals::decided_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
        .map(|n| n == 1)
    }
}

/// The street's decision on a proposal.
pub enum Decision<'a> {
    Accepted { series: Uuid },
    Dismissed { reason: &'a str },
}
