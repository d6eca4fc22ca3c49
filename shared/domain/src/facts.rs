//! The one place where a registry record becomes the policy engine's facts (SPEC "Canonical family facts").

use nuanxin_policy as policy;
use serde_json::{json, Value};

use crate::family::{Child, Family, Parent};

/// A parent's facts: everything the policy may ask about a parent, and nothing that identifies them.
pub fn parent_facts(p: &Parent) -> Value {
    json!({
        "role": p.role,
        "birth_date": p.birth_date,
        "alive": p.alive,
        "self_care": p.self_care,
        "sanwu": p.sanwu,
        "care": p.care,
        "nursing_home_in_district": p.nursing_home_in_district,
        "major_illness_hospitalized_on": p.major_illness_hospitalized_on,
        "out_of_pocket_medical_cny": p.out_of_pocket_medical_cny,
        "fertility_treatment_since": p.fertility_treatment_since,
        "wants_home_services": p.wants_home_services,
    })
}

/// The canonical facts JSON of a family, as `nuanxin-policy` reads it.
pub fn facts_json(family: &Family) -> Value {
    let child = match family.child {
        Child::Deceased { died_on } => json!({ "status": "deceased", "died_on": died_on }),
        Child::Disabled {
            disability_grade,
            certified_on,
        } => {
            json!({ "status": "disabled", "disability_grade": disability_grade, "certified_on": certified_on })
        }
    };
    json!({
        "kind": family.kind,
        "hukou_district": family.hukou_district,
        "child": child,
        "parents": family.parents.iter().map(parent_facts).collect::<Vec<_>>(),
        "household": family.household,
        "rebirth": family.rebirth,
    })
}

/// The engine's facts of a family, field by field (no JSON in between: register-wide work maps every
/// family). `facts_json` is the same facts as JSON, for the API's explanations and the history.
impl From<&Family> for policy::FamilyFacts {
    fn from(family: &Family) -> policy::FamilyFacts {
        policy::FamilyFacts {
            kind: family.kind,
            hukou_district: family.hukou_district.clone(),
            child: match family.child {
                Child::Deceased { died_on } => policy::Child::Deceased { died_on },
                Child::Disabled {
                    disability_grade,
                    certified_on,
                } => policy::Child::Disabled {
                    disability_grade: u8::try_from(disability_grade).unwrap_or(u8::MAX),
                    certified_on: Some(certified_on),
                },
            },
            parents: family.parents.iter().map(policy::Parent::from).collect(),
            household: policy::Household {
                monthly_income_per_capita_cny: family.household.monthly_income_per_capita_cny,
                prior_year_total_income_cny: family.household.prior_year_total_income_cny,
            },
            rebirth: policy::Rebirth {
                assisted_reproduction_birth_on: family.rebirth.assisted_reproduction_birth_on,
            },
        }
    }
}

impl From<&Parent> for policy::Parent {
    fn from(p: &Parent) -> policy::Parent {
        policy::Parent {
            role: p.role,
            birth_date: p.birth_date,
            alive: p.alive,
            self_care: p.self_care,
            sanwu: p.sanwu,
            care: p.care,
            nursing_home_in_district: p.nursing_home_in_district,
            major_illness_hospitalized_on: p.major_illness_hospitalized_on,
            out_of_pocket_medical_cny: p.out_of_pocket_medical_cny,
            fertility_treatment_since: p.fertility_treatment_since,
            wants_home_services: p.wants_home_services,
        }
    }
}
