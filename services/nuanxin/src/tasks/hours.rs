//! Hours of service (志愿服务时长) per volunteer and per organization over a period, from the reports of
//! done tasks; the same figures as an xlsx workbook.

use chrono::NaiveDate;
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::tasks::TaskOffer;
use nuanxin_db::pool::TenantTx;
use nuanxin_ids::{OrgUnitId, VolunteerId};
use nuanxin_sheets::SheetData;
use serde::Serialize;

use super::views::hours_text;
use super::{config, day_start, reach, Party, TaskError};
use crate::auth::Authorized;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize)]
pub struct VolunteerHours {
    pub volunteer_id: VolunteerId,
    pub name: String,
    pub organization: String,
    pub tasks: i64,
    /// Decimal hours, exact (`12.5`).
    pub hours: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrganizationHours {
    pub organization: String,
    pub volunteers: usize,
    pub tasks: i64,
    pub hours: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HoursReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub volunteers: Vec<VolunteerHours>,
    pub organizations: Vec<OrganizationHours>,
}

/// The hours of check-outs from `from` to `to` (inclusive, the district's dates): an organization's own
/// volunteers, or every volunteer for district and street staff.
pub async fn report(
    state: &AppState,
    auth: &Authorized,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HoursReport, TaskError> {
    auth.check(Resource::VolunteerRecord, Action::Read)?;
    if to < from {
        return Err(TaskError::BadInput {
            code: "invalid_range",
            field: "to",
            message: "结束日期不能早于开始日期",
        });
    }
    if (to - from).num_days() > 366 {
        return Err(TaskError::BadInput {
            code: "too_long",
            field: "to",
            message: "统计期间最长一年",
        });
    }
    let district = &auth.district;
    let cfg = config(district)?;
    let (Some(start), Some(end)) = (
        day_start(district, from),
        to.succ_opt().and_then(|d| day_start(district, d)),
    ) else {
        return Err(TaskError::NotFound("日期超出范围"));
    };
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let organization = match reach(&mut tx, auth, &cfg).await?.who {
        Party::Organization(org) => Some(org),
        Party::Staff => None,
        Party::Volunteer(_) | Party::Nobody => return Err(TaskError::Forbidden),
    };
    let rows = TaskOffer::hours(&mut tx, organization, start, end).await?;
    tx.commit().await?;
    let org_name = |o: Option<OrgUnitId>| match o {
        Some(o) => district.orgs.name_of(o).to_owned(),
        None => "独立志愿者".to_owned(),
    };
    let mut organizations: Vec<(Option<OrgUnitId>, usize, i64, i64)> = Vec::new();
    for r in &rows {
        match organizations
            .iter_mut()
            .find(|(o, ..)| *o == r.organization_id)
        {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += r.tasks;
                entry.3 += r.minutes;
            }
            None => organizations.push((r.organization_id, 1, r.tasks, r.minutes)),
        }
    }
    Ok(HoursReport {
        from,
        to,
        volunteers: rows
            .iter()
            .map(|r| VolunteerHours {
                volunteer_id: r.volunteer_id,
                name: r.name.clone(),
                organization: org_name(r.organization_id),
                tasks: r.tasks,
                hours: hours_text(r.minutes),
            })
            .collect(),
        organizations: organizations
            .into_iter()
            .map(|(o, volunteers, tasks, minutes)| OrganizationHours {
                organization: org_name(o),
                volunteers,
                tasks,
                hours: hours_text(minutes),
            })
            .collect(),
    })
}

/// The report as a workbook of two sheets (志愿服务时长: by volunteer, by organization).
pub fn workbook(report: &HoursReport) -> Result<Vec<u8>, TaskError> {
    let volunteers = report
        .volunteers
        .iter()
        .map(|v| {
            vec![
                v.name.clone(),
                v.organization.clone(),
                v.tasks.to_string(),
                v.hours.clone(),
            ]
        })
        .collect();
    let organizations = report
        .organizations
        .iter()
        .map(|o| {
            vec![
                o.organization.clone(),
                o.volunteers.to_string(),
                o.tasks.to_string(),
                o.hours.clone(),
            ]
        })
        .collect();
    Ok(nuanxin_sheets::write_workbook(vec![
        SheetData {
            name: "志愿服务时长（志愿者）",
            headers: &["志愿者", "所属组织", "服务次数", "服务时长（小时）"],
            rows: volunteers,
        },
        SheetData {
            name: "志愿服务时长（组织）",
            headers: &["组织", "志愿者人数", "服务次数", "服务时长（小时）"],
            rows: organizations,
        },
    ])?)
}
