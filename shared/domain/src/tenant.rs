//! A district's onboarding manifest (`tenants/<slug>/tenant.yaml`): its name, time zone, org structure and
//! demo accounts. Parsing the file is the caller's; checking it is here.

use std::collections::{BTreeMap, HashSet};

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
    /// Who approves benefit entries: the policy's payer code → the org unit code whose staff approve
    /// them ("only the named bureau approves"). Payers not listed are approved by the district office.
    #[serde(default)]
    pub payers: BTreeMap<String, String>,
    /// The unit that marks approved entries paid; `finance` (区财政局) when not given.
    #[serde(default)]
    pub disbursing_unit: Option<String>,
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
        for (payer, unit) in &self.payers {
            if !codes.contains(unit.as_str()) {
                return Err(format!("payers.{payer} names unknown org unit '{unit}'"));
            }
        }
        if let Some(unit) = &self.disbursing_unit {
            if !codes.contains(unit.as_str()) {
                return Err(format!("disbursing_unit names unknown org unit '{unit}'"));
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

    /// The org unit code whose staff mark entries paid.
    pub fn disbursing_unit(&self) -> &str {
        self.disbursing_unit.as_deref().unwrap_or("finance")
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

#[cfg(test)]
mod tests {
    use super::TenantManifest;

    fn manifest(extra: serde_json::Value) -> Result<TenantManifest, String> {
        let mut base = serde_json::json!({
            "slug": "testdistrict", "name": "测试区", "time_zone": "Asia/Shanghai",
            "district_office": {"code": "office", "name": "区卫健局"},
            "bureaus": [{"code": "finance", "name": "区财政局"}, {"code": "civil_affairs", "name": "区民政局"}],
            "streets": [{"code": "s1", "name": "一街道", "communities": [{"code": "c1", "name": "一社区"}]}],
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        let m: TenantManifest = serde_json::from_value(base).map_err(|e| e.to_string())?;
        m.check().map(|()| m)
    }

    #[test]
    fn payers_and_the_disbursing_unit_must_name_org_units() {
        let ok =
            manifest(serde_json::json!({"payers": {"district_civil_affairs": "civil_affairs"}}));
        assert_eq!(
            ok.map(|m| m.disbursing_unit().to_owned()),
            Ok("finance".into())
        );
        let bad = manifest(serde_json::json!({"payers": {"district_civil_affairs": "nowhere"}}));
        assert!(bad.is_err_and(|e| e.contains("payers.district_civil_affairs")));
        let bad = manifest(serde_json::json!({"disbursing_unit": "treasury"}));
        assert!(bad.is_err_and(|e| e.contains("disbursing_unit")));
    }
}
