//! What the API and the console show of volunteers, tasks and offers, by who asks. Street and district
//! staff see a task with its household's id and every offer; an organization sees its own offers, and
//! the household's address and phone only once it has taken the task; a volunteer sees their own offer.
//! Nobody outside the register's own staff sees anything of the family beyond the task's fields.

use chrono::{DateTime, Utc};
use nuanxin_db::models::tasks::{ServiceTask, TaskOffer, Volunteer};
use nuanxin_domain::tasks::config::MatchingConfig;
use nuanxin_domain::tasks::{OfferStatus, TaskStatus, Urgency};
use nuanxin_ids::{FamilyId, OfferId, TaskId, VolunteerId};
use nuanxin_privacy::aad;
use serde::Serialize;
use uuid::Uuid;

use super::Party;
use crate::state::{AppState, District};

/// A code with its Chinese name.
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolunteerView {
    pub id: VolunteerId,
    pub name: String,
    /// None: an independent volunteer.
    pub organization: Option<Named>,
    pub has_account: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub skills: Vec<Named>,
    pub qualifications: serde_json::Value,
    pub home: Option<serde_json::Value>,
    pub availability: serde_json::Value,
    pub weekly_max: i16,
    pub preference: i16,
    pub training: serde_json::Value,
    /// Visible to the organization and weighs in later matches.
    pub no_shows: i32,
    pub active: bool,
}

pub fn volunteer_view(
    state: &AppState,
    district: &District,
    cfg: &MatchingConfig,
    v: &Volunteer,
) -> VolunteerView {
    let skills: Vec<String> = serde_json::from_value(v.skills.clone()).unwrap_or_default();
    VolunteerView {
        id: v.id,
        name: v.name.clone(),
        organization: v
            .organization_id
            .and_then(|o| district.orgs.get(o))
            .map(|u| Named {
                code: u.code.clone(),
                name: u.name.clone(),
            }),
        has_account: v.user_id.is_some(),
        email: v.email.clone(),
        phone: v.phone_enc.as_ref().and_then(|blob| {
            let plain = state
                .keys
                .cipher
                .decrypt(blob, &super::volunteers::phone_aad(district, v.id))
                .ok()?;
            String::from_utf8(plain).ok()
        }),
        skills: skills
            .iter()
            .map(|s| Named {
                code: s.clone(),
                name: cfg.skill_name(s).to_owned(),
            })
            .collect(),
        qualifications: v.qualifications.clone(),
        home: v
            .latitude
            .zip(v.longitude)
            .map(|(lat, lon)| serde_json::json!({"lat": lat, "lon": lon})),
        availability: v.availability.clone(),
        weekly_max: v.weekly_max,
        preference: v.preference,
        training: v.training.clone(),
        no_shows: v.no_shows,
        active: v.active,
    }
}

/// A person named on an offer.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: VolunteerId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferView {
    pub id: OfferId,
    pub task_id: TaskId,
    pub slot: i16,
    pub status: OfferStatus,
    pub status_label: &'static str,
    /// None: the volunteer answers for themselves.
    pub organization: Option<Named>,
    /// The volunteer the matching proposed.
    pub matched: Option<Person>,
    /// The volunteer who goes.
    pub assigned: Option<Person>,
    /// 距离1.2公里；曾服务该家庭3次；本周已承担2项
    pub reasons: String,
    pub deadline: DateTime<Utc>,
    /// Seconds left to answer (0 once passed); None once answered.
    pub seconds_to_deadline: Option<i64>,
    pub decline_reason: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// Hours as a decimal text (`1.5`).
    pub hours: Option<String>,
    pub report: Option<String>,
    pub concern: Option<String>,
}

/// Minutes as hours in a decimal text, exact (`90` → `1.5`, `45` → `0.75`).
pub fn hours_text(minutes: i64) -> String {
    let hundredths = minutes * 100 / 60;
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

pub fn offer_view(
    district: &District,
    offer: &TaskOffer,
    names: &dyn Fn(VolunteerId) -> Option<String>,
    now: DateTime<Utc>,
) -> OfferView {
    let person = |id: VolunteerId| names(id).map(|name| Person { id, name });
    OfferView {
        id: offer.id,
        task_id: offer.task_id,
        slot: offer.slot,
        status: offer.status,
        status_label: offer.status.label(),
        organization: offer
            .organization_id
            .and_then(|o| district.orgs.get(o))
            .map(|u| Named {
                code: u.code.clone(),
                name: u.name.clone(),
            }),
        matched: person(offer.volunteer_id),
        assigned: offer.assigned_volunteer_id.and_then(person),
        reasons: offer.reasons.clone(),
        deadline: offer.deadline,
        seconds_to_deadline: (offer.status == OfferStatus::Offered)
            .then(|| (offer.deadline - now).num_seconds().max(0)),
        decline_reason: offer.decline_reason.clone(),
        checked_in_at: offer.checked_in_at,
        checked_out_at: offer.checked_out_at,
        hours: offer.minutes.map(|m| hours_text(i64::from(m))),
        report: offer.report.clone(),
        concern: offer.concern.clone(),
    }
}

/// A task as its reader may see it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub id: TaskId,
    /// Only for the register's staff (district, street, community).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_id: Option<FamilyId>,
    pub series_id: Uuid,
    pub service: Named,
    /// Local time in the district, `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    pub street: String,
    pub community: String,
    /// The address; None for an organization that has not taken the task yet.
    pub place: Option<String>,
    /// The name to address the elder by.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub notes: Option<String>,
    pub by_phone: bool,
    pub helpers_needed: i16,
    pub urgency: Urgency,
    pub urgency_label: &'static str,
    pub long_term: bool,
    pub status: TaskStatus,
    pub status_label: &'static str,
    pub offers: Vec<OfferView>,
}

/// The associated data of a task's encrypted contact phone.
pub fn contact_aad(district: &District, task: TaskId) -> Vec<u8> {
    aad(&[
        &district.id.to_string(),
        &task.to_string(),
        "service_tasks.contact_phone",
    ])
}

/// Whether the reader may see the household's address and phone: the register's staff, and an
/// organization or volunteer once their offer is taken (accepted and on).
fn sees_household(who: Party, offers: &[&TaskOffer]) -> bool {
    match who {
        Party::Staff => true,
        Party::Organization(_) | Party::Volunteer(_) => offers
            .iter()
            .any(|o| o.status.holds_slot() && o.status != OfferStatus::Offered),
        Party::Nobody => false,
    }
}

/// Whether an offer is the reader's to see.
pub fn offer_is_theirs(who: Party, offer: &TaskOffer) -> bool {
    match who {
        Party::Staff => true,
        Party::Organization(org) => offer.organization_id == Some(org),
        Party::Volunteer(v) => {
            offer.assigned_volunteer_id == Some(v)
                || (offer.organization_id.is_none() && offer.volunteer_id == v)
        }
        Party::Nobody => false,
    }
}

pub fn task_view(
    state: &AppState,
    district: &District,
    cfg: &MatchingConfig,
    who: Party,
    task: &ServiceTask,
    offers: &[TaskOffer],
    names: &dyn Fn(VolunteerId) -> Option<String>,
) -> TaskView {
    let now = Utc::now();
    let theirs: Vec<&TaskOffer> = offers
        .iter()
        .filter(|o| o.task_id == task.id && offer_is_theirs(who, o))
        .collect();
    let household = sees_household(who, &theirs);
    let local = |at: DateTime<Utc>| district.local(at).format("%Y-%m-%dT%H:%M").to_string();
    TaskView {
        id: task.id,
        family_id: (who == Party::Staff).then_some(task.family_id),
        series_id: task.series_id,
        service: Named {
            code: task.service.clone(),
            name: cfg.skill_name(&task.service).to_owned(),
        },
        starts_at: local(task.starts_at),
        ends_at: local(task.ends_at),
        street: district.orgs.name_of(task.street_id).to_owned(),
        community: district.orgs.name_of(task.community_id).to_owned(),
        place: household.then(|| task.place.clone()),
        contact_name: household.then(|| task.contact_name.clone()),
        contact_phone: household
            .then_some(task.contact_phone_enc.as_ref())
            .flatten()
            .and_then(|blob| {
                let plain = state
                    .keys
                    .cipher
                    .decrypt(blob, &contact_aad(district, task.id))
                    .ok()?;
                String::from_utf8(plain).ok()
            }),
        notes: household.then(|| task.notes.clone()),
        by_phone: task.by_phone,
        helpers_needed: task.helpers_needed,
        urgency: task.urgency,
        urgency_label: task.urgency.label(),
        long_term: task.long_term,
        status: task.status,
        status_label: task.status.label(),
        offers: theirs
            .iter()
            .map(|o| offer_view(district, o, names, now))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::hours_text;

    #[test]
    fn minutes_print_as_exact_hours() {
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(45), "0.75");
        assert_eq!(hours_text(120), "2");
        assert_eq!(hours_text(15), "0.25");
        assert_eq!(hours_text(615), "10.25");
    }
}
