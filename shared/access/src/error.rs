use crate::Role;

/// Everything that can go wrong; no variant is raised on the hot path
/// ([`crate::Authorizer::allows`] / [`crate::Authorizer::check`] answer `false` instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// A role, resource or action string outside the vocabulary.
    #[error("unknown {what} `{value}`")]
    Unknown { what: &'static str, value: String },
    /// A user id, tenant slug or domain that cannot appear in a rule.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    /// `platform_operator` outside domain `platform`, or a district role inside it.
    #[error("role `{role}` cannot be used in domain `{domain}`: platform_operator lives only in `platform`, district roles never")]
    RoleOutsideDomain { role: Role, domain: String },
    /// A line of the wrong shape.
    #[error("{0}")]
    Malformed(&'static str),
    /// A rule line given to `new`/`replace_rules` was refused; nothing was loaded.
    #[error("rule #{index} `{line}`: {error}")]
    InvalidRule {
        /// Position in the given list (0-based).
        index: usize,
        /// The line in casbin CSV form.
        line: String,
        error: Box<AccessError>,
    },
    /// casbin refused the model or the policy.
    #[error("casbin: {0}")]
    Casbin(String),
}

impl From<casbin::Error> for AccessError {
    fn from(e: casbin::Error) -> Self {
        AccessError::Casbin(e.to_string())
    }
}
