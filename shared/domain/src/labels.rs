//! The Chinese label of every code users can meet, shared by the console's pages and the service's
//! mail, so a code is never shown in English and never translated twice. A closed vocabulary declares
//! its words with its values (`text_enum!`, `label()`, `Labelled::choices`); what is here is the
//! lookup of a code held as text (a release's records, a rule's filter) and the tables of codes that
//! are not vocabularies yet (history actions, periods, persons, follow-up changes). A role's title
//! is `Role::title`, beside the role.
//! Program titles and parameter names are not here: they come from each district's policy.

use crate::benefit::{EntryStatus, ExitCause};
use crate::family::{Care, ContactCategory, FamilyKind, SelfCare};

/// A vocabulary: codes and their labels.
type Table = &'static [(&'static str, &'static str)];

/// Looks `code` up in `table`; an unknown code is shown as "未知" rather than leaking the raw code.
fn lookup(table: Table, code: &str) -> &'static str {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("未知", |(_, label)| label)
}

const HISTORY_ACTIONS: Table = &[
    ("create", "新建登记"),
    ("update", "修改信息"),
    ("exit", "退出登记"),
    ("family.create", "新建登记"),
    ("family.update", "修改信息"),
    ("family.exit", "退出登记"),
    ("family.import", "批量导入"),
    ("import", "批量导入"),
];
const PERIODS: Table = &[
    ("once", "一次性"),
    ("year", "每年"),
    ("month", "每月"),
    ("event", "按事项"),
];
const PERSONS: Table = &[
    ("mother", "母亲"),
    ("father", "父亲"),
    ("household", "全户"),
    ("", "全户"),
];
const FOLLOW_UP_CHANGES: Table = &[
    ("gained", "新符合"),
    ("lost", "不再符合"),
    ("amount_changed", "金额变化"),
    ("volunteer_concern", "志愿者反映的问题"),
    ("visit_need", "走访中提出的需求"),
    ("contact_problem", "联系中发现的问题"),
    ("not_visited", "节前尚未走访"),
    ("no_contact", "长期未联系"),
    ("few_contacts", "帮扶联系人不足3人"),
];
const FOLLOW_UP_STATUSES: Table = &[("open", "待跟进"), ("done", "已跟进")];
/// The fields of a family record, by the last segment of their path in a change.
const FIELDS: Table = &[
    ("kind", "家庭类别"),
    ("status", "登记状态"),
    ("exit_reason", "退出原因"),
    ("exited_on", "退出日期"),
    ("exit_note", "退出说明"),
    ("street", "街道"),
    ("street_id", "街道"),
    ("community", "社区"),
    ("community_id", "社区"),
    ("address", "住址"),
    ("hukou_district", "户籍所在区"),
    ("coordinates", "位置"),
    ("lat", "纬度"),
    ("lon", "经度"),
    ("child", "子女情况"),
    ("died_on", "子女死亡日期"),
    ("disability_grade", "子女残疾等级"),
    ("certified_on", "残疾认定日期"),
    ("parents", "父母"),
    ("role", "身份"),
    ("name", "姓名"),
    ("resident_id", "身份证号"),
    ("phone", "电话"),
    ("birth_date", "出生日期"),
    ("alive", "是否在世"),
    ("died", "死亡日期"),
    ("self_care", "生活自理能力"),
    ("sanwu", "三无人员"),
    ("care", "照护方式"),
    ("nursing_home_in_district", "入住区内养老机构"),
    ("major_illness_hospitalized_on", "大病住院日期"),
    ("out_of_pocket_medical_cny", "自付医疗费（元）"),
    ("fertility_treatment_since", "辅助生育治疗起始"),
    ("wants_home_services", "需要居家服务"),
    ("household", "家庭收入"),
    ("monthly_income_per_capita_cny", "家庭月人均收入（元）"),
    ("prior_year_total_income_cny", "上年家庭总收入（元）"),
    ("rebirth", "再生育情况"),
    ("assisted_reproduction_birth_on", "辅助生育分娩日期"),
    ("contacts", "帮扶联系人"),
    ("category", "联系人类别"),
    // A benefit entry's steps.
    ("amount_cny", "金额（元）"),
    ("note", "说明"),
    ("payment_reference", "付款凭证号"),
];

/// Who pays or delivers a program (the policies' `payer` codes).
const PAYERS: Table = &[
    ("community_health_centers", "社区卫生服务中心"),
    ("district_civil_affairs", "区民政局"),
    ("district_culture_tourism", "区文化和旅游局"),
    ("district_family_planning_association", "区计划生育协会"),
    ("district_finance", "区财政局"),
    ("district_health_bureau", "区卫生健康局"),
    ("district_health_commission", "区卫生健康委员会"),
    ("district_housing_security_center", "区住房保障中心"),
    ("district_justice", "区司法局"),
    (
        "district_population_family_planning_commission",
        "区人口计生委",
    ),
    ("district_social_work_office", "区社会工作办公室"),
    ("district_youth_league", "团区委"),
    ("medical_institutions", "医疗机构"),
    ("national_platform", "国家平台"),
    ("nursing_homes", "养老机构"),
    ("street_office", "街道办事处"),
    ("zibo_funeral_home", "淄博市殡仪馆"),
];

/// 失独家庭 / 独生子女伤残家庭.
/// The background jobs, as the platform operator's page names them.
const JOBS: Table = &[
    ("seal_audit", "审计日志封存"),
    ("send_mail", "邮件发送"),
    ("newly_eligible", "每日政策核查"),
    ("purge_sessions", "过期登录清理"),
    ("reload_districts", "辖区配置更新"),
    ("sharing_expiry", "数据共享到期处理"),
    ("checkins_sweep", "每日报平安核查"),
    ("checkins_watchdog", "报平安核查监测"),
    ("match_tasks", "服务任务匹配"),
    ("propose_tasks", "服务任务建议"),
    ("task_deadlines", "服务任务期限"),
    ("task_reminders", "服务任务提醒"),
    ("task_mail", "服务任务邮件"),
    ("visit_flags", "走访提示"),
];

pub fn job(name: &str) -> &'static str {
    lookup(JOBS, name)
}

pub fn family_kind(code: &str) -> &'static str {
    FamilyKind::parse(code).map_or("未知", FamilyKind::label)
}

/// What a change in a family's history did, e.g. 修改信息.
pub fn history_action(code: &str) -> &'static str {
    lookup(HISTORY_ACTIONS, code)
}

/// The name of a changed field from its path in a change record, e.g. `parents[1].phone` → 父母2 电话.
pub fn field(path: &str) -> String {
    let mut parts = Vec::new();
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        let label = lookup(FIELDS, name);
        parts.push(match index {
            Some(i) => format!("{label}{}", i + 1),
            None => label.to_owned(),
        });
    }
    if parts.is_empty() {
        "全部信息".to_owned()
    } else {
        parts.join(" ")
    }
}

/// The field's label when every part of its path has one (None: say the message alone).
pub fn known_field(path: &str) -> Option<String> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .all(|segment| {
            let name = segment.split_once('[').map_or(segment, |(name, _)| name);
            FIELDS.iter().any(|(code, _)| *code == name)
        })
        .then(|| field(path))
}

/// Who pays or delivers, e.g. 区民政局; alternatives (`a/b`) are joined with “或”.
pub fn payer(code: &str) -> String {
    code.split('/')
        .map(|c| lookup(PAYERS, c.trim()))
        .collect::<Vec<_>>()
        .join("或")
}

/// How often a program pays, e.g. 每月.
pub fn period(code: &str) -> &'static str {
    lookup(PERIODS, code)
}

/// Whose entitlement: 母亲, 父亲, or the household (`household`, or the empty code) 全户.
pub fn person(code: &str) -> &'static str {
    lookup(PERSONS, code)
}

/// A follow-up's kind of change: 新符合 / 不再符合.
pub fn follow_up_change(code: &str) -> &'static str {
    lookup(FOLLOW_UP_CHANGES, code)
}

/// 待跟进 / 已跟进.
pub fn follow_up_status(code: &str) -> &'static str {
    lookup(FOLLOW_UP_STATUSES, code)
}

/// A ledger entry's status, e.g. 待核实.
pub fn entry_status(code: &str) -> &'static str {
    EntryStatus::parse(code).map_or("未知", EntryStatus::label)
}

/// Why a beneficiary left a cycle, e.g. 户籍迁出.
pub fn exit_cause(code: &str) -> &'static str {
    ExitCause::parse(code).map_or("未知", ExitCause::label)
}

/// 自理 / 半自理 / 不能自理.
pub fn self_care(code: &str) -> &'static str {
    SelfCare::parse(code).map_or("未知", SelfCare::label)
}

/// 居家 / 入住养老机构.
pub fn care(code: &str) -> &'static str {
    Care::parse(code).map_or("未知", Care::label)
}

/// The kind of a family's contact person, e.g. 家庭医生.
pub fn contact_category(code: &str) -> &'static str {
    ContactCategory::parse(code).map_or("未知", ContactCategory::label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nuanxin_text_enum::Labelled;

    const TABLES: &[Table] = &[
        HISTORY_ACTIONS,
        PERIODS,
        PERSONS,
        FOLLOW_UP_CHANGES,
        FOLLOW_UP_STATUSES,
        FIELDS,
        PAYERS,
    ];

    fn is_chinese(label: &str) -> bool {
        !label.is_empty() && !label.chars().any(|c| c.is_ascii_alphabetic())
    }

    #[test]
    fn every_code_has_a_chinese_label_and_codes_are_unique() {
        for table in TABLES {
            for (i, (code, label)) in table.iter().enumerate() {
                assert!(is_chinese(label), "{code} → {label}");
                assert_eq!(lookup(table, code), *label);
                assert!(table[..i].iter().all(|(c, _)| c != code), "{code} twice");
            }
        }
    }

    #[test]
    fn payers_and_their_alternatives_read_as_chinese() {
        assert_eq!(payer("district_civil_affairs"), "区民政局");
        assert_eq!(
            payer("street_office/district_finance"),
            "街道办事处或区财政局"
        );
    }

    /// Every payer code the districts' policies name has its label.
    #[test]
    fn every_payer_of_the_tenants_policies_has_a_label() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenants");
        let mut seen = 0;
        for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path().join("policy.yaml")) else {
                continue;
            };
            for line in text.lines() {
                if let Some(rest) = line.trim_start().strip_prefix("payer: ") {
                    let code = rest.split('#').next().unwrap_or("").trim();
                    assert_ne!(lookup(PAYERS, code), "未知", "payer {code}");
                    seen += 1;
                }
            }
        }
        assert!(seen > 0, "no policy read from {root}");
    }

    /// The codes the schema lets a follow-up have (the last migration that sets the check) all read as
    /// Chinese on the console and in mail.
    #[test]
    fn every_follow_up_change_the_schema_allows_has_a_label() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        let mut dirs: Vec<_> = std::fs::read_dir(root)
            .expect("migrations")
            .flatten()
            .map(|e| e.path())
            .collect();
        dirs.sort();
        let check = dirs
            .iter()
            .rev()
            .filter_map(|d| std::fs::read_to_string(d.join("up.sql")).ok())
            .filter_map(|sql| {
                let at = sql.rfind("follow_ups_change_check CHECK (change IN (")?;
                let rest = &sql[at..];
                Some(rest[rest.find("IN (")? + 4..rest.find(')')?].to_owned())
            })
            .next()
            .expect("a migration sets the follow-up changes");
        let codes: Vec<&str> = check
            .split(',')
            .map(|c| c.trim().trim_matches('\''))
            .filter(|c| !c.is_empty())
            .collect();
        assert!(codes.len() >= 4, "{codes:?}");
        for code in codes {
            assert_ne!(follow_up_change(code), "未知", "{code}");
        }
    }

    #[test]
    fn change_paths_read_as_chinese() {
        assert_eq!(field("parents[1].phone"), "父母2 电话");
        assert_eq!(
            field("household.monthly_income_per_capita_cny"),
            "家庭收入 家庭月人均收入（元）"
        );
        assert_eq!(field(""), "全部信息");
        assert_eq!(field("secret_field"), "未知");
    }

    #[test]
    fn an_unknown_code_is_never_echoed() {
        assert_eq!(family_kind("adoption_assistance"), "未知");
        assert_eq!(entry_status("nonsense"), "未知");
        assert_eq!(person("child"), "未知");
    }

    #[test]
    fn enum_backed_labels_cover_every_variant() {
        for s in [
            "proposed", "verified", "rejected", "approved", "paid", "exited",
        ] {
            assert!(is_chinese(entry_status(s)), "{s}");
        }
        for c in ["full", "partial", "none"] {
            assert!(is_chinese(self_care(c)));
        }
        for c in ["home", "nursing_home"] {
            assert!(is_chinese(care(c)));
        }
        for c in [
            "street_cadre",
            "village_cadre",
            "family_doctor",
            "grid_worker",
            "association_member",
            "volunteer",
        ] {
            assert!(is_chinese(contact_category(c)), "{c}");
        }
        for (_, label) in crate::family::ExitReason::choices()
            .into_iter()
            .chain(crate::org::OrgKind::choices())
        {
            assert!(is_chinese(label), "{label}");
        }
        assert_eq!(family_kind("bereaved"), "失独家庭");
        assert_eq!(family_kind("Bereaved"), "未知", "codes are exact");
        assert_eq!(exit_cause("moved_away"), "户籍迁出");
    }
}

#[cfg(test)]
mod checkin_labels {

    #[test]
    fn every_check_in_code_has_a_chinese_label() {
        use crate::checkins::{CheckInHow, ConsentHow, EnrolReason, PauseReason};
        use nuanxin_text_enum::Labelled;
        let chinese = |label: &str| {
            label
                .chars()
                .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        };
        let vocabularies = [
            ConsentHow::choices(),
            CheckInHow::choices(),
            EnrolReason::choices(),
            PauseReason::choices(),
            nuanxin_checkins::Outcome::choices(),
            crate::sharing::ConsentHow::choices(),
            crate::checkins::AlertStatus::choices(),
            nuanxin_checkins::Cause::choices(),
        ];
        for (code, label) in vocabularies.iter().flatten() {
            assert!(chinese(label), "{code}");
        }
    }
}
