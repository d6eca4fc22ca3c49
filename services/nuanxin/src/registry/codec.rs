//! Between the domain's `Family` and the stored rows: personal identifiers encrypted with associated data
//! that binds each value to its district, family and column, and looked up through a keyed hash.

use chrono::{DateTime, NaiveDate, Utc};
use nuanxin_db::models::family::{ContactRow, FamilyRecord, FamilyRow, MemberRow};
use nuanxin_domain::family::{
    BankAccount, Care, Child, Contact, ContactCategory, Coordinates, ExitReason, Family,
    FamilyStatus, Household, Parent, ParentRole, Rebirth, SelfCare,
};
use nuanxin_ids::{FamilyId, TenantId};
use nuanxin_privacy::{aad, AccountNumber, CipherError, Phone, ResidentId};

use crate::sharing::held::ResidentHash;
use crate::state::Keys;

/// Row fields that are not the family's data: status, version, timestamps.
pub struct Meta {
    pub status: FamilyStatus,
    pub exit_reason: Option<ExitReason>,
    pub exit_note: Option<String>,
    pub exited_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Meta {
    pub fn new(now: DateTime<Utc>) -> Meta {
        Meta {
            status: FamilyStatus::Active,
            exit_reason: None,
            exit_note: None,
            exited_on: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn from_row(row: &FamilyRow) -> Meta {
        Meta {
            status: row.status,
            exit_reason: row.exit_reason,
            exit_note: row.exit_note.clone(),
            exited_on: row.exited_on,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Between the bank's name and the account number in their one ciphertext (a unit separator: no bank
/// name holds it, and the domain refuses control characters in texts).
const BANK_SEPARATOR: char = '\u{1f}';

pub struct Codec<'a> {
    keys: &'a Keys,
    tenant_id: TenantId,
    tenant: String,
}

fn corrupt(what: &str) -> CipherError {
    tracing::error!(column = what, "stored value does not decode");
    CipherError::Decrypt
}

impl<'a> Codec<'a> {
    pub fn new(keys: &'a Keys, tenant_id: TenantId) -> Codec<'a> {
        Codec {
            keys,
            tenant_id,
            tenant: tenant_id.to_string(),
        }
    }

    fn aad(&self, family: FamilyId, column: &str, slot: &str) -> Vec<u8> {
        aad(&[&self.tenant, &family.to_string(), column, slot])
    }

    fn seal(
        &self,
        family: FamilyId,
        column: &str,
        slot: &str,
        value: &str,
    ) -> Result<Vec<u8>, CipherError> {
        self.keys
            .cipher
            .try_encrypt(value.as_bytes(), &self.aad(family, column, slot))
    }

    fn open(
        &self,
        family: FamilyId,
        column: &str,
        slot: &str,
        blob: &[u8],
    ) -> Result<String, CipherError> {
        let plain = self
            .keys
            .cipher
            .decrypt(blob, &self.aad(family, column, slot))?;
        String::from_utf8(plain).map_err(|_| corrupt(column))
    }

    fn bank_account(
        &self,
        id: FamilyId,
        role: &str,
        blob: &[u8],
    ) -> Result<BankAccount, CipherError> {
        let joined = self.open(id, "bank_account", role, blob)?;
        let (bank, number) = joined
            .split_once(BANK_SEPARATOR)
            .ok_or_else(|| corrupt("bank_account"))?;
        Ok(BankAccount {
            bank: bank.to_owned(),
            number: AccountNumber::parse(number).map_err(|_| corrupt("bank_account"))?,
        })
    }

    /// The keyed hash a resident ID is looked up by.
    pub fn resident_hash(&self, id: &ResidentId) -> ResidentHash {
        self.keys.blind.digest(id.as_str())
    }

    pub fn encode(
        &self,
        id: FamilyId,
        family: &Family,
        meta: Meta,
    ) -> Result<FamilyRecord, CipherError> {
        let (died_on, grade, certified_on) = match family.child {
            Child::Deceased { died_on } => (Some(died_on), None, None),
            Child::Disabled {
                disability_grade,
                certified_on,
            } => (None, Some(disability_grade), Some(certified_on)),
        };
        let row = FamilyRow {
            tenant_id: self.tenant_id,
            id,
            kind: family.kind,
            hukou_district: family.hukou_district.clone(),
            street_id: family.street_id,
            community_id: family.community_id,
            address: family.address.clone(),
            latitude: family.coordinates.map(|c| c.lat),
            longitude: family.coordinates.map(|c| c.lon),
            child_died_on: died_on,
            child_disability_grade: grade,
            child_certified_on: certified_on,
            monthly_income_per_capita_cny: family.household.monthly_income_per_capita_cny,
            prior_year_total_income_cny: family.household.prior_year_total_income_cny,
            assisted_reproduction_birth_on: family.rebirth.assisted_reproduction_birth_on,
            status: meta.status,
            exit_reason: meta.exit_reason,
            exit_note: meta.exit_note,
            exited_on: meta.exited_on,
            version: meta.version,
            created_at: meta.created_at,
            updated_at: meta.updated_at,
        };
        let members = family
            .parents
            .iter()
            .map(|p| {
                let role = p.role.as_str();
                Ok(MemberRow {
                    tenant_id: self.tenant_id,
                    family_id: id,
                    role: role.to_owned(),
                    name: p.name.clone(),
                    resident_id_enc: self.seal(id, "resident_id", role, p.resident_id.as_str())?,
                    resident_id_hash: self.resident_hash(&p.resident_id).to_vec(),
                    phone_enc: p
                        .phone
                        .as_ref()
                        .map(|ph| self.seal(id, "phone", role, ph.as_str()))
                        .transpose()?,
                    birth_date: p.birth_date,
                    alive: p.alive,
                    self_care: p.self_care.as_str().to_owned(),
                    sanwu: p.sanwu,
                    care: p.care.as_str().to_owned(),
                    nursing_home_in_district: p.nursing_home_in_district,
                    major_illness_hospitalized_on: p.major_illness_hospitalized_on,
                    out_of_pocket_medical_cny: p.out_of_pocket_medical_cny,
                    fertility_treatment_since: p.fertility_treatment_since,
                    wants_home_services: p.wants_home_services,
                    bank_account_enc: p
                        .bank_account
                        .as_ref()
                        .map(|a| {
                            let joined = format!("{}{BANK_SEPARATOR}{}", a.bank, a.number.as_str());
                            self.seal(id, "bank_account", role, &joined)
                        })
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, CipherError>>()?;
        let contacts = family
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let position = i16::try_from(i + 1).unwrap_or(i16::MAX);
                Ok(ContactRow {
                    tenant_id: self.tenant_id,
                    family_id: id,
                    position,
                    name: c.name.clone(),
                    category: c.category.as_str().to_owned(),
                    phone_enc: c
                        .phone
                        .as_ref()
                        .map(|ph| {
                            self.seal(id, "contact_phone", &position.to_string(), ph.as_str())
                        })
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, CipherError>>()?;
        Ok(FamilyRecord {
            family: row,
            members,
            contacts,
        })
    }

    pub fn decode(&self, record: &FamilyRecord) -> Result<Family, CipherError> {
        let f = &record.family;
        let id = f.id;
        let child = match (
            f.child_died_on,
            f.child_disability_grade,
            f.child_certified_on,
        ) {
            (Some(died_on), _, _) => Child::Deceased { died_on },
            (None, Some(disability_grade), Some(certified_on)) => Child::Disabled {
                disability_grade,
                certified_on,
            },
            _ => return Err(corrupt("child")),
        };
        let parents = record
            .members
            .iter()
            .map(|m| {
                let resident_id = ResidentId::parse(&self.open(
                    id,
                    "resident_id",
                    &m.role,
                    &m.resident_id_enc,
                )?)
                .map_err(|_| corrupt("resident_id"))?;
                let phone = m
                    .phone_enc
                    .as_ref()
                    .map(|b| {
                        self.open(id, "phone", &m.role, b)
                            .and_then(|p| Phone::parse(&p).map_err(|_| corrupt("phone")))
                    })
                    .transpose()?;
                Ok(Parent {
                    role: ParentRole::parse(&m.role).ok_or_else(|| corrupt("role"))?,
                    name: m.name.clone(),
                    resident_id,
                    phone,
                    birth_date: m.birth_date,
                    alive: m.alive,
                    self_care: SelfCare::parse(&m.self_care).ok_or_else(|| corrupt("self_care"))?,
                    sanwu: m.sanwu,
                    care: Care::parse(&m.care).ok_or_else(|| corrupt("care"))?,
                    nursing_home_in_district: m.nursing_home_in_district,
                    major_illness_hospitalized_on: m.major_illness_hospitalized_on,
                    out_of_pocket_medical_cny: m.out_of_pocket_medical_cny,
                    fertility_treatment_since: m.fertility_treatment_since,
                    wants_home_services: m.wants_home_services,
                    bank_account: m
                        .bank_account_enc
                        .as_ref()
                        .map(|b| self.bank_account(id, &m.role, b))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, CipherError>>()?;
        let contacts = record
            .contacts
            .iter()
            .map(|c| {
                Ok(Contact {
                    name: c.name.clone(),
                    category: ContactCategory::parse(&c.category)
                        .ok_or_else(|| corrupt("category"))?,
                    phone: c
                        .phone_enc
                        .as_ref()
                        .map(|b| {
                            self.open(id, "contact_phone", &c.position.to_string(), b)
                                .and_then(|p| {
                                    Phone::parse(&p).map_err(|_| corrupt("contact_phone"))
                                })
                        })
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, CipherError>>()?;
        Ok(Family {
            kind: f.kind,
            hukou_district: f.hukou_district.clone(),
            street_id: f.street_id,
            community_id: f.community_id,
            address: f.address.clone(),
            coordinates: f
                .latitude
                .zip(f.longitude)
                .map(|(lat, lon)| Coordinates { lat, lon }),
            child,
            parents,
            household: Household {
                monthly_income_per_capita_cny: f.monthly_income_per_capita_cny,
                prior_year_total_income_cny: f.prior_year_total_income_cny,
            },
            rebirth: Rebirth {
                assisted_reproduction_birth_on: f.assisted_reproduction_birth_on,
            },
            contacts,
        })
    }
}
