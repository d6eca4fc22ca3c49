//! Turns pending notices into mail: one message per recipient for everything that waited since the last
//! pass, written to the outbox in the transaction that marks the notices sent, so a retry never mails twice
//! and a burst of changes (a dozen offers, reassignments back and forth) reaches each person once.
//!
//! An assignment notice whose offer has since gone to someone else, or ended, is dropped: the person is no
//! longer concerned. Messages name the service, the time and the street, never the household's address or
//! phone; those are on the platform, behind the login.

use nuanxin_ids::{OfferId, TaskId, VolunteerId};
use std::collections::{BTreeMap, HashMap};

use nuanxin_db::models::mail::NewMail;
use nuanxin_db::models::tasks::{
    cancel_reasons, Notice, ServiceTask, TaskOffer, TaskReach, Volunteer,
};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::tasks::{OfferStatus, TaskStatus};
use uuid::Uuid;

use super::{config, TaskError};
use crate::state::{AppState, District};

/// Notices taken per pass.
const BATCH: i64 = 1000;

fn line(
    kind: &str,
    offer: &TaskOffer,
    task: &ServiceTask,
    district: &District,
    service: &str,
    cancel_reason: Option<&str>,
) -> Option<String> {
    let when = district.local(task.starts_at).format("%m月%d日 %H:%M");
    let street = district.orgs.name_of(task.street_id);
    let status = offer.status;
    Some(match kind {
        "offer" => format!(
            "新的服务任务邀请：{street} {service}，{when}，请于{}前答复。",
            district.local(offer.deadline).format("%m月%d日 %H:%M")
        ),
        "answer" => match status {
            OfferStatus::Declined => format!(
                "{street} {service}（{when}）的邀请已被拒绝：{}。将重新匹配。",
                offer.decline_reason.as_deref().unwrap_or("")
            ),
            OfferStatus::Expired => {
                format!("{street} {service}（{when}）的邀请逾期未答复，视为拒绝，将重新匹配。")
            }
            _ => format!("{street} {service}（{when}）的邀请已被接受。"),
        },
        "assignment" => {
            format!("您被安排参加{street} {service}，{when}。地址和联系方式请登录平台查看。")
        }
        "reminder" => format!("提醒：您将于{when}参加{street} {service}，请按时签到。"),
        "no_show" => {
            format!("{street} {service}（{when}）的志愿者未按时签到，已记为未到场并重新匹配。")
        }
        "cancel" => format!(
            "{street} {service}（{when}）的服务任务已取消：{}。无需再前往。",
            cancel_reason.unwrap_or("街道已取消")
        ),
        _ => return None,
    })
}

/// Mails what is pending; returns how many messages were written.
pub async fn flush(state: &AppState, district: &District) -> Result<usize, TaskError> {
    let cfg = config(district)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let pending = Notice::pending(&mut tx, BATCH).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut offer_ids: Vec<OfferId> = pending.iter().map(|n| n.offer_id).collect();
    offer_ids.sort_unstable();
    offer_ids.dedup();
    let mut offers: HashMap<OfferId, TaskOffer> = HashMap::new();
    let mut tasks: HashMap<TaskId, ServiceTask> = HashMap::new();
    let mut emails: HashMap<VolunteerId, Option<String>> = HashMap::new();
    for id in offer_ids {
        let Some(o) = TaskOffer::lock(&mut tx, id).await? else {
            continue;
        };
        if !tasks.contains_key(&o.task_id) {
            if let Some(t) = ServiceTask::find(&mut tx, TaskReach::District, o.task_id).await? {
                tasks.insert(t.id, t);
            }
        }
        if let Some(v) = o.assigned_volunteer_id {
            if let std::collections::hash_map::Entry::Vacant(e) = emails.entry(v) {
                e.insert(Volunteer::find(&mut tx, v).await?.and_then(|v| v.email));
            }
        }
        offers.insert(id, o);
    }
    let cancelled: Vec<TaskId> = tasks
        .values()
        .filter(|t| t.status == TaskStatus::Cancelled)
        .map(|t| t.id)
        .collect();
    let reasons: HashMap<TaskId, String> = if cancelled.is_empty() {
        HashMap::new()
    } else {
        cancel_reasons(&mut tx, &cancelled)
            .await?
            .into_iter()
            .collect()
    };
    let mut by_recipient: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for n in &pending {
        let Some(offer) = offers.get(&n.offer_id) else {
            continue;
        };
        let Some(task) = tasks.get(&offer.task_id) else {
            continue;
        };
        let current = offer
            .assigned_volunteer_id
            .and_then(|v| emails.get(&v).cloned().flatten());
        let still_theirs = current.as_deref() == Some(n.recipient.as_str())
            && matches!(offer.status, OfferStatus::Assigned | OfferStatus::CheckedIn);
        if matches!(n.kind.as_str(), "assignment" | "reminder") && !still_theirs {
            continue;
        }
        if let Some(text) = line(
            &n.kind,
            offer,
            task,
            district,
            cfg.skill_name(&task.service),
            reasons.get(&task.id).map(String::as_str),
        ) {
            by_recipient
                .entry(n.recipient.as_str())
                .or_default()
                .push(text);
        }
    }
    let mails: Vec<NewMail> = by_recipient
        .into_iter()
        .map(|(to, lines)| NewMail {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            to_address: to.to_owned(),
            subject: format!("暖心平台：志愿服务任务（{}条）", lines.len()),
            body: format!("{}\n\n— 暖心平台（{}）", lines.join("\n"), district.name),
        })
        .collect();
    NewMail::insert_many(&mut tx, &mails).await?;
    let ids: Vec<Uuid> = pending.iter().map(|n| n.id).collect();
    Notice::mark_sent(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(mails.len())
}
