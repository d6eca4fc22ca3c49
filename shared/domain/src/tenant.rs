//! A district's onboarding manifest (`tenants/<slug>/tenant.yaml`): its name, time zone, org structure and
//! demo accounts. Parsing the file is the caller's; checking it is here.

use std::collections::HashSet;

use serde::Deserialize;

/// The whole manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantManifest {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    /// The document(s) the district's work rests on, for display.
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// The district administrator's unit (区卫健局 / 区人口计生委).
    pub district_office: UnitSpec,
    pub bureaus: Vec<UnitSpec>,
    pub streets: Vec<StreetSpec>,
    #[serde(default)]
    pub social_orgs: Vec<UnitSpec>,
    #[serde(default)]
    pub demo: Option<DemoSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitSpec {
    pub code: String,
    pub name: String,
    /// What the unit is responsible for on the platform, from the district's document.
    #[serde(default)]
    pub duties: Vec<String>,
}

/// A street (街道) or town (镇) with its communities (社区) or villages (村).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetSpec {
    pub code: String,
    pub name: String,
    /// Centre of the street, for synthetic demo coordinates.
    #[serde(default)]
    pub centre: Option<[f64; 2]>,
    pub communities: Vec<UnitSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSpec {
    pub accounts: Vec<DemoAccount>,
    /// How many synthetic families to generate.
    pub families: usize,
    /// Streets the synthetic families are spread over (codes); all streets when empty.
    #[serde(default)]
    pub family_streets: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAccount {
    pub username: String,
    pub display_name: String,
    /// A role name of shared/access (`district_admin`, `street_staff`, …).
    pub role: String,
    /// Code of the org unit the account belongs to.
    pub org: String,
    #[serde(default)]
    pub email: Option<String>,
}

impl TenantManifest {
    /// Checks what serde cannot: slug shape, unique codes, accounts pointing at existing units.
    pub fn check(&self) -> Result<(), String> {
        let slug_ok = self.slug.len() >= 2
            && self.slug.len() <= 32
            && self.slug.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            return Err(format!(
                "slug '{}' must be 2–32 lowercase letters, digits or '-'",
                self.slug
            ));
        }
        if self.streets.is_empty() {
            return Err("a district needs at least one street or town".into());
        }
        let mut codes = HashSet::new();
        for code in self.unit_codes() {
            if code.is_empty() {
                return Err("an org unit has an empty code".into());
            }
            if !codes.insert(code) {
                return Err(format!("org unit code '{code}' is used twice"));
            }
        }
        if let Some(demo) = &self.demo {
            for account in &demo.accounts {
                if !codes.contains(account.org.as_str()) {
                    return Err(format!(
                        "demo account '{}' names unknown org unit '{}'",
                        account.username, account.org
                    ));
                }
            }
            for street in &demo.family_streets {
                if !self.streets.iter().any(|s| &s.code == street) {
                    return Err(format!(
                        "demo.family_streets names unknown street '{street}'"
                    ));
                }
            }
        }
        Ok(())
    }

    fn unit_codes(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.district_office.code.as_str())
            .chain(self.bureaus.iter().map(|b| b.code.as_str()))
            .chain(self.social_orgs.iter().map(|o| o.code.as_str()))
            .chain(self.streets.iter().flat_map(|s| {
                std::iter::once(s.code.as_str())
                    .chain(s.communities.iter().map(|c| c.code.as_str()))
            }))
    }
}
