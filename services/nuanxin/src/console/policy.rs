//! The district's policy as the console shows it: the document and its dates, the parameters with their
//! dated values (by their Chinese names), and a year's forecast by program and payer as a chart — from
//! the same forecast the API's `GET /api/v1/benefits/forecast` computes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::labels;
use nuanxin_policy::{ParamUnit, ParamValue};
use serde::Deserialize;

use super::charts::BarChart;
use super::session::{Console, Posted};
use super::views::{page, page_with_status, see_other, Frame, PageError};
use crate::benefits::forecast::{forecast_for, impact_for, PolicyChange};
use crate::error::ApiError;
use crate::parameters::{save, NewValue};
use crate::state::AppState;

struct ParameterRow {
    label: String,
    /// 元 for amounts, nothing for ages, counts and days (their labels say what they count).
    unit: &'static str,
    /// (from, value) in date order.
    values: Vec<(String, String)>,
}

/// A parameter the administrator may give a new dated value.
struct ParameterChoice {
    name: String,
    label: String,
    selected: bool,
}

/// The impact of a proposed parameter value, shown before anything is saved.
struct ImpactView {
    summary: String,
    families_changed: usize,
    annual_cost_difference_cny: i64,
    /// (program title, gained, lost, amount changed, annual difference)
    programs: Vec<(String, u64, u64, u64, i64)>,
}

struct CostRow {
    program: String,
    payer: String,
    beneficiaries: u64,
    amount_cny: i64,
    unpriced: u64,
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    frame: Frame,
    /// The document, or None when the district has no policy.
    document: Option<String>,
    in_force: bool,
    parameters: Vec<ParameterRow>,
    year: i32,
    years: Vec<(i32, bool)>,
    chart: String,
    /// Entitlements by program (services too, which the cost chart cannot show).
    reach_chart: String,
    costs: Vec<CostRow>,
    payers: Vec<(String, i64)>,
    total_cny: i64,
    families: u64,
    notices: Vec<String>,
    /// The parameters offered in the impact form (empty unless the caller may edit the policy).
    choices: Vec<ParameterChoice>,
    /// The proposed change's fields as entered, and its impact once computed.
    proposal: (String, String, String),
    impact: Option<ImpactView>,
    error: String,
    message: &'static str,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    #[serde(default)]
    done: String,
}

/// `GET /console/policy`: the policy, its parameters and a year's forecast.
pub async fn policy(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    let mut page_data = policy_page(&state, &console, query.year).await?;
    if query.done == "saved" {
        page_data.message =
            "已保存新的生效值：自生效日期起用于全区的待遇计算、发放周期和经费预测。";
    }
    page(&page_data)
}

/// The proposed date and value as typed: a date, and a whole number or nothing (no standard).
fn parse_proposal(from: &str, value: &str) -> Result<(NaiveDate, Option<i64>), String> {
    let from = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d")
        .map_err(|_| format!("生效日期应为年-月-日，而不是“{}”", from.trim()))?;
    let value = match value.trim() {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| format!("取值应为整数，而不是“{v}”"))?,
        ),
    };
    Ok((from, value))
}

/// `POST /console/policy/parameters`: saves the dated value whose impact was shown, with its basis.
pub async fn save_value(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Policy, Action::Update)?;
    let (name, from, value) = (
        form.get("name"),
        form.get("effective_from"),
        form.get("value"),
    );
    let saved = match parse_proposal(from, value) {
        Err(message) => Err(message),
        Ok((effective_from, value)) => {
            let new = NewValue {
                effective_from,
                value,
                basis: form.get("basis").to_owned(),
            };
            match save(&state, &console.auth, name, new).await {
                Ok(_) => Ok(()),
                Err(
                    e @ (ApiError::BadRequest { .. }
                    | ApiError::Validation(_)
                    | ApiError::NotFound(_)),
                ) => Err(e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match saved {
        Ok(()) => Ok(see_other("/console/policy?done=saved")),
        Err(message) => {
            let mut page_data = policy_page(&state, &console, None).await?;
            page_data.proposal = (
                name.to_owned(),
                from.trim().to_owned(),
                value.trim().to_owned(),
            );
            page_data.error = message;
            page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page_data)
        }
    }
}

/// `POST /console/policy/impact`: the impact of a new dated parameter value, computed by the API's
/// impact over the whole register and shown on the policy page before anything is saved.
pub async fn impact(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Policy, Action::Update)?;
    let mut page_data = policy_page(&state, &console, None).await?;
    let (name, from, value) = (
        form.get("name"),
        form.get("effective_from"),
        form.get("value"),
    );
    page_data.proposal = (
        name.to_owned(),
        from.trim().to_owned(),
        value.trim().to_owned(),
    );
    for c in &mut page_data.choices {
        c.selected = c.name == name;
    }
    let label = page_data
        .choices
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.label.clone());
    let parsed = label
        .ok_or_else(|| "请选择要调整的参数".to_owned())
        .and_then(|label| parse_proposal(from, value).map(|(from, value)| (label, from, value)));
    match parsed {
        Err(message) => page_data.error = message,
        Ok((label, from, value)) => {
            let change = PolicyChange::Parameter {
                name: name.to_owned(),
                effective_from: from,
                value,
            };
            let report = impact_for(state.clone().into_inner(), &console.auth, change, from).await;
            match report.map_err(ApiError::from) {
                Ok(report) => {
                    let policy = console.auth.district.policy.clone();
                    let title = |code: &str| {
                        policy
                            .as_ref()
                            .and_then(|p| p.program(code))
                            .map_or_else(|| "（未知项目）".to_owned(), |p| p.title.clone())
                    };
                    let shown = value.map_or_else(|| "不设标准".to_owned(), |v| v.to_string());
                    page_data.impact = Some(ImpactView {
                        summary: format!("{label}自{from}起为{shown}"),
                        families_changed: report.families_changed.len(),
                        annual_cost_difference_cny: report.annual_cost_difference_cny,
                        programs: report
                            .by_program
                            .iter()
                            .map(|p| {
                                (
                                    title(&p.program),
                                    p.gained,
                                    p.lost,
                                    p.amount_changed,
                                    p.annual_cost_difference_cny,
                                )
                            })
                            .collect(),
                    });
                }
                Err(e @ (ApiError::BadRequest { .. } | ApiError::Validation(_))) => {
                    page_data.error = e.to_string()
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    page(&page_data)
}

async fn policy_page(
    state: &web::Data<AppState>,
    console: &Console,
    year: Option<i32>,
) -> Result<PolicyPage, PageError> {
    let auth = &console.auth;
    auth.require(Resource::Policy, Action::Read)?;
    let district = &auth.district;
    let this_year = district.today().year();
    let year = year.unwrap_or(this_year);
    let frame = console.frame(state, "政策与预测", "/console/policy");
    let Some(policy) = district.policy.clone() else {
        return Ok(PolicyPage {
            frame,
            document: None,
            in_force: false,
            parameters: Vec::new(),
            year,
            years: Vec::new(),
            chart: String::new(),
            reach_chart: String::new(),
            costs: Vec::new(),
            payers: Vec::new(),
            total_cny: 0,
            families: 0,
            notices: Vec::new(),
            choices: Vec::new(),
            proposal: Default::default(),
            impact: None,
            error: String::new(),
            message: "",
        });
    };
    let report = forecast_for(state.clone().into_inner(), auth, Some(year)).await?;
    let title = |code: &str| {
        policy
            .program(code)
            .map_or_else(|| "（未知项目）".to_owned(), |p| p.title.clone())
    };
    let payers: Vec<String> = report.by_payer.iter().map(|p| p.payer.clone()).collect();
    let mut bars: Vec<(String, Vec<i64>)> = Vec::new();
    for line in &report.forecast.lines {
        let name = title(&line.program);
        let slot = match bars.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                bars.push((name, vec![0; payers.len()]));
                bars.len() - 1
            }
        };
        if let Some(p) = payers.iter().position(|p| *p == line.payer) {
            bars[slot].1[p] += line.amount_cny;
        }
    }
    let mut reach: Vec<(String, Vec<i64>)> = Vec::new();
    for line in &report.forecast.lines {
        let name = title(&line.program);
        let n = i64::try_from(line.beneficiaries).unwrap_or(i64::MAX);
        match reach.iter_mut().find(|(p, _)| *p == name) {
            Some((_, count)) => count[0] = count[0].saturating_add(n),
            None => reach.push((name, vec![n])),
        }
    }
    let basis = policy.legal_basis();
    let choices = if auth.may(Resource::Policy, Action::Update) {
        policy
            .parameters()
            .iter()
            .map(|p| ParameterChoice {
                name: p.name.clone(),
                label: p.label.clone(),
                selected: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(PolicyPage {
        frame,
        document: Some(format!("《{}》（{}）", basis.title, basis.document_number)),
        in_force: policy.in_force_on(district.today()),
        parameters: policy
            .parameters()
            .iter()
            .map(|p| ParameterRow {
                label: p.label.clone(),
                unit: if p.unit == ParamUnit::Cny { "元" } else { "" },
                values: p
                    .values
                    .iter()
                    .map(|v| {
                        let value = match v.value {
                            ParamValue::Int(n) => n.to_string(),
                            ParamValue::Unset => "未公布".to_owned(),
                        };
                        (v.effective_from.to_string(), value)
                    })
                    .collect(),
            })
            .collect(),
        year,
        years: (this_year - 1..=this_year + 1)
            .map(|y| (y, y == year))
            .collect(),
        chart: BarChart {
            title: format!("{year}年关怀经费预测（按项目、发放单位）"),
            unit: "金额（元）".to_owned(),
            series: payers.iter().map(|p| labels::payer(p)).collect(),
            bars,
        }
        .to_svg(),
        reach_chart: BarChart {
            title: format!("{year}年享受关怀的人次（按项目）"),
            unit: "人次".to_owned(),
            series: vec!["受益人次".to_owned()],
            bars: reach,
        }
        .to_svg(),
        costs: report
            .forecast
            .lines
            .iter()
            .map(|l| CostRow {
                program: title(&l.program),
                payer: labels::payer(&l.payer),
                beneficiaries: l.beneficiaries,
                amount_cny: l.amount_cny,
                unpriced: l.unpriced,
            })
            .collect(),
        payers: report
            .by_payer
            .into_iter()
            .map(|p| (labels::payer(&p.payer), p.amount_cny))
            .collect(),
        total_cny: report.forecast.total_cny,
        families: report.forecast.families,
        notices: report.notices,
        choices,
        proposal: Default::default(),
        impact: None,
        error: String::new(),
        message: "",
    })
}
