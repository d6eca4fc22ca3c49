//! A district's `tenants/<slug>/matching.yaml`: its skill and qualification lists, which hard filters
//! apply, the costs of the matching model and the workflow's times. Checked on load; every error names
//! the file and the line (`matching.yaml:12: costs.per_km must be …`).

use std::collections::BTreeSet;

use marked_yaml::{LoaderOptions, Spanned};
use serde::Deserialize;

/// The largest file accepted, in bytes (the districts' files are about 2 KB).
const MAX_SOURCE_BYTES: usize = 64 * 1024;
/// No cost parameter may exceed this, so the engine's sums stay far from overflow.
pub const MAX_COST: u64 = 1_000_000;

/// A load error: the file, its 1-based line (0 when none applies) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// A skill of the district's list (a task's service is one of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    pub code: String,
    /// Chinese, as users and reasons show it (心理慰藉).
    pub name: String,
    /// The qualification a volunteer must hold, valid on the task's day, to do this service.
    pub needs: Option<String>,
    /// A long-term pairing (综合包户): the household keeps its helper from one occurrence to the next.
    pub long_term: bool,
}

/// A qualification of the district's list (心理咨询资质).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualification {
    pub code: String,
    pub name: String,
}

/// A rule that turns a family's entitlement into a proposed task (`proposals` in matching.yaml): the
/// street confirms it with a time window, or dismisses it with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRule {
    /// The policy program whose entitlement proposes the task (checked against the policy on load).
    pub program: String,
    /// The skill the task asks for.
    pub service: String,
    /// Only for a person whose self-care is one of these (empty: anyone entitled), e.g. home health
    /// guidance for those who are half or not self-caring.
    pub self_care: Vec<nuanxin_policy::SelfCare>,
    /// The task is done by telephone (not bound by distance).
    pub by_phone: bool,
    /// The rule's line in the file, for errors found when the policy is read beside it.
    pub line: usize,
}

/// The hard filters a pair must pass to be a candidate at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Filter {
    /// The volunteer has the task's skill.
    Skill,
    /// The volunteer holds the skill's qualification, valid on the task's day.
    Qualification,
    /// The task's window lies inside one of the volunteer's weekly slots.
    Availability,
    /// The volunteer lives within the radius of the household (tasks by phone are exempt).
    Distance,
    /// The volunteer has room left under their weekly maximum.
    WeeklyMax,
}

impl Filter {
    const ALL: [(Filter, &'static str); 5] = [
        (Filter::Skill, "skill"),
        (Filter::Qualification, "qualification"),
        (Filter::Availability, "availability"),
        (Filter::Distance, "distance"),
        (Filter::WeeklyMax, "weekly_max"),
    ];

    fn parse(code: &str) -> Option<Filter> {
        Filter::ALL
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(f, _)| *f)
    }
}

/// The cost model's weights (integer cost units; the engine minimises their sum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Costs {
    /// Per kilometre between the volunteer's home and the household.
    pub per_km: u64,
    /// Per task the volunteer already holds in the coming week, so work is spread.
    pub per_task_held: u64,
    /// When the volunteer has never served the household (continuity).
    pub new_household: u64,
    /// Taken off `new_household` for each past visit to the household (down to 0).
    pub per_past_visit: u64,
    /// Per step below the top of the organization's own preference (0 = first choice, up to 3).
    pub per_preference_step: u64,
    /// Per no-show on the volunteer's record.
    pub per_no_show: u64,
    /// Per offer the volunteer received within `recent_offer_days`: those not asked yet go first.
    pub per_recent_offer: u64,
    /// Each helper a normal task does not get.
    pub unfilled_normal: u64,
    /// Each helper an urgent task does not get.
    pub unfilled_urgent: u64,
}

/// A district's matching configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchingConfig {
    pub skills: Vec<Skill>,
    pub qualifications: Vec<Qualification>,
    pub filters: BTreeSet<Filter>,
    /// The distance filter's radius, in metres.
    pub radius_m: u32,
    pub costs: Costs,
    /// How far back an offer counts as recent for fairness.
    pub recent_offer_days: u32,
    /// How long an organization has to answer an offer.
    pub offer_deadline_hours: u32,
    /// After a window's end, how long a check-in is awaited before a no-show.
    pub grace_minutes: u32,
    /// How long a closed task stays visible to the organization and volunteer.
    pub closed_visible_days: u32,
    /// How long before the window the volunteer is reminded.
    pub reminder_hours: u32,
    /// Tasks starting within this many days are matched.
    pub horizon_days: u32,
    /// At most this many cheapest candidates per task go to the engine.
    pub candidates_per_task: u32,
    /// Tasks proposed from entitlements.
    pub proposals: Vec<ProposalRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkill {
    code: Spanned<String>,
    name: Spanned<String>,
    needs: Option<Spanned<String>>,
    #[serde(default)]
    long_term: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQualification {
    code: Spanned<String>,
    name: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCosts {
    per_km: Spanned<u64>,
    per_task_held: Spanned<u64>,
    new_household: Spanned<u64>,
    per_past_visit: Spanned<u64>,
    per_preference_step: Spanned<u64>,
    per_no_show: Spanned<u64>,
    per_recent_offer: Spanned<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnfilled {
    normal: Spanned<u64>,
    urgent: Spanned<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProposal {
    program: Spanned<String>,
    service: Spanned<String>,
    #[serde(default)]
    self_care: Vec<Spanned<String>>,
    #[serde(default)]
    by_phone: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    skills: Spanned<Vec<RawSkill>>,
    qualifications: Vec<RawQualification>,
    hard_filters: Spanned<Vec<Spanned<String>>>,
    radius_km: Spanned<f64>,
    costs: RawCosts,
    unfilled: RawUnfilled,
    recent_offer_days: Spanned<u32>,
    offer_deadline_hours: Spanned<u32>,
    grace_minutes: Spanned<u32>,
    closed_visible_days: Spanned<u32>,
    reminder_hours: Spanned<u32>,
    horizon_days: Spanned<u32>,
    candidates_per_task: Spanned<u32>,
    #[serde(default)]
    proposals: Vec<RawProposal>,
}

fn line<T>(s: &Spanned<T>) -> usize {
    s.span().start().map_or(0, |m| m.line())
}

struct Ctx<'a>(&'a str);

impl Ctx<'_> {
    fn err(&self, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.0.to_owned(),
            line,
            message: message.into(),
        }
    }

    fn code(&self, s: &Spanned<String>, what: &str) -> Result<String, ConfigError> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if ok {
            Ok(s.to_string())
        } else {
            Err(self.err(
                line(s),
                format!(
                    "{what} must be 1–32 lower-case letters or `_`, not `{}`",
                    &**s
                ),
            ))
        }
    }

    fn name(&self, s: &Spanned<String>, what: &str) -> Result<String, ConfigError> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > 20 {
            return Err(self.err(line(s), format!("{what} must be 1–20 characters")));
        }
        Ok(t.to_owned())
    }

    fn range<T: PartialOrd + std::fmt::Display + Copy>(
        &self,
        v: &Spanned<T>,
        what: &str,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let value = **v;
        if value < min || value > max {
            return Err(self.err(
                line(v),
                format!("{what} must be between {min} and {max}, not {value}"),
            ));
        }
        Ok(value)
    }
}

impl MatchingConfig {
    /// Parses and checks `source`, the contents of `file`.
    pub fn parse(file: &str, source: &str) -> Result<MatchingConfig, ConfigError> {
        let cx = Ctx(file);
        if source.len() > MAX_SOURCE_BYTES {
            return Err(cx.err(
                0,
                format!("the file is larger than {MAX_SOURCE_BYTES} bytes"),
            ));
        }
        let options = LoaderOptions::default().error_on_duplicate_keys(true);
        let tree = marked_yaml::parse_yaml_with_options(0, source, options)
            .map_err(|e| cx.err(load_error_line(&e), format!("YAML error: {e}")))?;
        let raw: Raw = marked_yaml::from_node(&tree).map_err(|e| {
            let at = match &*e {
                // The deserializer gives unknown keys no place: find the key in the tree.
                marked_yaml::spanned_serde::Error::UnknownFieldError(key, _, _) => {
                    key_line(&tree, key).unwrap_or(0)
                }
                other => other.start_mark().map_or(0, |m| m.line()),
            };
            cx.err(at, e.to_string())
        })?;

        let mut qualifications = Vec::new();
        let mut seen = BTreeSet::new();
        for q in &raw.qualifications {
            let code = cx.code(&q.code, "a qualification's code")?;
            if !seen.insert(code.clone()) {
                return Err(cx.err(
                    line(&q.code),
                    format!("qualification `{code}` is listed twice"),
                ));
            }
            let name = cx.name(&q.name, "a qualification's name")?;
            qualifications.push(Qualification { code, name });
        }
        let mut skills = Vec::new();
        let mut seen = BTreeSet::new();
        for s in raw.skills.iter() {
            let code = cx.code(&s.code, "a skill's code")?;
            if !seen.insert(code.clone()) {
                return Err(cx.err(line(&s.code), format!("skill `{code}` is listed twice")));
            }
            let name = cx.name(&s.name, "a skill's name")?;
            let needs = match &s.needs {
                None => None,
                Some(n) if qualifications.iter().any(|q| q.code == **n) => Some(n.to_string()),
                Some(n) => {
                    return Err(cx.err(
                        line(n),
                        format!(
                            "skill `{code}` needs `{}`, which is not in `qualifications`",
                            &**n
                        ),
                    ))
                }
            };
            skills.push(Skill {
                code,
                name,
                needs,
                long_term: s.long_term,
            });
        }
        if skills.is_empty() {
            return Err(cx.err(line(&raw.skills), "`skills` must list at least one skill"));
        }
        let mut filters = BTreeSet::new();
        for f in raw.hard_filters.iter() {
            let filter = Filter::parse(f).ok_or_else(|| {
                let known: Vec<_> = Filter::ALL.iter().map(|(_, c)| *c).collect();
                cx.err(
                    line(f),
                    format!(
                        "unknown hard filter `{}` (expected one of: {})",
                        &**f,
                        known.join(", ")
                    ),
                )
            })?;
            if !filters.insert(filter) {
                return Err(cx.err(line(f), format!("hard filter `{}` is listed twice", &**f)));
            }
        }
        if !filters.contains(&Filter::Skill) {
            return Err(cx.err(
                line(&raw.hard_filters),
                "hard_filters must include `skill`: a task goes only to someone who does that service",
            ));
        }
        let radius_km = cx.range(&raw.radius_km, "radius_km", 0.1, 100.0)?;
        let c = &raw.costs;
        let cost = |v: &Spanned<u64>, what: &str| cx.range(v, what, 0, MAX_COST);
        let unfilled_normal = cx.range(&raw.unfilled.normal, "unfilled.normal", 1, MAX_COST)?;
        let unfilled_urgent = cx.range(&raw.unfilled.urgent, "unfilled.urgent", 1, MAX_COST)?;
        if unfilled_urgent < unfilled_normal {
            return Err(cx.err(
                line(&raw.unfilled.urgent),
                "unfilled.urgent must be at least unfilled.normal: an urgent task is filled first",
            ));
        }
        let costs = Costs {
            per_km: cost(&c.per_km, "costs.per_km")?,
            per_task_held: cost(&c.per_task_held, "costs.per_task_held")?,
            new_household: cost(&c.new_household, "costs.new_household")?,
            per_past_visit: cost(&c.per_past_visit, "costs.per_past_visit")?,
            per_preference_step: cost(&c.per_preference_step, "costs.per_preference_step")?,
            per_no_show: cost(&c.per_no_show, "costs.per_no_show")?,
            per_recent_offer: cost(&c.per_recent_offer, "costs.per_recent_offer")?,
            unfilled_normal,
            unfilled_urgent,
        };
        let proposals = proposal_rules(&cx, &raw.proposals, &skills)?;
        Ok(MatchingConfig {
            skills,
            qualifications,
            filters,
            // In range 0.1–100 km, so the product is a small positive number of metres.
            radius_m: (radius_km * 1000.0).round() as u32,
            costs,
            recent_offer_days: cx.range(&raw.recent_offer_days, "recent_offer_days", 1, 365)?,
            offer_deadline_hours: cx.range(
                &raw.offer_deadline_hours,
                "offer_deadline_hours",
                1,
                168,
            )?,
            grace_minutes: cx.range(&raw.grace_minutes, "grace_minutes", 0, 1440)?,
            closed_visible_days: cx.range(
                &raw.closed_visible_days,
                "closed_visible_days",
                0,
                365,
            )?,
            reminder_hours: cx.range(&raw.reminder_hours, "reminder_hours", 1, 168)?,
            horizon_days: cx.range(&raw.horizon_days, "horizon_days", 1, 60)?,
            candidates_per_task: cx.range(
                &raw.candidates_per_task,
                "candidates_per_task",
                1,
                500,
            )?,
            proposals,
        })
    }

    /// Checks that every proposal names a program of the district's policy (`known`), as onboarding and
    /// every reload read the two files side by side.
    pub fn check_programs(
        &self,
        file: &str,
        known: impl Fn(&str) -> bool,
    ) -> Result<(), ConfigError> {
        match self.proposals.iter().find(|r| !known(&r.program)) {
            None => Ok(()),
            Some(r) => Err(Ctx(file).err(
                r.line,
                format!(
                    "proposal for program `{}`, which the district's policy does not have",
                    r.program
                ),
            )),
        }
    }

    /// The skill of `code`, if the district lists it.
    pub fn skill(&self, code: &str) -> Option<&Skill> {
        self.skills.iter().find(|s| s.code == code)
    }

    /// The qualification of `code`, if the district lists it.
    pub fn qualification(&self, code: &str) -> Option<&Qualification> {
        self.qualifications.iter().find(|q| q.code == code)
    }

    /// The Chinese name of a skill code (the code itself for one the district no longer lists).
    pub fn skill_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.skill(code).map_or(code, |s| s.name.as_str())
    }

    /// The Chinese name of a qualification code.
    pub fn qualification_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.qualification(code).map_or(code, |q| q.name.as_str())
    }

    pub fn applies(&self, filter: Filter) -> bool {
        self.filters.contains(&filter)
    }
}

fn proposal_rules(
    cx: &Ctx<'_>,
    raw: &[RawProposal],
    skills: &[Skill],
) -> Result<Vec<ProposalRule>, ConfigError> {
    use nuanxin_policy::SelfCare;
    let mut rules: Vec<ProposalRule> = Vec::new();
    for r in raw {
        let at = line(&r.program);
        let program = cx.code(&r.program, "a proposal's program")?;
        let service = cx.code(&r.service, "a proposal's service")?;
        if !skills.iter().any(|s| s.code == service) {
            return Err(cx.err(
                line(&r.service),
                format!("proposal service `{service}` is not in `skills`"),
            ));
        }
        if rules
            .iter()
            .any(|o| o.program == program && o.service == service)
        {
            return Err(cx.err(
                at,
                format!("proposal `{program}` → `{service}` is listed twice"),
            ));
        }
        let mut self_care = Vec::new();
        for c in &r.self_care {
            let care = match c.as_str() {
                "full" => SelfCare::Full,
                "partial" => SelfCare::Partial,
                "none" => SelfCare::None,
                other => {
                    return Err(cx.err(
                        line(c),
                        format!("unknown self_care `{other}` (expected full, partial or none)"),
                    ))
                }
            };
            if !self_care.contains(&care) {
                self_care.push(care);
            }
        }
        rules.push(ProposalRule {
            program,
            service,
            self_care,
            by_phone: r.by_phone,
            line: at,
        });
    }
    Ok(rules)
}

/// The line of the first mapping key `key` anywhere in the tree.
fn key_line(node: &marked_yaml::Node, key: &str) -> Option<usize> {
    match node {
        marked_yaml::Node::Mapping(m) => m.iter().find_map(|(k, v)| {
            if k.as_str() == key {
                k.span().start().map(|s| s.line())
            } else {
                key_line(v, key)
            }
        }),
        marked_yaml::Node::Sequence(s) => s.iter().find_map(|n| key_line(n, key)),
        marked_yaml::Node::Scalar(_) => None,
    }
}

fn load_error_line(e: &marked_yaml::LoadError) -> usize {
    use marked_yaml::LoadError as L;
    match e {
        L::TopLevelMustBeMapping(m)
        | L::TopLevelMustBeSequence(m)
        | L::UnexpectedAnchor(m)
        | L::MappingKeyMustBeScalar(m)
        | L::UnexpectedTag(m)
        | L::ScanError(m, _) => m.line(),
        L::DuplicateKey(d) => d.key.span().start().map_or(0, |m| m.line()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = "\
skills:
  - { code: day_patrol, name: 日间巡视 }
  - { code: psychological_comfort, name: 心理慰藉, needs: counselor }
  - { code: household_pairing, name: 综合包户, long_term: true }
qualifications:
  - { code: counselor, name: 心理咨询资质 }
hard_filters: [skill, qualification, availability, distance, weekly_max]
radius_km: 5
costs:
  per_km: 100
  per_task_held: 300
  new_household: 800
  per_past_visit: 200
  per_preference_step: 150
  per_no_show: 1000
  per_recent_offer: 200
unfilled: { normal: 10000, urgent: 30000 }
recent_offer_days: 14
offer_deadline_hours: 24
grace_minutes: 30
closed_visible_days: 7
reminder_hours: 24
horizon_days: 14
candidates_per_task: 30
proposals:
  - { program: elderly_home_services, service: day_patrol }
  - { program: psychological_counseling, service: psychological_comfort, by_phone: true }
  - { program: family_doctor, service: day_patrol, self_care: [partial, none] }
";

    fn error_of(source: &str) -> String {
        match MatchingConfig::parse("matching.yaml", source) {
            Ok(_) => "parsed".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_sample_parses() {
        let c = MatchingConfig::parse("matching.yaml", SAMPLE);
        let c = c.as_ref().map_err(ToString::to_string);
        assert_eq!(c.map(|c| c.radius_m), Ok(5000));
        let c = MatchingConfig::parse("matching.yaml", SAMPLE).ok();
        let c = c.as_ref();
        assert_eq!(
            c.and_then(|c| c.skill("psychological_comfort"))
                .and_then(|s| s.needs.as_deref()),
            Some("counselor")
        );
        assert_eq!(
            c.map(|c| c.skill_name("household_pairing")),
            Some("综合包户")
        );
        assert_eq!(c.map(|c| c.costs.unfilled_urgent), Some(30000));
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let cases = [
            (
                "needs: counselor }",
                "needs: lawyer }",
                "matching.yaml:3: skill `psychological_comfort` needs `lawyer`",
            ),
            ("per_km: 100", "per_km: -1", "matching.yaml:10:"),
            (
                "per_km: 100",
                "per_km: 2000000",
                "matching.yaml:10: costs.per_km must be between 0 and 1000000",
            ),
            (
                "radius_km: 5",
                "radius_km: 0",
                "matching.yaml:8: radius_km must be between",
            ),
            (
                "distance, weekly_max]",
                "distance, nearby]",
                "matching.yaml:7: unknown hard filter `nearby`",
            ),
            (
                "[skill, qualification,",
                "[qualification,",
                "matching.yaml:7: hard_filters must include `skill`",
            ),
            (
                "{ normal: 10000, urgent: 30000 }",
                "{ normal: 10000, urgent: 300 }",
                "matching.yaml:17: unfilled.urgent must be at least",
            ),
            (
                "code: household_pairing",
                "code: day_patrol",
                "matching.yaml:4: skill `day_patrol` is listed twice",
            ),
            (
                "grace_minutes: 30",
                "grace_minutes: 30\ncolour: red",
                "matching.yaml:21:",
            ),
            (
                "code: day_patrol,",
                "code: Day-Patrol,",
                "matching.yaml:2: a skill's code must be",
            ),
            (
                "service: psychological_comfort, by_phone",
                "service: meal_delivery, by_phone",
                "matching.yaml:27: proposal service `meal_delivery` is not in `skills`",
            ),
            (
                "self_care: [partial, none]",
                "self_care: [partial, bedridden]",
                "matching.yaml:28: unknown self_care `bedridden`",
            ),
            (
                "program: family_doctor, service: day_patrol",
                "program: elderly_home_services, service: day_patrol",
                "matching.yaml:28: proposal `elderly_home_services` → `day_patrol` is listed twice",
            ),
        ];
        for (from, to, expected) in cases {
            let source = SAMPLE.replacen(from, to, 1);
            assert_ne!(source, SAMPLE, "{from}");
            let got = error_of(&source);
            assert!(got.starts_with(expected), "{to}: {got}");
        }
        let broken = error_of("skills: [");
        assert!(
            broken.starts_with("matching.yaml:") && broken.contains("YAML error"),
            "{broken}"
        );
    }

    #[test]
    fn proposals_parse_and_their_programs_are_checked_against_the_policy() {
        let c = MatchingConfig::parse("matching.yaml", SAMPLE).ok();
        let rules = c.as_ref().map(|c| c.proposals.clone()).unwrap_or_default();
        assert_eq!(rules.len(), 3);
        assert!(rules[1].by_phone && rules[0].self_care.is_empty());
        assert_eq!(
            rules[2].self_care,
            [
                nuanxin_policy::SelfCare::Partial,
                nuanxin_policy::SelfCare::None
            ]
        );
        let c = c.as_ref();
        let known = |p: &str| p != "family_doctor";
        let checked = c.map(|c| {
            c.check_programs("matching.yaml", known)
                .map_err(|e| e.to_string())
        });
        assert_eq!(
            checked,
            Some(Err(
                "matching.yaml:28: proposal for program `family_doctor`, which the district's policy does not have".into()
            ))
        );
        assert_eq!(
            c.map(|c| c.check_programs("matching.yaml", |_| true)),
            Some(Ok(()))
        );
    }

    #[test]
    fn both_districts_files_parse() {
        for slug in ["xicheng", "zhangdian"] {
            let path = format!(
                "{}/../../tenants/{slug}/matching.yaml",
                env!("CARGO_MANIFEST_DIR")
            );
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            let parsed = MatchingConfig::parse("matching.yaml", &source);
            assert!(parsed.is_ok(), "{slug}: {parsed:?}");
        }
    }
}
