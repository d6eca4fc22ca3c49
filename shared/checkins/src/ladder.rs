//! The district's escalation ladder and check-in defaults, parsed from `tenants/<slug>/checkins.yaml`.

use chrono::{NaiveTime, Weekday};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::{LoaderOptions, Node};
use serde::{Deserialize, Serialize};

/// Who a step of the ladder alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// The pairing's neighbour helper (a reminder).
    Helper,
    /// The elder's community worker (社区工作人员).
    CommunityWorker,
    /// The elder's street office (街道办事处).
    StreetOffice,
    /// The district office (区卫生健康部门).
    DistrictOffice,
}

impl RecipientKind {
    /// Every kind, in the order of the YAML codes' documentation.
    pub const ALL: [RecipientKind; 4] = [
        RecipientKind::Helper,
        RecipientKind::CommunityWorker,
        RecipientKind::StreetOffice,
        RecipientKind::DistrictOffice,
    ];

    /// The code used in YAML and in alert keys.
    pub fn code(self) -> &'static str {
        match self {
            RecipientKind::Helper => "helper",
            RecipientKind::CommunityWorker => "community_worker",
            RecipientKind::StreetOffice => "street_office",
            RecipientKind::DistrictOffice => "district_office",
        }
    }

    /// The Chinese name shown in the console and in mail.
    pub fn label(self) -> &'static str {
        match self {
            RecipientKind::Helper => "结对邻居",
            RecipientKind::CommunityWorker => "社区工作人员",
            RecipientKind::StreetOffice => "街道办事处",
            RecipientKind::DistrictOffice => "区卫生健康部门",
        }
    }

    /// The kind with this code.
    pub fn from_code(code: &str) -> Option<RecipientKind> {
        RecipientKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One step of the ladder: whom to alert, and how long after the day's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Minutes after the deadline at which the step falls due.
    pub after_minutes: u32,
    /// Who is alerted.
    pub recipient: RecipientKind,
}

/// A district's check-in configuration: the ladder and the defaults a pairing starts with.
///
/// The steps are what a running day's alert snapshots ([`Ladder::steps`]): the sweep is given the steps
/// stored with the day's first alert, never the district's current ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder {
    steps: Vec<Step>,
    silent_days: u32,
    deadline: NaiveTime,
    days_off: Vec<Weekday>,
    programs: Vec<String>,
    radius_m: u32,
}

/// How far from an elder a neighbour helper may live unless the district sets `radius_m`.
pub const DEFAULT_RADIUS_M: u32 = 3_000;

/// The widest radius a district may set: a neighbour lives in the same district.
pub const MAX_RADIUS_M: u32 = 50_000;

/// The longest delay a step may have: a ladder is about one day.
pub const MAX_AFTER_MINUTES: u32 = 24 * 60;

/// The longest silence the flag may wait for, in expected days.
pub const MAX_SILENT_DAYS: u32 = 366;

/// The largest `checkins.yaml` accepted, in bytes (the districts' files are below 2 KB). It also bounds
/// the nesting the recursive YAML tree is built for.
pub const MAX_SOURCE_BYTES: usize = 16 * 1024;

/// Why a ladder's parts are refused; each names the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidLadder {
    /// No steps.
    #[error("ladder must have at least one step")]
    NoSteps,
    /// A delay not after the previous one.
    #[error("ladder[{index}].after_minutes is {after}, not after the previous step's {previous}: delays must strictly increase")]
    NotIncreasing {
        /// The step's index.
        index: usize,
        /// Its delay.
        after: u32,
        /// The previous step's delay.
        previous: u32,
    },
    /// A delay beyond a day.
    #[error("ladder[{index}].after_minutes is {after}; at most {MAX_AFTER_MINUTES} (one day)")]
    TooLate {
        /// The step's index.
        index: usize,
        /// Its delay.
        after: u32,
    },
    /// `silent_days` out of range.
    #[error("silent_days must be between 1 and {MAX_SILENT_DAYS}, not {0}")]
    SilentDays(u32),
    /// A weekday off twice.
    #[error("days_off[{index}]: `{}` is given twice", weekday_code(*.day))]
    DayOffTwice {
        /// Its index in `days_off`.
        index: usize,
        /// The weekday.
        day: Weekday,
    },
    /// Every weekday off.
    #[error("days_off cannot be every day of the week")]
    EveryDayOff,
}

/// A load error: the file, the 1-based line (0 when no line applies) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LadderError {
    /// The file name given to [`Ladder::parse`].
    pub file: String,
    /// The 1-based line, 0 for the whole file.
    pub line: usize,
    /// What is wrong, in English for operators.
    pub message: String,
}

impl Ladder {
    /// A ladder from its parts, checked: at least one step, delays strictly increasing and at most
    /// [`MAX_AFTER_MINUTES`], `silent_days` between 1 and [`MAX_SILENT_DAYS`], no weekday off twice and
    /// not every day off.
    pub fn new(
        steps: Vec<Step>,
        silent_days: u32,
        deadline: NaiveTime,
        days_off: Vec<Weekday>,
    ) -> Result<Ladder, InvalidLadder> {
        check_steps(&steps)?;
        if !(1..=MAX_SILENT_DAYS).contains(&silent_days) {
            return Err(InvalidLadder::SilentDays(silent_days));
        }
        check_days_off(&days_off)?;
        Ok(Ladder {
            steps,
            silent_days,
            deadline,
            days_off,
            programs: Vec::new(),
            radius_m: DEFAULT_RADIUS_M,
        })
    }

    /// The policy programs whose entitlement makes an elder eligible for a pairing (Xicheng:
    /// `neighbor_pairing`); members enrolled by a street or community worker are eligible besides.
    pub fn programs(&self) -> &[String] {
        &self.programs
    }

    /// How far (metres) from the elder candidate helpers may live.
    pub fn radius_m(&self) -> u32 {
        self.radius_m
    }

    /// The steps, in order of their delay: what a day's alert snapshots when it starts.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// After how many expected days without any check-in logged a pairing is flagged.
    pub fn silent_days(&self) -> u32 {
        self.silent_days
    }

    /// The daily deadline a new pairing gets unless its own is given.
    pub fn deadline(&self) -> NaiveTime {
        self.deadline
    }

    /// The weekdays a new pairing has off unless its own are given.
    pub fn days_off(&self) -> &[Weekday] {
        &self.days_off
    }

    /// Parses a district's `checkins.yaml`; `file` names it in errors (`file:line: problem`).
    ///
    /// ```yaml
    /// deadline: "10:00"        # default daily deadline, local time
    /// days_off: []             # default weekdays off: mon, tue, … sun
    /// silent_days: 7           # flag after this many expected days without a check-in (default 7)
    /// ladder:
    ///   - { after_minutes: 0, notify: helper }
    ///   - { after_minutes: 30, notify: community_worker }
    /// ```
    pub fn parse(file: &str, source: &str) -> Result<Ladder, LadderError> {
        let err = |line: usize, message: String| LadderError {
            file: file.to_string(),
            line,
            message,
        };
        if source.len() > MAX_SOURCE_BYTES {
            return Err(err(
                0,
                format!(
                    "the file is {} bytes; at most {MAX_SOURCE_BYTES} bytes are accepted",
                    source.len()
                ),
            ));
        }
        let opts = LoaderOptions::default().error_on_duplicate_keys(true);
        let root = match marked_yaml::parse_yaml_with_options(0, source, opts) {
            Ok(Node::Mapping(m)) => m,
            Ok(other) => {
                return Err(err(
                    line_of(&other),
                    "the file must be a YAML mapping".into(),
                ))
            }
            Err(e) => return Err(err(load_error_line(&e), format!("YAML error: {e}"))),
        };
        check_keys(
            &root,
            &[
                "deadline",
                "days_off",
                "silent_days",
                "ladder",
                "programs",
                "radius_m",
            ],
            "the file",
        )
        .map_err(|(line, m)| err(line, m))?;
        let top_line = mapping_line(&root);

        let deadline = match root.get_node("deadline") {
            None => {
                return Err(err(
                    top_line,
                    "the file is missing `deadline` (e.g. \"10:00\")".into(),
                ))
            }
            Some(node) => {
                let text = scalar(node).unwrap_or_default();
                NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
                    err(
                        line_of(node),
                        format!(
                            "deadline must be a time HH:MM (quoted, e.g. \"10:00\"), not `{text}`"
                        ),
                    )
                })?
            }
        };

        // Lines of each weekday off and each step's delay, for the checks of `Ladder::new`.
        let mut day_lines = Vec::new();
        let mut step_lines = Vec::new();
        let days_off = match root.get_node("days_off") {
            None => Vec::new(),
            Some(node) => {
                let seq = node.as_sequence().ok_or_else(|| {
                    err(
                        line_of(node),
                        "days_off must be a list of weekdays (mon … sun)".into(),
                    )
                })?;
                let mut days = Vec::new();
                for day in seq.iter() {
                    day_lines.push(line_of(day));
                    let text = scalar(day).unwrap_or_default();
                    let weekday = parse_weekday(text).ok_or_else(|| {
                        err(
                            line_of(day),
                            format!("days_off: `{text}` is not a weekday (mon, tue, wed, thu, fri, sat, sun)"),
                        )
                    })?;
                    days.push(weekday);
                }
                days
            }
        };

        let silent_days = match root.get_node("silent_days") {
            None => 7,
            Some(node) => {
                let text = scalar(node).unwrap_or_default();
                text.trim().parse::<u32>().map_err(|_| {
                    err(
                        line_of(node),
                        format!("silent_days must be a whole number of days, not `{text}`"),
                    )
                })?
            }
        };

        let programs = match root.get_node("programs") {
            None => Vec::new(),
            Some(node) => {
                let seq = node.as_sequence().ok_or_else(|| {
                    err(
                        line_of(node),
                        "programs must be a list of program codes".into(),
                    )
                })?;
                let mut codes = Vec::new();
                for code in seq.iter() {
                    let text = scalar(code).unwrap_or_default().trim();
                    if text.is_empty()
                        || !text
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    {
                        return Err(err(
                            line_of(code),
                            format!("programs: `{text}` is not a program code (lower-case letters, digits, _)"),
                        ));
                    }
                    codes.push(text.to_owned());
                }
                codes
            }
        };
        let radius_m = match root.get_node("radius_m") {
            None => DEFAULT_RADIUS_M,
            Some(node) => {
                let text = scalar(node).unwrap_or_default();
                match text.trim().parse::<u32>() {
                    Ok(r) if (1..=MAX_RADIUS_M).contains(&r) => r,
                    _ => {
                        return Err(err(
                            line_of(node),
                            format!("radius_m must be a whole number of metres from 1 to {MAX_RADIUS_M}, not `{text}`"),
                        ))
                    }
                }
            }
        };

        let ladder_node = root.get_node("ladder").ok_or_else(|| {
            err(
                top_line,
                "the file is missing `ladder` (a list of steps)".into(),
            )
        })?;
        let seq = ladder_node.as_sequence().ok_or_else(|| {
            err(
                line_of(ladder_node),
                "ladder must be a list of steps".into(),
            )
        })?;
        let mut steps: Vec<Step> = Vec::new();
        for (i, node) in seq.iter().enumerate() {
            let what = format!("ladder[{i}]");
            let m = node.as_mapping().ok_or_else(|| {
                err(
                    line_of(node),
                    format!("{what} must be a mapping {{after_minutes, notify}}"),
                )
            })?;
            check_keys(m, &["after_minutes", "notify"], &what)
                .map_err(|(line, msg)| err(line, msg))?;
            let after = m
                .get_node("after_minutes")
                .ok_or_else(|| err(line_of(node), format!("{what} is missing `after_minutes`")))?;
            let text = scalar(after).unwrap_or_default();
            let after_minutes = text.trim().parse::<u32>().map_err(|_| {
                err(
                    line_of(after),
                    format!("{what}.after_minutes must be a whole number of minutes, not `{text}`"),
                )
            })?;
            step_lines.push(line_of(after));
            let notify = m
                .get_node("notify")
                .ok_or_else(|| err(line_of(node), format!("{what} is missing `notify`")))?;
            let code = scalar(notify).unwrap_or_default();
            let recipient = RecipientKind::from_code(code.trim()).ok_or_else(|| {
                err(
                    line_of(notify),
                    format!(
                        "{what}.notify: `{code}` is not a recipient (expected one of: {})",
                        RecipientKind::ALL.map(RecipientKind::code).join(", ")
                    ),
                )
            })?;
            steps.push(Step {
                after_minutes,
                recipient,
            });
        }
        let mut ladder = Ladder::new(steps, silent_days, deadline, days_off).map_err(|e| {
            let key_line = |key: &str| root.get_node(key).map_or(top_line, line_of);
            let line = match e {
                InvalidLadder::NoSteps => line_of(ladder_node),
                InvalidLadder::NotIncreasing { index, .. }
                | InvalidLadder::TooLate { index, .. } => {
                    step_lines.get(index).copied().unwrap_or(top_line)
                }
                InvalidLadder::SilentDays(_) => key_line("silent_days"),
                InvalidLadder::DayOffTwice { index, .. } => {
                    day_lines.get(index).copied().unwrap_or(top_line)
                }
                InvalidLadder::EveryDayOff => key_line("days_off"),
            };
            err(line, e.to_string())
        })?;
        ladder.programs = programs;
        ladder.radius_m = radius_m;
        Ok(ladder)
    }
}

fn check_steps(steps: &[Step]) -> Result<(), InvalidLadder> {
    if steps.is_empty() {
        return Err(InvalidLadder::NoSteps);
    }
    for (index, step) in steps.iter().enumerate() {
        if step.after_minutes > MAX_AFTER_MINUTES {
            return Err(InvalidLadder::TooLate {
                index,
                after: step.after_minutes,
            });
        }
        if let Some(previous) = index.checked_sub(1).and_then(|p| steps.get(p)) {
            if step.after_minutes <= previous.after_minutes {
                return Err(InvalidLadder::NotIncreasing {
                    index,
                    after: step.after_minutes,
                    previous: previous.after_minutes,
                });
            }
        }
    }
    Ok(())
}

fn check_days_off(days: &[Weekday]) -> Result<(), InvalidLadder> {
    for (index, &day) in days.iter().enumerate() {
        if days[..index].contains(&day) {
            return Err(InvalidLadder::DayOffTwice { index, day });
        }
    }
    if days.len() >= 7 {
        return Err(InvalidLadder::EveryDayOff);
    }
    Ok(())
}

/// The three-letter code of a weekday (`mon` … `sun`), as `checkins.yaml` writes it.
pub fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// A weekday from its three-letter code (`mon` … `sun`).
pub fn parse_weekday(code: &str) -> Option<Weekday> {
    let code = code.trim();
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .find(|&d| weekday_code(d) == code)
}
fn scalar(node: &Node) -> Option<&str> {
    node.as_scalar().map(|s| s.as_str())
}

fn line_of(node: &Node) -> usize {
    node.span().start().map(|m| m.line()).unwrap_or(0)
}

fn mapping_line(m: &MarkedMappingNode) -> usize {
    m.span().start().map(|s| s.line()).unwrap_or(0)
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
        L::DuplicateKey(d) => d.key.span().start().map(|m| m.line()).unwrap_or(0),
    }
}

fn check_keys(m: &MarkedMappingNode, allowed: &[&str], what: &str) -> Result<(), (usize, String)> {
    for (k, _) in m.iter() {
        if !allowed.contains(&k.as_str()) {
            return Err((
                k.span().start().map(|s| s.line()).unwrap_or(0),
                format!(
                    "unknown field `{}` in {what} (expected one of: {})",
                    k.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CONTRACT: &str = r#"
deadline: "10:00"
days_off: [sun]
silent_days: 7
ladder:
  - { after_minutes: 0, notify: helper }
  - { after_minutes: 30, notify: community_worker }
  - { after_minutes: 60, notify: street_office }
  - { after_minutes: 120, notify: district_office }
"#;

    fn fails(source: &str) -> LadderError {
        Ladder::parse("checkins.yaml", source).unwrap_err()
    }

    #[test]
    fn parses_the_contract_ladder() {
        let l = Ladder::parse("checkins.yaml", CONTRACT).unwrap();
        let got: Vec<(u32, RecipientKind)> = l
            .steps()
            .iter()
            .map(|s| (s.after_minutes, s.recipient))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, RecipientKind::Helper),
                (30, RecipientKind::CommunityWorker),
                (60, RecipientKind::StreetOffice),
                (120, RecipientKind::DistrictOffice)
            ]
        );
        assert_eq!(l.deadline(), NaiveTime::from_hms_opt(10, 0, 0).unwrap());
        assert_eq!(l.days_off(), &[Weekday::Sun]);
        assert_eq!(l.silent_days(), 7);
    }

    #[test]
    fn silent_days_default_to_seven_and_days_off_to_none() {
        let l = Ladder::parse(
            "c.yaml",
            "deadline: \"09:30\"\nladder:\n  - { after_minutes: 0, notify: helper }\n",
        )
        .unwrap();
        assert_eq!(l.silent_days(), 7);
        assert!(l.days_off().is_empty());
    }

    #[test]
    fn the_demo_districts_files_carry_the_contract_ladder() {
        for slug in ["xicheng", "zhangdian"] {
            let path = format!(
                "{}/../../tenants/{slug}/checkins.yaml",
                env!("CARGO_MANIFEST_DIR")
            );
            let source = std::fs::read_to_string(&path).unwrap();
            let l = Ladder::parse(&path, &source).unwrap();
            let expected = Ladder::parse("contract", CONTRACT).unwrap();
            assert_eq!(l.steps(), expected.steps(), "{slug}");
            assert_eq!(l.deadline(), expected.deadline(), "{slug}");
            assert_eq!(l.silent_days(), 7, "{slug}");
        }
    }

    #[test]
    fn delays_must_strictly_increase_and_the_error_names_the_line() {
        let e = fails(
            "deadline: \"10:00\"\nladder:\n  - { after_minutes: 30, notify: helper }\n  - { after_minutes: 30, notify: street_office }\n",
        );
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.to_string()
                .starts_with("checkins.yaml:4: ladder[1].after_minutes is 30"),
            "{e}"
        );
    }

    #[test]
    fn eligible_programs_and_the_radius_are_read_and_checked() {
        let text = format!("programs: [neighbor_pairing]\nradius_m: 1500\n{CONTRACT}");
        let ladder = Ladder::parse("x.yaml", &text).unwrap();
        assert_eq!(ladder.programs(), ["neighbor_pairing".to_owned()]);
        assert_eq!(ladder.radius_m(), 1500);
        let plain = Ladder::parse("x.yaml", CONTRACT).unwrap();
        assert!(plain.programs().is_empty());
        assert_eq!(plain.radius_m(), DEFAULT_RADIUS_M);
        let bad = Ladder::parse("x.yaml", &format!("radius_m: 0\n{CONTRACT}")).unwrap_err();
        assert_eq!((bad.line, bad.message.contains("radius_m")), (1, true));
        let bad = Ladder::parse(
            "x.yaml",
            &format!("programs: [Neighbor Pairing]\n{CONTRACT}"),
        )
        .unwrap_err();
        assert_eq!((bad.line, bad.message.contains("program code")), (1, true));
    }

    #[test]
    fn a_ladder_needs_a_step() {
        let e = fails("deadline: \"10:00\"\nladder: []\n");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("at least one step"), "{e}");
    }

    #[test]
    fn bad_values_name_their_place() {
        let cases: [(&str, usize, &str); 9] = [
            ("deadline: \"25:00\"\nladder:\n  - { after_minutes: 0, notify: helper }\n", 1, "deadline must be a time"),
            ("ladder:\n  - { after_minutes: 0, notify: helper }\n", 1, "missing `deadline`"),
            ("deadline: \"10:00\"\n", 1, "missing `ladder`"),
            ("deadline: \"10:00\"\nladder:\n  - { after_minutes: 0, notify: police }\n", 3, "`police` is not a recipient"),
            ("deadline: \"10:00\"\nladder:\n  - { after_minutes: -5, notify: helper }\n", 3, "whole number of minutes"),
            ("deadline: \"10:00\"\nladder:\n  - { after_minutes: 2000, notify: helper }\n", 3, "at most 1440"),
            ("deadline: \"10:00\"\ndays_off: [mon, funday]\nladder:\n  - { after_minutes: 0, notify: helper }\n", 2, "`funday` is not a weekday"),
            ("deadline: \"10:00\"\nsilent_days: 0\nladder:\n  - { after_minutes: 0, notify: helper }\n", 2, "silent_days must be between"),
            ("deadline: \"10:00\"\ncolour: red\nladder:\n  - { after_minutes: 0, notify: helper }\n", 2, "unknown field `colour`"),
        ];
        for (source, line, words) in cases {
            let e = fails(source);
            assert_eq!(e.line, line, "{e}");
            assert!(e.message.contains(words), "{e} (expected `{words}`)");
        }
    }

    #[test]
    fn a_weekday_off_twice_or_every_day_off_is_refused_at_its_line() {
        let e = fails("deadline: \"10:00\"\ndays_off:\n  - sat\n  - sun\n  - sat\nladder:\n  - { after_minutes: 0, notify: helper }\n");
        assert_eq!(
            (e.line, e.message.as_str()),
            (5, "days_off[2]: `sat` is given twice")
        );
        let all = "deadline: \"10:00\"\ndays_off: [mon, tue, wed, thu, fri, sat, sun]\nladder:\n  - { after_minutes: 0, notify: helper }\n";
        assert_eq!(fails(all).line, 2);
        for code in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
            assert_eq!(parse_weekday(code).map(weekday_code), Some(code));
        }
    }

    #[test]
    fn ladder_new_checks_what_parse_checks() {
        let at = |after_minutes| Step {
            after_minutes,
            recipient: RecipientKind::Helper,
        };
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        assert_eq!(
            Ladder::new(vec![], 7, ten, vec![]),
            Err(InvalidLadder::NoSteps)
        );
        assert_eq!(
            Ladder::new(vec![at(0), at(60), at(45)], 7, ten, vec![]),
            Err(InvalidLadder::NotIncreasing {
                index: 2,
                after: 45,
                previous: 60
            })
        );
        assert_eq!(
            Ladder::new(vec![at(0)], 0, ten, vec![]),
            Err(InvalidLadder::SilentDays(0))
        );
        assert!(Ladder::new(vec![at(0), at(30)], 7, ten, vec![Weekday::Sun]).is_ok());
    }

    #[test]
    fn duplicate_keys_oversized_and_deeply_nested_files_are_refused() {
        let e = fails("deadline: \"10:00\"\ndeadline: \"11:00\"\nladder: []\n");
        assert_eq!(e.line, 2, "{e}");
        // Deep nesting within the size bound fails cleanly (the scanner's own limit), without a stack overflow.
        let deep = format!("ladder: {}", "[".repeat(MAX_SOURCE_BYTES - 20));
        assert!(
            fails(&deep).message.starts_with("YAML error"),
            "{}",
            fails(&deep)
        );
        let block: String = (0..150).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        assert_eq!(fails(&block).line, 1);
        let big = format!("deadline: \"10:00\"\n# {}\n", "x".repeat(MAX_SOURCE_BYTES));
        assert!(fails(&big).message.contains("bytes"));
    }

    #[test]
    fn steps_round_trip_as_a_snapshot() {
        let l = Ladder::parse("c", CONTRACT).unwrap();
        let json = serde_json::to_string(l.steps()).unwrap();
        assert!(
            json.contains(r#"{"after_minutes":30,"recipient":"community_worker"}"#),
            "{json}"
        );
        let back: Vec<Step> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, l.steps());
    }
}
