//! Activities of 暖心家园 / 怡心家园 / 新希望家园 against the district's yearly budget (`visits.yaml`
//! `activity_budget_cny`; Zhangdian 三（七）: 50,000 yuan), and the towns' and streets' signature
//! projects (一镇一品) with their activities. A street records its own; the district names the street.

use chrono::{Datelike, Utc};
use nuanxin_access::{Action, Resource, Scope};
use nuanxin_db::models::visits::{families_in_scope_count, ActivityRow, SignatureProject};
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::visits::{within_budget, ActivityInput};
use nuanxin_domain::ValidationErrors;
use nuanxin_ids::{FamilyId, OrgUnitId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::VisitError;
use crate::audit;
use crate::auth::Authorized;
use crate::state::AppState;
use crate::work::Work;

fn invalid(field: &str, code: &'static str, message: String) -> VisitError {
    let mut errors = ValidationErrors::default();
    errors.push(field, code, message);
    VisitError::Validation(errors)
}

/// The street a record is for: the caller's own street, or (district-wide callers) the one named.
fn street_of(auth: &Authorized, named: Option<&str>) -> Result<OrgUnitId, VisitError> {
    match auth.scope {
        Scope::Street(own) => match named {
            Some(code)
                if auth
                    .district
                    .orgs
                    .by_code_or_name(code, OrgKind::Street)
                    .map(|u| u.id)
                    != Some(own) =>
            {
                Err(invalid(
                    "street",
                    "not_your_street",
                    "只能登记本街道（镇）的活动".into(),
                ))
            }
            _ => Ok(own),
        },
        Scope::District => named
            .and_then(|code| auth.district.orgs.by_code_or_name(code, OrgKind::Street))
            .map(|u| u.id)
            .ok_or_else(|| invalid("street", "unknown_street", "请填写本区的街道（镇）".into())),
        _ => Err(invalid(
            "street",
            "not_your_street",
            "只有街道（镇）或区级可以登记".into(),
        )),
    }
}

/// A signature project as submitted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    #[serde(default)]
    pub street: Option<String>,
    pub year: i32,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectView {
    pub id: Uuid,
    pub street: String,
    pub year: i32,
    pub name: String,
    pub description: String,
    pub activities: usize,
    pub spending_cny: i64,
}

/// Creates the street's signature project of a year as the caller, in one transaction (one per
/// street and year: 409 otherwise).
pub async fn save_project(
    state: &AppState,
    auth: &Authorized,
    input: ProjectInput,
) -> Result<ProjectView, VisitError> {
    auth.check(Resource::Activity, Action::Create)?;
    let mut work = auth.begin(state).await?;
    let view = create_project(&mut work, auth, input).await?;
    work.commit().await?;
    Ok(view)
}

async fn create_project(
    work: &mut Work<'_>,
    auth: &Authorized,
    input: ProjectInput,
) -> Result<ProjectView, VisitError> {
    let street_id = street_of(auth, input.street.as_deref())?;
    let mut errors = ValidationErrors::default();
    nuanxin_domain::family::check_text(&mut errors, "name", &input.name, 100);
    if !(2000..=2100).contains(&input.year) {
        errors.push("year", "out_of_range", "年份应在2000到2100之间");
    }
    if !errors.is_empty() {
        return Err(VisitError::Validation(errors));
    }
    let project = SignatureProject {
        tenant_id: auth.district.id,
        id: Uuid::new_v4(),
        street_id,
        year: input.year,
        name: input.name.trim().to_owned(),
        description: input.description.unwrap_or_default().trim().to_owned(),
        created_by: auth.actor.actor.clone(),
        created_at: Utc::now(),
    };
    project.insert(work).await?;
    audit::record(
        work,
        auth.district.id,
        &auth.actor,
        "signature_project.create",
        "signature_project",
        &project.id.to_string(),
        json!({"street_id": street_id, "year": project.year}),
    )
    .await?;
    Ok(ProjectView {
        street: auth.district.orgs.name_of(street_id).to_owned(),
        id: project.id,
        year: project.year,
        name: project.name,
        description: project.description,
        activities: 0,
        spending_cny: 0,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ActivityView {
    pub id: Uuid,
    pub home: String,
    pub street: String,
    pub project_id: Option<Uuid>,
    pub held_on: chrono::NaiveDate,
    pub place: String,
    pub kind: String,
    pub spending_cny: i64,
    pub participants: i32,
}

fn activity_view(auth: &Authorized, a: ActivityRow) -> ActivityView {
    ActivityView {
        street: auth.district.orgs.name_of(a.street_id).to_owned(),
        id: a.id,
        home: a.home,
        project_id: a.project_id,
        held_on: a.held_on,
        place: a.place,
        kind: a.kind,
        spending_cny: a.spending_cny,
        participants: a.participants,
    }
}

/// Records an activity as the caller, in one transaction: its participants must be families of the caller's scope, its project the
/// street's, and its spending within what is left of the year's budget (checked under a lock, so
/// two activities at once never overspend it together).
pub async fn save_activity(
    state: &AppState,
    auth: &Authorized,
    input: ActivityInput,
) -> Result<ActivityView, VisitError> {
    auth.check(Resource::Activity, Action::Create)?;
    let mut work = auth.begin(state).await?;
    let view = record_activity(&mut work, auth, input).await?;
    work.commit().await?;
    Ok(view)
}

async fn record_activity(
    work: &mut Work<'_>,
    auth: &Authorized,
    input: ActivityInput,
) -> Result<ActivityView, VisitError> {
    let district = &auth.district;
    let input = input
        .validate(district.today())
        .map_err(VisitError::Validation)?;
    let street_id = street_of(auth, input.street.as_deref())?;
    if let Some(project) = input.project_id {
        let found = SignatureProject::find(work, project).await?;
        if found.is_none_or(|p| p.street_id != street_id) {
            return Err(invalid(
                "project_id",
                "unknown_project",
                "该街道（镇）没有这个“一镇一品”项目".into(),
            ));
        }
    }
    let known = families_in_scope_count(work, auth.scope, &input.participants).await?;
    if usize::try_from(known).ok() != Some(input.participants.len()) {
        return Err(invalid(
            "participants",
            "unknown_family",
            "参加家庭须是您范围内的在册家庭".into(),
        ));
    }
    let year = input.held_on.year();
    let budget = district.visits.activity_budget_cny;
    ActivityRow::lock_budget(work, district.id, year).await?;
    let spent = ActivityRow::spent_in(work, year).await?;
    if !within_budget(budget, spent, input.spending_cny) {
        return Err(invalid(
            "spending_cny",
            "over_budget",
            format!(
                "{year}年活动经费预算{budget}元，已使用{spent}元，剩余{}元，不足本次{}元",
                budget - spent,
                input.spending_cny
            ),
        ));
    }
    let row = ActivityRow {
        tenant_id: district.id,
        id: Uuid::new_v4(),
        home: input.home.as_str().to_owned(),
        street_id,
        project_id: input.project_id,
        held_on: input.held_on,
        place: input.place,
        kind: input.kind,
        spending_cny: input.spending_cny,
        participants: i32::try_from(input.participants.len()).unwrap_or(i32::MAX),
        created_by: auth.actor.actor.clone(),
        created_at: Utc::now(),
    };
    row.insert(work, &input.participants).await?;
    audit::record(
        work,
        district.id,
        &auth.actor,
        "activity.create",
        "activity",
        &row.id.to_string(),
        json!({"home": row.home, "street_id": street_id, "spending_cny": row.spending_cny,
               "participants": input.participants}),
    )
    .await?;
    Ok(activity_view(auth, row))
}

/// A year's activities and projects in the caller's scope, with the district's budget.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityYear {
    pub year: i32,
    pub budget_cny: i64,
    /// Spent by the whole district (the budget is the district's).
    pub spent_cny: i64,
    pub remaining_cny: i64,
    pub activities: Vec<ActivityView>,
    pub projects: Vec<ProjectView>,
}

/// The activities and signature projects of `year` (this year by default) with the budget, as the
/// caller sees them.
pub async fn activity_year(
    state: &AppState,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<ActivityYear, VisitError> {
    Ok(activity_page_of(state, auth, year, false).await?.0)
}

/// [`activity_year`] and, when the caller may record an activity, the families to choose its
/// participants from (the console's page).
pub async fn activity_page(
    state: &AppState,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<(ActivityYear, Vec<ParticipantChoice>), VisitError> {
    activity_page_of(
        state,
        auth,
        year,
        auth.may(Resource::Activity, Action::Create),
    )
    .await
}

async fn activity_page_of(
    state: &AppState,
    auth: &Authorized,
    year: Option<i32>,
    with_choices: bool,
) -> Result<(ActivityYear, Vec<ParticipantChoice>), VisitError> {
    auth.check(Resource::Activity, Action::Read)?;
    let year = year.unwrap_or(auth.district.today().year());
    let mut work = auth.begin(state).await?;
    let view = year_of(&mut work, auth, year).await?;
    let choices = if with_choices {
        participant_choices(&mut work, auth).await?
    } else {
        Vec::new()
    };
    work.commit().await?;
    Ok((view, choices))
}

async fn year_of(
    work: &mut Work<'_>,
    auth: &Authorized,
    year: i32,
) -> Result<ActivityYear, VisitError> {
    let street = match auth.scope {
        Scope::Street(own) => Some(own),
        _ => None,
    };
    let rows = ActivityRow::of_year(work, year, street).await?;
    let projects = SignatureProject::of_year(work, year, street).await?;
    let spent = ActivityRow::spent_in(work, year).await?;
    let budget = auth.district.visits.activity_budget_cny;
    let projects = projects
        .into_iter()
        .map(|p| {
            let of: Vec<&ActivityRow> =
                rows.iter().filter(|a| a.project_id == Some(p.id)).collect();
            ProjectView {
                street: auth.district.orgs.name_of(p.street_id).to_owned(),
                activities: of.len(),
                spending_cny: of.iter().map(|a| a.spending_cny).sum(),
                id: p.id,
                year: p.year,
                name: p.name,
                description: p.description,
            }
        })
        .collect();
    Ok(ActivityYear {
        year,
        budget_cny: budget,
        spent_cny: spent,
        remaining_cny: (budget - spent).max(0),
        activities: rows.into_iter().map(|a| activity_view(auth, a)).collect(),
        projects,
    })
}

/// A family an activity's participants can be chosen from.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantChoice {
    pub family_id: FamilyId,
    pub community: String,
    /// A living parent's name, masked for callers who may not see personal data.
    pub name: String,
}

/// The most families offered to choose participants from.
pub const PARTICIPANT_CHOICES: i64 = 300;

/// The families of the caller's scope that can take part in an activity, by community.
async fn participant_choices(
    work: &mut Work<'_>,
    auth: &Authorized,
) -> Result<Vec<ParticipantChoice>, VisitError> {
    let full = auth.reveal() == crate::registry::view::Reveal::Full;
    let rows =
        nuanxin_db::models::visits::participant_choices(work, auth.scope, PARTICIPANT_CHOICES)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(family_id, community, name)| ParticipantChoice {
            family_id,
            community: auth.district.orgs.name_of(community).to_owned(),
            name: name.map_or_else(String::new, |n| {
                if full {
                    n
                } else {
                    nuanxin_privacy::mask_name(&n)
                }
            }),
        })
        .collect())
}
