//! A release's aggregates: counts by street, community, kind, age band or program, suppressed jointly.
//!
//! The tables a release can publish are fixed by its fields (a release without `street` is never
//! counted by street), and all of them are suppressed together in one call of the pure crate,
//! whichever is asked: suppressing each table alone lets a total minus the shown cells of a linked
//! table reveal a suppressed one (sdcTools #160). The same release always answers the same cells.
//! Counts by program (how many of the families hold each) are suppressed in the same call: a program
//! count minus shown street counts must not reveal a suppressed street either.

use nuanxin_db::models::sharing::{dimension_counts, DataRelease};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::org::OrgKind;
use nuanxin_ids::{DataReleaseId, OrgUnitId};
use nuanxin_sharing::{
    aggregate_with_held, aggregate_within, AggregateError, Field, Held, AGE_BANDS, KINDS,
};
use serde::Serialize;
use serde_json::json;

use super::{check_readable, release_fields, rules_of, SharingError};
use crate::audit::{self, Actor};
use crate::state::{AppState, District};

/// One published cell.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub key: String,
    /// `None` when suppressed.
    pub count: Option<u64>,
    pub suppressed: bool,
}

/// `GET /data-releases/{id}/aggregate?by=` answers this.
#[derive(Debug, Serialize)]
pub struct AggregateView {
    pub by: String,
    pub threshold: u64,
    pub total: u64,
    pub cells: Vec<Cell>,
}

/// The dimensions a release with these fields may be counted by.
pub fn dimensions(fields: &[(Field, nuanxin_sharing::Mode)]) -> Vec<&'static str> {
    let has = |f: Field| fields.iter().any(|(g, _)| *g == f);
    let mut out = Vec::new();
    if has(Field::Street) {
        out.push("street");
    }
    if has(Field::Community) {
        out.push("community");
    }
    if has(Field::Kind) {
        out.push("kind");
    }
    if has(Field::ParentAge) || has(Field::ParentBirthDate) {
        out.push("age_band");
    }
    if has(Field::Entitlements) {
        out.push("program");
    }
    out
}

fn domain(district: &District, dim: &str) -> Vec<String> {
    match dim {
        "street" => district
            .orgs
            .of_kind(OrgKind::Street)
            .map(|u| u.code.clone())
            .collect(),
        "community" => district
            .orgs
            .of_kind(OrgKind::Community)
            .map(|u| u.code.clone())
            .collect(),
        "kind" => KINDS.iter().map(|k| (*k).to_owned()).collect(),
        "age_band" => AGE_BANDS.iter().map(|b| b.0.to_owned()).collect(),
        _ => district.policy.as_ref().map_or_else(Vec::new, |p| {
            p.programs().iter().map(|p| p.code.clone()).collect()
        }),
    }
}

fn aggregate_error(e: AggregateError) -> SharingError {
    match e {
        AggregateError::TooFew(_) => {
            SharingError::invalid("by", "该数据发布的家庭数少于统计阈值，不提供统计")
        }
        _ => SharingError::invalid("by", "该数据发布无法按此维度统计"),
    }
}

/// The release's counts by `by`, for the requesting department (404 for anyone else).
pub async fn by_dimension(
    state: &AppState,
    district: &District,
    actor: &Actor,
    unit: OrgUnitId,
    id: DataReleaseId,
    by: &str,
) -> Result<AggregateView, SharingError> {
    let threshold = rules_of(district)?.threshold;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let release = DataRelease::find(&mut tx, id)
        .await?
        .filter(|r| r.org_unit_id == unit)
        .ok_or(SharingError::NotFound("没有找到该数据发布"))?;
    check_readable(&release, district)?;
    let dims = dimensions(&release_fields(&release));
    if !dims.contains(&by) {
        return Err(SharingError::invalid(
            "by",
            "该数据发布不能按此维度统计（只能按其提供的字段统计）",
        ));
    }
    let counts = dimension_counts(&mut tx, id).await?;
    tx.commit().await?;
    // Every dimension of the release in one joint call: the family dimensions as tables, and the
    // programs (a set per family) as the held table beside them.
    let joint: Vec<&str> = dims.iter().copied().filter(|d| *d != "program").collect();
    let with_programs = dims.contains(&"program");
    let domains: Vec<Vec<String>> = joint.iter().map(|d| domain(district, d)).collect();
    let (mut records, mut held) = (Vec::new(), Vec::new());
    for c in &counts {
        let value = |d: &str| match d {
            "street" => c.street.clone(),
            "community" => c.community.clone(),
            "kind" => c.kind.clone(),
            _ => c.age_band.clone(),
        };
        let row: Vec<String> = joint.iter().map(|d| value(d)).collect();
        let n = usize::try_from(c.families).unwrap_or(0);
        if with_programs {
            let programs: Vec<String> =
                serde_json::from_value(c.programs.clone()).unwrap_or_default();
            held.extend(std::iter::repeat_n(programs, n));
        }
        records.extend(std::iter::repeat_n(row, n));
    }
    let tables: Vec<Vec<usize>> = (0..joint.len()).map(|i| vec![i]).collect();
    let street = joint.iter().position(|d| *d == "street");
    let community = joint.iter().position(|d| *d == "community");
    // A community lies in one street: the adversary knows it, and so must the witnesses.
    let possible = |values: &[&str]| match (street, community) {
        (Some(s), Some(c)) => district.orgs.by_code(values[c]).is_some_and(|unit| {
            unit.parent_id
                .and_then(|p| district.orgs.get(p))
                .is_some_and(|parent| parent.code == values[s])
        }),
        _ => true,
    };
    let published = if with_programs {
        let programs = domain(district, "program");
        let held = Held {
            domain: &programs,
            records: &held,
        };
        aggregate_with_held(&domains, &records, &tables, held, threshold, possible)
    } else {
        aggregate_within(&domains, &records, &tables, threshold, possible)
    }
    .map_err(aggregate_error)?;
    // The held table comes after the family tables.
    let asked = joint.iter().position(|d| *d == by).unwrap_or(joint.len());
    let (total, cells) = (published.total, published.tables.into_iter().nth(asked));
    state
        .read_log
        .record(
            audit::event(
                district.id,
                actor,
                "data_release.aggregate",
                "data_release",
                &id.to_string(),
                json!({"by": by, "purpose": release.purpose}),
            ),
            crate::audit::reads::WAIT,
        )
        .await?;
    Ok(AggregateView {
        by: by.to_owned(),
        threshold,
        total,
        cells: cells
            .unwrap_or_default()
            .into_iter()
            .map(|c| Cell {
                key: c.key.into_iter().next().unwrap_or_default(),
                count: c.count,
                suppressed: c.suppressed,
            })
            .collect(),
    })
}
