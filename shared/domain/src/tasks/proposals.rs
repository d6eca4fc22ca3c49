//! Tasks proposed from entitlements: which of the district's `proposals` rules a family's evaluation
//! fires, for whom, and the sentence the street reads (母亲符合“日间巡视、陪同就医、送餐”（三（五）1）…).
//!
//! A proposal is not a task: the street confirms it with a time window (then it becomes one) or
//! dismisses it with a reason. One proposal exists per family, program and service, so a daily run
//! that finds the same entitlement again changes nothing.

use nuanxin_policy::{Evaluation, FamilyFacts, Policy, Role};

use super::config::{MatchingConfig, ProposalRule};

nuanxin_text_enum::text_enum! {
    /// Where a proposal stands.
    pub enum ProposalStatus {
        /// Waiting for the street.
        Open = "open" / "待处理",
        /// The street made a task of it.
        Accepted = "accepted" / "已建任务",
        /// The street decided against it, with a reason; a later run does not propose it again.
        Dismissed = "dismissed" / "不采纳",
        /// The family no longer has the entitlement (or left the register); proposed again if it returns.
        Lapsed = "lapsed" / "已不符合",
    }
}

/// A task a family's entitlement proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub program: String,
    pub service: String,
    /// The entitled parents it is for; empty for a household program without a self-care condition.
    pub persons: Vec<Role>,
    pub by_phone: bool,
    /// Why, in Chinese, with the document's clause.
    pub reason: String,
}

/// The proposals `eval` (the family's entitlements under `policy`) fires among the district's rules.
/// A rule with a self-care condition fires only for a living entitled parent who meets it.
pub fn propose(
    cfg: &MatchingConfig,
    policy: &Policy,
    eval: &Evaluation<'_>,
    facts: &FamilyFacts,
) -> Vec<Proposal> {
    let mut out = Vec::new();
    for rule in &cfg.proposals {
        let entitled: Vec<Option<Role>> = eval
            .entitlements
            .iter()
            .filter(|e| e.program == rule.program)
            .map(|e| e.person)
            .collect();
        if entitled.is_empty() {
            continue;
        }
        let persons = persons_for(rule, &entitled, facts);
        let Some(persons) = persons else { continue };
        out.push(Proposal {
            program: rule.program.clone(),
            service: rule.service.clone(),
            reason: reason(cfg, policy, rule, &persons),
            persons,
            by_phone: rule.by_phone,
        });
    }
    out
}

/// The parents a rule's proposal is for, or `None` when nobody entitled meets its self-care condition.
fn persons_for(
    rule: &ProposalRule,
    entitled: &[Option<Role>],
    facts: &FamilyFacts,
) -> Option<Vec<Role>> {
    let household = entitled.iter().any(Option::is_none);
    // A household program reaches every living parent; a person program its entitled ones.
    let mut candidates: Vec<Role> = if household {
        facts
            .parents
            .iter()
            .filter(|p| p.alive)
            .map(|p| p.role)
            .collect()
    } else {
        entitled.iter().flatten().copied().collect()
    };
    candidates.sort_by_key(|r| r.as_str());
    candidates.dedup();
    if rule.self_care.is_empty() {
        return Some(if household { Vec::new() } else { candidates });
    }
    let meets = |role: &Role| {
        facts
            .parents
            .iter()
            .any(|p| p.role == *role && p.alive && rule.self_care.contains(&p.self_care))
    };
    let persons: Vec<Role> = candidates.into_iter().filter(meets).collect();
    (!persons.is_empty()).then_some(persons)
}

fn reason(cfg: &MatchingConfig, policy: &Policy, rule: &ProposalRule, persons: &[Role]) -> String {
    let who = if persons.is_empty() {
        "该家庭".to_owned()
    } else {
        persons
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join("、")
    };
    let (title, clause) = policy
        .program(&rule.program)
        .map_or((rule.program.as_str(), ""), |p| {
            (p.title.as_str(), p.clause.as_str())
        });
    let clause = if clause.is_empty() {
        String::new()
    } else {
        format!("（{clause}）")
    };
    let care = if rule.self_care.is_empty() {
        String::new()
    } else {
        let labels: Vec<&str> = rule
            .self_care
            .iter()
            .map(|c| crate::labels::self_care(self_care_code(*c)))
            .collect();
        format!("，生活自理能力为{}", labels.join("或"))
    };
    // A title quoting a name already (“综合包户”志愿服务) is not quoted again.
    let title = if title.contains('“') {
        title.to_owned()
    } else {
        format!("“{title}”")
    };
    format!(
        "{who}符合{title}{clause}{care}，建议安排{}",
        cfg.skill_name(&rule.service)
    )
}

fn self_care_code(c: nuanxin_policy::SelfCare) -> &'static str {
    match c {
        nuanxin_policy::SelfCare::Full => "full",
        nuanxin_policy::SelfCare::Partial => "partial",
        nuanxin_policy::SelfCare::None => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const POLICY: &str = "../../tenants/xicheng/policy.yaml";

    fn xicheng() -> (MatchingConfig, Policy) {
        let dir = env!("CARGO_MANIFEST_DIR");
        let read = |p: &str| std::fs::read_to_string(format!("{dir}/{p}")).unwrap_or_default();
        let cfg = MatchingConfig::parse(
            "matching.yaml",
            &read("../../tenants/xicheng/matching.yaml"),
        );
        let policy = Policy::parse("policy.yaml", &read(POLICY));
        match (cfg, policy) {
            (Ok(c), Ok(p)) => (c, p),
            (c, p) => panic!("{:?} {:?}", c.err(), p.err()),
        }
    }

    /// A bereaved Xicheng family: the mother 66 (elderly), the father 58, both living.
    fn bereaved(mother_care: nuanxin_policy::SelfCare) -> FamilyFacts {
        let json = serde_json::json!({
            "kind": "bereaved",
            "hukou_district": "xicheng",
            "child": {"status": "deceased", "died_on": "2015-03-01"},
            "parents": [
                {"role": "mother", "birth_date": "1960-05-01", "alive": true},
                {"role": "father", "birth_date": "1968-05-01", "alive": true}
            ],
            "household": {"monthly_income_per_capita_cny": 2000, "prior_year_total_income_cny": 48000}
        });
        let mut facts: FamilyFacts = serde_json::from_value(json).expect("facts");
        facts.parents[0].self_care = mother_care;
        facts
    }

    fn on() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default()
    }

    fn services(p: &[Proposal]) -> Vec<(&str, &str)> {
        p.iter()
            .map(|p| (p.program.as_str(), p.service.as_str()))
            .collect()
    }

    #[test]
    fn an_elderly_bereaved_mother_gets_home_services_proposed_for_her_alone() {
        let (cfg, policy) = xicheng();
        let facts = bereaved(nuanxin_policy::SelfCare::Full);
        let eval = nuanxin_policy::evaluate(&policy, &facts, on());
        let got = propose(&cfg, &policy, &eval, &facts);
        let patrol = got
            .iter()
            .find(|p| p.service == "day_patrol")
            .expect("day patrol proposed");
        assert_eq!(patrol.program, "elderly_home_services");
        assert_eq!(patrol.persons, [Role::Mother], "the father is under 60");
        assert_eq!(
            patrol.reason,
            "母亲符合“日间巡视、陪同就医、送餐”（三（五）1），建议安排日间巡视"
        );
        // A household program: the family, not a parent.
        let pairing = got
            .iter()
            .find(|p| p.service == "household_pairing")
            .expect("综合包户 proposed");
        assert!(pairing.persons.is_empty());
        assert!(
            pairing.reason.starts_with("该家庭符合“"),
            "{}",
            pairing.reason
        );
        // Counselling by phone for both parents.
        let comfort = got
            .iter()
            .find(|p| p.service == "psychological_comfort")
            .expect("counselling proposed");
        assert!(comfort.by_phone);
        assert_eq!(comfort.persons, [Role::Father, Role::Mother]);
    }

    #[test]
    fn legal_aid_at_home_only_for_someone_who_is_not_self_caring() {
        let (cfg, policy) = xicheng();
        let full = bereaved(nuanxin_policy::SelfCare::Full);
        let eval = nuanxin_policy::evaluate(&policy, &full, on());
        let got = propose(&cfg, &policy, &eval, &full);
        assert!(
            !services(&got).contains(&("legal_aid", "legal_consultation")),
            "{got:?}"
        );
        let partial = bereaved(nuanxin_policy::SelfCare::Partial);
        let eval = nuanxin_policy::evaluate(&policy, &partial, on());
        let got = propose(&cfg, &policy, &eval, &partial);
        let legal = got
            .iter()
            .find(|p| p.program == "legal_aid")
            .expect("legal aid at home proposed");
        assert_eq!(legal.persons, [Role::Mother]);
        assert!(
            legal.reason.contains("生活自理能力为半自理或不能自理"),
            "{}",
            legal.reason
        );
    }

    #[test]
    fn a_family_without_the_entitlements_gets_nothing_and_a_dead_parent_is_never_named() {
        let (cfg, policy) = xicheng();
        let mut facts = bereaved(nuanxin_policy::SelfCare::Full);
        facts.kind = nuanxin_policy::Kind::Disabled;
        let eval = nuanxin_policy::evaluate(&policy, &facts, on());
        let got = propose(&cfg, &policy, &eval, &facts);
        assert!(
            !services(&got)
                .iter()
                .any(|(p, _)| *p == "elderly_home_services"),
            "{got:?}"
        );
        let mut widowed = bereaved(nuanxin_policy::SelfCare::Partial);
        widowed.parents[0].alive = false;
        let eval = nuanxin_policy::evaluate(&policy, &widowed, on());
        for p in propose(&cfg, &policy, &eval, &widowed) {
            assert!(!p.persons.contains(&Role::Mother), "{p:?}");
        }
    }
}
