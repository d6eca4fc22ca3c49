//! The module's mail, written to the outbox in the transaction of the change that causes it: a new
//! request to the steward, a decision or revocation to the requester, an expiry notice to the
//! department. No names or identifiers of families: the unit, the purpose, the reference and a date.

use chrono::NaiveDate;
use nuanxin_db::models::mail::NewMail;
use nuanxin_db::models::sharing::{email_of_user, DataRelease, DataRequest};
use nuanxin_db::models::user::User;
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::org::OrgKind;
use uuid::Uuid;

use crate::state::District;

async fn queue(
    conn: &mut AsyncPgConnection,
    district: &District,
    to: Vec<String>,
    subject: &str,
    body: &str,
) -> diesel::QueryResult<()> {
    let mails: Vec<NewMail> = to
        .into_iter()
        .map(|to_address| NewMail {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            to_address,
            subject: subject.to_owned(),
            body: body.to_owned(),
        })
        .collect();
    if mails.is_empty() {
        return Ok(());
    }
    NewMail::insert_many(conn, &mails).await
}

/// A new request: to the data steward (every addressed account of the district office).
pub async fn new_request(
    conn: &mut AsyncPgConnection,
    district: &District,
    request: &DataRequest,
) -> diesel::QueryResult<()> {
    let Some(office) = district.orgs.of_kind(OrgKind::DistrictOffice).next() else {
        return Ok(());
    };
    let to = User::emails_of_org_unit(conn, office.id).await?;
    let unit = district.orgs.name_of(request.org_unit_id);
    queue(
        conn,
        district,
        to,
        &format!("【暖心】{unit}提出数据共享申请"),
        &format!(
            "{unit}申请用于“{}”的数据（{}天），申请编号 {}。\n请登录暖心平台“数据共享审批”对照共享规则审批。",
            request.purpose, request.days, request.id
        ),
    )
    .await
}

/// A decision (approval with its release, or rejection with the reason): to the requester.
pub async fn decision(
    conn: &mut AsyncPgConnection,
    district: &District,
    request: &DataRequest,
    release: Option<&DataRelease>,
    reason: Option<&str>,
) -> diesel::QueryResult<()> {
    let to: Vec<String> = email_of_user(conn, request.requested_by)
        .await?
        .into_iter()
        .collect();
    let (subject, body) = match release {
        Some(r) => (
            format!("【暖心】数据共享申请已批准：{}", request.purpose),
            format!(
                "您于{}提出的“{}”数据共享申请（编号 {}）已批准，数据发布编号 {}，可使用至{}。\n数据仅限申请用途使用，每次查阅均记入审计日志。",
                district.local(request.created_at).format("%Y-%m-%d"),
                request.purpose,
                request.id,
                r.id,
                r.expires_on
            ),
        ),
        None => (
            format!("【暖心】数据共享申请未获批准：{}", request.purpose),
            format!(
                "您于{}提出的“{}”数据共享申请（编号 {}）未获批准。\n理由：{}",
                district.local(request.created_at).format("%Y-%m-%d"),
                request.purpose,
                request.id,
                reason.unwrap_or("")
            ),
        ),
    };
    queue(conn, district, to, &subject, &body).await
}

/// A release revoked by the steward: to the department's addressed accounts.
pub async fn revoked(
    conn: &mut AsyncPgConnection,
    district: &District,
    release: &DataRelease,
) -> diesel::QueryResult<()> {
    let to = User::emails_of_org_unit(conn, release.org_unit_id).await?;
    queue(
        conn,
        district,
        to,
        &format!("【暖心】数据发布已撤销：{}", release.purpose),
        &format!(
            "“{}”的数据发布（编号 {}）已由区数据管理部门撤销，即日起不能再查阅或导出。\n已导出的数据请按规定删除。",
            release.purpose, release.id
        ),
    )
    .await
}

/// A release about to end: to the department's addressed accounts.
pub async fn expiry_notice(
    conn: &mut AsyncPgConnection,
    district: &District,
    release: &DataRelease,
    today: NaiveDate,
) -> diesel::QueryResult<()> {
    let to = User::emails_of_org_unit(conn, release.org_unit_id).await?;
    let days_left = (release.expires_on - today).num_days() + 1;
    queue(
        conn,
        district,
        to,
        &format!("【暖心】数据发布即将到期：{}", release.purpose),
        &format!(
            "“{}”的数据发布（编号 {}）将于{}结束（还剩{days_left}天），之后不能再查阅或导出。\n如仍需要，请重新提出申请；已导出的数据请在到期后按规定删除。",
            release.purpose, release.id, release.expires_on
        ),
    )
    .await
}
