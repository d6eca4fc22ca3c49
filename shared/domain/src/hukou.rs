//! The district of household registration (户籍所在区) as written on a form or a spreadsheet.
//!
//! The policy compares it with a district's slug (`hukou_district: xicheng`), so a value that is neither a
//! slug nor a recognisable district name would silently cost the family every entitlement. Accepted: the
//! slug or Chinese name of a district on the platform (stored as the slug), or the Chinese name of another
//! county-level unit (东城区, 桓台县, 邹平市: stored as written, so the family is recorded as registered
//! elsewhere). Anything else is refused.

/// The districts on the platform: (slug, Chinese name).
#[derive(Debug, Clone, Default)]
pub struct DistrictNames(Vec<(String, String)>);

/// Suffixes of county-level administrative names (区, 县, 市, 旗, 自治县, 林区, 特区).
const COUNTY_SUFFIXES: [char; 4] = ['区', '县', '市', '旗'];

impl DistrictNames {
    pub fn new(names: impl IntoIterator<Item = (String, String)>) -> DistrictNames {
        DistrictNames(names.into_iter().collect())
    }

    /// The value to store for `raw`, or None when it names no district.
    pub fn resolve(&self, raw: &str) -> Option<String> {
        let raw = raw.trim();
        if let Some((slug, _)) = self
            .0
            .iter()
            .find(|(slug, name)| slug.eq_ignore_ascii_case(raw) || names_of(name).contains(&raw))
        {
            return Some(slug.clone());
        }
        let chars: Vec<char> = raw.chars().collect();
        let chinese = chars.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c));
        let county = chars.last().is_some_and(|c| COUNTY_SUFFIXES.contains(c));
        (chinese && county && (2..=12).contains(&chars.len())).then(|| raw.to_owned())
    }
}

/// The ways a district's name is written: 北京市西城区, 西城区, 西城.
fn names_of(name: &str) -> [&str; 3] {
    let short = match name.rsplit_once('市') {
        Some((_, rest)) if !rest.is_empty() => rest,
        _ => name,
    };
    [name, short, short.trim_end_matches('区')]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> DistrictNames {
        DistrictNames::new([
            ("xicheng".to_owned(), "北京市西城区".to_owned()),
            ("zhangdian".to_owned(), "淄博市张店区".to_owned()),
        ])
    }

    #[test]
    fn slugs_and_chinese_names_of_platform_districts_become_the_slug() {
        for raw in ["xicheng", "Xicheng", " 西城区 ", "西城", "北京市西城区"] {
            assert_eq!(names().resolve(raw).as_deref(), Some("xicheng"), "{raw}");
        }
    }

    #[test]
    fn another_county_is_kept_as_written_and_anything_else_refused() {
        assert_eq!(names().resolve("东城区").as_deref(), Some("东城区"));
        assert_eq!(names().resolve("桓台县").as_deref(), Some("桓台县"));
        for raw in [
            "Xicheng District!!",
            "dongcheng",
            "",
            "区",
            "西城区!!",
            "北京市西城区1",
        ] {
            assert_eq!(names().resolve(raw), None, "{raw}");
        }
    }
}
