//! The authorization object: who is calling, in which district, with which roles and which scope —
//! built once per request by its extractor, and asked by every handler (API and console alike) before
//! it touches data. Like Lemmy's `LocalUserView` or crates.io's `AuthCheck`, it is the only way a
//! handler learns the caller's district, so a handler cannot forget the district or the scope.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{web, FromRequest, HttpRequest};
use nuanxin_access::{Action, Authorizer, Resource, Scope};
use nuanxin_db::pool::{TenantTx, TxError};

use super::Caller;
use crate::audit::Actor;
use crate::error::ApiError;
use crate::registry::view::Reveal;
use crate::state::{AppState, District};
use crate::work::Work;

/// A caller of a district (platform operators are refused: they have no district).
pub struct Authorized {
    pub caller: Caller,
    pub district: Arc<District>,
    /// The families this caller reaches.
    pub scope: Scope,
    /// How the caller appears in audit records and history.
    pub actor: Actor,
    authorizer: Arc<Authorizer>,
}

/// The caller may not do this (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

impl Authorized {
    /// Builds the object for `caller` (the console builds it from its cookie session the same way).
    pub fn new(
        state: &AppState,
        caller: Caller,
        request_id: Option<String>,
    ) -> Result<Authorized, ApiError> {
        let district = state
            .districts
            .by_id(caller.tenant_id()?)
            .ok_or(ApiError::Forbidden)?;
        let actor = Actor {
            user_id: caller.session.user_id,
            name: caller.session.display_name.clone(),
            actor: caller.actor(),
            request_id,
        };
        Ok(Authorized {
            scope: caller.family_scope(),
            district,
            actor,
            authorizer: state.authorizer.clone(),
            caller,
        })
    }

    /// Whether one of the caller's roles may do `action` on `resource` in their district.
    pub fn may(&self, resource: Resource, action: Action) -> bool {
        self.authorizer.allows(
            &self.caller.session.domain,
            &self.caller.roles,
            resource,
            action,
        )
    }

    /// 403 unless [`Authorized::may`].
    pub fn require(&self, resource: Resource, action: Action) -> Result<(), ApiError> {
        Ok(self.check(resource, action)?)
    }

    /// [`Authorized::require`] for module code: the refusal converts into the module's own error.
    pub fn check(&self, resource: Resource, action: Action) -> Result<(), Refused> {
        if self.may(resource, action) {
            Ok(())
        } else {
            Err(Refused)
        }
    }

    /// Full identifiers for callers who may see personal data; masked for everyone else.
    pub fn reveal(&self) -> Reveal {
        if self.may(Resource::FamilyPii, Action::Read) {
            Reveal::Full
        } else {
            Reveal::Masked
        }
    }

    /// The code of the caller's org unit ("" when they have none).
    pub fn unit_code(&self) -> &str {
        self.caller
            .session
            .org_unit_id
            .and_then(|id| self.district.orgs.get(id))
            .map_or("", |u| u.code.as_str())
    }

    /// Opens the request's unit of work in the caller's district.
    pub async fn begin<'s>(&self, state: &'s AppState) -> Result<Work<'s>, TxError> {
        Ok(Work::new(
            state,
            TenantTx::begin(&state.pool, self.district.id).await?,
        ))
    }
}

impl FromRequest for Authorized {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Authorized, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let request_id = crate::telemetry::request_id(req);
        let caller = Caller::from_request(req, payload);
        Box::pin(async move {
            let state = state.ok_or(ApiError::Unavailable("service not initialised"))?;
            Authorized::new(&state, caller.await?, request_id)
        })
    }
}
