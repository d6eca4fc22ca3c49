//! The one place where a registry record becomes the policy engine's facts (SPEC "Canonical family facts").

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
