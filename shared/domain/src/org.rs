//! A district's org structure as the registry needs it: which streets and communities exist.

use nuanxin_ids::OrgUnitId;
use std::collections::HashMap;

use serde::Serialize;

nuanxin_text_enum::text_enum! {
    /// The kinds of org unit. A town (镇) is a street-level unit and a village (村) a community-level one.
    pub enum OrgKind {
        DistrictOffice = "district_office" / "区级部门",
        Bureau = "bureau" / "委办局",
        Street = "street" / "街道",
        Community = "community" / "社区",
        SocialOrg = "social_org" / "社会组织",
    }
}

/// One org unit of a district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgUnitInfo {
    pub id: OrgUnitId,
    pub kind: OrgKind,
    pub code: String,
    pub name: String,
    pub parent_id: Option<OrgUnitId>,
}

/// A district's org units, looked up by id or code.
#[derive(Debug, Clone, Default)]
pub struct OrgDirectory {
    units: Vec<OrgUnitInfo>,
    by_id: HashMap<OrgUnitId, usize>,
    by_code: HashMap<String, usize>,
}

impl OrgDirectory {
    pub fn new(units: Vec<OrgUnitInfo>) -> OrgDirectory {
        let by_id = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let by_code = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.clone(), i))
            .collect();
        OrgDirectory {
            units,
            by_id,
            by_code,
        }
    }

    pub fn get(&self, id: OrgUnitId) -> Option<&OrgUnitInfo> {
        self.by_id.get(&id).map(|&i| &self.units[i])
    }

    pub fn by_code(&self, code: &str) -> Option<&OrgUnitInfo> {
        self.by_code.get(code).map(|&i| &self.units[i])
    }

    /// A unit given by code or by name (spreadsheets carry names).
    pub fn by_code_or_name(&self, key: &str, kind: OrgKind) -> Option<&OrgUnitInfo> {
        self.by_code(key)
            .filter(|u| u.kind == kind)
            .or_else(|| self.units.iter().find(|u| u.kind == kind && u.name == key))
    }

    pub fn units(&self) -> &[OrgUnitInfo] {
        &self.units
    }

    pub fn of_kind(&self, kind: OrgKind) -> impl Iterator<Item = &OrgUnitInfo> {
        self.units.iter().filter(move |u| u.kind == kind)
    }

    /// The street a community belongs to.
    pub fn street_of(&self, community: OrgUnitId) -> Option<&OrgUnitInfo> {
        self.get(community)
            .and_then(|c| c.parent_id)
            .and_then(|p| self.get(p))
            .filter(|s| s.kind == OrgKind::Street)
    }

    pub fn name_of(&self, id: OrgUnitId) -> &str {
        self.get(id).map(|u| u.name.as_str()).unwrap_or("")
    }
}
