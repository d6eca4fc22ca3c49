//! The district's policy as the console shows it: the document and its dates, the parameters with their
//! dated values (by their Chinese names), and a year's forecast by program and payer as a chart — from
//! the same forecast the API's `GET /api/v1/benefits/forecast` computes.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Datelike;
use nuanxin_access::{Action, Resource};
use nuanxin_domain::labels;
use nuanxin_policy::{ParamUnit, ParamValue};
use serde::Deserialize;

use super::charts::BarChart;
use super::session::Console;
use super::views::{page, Frame, PageError};
use crate::routes::benefits::forecast::year_forecast;
use crate::state::AppState;

struct ParameterRow {
    label: String,
    /// 元 for amounts, nothing for ages, counts and days (their labels say what they count).
    unit: &'static str,
    /// (from, value) in date order.
    values: Vec<(String, String)>,
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
    costs: Vec<CostRow>,
    payers: Vec<(String, i64)>,
    total_cny: i64,
    families: u64,
    notices: Vec<String>,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

/// `GET /console/policy`: the policy, its parameters and a year's forecast.
pub async fn policy(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::Policy, Action::Read)?;
    let district = &auth.district;
    let this_year = district.today().year();
    let year = query.year.unwrap_or(this_year);
    let frame = console.frame(&state, "政策与预测", "/console/policy");
    let Some(policy) = district.policy.clone() else {
        return page(&PolicyPage {
            frame,
            document: None,
            in_force: false,
            parameters: Vec::new(),
            year,
            years: Vec::new(),
            chart: String::new(),
            costs: Vec::new(),
            payers: Vec::new(),
            total_cny: 0,
            families: 0,
            notices: Vec::new(),
        });
    };
    let report = year_forecast(&state, auth, Some(year)).await?;
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
    let basis = policy.legal_basis();
    page(&PolicyPage {
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
    })
}
