//! What the API shows of a family, with personal identifiers masked unless the caller may see them.

use chrono::{DateTime, NaiveDate, Utc};
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_domain::family::{
    age_on, Child, Coordinates, ExitReason, Family, FamilyKind, FamilyStatus, Household, Rebirth,
};
use nuanxin_domain::org::OrgDirectory;
use nuanxin_ids::{FamilyId, OrgUnitId};
use nuanxin_privacy::{mask_name, Phone};
use serde::Serialize;

/// Whether personal identifiers are shown in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    Full,
    Masked,
}

#[derive(Debug, Serialize)]
pub struct OrgRef {
    pub id: OrgUnitId,
    pub code: String,
    pub name: String,
}

impl OrgRef {
    fn of(orgs: &OrgDirectory, id: OrgUnitId) -> OrgRef {
        let unit = orgs.get(id);
        OrgRef {
            id,
            code: unit.map(|u| u.code.clone()).unwrap_or_default(),
            name: unit.map(|u| u.name.clone()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ParentView {
    pub role: &'static str,
    pub name: String,
    pub resident_id: String,
    pub phone: Option<String>,
    /// Only where the resident ID is shown in full: the masked ID hides exactly these digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    pub age: i32,
    pub alive: bool,
    pub self_care: &'static str,
    pub sanwu: bool,
    pub care: &'static str,
    pub nursing_home_in_district: bool,
    pub major_illness_hospitalized_on: Option<NaiveDate>,
    pub out_of_pocket_medical_cny: i64,
    pub fertility_treatment_since: Option<NaiveDate>,
    pub wants_home_services: bool,
    pub bank_name: Option<String>,
    /// Masked (`6222********1234`) unless identifiers are shown in full.
    pub bank_account: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ContactView {
    pub name: String,
    pub category: &'static str,
    pub phone: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExitView {
    pub reason: ExitReason,
    pub note: Option<String>,
    pub exited_on: Option<NaiveDate>,
}

/// A whole family record.
#[derive(Debug, Serialize)]
pub struct FamilyView {
    pub id: FamilyId,
    pub kind: FamilyKind,
    pub hukou_district: String,
    pub street: OrgRef,
    pub community: OrgRef,
    pub address: String,
    pub coordinates: Option<Coordinates>,
    pub child: Child,
    pub parents: Vec<ParentView>,
    pub household: Household,
    pub rebirth: Rebirth,
    pub contacts: Vec<ContactView>,
    pub status: FamilyStatus,
    pub exit: Option<ExitView>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A line of the family list: enough to find the family, identifiers always masked.
#[derive(Debug, Serialize)]
pub struct FamilyListItem {
    pub id: FamilyId,
    pub kind: FamilyKind,
    pub street: OrgRef,
    pub community: OrgRef,
    pub address: String,
    pub parents: Vec<ListParent>,
    pub status: FamilyStatus,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct ListParent {
    pub role: &'static str,
    pub name: String,
    pub resident_id: String,
    pub age: i32,
    pub alive: bool,
}

fn show_phone(phone: Option<&Phone>, reveal: Reveal) -> Option<String> {
    phone.map(|p| match reveal {
        Reveal::Full => p.as_str().to_owned(),
        Reveal::Masked => p.masked(),
    })
}

pub fn family_view(
    record: &FamilyRecord,
    family: &Family,
    orgs: &OrgDirectory,
    today: NaiveDate,
    reveal: Reveal,
) -> FamilyView {
    let row = &record.family;
    FamilyView {
        id: row.id,
        kind: family.kind,
        hukou_district: family.hukou_district.clone(),
        street: OrgRef::of(orgs, family.street_id),
        community: OrgRef::of(orgs, family.community_id),
        address: family.address.clone(),
        coordinates: family.coordinates,
        child: family.child,
        parents: family
            .parents
            .iter()
            .map(|p| ParentView {
                role: p.role.as_str(),
                name: match reveal {
                    Reveal::Full => p.name.clone(),
                    Reveal::Masked => mask_name(&p.name),
                },
                resident_id: match reveal {
                    Reveal::Full => p.resident_id.as_str().to_owned(),
                    Reveal::Masked => p.resident_id.masked(),
                },
                phone: show_phone(p.phone.as_ref(), reveal),
                birth_date: (reveal == Reveal::Full).then_some(p.birth_date),
                age: age_on(p.birth_date, today),
                alive: p.alive,
                self_care: p.self_care.as_str(),
                sanwu: p.sanwu,
                care: p.care.as_str(),
                nursing_home_in_district: p.nursing_home_in_district,
                major_illness_hospitalized_on: p.major_illness_hospitalized_on,
                out_of_pocket_medical_cny: p.out_of_pocket_medical_cny,
                fertility_treatment_since: p.fertility_treatment_since,
                wants_home_services: p.wants_home_services,
                bank_name: p.bank_account.as_ref().map(|a| a.bank.clone()),
                bank_account: p.bank_account.as_ref().map(|a| match reveal {
                    Reveal::Full => a.number.as_str().to_owned(),
                    Reveal::Masked => a.number.masked(),
                }),
            })
            .collect(),
        household: family.household,
        rebirth: family.rebirth,
        contacts: family
            .contacts
            .iter()
            .map(|c| ContactView {
                name: c.name.clone(),
                category: c.category.as_str(),
                phone: show_phone(c.phone.as_ref(), reveal),
            })
            .collect(),
        status: row.status,
        exit: row.exit_reason.map(|reason| ExitView {
            reason,
            note: row.exit_note.clone(),
            exited_on: row.exited_on,
        }),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// `names_visible`: whether the caller may see names (staff with access to personal data).
pub fn list_item(
    record: &FamilyRecord,
    family: &Family,
    orgs: &OrgDirectory,
    today: NaiveDate,
    names_visible: bool,
) -> FamilyListItem {
    let row = &record.family;
    FamilyListItem {
        id: row.id,
        kind: family.kind,
        street: OrgRef::of(orgs, family.street_id),
        community: OrgRef::of(orgs, family.community_id),
        address: family.address.clone(),
        parents: family
            .parents
            .iter()
            .map(|p| ListParent {
                role: p.role.as_str(),
                name: if names_visible {
                    p.name.clone()
                } else {
                    mask_name(&p.name)
                },
                resident_id: p.resident_id.masked(),
                age: age_on(p.birth_date, today),
                alive: p.alive,
            })
            .collect(),
        status: row.status,
        version: row.version,
        updated_at: row.updated_at,
    }
}
