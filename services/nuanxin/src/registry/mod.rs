//! The family registry's operations: validate, encrypt, write with history and audit, read back, mask.
//! Nothing here knows HTTP; handlers call these inside a tenant transaction.

mod codec;
pub mod counts;
pub use codec::Meta;
pub mod import;
pub mod near;
pub mod reads;
pub mod search;
pub mod view;
pub mod writes;

use nuanxin_ids::FamilyId;
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use nuanxin_db::models::family::{FamilyChange, FamilyFilter, FamilyRecord, Scope};
use nuanxin_db::models::mail::NewMail;
use nuanxin_db::models::user::User;
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::family::{diff, Exit, ExitReason, Family, FamilyInput, FamilyStatus};
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::ValidationErrors;
use serde_json::json;
use uuid::Uuid;

pub use codec::Codec;

use crate::audit::{self, Actor};
use crate::state::District;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("invalid family: {0}")]
    Validation(ValidationErrors),
    #[error("no such family in scope")]
    NotFound,
    /// A question or file the register cannot take as given (400 naming the field).
    #[error("{message}")]
    BadInput {
        code: &'static str,
        field: &'static str,
        message: String,
    },
    #[error("no authority for this")]
    Forbidden,
    #[error("the family was changed meanwhile (now version {current})")]
    VersionConflict { current: i32 },
    #[error("the family has already exited the register")]
    AlreadyExited,
    #[error("the import has {} errors", .0.total())]
    Import(import::RowErrors),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Cipher(#[from] nuanxin_privacy::CipherError),
    #[error(transparent)]
    Sheet(#[from] nuanxin_sheets::SheetError),
    #[error(transparent)]
    Tx(#[from] nuanxin_db::pool::TxError),
    #[error(transparent)]
    ReadLog(#[from] crate::audit::reads::ReadLogFull),
    /// This node cannot take the work now (503 with the message).
    #[error("{0}")]
    Busy(&'static str),
    #[error("worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

impl From<crate::page::PagingRefused> for RegistryError {
    fn from(e: crate::page::PagingRefused) -> RegistryError {
        RegistryError::BadInput {
            code: "out_of_range",
            field: e.field,
            message: e.message,
        }
    }
}

impl From<crate::auth::authorized::Refused> for RegistryError {
    fn from(_: crate::auth::authorized::Refused) -> RegistryError {
        RegistryError::Forbidden
    }
}

/// The district and keys an operation works with.
pub struct Registry<'a> {
    pub district: &'a District,
    pub codec: Codec<'a>,
}

impl<'a> Registry<'a> {
    pub fn new(district: &'a District, keys: &'a crate::state::Keys) -> Registry<'a> {
        Registry {
            district,
            codec: Codec::new(keys, district.id),
        }
    }

    /// Validates and registers a new family; returns its id.
    pub async fn create(
        &self,
        conn: &mut AsyncPgConnection,
        scope: Scope,
        actor: &Actor,
        input: FamilyInput,
    ) -> Result<FamilyId, RegistryError> {
        let family = input
            .validate(
                &self.district.orgs,
                &self.district.hukou_names,
                self.district.today(),
            )
            .map_err(RegistryError::Validation)?;
        check_in_scope(scope, &family)?;
        self.check_not_registered(conn, scope, &family, None)
            .await?;
        let id = FamilyId::generate();
        let now = Utc::now();
        let record = self.codec.encode(id, &family, codec::Meta::new(now))?;
        record.insert(conn).await?;
        let masked = family.to_masked_json(&self.district.orgs);
        self.record_change(
            conn,
            actor,
            &record,
            "create",
            json!([{"field": "", "from": null, "to": masked}]),
        )
        .await?;
        audit::record(
            conn,
            self.district.id,
            actor,
            "family.create",
            "family",
            &id.to_string(),
            json!({}),
        )
        .await?;
        Ok(id)
    }

    /// Loads and decrypts one family in scope.
    pub async fn load(
        &self,
        conn: &mut AsyncPgConnection,
        scope: Scope,
        id: FamilyId,
    ) -> Result<(FamilyRecord, Family), RegistryError> {
        let record = FamilyRecord::find(conn, scope, id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let family = self.codec.decode(&record)?;
        Ok((record, family))
    }

    /// Replaces a family's data. `expected_version`, when given, must be the stored version.
    pub async fn replace(
        &self,
        conn: &mut AsyncPgConnection,
        scope: Scope,
        actor: &Actor,
        id: FamilyId,
        input: FamilyInput,
        expected_version: Option<i32>,
    ) -> Result<i32, RegistryError> {
        let (old_record, old) = self.load(conn, scope, id).await?;
        let version = old_record.family.version;
        if expected_version.is_some_and(|v| v != version) {
            return Err(RegistryError::VersionConflict { current: version });
        }
        if old_record.family.status == FamilyStatus::Exited {
            return Err(RegistryError::AlreadyExited);
        }
        let family = input
            .validate(
                &self.district.orgs,
                &self.district.hukou_names,
                self.district.today(),
            )
            .map_err(RegistryError::Validation)?;
        // A street may not move a family out of its own scope.
        check_in_scope(scope, &family)?;
        self.check_not_registered(conn, scope, &family, Some(id))
            .await?;
        // Nothing changed: no new version, no history line.
        if family == old {
            return Ok(version);
        }
        let changes = diff(
            &old.to_masked_json(&self.district.orgs),
            &family.to_masked_json(&self.district.orgs),
        );
        let mut meta = codec::Meta::from_row(&old_record.family);
        meta.version = version + 1;
        meta.updated_at = Utc::now();
        let record = self.codec.encode(id, &family, meta)?;
        if !record.replace(conn, version).await? {
            return Err(RegistryError::VersionConflict {
                current: version + 1,
            });
        }
        self.record_change(conn, actor, &record, "update", json!(changes))
            .await?;
        audit::record(
            conn,
            self.district.id,
            actor,
            "family.update",
            "family",
            &id.to_string(),
            json!({"version": version + 1}),
        )
        .await?;
        Ok(version + 1)
    }

    /// Takes a family off the register (退出) with a reason, and tells the district office by mail.
    pub async fn exit(
        &self,
        conn: &mut AsyncPgConnection,
        scope: Scope,
        actor: &Actor,
        id: FamilyId,
        exit: Exit,
    ) -> Result<i32, RegistryError> {
        let Exit {
            reason,
            note,
            exited_on,
        } = exit;
        if reason == ExitReason::Other && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(RegistryError::Validation(single(
                "note",
                "required",
                "原因为“其他”时须说明",
            )));
        }
        let (old_record, family) = self.load(conn, scope, id).await?;
        if old_record.family.status == FamilyStatus::Exited {
            return Err(RegistryError::AlreadyExited);
        }
        let today = self.district.today();
        let exited_on = exited_on.unwrap_or(today);
        if exited_on > today {
            return Err(RegistryError::Validation(single(
                "exited_on",
                "in_future",
                format!("日期{exited_on}晚于今天{today}"),
            )));
        }
        let version = old_record.family.version;
        let mut meta = codec::Meta::from_row(&old_record.family);
        meta.version = version + 1;
        meta.updated_at = Utc::now();
        meta.status = FamilyStatus::Exited;
        meta.exit_reason = Some(reason);
        meta.exit_note = note.clone();
        meta.exited_on = Some(exited_on);
        let record = self.codec.encode(id, &family, meta)?;
        if !record.replace(conn, version).await? {
            return Err(RegistryError::VersionConflict {
                current: version + 1,
            });
        }
        let change = json!([{"field": "status", "from": "active", "to": "exited"},
                            {"field": "exit_reason", "from": null, "to": reason.as_str()},
                            {"field": "exited_on", "from": null, "to": exited_on}]);
        self.record_change(conn, actor, &record, "exit", change)
            .await?;
        audit::record(
            conn,
            self.district.id,
            actor,
            "family.exit",
            "family",
            &id.to_string(),
            json!({"reason": reason.as_str()}),
        )
        .await?;
        self.notify_office(conn, id, &family, reason, exited_on)
            .await?;
        Ok(version + 1)
    }

    async fn notify_office(
        &self,
        conn: &mut AsyncPgConnection,
        id: FamilyId,
        family: &Family,
        reason: ExitReason,
        exited_on: NaiveDate,
    ) -> Result<(), RegistryError> {
        let Some(office) = self.district.orgs.of_kind(OrgKind::DistrictOffice).next() else {
            return Ok(());
        };
        let street = self.district.orgs.name_of(family.street_id);
        let mails: Vec<NewMail> = User::emails_of_org_unit(conn, office.id)
            .await?
            .into_iter()
            .map(|to| NewMail {
                tenant_id: self.district.id,
                id: Uuid::new_v4(),
                to_address: to,
                subject: format!("【暖心】{street}一户家庭退出登记"),
                // Only the family's reference and reason: no names or identifiers in e-mail.
                body: format!(
                    "{street}的家庭（编号 {id}）已于{exited_on}退出计划生育特殊家庭登记，原因：{}。\n请登录暖心平台查看详情。",
                    reason.label()
                ),
            })
            .collect();
        if !mails.is_empty() {
            NewMail::insert_many(conn, &mails).await?;
        }
        Ok(())
    }

    /// One page of the families in scope and the total count (`known_total` spares counting again).
    pub async fn list(
        &self,
        conn: &mut AsyncPgConnection,
        scope: Scope,
        filter: &FamilyFilter,
        known_total: Option<i64>,
    ) -> Result<(Vec<(FamilyRecord, Family)>, i64), RegistryError> {
        let total = match known_total {
            Some(total) => total,
            None => FamilyRecord::count(conn, scope, filter).await?,
        };
        let records = FamilyRecord::page(conn, scope, filter).await?;
        let decoded = records
            .into_iter()
            .map(|r| self.codec.decode(&r).map(|f| (r, f)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((decoded, total))
    }

    /// The parents' names of these families in `scope`, by family, each with the parent's role, as a
    /// list shows them to the caller (`names_visible`: in full, else masked): whose a page of ledger
    /// entries is.
    pub async fn parent_names(
        &self,
        conn: &mut AsyncPgConnection,
        scope: Scope,
        ids: Vec<FamilyId>,
        names_visible: bool,
    ) -> Result<HashMap<FamilyId, Vec<(&'static str, String)>>, RegistryError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let filter = FamilyFilter {
            limit: i64::try_from(ids.len()).unwrap_or(i64::MAX),
            ids: Some(ids),
            ..FamilyFilter::default()
        };
        let (families, _) = self.list(conn, scope, &filter, Some(0)).await?;
        Ok(families
            .into_iter()
            .map(|(record, family)| {
                let names = family
                    .parents
                    .iter()
                    .map(|p| {
                        let name = if names_visible {
                            p.name.clone()
                        } else {
                            nuanxin_privacy::mask_name(&p.name)
                        };
                        (p.role.as_str(), name)
                    })
                    .collect();
                (record.family.id, names)
            })
            .collect())
    }

    /// Refuses a resident ID already on the register. Only a district-wide caller is told so plainly:
    /// anyone else learns no more than that the ID cannot be registered, not that (or where) the person
    /// is registered as a member of a special family.
    async fn check_not_registered(
        &self,
        conn: &mut AsyncPgConnection,
        scope: Scope,
        family: &Family,
        except: Option<FamilyId>,
    ) -> Result<(), RegistryError> {
        let hashes: Vec<Vec<u8>> = family
            .parents
            .iter()
            .map(|p| self.codec.resident_hash(&p.resident_id).to_vec())
            .collect();
        let taken = FamilyRecord::registered_resident_hashes(conn, &hashes, except).await?;
        let mut errors = ValidationErrors::default();
        for (i, hash) in hashes.iter().enumerate() {
            if taken.contains(hash) {
                let (code, message) = match scope {
                    Scope::District => ("already_registered", "此身份证号已在本区登记"),
                    _ => (
                        "cannot_register",
                        "此身份证号无法登记，请核对或联系区级管理员",
                    ),
                };
                errors.push(format!("parents[{i}].resident_id"), code, message);
            }
        }
        errors.into_result(()).map_err(RegistryError::Validation)
    }

    async fn record_change(
        &self,
        conn: &mut AsyncPgConnection,
        actor: &Actor,
        record: &FamilyRecord,
        action: &str,
        changes: serde_json::Value,
    ) -> Result<(), RegistryError> {
        FamilyChange {
            tenant_id: self.district.id,
            family_id: record.family.id,
            version: record.family.version,
            changed_at: record.family.updated_at,
            actor_id: actor.user_id,
            actor_name: actor.name.clone(),
            action: action.to_owned(),
            changes,
        }
        .insert(conn)
        .await?;
        Ok(())
    }
}

/// A family written by a street or community caller must stay in their own street or community.
fn check_in_scope(scope: Scope, family: &Family) -> Result<(), RegistryError> {
    let outside = match scope {
        Scope::Street(street) if family.street_id != street => {
            Some(("street", "只能登记本街道的家庭"))
        }
        Scope::Community(community) if family.community_id != community => {
            Some(("community", "只能登记本社区的家庭"))
        }
        _ => None,
    };
    match outside {
        Some((field, message)) => Err(RegistryError::Validation(single(
            field,
            "outside_scope",
            message,
        ))),
        None => Ok(()),
    }
}

fn single(field: &str, code: &'static str, message: impl Into<String>) -> ValidationErrors {
    let mut errors = ValidationErrors::default();
    errors.push(field, code, message);
    errors
}
