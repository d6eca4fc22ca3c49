//! The [`Authorizer`]: casbin decides, a per-(tenant, role, resource, action) table remembers.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use casbin::{Adapter, CoreApi, DefaultModel, Enforcer, MemoryAdapter};

use crate::rule::{bare_user, check_name, check_role_domain, check_tenant, Rule};
use crate::rule::{ANY_DOMAIN, PLATFORM_DOMAIN};
use crate::vocab::RoleSet;
use crate::{AccessError, Action, Resource, Role, RuleLine};

/// The casbin model: RBAC with domains, the tenant slug being the domain.
///
/// A p-line whose domain is `*` holds in every domain, so role permissions are written once
/// whatever the number of districts; a district's extra grants name its own domain.
/// `g(r.sub, p.sub, r.dom)` is true when `r.sub == p.sub`, so the same model answers both
/// "may role:x …" (what [`Authorizer`] asks, with g-lines kept out of casbin) and the classic
/// "may user:42 …" (what [`casbin_enforcer`] answers, with every g-line loaded).
pub const MODEL: &str = r#"[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.act == p.act && (p.dom == "*" || p.dom == r.dom) && g(r.sub, p.sub, r.dom)
"#;

const UNKNOWN: u8 = 0;
const DENY: u8 = 1;
const ALLOW: u8 = 2;
const CELLS: usize = Role::COUNT * Resource::COUNT * Action::COUNT;

/// Lazily filled decisions of one policy domain: one byte per (role, resource, action).
struct DecisionTable {
    cells: Box<[AtomicU8]>,
}

impl DecisionTable {
    fn new() -> Self {
        DecisionTable {
            cells: (0..CELLS).map(|_| AtomicU8::new(UNKNOWN)).collect(),
        }
    }

    fn cell(&self, role: Role, resource: Resource, action: Action) -> Option<&AtomicU8> {
        let index =
            (role.index() * Resource::COUNT + resource.index()) * Action::COUNT + action.index();
        self.cells.get(index)
    }

    fn filled(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.load(Ordering::Relaxed) != UNKNOWN)
            .count()
    }
}

/// The role permissions of one generation of rules.
struct Policy {
    /// Role-only enforcer (p-lines, no g-lines): small, independent of users and districts.
    enforcer: Mutex<Enforcer>,
    /// Decisions shared by every tenant without grants of its own (their answers are equal:
    /// only `*` lines match them).
    shared: DecisionTable,
    /// Decisions of each domain that has p-lines of its own (`platform`, districts with
    /// extra grants). Fixed for the generation, so the hot path never inserts.
    by_domain: HashMap<Box<str>, DecisionTable>,
    grants: Vec<RuleLine>,
    casbin_calls: AtomicU64,
}

impl Policy {
    fn table(&self, tenant: &str) -> &DecisionTable {
        if self.by_domain.is_empty() {
            return &self.shared;
        }
        self.by_domain.get(tenant).unwrap_or(&self.shared)
    }

    #[inline]
    fn decide(
        &self,
        table: &DecisionTable,
        tenant: &str,
        role: Role,
        resource: Resource,
        action: Action,
    ) -> bool {
        // Hard limits that no rule can lift: the platform operator acts only in `platform`
        // and never on family data; district roles never act in `platform`.
        if (role == Role::PlatformOperator) != (tenant == PLATFORM_DOMAIN) {
            return false;
        }
        if role == Role::PlatformOperator && resource.is_family_data() {
            return false;
        }
        let Some(cell) = table.cell(role, resource, action) else {
            return false;
        };
        match cell.load(Ordering::Relaxed) {
            ALLOW => true,
            DENY => false,
            _ => self.miss(cell, tenant, role, resource, action),
        }
    }

    #[cold]
    fn miss(
        &self,
        cell: &AtomicU8,
        tenant: &str,
        role: Role,
        resource: Resource,
        action: Action,
    ) -> bool {
        let enforcer = self.enforcer.lock().unwrap_or_else(PoisonError::into_inner);
        self.casbin_calls.fetch_add(1, Ordering::Relaxed);
        match enforcer.enforce((role.subject(), tenant, resource.as_str(), action.as_str())) {
            Ok(allowed) => {
                cell.store(if allowed { ALLOW } else { DENY }, Ordering::Relaxed);
                allowed
            }
            Err(error) => {
                tracing::error!(%error, tenant, role = role.as_str(), resource = resource.as_str(),
                    action = action.as_str(), "casbin enforce failed; refusing");
                false
            }
        }
    }
}

type Assignments = HashMap<Box<str>, HashMap<Box<str>, RoleSet>>;

struct State {
    policy: Policy,
    /// tenant → user id (without `user:`) → roles: the g-lines.
    assignments: Assignments,
}

impl State {
    fn roles(&self, tenant: &str, user: &str) -> RoleSet {
        self.assignments
            .get(tenant)
            .and_then(|users| users.get(bare_user(user)))
            .copied()
            .unwrap_or_default()
    }
}

/// Counters for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Decisions currently cached (all tables of the current rules).
    pub cached_decisions: usize,
    /// Calls to casbin's `enforce` since the rules were last loaded.
    pub casbin_calls: u64,
    /// Domains with grants of their own (each has its own table; the rest share one).
    pub own_domains: usize,
    /// Tenants with at least one assignment.
    pub tenants: usize,
    /// (tenant, user) pairs with at least one role.
    pub users: usize,
}

/// Decides whether roles may act on a resource inside a tenant. `Send + Sync`; share it
/// behind an `Arc`.
///
/// The hot path ([`allows`](Self::allows), [`check`](Self::check), [`roles_of`](Self::roles_of))
/// takes a read lock and reads atomics; casbin (behind a mutex) is consulted only the first
/// time a (tenant, role, resource, action) is asked after the rules were loaded.
pub struct Authorizer {
    state: RwLock<State>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Authorizer {
    /// Loads p-lines (role permissions) and g-lines (user roles per tenant).
    ///
    /// Every line is validated; any invalid line (unknown role, resource or action, wrong
    /// shape, `platform_operator` outside `platform`, a family grant to the platform operator)
    /// fails the whole load with [`AccessError::InvalidRule`] naming the line.
    pub async fn new(rules: Vec<RuleLine>) -> Result<Authorizer, AccessError> {
        Ok(Authorizer {
            state: RwLock::new(build(&rules).await?),
        })
    }

    /// Roles of a user in a tenant (from the g-lines). `user` with or without `user:`.
    pub fn roles_of(&self, tenant: &str, user: &str) -> Vec<Role> {
        self.read().roles(tenant, user).iter().collect()
    }

    /// The hot path: may any of these roles do `action` on `resource` in `tenant`?
    /// Cached per (tenant, role, resource, action); never errors (refuses instead).
    pub fn allows(&self, tenant: &str, roles: &[Role], resource: Resource, action: Action) -> bool {
        if !usable_tenant(tenant) || roles.is_empty() {
            return false;
        }
        let state = self.read();
        let table = state.policy.table(tenant);
        roles
            .iter()
            .any(|&role| state.policy.decide(table, tenant, role, resource, action))
    }

    /// [`roles_of`](Self::roles_of) + [`allows`](Self::allows), under one read lock and
    /// without allocating.
    pub fn check(&self, tenant: &str, user: &str, resource: Resource, action: Action) -> bool {
        if !usable_tenant(tenant) {
            return false;
        }
        let state = self.read();
        let roles = state.roles(tenant, user);
        if roles.is_empty() {
            return false;
        }
        let table = state.policy.table(tenant);
        roles
            .iter()
            .any(|role| state.policy.decide(table, tenant, role, resource, action))
    }

    /// Gives `user` the role in `tenant` and returns the g-line for the caller to persist
    /// (idempotent: assigning a held role returns the same line). Decisions stay cached:
    /// they depend on roles, not users.
    pub async fn assign_role(
        &self,
        tenant: &str,
        user: &str,
        role: Role,
    ) -> Result<RuleLine, AccessError> {
        let user = bare_user(user);
        check_assignment(tenant, user, role)?;
        let mut state = self.write();
        state
            .assignments
            .entry(tenant.into())
            .or_default()
            .entry(user.into())
            .or_default()
            .insert(role);
        Ok(RuleLine::assignment(tenant, user, role))
    }

    /// Takes the role away and returns the g-line for the caller to delete (idempotent).
    /// Takes effect for the next check.
    pub async fn revoke_role(
        &self,
        tenant: &str,
        user: &str,
        role: Role,
    ) -> Result<RuleLine, AccessError> {
        let user = bare_user(user);
        check_assignment(tenant, user, role)?;
        let mut state = self.write();
        if let Some(users) = state.assignments.get_mut(tenant) {
            if let Some(roles) = users.get_mut(user) {
                roles.remove(role);
                if roles.is_empty() {
                    users.remove(user);
                }
            }
            if users.is_empty() {
                state.assignments.remove(tenant);
            }
        }
        Ok(RuleLine::assignment(tenant, user, role))
    }

    /// Replaces every rule (e.g. after `access_rules` changed) and drops every cached
    /// decision. The new rules are validated and compiled before the swap; on error the
    /// current rules stay in force.
    pub async fn replace_rules(&self, rules: Vec<RuleLine>) -> Result<(), AccessError> {
        let fresh = build(&rules).await?;
        let old = std::mem::replace(&mut *self.write(), fresh);
        drop(old);
        Ok(())
    }

    /// The rules in force (grants, then assignments), e.g. to persist or diff them.
    pub fn rules(&self) -> Vec<RuleLine> {
        let state = self.read();
        let mut lines = state.policy.grants.clone();
        let mut assigned: Vec<RuleLine> = state
            .assignments
            .iter()
            .flat_map(|(tenant, users)| {
                users.iter().flat_map(move |(user, roles)| {
                    roles
                        .iter()
                        .map(move |role| RuleLine::assignment(tenant, user, role))
                })
            })
            .collect();
        assigned.sort();
        lines.extend(assigned);
        lines
    }

    /// Cache and assignment counters.
    pub fn stats(&self) -> CacheStats {
        let state = self.read();
        let policy = &state.policy;
        CacheStats {
            cached_decisions: policy.shared.filled()
                + policy
                    .by_domain
                    .values()
                    .map(DecisionTable::filled)
                    .sum::<usize>(),
            casbin_calls: policy.casbin_calls.load(Ordering::Relaxed),
            own_domains: policy.by_domain.len(),
            tenants: state.assignments.len(),
            users: state.assignments.values().map(HashMap::len).sum(),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

fn usable_tenant(tenant: &str) -> bool {
    !tenant.is_empty() && tenant != ANY_DOMAIN
}

fn check_assignment(tenant: &str, user: &str, role: Role) -> Result<(), AccessError> {
    check_tenant(tenant)?;
    check_name("user", user)?;
    check_role_domain(role, tenant)
}

/// Validated rules, deduplicated: casbin p-rules, the assignment index and the g-rules.
struct Validated {
    grants: BTreeSet<[String; 4]>,
    assignments: Assignments,
    g_lines: BTreeSet<[String; 3]>,
}

/// Validates the lines, splitting them into casbin p-rules and our assignment index.
fn validate(rules: &[RuleLine]) -> Result<Validated, AccessError> {
    let mut grants = BTreeSet::new();
    let mut assignments = Assignments::new();
    let mut g_lines = BTreeSet::new();
    for (index, line) in rules.iter().enumerate() {
        let rule = Rule::from_line(line).map_err(|error| AccessError::InvalidRule {
            index,
            line: line.to_csv(),
            error: Box::new(error),
        })?;
        match rule {
            Rule::Grant {
                role,
                domain,
                resource,
                action,
            } => {
                grants.insert([
                    role.subject().to_owned(),
                    domain,
                    resource.as_str().to_owned(),
                    action.as_str().to_owned(),
                ]);
            }
            Rule::Assign { user, role, tenant } => {
                g_lines.insert([
                    format!("user:{user}"),
                    role.subject().to_owned(),
                    tenant.clone(),
                ]);
                assignments
                    .entry(tenant.into_boxed_str())
                    .or_default()
                    .entry(user.into_boxed_str())
                    .or_default()
                    .insert(role);
            }
        }
    }
    Ok(Validated {
        grants,
        assignments,
        g_lines,
    })
}

async fn build(rules: &[RuleLine]) -> Result<State, AccessError> {
    let Validated {
        grants,
        assignments,
        ..
    } = validate(rules)?;
    let by_domain = grants
        .iter()
        .filter(|[_, domain, _, _]| domain != ANY_DOMAIN)
        .map(|[_, domain, _, _]| (domain.clone().into_boxed_str(), DecisionTable::new()))
        .collect();
    let grant_lines = grants
        .iter()
        .map(|values| RuleLine::new("p", values.iter().cloned()))
        .collect();
    let enforcer = new_enforcer(grants.into_iter().map(Vec::from).collect(), Vec::new()).await?;
    Ok(State {
        policy: Policy {
            enforcer: Mutex::new(enforcer),
            shared: DecisionTable::new(),
            by_domain,
            grants: grant_lines,
            casbin_calls: AtomicU64::new(0),
        },
        assignments,
    })
}

async fn new_enforcer(p: Vec<Vec<String>>, g: Vec<Vec<String>>) -> Result<Enforcer, AccessError> {
    let model = DefaultModel::from_str(MODEL).await?;
    let mut adapter = MemoryAdapter::default();
    if !p.is_empty() {
        adapter.add_policies("p", "p", p).await?;
    }
    if !g.is_empty() {
        adapter.add_policies("g", "g", g).await?;
    }
    Ok(Enforcer::new(model, adapter).await?)
}

/// A plain casbin enforcer over [`MODEL`] holding every validated line, p and g — the
/// "classic" setup (`enforce(("user:42", "xicheng", "family", "read"))`), without any cache.
/// For comparison benchmarks and differential tests; the service uses [`Authorizer`].
pub async fn casbin_enforcer(rules: &[RuleLine]) -> Result<Enforcer, AccessError> {
    let Validated {
        grants, g_lines, ..
    } = validate(rules)?;
    new_enforcer(
        grants.into_iter().map(Vec::from).collect(),
        g_lines.into_iter().map(Vec::from).collect(),
    )
    .await
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Authorizer>();
};
