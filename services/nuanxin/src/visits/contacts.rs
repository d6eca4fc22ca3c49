//! Contact persons' daily contact (日常联系): each family's contact log, the problems a contact raises
//! (each a follow-up its street resolves with a note), and the accounts that are a family's contact
//! persons (each reaches exactly its families through `family_assignments`).

use chrono::{DateTime, NaiveDate, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::follow_up::NewFollowUp;
use nuanxin_db::models::visits::{
    account_is_active, family_briefs, family_in_scope, ContactAccount, ContactRow,
};
use nuanxin_domain::visits::{Contact, ContactHow, ContactInput, ProblemCategory};
use nuanxin_ids::{FamilyId, UserId};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{follow_up_for_street, household_follow_up, VisitError};
use crate::audit;
use crate::auth::Authorized;
use crate::page::{Page, Paging};
use crate::state::AppState;
use crate::work::Work;

/// One problem as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemView {
    pub category: String,
    pub category_name: &'static str,
    pub detail: Option<String>,
}

/// One contact as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    pub id: Uuid,
    pub family_id: FamilyId,
    pub on: NaiveDate,
    pub how: ContactHow,
    pub summary: String,
    pub problems: Vec<ProblemView>,
    /// The registered contact person it was for, when someone else recorded it.
    pub contact_person: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// The stored problems (`[{category, detail}]`) as the API shows them.
fn problems_view(stored: &serde_json::Value) -> Vec<ProblemView> {
    stored
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|p| {
                    let category = ProblemCategory::from_code_or_word(p["category"].as_str()?)?;
                    Some(ProblemView {
                        category: category.as_str().to_owned(),
                        category_name: category.label(),
                        detail: p["detail"].as_str().map(str::to_owned),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn contact_view(row: ContactRow) -> ContactView {
    ContactView {
        problems: problems_view(&row.problems),
        id: row.id,
        family_id: row.family_id,
        on: row.contacted_on,
        how: row.how,
        summary: row.summary,
        contact_person: row.contact_person,
        recorded_by: row.recorded_by,
        recorded_at: row.created_at,
    }
}

/// Where a family lives, for whoever keeps in contact with it.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyPlace {
    pub street: String,
    pub community: String,
    pub address: String,
}

/// A page of the family's contact log in the caller's scope, with where the family lives; the read
/// is handed to the batched read log before the answer leaves (as a family's read is: a read stays a
/// read-only transaction).
pub async fn contact_page(
    state: &AppState,
    auth: &Authorized,
    family_id: FamilyId,
    paging: Paging,
) -> Result<(FamilyPlace, Page<ContactView>), VisitError> {
    auth.check(Resource::ContactLog, Action::List)?;
    let mut work = auth.begin(state).await?;
    let (place, items, total) =
        contact_log_page(&mut work, auth, family_id, paging.limit(), paging.offset()).await?;
    work.commit().await?;
    state
        .read_log
        .record(
            audit::event(
                auth.district.id,
                &auth.actor,
                "contact_log.read",
                "family",
                &family_id.to_string(),
                json!({"contacts": items.len()}),
            ),
            crate::audit::reads::WAIT,
        )
        .await?;
    Ok((place, paging.page(items, total)))
}

async fn contact_log_page(
    work: &mut Work<'_>,
    auth: &Authorized,
    family_id: FamilyId,
    limit: i64,
    offset: i64,
) -> Result<(FamilyPlace, Vec<ContactView>, i64), VisitError> {
    let (street_id, community_id) = family_in_scope(work, auth.scope, family_id)
        .await?
        .ok_or(VisitError::NotFound("没有找到该家庭"))?;
    let address = family_briefs(work, &[family_id])
        .await?
        .into_iter()
        .next()
        .map(|b| b.address)
        .unwrap_or_default();
    let orgs = &auth.district.orgs;
    let place = FamilyPlace {
        street: orgs.name_of(street_id).to_owned(),
        community: orgs.name_of(community_id).to_owned(),
        address,
    };
    let (rows, total) = ContactRow::page(work, auth.scope, family_id, limit, offset).await?;
    Ok((place, rows.into_iter().map(contact_view).collect(), total))
}

/// Logs a contact with a family in the caller's scope, in one transaction; each problem raised opens
/// a follow-up for the family's street (one per category and day).
pub async fn save_contact(
    state: &AppState,
    auth: &Authorized,
    family_id: FamilyId,
    input: ContactInput,
) -> Result<ContactView, VisitError> {
    auth.check(Resource::ContactLog, Action::Create)?;
    let contact = input
        .validate(auth.district.today())
        .map_err(VisitError::Validation)?;
    let mut work = auth.begin(state).await?;
    let view = log_contact(&mut work, auth, family_id, contact).await?;
    work.commit().await?;
    Ok(view)
}

async fn log_contact(
    work: &mut Work<'_>,
    auth: &Authorized,
    family_id: FamilyId,
    contact: Contact,
) -> Result<ContactView, VisitError> {
    let district = &auth.district;
    let (street_id, _) = family_in_scope(work, auth.scope, family_id)
        .await?
        .ok_or(VisitError::NotFound("没有找到该家庭"))?;
    let id = Uuid::new_v4();
    let row = ContactRow {
        tenant_id: district.id,
        id,
        family_id,
        contacted_on: contact.on,
        how: contact.how,
        summary: contact.summary,
        problems: contact
            .problems
            .iter()
            .map(|p| json!({"category": p.category.as_str(), "detail": p.detail}))
            .collect(),
        contact_person: contact.contact_person,
        recorded_by_id: auth.actor.user_id,
        recorded_by: auth.actor.name.clone(),
        created_at: Utc::now(),
    };
    row.insert(work).await?;
    let items: Vec<NewFollowUp> = contact
        .problems
        .iter()
        .map(|p| {
            household_follow_up(
                district,
                (family_id, street_id),
                "contact_problem",
                p.category.as_str(),
                &json!({"contact_id": id, "category": p.category.label(), "detail": p.detail}),
                contact.on,
            )
        })
        .collect();
    if !items.is_empty() {
        follow_up_for_street(work, district, &items, "帮扶联系中反映的问题").await?;
    }
    audit::record(
        work,
        district.id,
        &auth.actor,
        "contact_log.create",
        "family",
        &family_id.to_string(),
        json!({"contact_id": id, "how": row.how, "on": row.contacted_on,
               "problems": contact.problems.iter().map(|p| p.category.as_str()).collect::<Vec<_>>()}),
    )
    .await?;
    Ok(contact_view(row))
}

/// Links an active account of the district to a family in the caller's scope as one of its contact
/// persons, for a caller who may change the family; `true` when it was not linked before.
pub async fn link_account(
    state: &AppState,
    auth: &Authorized,
    family_id: FamilyId,
    user_id: UserId,
) -> Result<bool, VisitError> {
    auth.check(Resource::Family, Action::Update)?;
    let mut work = auth.begin(state).await?;
    let new = link_contact_account(&mut work, auth, family_id, user_id).await?;
    work.commit().await?;
    Ok(new)
}

async fn link_contact_account(
    work: &mut Work<'_>,
    auth: &Authorized,
    family_id: FamilyId,
    user_id: UserId,
) -> Result<bool, VisitError> {
    family_in_scope(work, auth.scope, family_id)
        .await?
        .ok_or(VisitError::NotFound("没有找到该家庭"))?;
    if !account_is_active(work, user_id).await? {
        let mut errors = nuanxin_domain::ValidationErrors::default();
        errors.push("user_id", "unknown_account", "本区没有该启用中的账号");
        return Err(VisitError::Validation(errors));
    }
    let linked = ContactAccount {
        tenant_id: auth.district.id,
        family_id,
        user_id,
        created_by: auth.actor.actor.clone(),
        created_at: Utc::now(),
    }
    .link(work)
    .await?;
    audit::record(
        work,
        auth.district.id,
        &auth.actor,
        "contact_account.link",
        "family",
        &family_id.to_string(),
        json!({"user_id": user_id, "new": linked}),
    )
    .await?;
    Ok(linked)
}
