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
        (Field::ParentAge, _) => json!(p.resident_id.age_on(on)),
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
        out.insert(field.as_str().to_string(), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Basis, Rule};
    use nuanxin_privacy::check_digit;
    use std::collections::BTreeSet;

    fn id(first17: &str) -> ResidentId {
        let full = format!("{first17}{}", check_digit(first17).unwrap());
        ResidentId::parse(&full).unwrap()
    }

    fn family(n: u32) -> FamilyFacts {
        FamilyFacts {
            family_id: format!("00000000-0000-0000-0000-00000000000{n}"),
            kind: "bereaved".into(),
            street: "xinjiekou".into(),
            community: "xinjiekou-1".into(),
            address: "演示路1号".into(),
            parents: vec![ParentFacts {
                name: "王演示".into(),
                resident_id: id("99010519500312002"),
                phone: Some(Phone::parse("19900001234").unwrap()),
                self_care: "partial".into(),
                alive: true,
            }],
            monthly_income_per_capita_cny: Some(1800),
            child_status: "deceased".into(),
            child_disability_grade: None,
            entitlements: vec!["health_check".into()],
        }
    }

    fn rule(org: &str, fields: &[(Field, Mode)]) -> Rule {
        Rule {
            org_unit: org.into(),
            purpose: "p".into(),
            basis: Basis {
                document: "d".into(),
                clause: "c".into(),
            },
            fields: fields.to_vec(),
            max_days: 30,
            filters: BTreeSet::new(),
            consent_required: false,
            verifications: BTreeSet::new(),
            line: 1,
        }
    }

    #[test]
    fn only_the_rules_fields_in_their_modes() {
        let district = Pseudonymizer::new([3; 32]);
        let r = rule(
            "health",
            &[
                (Field::ParentName, Mode::Masked),
                (Field::ParentResidentId, Mode::Masked),
                (Field::ParentPhone, Mode::Masked),
                (Field::Street, Mode::Full),
            ],
        );
        let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let rec = minimise(
            &r,
            &family(1),
            on,
            &department_pseudonymizer(&district, "health"),
        );
        let keys: Vec<&str> = rec.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 5);
        for k in [
            "pid",
            "parent.name",
            "parent.resident_id",
            "parent.phone",
            "street",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
        assert_eq!(rec["parent.name"], json!(["王**"]));
        let masked_id = rec["parent.resident_id"][0].as_str().unwrap();
        assert!(masked_id.starts_with("990105********002"), "{masked_id}");
        assert_eq!(rec["parent.phone"], json!(["199****1234"]));
        let text = serde_json::to_string(&rec).unwrap();
        assert!(
            !text.contains("19500312") && !text.contains("0000123") && !text.contains("演示路")
        );

        let r2 = rule(
            "civil_affairs",
            &[
                (Field::ParentBirthDate, Mode::Year),
                (Field::ParentAge, Mode::Full),
                (Field::IncomePerCapita, Mode::Full),
            ],
        );
        let rec2 = minimise(
            &r2,
            &family(1),
            on,
            &department_pseudonymizer(&district, "civil_affairs"),
        );
        assert_eq!(rec2["parent.birth_date"], json!([1950]));
        assert_eq!(rec2["parent.age"], json!([76]));
        assert_eq!(rec2["household.monthly_income_per_capita_cny"], json!(1800));
    }

    #[test]
    fn pids_are_stable_per_department_and_differ_between_departments() {
        let district = Pseudonymizer::new([3; 32]);
        let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let fields = [
            (Field::Kind, Mode::Full),
            (Field::ParentResidentId, Mode::Pseudonym),
        ];
        let pid = |org: &str, n: u32, key: &str| {
            let rec = minimise(
                &rule(org, &fields),
                &family(n),
                on,
                &department_pseudonymizer(&district, org),
            );
            rec[key].to_string()
        };
        for key in ["pid", "parent.resident_id"] {
            assert_eq!(pid("health", 1, key), pid("health", 1, key));
            assert_ne!(pid("health", 1, key), pid("justice", 1, key));
        }
        assert_ne!(pid("health", 1, "pid"), pid("health", 2, "pid"));
        // The person's pseudonym follows the person, not the family.
        assert_eq!(
            pid("health", 1, "parent.resident_id"),
            pid("health", 2, "parent.resident_id")
        );
    }
}
