//! Benefit administration: cycles (a program and a period) and the ledger of entries, one per
//! tenant, program, period and beneficiary; and the register read in keyset pages for generating them.

use crate::scope::{in_scope, FamilyColumns};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_domain::benefit::EntryStatus;
use nuanxin_domain::family::FamilyStatus;
use nuanxin_ids::{CycleId, FamilyId, OrgUnitId, TenantId};
use uuid::Uuid;

use crate::models::family::{FamilyRecord, FamilyRow, MemberRow, Scope};
use crate::schema::{benefit_cycles, benefit_entries, families, family_members};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = benefit_cycles)]
pub struct BenefitCycle {
    pub tenant_id: TenantId,
    pub id: CycleId,
    pub program: String,
    pub period: String,
    pub evaluated_on: NaiveDate,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub generated_at: DateTime<Utc>,
}

/// A proposed (or exited) ledger row as generation writes it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = benefit_entries)]
pub struct NewEntry {
    pub tenant_id: TenantId,
    pub program: String,
    pub period: String,
    pub family_id: FamilyId,
    pub person: String,
    pub id: Uuid,
    pub cycle_id: CycleId,
    pub street_id: OrgUnitId,
    pub amount_cny: Option<i64>,
    pub payer: String,
    pub basis: String,
    pub status: EntryStatus,
    pub exit_reason: Option<String>,
    pub exit_detail: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = benefit_entries)]
pub struct BenefitEntry {
    pub tenant_id: TenantId,
    pub program: String,
    pub period: String,
    pub family_id: FamilyId,
    pub person: String,
    pub id: Uuid,
    pub cycle_id: CycleId,
    pub street_id: OrgUnitId,
    pub amount_cny: Option<i64>,
    pub payer: String,
    pub basis: String,
    pub status: EntryStatus,
    pub exit_reason: Option<String>,
    pub exit_detail: Option<String>,
    pub verify_note: Option<String>,
    pub reject_reason: Option<String>,
    pub payment_reference: Option<String>,
    pub verified_by: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_by: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why the approving bureau entered the amount (none configured in the policy).
    pub amount_note: Option<String>,
    pub amount_entered_by: Option<String>,
}

/// A status change; `None` fields are left as they are.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = benefit_entries)]
pub struct EntryUpdate {
    pub status: EntryStatus,
    pub verify_note: Option<String>,
    pub reject_reason: Option<String>,
    pub payment_reference: Option<String>,
    pub verified_by: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_by: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub amount_cny: Option<i64>,
    pub amount_note: Option<String>,
    pub amount_entered_by: Option<String>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub status: Option<Vec<EntryStatus>>,
    pub street_id: Option<OrgUnitId>,
    pub limit: i64,
    pub offset: i64,
}

type BoxedEntries<'a> = benefit_entries::BoxedQuery<'a, Pg>;

/// Entries a new generation of their cycle may still change: not yet approved, paid, rejected or exited.
const OPEN: [EntryStatus; 2] = [EntryStatus::Proposed, EntryStatus::Verified];

type OpenEntry = diesel::dsl::Filter<
    diesel::dsl::Filter<benefit_entries::table, diesel::dsl::Eq<benefit_entries::id, Uuid>>,
    diesel::dsl::EqAny<benefit_entries::status, [EntryStatus; 2]>,
>;

/// The entry `id` while it is still open: a generation's change applies to nothing once a user has moved it on.
fn open_entry(id: Uuid) -> OpenEntry {
    benefit_entries::table
        .filter(benefit_entries::id.eq(id))
        .filter(benefit_entries::status.eq_any(OPEN))
}

fn scoped_entries(scope: Scope) -> BoxedEntries<'static> {
    benefit_entries::table
        .into_boxed()
        .filter(in_scope(scope, ENTRIES))
}

const ENTRIES: FamilyColumns = FamilyColumns {
    table: "benefit_entries",
    family_id: "family_id",
    street_id: Some("street_id"),
};

impl BenefitCycle {
    /// Creates the cycle unless it exists; returns it and whether it was created now.
    pub async fn ensure(
        conn: &mut AsyncPgConnection,
        cycle: &BenefitCycle,
    ) -> QueryResult<(BenefitCycle, bool)> {
        let inserted = diesel::insert_into(benefit_cycles::table)
            .values(cycle)
            .on_conflict((
                benefit_cycles::tenant_id,
                benefit_cycles::program,
                benefit_cycles::period,
            ))
            .do_nothing()
            .execute(conn)
            .await?;
        let stored = benefit_cycles::table
            .filter(benefit_cycles::program.eq(&cycle.program))
            .filter(benefit_cycles::period.eq(&cycle.period))
            .select(BenefitCycle::as_select())
            .first(conn)
            .await?;
        Ok((stored, inserted == 1))
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: CycleId,
    ) -> QueryResult<Option<BenefitCycle>> {
        benefit_cycles::table
            .filter(benefit_cycles::id.eq(id))
            .select(BenefitCycle::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Marks a (re)generation: the date evaluated and when.
    pub async fn mark_generated(
        conn: &mut AsyncPgConnection,
        id: CycleId,
        evaluated_on: NaiveDate,
    ) -> QueryResult<()> {
        diesel::update(benefit_cycles::table.filter(benefit_cycles::id.eq(id)))
            .set((
                benefit_cycles::evaluated_on.eq(evaluated_on),
                benefit_cycles::generated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Every cycle, newest period first.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        program: Option<&str>,
    ) -> QueryResult<Vec<BenefitCycle>> {
        let mut query = benefit_cycles::table.into_boxed();
        if let Some(p) = program {
            query = query.filter(benefit_cycles::program.eq(p.to_owned()));
        }
        query
            .order((benefit_cycles::program, benefit_cycles::period.desc()))
            .select(BenefitCycle::as_select())
            .load(conn)
            .await
    }

    /// The cycle of the same program with the latest period before this one.
    pub async fn previous(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> QueryResult<Option<BenefitCycle>> {
        benefit_cycles::table
            .filter(benefit_cycles::program.eq(&self.program))
            .filter(benefit_cycles::period.lt(&self.period))
            .order(benefit_cycles::period.desc())
            .select(BenefitCycle::as_select())
            .first(conn)
            .await
            .optional()
    }
}

impl NewEntry {
    /// Inserts the entries that do not exist yet (by the natural key); returns how many were new.
    /// One statement over arrays per chunk: a cycle writes tens of thousands of rows, and a multi-row
    /// `VALUES` of 14 bind parameters a row costs PostgreSQL more to parse and bind than the insert.
    pub async fn insert_new(
        conn: &mut AsyncPgConnection,
        entries: &[NewEntry],
    ) -> QueryResult<usize> {
        use diesel::sql_types::{Array, Nullable, Uuid as SqlUuid};
        let mut inserted = 0;
        for chunk in entries.chunks(5000) {
            // One array per column, each read off the chunk's entries.
            fn each<'e, T>(chunk: &'e [NewEntry], f: impl Fn(&'e NewEntry) -> T) -> Vec<T> {
                chunk.iter().map(f).collect()
            }
            inserted += diesel::sql_query(
                "INSERT INTO benefit_entries (tenant_id, program, period, family_id, person, id, \
                     cycle_id, street_id, amount_cny, payer, basis, status, exit_reason, exit_detail) \
                 SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], \
                     $6::uuid[], $7::uuid[], $8::uuid[], $9::int8[], $10::text[], $11::text[], \
                     $12::text[], $13::text[], $14::text[]) \
                 ON CONFLICT DO NOTHING",
            )
            .bind::<Array<SqlUuid>, _>(each(chunk, |e| e.tenant_id))
            .bind::<Array<Text>, _>(each(chunk, |e| e.program.as_str()))
            .bind::<Array<Text>, _>(each(chunk, |e| e.period.as_str()))
            .bind::<Array<SqlUuid>, _>(each(chunk, |e| e.family_id))
            .bind::<Array<Text>, _>(each(chunk, |e| e.person.as_str()))
            .bind::<Array<SqlUuid>, _>(each(chunk, |e| e.id))
            .bind::<Array<SqlUuid>, _>(each(chunk, |e| e.cycle_id))
            .bind::<Array<SqlUuid>, _>(each(chunk, |e| e.street_id))
            .bind::<Array<Nullable<BigInt>>, _>(each(chunk, |e| e.amount_cny))
            .bind::<Array<Text>, _>(each(chunk, |e| e.payer.as_str()))
            .bind::<Array<Text>, _>(each(chunk, |e| e.basis.as_str()))
            .bind::<Array<Text>, _>(each(chunk, |e| e.status.as_str()))
            .bind::<Array<Nullable<Text>>, _>(each(chunk, |e| e.exit_reason.as_deref()))
            .bind::<Array<Nullable<Text>>, _>(each(chunk, |e| e.exit_detail.as_deref()))
            .execute(conn)
            .await?;
        }
        Ok(inserted)
    }
}

impl EntryUpdate {
    /// A move to `status` at `at`; the caller sets the fields the step records.
    pub fn to(status: EntryStatus, at: DateTime<Utc>) -> EntryUpdate {
        EntryUpdate {
            status,
            verify_note: None,
            reject_reason: None,
            payment_reference: None,
            verified_by: None,
            verified_at: None,
            approved_by: None,
            approved_at: None,
            paid_by: None,
            paid_at: None,
            updated_at: Some(at),
            amount_cny: None,
            amount_note: None,
            amount_entered_by: None,
        }
    }
}

impl BenefitEntry {
    /// One page of a cycle's entries in `scope`, in street and family order, and the total.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        cycle_id: CycleId,
        filter: &EntryFilter,
    ) -> QueryResult<(Vec<BenefitEntry>, i64)> {
        let build = || {
            let mut q = scoped_entries(scope).filter(benefit_entries::cycle_id.eq(cycle_id));
            if let Some(statuses) = &filter.status {
                q = q.filter(benefit_entries::status.eq_any(statuses.clone()));
            }
            if let Some(street) = filter.street_id {
                q = q.filter(benefit_entries::street_id.eq(street));
            }
            q
        };
        let total = build().count().get_result(conn).await?;
        let rows = build()
            .order((
                benefit_entries::street_id,
                benefit_entries::family_id,
                benefit_entries::person,
            ))
            .limit(filter.limit)
            .offset(filter.offset)
            .select(BenefitEntry::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    /// Counts of a cycle's entries in `scope` by status.
    pub async fn counts(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        cycle_id: CycleId,
    ) -> QueryResult<Vec<(EntryStatus, i64)>> {
        benefit_entries::table
            .filter(benefit_entries::cycle_id.eq(cycle_id))
            .filter(in_scope::<benefit_entries::table>(scope, ENTRIES))
            .group_by(benefit_entries::status)
            .select((benefit_entries::status, diesel::dsl::count_star()))
            .load::<(EntryStatus, i64)>(conn)
            .await
    }

    /// The entries with these ids that are in `scope`, locked for a status change.
    pub async fn for_update(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        ids: &[Uuid],
    ) -> QueryResult<Vec<BenefitEntry>> {
        // Lock first (diesel cannot lock a boxed query), then read through the scope filter.
        benefit_entries::table
            .filter(benefit_entries::id.eq_any(ids))
            .select(benefit_entries::id)
            .for_update()
            .load::<Uuid>(conn)
            .await?;
        scoped_entries(scope)
            .filter(benefit_entries::id.eq_any(ids))
            .order(benefit_entries::id)
            .select(BenefitEntry::as_select())
            .load(conn)
            .await
    }

    /// Applies `update` to the entries among `ids` whose status is `from`; returns how many changed.
    pub async fn transition(
        conn: &mut AsyncPgConnection,
        ids: &[Uuid],
        from: EntryStatus,
        update: &EntryUpdate,
    ) -> QueryResult<usize> {
        diesel::update(
            benefit_entries::table
                .filter(benefit_entries::id.eq_any(ids))
                .filter(benefit_entries::status.eq(from)),
        )
        .set(update)
        .execute(conn)
        .await
    }

    /// A cycle's approved and paid entries (the payment list), in street and family order.
    pub async fn payable(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        cycle_id: CycleId,
    ) -> QueryResult<Vec<BenefitEntry>> {
        scoped_entries(scope)
            .filter(benefit_entries::cycle_id.eq(cycle_id))
            .filter(benefit_entries::status.eq_any([EntryStatus::Approved, EntryStatus::Paid]))
            .order((
                benefit_entries::street_id,
                benefit_entries::family_id,
                benefit_entries::person,
            ))
            .select(BenefitEntry::as_select())
            .load(conn)
            .await
    }

    /// A cycle's entries still open to change by a generation (proposed, or verified and not yet
    /// approved) of these families.
    pub async fn open_of_families(
        conn: &mut AsyncPgConnection,
        cycle: &BenefitCycle,
        families: &[FamilyId],
    ) -> QueryResult<Vec<BenefitEntry>> {
        let (Some(first), Some(last)) = (families.iter().min(), families.iter().max()) else {
            return Ok(Vec::new());
        };
        // By the ledger's key (program, period, family), bounded by the families' id range. A generation
        // adds a whole cycle at once, faster than the table's statistics follow, and a plan made for the
        // "nearly empty" table they still describe would scan the whole cycle once per page: index scans
        // only, and a range the index bounds itself by whatever the plan does with the list of ids.
        diesel::sql_query("SET LOCAL enable_seqscan = off")
            .execute(conn)
            .await?;
        let open = benefit_entries::table
            .filter(benefit_entries::program.eq(&cycle.program))
            .filter(benefit_entries::period.eq(&cycle.period))
            .filter(benefit_entries::family_id.between(*first, *last))
            .filter(benefit_entries::family_id.eq_any(families))
            .filter(benefit_entries::status.eq_any(OPEN))
            .order((benefit_entries::family_id, benefit_entries::person))
            .select(BenefitEntry::as_select())
            .load(conn)
            .await?;
        diesel::sql_query("SET LOCAL enable_seqscan = on")
            .execute(conn)
            .await?;
        Ok(open)
    }

    /// A cycle's open entries (as [`BenefitEntry::open_of_families`]) of families no longer active on the
    /// register, at most `limit`.
    pub async fn open_of_inactive_families(
        conn: &mut AsyncPgConnection,
        cycle: &BenefitCycle,
        limit: i64,
    ) -> QueryResult<Vec<BenefitEntry>> {
        // NOT EXISTS, an anti-join: `NOT IN (active ids)` degrades to a scan per entry once the register's
        // ids no longer fit in work_mem.
        let active = families::table
            .filter(families::tenant_id.eq(benefit_entries::tenant_id))
            .filter(families::id.eq(benefit_entries::family_id))
            .filter(families::status.eq(FamilyStatus::Active));
        benefit_entries::table
            .filter(benefit_entries::program.eq(&cycle.program))
            .filter(benefit_entries::period.eq(&cycle.period))
            .filter(benefit_entries::status.eq_any(OPEN))
            .filter(diesel::dsl::not(diesel::dsl::exists(active)))
            .order((benefit_entries::family_id, benefit_entries::person))
            .limit(limit)
            .select(BenefitEntry::as_select())
            .load(conn)
            .await
    }

    /// Sets an open entry to what the register entitles now (amount, payer, basis, the family's street) and
    /// back to `proposed`: a verification of the former one does not hold for it. Returns whether the entry
    /// was still open.
    pub async fn revise(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        now_entitled: &NewEntry,
        at: DateTime<Utc>,
    ) -> QueryResult<bool> {
        let changed = diesel::update(open_entry(id))
            .set((
                benefit_entries::amount_cny.eq(now_entitled.amount_cny),
                benefit_entries::payer.eq(&now_entitled.payer),
                benefit_entries::basis.eq(&now_entitled.basis),
                benefit_entries::street_id.eq(now_entitled.street_id),
                benefit_entries::status.eq(EntryStatus::Proposed),
                benefit_entries::verify_note.eq(None::<String>),
                benefit_entries::verified_by.eq(None::<String>),
                benefit_entries::verified_at.eq(None::<DateTime<Utc>>),
                benefit_entries::updated_at.eq(at),
            ))
            .execute(conn)
            .await?;
        Ok(changed == 1)
    }

    /// Closes an open entry whose beneficiary no longer qualifies (`exited`, with the reason). Returns
    /// whether the entry was still open.
    pub async fn withdraw(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        reason: &str,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> QueryResult<bool> {
        let changed = diesel::update(open_entry(id))
            .set((
                benefit_entries::status.eq(EntryStatus::Exited),
                benefit_entries::amount_cny.eq(None::<i64>),
                benefit_entries::exit_reason.eq(reason),
                benefit_entries::exit_detail.eq(detail),
                benefit_entries::updated_at.eq(at),
            ))
            .execute(conn)
            .await?;
        Ok(changed == 1)
    }

    /// Beneficiaries of `previous` (not rejected or exited there) who have no entry in `current`:
    /// the candidates for an exit row. One page in family order after `after`.
    pub async fn missing_from(
        conn: &mut AsyncPgConnection,
        previous: &BenefitCycle,
        current: &BenefitCycle,
        after: Option<(FamilyId, String)>,
        limit: i64,
    ) -> QueryResult<Vec<BenefitEntry>> {
        let (after_family, after_person) =
            after.unwrap_or((FamilyId::from_uuid(Uuid::nil()), String::new()));
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: Uuid,
        }
        let ids: Vec<Id> = diesel::sql_query(
            "SELECT p.id FROM benefit_entries p \
             WHERE p.program = $1 AND p.period = $2 \
               AND p.status IN ('proposed', 'verified', 'approved', 'paid') \
               AND (p.family_id, p.person) > ($3, $4) \
               AND NOT EXISTS (SELECT 1 FROM benefit_entries c \
                   WHERE c.tenant_id = p.tenant_id AND c.program = p.program AND c.period = $5 \
                     AND c.family_id = p.family_id AND c.person = p.person) \
             ORDER BY p.family_id, p.person LIMIT $6",
        )
        .bind::<Text, _>(&previous.program)
        .bind::<Text, _>(&previous.period)
        .bind::<diesel::sql_types::Uuid, _>(after_family)
        .bind::<Text, _>(after_person)
        .bind::<Text, _>(&current.period)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?;
        let ids: Vec<Uuid> = ids.into_iter().map(|i| i.id).collect();
        benefit_entries::table
            .filter(benefit_entries::id.eq_any(ids))
            .order((benefit_entries::family_id, benefit_entries::person))
            .select(BenefitEntry::as_select())
            .load(conn)
            .await
    }
}

/// The register, read in pages by family id (keyset), for register-wide computations. Contact
/// persons are not loaded: entitlements do not depend on them.
pub async fn register_page(
    conn: &mut AsyncPgConnection,
    after: Option<FamilyId>,
    limit: i64,
    active_only: bool,
) -> QueryResult<Vec<FamilyRecord>> {
    let mut query = families::table.into_boxed();
    if let Some(after) = after {
        query = query.filter(families::id.gt(after));
    }
    if active_only {
        query = query.filter(families::status.eq(FamilyStatus::Active));
    }
    let rows = query
        .order(families::id)
        .limit(limit)
        .select(FamilyRow::as_select())
        .load(conn)
        .await?;
    with_members(conn, rows).await
}

/// These families (any status) with their parents, in id order.
pub async fn families_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[FamilyId],
) -> QueryResult<Vec<FamilyRecord>> {
    let rows = families::table
        .filter(families::id.eq_any(ids))
        .order(families::id)
        .select(FamilyRow::as_select())
        .load(conn)
        .await?;
    with_members(conn, rows).await
}

async fn with_members(
    conn: &mut AsyncPgConnection,
    rows: Vec<FamilyRow>,
) -> QueryResult<Vec<FamilyRecord>> {
    let ids: Vec<FamilyId> = rows.iter().map(|f| f.id).collect();
    let members = family_members::table
        .filter(family_members::family_id.eq_any(&ids))
        .order((family_members::family_id, family_members::role.desc()))
        .select(MemberRow::as_select())
        .load(conn)
        .await?;
    // Both lists are in family-id order: one merge pass.
    let mut members = members.into_iter().peekable();
    Ok(rows
        .into_iter()
        .map(|family| {
            let mut mine = Vec::with_capacity(2);
            while let Some(m) = members.next_if(|m| m.family_id <= family.id) {
                if m.family_id == family.id {
                    mine.push(m);
                }
            }
            FamilyRecord {
                family,
                members: mine,
                contacts: Vec::new(),
            }
        })
        .collect())
}

/// The street of each of these families.
pub async fn streets_of(
    conn: &mut AsyncPgConnection,
    ids: &[FamilyId],
) -> QueryResult<Vec<(FamilyId, OrgUnitId)>> {
    families::table
        .filter(families::id.eq_any(ids))
        .select((families::id, families::street_id))
        .load(conn)
        .await
}
