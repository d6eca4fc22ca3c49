//! Holiday visit campaigns, their families and visits, contact persons' contact log and the accounts
//! that are a family's contact persons. Queries of family data filter through [`in_scope`].

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_domain::family::{FamilyKind, FamilyStatus};
use nuanxin_domain::visits::{ContactHow, VisitHow};
use nuanxin_ids::{CampaignId, CycleId, FamilyId, OrgUnitId, TenantId, UserId, VisitId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::models::assignment::NewAssignment;
use crate::models::family::Scope;
use crate::schema::{
    contact_accounts, contact_log, families, users, visit_campaign_families, visit_campaigns,
    visits,
};
use crate::scope::{in_scope, FamilyColumns, FAMILIES};

/// The `family_assignments` source of a contact person's duty (its id is the account's).
pub const CONTACT_SOURCE: &str = "contact";

const CAMPAIGN_FAMILIES: FamilyColumns = FamilyColumns {
    table: "visit_campaign_families",
    family_id: "family_id",
    street_id: Some("street_id"),
};

const CONTACTS: FamilyColumns = FamilyColumns {
    table: "contact_log",
    family_id: "family_id",
    street_id: None,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = visit_campaigns)]
pub struct Campaign {
    pub tenant_id: TenantId,
    pub id: CampaignId,
    pub program: String,
    pub year: i32,
    pub festival_on: NaiveDate,
    pub window_starts_on: NaiveDate,
    pub cycle_id: Option<CycleId>,
    pub families: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub generated_at: Option<DateTime<Utc>>,
    pub reminded_on: Option<NaiveDate>,
}

impl Campaign {
    /// Inserts the campaign unless the program and year have one; returns the one that stands and
    /// whether it is `new`'s.
    pub async fn claim(
        conn: &mut AsyncPgConnection,
        new: &Campaign,
    ) -> QueryResult<(Campaign, bool)> {
        let inserted = diesel::insert_into(visit_campaigns::table)
            .values(new)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let standing = visit_campaigns::table
            .filter(visit_campaigns::program.eq(&new.program))
            .filter(visit_campaigns::year.eq(new.year))
            .select(Campaign::as_select())
            .first(conn)
            .await?;
        Ok((standing, inserted == 1))
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: CampaignId,
    ) -> QueryResult<Option<Campaign>> {
        visit_campaigns::table
            .filter(visit_campaigns::id.eq(id))
            .select(Campaign::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The district's campaigns, the latest festival first.
    pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Campaign>> {
        visit_campaigns::table
            .order((
                visit_campaigns::festival_on.desc(),
                visit_campaigns::program,
            ))
            .select(Campaign::as_select())
            .load(conn)
            .await
    }

    /// Campaigns generated whose reminder day has come (`festival_on` within `days` of `today`, not
    /// past) and that have not been reminded yet.
    pub async fn due_for_reminder(
        conn: &mut AsyncPgConnection,
        today: NaiveDate,
        days: i64,
    ) -> QueryResult<Vec<Campaign>> {
        visit_campaigns::table
            .filter(visit_campaigns::generated_at.is_not_null())
            .filter(visit_campaigns::reminded_on.is_null())
            .filter(visit_campaigns::festival_on.ge(today))
            .filter(visit_campaigns::festival_on.le(today + chrono::Days::new(days as u64)))
            .select(Campaign::as_select())
            .load(conn)
            .await
    }

    /// Marks the campaign reminded on `on`; false when another run did it first.
    pub async fn mark_reminded(
        conn: &mut AsyncPgConnection,
        id: CampaignId,
        on: NaiveDate,
    ) -> QueryResult<bool> {
        diesel::update(
            visit_campaigns::table
                .filter(visit_campaigns::id.eq(id))
                .filter(visit_campaigns::reminded_on.is_null()),
        )
        .set(visit_campaigns::reminded_on.eq(on))
        .execute(conn)
        .await
        .map(|n| n == 1)
    }

    /// Writes the families of the holiday cycle `cycle_id` that are entitled (not exited, not rejected)
    /// and still on the register as the campaign's, then records the count and the generation.
    pub async fn fill_from_cycle(
        conn: &mut AsyncPgConnection,
        id: CampaignId,
        cycle_id: CycleId,
    ) -> QueryResult<i32> {
        diesel::sql_query(
            "INSERT INTO visit_campaign_families (tenant_id, campaign_id, family_id, street_id, community_id) \
             SELECT DISTINCT e.tenant_id, $1, e.family_id, f.street_id, f.community_id \
             FROM benefit_entries e JOIN families f ON f.tenant_id = e.tenant_id AND f.id = e.family_id \
             WHERE e.cycle_id = $2 AND e.status NOT IN ('exited', 'rejected') AND f.status = 'active' \
             ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<SqlUuid, _>(cycle_id)
        .execute(conn)
        .await?;
        let families: i64 = visit_campaign_families::table
            .filter(visit_campaign_families::campaign_id.eq(id))
            .count()
            .get_result(conn)
            .await?;
        let families = i32::try_from(families).unwrap_or(i32::MAX);
        diesel::update(visit_campaigns::table.filter(visit_campaigns::id.eq(id)))
            .set((
                visit_campaigns::cycle_id.eq(Some(cycle_id)),
                visit_campaigns::families.eq(families),
                visit_campaigns::generated_at.eq(Some(Utc::now())),
            ))
            .execute(conn)
            .await?;
        Ok(families)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = visit_campaign_families)]
pub struct CampaignFamily {
    pub campaign_id: CampaignId,
    pub family_id: FamilyId,
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
}

fn scoped_campaign_families(
    scope: Scope,
    campaign_id: CampaignId,
) -> visit_campaign_families::BoxedQuery<'static, diesel::pg::Pg> {
    visit_campaign_families::table
        .into_boxed()
        .filter(visit_campaign_families::campaign_id.eq(campaign_id))
        .filter(in_scope(scope, CAMPAIGN_FAMILIES))
}

/// The earliest visit of the row's family in the campaign (NULL: not visited).
fn first_visit_sql() -> diesel::expression::SqlLiteral<Nullable<Date>> {
    sql::<Nullable<Date>>(
        "(SELECT min(v.visited_on) FROM visits v WHERE v.tenant_id = visit_campaign_families.tenant_id \
         AND v.campaign_id = visit_campaign_families.campaign_id \
         AND v.family_id = visit_campaign_families.family_id)",
    )
}

/// Whether the money was handed over to the row's family in the campaign.
fn money_given_sql() -> diesel::expression::SqlLiteral<Bool> {
    sql::<Bool>(
        "EXISTS (SELECT 1 FROM visits v WHERE v.tenant_id = visit_campaign_families.tenant_id \
         AND v.campaign_id = visit_campaign_families.campaign_id \
         AND v.family_id = visit_campaign_families.family_id AND v.money_cny > 0)",
    )
}

/// One family of a campaign with its visit state (the worklists of streets and contact persons).
#[derive(Debug, Clone, Queryable)]
pub struct CampaignFamilyState {
    pub family: CampaignFamily,
    pub first_visit_on: Option<NaiveDate>,
    pub money_given: bool,
}

/// Families, visited, visited on time and paid of one street and community in a campaign.
#[derive(Debug, Clone, Queryable)]
pub struct ProgressRow {
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    pub families: i64,
    pub visited: i64,
    pub on_time: i64,
    pub money_given: i64,
}

impl CampaignFamily {
    /// The family of the campaign if it is inside `scope`, locked for the visit being recorded.
    pub async fn find(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        campaign_id: CampaignId,
        family_id: FamilyId,
    ) -> QueryResult<Option<CampaignFamily>> {
        scoped_campaign_families(scope, campaign_id)
            .filter(visit_campaign_families::family_id.eq(family_id))
            .select(CampaignFamily::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// One page of the campaign's families in `scope`, those not yet visited first, and the total.
    pub async fn page(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        campaign_id: CampaignId,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<CampaignFamilyState>, i64)> {
        let total = scoped_campaign_families(scope, campaign_id)
            .count()
            .get_result(conn)
            .await?;
        let rows = scoped_campaign_families(scope, campaign_id)
            .order((
                first_visit_sql().is_not_null(),
                visit_campaign_families::street_id,
                visit_campaign_families::community_id,
                visit_campaign_families::family_id,
            ))
            .limit(limit)
            .offset(offset)
            .select((
                CampaignFamily::as_select(),
                first_visit_sql(),
                money_given_sql(),
            ))
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    /// Progress by street and community in `scope` on the campaign whose window is
    /// `window_first`..=`festival_on`.
    pub async fn progress(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        campaign_id: CampaignId,
        window_first: NaiveDate,
        festival_on: NaiveDate,
    ) -> QueryResult<Vec<ProgressRow>> {
        let visited =
            "EXISTS (SELECT 1 FROM visits v WHERE v.tenant_id = visit_campaign_families.tenant_id \
             AND v.campaign_id = visit_campaign_families.campaign_id \
             AND v.family_id = visit_campaign_families.family_id";
        // Dates print as YYYY-MM-DD: safe in the statement's text, where a bind would not group.
        let on_time = format!(
            "count(*) FILTER (WHERE {visited} AND v.visited_on BETWEEN '{window_first}'::date AND '{festival_on}'::date))"
        );
        visit_campaign_families::table
            .filter(visit_campaign_families::campaign_id.eq(campaign_id))
            .filter(in_scope::<visit_campaign_families::table>(
                scope,
                CAMPAIGN_FAMILIES,
            ))
            .group_by((
                visit_campaign_families::street_id,
                visit_campaign_families::community_id,
            ))
            .order((
                visit_campaign_families::street_id,
                visit_campaign_families::community_id,
            ))
            .select((
                visit_campaign_families::street_id,
                visit_campaign_families::community_id,
                count_star(),
                sql::<BigInt>(&format!("count(*) FILTER (WHERE {visited}))")),
                sql::<BigInt>(&on_time),
                sql::<BigInt>(&format!(
                    "count(*) FILTER (WHERE {visited} AND v.money_cny > 0))"
                )),
            ))
            .load(conn)
            .await
    }

    /// The campaign's families not visited at all, with their street and community (the reminder).
    pub async fn unvisited(
        conn: &mut AsyncPgConnection,
        campaign_id: CampaignId,
    ) -> QueryResult<Vec<CampaignFamily>> {
        scoped_campaign_families(Scope::District, campaign_id)
            .filter(first_visit_sql().is_null())
            .order((
                visit_campaign_families::street_id,
                visit_campaign_families::family_id,
            ))
            .select(CampaignFamily::as_select())
            .load(conn)
            .await
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = visits)]
pub struct VisitRow {
    pub tenant_id: TenantId,
    pub id: VisitId,
    pub campaign_id: CampaignId,
    pub family_id: FamilyId,
    pub visited_on: NaiveDate,
    pub how: VisitHow,
    pub money_cny: i64,
    pub needs: Option<String>,
    pub visitor_id: UserId,
    pub visitor_name: String,
    pub created_at: DateTime<Utc>,
}

impl VisitRow {
    /// Inserts the visit; a second one with money for the family is `visits_money_once`.
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(visits::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// The visits of a family in a campaign, in order.
    pub async fn of_family(
        conn: &mut AsyncPgConnection,
        campaign_id: CampaignId,
        family_id: FamilyId,
    ) -> QueryResult<Vec<VisitRow>> {
        visits::table
            .filter(visits::campaign_id.eq(campaign_id))
            .filter(visits::family_id.eq(family_id))
            .order((visits::visited_on, visits::created_at))
            .select(VisitRow::as_select())
            .load(conn)
            .await
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contact_log)]
pub struct ContactRow {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub family_id: FamilyId,
    pub contacted_on: NaiveDate,
    pub how: ContactHow,
    pub summary: String,
    /// `[{category, detail}]`.
    pub problems: serde_json::Value,
    pub contact_person: Option<String>,
    pub recorded_by_id: UserId,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

impl ContactRow {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(contact_log::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// One page of a family's contacts in `scope`, the latest first, and the total.
    pub async fn page(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        family_id: FamilyId,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<ContactRow>, i64)> {
        let build = || {
            contact_log::table
                .into_boxed()
                .filter(contact_log::family_id.eq(family_id))
                .filter(in_scope(scope, CONTACTS))
        };
        let total = build().count().get_result(conn).await?;
        let rows = build()
            .order((
                contact_log::contacted_on.desc(),
                contact_log::created_at.desc(),
            ))
            .limit(limit)
            .offset(offset)
            .select(ContactRow::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }
}

/// Whether the family is on the register inside `scope` (a contact log's parent), with its street and
/// community.
pub async fn family_in_scope(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    family_id: FamilyId,
) -> QueryResult<Option<(OrgUnitId, OrgUnitId)>> {
    families::table
        .into_boxed()
        .filter(families::id.eq(family_id))
        .filter(families::status.eq(FamilyStatus::Active))
        .filter(in_scope(scope, FAMILIES))
        .select((families::street_id, families::community_id))
        .first(conn)
        .await
        .optional()
}

/// Whether `user_id` is an active account of the district.
pub async fn account_is_active(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<bool> {
    users::table
        .filter(users::id.eq(user_id))
        .select(users::active)
        .first::<bool>(conn)
        .await
        .optional()
        .map(|a| a == Some(true))
}

/// A user account that is one of a family's contact persons.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contact_accounts)]
pub struct ContactAccount {
    pub tenant_id: TenantId,
    pub family_id: FamilyId,
    pub user_id: UserId,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl ContactAccount {
    /// Links the account to the family and gives it the family (`Scope::Assigned`); false when it was
    /// linked already.
    pub async fn link(&self, conn: &mut AsyncPgConnection) -> QueryResult<bool> {
        let inserted = diesel::insert_into(contact_accounts::table)
            .values(self)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        NewAssignment {
            tenant_id: self.tenant_id,
            source: CONTACT_SOURCE,
            source_id: self.user_id.into(),
            family_id: self.family_id,
            user_id: Some(self.user_id),
            org_unit_id: None,
        }
        .grant(conn)
        .await?;
        Ok(inserted == 1)
    }

    /// The e-mail addresses of the active linked accounts of a campaign's families, with each family
    /// and its community: all of them, or only the families not visited yet (the reminder).
    pub async fn emails_of_campaign(
        conn: &mut AsyncPgConnection,
        campaign_id: CampaignId,
        unvisited_only: bool,
    ) -> QueryResult<Vec<(String, FamilyId, OrgUnitId)>> {
        let mut query = visit_campaign_families::table
            .inner_join(
                contact_accounts::table.on(contact_accounts::tenant_id
                    .eq(visit_campaign_families::tenant_id)
                    .and(contact_accounts::family_id.eq(visit_campaign_families::family_id))),
            )
            .inner_join(
                users::table.on(users::tenant_id
                    .eq(contact_accounts::tenant_id)
                    .and(users::id.eq(contact_accounts::user_id))),
            )
            .filter(visit_campaign_families::campaign_id.eq(campaign_id))
            .filter(users::active)
            .filter(users::email.is_not_null())
            .into_boxed();
        if unvisited_only {
            query = query.filter(first_visit_sql().is_null());
        }
        query
            .order((users::email, visit_campaign_families::family_id))
            .select((
                users::email.assume_not_null(),
                visit_campaign_families::family_id,
                visit_campaign_families::community_id,
            ))
            .load(conn)
            .await
    }
}

/// A holiday ledger entry as a visit pays it.
#[derive(Debug, Clone, Queryable)]
pub struct HolidayEntry {
    pub id: Uuid,
    pub status: nuanxin_domain::benefit::EntryStatus,
    pub amount_cny: Option<i64>,
}

/// The household entry of `family_id` in the holiday cycle, locked: two visits with money at once
/// pay it once (the second finds it paid).
pub async fn holiday_entry_for_update(
    conn: &mut AsyncPgConnection,
    cycle_id: CycleId,
    family_id: FamilyId,
) -> QueryResult<Option<HolidayEntry>> {
    use crate::schema::benefit_entries as e;
    e::table
        .filter(e::cycle_id.eq(cycle_id))
        .filter(e::family_id.eq(family_id))
        .filter(e::person.eq("household"))
        .select((e::id, e::status, e::amount_cny))
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Marks the entry paid by the visit `reference` (its payment reference), when it is `from`.
pub async fn pay_by_visit(
    conn: &mut AsyncPgConnection,
    entry_id: Uuid,
    from: nuanxin_domain::benefit::EntryStatus,
    reference: &str,
    by: &str,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    use crate::schema::benefit_entries as e;
    diesel::update(
        e::table
            .filter(e::id.eq(entry_id))
            .filter(e::status.eq(from)),
    )
    .set((
        e::status.eq(nuanxin_domain::benefit::EntryStatus::Paid),
        e::payment_reference.eq(reference),
        e::paid_by.eq(by),
        e::paid_at.eq(at),
        e::updated_at.eq(at),
    ))
    .execute(conn)
    .await
    .map(|n| n == 1)
}

/// A family flagged by a daily check, with its street and community.
#[derive(Debug, Clone, QueryableByName)]
pub struct FlaggedFamily {
    #[diesel(sql_type = SqlUuid)]
    pub family_id: FamilyId,
    #[diesel(sql_type = SqlUuid)]
    pub street_id: OrgUnitId,
    #[diesel(sql_type = SqlUuid)]
    pub community_id: OrgUnitId,
}

/// Active families with no contact logged on or after `since` (registered before it), and no open
/// `no_contact` follow-up already.
pub async fn families_without_contact_since(
    conn: &mut AsyncPgConnection,
    since: NaiveDate,
) -> QueryResult<Vec<FlaggedFamily>> {
    diesel::sql_query(
        "SELECT f.id AS family_id, f.street_id, f.community_id FROM families f \
         WHERE f.status = 'active' AND f.created_at < $1::date \
         AND NOT EXISTS (SELECT 1 FROM contact_log c WHERE c.tenant_id = f.tenant_id \
             AND c.family_id = f.id AND c.contacted_on >= $1) \
         AND NOT EXISTS (SELECT 1 FROM follow_ups u WHERE u.tenant_id = f.tenant_id \
             AND u.family_id = f.id AND u.change = 'no_contact' AND u.status = 'open') \
         ORDER BY f.street_id, f.id",
    )
    .bind::<Date, _>(since)
    .load(conn)
    .await
}

/// Active families with fewer than `min` registered contact persons, and no open `few_contacts`
/// follow-up already.
pub async fn families_with_few_contacts(
    conn: &mut AsyncPgConnection,
    min: i64,
) -> QueryResult<Vec<FlaggedFamily>> {
    diesel::sql_query(
        "SELECT f.id AS family_id, f.street_id, f.community_id FROM families f \
         WHERE f.status = 'active' \
         AND (SELECT count(*) FROM contact_persons p WHERE p.tenant_id = f.tenant_id \
             AND p.family_id = f.id) < $1 \
         AND NOT EXISTS (SELECT 1 FROM follow_ups u WHERE u.tenant_id = f.tenant_id \
             AND u.family_id = f.id AND u.change = 'few_contacts' AND u.status = 'open') \
         ORDER BY f.street_id, f.id",
    )
    .bind::<BigInt, _>(min)
    .load(conn)
    .await
}

/// What a visitor needs to find a family: its kind, address and its living parents' names.
#[derive(Debug, Clone)]
pub struct FamilyBrief {
    pub family_id: FamilyId,
    pub kind: FamilyKind,
    pub address: String,
    /// (role, name) of the living parents.
    pub parents: Vec<(String, String)>,
}

/// The briefs of these families (RLS keeps them to the district; callers pass ids already scoped).
pub async fn family_briefs(
    conn: &mut AsyncPgConnection,
    ids: &[FamilyId],
) -> QueryResult<Vec<FamilyBrief>> {
    use crate::schema::family_members as m;
    let rows: Vec<(FamilyId, FamilyKind, String)> = families::table
        .filter(families::id.eq_any(ids))
        .select((families::id, families::kind, families::address))
        .load(conn)
        .await?;
    let parents: Vec<(FamilyId, String, String)> = m::table
        .filter(m::family_id.eq_any(ids))
        .filter(m::alive)
        .order((m::family_id, m::role.desc()))
        .select((m::family_id, m::role, m::name))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(family_id, kind, address)| FamilyBrief {
            parents: parents
                .iter()
                .filter(|p| p.0 == family_id)
                .map(|p| (p.1.clone(), p.2.clone()))
                .collect(),
            family_id,
            kind,
            address,
        })
        .collect())
}

/// The register of one street and community for the assessment dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, Deserialize)]
pub struct RegisterRow {
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    /// Active families.
    pub families: i64,
    /// With 3–5 registered contact persons.
    pub contacts_ok: i64,
    /// With a contact logged on or after the dashboard's "since".
    pub contacted: i64,
}

/// Active families in `scope` by street and community: how many, how many with 3–5 contact persons,
/// how many contacted on or after `since`.
pub async fn register_by_community(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    since: NaiveDate,
) -> QueryResult<Vec<RegisterRow>> {
    // Dates print as YYYY-MM-DD: safe in the statement's text, where a bind would not group.
    let contacted = format!(
        "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM contact_log c WHERE c.tenant_id = families.tenant_id \
         AND c.family_id = families.id AND c.contacted_on >= '{since}'::date))"
    );
    families::table
        .filter(families::status.eq(FamilyStatus::Active))
        .filter(in_scope::<families::table>(scope, FAMILIES))
        .group_by((families::street_id, families::community_id))
        .order((families::street_id, families::community_id))
        .select((
            families::street_id,
            families::community_id,
            count_star(),
            sql::<BigInt>(
                "count(*) FILTER (WHERE (SELECT count(*) FROM contact_persons p \
                 WHERE p.tenant_id = families.tenant_id AND p.family_id = families.id) BETWEEN 3 AND 5)",
            ),
            sql::<BigInt>(&contacted),
        ))
        .load(conn)
        .await
}

/// How many changes the tables the dashboard counts have had, as this transaction sees them, and in
/// how many rows (see the migration `dashboard_changes`).
pub async fn dashboard_changes(conn: &mut AsyncPgConnection) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Changes {
        #[diesel(sql_type = BigInt)]
        changes: i64,
        #[diesel(sql_type = BigInt)]
        rows: i64,
    }
    let c: Changes = diesel::sql_query(
        "SELECT coalesce(sum(changes), 0)::bigint AS changes, count(*) AS rows FROM dashboard_changes",
    )
    .get_result(conn)
    .await?;
    Ok((c.changes, c.rows))
}

/// Folds the district's change rows into one with their sum (every snapshot sees the same sum).
pub async fn fold_dashboard_changes(
    conn: &mut AsyncPgConnection,
    tenant_id: TenantId,
) -> QueryResult<()> {
    diesel::sql_query(
        "WITH gone AS (DELETE FROM dashboard_changes WHERE tenant_id = $1 RETURNING changes) \
         INSERT INTO dashboard_changes (tenant_id, changes) \
         SELECT $1, sum(changes) FROM gone HAVING count(*) > 0",
    )
    .bind::<SqlUuid, _>(tenant_id)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The holiday visits of a year's campaigns by street and community.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, Deserialize)]
pub struct VisitsRow {
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    /// Families to visit, summed over the year's campaigns.
    pub due: i64,
    /// Of them, visited within their campaign's window.
    pub on_time: i64,
}

/// Families due and visited on time in the campaigns of `year`, in `scope`.
pub async fn visits_by_community(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    year: i32,
) -> QueryResult<Vec<VisitsRow>> {
    visit_campaign_families::table
        .inner_join(
            visit_campaigns::table.on(visit_campaigns::tenant_id
                .eq(visit_campaign_families::tenant_id)
                .and(visit_campaigns::id.eq(visit_campaign_families::campaign_id))),
        )
        .filter(visit_campaigns::year.eq(year))
        .filter(in_scope(scope, CAMPAIGN_FAMILIES))
        .group_by((
            visit_campaign_families::street_id,
            visit_campaign_families::community_id,
        ))
        .order((
            visit_campaign_families::street_id,
            visit_campaign_families::community_id,
        ))
        .select((
            visit_campaign_families::street_id,
            visit_campaign_families::community_id,
            count_star(),
            sql::<BigInt>(
                "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM visits v \
                 WHERE v.tenant_id = visit_campaign_families.tenant_id \
                 AND v.campaign_id = visit_campaign_families.campaign_id \
                 AND v.family_id = visit_campaign_families.family_id \
                 AND v.visited_on BETWEEN visit_campaigns.window_starts_on AND visit_campaigns.festival_on))",
            ),
        ))
        .load(conn)
        .await
}

/// Entitlements of a year's cycles by program and street: proposed (every entry not exited or
/// rejected) and paid.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, Deserialize)]
pub struct EntitlementRow {
    pub program: String,
    pub street_id: OrgUnitId,
    pub proposed: i64,
    pub paid: i64,
}

const ENTRIES: FamilyColumns = FamilyColumns {
    table: "benefit_entries",
    family_id: "family_id",
    street_id: Some("street_id"),
};

/// Entries of the periods of `year` (the year, its months, its event dates) in `scope`.
pub async fn entitlements_by_street(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    year: i32,
) -> QueryResult<Vec<EntitlementRow>> {
    use crate::schema::benefit_entries as e;
    e::table
        .filter(e::period.like(format!("{year}%")))
        .filter(e::status.ne_all(["exited", "rejected"]))
        .filter(in_scope::<e::table>(scope, ENTRIES))
        .group_by((e::program, e::street_id))
        .order((e::program, e::street_id))
        .select((
            e::program,
            e::street_id,
            count_star(),
            sql::<BigInt>("count(*) FILTER (WHERE benefit_entries.status = 'paid')"),
        ))
        .load(conn)
        .await
}

/// Open follow-ups by street and community: how many, and the oldest's date.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, Deserialize)]
pub struct OpenFollowUpsRow {
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    pub open: i64,
    pub oldest_on: Option<NaiveDate>,
}

const FOLLOW_UPS: FamilyColumns = FamilyColumns {
    table: "follow_ups",
    family_id: "family_id",
    street_id: Some("street_id"),
};

/// Open follow-ups in `scope` by the family's street and community.
pub async fn open_follow_ups_by_community(
    conn: &mut AsyncPgConnection,
    scope: Scope,
) -> QueryResult<Vec<OpenFollowUpsRow>> {
    use crate::schema::follow_ups as u;
    u::table
        .inner_join(
            families::table.on(families::tenant_id
                .eq(u::tenant_id)
                .and(families::id.eq(u::family_id))),
        )
        .filter(u::status.eq("open"))
        .filter(in_scope(scope, FOLLOW_UPS))
        .group_by((u::street_id, families::community_id))
        .order((u::street_id, families::community_id))
        .select((
            u::street_id,
            families::community_id,
            count_star(),
            diesel::dsl::min(u::created_on),
        ))
        .load(conn)
        .await
}

/// A town's or street's signature project (一镇一品) of a year.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::signature_projects)]
pub struct SignatureProject {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub street_id: OrgUnitId,
    pub year: i32,
    pub name: String,
    pub description: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// An activity of 暖心家园 / 怡心家园 / 新希望家园.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::activities)]
pub struct ActivityRow {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub home: String,
    pub street_id: OrgUnitId,
    pub project_id: Option<Uuid>,
    pub held_on: NaiveDate,
    pub place: String,
    pub kind: String,
    pub spending_cny: i64,
    pub participants: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl SignatureProject {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(crate::schema::signature_projects::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Self>> {
        use crate::schema::signature_projects as p;
        p::table
            .filter(p::id.eq(id))
            .select(SignatureProject::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The projects of `year`, of one street when given.
    pub async fn of_year(
        conn: &mut AsyncPgConnection,
        year: i32,
        street: Option<OrgUnitId>,
    ) -> QueryResult<Vec<Self>> {
        use crate::schema::signature_projects as p;
        let mut q = p::table.filter(p::year.eq(year)).into_boxed();
        if let Some(street) = street {
            q = q.filter(p::street_id.eq(street));
        }
        q.order((p::street_id, p::name))
            .select(SignatureProject::as_select())
            .load(conn)
            .await
    }
}

/// The first and last day of a year.
fn year_days(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX),
    )
}

impl ActivityRow {
    /// Inserts the activity and its participants.
    pub async fn insert(
        &self,
        conn: &mut AsyncPgConnection,
        participants: &[FamilyId],
    ) -> QueryResult<()> {
        use crate::schema::activity_participants as ap;
        diesel::insert_into(crate::schema::activities::table)
            .values(self)
            .execute(conn)
            .await?;
        let rows: Vec<_> = participants
            .iter()
            .map(|f| {
                (
                    ap::tenant_id.eq(self.tenant_id),
                    ap::activity_id.eq(self.id),
                    ap::family_id.eq(*f),
                )
            })
            .collect();
        diesel::insert_into(ap::table)
            .values(rows)
            .execute(conn)
            .await
            .map(drop)
    }

    /// Takes the district's activity budget of `year` for this transaction: activities recorded at
    /// once are checked against the budget one after the other.
    pub async fn lock_budget(
        conn: &mut AsyncPgConnection,
        tenant_id: TenantId,
        year: i32,
    ) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(format!("activities:{tenant_id}:{year}"))
            .execute(conn)
            .await
            .map(drop)
    }

    /// What the district's activities of `year` spent.
    pub async fn spent_in(conn: &mut AsyncPgConnection, year: i32) -> QueryResult<i64> {
        use crate::schema::activities as a;
        let (first, last) = year_days(year);
        a::table
            .filter(a::held_on.between(first, last))
            .select(sql::<BigInt>("COALESCE(sum(spending_cny), 0)::bigint"))
            .first(conn)
            .await
    }

    /// The activities of `year`, of one street when given, the latest first.
    pub async fn of_year(
        conn: &mut AsyncPgConnection,
        year: i32,
        street: Option<OrgUnitId>,
    ) -> QueryResult<Vec<Self>> {
        use crate::schema::activities as a;
        let (first, last) = year_days(year);
        let mut q = a::table
            .filter(a::held_on.between(first, last))
            .into_boxed();
        if let Some(street) = street {
            q = q.filter(a::street_id.eq(street));
        }
        q.order((a::held_on.desc(), a::created_at.desc()))
            .select(ActivityRow::as_select())
            .load(conn)
            .await
    }
}

/// How many of `ids` are active families in `scope`.
pub async fn families_in_scope_count(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    ids: &[FamilyId],
) -> QueryResult<i64> {
    families::table
        .into_boxed()
        .filter(families::id.eq_any(ids.to_vec()))
        .filter(families::status.eq(FamilyStatus::Active))
        .filter(in_scope(scope, FAMILIES))
        .count()
        .get_result(conn)
        .await
}

/// Families of `scope` to choose an activity's participants from: (family, community, the first
/// living parent's name), by community, at most `limit`.
pub async fn participant_choices(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    limit: i64,
) -> QueryResult<Vec<(FamilyId, OrgUnitId, Option<String>)>> {
    families::table
        .into_boxed()
        .filter(families::status.eq(FamilyStatus::Active))
        .filter(in_scope(scope, FAMILIES))
        .order((families::community_id, families::id))
        .limit(limit)
        .select((
            families::id,
            families::community_id,
            sql::<Nullable<diesel::sql_types::Text>>(
                "(SELECT m.name FROM family_members m WHERE m.tenant_id = families.tenant_id \
                 AND m.family_id = families.id AND m.alive ORDER BY m.role DESC LIMIT 1)",
            ),
        ))
        .load(conn)
        .await
}
