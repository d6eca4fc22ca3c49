//! Minimisation: one family's facts into the record a rule releases.

use chrono::{Datelike, NaiveDate};
use nuanxin_privacy::{mask_name, Phone, Pseudonymizer, ResidentId};
use serde_json::{json, Map, Value};

use crate::catalogue::{Field, Mode};
use crate::rules::Rule;

/// One parent's facts as the register holds them.
#[derive(Debug, Clone)]
pub struct ParentFacts {
    pub name: String,
    pub resident_id: ResidentId,
    pub phone: Option<Phone>,
    /// `full`, `partial` or `none` (自理 / 半自理 / 不能自理).
    pub self_care: String,
    pub alive: bool,
}

/// One family's facts: every value the catalogue can release. The service fills it from the register.
#[derive(Debug, Clone)]
pub struct FamilyFacts {
    /// The family's stable id (its UUID): the subject of its pseudonym.
    pub family_id: String,
    /// `bereaved` or `disabled`.
    pub kind: String,
    pub street: String,
    pub community: String,
    pub address: String,
    pub parents: Vec<ParentFacts>,
    /// Integer yuan; `None` when not recorded.
    pub monthly_income_per_capita_cny: Option<i64>,
    /// `deceased` or `disabled`.
    pub child_status: String,
    pub child_disability_grade: Option<i16>,
    /// Program codes the family is entitled to now.
    pub entitlements: Vec<String>,
}

/// The per-department pseudonymizer: a key derived from the district's pseudonym key for the
/// requesting org unit, so the same family has the same `pid` in all of one department's releases
/// and unrelated `pid`s in two departments'.
pub fn department_pseudonymizer(district: &Pseudonymizer, org_unit: &str) -> Pseudonymizer {
    district.for_requester(org_unit)
}

fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut age = i64::from(on.year() - birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn parent_value(
    p: &ParentFacts,
    field: Field,
    mode: Mode,
    on: NaiveDate,
    pseud: &Pseudonymizer,
    org: &str,
) -> Value {
    let birth = p.resident_id.birth_date();
    match (field, mode) {
        (Field::ParentName, Mode::Masked) => json!(mask_name(&p.name)),
        (Field::ParentName, _) => json!(p.name),
        (Field::ParentResidentId, Mode::Masked) => json!(p.resident_id.masked()),
        (Field::ParentResidentId, Mode::Pseudonym) => {
            json!(pseud.pseudonym(org, &format!("person:{}", p.resident_id.as_str())))
        }
        (Field::ParentResidentId, _) => json!(p.resident_id.as_str()),
        (Field::ParentBirthDate, Mode::Year) => json!(birth.year()),
        (Field::ParentBirthDate, _) => json!(birth.format("%Y-%m-%d").to_string()),
        (Field::ParentPhone, Mode::Masked) => p
            .phone
            .as_ref()
            .map_or(Value::Null, |ph| json!(ph.masked())),
        (Field::ParentPhone, _) => p
            .phone
            .as_ref()
            .map_or(Value::Null, |ph| json!(ph.as_str())),
        (Field::ParentAge, _) => json!(age_on(birth, on)),
        (Field::ParentSelfCare, _) => json!(p.self_care),
        (Field::ParentAlive, _) => json!(p.alive),
        _ => Value::Null,
    }
}

/// The record `rule` releases of `family` on `on` to the rule's org unit: `pid` and exactly the
/// rule's fields, each in its mode (parent fields as a list, one entry per parent). Nothing else.
pub fn minimise(
    rule: &Rule,
    family: &FamilyFacts,
    on: NaiveDate,
    pseud: &Pseudonymizer,
) -> Map<String, Value> {
    let org = rule.org_unit.as_str();
    let mut out = Map::new();
    out.insert(
        "pid".into(),
        json!(pseud.pseudonym(org, &format!("family:{}", family.family_id))),
    );
    for &(field, mode) in &rule.fields {
        let value = if field.per_parent() {
            Value::Array(
                family
                    .parents
                    .iter()
                    .map(|p| parent_value(p, field, mode, on, pseud, org))
                    .collect(),
            )
        } else {
            match field {
                Field::Kind => json!(family.kind),
                Field::Street => json!(family.street),
                Field::Community => json!(family.community),
                Field::Address => json!(family.address),
                Field::IncomePerCapita => json!(family.monthly_income_per_capita_cny),
                Field::ChildStatus => json!(family.child_status),
                Field::ChildDisabilityGrade => json!(family.child_disability_grade),
                Field::Entitlements => json!(family.entitlements),
                _ => Value::Null,
            }
        };
        out.insert(field.code().to_string(), value);
    }
    out
}
