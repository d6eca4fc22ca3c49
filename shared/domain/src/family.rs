//! A family on the register: its input shape, its validation, and its masked form for history diffs.

use chrono::{Datelike, NaiveDate};
use nuanxin_ids::OrgUnitId;
use nuanxin_privacy::{mask_name, AccountNumber, Phone, ResidentId, ResidentIdError};
use serde::{Deserialize, Serialize};

use crate::error::ValidationErrors;
use crate::hukou::DistrictNames;
use crate::org::{OrgDirectory, OrgKind};

/// The register's facts vocabularies are the policy engine's own: a family's kind (失独 or 独生子女三级以上残疾),
/// a parent's role, self-care assessment (自理 / 半自理 / 不能自理) and care arrangement.
pub use nuanxin_policy::{Care, Kind as FamilyKind, Role as ParentRole, SelfCare};

nuanxin_text_enum::text_enum! {
    /// Who a contact person (帮扶联系人) is, per 张卫字〔2020〕134号 三（一）.
    pub enum ContactCategory {
        /// 镇（街道）干部
        StreetCadre = "street_cadre" / "街道干部",
        /// 村（居、单位）干部
        VillageCadre = "village_cadre" / "村（居）干部",
        FamilyDoctor = "family_doctor" / "家庭医生",
        /// 社区专职网格员
        GridWorker = "grid_worker" / "网格员",
        /// 计生协会员
        AssociationMember = "association_member" / "计生协会会员",
        Volunteer = "volunteer" / "社区志愿者",
    }
}

nuanxin_text_enum::text_enum! {
    /// Whether a family is on the register.
    pub enum FamilyStatus {
        Active = "active" / "在册",
        /// Taken off the register (see [`ExitReason`]); its history and entries stay.
        Exited = "exited" / "已退出",
    }
}

nuanxin_text_enum::text_enum! {
    /// Why a family leaves the register (退出).
    pub enum ExitReason {
        Rebirth = "rebirth" / "再生育",
        Adoption = "adoption" / "收养子女",
        Deceased = "deceased" / "夫妻双方均已亡故",
        MovedAway = "moved_away" / "户籍迁出",
        Other = "other" / "其他",
    }
}

/// Taking a family off the register: why, and from when (today when absent).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exit {
    pub reason: ExitReason,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub exited_on: Option<NaiveDate>,
}

/// The child's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Child {
    Deceased {
        died_on: NaiveDate,
    },
    /// Grade 1 is the most severe.
    Disabled {
        disability_grade: i16,
        certified_on: NaiveDate,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

/// Household income, integer yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Household {
    pub monthly_income_per_capita_cny: i64,
    pub prior_year_total_income_cny: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rebirth {
    #[serde(default)]
    pub assisted_reproduction_birth_on: Option<NaiveDate>,
}

fn yes() -> bool {
    true
}

/// A parent as submitted (API body or spreadsheet row).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentInput {
    pub role: ParentRole,
    pub name: String,
    pub resident_id: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// Taken from the resident ID when absent; must agree with it when given.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default = "yes")]
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
    #[serde(default)]
    pub fertility_treatment_since: Option<NaiveDate>,
    #[serde(default)]
    pub wants_home_services: bool,
    /// The bank (开户银行) and account of the parent's own account, where cash benefits are paid.
    #[serde(default)]
    pub bank_name: Option<String>,
    #[serde(default)]
    pub bank_account: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    pub category: ContactCategory,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A family as submitted for creation or replacement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyInput {
    pub kind: FamilyKind,
    /// Slug of the district of household registration (户籍).
    pub hukou_district: String,
    /// Street (街道/镇) code or name.
    pub street: String,
    /// Community (社区/村) code or name.
    pub community: String,
    pub address: String,
    #[serde(default)]
    pub coordinates: Option<Coordinates>,
    pub child: Child,
    pub parents: Vec<ParentInput>,
    pub household: Household,
    #[serde(default)]
    pub rebirth: Rebirth,
    pub contacts: Vec<ContactInput>,
}

/// A validated parent.
#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    pub role: ParentRole,
    pub name: String,
    pub resident_id: ResidentId,
    pub phone: Option<Phone>,
    pub birth_date: NaiveDate,
    pub alive: bool,
    pub self_care: SelfCare,
    pub sanwu: bool,
    pub care: Care,
    pub nursing_home_in_district: bool,
    pub major_illness_hospitalized_on: Option<NaiveDate>,
    pub out_of_pocket_medical_cny: i64,
    pub fertility_treatment_since: Option<NaiveDate>,
    pub wants_home_services: bool,
    pub bank_account: Option<BankAccount>,
}

/// A parent's own bank account, where the disbursing unit pays their cash benefits.
#[derive(Debug, Clone, PartialEq)]
pub struct BankAccount {
    /// 开户银行, e.g. 中国工商银行北京西城支行.
    pub bank: String,
    pub number: AccountNumber,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub name: String,
    pub category: ContactCategory,
    pub phone: Option<Phone>,
}

/// A validated family: every field checked, streets and communities resolved to the district's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub kind: FamilyKind,
    pub hukou_district: String,
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    pub address: String,
    pub coordinates: Option<Coordinates>,
    pub child: Child,
    pub parents: Vec<Parent>,
    pub household: Household,
    pub rebirth: Rebirth,
    pub contacts: Vec<Contact>,
}

/// Contact persons per family: 3–5 (张卫字〔2020〕134号 三（一）).
pub const CONTACTS_MIN: usize = 3;
pub const CONTACTS_MAX: usize = 5;

/// Full years from `birth` to `on` (年满N周岁 = on or after the N-th birthday).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

fn resident_id_error_code(e: &ResidentIdError) -> &'static str {
    match e {
        ResidentIdError::WrongCheckDigit => "invalid_check_digit",
        ResidentIdError::BadBirthDate => "invalid_birth_date",
        ResidentIdError::WrongLength(_) => "invalid_length",
        ResidentIdError::NonDigit(_) | ResidentIdError::BadCheckChar => "invalid_character",
        _ => "invalid_resident_id",
    }
}

/// The earliest date any fact of the register may carry (the program began in the 2000s; a child's
/// death or a parent's treatment decades earlier is still recorded, a year 1 is a typing error).
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// The largest amount of money (CNY) any field accepts: 100 million, far above any real income or bill,
/// and small enough that sums over a register can never overflow.
pub const MONEY_MAX_CNY: i64 = 100_000_000;

/// A date on or after [`EARLIEST_DATE`] and not after `today`.
pub fn check_date(
    errors: &mut ValidationErrors,
    field: &str,
    date: Option<NaiveDate>,
    today: NaiveDate,
) {
    match date {
        Some(d) if d > today => errors.push(field, "in_future", format!("日期{d}晚于今天{today}")),
        Some(d) if d < EARLIEST_DATE => errors.push(
            field,
            "out_of_range",
            format!("日期不能早于{EARLIEST_DATE}"),
        ),
        _ => {}
    }
}

/// An amount of money from 0 to [`MONEY_MAX_CNY`].
pub fn check_money(errors: &mut ValidationErrors, field: &str, amount: i64, what: &str) {
    if amount < 0 {
        errors.push(field, "negative", format!("{what}不能为负数"));
    } else if amount > MONEY_MAX_CNY {
        errors.push(
            field,
            "out_of_range",
            format!("{what}不能超过{MONEY_MAX_CNY}元"),
        );
    }
}

/// A required text of at most `max_chars` characters, without control characters.
pub fn check_text(errors: &mut ValidationErrors, field: &str, value: &str, max_chars: usize) {
    let n = value.trim().chars().count();
    if n == 0 {
        errors.push(field, "required", "不能为空");
    } else if n > max_chars {
        errors.push(field, "too_long", format!("不能超过{max_chars}个字"));
    } else if value.chars().any(char::is_control) {
        errors.push(field, "invalid_text", "不能含有控制字符");
    }
}

/// An optional phone number, parsed; a bad one is an error on `field`.
pub fn parse_phone(
    errors: &mut ValidationErrors,
    field: &str,
    phone: Option<&str>,
) -> Option<Phone> {
    let raw = phone.map(str::trim).filter(|p| !p.is_empty())?;
    match Phone::parse(raw) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(field, "invalid_phone", e.reason_zh());
            None
        }
    }
}

/// A bank and an account number, both or neither.
fn parse_bank_account(
    errors: &mut ValidationErrors,
    field: &dyn Fn(&str) -> String,
    p: &ParentInput,
) -> Option<BankAccount> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    match (given(&p.bank_name), given(&p.bank_account)) {
        (None, None) => None,
        (None, Some(_)) => {
            errors.push(
                field("bank_name"),
                "required",
                "填写银行账号时须填写开户银行",
            );
            None
        }
        (Some(_), None) => {
            errors.push(
                field("bank_account"),
                "required",
                "填写开户银行时须填写银行账号",
            );
            None
        }
        (Some(bank), Some(number)) => {
            check_text(errors, &field("bank_name"), &bank, 60);
            match AccountNumber::parse(&number) {
                Ok(number) => Some(BankAccount { bank, number }),
                Err(e) => {
                    errors.push(field("bank_account"), "invalid_account", e.reason_zh());
                    None
                }
            }
        }
    }
}

impl FamilyInput {
    /// Checks every field against the district's org structure on `today` (the district's local date),
    /// collecting all problems rather than stopping at the first.
    pub fn validate(
        self,
        orgs: &OrgDirectory,
        districts: &DistrictNames,
        today: NaiveDate,
    ) -> Result<Family, ValidationErrors> {
        let mut errors = ValidationErrors::default();

        let hukou_district = districts.resolve(&self.hukou_district);
        if hukou_district.is_none() {
            errors.push(
                "hukou_district",
                "unknown_district",
                "户籍所在区应为区的代码（如 xicheng）或中文名称（如 西城区）",
            );
        }
        check_text(&mut errors, "address", &self.address, 200);
        let street = orgs.by_code_or_name(self.street.trim(), OrgKind::Street);
        if street.is_none() {
            errors.push(
                "street",
                "unknown_street",
                format!("本区没有街道（镇）“{}”", self.street),
            );
        }
        let community = orgs.by_code_or_name(self.community.trim(), OrgKind::Community);
        match (street, community) {
            (_, None) => errors.push(
                "community",
                "unknown_community",
                format!("本区没有社区（村）“{}”", self.community),
            ),
            (Some(s), Some(c)) if c.parent_id != Some(s.id) => errors.push(
                "community",
                "not_in_street",
                format!("社区“{}”不属于“{}”", c.name, s.name),
            ),
            _ => {}
        }
        if let Some(c) = self.coordinates {
            if !(-90.0..=90.0).contains(&c.lat) || !c.lat.is_finite() {
                errors.push("coordinates.lat", "out_of_range", "纬度应在-90到90之间");
            }
            if !(-180.0..=180.0).contains(&c.lon) || !c.lon.is_finite() {
                errors.push("coordinates.lon", "out_of_range", "经度应在-180到180之间");
            }
        }

        match (self.kind, self.child) {
            (FamilyKind::Bereaved, Child::Deceased { died_on }) => {
                check_date(&mut errors, "child.died_on", Some(died_on), today)
            }
            (
                FamilyKind::Disabled,
                Child::Disabled {
                    disability_grade,
                    certified_on,
                },
            ) => {
                if !(1..=3).contains(&disability_grade) {
                    errors.push(
                        "child.disability_grade",
                        "out_of_range",
                        "残疾等级应为1至3级（一级最重）",
                    );
                }
                check_date(&mut errors, "child.certified_on", Some(certified_on), today);
            }
            _ => errors.push(
                "child.status",
                "kind_mismatch",
                "失独家庭的子女状态应为死亡，残疾家庭的应为残疾",
            ),
        }

        check_money(
            &mut errors,
            "household.monthly_income_per_capita_cny",
            self.household.monthly_income_per_capita_cny,
            "收入",
        );
        check_money(
            &mut errors,
            "household.prior_year_total_income_cny",
            self.household.prior_year_total_income_cny,
            "收入",
        );
        check_date(
            &mut errors,
            "rebirth.assisted_reproduction_birth_on",
            self.rebirth.assisted_reproduction_birth_on,
            today,
        );

        let parents = self.validate_parents(&mut errors, today);
        let contacts = self.validate_contacts(&mut errors);

        let (Some(street), Some(community)) = (street, community) else {
            return Err(errors);
        };
        errors.into_result(Family {
            kind: self.kind,
            hukou_district: hukou_district.unwrap_or_default(),
            street_id: street.id,
            community_id: community.id,
            address: self.address.trim().to_owned(),
            coordinates: self.coordinates,
            child: self.child,
            parents,
            household: self.household,
            rebirth: self.rebirth,
            contacts,
        })
    }

    fn validate_parents(&self, errors: &mut ValidationErrors, today: NaiveDate) -> Vec<Parent> {
        if self.parents.is_empty() || self.parents.len() > 2 {
            errors.push("parents", "count", "应填写1至2位父母");
        }
        if self.parents.len() == 2 && self.parents[0].role == self.parents[1].role {
            errors.push("parents[1].role", "duplicate", "父亲、母亲各只能填写一位");
        }
        let mut parents = Vec::new();
        for (i, p) in self.parents.iter().enumerate() {
            let field = |name: &str| format!("parents[{i}].{name}");
            check_text(errors, &field("name"), &p.name, 50);
            let resident_id = match ResidentId::parse(p.resident_id.trim()) {
                Ok(id) => Some(id),
                Err(e) => {
                    errors.push(
                        field("resident_id"),
                        resident_id_error_code(&e),
                        e.reason_zh(),
                    );
                    None
                }
            };
            if let Some(id) = &resident_id {
                if id.is_female() != (p.role == ParentRole::Mother) {
                    errors.push(
                        field("resident_id"),
                        "sex_mismatch",
                        "身份证号的性别与父母角色不符",
                    );
                }
                if let Some(b) = p.birth_date {
                    if b != id.birth_date() {
                        errors.push(field("birth_date"), "mismatch", "出生日期与身份证号不符");
                    }
                }
                if id.birth_date() > today {
                    errors.push(field("birth_date"), "in_future", "出生日期晚于今天");
                }
            }
            let phone = parse_phone(errors, &field("phone"), p.phone.as_deref());
            let bank_account = parse_bank_account(errors, &field, p);
            check_date(
                errors,
                &field("major_illness_hospitalized_on"),
                p.major_illness_hospitalized_on,
                today,
            );
            check_date(
                errors,
                &field("fertility_treatment_since"),
                p.fertility_treatment_since,
                today,
            );
            check_money(
                errors,
                &field("out_of_pocket_medical_cny"),
                p.out_of_pocket_medical_cny,
                "医疗费用",
            );
            if let Some(resident_id) = resident_id {
                parents.push(Parent {
                    role: p.role,
                    name: p.name.trim().to_owned(),
                    birth_date: resident_id.birth_date(),
                    resident_id,
                    phone,
                    alive: p.alive,
                    self_care: p.self_care,
                    sanwu: p.sanwu,
                    care: p.care,
                    nursing_home_in_district: p.nursing_home_in_district,
                    major_illness_hospitalized_on: p.major_illness_hospitalized_on,
                    out_of_pocket_medical_cny: p.out_of_pocket_medical_cny,
                    fertility_treatment_since: p.fertility_treatment_since,
                    wants_home_services: p.wants_home_services,
                    bank_account,
                });
            }
        }
        if self.parents.len() == 2
            && self
                .parents
                .iter()
                .filter(|p| p.resident_id.trim() == self.parents[0].resident_id.trim())
                .count()
                == 2
        {
            errors.push(
                "parents[1].resident_id",
                "duplicate",
                "两位父母的身份证号相同",
            );
        }
        parents
    }

    fn validate_contacts(&self, errors: &mut ValidationErrors) -> Vec<Contact> {
        if !(CONTACTS_MIN..=CONTACTS_MAX).contains(&self.contacts.len()) {
            errors.push(
                "contacts",
                "count",
                format!(
                    "每户应落实{CONTACTS_MIN}至{CONTACTS_MAX}名帮扶联系人，现有{}名",
                    self.contacts.len()
                ),
            );
        }
        self.contacts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                check_text(errors, &format!("contacts[{i}].name"), &c.name, 50);
                Contact {
                    name: c.name.trim().to_owned(),
                    category: c.category,
                    phone: parse_phone(errors, &format!("contacts[{i}].phone"), c.phone.as_deref()),
                }
            })
            .collect()
    }
}

impl Family {
    pub fn parent(&self, role: ParentRole) -> Option<&Parent> {
        self.parents.iter().find(|p| p.role == role)
    }

    /// The family with personal identifiers masked, as JSON: what the change history records.
    pub fn to_masked_json(&self, orgs: &OrgDirectory) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind,
            "hukou_district": self.hukou_district,
            "street": orgs.name_of(self.street_id),
            "community": orgs.name_of(self.community_id),
            "address": self.address,
            "coordinates": self.coordinates,
            "child": self.child,
            "household": self.household,
            "rebirth": self.rebirth,
            "parents": self.parents.iter().map(|p| {
                // The policy facts plus the identifiers, masked. Not the birth date: it is the digits the
                // masked ID hides (and derives from the ID, so a change shows as the ID's).
                let mut parent = crate::facts::parent_facts(p);
                if let Some(fields) = parent.as_object_mut() {
                    fields.remove("birth_date");
                    fields.insert("name".into(), mask_name(&p.name).into());
                    fields.insert("resident_id".into(), p.resident_id.masked().into());
                    fields.insert("phone".into(), p.phone.as_ref().map(Phone::masked).into());
                    if let Some(account) = &p.bank_account {
                        fields.insert("bank_name".into(), account.bank.clone().into());
                        fields.insert("bank_account".into(), account.number.masked().into());
                    }
                }
                parent
            }).collect::<Vec<_>>(),
            "contacts": self.contacts.iter().map(|c| serde_json::json!({
                "name": c.name,
                "category": c.category,
                "phone": c.phone.as_ref().map(Phone::masked),
            })).collect::<Vec<_>>(),
        })
    }
}

/// One changed field between two versions: `path` into the masked JSON, the old and new values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

/// The leaves that differ between two JSON documents.
pub fn diff(before: &serde_json::Value, after: &serde_json::Value) -> Vec<FieldChange> {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<FieldChange>) {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(
                        &p,
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                for i in 0..x.len().max(y.len()) {
                    walk(
                        &format!("{path}[{i}]"),
                        x.get(i).unwrap_or(&Value::Null),
                        y.get(i).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            _ if a != b => out.push(FieldChange {
                field: path.to_owned(),
                from: a.clone(),
                to: b.clone(),
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}
