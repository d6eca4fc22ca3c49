//! The platform operator's console: the districts served and their health, the district folders
//! configured but not onboarded yet (with what stops each), and onboarding one with its first
//! administrator. Never any family data.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use nuanxin_access::{Action, Resource};
use nuanxin_domain::labels;
use nuanxin_domain::org::OrgKind;

use super::form::Typed;
use super::session::{ConsoleCaller, Posted};
use super::views::{page, page_with_status, Frame, PageError};
use crate::error::ApiError;
use crate::platform::{self, ConfiguredDistrict, NewDistrict, Onboarded};
use crate::state::{AppState, CHINA_STANDARD_TIME};

#[derive(Template)]
#[template(path = "platform.html")]
struct PlatformHome {
    frame: Frame,
    districts: Vec<DistrictRow>,
    /// Each folder not onboarded yet with its form (what was typed and why it was refused, for the one
    /// sent back).
    configured: Vec<(ConfiguredDistrict, Typed)>,
}

#[derive(Template)]
#[template(path = "platform_onboarded.html")]
struct OnboardedPage {
    frame: Frame,
    onboarded: Onboarded,
}

struct DistrictRow {
    name: String,
    slug: String,
    time_zone: String,
    streets: usize,
    communities: usize,
    /// The policy's state in words, and whether it is in force today.
    policy: String,
    /// The background jobs whose last run for the district failed, in words (empty: none).
    failed_jobs: Vec<String>,
    healthy: bool,
}

/// The platform operator's home.
pub async fn home(state: &AppState, who: &ConsoleCaller) -> Result<HttpResponse, PageError> {
    page(&home_page(state, who, None).await?)
}

/// The jobs whose last run failed, in words, by district slug.
async fn failed_jobs(state: &AppState) -> Result<Vec<(String, String)>, PageError> {
    let runs = crate::jobs::failed_runs(&state.pool)
        .await
        .map_err(|_| ApiError::Unavailable("数据库暂时不可用"))?;
    Ok(runs
        .into_iter()
        .map(|r| {
            let since = r.last_success_at.map_or_else(
                || "从未成功".to_owned(),
                |t| {
                    format!(
                        "上次成功 {}",
                        t.with_timezone(&CHINA_STANDARD_TIME).format("%m-%d %H:%M")
                    )
                },
            );
            (r.domain, format!("{}失败（{since}）", labels::job(&r.job)))
        })
        .collect())
}

async fn home_page(
    state: &AppState,
    who: &ConsoleCaller,
    mut refused: Option<(&str, Typed)>,
) -> Result<PlatformHome, PageError> {
    who.caller.require(state, Resource::Tenant, Action::List)?;
    let failed = failed_jobs(state).await?;
    let mut districts: Vec<DistrictRow> = state
        .districts
        .all()
        .iter()
        .map(|d| {
            let today = d.today();
            let (policy, healthy) = match &d.policy {
                None => ("未配置政策".to_owned(), false),
                Some(p) if p.in_force_on(today) => {
                    (format!("{}（有效）", p.legal_basis().document_number), true)
                }
                Some(p) => (
                    format!(
                        "{}（{}，今日不在有效期内）",
                        p.legal_basis().document_number,
                        p.legal_basis()
                            .in_force_until
                            .map_or_else(String::new, |u| format!("{u}到期"))
                    ),
                    false,
                ),
            };
            let failed_jobs: Vec<String> = failed
                .iter()
                .filter(|(slug, _)| *slug == d.slug)
                .map(|(_, words)| words.clone())
                .collect();
            DistrictRow {
                healthy: healthy && failed_jobs.is_empty(),
                failed_jobs,
                name: d.name.clone(),
                slug: d.slug.clone(),
                time_zone: d.time_zone.name().to_owned(),
                streets: d.orgs.of_kind(OrgKind::Street).count(),
                communities: d.orgs.of_kind(OrgKind::Community).count(),
                policy,
            }
        })
        .collect();
    districts.sort_by(|a, b| a.slug.cmp(&b.slug));
    Ok(PlatformHome {
        frame: Frame::signed_in(state, &who.caller, &who.csrf, "各辖区", "/console"),
        districts,
        configured: platform::configured(state, &who.caller)?
            .into_iter()
            .map(|d| {
                let form = refused
                    .take_if(|(slug, _)| *slug == d.slug)
                    .map_or_else(Typed::default, |(_, typed)| typed);
                (d, form)
            })
            .collect(),
    })
}

/// `POST /console/platform/tenants`: onboards a configured district; the page with the first
/// administrator's initial password, shown this once; a refusal shows the form again beside its field.
pub async fn onboard(
    state: web::Data<AppState>,
    who: ConsoleCaller,
    req: HttpRequest,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let typed = NewDistrict {
        slug: form.get("slug").to_owned(),
        username: form.get("username").to_owned(),
        display_name: form.get("display_name").to_owned(),
        email: form.text("email"),
    };
    let slug = form.get("slug").to_owned();
    let refused = |field: &str, message: String| {
        Some((
            slug.as_str(),
            Typed::from_posted(&form).with_error(field, message),
        ))
    };
    match platform::onboard(
        &state,
        &who.caller,
        crate::telemetry::request_id(&req),
        typed,
    )
    .await
    {
        Ok(onboarded) => page(&OnboardedPage {
            frame: Frame::signed_in(&state, &who.caller, &who.csrf, "辖区已接入", "/console"),
            onboarded,
        }),
        Err(ApiError::BadRequest { message, field, .. }) => {
            let field = field.unwrap_or_default();
            page_with_status(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &home_page(&state, &who, refused(&field, message)).await?,
            )
        }
        Err(ApiError::Conflict { message, .. }) => page_with_status(
            actix_web::http::StatusCode::CONFLICT,
            &home_page(&state, &who, refused("slug", message)).await?,
        ),
        Err(e) => Err(e.into()),
    }
}
