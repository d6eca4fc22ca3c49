//! The fact catalogue: every name a condition may use, its type and its Chinese wording.
//!
//! Conditions name facts as `kind`, `household.monthly_income_per_capita_cny`, `mother.age`,
//! `person.age` (the parent being evaluated in a `unit: person` program) and so on. The names and their
//! types are fixed here because the input schema is fixed by SPEC; everything else (which facts, which
//! limits, which parameters) lives in the district's policy file.

/// Which record a fact is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Family,
    Mother,
    Father,
    /// The parent being evaluated (only in `unit: person` programs).
    Person,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attr {
    // family-level
    Kind,
    Hukou,
    Widowed,
    ChildStatus,
    ChildDiedOn,
    ChildGrade,
    ChildCertifiedOn,
    Income,
    PriorIncome,
    RebirthOn,
    // parent-level
    Role,
    Age,
    BirthDate,
    Alive,
    SelfCare,
    Sanwu,
    Care,
    NursingHomeInDistrict,
    IllnessOn,
    OutOfPocket,
    FertilitySince,
    FertilityDays,
    WantsHomeServices,
}

/// The type of a fact, which decides the operators and right-hand sides it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FactType {
    /// Full years (周岁).
    Age,
    /// Integer yuan.
    Money,
    /// Whole days.
    Days,
    /// Disability grade (1 = most severe).
    Grade,
    Bool,
    Date,
    /// One of a fixed set of codes: (code, Chinese label).
    Enum(&'static [(&'static str, &'static str)]),
    /// Free text (district slug).
    Text,
}

pub(crate) const KIND_VALUES: &[(&str, &str)] = &[
    ("bereaved", "失独家庭"),
    ("disabled", "独生子女三级以上残疾家庭"),
];
pub(crate) const CHILD_STATUS_VALUES: &[(&str, &str)] =
    &[("deceased", "已死亡"), ("disabled", "残疾")];
pub(crate) const ROLE_VALUES: &[(&str, &str)] = &[("mother", "母亲"), ("father", "父亲")];
pub(crate) const SELF_CARE_VALUES: &[(&str, &str)] = &[
    ("full", "完全自理"),
    ("partial", "半自理"),
    ("none", "不能自理"),
];
pub(crate) const CARE_VALUES: &[(&str, &str)] =
    &[("home", "居家养老"), ("nursing_home", "入住养老机构")];

/// Known district slugs and their Chinese names (for reasons only; any slug is accepted).
pub(crate) fn district_label(slug: &str) -> &str {
    match slug {
        "zhangdian" => "张店区",
        "xicheng" => "西城区",
        other => other,
    }
}

/// Wording of one fact.
pub(crate) struct FactInfo {
    pub name: &'static str,
    pub attr: Attr,
    pub ty: FactType,
    /// Noun phrase, e.g. "家庭月人均收入".
    pub label: &'static str,
    /// For Bool facts: (phrase when true, phrase when false). For Date facts: (sentence with `{d}` for the
    /// date, phrase when unset).
    pub phrases: (&'static str, &'static str),
}

const fn fi(
    name: &'static str,
    attr: Attr,
    ty: FactType,
    label: &'static str,
    phrases: (&'static str, &'static str),
) -> FactInfo {
    FactInfo {
        name,
        attr,
        ty,
        label,
        phrases,
    }
}

pub(crate) const FAMILY_FACTS: &[FactInfo] = &[
    fi(
        "kind",
        Attr::Kind,
        FactType::Enum(KIND_VALUES),
        "家庭类别",
        ("", ""),
    ),
    fi(
        "hukou_district",
        Attr::Hukou,
        FactType::Text,
        "户籍所在区",
        ("", ""),
    ),
    fi(
        "family.widowed",
        Attr::Widowed,
        FactType::Bool,
        "丧偶",
        (
            "夫妻一方已去世（丧偶）",
            "夫妻双方均健在或情况不明，不属丧偶",
        ),
    ),
    fi(
        "child.status",
        Attr::ChildStatus,
        FactType::Enum(CHILD_STATUS_VALUES),
        "独生子女状况",
        ("", ""),
    ),
    fi(
        "child.died_on",
        Attr::ChildDiedOn,
        FactType::Date,
        "独生子女死亡日期",
        ("独生子女于{d}死亡", "无独生子女死亡日期"),
    ),
    fi(
        "child.disability_grade",
        Attr::ChildGrade,
        FactType::Grade,
        "独生子女残疾等级",
        ("", ""),
    ),
    fi(
        "child.certified_on",
        Attr::ChildCertifiedOn,
        FactType::Date,
        "独生子女残疾鉴定日期",
        ("独生子女于{d}经鉴定为残疾", "无独生子女残疾鉴定日期"),
    ),
    fi(
        "household.monthly_income_per_capita_cny",
        Attr::Income,
        FactType::Money,
        "家庭月人均收入",
        ("", ""),
    ),
    fi(
        "household.prior_year_total_income_cny",
        Attr::PriorIncome,
        FactType::Money,
        "上年度家庭总收入",
        ("", ""),
    ),
    fi(
        "rebirth.assisted_reproduction_birth_on",
        Attr::RebirthOn,
        FactType::Date,
        "辅助生殖再生育日期",
        (
            "家庭于{d}通过试管婴儿等辅助生殖手段成功再生育",
            "未通过辅助生殖手段再生育",
        ),
    ),
];

/// Parent facts, named after a `mother.`, `father.` or `person.` prefix.
pub(crate) const PARENT_FACTS: &[FactInfo] = &[
    fi(
        "role",
        Attr::Role,
        FactType::Enum(ROLE_VALUES),
        "身份",
        ("", ""),
    ),
    fi("age", Attr::Age, FactType::Age, "年龄", ("", "")),
    fi(
        "birth_date",
        Attr::BirthDate,
        FactType::Date,
        "出生日期",
        ("于{d}出生", "无出生日期"),
    ),
    fi(
        "alive",
        Attr::Alive,
        FactType::Bool,
        "健在",
        ("健在", "已去世"),
    ),
    fi(
        "self_care",
        Attr::SelfCare,
        FactType::Enum(SELF_CARE_VALUES),
        "生活自理能力",
        ("", ""),
    ),
    fi(
        "sanwu",
        Attr::Sanwu,
        FactType::Bool,
        "“三无”人员",
        (
            "经认定为“三无”（无工作、无收入、无劳动能力）人员",
            "不是“三无”人员",
        ),
    ),
    fi(
        "care",
        Attr::Care,
        FactType::Enum(CARE_VALUES),
        "养老方式",
        ("", ""),
    ),
    fi(
        "nursing_home_in_district",
        Attr::NursingHomeInDistrict,
        FactType::Bool,
        "养老机构在本区",
        ("入住的养老机构在本区", "未入住本区养老机构"),
    ),
    fi(
        "major_illness_hospitalized_on",
        Attr::IllnessOn,
        FactType::Date,
        "重大疾病住院日期",
        ("于{d}因患重大疾病住院治疗", "无重大疾病住院记录"),
    ),
    fi(
        "out_of_pocket_medical_cny",
        Attr::OutOfPocket,
        FactType::Money,
        "个人实际支付医疗费用",
        ("", ""),
    ),
    fi(
        "fertility_treatment_since",
        Attr::FertilitySince,
        FactType::Date,
        "再生育治疗开始日期",
        ("于{d}开始再生育治疗", "未在进行再生育治疗"),
    ),
    fi(
        "fertility_treatment_days",
        Attr::FertilityDays,
        FactType::Days,
        "再生育治疗时长",
        ("", "未在进行再生育治疗"),
    ),
    fi(
        "wants_home_services",
        Attr::WantsHomeServices,
        FactType::Bool,
        "申请居家养老服务",
        ("已申请居家养老家政服务", "未申请居家养老家政服务"),
    ),
];

pub(crate) fn info(attr: Attr) -> &'static FactInfo {
    let found = FAMILY_FACTS
        .iter()
        .chain(PARENT_FACTS.iter())
        .find(|f| f.attr == attr);
    match found {
        Some(f) => f,
        // Every Attr is in one of the tables (checked by a unit test).
        None => &FAMILY_FACTS[0],
    }
}

/// Resolves a fact name such as `mother.age` into its scope and descriptor.
pub(crate) fn lookup(name: &str) -> Option<(Scope, &'static FactInfo)> {
    for (prefix, scope) in [
        ("mother.", Scope::Mother),
        ("father.", Scope::Father),
        ("person.", Scope::Person),
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return PARENT_FACTS
                .iter()
                .find(|f| f.name == rest)
                .map(|f| (scope, f));
        }
    }
    FAMILY_FACTS
        .iter()
        .find(|f| f.name == name)
        .map(|f| (Scope::Family, f))
}

/// Every fact name, for error messages.
pub(crate) fn all_names() -> String {
    let mut names: Vec<String> = FAMILY_FACTS.iter().map(|f| f.name.to_string()).collect();
    for f in PARENT_FACTS {
        names.push(format!("{{mother,father,person}}.{}", f.name));
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attr_has_info() {
        for f in FAMILY_FACTS.iter().chain(PARENT_FACTS.iter()) {
            assert_eq!(info(f.attr).name, f.name);
        }
        assert!(lookup("person.age").is_some());
        assert!(lookup("mother.fertility_treatment_days").is_some());
        assert!(lookup("age").is_none());
        assert!(lookup("household.nonsense").is_none());
    }
}
