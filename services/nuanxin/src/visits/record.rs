//! Recording a holiday visit: the family must be one of the campaign's and in the caller's scope; the
//! condolence money handed over pays the family's ledger entry with the visit as its reference, once
//! (the entry is locked, and a second visit with money is refused by `visits_money_once` too); what
//! the family needs opens a follow-up for its street.

use chrono::{NaiveDate, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_calendar::visit_window;
use nuanxin_db::models::visits::{
    holiday_entry_for_update, pay_by_visit, Campaign, CampaignFamily, VisitRow,
};
use nuanxin_domain::benefit::EntryStatus;
use nuanxin_domain::visits::{
    hand_over, on_time, CampaignTerms, HandOverRefused, VisitHow, VisitInput,
};
use nuanxin_ids::{CampaignId, FamilyId, VisitId};
use serde::Serialize;
use serde_json::json;

use super::{follow_up_for_street, household_follow_up, VisitError};
use crate::audit;
use crate::auth::Authorized;
use crate::state::AppState;
use crate::work::Work;

/// A visit as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct VisitView {
    pub id: VisitId,
    pub campaign_id: CampaignId,
    pub family_id: FamilyId,
    pub visited_on: NaiveDate,
    pub how: VisitHow,
    pub money_cny: i64,
    pub needs: Option<String>,
    pub visitor: String,
    /// Within the campaign's window.
    pub on_time: bool,
    /// The ledger entry's status after the visit (`paid` once the money is handed over).
    pub entry_status: Option<EntryStatus>,
    /// A follow-up was opened for the street (the family's needs).
    pub follow_up_opened: bool,
}

/// Records a visit of the campaign `campaign_id` as the caller, in one transaction.
pub async fn save_visit(
    state: &AppState,
    auth: &Authorized,
    campaign_id: CampaignId,
    input: VisitInput,
) -> Result<VisitView, VisitError> {
    auth.check(Resource::Visit, Action::Create)?;
    let mut work = auth.begin(state).await?;
    let view = record_visit(&mut work, auth, campaign_id, input).await?;
    work.commit().await?;
    Ok(view)
}

async fn record_visit(
    work: &mut Work<'_>,
    auth: &Authorized,
    campaign_id: CampaignId,
    input: VisitInput,
) -> Result<VisitView, VisitError> {
    let district = &auth.district;
    let campaign = Campaign::find(work, campaign_id)
        .await?
        .ok_or(VisitError::NotFound("没有找到该走访活动"))?;
    let family = CampaignFamily::find(work, auth.scope, campaign_id, input.family_id)
        .await?
        .ok_or(VisitError::NotFound(
            "该家庭不在本次走访范围内（或不在您的范围内）",
        ))?;
    let cycle_id = campaign
        .cycle_id
        .ok_or(VisitError::NotFound("该走访活动尚未生成完毕"))?;
    let days_before = (campaign.festival_on - campaign.window_starts_on).num_days();
    let window = visit_window(
        campaign.festival_on,
        u32::try_from(days_before).unwrap_or(u32::MAX),
    )
    .map_err(|e| VisitError::NotInForce(e.reason_zh()))?;
    // Locked before anything is written: of two visits with money at once, the second finds it paid.
    let entry = holiday_entry_for_update(work, cycle_id, family.family_id).await?;
    let terms = CampaignTerms {
        window,
        amount_cny: entry.as_ref().and_then(|e| e.amount_cny),
    };
    let visit = input
        .validate(&terms, district.today())
        .map_err(VisitError::Validation)?;
    let now = Utc::now();
    let id = VisitId::generate();
    let mut entry_status = entry.as_ref().map(|e| e.status);
    // The money pays the entry: refused before anything is written when it cannot.
    let payment = match (&entry, visit.money_cny > 0) {
        (_, false) => None,
        (None, true) => return Err(HandOverRefused::NotPayable.into()),
        (Some(entry), true) => Some((entry, hand_over(entry.status)?)),
    };
    let row = VisitRow {
        tenant_id: district.id,
        id,
        campaign_id,
        family_id: family.family_id,
        visited_on: visit.visited_on,
        how: visit.how,
        money_cny: visit.money_cny,
        needs: visit.needs.clone(),
        visitor_id: auth.actor.user_id,
        visitor_name: auth.actor.name.clone(),
        created_at: now,
    };
    row.insert(work).await?;
    if let Some((entry, to)) = payment {
        let reference = format!("visit:{id}");
        if !pay_by_visit(
            work,
            entry.id,
            entry.status,
            &reference,
            &auth.actor.actor,
            now,
        )
        .await?
        {
            return Err(HandOverRefused::AlreadyPaid.into());
        }
        entry_status = Some(to);
    }
    let follow_up_opened = match &visit.needs {
        Some(needs) => {
            let item = household_follow_up(
                district,
                (family.family_id, family.street_id),
                "visit_need",
                &campaign.program,
                &json!({"visit_id": id, "needs": needs}),
                visit.visited_on,
            );
            follow_up_for_street(work, district, &[item], "走访中家庭提出的需求").await? > 0
        }
        None => false,
    };
    audit::record(
        work,
        district.id,
        &auth.actor,
        "visit.record",
        "visit",
        &id.to_string(),
        json!({"campaign_id": campaign_id, "family_id": family.family_id, "how": visit.how.as_str(),
               "visited_on": visit.visited_on, "money_cny": visit.money_cny}),
    )
    .await?;
    Ok(VisitView {
        on_time: on_time(&window, row.visited_on),
        id,
        campaign_id,
        family_id: row.family_id,
        visited_on: row.visited_on,
        how: row.how,
        money_cny: row.money_cny,
        needs: row.needs,
        visitor: row.visitor_name,
        entry_status,
        follow_up_opened,
    })
}
