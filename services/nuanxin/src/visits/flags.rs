//! The daily flags: a campaign's families not visited `reminder_days_before` days before the festival
//! (a follow-up and a mail for the street, a reminder to their contact persons), families without
//! contact for `no_contact_days` (to their community worker) and families with fewer than three contact
//! persons. Each is a follow-up written with its mail in one transaction, and never twice while open.

use chrono::{Days, NaiveDate};
use nuanxin_db::models::follow_up::NewFollowUp;
use nuanxin_db::models::visits::{
    families_with_few_contacts, families_without_contact_since, Campaign, CampaignFamily,
    ContactAccount, FlaggedFamily,
};
use nuanxin_db::pool::{DbPool, TenantTx};
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::family::CONTACTS_MIN;
use nuanxin_domain::visits::festival_of_program;
use nuanxin_ids::OrgUnitId;
use serde::Serialize;
use serde_json::json;

use super::{
    follow_up_for_street, household_follow_up, mail_contact_persons, mail_unit, VisitError,
};
use crate::state::District;

/// What a day's flags did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagReport {
    pub campaigns_reminded: usize,
    pub not_visited: usize,
    pub no_contact: usize,
    pub few_contacts: usize,
}

/// Runs the day's flags for `district` on `today`.
pub async fn run(
    pool: &DbPool,
    district: &District,
    today: NaiveDate,
) -> Result<FlagReport, VisitError> {
    let mut report = FlagReport::default();
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let due = Campaign::due_for_reminder(
        &mut tx,
        today,
        i64::from(district.visits.reminder_days_before),
    )
    .await?;
    tx.commit().await?;
    for campaign in due {
        let mut tx = TenantTx::begin(pool, district.id).await?;
        // Claimed first: a run on another node that got here before leaves nothing to do.
        if Campaign::mark_reminded(&mut tx, campaign.id, today).await? {
            report.not_visited += remind(&mut tx, district, &campaign, today).await?;
            report.campaigns_reminded += 1;
        }
        tx.commit().await?;
    }
    let since = today
        .checked_sub_days(Days::new(u64::from(district.visits.no_contact_days)))
        .unwrap_or(today);
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let silent = families_without_contact_since(&mut tx, since).await?;
    report.no_contact = flag(
        &mut tx,
        district,
        &silent,
        "no_contact",
        today,
        &format!("{}天以上没有帮扶联系记录", district.visits.no_contact_days),
    )
    .await?;
    let few = families_with_few_contacts(&mut tx, CONTACTS_MIN as i64).await?;
    report.few_contacts = flag(
        &mut tx,
        district,
        &few,
        "few_contacts",
        today,
        &format!("帮扶联系人不足{CONTACTS_MIN}名"),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// Flags the campaign's unvisited families to their streets and reminds their contact persons.
async fn remind(
    conn: &mut AsyncPgConnection,
    district: &District,
    campaign: &Campaign,
    today: NaiveDate,
) -> Result<usize, VisitError> {
    let festival = festival_of_program(&campaign.program).map_or("节日", |f| f.name_zh());
    let unvisited = CampaignFamily::unvisited(conn, campaign.id).await?;
    let detail = json!({"campaign_id": campaign.id, "festival_on": campaign.festival_on});
    let items: Vec<NewFollowUp> = unvisited
        .iter()
        .map(|f| {
            household_follow_up(
                district,
                (f.family_id, f.street_id),
                "not_visited",
                &campaign.program,
                &detail,
                today,
            )
        })
        .collect();
    let what = format!(
        "距{}年{festival}（{}）不足{}天尚未走访的家庭",
        campaign.year, campaign.festival_on, district.visits.reminder_days_before
    );
    let created = follow_up_for_street(conn, district, &items, &what).await?;
    let rows = ContactAccount::emails_of_campaign(conn, campaign.id, true).await?;
    mail_contact_persons(
        conn,
        district,
        &rows,
        &format!("【暖心】{}年{festival}走访提醒", campaign.year),
        &format!(
            "{}年{festival}是{}，以下您联系的家庭尚未走访，请尽快走访并送达慰问金：",
            campaign.year, campaign.festival_on
        ),
    )
    .await?;
    Ok(created)
}

/// Opens a `change` follow-up for each family and mails each community's workers.
async fn flag(
    conn: &mut AsyncPgConnection,
    district: &District,
    families: &[FlaggedFamily],
    change: &str,
    today: NaiveDate,
    what: &str,
) -> Result<usize, VisitError> {
    let detail = json!({"reason": what});
    let items: Vec<NewFollowUp> = families
        .iter()
        .map(|f| {
            household_follow_up(
                district,
                (f.family_id, f.street_id),
                change,
                "contact_persons",
                &detail,
                today,
            )
        })
        .collect();
    let created = NewFollowUp::insert_new(conn, &items).await?;
    let mut communities: Vec<OrgUnitId> = families.iter().map(|f| f.community_id).collect();
    communities.sort();
    communities.dedup();
    for community in communities {
        let ids: Vec<String> = families
            .iter()
            .filter(|f| f.community_id == community)
            .map(|f| f.family_id.to_string())
            .collect();
        mail_unit(
            conn,
            district,
            community,
            &format!(
                "【暖心】{}：{}户{what}",
                district.orgs.name_of(community),
                ids.len()
            ),
            &format!(
                "以下家庭（编号）{what}，请安排联系并在暖心平台记录：\n{}",
                ids.join("\n")
            ),
        )
        .await?;
    }
    Ok(created)
}
