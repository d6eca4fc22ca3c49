//! Next year's cost from the policy over the register, and the impact of a policy change. Families
//! appear by id and street only.

use nuanxin_ids::FamilyId;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::benefit::streets_of;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::visits::holiday_evaluation_date;
use nuanxin_policy::{
    EntitlementChanges, ForecastBuilder, ImpactBuilder, ParamValue, Policy, ProgramImpact,
};
use serde::Serialize;

use super::{fold_register, Access, BenefitError};
use crate::auth::Authorized;
use crate::state::{AppState, District};

#[derive(Debug, Serialize)]
pub struct PayerTotal {
    pub payer: String,
    pub amount_cny: i64,
}

/// The forecast with totals by payer and notices (out of force, amounts not configured).
#[derive(Debug, Serialize)]
pub struct ForecastReport {
    #[serde(flatten)]
    pub forecast: nuanxin_policy::Forecast,
    pub by_payer: Vec<PayerTotal>,
    pub notices: Vec<String>,
}

/// The forecast of `year` (next year when absent) for the caller's district, for a caller who may
/// read the policy (aggregates only).
pub async fn forecast_for(
    state: Arc<AppState>,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<ForecastReport, BenefitError> {
    auth.check(Resource::Policy, Action::Read)?;
    let district = &auth.district;
    let year = year.unwrap_or(district.today().year() + 1);
    if !(1900..=2200).contains(&year) {
        return Err(BenefitError::BadYear(format!("年份{year}无效")));
    }
    forecast(state, district, year).await
}

/// Who would gain or lose what under `change` as of `as_of`, before it is saved, for a caller who
/// may edit the policy.
pub async fn impact_for(
    state: Arc<AppState>,
    auth: &Authorized,
    change: PolicyChange,
    as_of: NaiveDate,
) -> Result<ImpactReport, BenefitError> {
    auth.check(Resource::Policy, Action::Update)?;
    let district = &auth.district;
    let current = district.policy.clone().ok_or(BenefitError::NoPolicy)?;
    // Parsing and checking a policy is CPU work: off the async workers.
    let after = tokio::task::spawn_blocking(move || change.apply(&current)).await??;
    impact(state, district, after, as_of).await
}

/// Next year's (or any year's) cost by program and payer: every active family evaluated on the first
/// day of each month of `year`, so ages and "this year" move forward with the date; a holiday visit
/// on its festival's day, as its cycle is (a parent who turns 60 before Chongyang counts, a festival
/// after the policy ended does not).
pub async fn forecast(
    access: Access,
    district: &District,
    year: i32,
) -> Result<ForecastReport, BenefitError> {
    let policy = district.policy.clone().ok_or(BenefitError::NoPolicy)?;
    let mut notices = Vec::new();
    let basis = policy.legal_basis();
    let in_force = || {
        format!(
            "{}有效期（{}起{}）",
            basis.document_number,
            basis.in_force_from,
            basis
                .in_force_until
                .map_or("长期有效".to_owned(), |u| format!("至{u}"))
        )
    };
    let mut festivals: Vec<(String, Option<NaiveDate>)> = Vec::new();
    for program in policy.programs() {
        let code = program.code.as_str();
        let Some(festival) = holiday_evaluation_date(code, &year.to_string()) else {
            continue;
        };
        match &festival {
            Ok(on) if !policy.in_force_on(*on) => notices.push(format!(
                "项目{code}：{year}年的节日（{on}）不在{}内，不计费用",
                in_force()
            )),
            Ok(_) => {}
            Err(reason) => notices.push(format!("项目{code}：{reason}，不计费用")),
        }
        festivals.push((code.to_owned(), festival.ok()));
    }
    let worker_policy = policy.clone();
    let forecast = fold_register(access, district.id, move |families| {
        let mut builder = festivals.iter().fold(
            ForecastBuilder::new(&worker_policy, year),
            |b, (code, on)| b.on_own_date(code, *on),
        );
        for family in families {
            builder.add(&family.facts);
        }
        builder.finish()
    })
    .await?;
    let mut payers: BTreeMap<&str, i64> = BTreeMap::new();
    for line in &forecast.lines {
        *payers.entry(line.payer.as_str()).or_default() += line.amount_cny;
    }
    let by_payer = payers
        .into_iter()
        .map(|(payer, amount_cny)| PayerTotal {
            payer: payer.to_owned(),
            amount_cny,
        })
        .collect();
    let months_in_force = (1..=12)
        .filter_map(|m| NaiveDate::from_ymd_opt(year, m, 1))
        .filter(|d| policy.in_force_on(*d))
        .count();
    if months_in_force < 12 {
        notices.push(format!(
            "{}年有{}个月不在{}内，这些月份不计费用",
            year,
            12 - months_in_force,
            in_force()
        ));
    }
    for line in forecast.lines.iter().filter(|l| l.unpriced > 0) {
        notices.push(format!(
            "项目{}有{}位受益人的金额尚未配置（参数无值），未计入合计",
            line.program, line.unpriced
        ));
    }
    Ok(ForecastReport {
        forecast,
        by_payer,
        notices,
    })
}

/// A second policy version: a whole policy file, or one new dated parameter value.
pub enum PolicyChange {
    Yaml(String),
    Parameter {
        name: String,
        effective_from: NaiveDate,
        value: Option<i64>,
    },
}

impl PolicyChange {
    /// The policy after the change, checked like any policy file.
    pub fn apply(&self, current: &Policy) -> Result<Policy, BenefitError> {
        let policy = match self {
            PolicyChange::Yaml(text) => Policy::parse("new-policy.yaml", text)
                .map_err(|e| BenefitError::BadPolicy(e.to_string()))?,
            PolicyChange::Parameter {
                name,
                effective_from,
                value,
            } => current
                .with_parameter_value(
                    name,
                    *effective_from,
                    value.map_or(ParamValue::Unset, ParamValue::Int),
                )
                .map_err(|e| BenefitError::BadPolicy(e.to_string()))?,
        };
        if policy.tenant() != current.tenant() {
            return Err(BenefitError::BadPolicy(format!(
                "新政策属于“{}”，不是本区“{}”",
                policy.tenant(),
                current.tenant()
            )));
        }
        Ok(policy)
    }
}

#[derive(Debug, Serialize)]
pub struct FamilyImpactView {
    pub family_id: FamilyId,
    pub street: String,
    pub changes: EntitlementChanges,
}

#[derive(Debug, Serialize)]
pub struct ImpactReport {
    pub as_of: NaiveDate,
    pub families: u64,
    pub families_changed: Vec<FamilyImpactView>,
    pub by_program: Vec<ProgramImpact>,
    pub annual_cost_difference_cny: i64,
}

/// Which families gain or lose which programs on `as_of` under `after` instead of the district's
/// policy, and the annual cost difference.
pub async fn impact(
    access: Access,
    district: &District,
    after: Policy,
    as_of: NaiveDate,
) -> Result<ImpactReport, BenefitError> {
    let before = district.policy.clone().ok_or(BenefitError::NoPolicy)?;
    let after = Arc::new(after);
    let impact = fold_register(access.clone(), district.id, move |families| {
        let mut builder = ImpactBuilder::new(&before, &after, as_of);
        for family in families {
            builder.add(family.id.to_string(), &family.facts);
        }
        builder.finish()
    })
    .await?;
    // Streets only for the families that changed: memory stays with the changes, not the register.
    let ids: Vec<FamilyId> = impact
        .families_changed
        .iter()
        .filter_map(|f| f.family.parse().ok())
        .collect();
    let mut streets = BTreeMap::new();
    for chunk in ids.chunks(5000) {
        let mut tx = TenantTx::begin(access.pool(), district.id).await?;
        streets.extend(streets_of(&mut tx, chunk).await?);
        tx.commit().await?;
    }
    let families_changed = impact
        .families_changed
        .into_iter()
        .filter_map(|f| {
            let id: FamilyId = f.family.parse().ok()?;
            let street = streets
                .get(&id)
                .map(|s| district.orgs.name_of(*s).to_owned())
                .unwrap_or_default();
            Some(FamilyImpactView {
                family_id: id,
                street,
                changes: f.changes,
            })
        })
        .collect();
    Ok(ImpactReport {
        as_of: impact.as_of,
        families: impact.families,
        families_changed,
        by_program: impact.by_program,
        annual_cost_difference_cny: impact.annual_cost_difference_cny,
    })
}
