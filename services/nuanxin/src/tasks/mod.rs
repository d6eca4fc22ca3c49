//! Service tasks and volunteer matching, the service layer: who reaches which tasks ([`reach`]), the
//! volunteers, the tasks, the matching run over the pure cost model (`nuanxin_domain::tasks::cost`), the
//! offers' transitions (`nuanxin_domain::tasks::OfferAction::apply`) and the mail they cause, through
//! notices grouped per person ([`notices`]); and tasks proposed from the families' entitlements
//! ([`proposals`]).
//!
//! A social organization reaches the tasks offered to it and a volunteer the tasks they were given, and only
//! until the district's `closed_visible_days` after the task closed; what they see of the household is what
//! the task needs ([`views`]), and every view of a task is in the audit log.

pub mod cancel;
pub mod demo;
pub mod hours;
pub mod import;
pub mod matching;
pub mod notices;
pub mod offers;
pub mod proposals;
pub mod service_tasks;
pub mod views;
pub mod volunteers;

use nuanxin_ids::{OrgUnitId, VolunteerId};
use std::sync::Arc;

use chrono::{Duration, Utc};
use nuanxin_access::{Role, Scope};
use nuanxin_db::models::tasks::{TaskReach, Volunteer};
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::tasks::config::MatchingConfig;
use nuanxin_domain::tasks::Refusal;
use nuanxin_domain::ValidationErrors;

use crate::auth::Authorized;
use crate::state::{AppState, District};

/// The tasks layer's errors (mapped to HTTP in `crate::error`).
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("本区尚未配置志愿服务匹配")]
    NotConfigured,
    #[error("{0:?}")]
    Validation(ValidationErrors),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// A question that cannot be asked as given (400 naming the field).
    #[error("{message}")]
    BadInput {
        code: &'static str,
        field: &'static str,
        message: &'static str,
    },
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Tx(#[from] nuanxin_db::pool::TxError),
    #[error(transparent)]
    Engine(#[from] nuanxin_matching::ProblemError),
    #[error(transparent)]
    Worker(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Cipher(#[from] nuanxin_privacy::CipherError),
    #[error(transparent)]
    Sheet(#[from] nuanxin_sheets::SheetError),
    #[error("the read log is full")]
    ReadLogFull(#[from] crate::audit::reads::ReadLogFull),
    /// Reading the register for proposals.
    #[error(transparent)]
    Benefit(#[from] crate::benefits::BenefitError),
    /// A volunteer file with bad rows (nothing of it was written).
    #[error("{} errors in the file", .0.total())]
    Import(crate::registry::import::RowErrors),
}

impl From<crate::auth::authorized::Refused> for TaskError {
    fn from(_: crate::auth::authorized::Refused) -> TaskError {
        TaskError::Forbidden
    }
}

impl From<ValidationErrors> for TaskError {
    fn from(e: ValidationErrors) -> TaskError {
        TaskError::Validation(e)
    }
}

/// The district's matching configuration, or the refusal that it has none.
pub fn config(district: &District) -> Result<Arc<MatchingConfig>, TaskError> {
    district.matching.clone().ok_or(TaskError::NotConfigured)
}

/// Who the caller is to the tasks module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// District, street or community staff: households of their area.
    Staff,
    /// Staff of a social organization.
    Organization(OrgUnitId),
    /// A volunteer with a volunteer record.
    Volunteer(VolunteerId),
    Nobody,
}

/// The caller's place: their reach over tasks and what they are.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub reach: TaskReach,
    pub who: Party,
}

/// The caller's reach as staff who run matching: the district's or their street's (others are
/// refused).
pub async fn staff_reach(state: &AppState, auth: &Authorized) -> Result<TaskReach, TaskError> {
    let cfg = config(&auth.district)?;
    let mut tx = auth.begin(state).await?;
    let place = reach(&mut tx, auth, &cfg).await?;
    drop(tx);
    match place.reach {
        r @ (TaskReach::District | TaskReach::Street(_)) => Ok(r),
        _ => Err(TaskError::Forbidden),
    }
}

/// Resolves the caller's reach: staff by their family scope; social organization staff by their unit;
/// volunteers by their volunteer record (none: nothing).
pub async fn reach(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
    cfg: &MatchingConfig,
) -> Result<Place, TaskError> {
    let since = Utc::now() - Duration::days(i64::from(cfg.closed_visible_days));
    let staff = |reach| Place {
        reach,
        who: Party::Staff,
    };
    Ok(match auth.scope {
        Scope::District => staff(TaskReach::District),
        Scope::Street(s) => staff(TaskReach::Street(s)),
        Scope::Community(c) => staff(TaskReach::Community(c)),
        Scope::Assigned { user, org_unit } => {
            let org = org_unit
                .filter(|_| auth.caller.roles.contains(&Role::SocialOrgStaff))
                .filter(|u| {
                    auth.district
                        .orgs
                        .get(*u)
                        .is_some_and(|u| u.kind == OrgKind::SocialOrg)
                });
            match org {
                Some(org) => Place {
                    reach: TaskReach::Organization { org, since },
                    who: Party::Organization(org),
                },
                None if auth.caller.roles.contains(&Role::Volunteer) => {
                    match Volunteer::of_user(conn, user).await? {
                        Some(v) => Place {
                            reach: TaskReach::Volunteer {
                                volunteer: v.id,
                                since,
                            },
                            who: Party::Volunteer(v.id),
                        },
                        None => Place {
                            reach: TaskReach::Nothing,
                            who: Party::Nobody,
                        },
                    }
                }
                None => Place {
                    reach: TaskReach::Nothing,
                    who: Party::Nobody,
                },
            }
        }
        Scope::Nothing => Place {
            reach: TaskReach::Nothing,
            who: Party::Nobody,
        },
    })
}

/// The moment a local day of the district begins.
pub fn day_start(district: &District, day: chrono::NaiveDate) -> Option<chrono::DateTime<Utc>> {
    service_tasks::moment(district, day.and_time(chrono::NaiveTime::MIN))
}
