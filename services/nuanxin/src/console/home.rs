//! `GET /console`: each role's home page with its work — the register and its chart, the cycles'
//! steps waiting for this role, the follow-ups; social organizations and volunteers see their tasks
//! under way; the platform operator's home is `platform.rs`.

use actix_web::{web, HttpResponse};
use askama::Template;
use nuanxin_access::{Action, Resource, Role};
use nuanxin_domain::family::FamilyKind;
use nuanxin_domain::labels;

use super::families::register_chart;
use super::session::{Console, ConsoleCaller};
use super::views::{page, policy_notice, primary_role, Frame, PageError};
use crate::auth::Authorized;
use crate::benefits::ledger::cycles;
use crate::error::ApiError;
use crate::page::Paging;
use crate::registry::search::{register_counts, FamilySearch};
use crate::state::AppState;

/// A cycle on a home page: what waits in it for this role.
pub struct CycleRow {
    pub id: String,
    pub title: String,
    pub period: String,
    /// (status label, count) of the statuses this role acts on.
    pub waiting: Vec<(&'static str, i64)>,
}

/// A follow-up on a home page.
pub struct FollowUpRow {
    pub family_id: String,
    pub street: String,
    pub summary: String,
    pub change: &'static str,
    pub created_on: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    frame: Frame,
    /// What this role does here, in a sentence.
    intro: &'static str,
    register: Option<Register>,
    cycles: Option<Vec<CycleRow>>,
    follow_ups: Option<(i64, Vec<FollowUpRow>)>,
    /// Social organizations and volunteers: their tasks under way.
    tasks: Option<Vec<super::tasks::HomeTask>>,
    /// No care policy in force today (for the roles that compute, verify or pay entitlements).
    policy_notice: Option<String>,
}

/// The register in a home page's figures.
struct Register {
    total: i64,
    bereaved: i64,
    disabled: i64,
    chart: String,
}

/// What waits for each role in a cycle: statuses it acts on.
fn waiting_statuses(role: Role) -> &'static [&'static str] {
    match role {
        Role::DistrictAdmin => &["proposed", "verified", "approved"],
        Role::StreetStaff => &["proposed"],
        Role::BureauStaff => &["verified", "approved"],
        _ => &[],
    }
}

fn intro(role: Role) -> &'static str {
    match role {
        Role::DistrictAdmin => {
            "全区在册家庭、发放周期的进度与待跟进事项。用户与政策参数由区级管理员维护。"
        }
        Role::BureauStaff => "本部门负责审批、发放的关怀项目：已核实的待审批，已审批的待发放。",
        Role::StreetStaff => "本街道在册家庭、待核实的发放明细与待跟进事项。",
        Role::CommunityWorker => "本社区在册家庭与待跟进事项。",
        Role::SocialOrgStaff => "分派给本组织的服务任务。",
        Role::Volunteer => "分派给您的志愿服务任务。",
        Role::PlatformOperator => "各辖区的接入情况与运行状态（不含任何家庭信息）。",
    }
}

async fn register(state: &AppState, auth: &Authorized) -> Result<Register, PageError> {
    let counts = register_counts(state, auth, &FamilySearch::default()).await?;
    let of_kind = |kind: FamilyKind| -> i64 {
        counts
            .iter()
            .filter(|(_, k, _)| *k == kind)
            .map(|(_, _, n)| n)
            .sum()
    };
    let total = counts.iter().map(|(_, _, n)| n).sum();
    Ok(Register {
        total,
        bereaved: of_kind(FamilyKind::Bereaved),
        disabled: of_kind(FamilyKind::Disabled),
        // An empty register has nothing to chart.
        chart: if total == 0 {
            String::new()
        } else {
            register_chart(&auth.district, &counts, "在册家庭（按街道、类别）")
        },
    })
}

async fn cycle_rows(
    state: &AppState,
    auth: &Authorized,
    role: Role,
) -> Result<Vec<CycleRow>, PageError> {
    let statuses = waiting_statuses(role);
    Ok(cycles(state, auth, None)
        .await?
        .into_iter()
        .map(|c| CycleRow {
            id: c.id.to_string(),
            waiting: statuses
                .iter()
                .map(|s| {
                    let n = c.counts.get(*s).and_then(|v| v.as_i64()).unwrap_or(0);
                    (labels::entry_status(s), n)
                })
                .collect(),
            title: c.title,
            period: c.period,
        })
        .collect())
}

/// The first open follow-ups in the caller's scope, and how many are open.
pub async fn follow_up_rows(
    state: &AppState,
    auth: &Authorized,
    per_page: i64,
) -> Result<(i64, Vec<FollowUpRow>), PageError> {
    let paging = Paging::new(Some(1), Some(per_page), per_page, per_page)?;
    let page = crate::follow_ups::page(
        state,
        auth,
        Some(nuanxin_domain::benefit::FollowUpStatus::Open),
        paging,
    )
    .await
    .map_err(ApiError::from)?;
    let rows = page
        .items
        .into_iter()
        .map(|f| FollowUpRow {
            family_id: f.family_id.to_string(),
            street: f.street,
            summary: f
                .detail
                .get("summary")
                .and_then(|s| s.as_str())
                .unwrap_or_default()
                .to_owned(),
            change: labels::follow_up_change(&f.change),
            created_on: f.created_on.to_string(),
        })
        .collect();
    Ok((page.total, rows))
}

/// `GET /console`: the signed-in caller's home page.
pub async fn home(
    state: web::Data<AppState>,
    who: ConsoleCaller,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    let role = primary_role(&who.caller.roles).ok_or(crate::error::ApiError::Forbidden)?;
    if role == Role::PlatformOperator {
        return super::platform::home(&state, &who).await;
    }
    let console = Console::new(&state, who, super::request_id(&req))?;
    let auth = &console.auth;
    let assigned = matches!(role, Role::SocialOrgStaff | Role::Volunteer);
    let register = if auth.may(Resource::Family, Action::List) && !assigned {
        Some(register(&state, auth).await?)
    } else {
        None
    };
    let cycles = if auth.may(Resource::BenefitCycle, Action::Read) {
        Some(cycle_rows(&state, auth, role).await?)
    } else {
        None
    };
    let tasks = if assigned && auth.may(Resource::ServiceTask, Action::List) {
        Some(super::tasks::home_tasks(&state, auth).await?)
    } else {
        None
    };
    let follow_ups = if auth.may(Resource::Entitlement, Action::Read) && role != Role::BureauStaff {
        Some(follow_up_rows(&state, auth, 10).await?)
    } else {
        None
    };
    let policy_notice = if auth.may(Resource::Entitlement, Action::Read) && !assigned {
        policy_notice(&auth.district, auth.district.today())
    } else {
        None
    };
    page(&Home {
        frame: console.frame(&state, "首页", "/console"),
        intro: intro(role),
        policy_notice,
        register,
        cycles,
        follow_ups,
        tasks,
    })
}
