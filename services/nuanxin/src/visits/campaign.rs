//! Generating a holiday visit campaign: the festival's date for the year, the policy in force that
//! day, the holiday cycle of the ledger generated on it (the families entitled, one entry each), the
//! campaign's families taken from that cycle, and a mail to each contact person with their families.
//! One campaign per program and year: a repeat, or two at once, return the one that stands.

use chrono::{NaiveDate, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_calendar::{festival_on, Festival};
use nuanxin_db::models::visits::{Campaign, CampaignFamily, ContactAccount, ProgressRow};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::FamilyKind;
use nuanxin_domain::visits::festival_of_program;
use nuanxin_ids::{CampaignId, FamilyId, OrgUnitId};
use serde::Serialize;
use serde_json::json;

use super::{mail_contact_persons, VisitError};
use crate::audit::{self, Actor};
use crate::auth::Authorized;
use crate::benefits::{cycle, Access};
use crate::page::{Page, Paging};
use crate::state::{AppState, District};
use crate::work::Work;

/// A campaign as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub id: CampaignId,
    pub program: String,
    pub festival: Festival,
    pub festival_name: &'static str,
    pub year: i32,
    pub festival_on: NaiveDate,
    pub window_starts_on: NaiveDate,
    /// How many families it covers.
    pub families: i32,
    /// Whether every family has been written (a generation cut short is completed by the next).
    pub generated: bool,
}

impl CampaignView {
    pub fn of(c: &Campaign) -> Result<CampaignView, VisitError> {
        let festival = festival_of_program(&c.program)
            .ok_or_else(|| VisitError::NotHolidayProgram(c.program.clone()))?;
        Ok(CampaignView {
            id: c.id,
            program: c.program.clone(),
            festival,
            festival_name: festival.name_zh(),
            year: c.year,
            festival_on: c.festival_on,
            window_starts_on: c.window_starts_on,
            families: c.families,
            generated: c.generated_at.is_some(),
        })
    }
}

/// [`generate`] as the caller, who must be allowed to create campaigns.
pub async fn generate_for(
    state: std::sync::Arc<AppState>,
    auth: &Authorized,
    program: &str,
    year: i32,
) -> Result<(CampaignView, bool), VisitError> {
    auth.check(Resource::VisitCampaign, Action::Create)?;
    generate(state, &auth.district, &auth.actor, program, year).await
}

/// The district's campaigns, the latest festival first, for a caller who may read them.
pub async fn campaign_list(
    state: &AppState,
    auth: &Authorized,
) -> Result<Vec<CampaignView>, VisitError> {
    auth.check(Resource::VisitCampaign, Action::Read)?;
    let mut work = auth.begin(state).await?;
    let rows = Campaign::list(&mut work).await?;
    work.commit().await?;
    rows.iter().map(CampaignView::of).collect()
}

/// The campaign `id` and its progress by street and community in the caller's scope.
pub async fn campaign_progress(
    state: &AppState,
    auth: &Authorized,
    id: CampaignId,
) -> Result<CampaignProgress, VisitError> {
    auth.check(Resource::VisitCampaign, Action::Read)?;
    let mut work = auth.begin(state).await?;
    let progress = progress(&mut work, &auth.district, auth.scope, id).await?;
    work.commit().await?;
    Ok(progress)
}

/// A page of the campaign's families in the caller's scope, those not yet visited first; the read
/// goes to the audit log.
pub async fn families_page(
    state: &AppState,
    auth: &Authorized,
    id: CampaignId,
    paging: Paging,
) -> Result<Page<CampaignFamilyView>, VisitError> {
    auth.check(Resource::VisitCampaign, Action::Read)?;
    let mut work = auth.begin(state).await?;
    let (items, total) = families_of(&mut work, auth, id, paging.limit(), paging.offset()).await?;
    work.commit().await?;
    Ok(paging.page(items, total))
}

/// Generates the campaign of `program` for `year`, or returns the one that exists; `true` when this
/// call created it.
pub async fn generate(
    access: Access,
    district: &District,
    actor: &Actor,
    program: &str,
    year: i32,
) -> Result<(CampaignView, bool), VisitError> {
    let policy = district.policy.clone().ok_or(VisitError::NoPolicy)?;
    let festival = festival_of_program(program)
        .filter(|_| policy.program(program).is_some())
        .ok_or_else(|| {
            VisitError::NotHolidayProgram(format!(
                "“{program}”不是本区政策中的节日走访项目（holiday_visit_…）"
            ))
        })?;
    let on = festival_on(festival, year).map_err(|e| VisitError::BadYear(e.reason_zh()))?;
    if !policy.in_force_on(on) {
        let basis = policy.legal_basis();
        return Err(VisitError::NotInForce(format!(
            "{year}年{}是{on}，{}在该日不在有效期内（{}起{}），不能生成该走访活动",
            festival.name_zh(),
            basis.document_number,
            basis.in_force_from,
            basis
                .in_force_until
                .map_or("长期有效".to_owned(), |u| format!("至{u}"))
        )));
    }
    let window = district.visits.window(on).map_err(VisitError::NotInForce)?;
    let mut tx = TenantTx::begin(access.pool(), district.id).await?;
    let (campaign, created) = Campaign::claim(
        &mut tx,
        &Campaign {
            tenant_id: district.id,
            id: CampaignId::generate(),
            program: program.to_owned(),
            year,
            festival_on: on,
            window_starts_on: window.first(),
            cycle_id: None,
            families: 0,
            created_by: actor.actor.clone(),
            created_at: Utc::now(),
            generated_at: None,
            reminded_on: None,
        },
    )
    .await?;
    tx.commit().await?;
    if campaign.generated_at.is_some() {
        return Ok((CampaignView::of(&campaign)?, false));
    }
    // The ledger's holiday cycle holds the families entitled on the festival, one entry each: the
    // entry the money handed over at the visit pays.
    let generation = cycle::generate(
        access.clone(),
        district,
        actor,
        program,
        &year.to_string(),
        Some(on),
    )
    .await?;
    let mut tx = TenantTx::begin(access.pool(), district.id).await?;
    let families = Campaign::fill_from_cycle(&mut tx, campaign.id, generation.cycle_id).await?;
    let rows = ContactAccount::emails_of_campaign(&mut tx, campaign.id, false).await?;
    let mailed = mail_contact_persons(
        &mut tx,
        district,
        &rows,
        &format!("【暖心】{year}年{}走访慰问开始", festival.name_zh()),
        &format!(
            "{year}年{}（{on}）走访慰问自{}开始，请在节日前走访您联系的以下家庭，并当面送达慰问金：",
            festival.name_zh(),
            window.first()
        ),
    )
    .await?;
    audit::record(
        &tx,
        district.id,
        actor,
        "visit_campaign.generate",
        "visit_campaign",
        &campaign.id.to_string(),
        json!({"program": program, "year": year, "festival_on": on, "families": families,
               "cycle_id": generation.cycle_id, "contact_persons_mailed": mailed}),
    )
    .await?;
    tx.commit().await?;
    let mut tx = TenantTx::begin(access.pool(), district.id).await?;
    let campaign = Campaign::find(&mut tx, campaign.id)
        .await?
        .ok_or(VisitError::NotFound("没有找到该走访活动"))?;
    tx.commit().await?;
    Ok((CampaignView::of(&campaign)?, created))
}

/// Progress of one street and community.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressView {
    pub street_id: OrgUnitId,
    pub street: String,
    pub community_id: OrgUnitId,
    pub community: String,
    pub families: i64,
    pub visited: i64,
    pub visited_on_time: i64,
    pub money_given: i64,
    pub not_visited: i64,
}

/// A campaign with its progress in the caller's scope.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignProgress {
    #[serde(flatten)]
    pub campaign: CampaignView,
    pub progress: Vec<ProgressView>,
}

async fn progress(
    conn: &mut nuanxin_db::AsyncPgConnection,
    district: &District,
    scope: nuanxin_access::Scope,
    id: CampaignId,
) -> Result<CampaignProgress, VisitError> {
    let campaign = Campaign::find(conn, id)
        .await?
        .ok_or(VisitError::NotFound("没有找到该走访活动"))?;
    let rows = CampaignFamily::progress(
        conn,
        scope,
        id,
        campaign.window_starts_on,
        campaign.festival_on,
    )
    .await?;
    let progress = rows
        .into_iter()
        .map(|r: ProgressRow| ProgressView {
            street: district.orgs.name_of(r.street_id).to_owned(),
            community: district.orgs.name_of(r.community_id).to_owned(),
            street_id: r.street_id,
            community_id: r.community_id,
            not_visited: r.families - r.visited,
            families: r.families,
            visited: r.visited,
            visited_on_time: r.on_time,
            money_given: r.money_given,
        })
        .collect();
    Ok(CampaignProgress {
        campaign: CampaignView::of(&campaign)?,
        progress,
    })
}

/// One family of a campaign as its visitors see it: enough to find it and to know what is left.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignFamilyView {
    pub family_id: FamilyId,
    /// None only for a family the register no longer holds.
    pub kind: Option<FamilyKind>,
    pub street: String,
    pub community: String,
    pub address: String,
    /// The living parents' names, masked for callers who may not see personal data.
    pub parents: Vec<String>,
    pub first_visit_on: Option<NaiveDate>,
    pub money_given: bool,
}

async fn families_of(
    work: &mut Work<'_>,
    auth: &Authorized,
    id: CampaignId,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CampaignFamilyView>, i64), VisitError> {
    let district = &auth.district;
    Campaign::find(work, id)
        .await?
        .ok_or(VisitError::NotFound("没有找到该走访活动"))?;
    let (rows, total) = CampaignFamily::page(work, auth.scope, id, limit, offset).await?;
    let ids: Vec<FamilyId> = rows.iter().map(|r| r.family.family_id).collect();
    let briefs = nuanxin_db::models::visits::family_briefs(work, &ids).await?;
    let full = auth.reveal() == crate::registry::view::Reveal::Full;
    let items = rows
        .into_iter()
        .map(|r| {
            let brief = briefs.iter().find(|b| b.family_id == r.family.family_id);
            CampaignFamilyView {
                family_id: r.family.family_id,
                kind: brief.map(|b| b.kind),
                street: district.orgs.name_of(r.family.street_id).to_owned(),
                community: district.orgs.name_of(r.family.community_id).to_owned(),
                address: brief.map_or(String::new(), |b| b.address.clone()),
                parents: brief.map_or(Vec::new(), |b| {
                    b.parents
                        .iter()
                        .map(|(_, name)| {
                            if full {
                                name.clone()
                            } else {
                                nuanxin_privacy::mask_name(name)
                            }
                        })
                        .collect()
                }),
                first_visit_on: r.first_visit_on,
                money_given: r.money_given,
            }
        })
        .collect::<Vec<_>>();
    audit::record(
        work,
        district.id,
        &auth.actor,
        "visit_campaign.families.read",
        "visit_campaign",
        &id.to_string(),
        json!({"families": ids, "pii": full}),
    )
    .await?;
    Ok((items, total))
}
