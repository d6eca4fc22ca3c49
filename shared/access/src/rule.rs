//! Rule lines (`access_rules(ptype, v0..v5)` rows, casbin CSV lines) and their validation.

use std::fmt;

use crate::vocab::{ROLE_PREFIX, USER_PREFIX};
use crate::{AccessError, Action, Resource, Role};

/// The domain of role permissions that hold in every district.
pub const ANY_DOMAIN: &str = "*";
/// The domain of the platform operator (tenant management). No district may use this slug.
pub const PLATFORM_DOMAIN: &str = "platform";

/// One casbin rule, as stored in `access_rules(ptype, v0..v5)`.
///
/// `("p", ["role:street_staff", "*", "family", "read"])` grants a permission to a role in a
/// domain (`*` = every district); `("g", ["user:42", "role:street_staff", "xicheng"])` gives a
/// user a role in one tenant. Trailing empty values (unused `v4`, `v5` columns) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleLine {
    pub ptype: String,
    pub values: Vec<String>,
}

impl RuleLine {
    pub fn new(
        ptype: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        RuleLine {
            ptype: ptype.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// `p, role:<role>, <domain>, <resource>, <action>`; `domain` is a tenant slug or `*`.
    pub fn grant(role: Role, domain: &str, resource: Resource, action: Action) -> Self {
        RuleLine::new(
            "p",
            [role.subject(), domain, resource.as_str(), action.as_str()],
        )
    }

    /// `g, user:<id>, role:<role>, <tenant>`; `user` may be given with or without `user:`.
    pub fn assignment(tenant: &str, user: &str, role: Role) -> Self {
        RuleLine::new(
            "g",
            [
                format!("{USER_PREFIX}{}", bare_user(user)),
                role.subject().to_owned(),
                tenant.to_owned(),
            ],
        )
    }

    /// Parses one casbin CSV line (`p, role:x, *, family, read`). Blank lines and `#`
    /// comments give `None`.
    pub fn parse_csv_line(line: &str) -> Option<RuleLine> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut fields = line.split(',').map(str::trim);
        let ptype = fields.next()?;
        Some(RuleLine::new(ptype, fields))
    }

    /// The casbin CSV form, e.g. `g, user:42, role:street_staff, xicheng`.
    pub fn to_csv(&self) -> String {
        self.to_string()
    }

    /// The values without trailing empty columns.
    pub(crate) fn trimmed_values(&self) -> &[String] {
        let n = self
            .values
            .iter()
            .rposition(|v| !v.is_empty())
            .map_or(0, |i| i + 1);
        &self.values[..n]
    }
}

impl fmt::Display for RuleLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ptype)?;
        for v in self.trimmed_values() {
            write!(f, ", {v}")?;
        }
        Ok(())
    }
}

/// Parses casbin CSV text (one rule per line, `#` comments) leniently; validation happens
/// when the lines are given to [`crate::Authorizer`].
pub fn parse_rules(text: &str) -> Vec<RuleLine> {
    text.lines().filter_map(RuleLine::parse_csv_line).collect()
}

pub(crate) fn bare_user(user: &str) -> &str {
    user.strip_prefix(USER_PREFIX).unwrap_or(user)
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    Grant {
        role: Role,
        domain: String,
        resource: Resource,
        action: Action,
    },
    Assign {
        user: String,
        role: Role,
        tenant: String,
    },
}

/// Checks a user id or tenant slug: non-empty, at most 128 bytes, no comma, quote,
/// whitespace or control characters (so every line survives the CSV form).
pub(crate) fn check_name(what: &'static str, value: &str) -> Result<(), AccessError> {
    let bad = |reason: &'static str| AccessError::InvalidName {
        what,
        value: value.to_owned(),
        reason,
    };
    if value.is_empty() {
        return Err(bad("empty"));
    }
    if value.len() > 128 {
        return Err(bad("longer than 128 bytes"));
    }
    if value
        .chars()
        .any(|c| c == ',' || c == '"' || c.is_whitespace() || c.is_control())
    {
        return Err(bad("contains a comma, quote, space or control character"));
    }
    Ok(())
}

/// Checks a tenant slug given to an assignment: a valid name and not `*`.
pub(crate) fn check_tenant(tenant: &str) -> Result<(), AccessError> {
    check_name("tenant", tenant)?;
    if tenant == ANY_DOMAIN {
        return Err(AccessError::InvalidName {
            what: "tenant",
            value: tenant.to_owned(),
            reason: "`*` is not a tenant; roles are assigned per district",
        });
    }
    Ok(())
}

/// The platform operator lives in `platform` only, and district roles never do.
pub(crate) fn check_role_domain(role: Role, tenant: &str) -> Result<(), AccessError> {
    let platform = tenant == PLATFORM_DOMAIN;
    if (role == Role::PlatformOperator) != platform {
        return Err(AccessError::RoleOutsideDomain {
            role,
            domain: tenant.to_owned(),
        });
    }
    Ok(())
}

impl Rule {
    pub(crate) fn from_line(line: &RuleLine) -> Result<Rule, AccessError> {
        let values = line.trimmed_values();
        match line.ptype.as_str() {
            "p" => {
                let [sub, dom, obj, act] = values else {
                    return Err(reason(
                        "a p line has 4 values: role:<role>, <domain>, <resource>, <action>",
                    ));
                };
                let role = Role::from_subject(sub)?;
                if dom != ANY_DOMAIN {
                    check_name("domain", dom)?;
                }
                let resource: Resource = obj.parse()?;
                let action: Action = act.parse()?;
                check_role_domain(role, dom)?;
                if role == Role::PlatformOperator && resource.is_family_data() {
                    return Err(reason(
                        "the platform operator may never be granted family data",
                    ));
                }
                Ok(Rule::Grant {
                    role,
                    domain: dom.clone(),
                    resource,
                    action,
                })
            }
            "g" => {
                let [user, role, tenant] = values else {
                    return Err(reason(
                        "a g line has 3 values: user:<id>, role:<role>, <tenant>",
                    ));
                };
                let Some(user) = user.strip_prefix(USER_PREFIX) else {
                    return Err(reason(
                        "a g line assigns a role to `user:<id>` (no role hierarchy)",
                    ));
                };
                check_name("user", user)?;
                if !role.starts_with(ROLE_PREFIX) {
                    return Err(reason("the second value of a g line is `role:<role>`"));
                }
                let role = Role::from_subject(role)?;
                check_tenant(tenant)?;
                check_role_domain(role, tenant)?;
                Ok(Rule::Assign {
                    user: user.to_owned(),
                    role,
                    tenant: tenant.clone(),
                })
            }
            _ => Err(reason("ptype must be `p` or `g`")),
        }
    }
}

fn reason(text: &'static str) -> AccessError {
    AccessError::Malformed(text)
}
