//! The canonical family facts (SPEC "Canonical family facts"): the engine's only input besides the date.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

nuanxin_text_enum::text_enum! {
    /// 家庭类别.
    pub enum Kind {
        /// 失独: the only child died.
        Bereaved = "bereaved" / "失独家庭",
        /// 独生子女三级以上残疾.
        Disabled = "disabled" / "独生子女伤残家庭",
    }
}

/// The only child's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Child {
    Deceased {
        died_on: NaiveDate,
    },
    Disabled {
        /// 1 = most severe; "三级以上" = grade 1–3.
        disability_grade: u8,
        #[serde(default)]
        certified_on: Option<NaiveDate>,
    },
}

nuanxin_text_enum::text_enum! {
    pub enum Role {
        Mother = "mother" / "母亲",
        Father = "father" / "父亲",
    }
}

nuanxin_text_enum::text_enum! {
    /// 生活自理能力.
    #[derive(Default)]
    pub enum SelfCare {
        #[default]
        Full = "full" / "生活自理",
        Partial = "partial" / "半自理",
        None = "none" / "不能自理",
    }
}

nuanxin_text_enum::text_enum! {
    /// 养老方式.
    #[derive(Default)]
    pub enum Care {
        #[default]
        Home = "home" / "居家",
        NursingHome = "nursing_home" / "入住养老机构",
    }
}

/// One parent. Fields other than `role`, `birth_date` and `alive` default to the "nothing special" value
/// (自理, not 三无, home care, no illness, no treatment, no application) when omitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    pub role: Role,
    pub birth_date: NaiveDate,
    pub alive: bool,
    #[serde(default)]
    pub self_care: SelfCare,
    #[serde(default)]
    pub sanwu: bool,
    #[serde(default)]
    pub care: Care,
    #[serde(default)]
    pub nursing_home_in_district: bool,
    #[serde(default)]
    pub major_illness_hospitalized_on: Option<NaiveDate>,
    #[serde(default)]
    pub out_of_pocket_medical_cny: i64,
    /// Date re-birth treatment began; the person is still not pregnant.
    #[serde(default)]
    pub fertility_treatment_since: Option<NaiveDate>,
    #[serde(default)]
    pub wants_home_services: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Household {
    pub monthly_income_per_capita_cny: i64,
    pub prior_year_total_income_cny: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rebirth {
    #[serde(default)]
    pub assisted_reproduction_birth_on: Option<NaiveDate>,
}

/// The canonical facts of one family, exactly the SPEC's JSON schema (unknown fields are rejected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyFacts {
    pub kind: Kind,
    /// Slug of the district of household registration (户籍), e.g. "xicheng".
    pub hukou_district: String,
    pub child: Child,
    pub parents: Vec<Parent>,
    pub household: Household,
    #[serde(default)]
    pub rebirth: Rebirth,
}

impl FamilyFacts {
    /// The first parent with this role, if any.
    pub fn parent(&self, role: Role) -> Option<&Parent> {
        self.parents.iter().find(|p| p.role == role)
    }
}

/// Full years from `birth` to `on` (年满N周岁 = on or after the N-th birthday).
///
/// Someone born on 29 February reaches the next year of age on 1 March in a common year (the full year
/// ends with 28 February), and on 29 February in a leap year. Negative before birth.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut years = i64::from(on.year()) - i64::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// Days from `since` to `on` (0 on the same day; negative if `since` is later).
pub fn days_between(since: NaiveDate, on: NaiveDate) -> i64 {
    (on - since).num_days()
}
