//! Holiday visits and daily contact (SPEC module 3): campaigns generated on the festival's date from the
//! holiday cycle of the ledger, visits that hand the condolence money over (paying the ledger entry,
//! once), contact persons' contact log with the problems it raises, and the daily flags. Nothing here
//! knows HTTP: `routes/visits/` and the console call the functions that take the caller's `Authorized`
//! and the state; each checks the caller's permission and runs in one unit of work.

pub mod activities;
pub mod campaign;
pub mod contacts;
pub mod dashboard;
pub mod flags;
pub mod record;

use nuanxin_db::models::follow_up::NewFollowUp;
use nuanxin_db::models::mail::NewMail;
use nuanxin_db::models::user::User;
use nuanxin_db::pool::TxError;
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::visits::HandOverRefused;
use nuanxin_domain::ValidationErrors;
use nuanxin_ids::{FamilyId, OrgUnitId};
use uuid::Uuid;

use crate::benefits::BenefitError;
use crate::state::District;

/// What can go wrong in this module.
#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    #[error("本区尚未配置政策")]
    NoPolicy,
    /// The program is no holiday visit of the district's policy (422 on `program`).
    #[error("{0}")]
    NotHolidayProgram(String),
    /// The year has no festival date (422 on `year`).
    #[error("{0}")]
    BadYear(String),
    /// No policy in force on the festival's date (422 on `year`).
    #[error("{0}")]
    NotInForce(String),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("无权执行此操作")]
    Forbidden,
    /// A number of the question outside its range (400 naming the field).
    #[error("{message}")]
    OutOfRange {
        field: &'static str,
        message: &'static str,
    },
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error(transparent)]
    HandOver(#[from] HandOverRefused),
    #[error(transparent)]
    Benefit(#[from] BenefitError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Tx(#[from] TxError),
    #[error(transparent)]
    ReadLog(#[from] crate::audit::reads::ReadLogFull),
}

impl From<crate::auth::authorized::Refused> for VisitError {
    fn from(_: crate::auth::authorized::Refused) -> VisitError {
        VisitError::Forbidden
    }
}

/// Opens a follow-up for the family's street and mails the street's staff about it, in the caller's
/// transaction (so the item and its mail exist only if the change that raised them commits).
/// `what` says in Chinese what is to be followed up; no names or identifiers go into mail.
pub(crate) async fn follow_up_for_street(
    conn: &mut AsyncPgConnection,
    district: &District,
    items: &[NewFollowUp],
    what: &str,
) -> Result<usize, VisitError> {
    let created = NewFollowUp::insert_new(conn, items).await?;
    let mut streets: Vec<OrgUnitId> = items.iter().map(|i| i.street_id).collect();
    streets.sort();
    streets.dedup();
    for street in streets {
        let count = items.iter().filter(|i| i.street_id == street).count();
        let families: Vec<String> = items
            .iter()
            .filter(|i| i.street_id == street)
            .map(|i| i.family_id.to_string())
            .collect();
        let subject = format!(
            "【暖心】{}：{count}项{what}待跟进",
            district.orgs.name_of(street)
        );
        let body = format!(
            "{what}，涉及以下家庭（编号）：\n{}\n请登录暖心平台“跟进事项”办理，并填写办结说明。",
            families.join("\n")
        );
        mail_unit(conn, district, street, &subject, &body).await?;
    }
    Ok(created)
}

/// Queues one mail to every active user of an org unit who has an address.
pub(crate) async fn mail_unit(
    conn: &mut AsyncPgConnection,
    district: &District,
    unit: OrgUnitId,
    subject: &str,
    body: &str,
) -> Result<(), VisitError> {
    let mails: Vec<NewMail> = User::emails_of_org_unit(conn, unit)
        .await?
        .into_iter()
        .map(|to| NewMail {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            to_address: to,
            subject: subject.to_owned(),
            body: body.to_owned(),
        })
        .collect();
    if !mails.is_empty() {
        NewMail::insert_many(conn, &mails).await?;
    }
    Ok(())
}

/// Queues one mail per contact person (address) listing their families by community and reference,
/// from rows of (address, family, community) sorted by address.
pub(crate) async fn mail_contact_persons(
    conn: &mut AsyncPgConnection,
    district: &District,
    rows: &[(String, FamilyId, OrgUnitId)],
    subject: &str,
    intro: &str,
) -> Result<usize, VisitError> {
    let mut mails = Vec::new();
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let lines: Vec<String> = group
            .iter()
            .map(|(_, family, community)| {
                format!("{} 家庭编号 {family}", district.orgs.name_of(*community))
            })
            .collect();
        mails.push(NewMail {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            to_address: group[0].0.clone(),
            subject: subject.to_owned(),
            body: format!(
                "{intro}\n{}\n请登录暖心平台“节日走访”页面查看并记录走访。",
                lines.join("\n")
            ),
        });
    }
    for chunk in mails.chunks(1000) {
        NewMail::insert_many(conn, chunk).await?;
    }
    Ok(mails.len())
}

/// A follow-up of the whole household (family, street) for its street, dated `on`.
pub(crate) fn household_follow_up(
    district: &District,
    (family_id, street_id): (FamilyId, OrgUnitId),
    change: &str,
    program: &str,
    detail: &serde_json::Value,
    on: chrono::NaiveDate,
) -> NewFollowUp {
    NewFollowUp {
        tenant_id: district.id,
        id: Uuid::new_v4(),
        family_id,
        street_id,
        change: change.into(),
        program: program.into(),
        person: "household".into(),
        detail: detail.clone(),
        created_on: on,
    }
}
