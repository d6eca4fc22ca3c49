//! `/console/checkins`: the daily check-ins. A helper sees their elders for today and checks in with
//! one tap and an outcome; a community worker sees the board for today (escalated, missed, pending,
//! acknowledged, done) with the open alerts to acknowledge and the pairing tools; a street or the
//! district sees the same with the coverage of the last 30 days. Every action calls the same service
//! function as the API.

use nuanxin_ids::{AlertId, FamilyId, PairingId};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use nuanxin_access::{Action, Resource, Scope};
use nuanxin_checkins::{weekday_code, Outcome, RecipientKind};
use nuanxin_domain::checkins::{
    CheckInHow, ConsentHow, EnrolReason, HelperInput, PairingInput, PauseReason, Side,
};
use nuanxin_domain::family::ParentRole;
use nuanxin_domain::labels;
use nuanxin_domain::org::OrgKind;
use nuanxin_text_enum::Labelled;
use serde_json::{json, Value};

use super::charts::BarChart;
use super::session::{Console, Posted};
use super::views::{page_with_status, see_other, Frame, PageError};
use crate::auth::Authorized;
use crate::checkins::board::{board, BoardRow, TodayStatus};
use crate::checkins::Caller;
use crate::checkins::{
    AlertView, Candidate, CheckInInput, EmergencyInput, EnrolInput, PauseInput, WithdrawInput,
};
use crate::error::ApiError;
use crate::registry::search::{family_page, FamilySearch};
use crate::routes::extract::from_value;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "checkins.html")]
struct CheckinsPage {
    frame: Frame,
    today: String,
    /// The caller is a helper: their list for today.
    helper_view: bool,
    may_check_in: bool,
    may_manage: bool,
    rows: Vec<BoardRow>,
    /// (status code, label, count) for the board's summary.
    counts: Vec<(&'static str, &'static str, usize)>,
    alerts: Vec<AlertLine>,
    chart: String,
    message: &'static str,
    /// The pairing tools, for a street or community worker.
    tools: Option<Tools>,
    /// A tool's form sent back with its errors.
    form: ToolForm,
    may_pause: bool,
    may_record_emergency: bool,
    pause_reasons: Vec<(&'static str, &'static str)>,
}

/// What the pairing tools offer to choose from.
struct Tools {
    /// (`<family id>/<person>`, label) for each living parent of the families in scope.
    elders: Vec<(String, String)>,
    /// (code, name) of the communities a helper may be registered in.
    communities: Vec<(String, String)>,
    enrol_reasons: Vec<(&'static str, &'static str)>,
    may_register_helper: bool,
}

/// A tool's form sent back with the API's errors beside its fields (the form's field names are the
/// API's JSON paths where they can be), and what was typed.
#[derive(Debug, Default)]
pub struct ToolForm {
    /// Which form: `helper`, `enrol`, `pair`, `pause:<pairing>` or `emergency:<pairing>`.
    open: String,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    /// Errors of no one field (a conflict: the helper is full, the elder is paired already).
    general: Vec<String>,
}

impl ToolForm {
    fn sent(open: String, posted: &Posted) -> ToolForm {
        ToolForm {
            open,
            values: posted
                .pairs()
                .filter(|(k, _)| *k != "csrf")
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ..ToolForm::default()
        }
    }

    pub fn is_open(&self, form: &str) -> bool {
        self.open == form
    }

    /// What was typed in `name` of `form`, if that form was sent back.
    pub fn value(&self, form: &str, name: &str) -> &str {
        match self.values.get(name) {
            Some(v) if self.is_open(form) => v,
            _ => "",
        }
    }

    pub fn chose(&self, form: &str, name: &str, option: &str) -> bool {
        self.is_open(form) && self.values.get(name).is_some_and(|v| v == option)
    }

    pub fn error(&self, form: &str, name: &str) -> Option<&str> {
        self.errors
            .get(name)
            .filter(|_| self.is_open(form))
            .map(String::as_str)
    }

    pub fn general(&self, form: &str) -> &[String] {
        if self.is_open(form) {
            &self.general
        } else {
            &[]
        }
    }

    /// Puts each error of the API beside the form field it names (`aliases` maps API paths to the
    /// form's fields where they differ; `inputs` are the form's fields), or above the form. Errors
    /// that are not about the input (404, 403, …) are the page's.
    fn place(
        &mut self,
        error: ApiError,
        inputs: &[&str],
        aliases: &[(&str, &str)],
    ) -> Result<(), ApiError> {
        let mut put = |field: &str, message: String| {
            let target = aliases
                .iter()
                .find(|(api, _)| *api == field)
                .map(|(_, form)| *form)
                .or_else(|| inputs.iter().copied().find(|i| *i == field));
            match target {
                Some(target) => {
                    self.errors.entry(target.to_owned()).or_insert(message);
                }
                None => self
                    .general
                    .push(format!("{}：{message}", labels::field(field))),
            }
        };
        match error {
            ApiError::Validation(errors) => {
                for e in errors.0 {
                    put(&e.field, e.message);
                }
                Ok(())
            }
            ApiError::BadRequest {
                field: Some(field),
                message,
                ..
            } => {
                put(&field, message);
                Ok(())
            }
            ApiError::Conflict { message, .. } => {
                self.general.push(message);
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// An open alert as the page lists it.
struct AlertLine {
    id: AlertId,
    elder: String,
    level: i16,
    recipient: &'static str,
    cause: &'static str,
    due: String,
    late: bool,
}

#[derive(serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /console/checkins`.
pub async fn checkins_page(
    state: web::Data<AppState>,
    console: Console,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let message = match done.done.as_str() {
        "checked" => "已记录探询。",
        "acknowledged" => "已确认提醒，不再逐级上报。",
        "withdrawn" => "已解除结对，不再探询。",
        "helper" => "已登记结对邻居。",
        "enrolled" => "已纳入结对对象。",
        "paired" => "已建立结对，从截止时间起每日探询。",
        "paused" => "已记录暂停，期间不要求探询。",
        "emergency" => "已记录紧急情况，并已通知社区、街道和联系人。",
        _ => "",
    };
    render(&state, &console, message, ToolForm::default()).await
}

/// The check-in page, with a tool's form sent back with its errors (422) when there is one.
async fn render(
    state: &AppState,
    console: &Console,
    message: &'static str,
    form: ToolForm,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::CheckInAlert, Action::List)?;
    let now = Utc::now();
    let b = board(state, Caller::of(auth), now)
        .await
        .map_err(ApiError::from)?;
    let elder_of = |a: &AlertView| {
        b.rows
            .iter()
            .find(|r| r.pairing_id == a.pairing_id)
            .map_or_else(String::new, |r| r.elder.clone())
    };
    // One line per elder and day: acknowledging one closes the day's alerts, so its highest level is
    // what the reader needs (several rows for one elder read as several emergencies).
    let mut top: Vec<&AlertView> = Vec::new();
    for a in &b.alerts {
        match top
            .iter_mut()
            .find(|t| t.pairing_id == a.pairing_id && t.day == a.day)
        {
            Some(t) if t.level < a.level => *t = a,
            Some(_) => {}
            None => top.push(a),
        }
    }
    let alerts = top
        .into_iter()
        .map(|a| AlertLine {
            id: a.id,
            elder: elder_of(a),
            level: a.level,
            recipient: RecipientKind::from_code(&a.recipient).map_or("", RecipientKind::label),
            cause: a.cause.label(),
            due: auth
                .district
                .local(a.due_at)
                .format("%m-%d %H:%M")
                .to_string(),
            late: a.late,
        })
        .collect();
    let helper_view = matches!(auth.scope, Scope::Assigned { .. });
    let chart = if helper_view || b.rows.is_empty() {
        String::new()
    } else {
        BarChart {
            title: "近30天每日探询完成情况".into(),
            unit: "结对数".into(),
            series: vec!["已探询".into(), "未探询".into()],
            bars: b
                .coverage
                .iter()
                .map(|(day, done, missed)| (day.format("%m-%d").to_string(), vec![*done, *missed]))
                .collect(),
        }
        .to_svg()
    };
    let counts = TodayStatus::ALL
        .iter()
        .map(|s| {
            (
                s.code(),
                s.label(),
                b.rows.iter().filter(|r| r.status == *s).count(),
            )
        })
        .collect();
    let tools = if !helper_view && auth.may(Resource::Pairing, Action::Create) {
        Some(tools(state, auth).await?)
    } else {
        None
    };
    let status = if form.open.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page_with_status(
        status,
        &CheckinsPage {
            frame: console.frame(state, "每日探询", "/console/checkins"),
            today: b
                .today
                .map(|d| d.format("%Y年%m月%d日").to_string())
                .unwrap_or_default(),
            helper_view,
            may_check_in: auth.may(Resource::CheckIn, Action::Create),
            may_manage: auth.may(Resource::Pairing, Action::Update),
            rows: b.rows,
            counts,
            alerts,
            chart,
            message,
            tools,
            form,
            may_pause: auth.may(Resource::Pairing, Action::Update),
            may_record_emergency: auth.may(Resource::CheckIn, Action::Create),
            pause_reasons: PauseReason::choices(),
        },
    )
}

/// The families in scope a tool may choose an elder from (their living parents), and the
/// communities a helper may be registered in. Read through the register's own list, with its scope
/// and read log.
async fn tools(state: &AppState, auth: &Authorized) -> Result<Tools, ApiError> {
    let families = family_page(
        state,
        auth,
        &FamilySearch {
            per_page: Some(ELDERS_LISTED),
            ..FamilySearch::default()
        },
    )
    .await?;
    let elders = families
        .items
        .iter()
        .flat_map(|f| {
            f.parents.iter().filter(|p| p.alive).map(move |p| {
                (
                    format!("{}/{}", f.id, p.role),
                    format!(
                        "{}（{}，{}岁）· {}",
                        p.name,
                        labels::person(p.role),
                        p.age,
                        f.community.name
                    ),
                )
            })
        })
        .collect();
    let orgs = &auth.district.orgs;
    let communities = orgs
        .of_kind(OrgKind::Community)
        .filter(|c| match auth.scope {
            Scope::Street(s) => c.parent_id == Some(s),
            Scope::Community(id) => c.id == id,
            _ => true,
        })
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect();
    Ok(Tools {
        elders,
        communities,
        enrol_reasons: EnrolReason::choices(),
        may_register_helper: auth.may(Resource::CheckinHelper, Action::Create),
    })
}

/// Families listed for choosing an elder (the register's largest page); a street with more finds the
/// others on the register's pages.
const ELDERS_LISTED: i64 = 100;

/// The family and person of an elder chosen as `<family id>/<person>`.
fn elder_of(chosen: &str) -> (Value, Value) {
    match chosen.split_once('/') {
        Some((family, person)) => (json!(family), json!(person)),
        None => (json!(chosen), Value::Null),
    }
}

/// Sends the form back with the API's error placed, or answers the error's page.
async fn sent_back(
    state: &AppState,
    console: &Console,
    mut form: ToolForm,
    error: ApiError,
    inputs: &[&str],
    aliases: &[(&str, &str)],
) -> Result<HttpResponse, PageError> {
    form.place(error, inputs, aliases)?;
    render(state, console, "", form).await
}

/// A text field as JSON: null when left empty.
fn optional(form: &Posted, name: &str) -> Value {
    form.text(name).map_or(Value::Null, Value::String)
}

/// `POST /console/checkins/helpers`: a neighbour helper, as `POST /api/v1/helpers`.
pub async fn create_helper(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::CheckinHelper, Action::Create)?;
    let sent = ToolForm::sent("helper".into(), &form);
    let coordinate = |name: &str| form.get(name).trim().parse::<f64>().ok();
    let location = match (coordinate("lat"), coordinate("lon")) {
        (Some(lat), Some(lon)) => json!([lat, lon]),
        _ => Value::Null,
    };
    let max_elders = match form.text("max_elders") {
        Some(n) => n.parse::<i64>().map_or(json!(n), |n| json!(n)),
        None => Value::Null,
    };
    let body = json!({
        "name": form.get("name"),
        "phone": form.get("phone"),
        "community": form.get("community"),
        "location": location,
        "username": optional(&form, "username"),
        "max_elders": max_elders,
    });
    const INPUTS: &[&str] = &["name", "phone", "community", "username", "max_elders"];
    const ALIASES: &[(&str, &str)] = &[
        ("location", "lat"),
        ("location[0]", "lat"),
        ("location[1]", "lon"),
    ];
    let result = match from_value::<HelperInput>(body, "") {
        Ok(input) => crate::checkins::create_helper(&state, Caller::of(auth), input)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/console/checkins?done=helper")),
        Err(e) => sent_back(&state, &console, sent, e, INPUTS, ALIASES).await,
    }
}

/// `POST /console/checkins/enrolments`: an elder enrolled with a reason, as
/// `POST /api/v1/pairings/enrolments`.
pub async fn enrol(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::Pairing, Action::Create)?;
    let sent = ToolForm::sent("enrol".into(), &form);
    let (family_id, person) = elder_of(form.get("elder"));
    let body = json!({
        "family_id": family_id,
        "person": person,
        "reason": form.get("reason"),
        "note": optional(&form, "note"),
    });
    const INPUTS: &[&str] = &["reason", "note"];
    const ALIASES: &[(&str, &str)] = &[("family_id", "elder"), ("person", "elder")];
    let result = match from_value::<EnrolInput>(body, "") {
        Ok(input) => crate::checkins::enrol(&state, Caller::of(auth), input)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/console/checkins?done=enrolled")),
        Err(e) => sent_back(&state, &console, sent, e, INPUTS, ALIASES).await,
    }
}

/// `POST /console/checkins/{id}/pause`: dates without check-ins, as `POST /api/v1/pairings/{id}/pauses`.
pub async fn pause(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<PairingId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::Pairing, Action::Update)?;
    let id = id.into_inner();
    let sent = ToolForm::sent(format!("pause:{id}"), &form);
    let body = json!({
        "from": form.get("from"),
        "until": optional(&form, "until"),
        "reason": form.get("reason"),
    });
    const INPUTS: &[&str] = &["from", "until", "reason"];
    let result = match from_value::<PauseInput>(body, "") {
        Ok(input) => crate::checkins::pause(&state, Caller::of(auth), id, input)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/console/checkins?done=paused")),
        Err(e) => sent_back(&state, &console, sent, e, INPUTS, &[]).await,
    }
}

/// `POST /console/checkins/{id}/emergency`: what happened, as `POST /api/v1/pairings/{id}/emergencies`.
pub async fn emergency(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<PairingId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::CheckIn, Action::Create)?;
    let id = id.into_inner();
    let sent = ToolForm::sent(format!("emergency:{id}"), &form);
    let input = EmergencyInput {
        what: form.get("what").to_owned(),
        ambulance: form.get("ambulance") == "yes",
        hospital: form.text("hospital"),
        outcome: form.text("outcome"),
    };
    const INPUTS: &[&str] = &["what", "hospital", "outcome"];
    match crate::checkins::emergency(&state, Caller::of(auth), id, input).await {
        Ok(_) => Ok(see_other("/console/checkins?done=emergency")),
        Err(e) => sent_back(&state, &console, sent, e.into(), INPUTS, &[]).await,
    }
}

#[derive(Template)]
#[template(path = "checkins_pair.html")]
struct PairPage {
    frame: Frame,
    /// `<family id>/<person>` of the elder.
    elder: String,
    elder_label: String,
    candidates: Vec<CandidateLine>,
    /// Why there are no candidates (not eligible, no location), when so.
    refusal: String,
    form: ToolForm,
    consent_hows: Vec<(&'static str, &'static str)>,
    /// (code, label) of each weekday, and whether the district keeps it off by default.
    weekdays: Vec<(&'static str, &'static str, bool)>,
    deadline: String,
    today: String,
}

struct CandidateLine {
    helper_id: String,
    name: String,
    distance: String,
    same_community: bool,
    load: String,
}

#[derive(serde::Deserialize)]
pub struct PairQuery {
    #[serde(default)]
    elder: String,
}

/// `GET /console/checkins/pair?elder=<family id>/<person>`: the ranked candidate helpers for an
/// elder and the pairing's form (both consents, the deadline and days off).
pub async fn pair_page(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<PairQuery>,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Pairing, Action::Create)?;
    pair_form(&state, &console, &query.elder, ToolForm::default()).await
}

async fn pair_form(
    state: &AppState,
    console: &Console,
    elder: &str,
    mut form: ToolForm,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let ladder = crate::checkins::ladder(&auth.district).map_err(ApiError::from)?;
    let (family_id, person) = elder_of(elder);
    let chosen = serde_json::from_value::<FamilyId>(family_id)
        .ok()
        .zip(serde_json::from_value::<ParentRole>(person).ok());
    let mut refusal = String::new();
    let (candidates, elder_label): (Vec<Candidate>, String) = match chosen {
        None => {
            refusal = "请先在每日探询页选择要结对的老人。".into();
            (Vec::new(), String::new())
        }
        Some((family_id, person)) => {
            let label = tools(state, auth)
                .await?
                .elders
                .into_iter()
                .find(|(v, _)| v == elder)
                .map(|(_, l)| l)
                .unwrap_or_default();
            match crate::checkins::candidates(state, Caller::of(auth), family_id, person).await {
                Ok(c) => (c, label),
                Err(e) => match ApiError::from(e) {
                    e @ (ApiError::Validation(_) | ApiError::BadRequest { .. }) => {
                        refusal = e.to_string();
                        (Vec::new(), label)
                    }
                    other => return Err(other.into()),
                },
            }
        }
    };
    if form.open.is_empty() {
        form.open = "pair".into();
        form.values.insert(
            "check_in_by".into(),
            ladder.deadline().format("%H:%M").to_string(),
        );
        for d in ladder.days_off() {
            form.values
                .insert(format!("day_off.{}", weekday_code(*d)), "on".into());
        }
        form.values.insert(
            "helper_id".into(),
            candidates
                .first()
                .map(|c| c.helper_id.to_string())
                .unwrap_or_default(),
        );
    }
    let status = if form.errors.is_empty() && form.general.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let weekdays = WEEKDAYS
        .iter()
        .map(|(code, label)| {
            (
                *code,
                *label,
                form.value("pair", &format!("day_off.{code}")) == "on",
            )
        })
        .collect();
    page_with_status(
        status,
        &PairPage {
            frame: console.frame(state, "新建结对", "/console/checkins"),
            elder: elder.to_owned(),
            elder_label,
            candidates: candidates
                .into_iter()
                .map(|c| CandidateLine {
                    helper_id: c.helper_id.to_string(),
                    name: c.name,
                    distance: format!("{} 米", c.distance_m),
                    same_community: c.same_community,
                    load: format!("{}/{}", c.load, c.max_elders),
                })
                .collect(),
            refusal,
            form,
            consent_hows: ConsentHow::choices(),
            weekdays,
            deadline: ladder.deadline().format("%H:%M").to_string(),
            today: auth.district.today().to_string(),
        },
    )
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "周一"),
    ("tue", "周二"),
    ("wed", "周三"),
    ("thu", "周四"),
    ("fri", "周五"),
    ("sat", "周六"),
    ("sun", "周日"),
];

/// `POST /console/checkins/pairings`: the pairing, as `POST /api/v1/pairings` (the caller took both
/// consents); sent back beside its fields when refused.
pub async fn create_pairing(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::Pairing, Action::Create)?;
    let elder = form.get("elder").to_owned();
    let mut sent = ToolForm::sent("pair".into(), &form);
    let (family_id, person) = elder_of(&elder);
    let consent = |side: &str| {
        let on = form.get(&format!("{side}_consent.on"));
        let how = form.get(&format!("{side}_consent.how"));
        if on.is_empty() && how.is_empty() {
            Value::Null
        } else {
            json!({"on": on, "how": how})
        }
    };
    let days_off: Vec<&str> = WEEKDAYS
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| form.get(&format!("day_off.{code}")) == "on")
        .collect();
    let body = json!({
        "family_id": family_id,
        "person": person,
        "helper_id": form.get("helper_id"),
        "elder_consent": consent("elder"),
        "helper_consent": consent("helper"),
        "check_in_by": form.get("check_in_by"),
        "days_off": days_off,
    });
    const INPUTS: &[&str] = &[
        "helper_id",
        "elder_consent.on",
        "elder_consent.how",
        "helper_consent.on",
        "helper_consent.how",
        "check_in_by",
        "days_off",
    ];
    const ALIASES: &[(&str, &str)] = &[
        ("elder_consent", "elder_consent.on"),
        ("helper_consent", "helper_consent.on"),
        ("family_id", "elder"),
        ("person", "elder"),
    ];
    let result = match from_value::<PairingInput>(body, "") {
        Ok(input) => crate::checkins::create_pairing(&state, Caller::of(auth), input)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/console/checkins?done=paired")),
        Err(e) => {
            sent.place(e, INPUTS, ALIASES)?;
            pair_form(&state, &console, &elder, sent).await
        }
    }
}

fn outcome(code: &str) -> Result<Outcome, PageError> {
    match code {
        "well" => Ok(Outcome::Well),
        "needs_help" => Ok(Outcome::NeedsHelp),
        "not_reached" => Ok(Outcome::NotReached),
        _ => Err(ApiError::bad_request("invalid", "outcome", "请选择探询结果").into()),
    }
}

/// `POST /console/checkins/{id}/check-in`: `outcome` and `how`.
pub async fn check_in(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<PairingId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::CheckIn, Action::Create)?;
    let how = match form.get("how") {
        "phone" => CheckInHow::Phone,
        _ => CheckInHow::Visit,
    };
    let input = CheckInInput {
        outcome: outcome(form.get("outcome"))?,
        how,
    };
    crate::checkins::check_in(
        &state,
        Caller::of(&console.auth),
        id.into_inner(),
        input,
        Utc::now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other("/console/checkins?done=checked"))
}

/// `POST /console/checkins/alerts/{id}/acknowledge`: `finding`.
pub async fn acknowledge(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<AlertId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console
        .auth
        .require(Resource::CheckInAlert, Action::Update)?;
    crate::checkins::acknowledge(
        &state,
        Caller::of(&console.auth),
        id.into_inner(),
        form.get("finding"),
        Utc::now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other("/console/checkins?done=acknowledged"))
}

/// `POST /console/checkins/{id}/withdraw`: `side` and `reason`.
pub async fn withdraw(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<PairingId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Pairing, Action::Update)?;
    let side = match form.get("side") {
        "helper" => Side::Helper,
        _ => Side::Elder,
    };
    let input = WithdrawInput {
        side,
        reason: form.get("reason").to_owned(),
    };
    crate::checkins::withdraw(
        &state,
        Caller::of(&console.auth),
        id.into_inner(),
        input,
        Utc::now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other("/console/checkins?done=withdrawn"))
}
