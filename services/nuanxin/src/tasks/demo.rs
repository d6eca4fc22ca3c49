//! The demo's service tasks, so the console shows work on first login: the demo `socialorg`'s
//! volunteers (the district's skills, a qualification where a skill needs one, the whole week's
//! daytime, homes near the demo street's families; the `volunteer` account is the first of them), a few
//! open tasks for the demo `street`'s families over the next two days, and one matching run's offers.
//! A district that has volunteers already is left as it is, so onboarding twice adds nothing.

use chrono::{Duration, NaiveTime};
use nuanxin_access::Scope;
use nuanxin_db::models::family::{FamilyFilter, FamilyRecord};
use nuanxin_db::models::tasks::{family_places, ServiceTask, Volunteer};
use nuanxin_db::models::user::User;
use nuanxin_db::pool::{DbPool, TenantTx};
use nuanxin_domain::family::Coordinates;
use nuanxin_domain::tasks::input::{HeldQualification, TaskInput, VolunteerInput};
use nuanxin_domain::tasks::{parse_weekday, Slot, Urgency};
use nuanxin_ids::FamilyId;

use super::service_tasks::task_rows;
use super::volunteers::volunteer_row;
use super::{matching, TaskError};
use crate::state::{District, Keys};

const NAMES: [&str; 6] = [
    "赵演示志愿者",
    "钱演示志愿者",
    "孙演示志愿者",
    "李演示志愿者",
    "周演示志愿者",
    "吴演示志愿者",
];
const ADDRESSED_AS: [&str; 4] = ["王阿姨", "李叔叔", "张阿姨", "刘叔叔"];
/// An hour and minute of the day.
type Clock = (u32, u32);
/// (day from today, start, end) of the demo tasks.
const WINDOWS: [(i64, Clock, Clock); 4] = [
    (1, (9, 0), (11, 0)),
    (1, (14, 0), (16, 0)),
    (2, (10, 0), (11, 30)),
    (2, (15, 0), (16, 0)),
];

const ACTOR: &str = "system:demo";

fn at(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// Seeds the demo's volunteers, tasks and one run; nothing when the district has no matching
/// configuration, no demo organization or street, or volunteers already.
pub async fn seed(pool: &DbPool, district: &District, keys: &Keys) -> Result<(), TaskError> {
    let Some(cfg) = district.matching.clone() else {
        return Ok(());
    };
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let (_, existing) = Volunteer::list(&mut tx, None, 1, 0).await?;
    let organization = User::by_username(&mut tx, "socialorg").await?;
    let street = User::by_username(&mut tx, "street").await?;
    let (Some(organization), Some(street), 0) = (organization, street, existing) else {
        return Ok(());
    };
    let volunteer_account = User::by_username(&mut tx, "volunteer").await?;
    let records = FamilyRecord::page(
        &mut tx,
        Scope::Street(street.org_unit_id),
        &FamilyFilter {
            limit: WINDOWS.len() as i64,
            ..FamilyFilter::default()
        },
    )
    .await?;
    let ids: Vec<FamilyId> = records.iter().map(|r| r.family.id).collect();
    let families = family_places(&mut tx, Scope::District, &ids).await?;
    let centre = families
        .iter()
        .find_map(|f| Some((f.latitude?, f.longitude?)))
        .unwrap_or((39.94, 116.37));
    let week: Vec<Slot> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .filter_map(|d| {
            Some(Slot {
                day: parse_weekday(d)?,
                from: at(8, 0),
                to: at(20, 0),
            })
        })
        .collect();
    let skills: Vec<_> = cfg.skills.iter().filter(|s| !s.long_term).collect();
    if skills.is_empty() {
        return Ok(());
    }
    let today = district.today();
    for (i, name) in NAMES.iter().enumerate() {
        let mut own = vec![skills[i % skills.len()]];
        if skills.len() > 1 {
            own.push(skills[(i + 1) % skills.len()]);
        }
        let input = VolunteerInput {
            name: (*name).to_owned(),
            organization: None,
            username: None,
            email: None,
            phone: None,
            skills: own.iter().map(|s| s.code.clone()).collect(),
            qualifications: own
                .iter()
                .filter_map(|s| s.needs.clone())
                .map(|code| HeldQualification {
                    code,
                    expires_on: Some(today + Duration::days(730)),
                })
                .collect(),
            // Within about a kilometre of the street's first family, each a little further out.
            home: Some(Coordinates {
                lat: centre.0 + 0.002 * (i as f64 + 1.0),
                lon: centre.1 - 0.002 * i as f64,
            }),
            availability: week.clone(),
            weekly_max: 5,
            preference: (i % 3) as u8,
            training: Vec::new(),
        };
        let spec = input.validate(&cfg, today)?;
        let user = volunteer_account.as_ref().filter(|_| i == 0).map(|u| u.id);
        volunteer_row(
            keys,
            district,
            &spec,
            Some(organization.org_unit_id),
            user,
            ACTOR,
        )?
        .insert(&mut tx)
        .await?;
    }
    let now = district.local(chrono::Utc::now()).naive_local();
    let mut rows = Vec::new();
    for (i, (family, (day, from, to))) in families.iter().zip(WINDOWS).enumerate() {
        let date = today + Duration::days(day);
        let service = skills[i % skills.len()];
        let spec = TaskInput {
            family_id: family.id,
            service: service.code.clone(),
            starts_at: date
                .and_time(at(from.0, from.1))
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            ends_at: date
                .and_time(at(to.0, to.1))
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            place: None,
            by_phone: service.needs.is_some(),
            qualifications: Vec::new(),
            helpers_needed: 1,
            urgency: if i == 0 {
                Urgency::Urgent
            } else {
                Urgency::Normal
            },
            contact_name: ADDRESSED_AS[i % ADDRESSED_AS.len()].to_owned(),
            contact_phone: None,
            notes: "演示任务：请提前电话联系，敲门后稍等。".to_owned(),
            repeat_weekly_until: None,
            proposal_id: None,
        }
        .validate(&cfg, now)?;
        rows.extend(task_rows(keys, district, &spec, family, ACTOR)?);
    }
    ServiceTask::insert_many(&mut tx, &rows).await?;
    tx.commit().await?;
    matching::run(pool, district, Some(street.org_unit_id), ACTOR).await?;
    Ok(())
}
