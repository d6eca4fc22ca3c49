//! What every registered parent holds today, by the keyed hash of their resident ID: verification
//! queries answered from memory (issue 12 Speed), one index per district on each node.
//!
//! An index is built on a district's first question of a day, or under a new policy, by streaming the
//! register on a blocking thread (`benefits::fold_register`), while questions go on being answered
//! from the database. From then on every change of a family this node hears of (the near families'
//! listener, `registry::near`, or its own commit) takes that family out of the index, and its parents
//! are answered from the database again until the next build. Whoever is not in the index — registered
//! since, changed, exited, unknown — is asked of the database, so the index can only be incomplete,
//! never wrong. What keeps it from being wrong:
//!
//! - it answers only while this node hears of changes: losing the listening connection drops every
//!   index and stops every build, as a change may have gone unheard;
//! - a build counts as changed every family it hears of while it runs, from before it reads its first
//!   page, and leaves those out when it is installed: a change committed after the build read a family
//!   is heard after that commit, so it is never missed;
//! - it answers only for the day and the policy it was built for.

use nuanxin_ids::{FamilyId, TenantId};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use nuanxin_policy::{Evaluation, Policy, Role};

/// A keyed resident-ID hash (`registry::Codec::resident_hash`).
pub type ResidentHash = [u8; 32];

/// After a build failed, the district's questions go to the database this long before another try.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// The programs a parent holds today: their own and their household's.
pub fn held_by<'e>(
    eval: &'e Evaluation<'_>,
    role: Option<Role>,
) -> impl Iterator<Item = &'e str> + 'e {
    eval.entitlements
        .iter()
        .filter(move |e| e.person.is_none_or(|r| Some(r) == role))
        .map(|e| e.program)
}

/// What the index answers about one parent and program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The parent is in the index: of this family, entitled or not.
    Held { family: FamilyId, entitled: bool },
    /// Not in the index: ask the database.
    Ask,
    /// The district has no index for today and its policy, and none is being built: ask the
    /// database, and build one.
    Build,
}

/// Every district's index on this node.
#[derive(Default)]
pub struct HeldToday {
    districts: RwLock<Districts>,
    listening: AtomicBool,
    builds: AtomicU64,
}

#[derive(Default)]
struct Districts {
    ready: HashMap<TenantId, Index>,
    building: HashMap<TenantId, Building>,
    failed: HashMap<TenantId, Instant>,
}

struct Building {
    build: u64,
    /// Families changed since the build began: left out when it is installed.
    changed: HashSet<FamilyId>,
    /// A change of any family was heard (or one may have gone unheard): the build is not installed.
    spoiled: bool,
}

/// One district's index, for one day under one policy.
pub struct Index {
    policy: Arc<Policy>,
    day: NaiveDate,
    programs: HashMap<String, u32>,
    parents: HashMap<ResidentHash, Held>,
    families: HashMap<FamilyId, Vec<ResidentHash>>,
}

struct Held {
    family: FamilyId,
    /// Indexes into `Index::programs`, sorted.
    programs: Box<[u32]>,
}

/// How big the indexes of this node are (`/metrics`).
#[derive(Debug, Clone, Copy, Default)]
pub struct HeldStatus {
    pub districts: usize,
    pub parents: usize,
}

/// A build under way for one district: install it with [`HeldToday::install`]; dropped without, it
/// ends the build.
pub struct BuildTicket {
    held: Arc<HeldToday>,
    tenant_id: TenantId,
    build: u64,
    installed: bool,
}

impl HeldToday {
    /// What the index of `tenant_id` says about `program` for the parent of `hash`, if it was built
    /// for `day` under `policy`.
    pub fn lookup(
        &self,
        tenant_id: TenantId,
        policy: &Arc<Policy>,
        day: NaiveDate,
        hash: &ResidentHash,
        program: &str,
    ) -> Lookup {
        if !self.is_listening() {
            return Lookup::Ask;
        }
        let districts = self.read();
        match districts.ready.get(&tenant_id) {
            Some(index) if index.day == day && Arc::ptr_eq(&index.policy, policy) => {
                match index.parents.get(hash) {
                    Some(held) => Lookup::Held {
                        family: held.family,
                        entitled: index
                            .programs
                            .get(program)
                            .is_some_and(|p| held.programs.binary_search(p).is_ok()),
                    },
                    None => Lookup::Ask,
                }
            }
            _ if districts.building.contains_key(&tenant_id) => Lookup::Ask,
            _ if districts
                .failed
                .get(&tenant_id)
                .is_some_and(|at| at.elapsed() < RETRY_AFTER) =>
            {
                Lookup::Ask
            }
            _ => Lookup::Build,
        }
    }

    /// Begins a build for `tenant_id`, unless one is under way or this node is not listening.
    pub fn begin(self: &Arc<Self>, tenant_id: TenantId) -> Option<BuildTicket> {
        let mut districts = self.write();
        if !self.is_listening() || districts.building.contains_key(&tenant_id) {
            return None;
        }
        let build = self.builds.fetch_add(1, Ordering::SeqCst);
        districts.building.insert(
            tenant_id,
            Building {
                build,
                changed: HashSet::new(),
                spoiled: false,
            },
        );
        Some(BuildTicket {
            held: self.clone(),
            tenant_id,
            build,
            installed: false,
        })
    }

    /// Installs what `ticket`'s build found, less the families changed meanwhile; nothing if a change
    /// of every family was heard.
    pub fn install(
        &self,
        mut ticket: BuildTicket,
        built: IndexBuilder,
        policy: Arc<Policy>,
        day: NaiveDate,
    ) {
        ticket.installed = true;
        let mut districts = self.write();
        let Some(building) = districts.building.remove(&ticket.tenant_id) else {
            return;
        };
        districts.failed.remove(&ticket.tenant_id);
        if building.build != ticket.build || building.spoiled || !self.is_listening() {
            return;
        }
        let mut index = built.finish(policy, day);
        for family in &building.changed {
            index.forget(*family);
        }
        districts.ready.insert(ticket.tenant_id, index);
    }

    /// A build that could not finish: the district asks the database for a while.
    pub fn failed(&self, ticket: BuildTicket) {
        self.write().failed.insert(ticket.tenant_id, Instant::now());
    }

    /// A family changed (heard, or committed here): it is answered from the database from now on.
    pub fn changed(&self, tenant_id: TenantId, family: FamilyId) {
        let mut districts = self.write();
        if let Some(index) = districts.ready.get_mut(&tenant_id) {
            index.forget(family);
        }
        if let Some(building) = districts.building.get_mut(&tenant_id) {
            building.changed.insert(family);
        }
    }

    /// Any family may have changed: every index goes, every build under way is spoiled.
    pub fn changed_all(&self) {
        let mut districts = self.write();
        districts.ready.clear();
        for building in districts.building.values_mut() {
            building.spoiled = true;
        }
    }

    /// Listening from now on: nothing known before can be trusted.
    pub fn start_listening(&self) {
        self.listening.store(true, Ordering::SeqCst);
        self.changed_all();
    }

    /// Not listening any more: no answers from memory.
    pub fn stop_listening(&self) {
        self.listening.store(false, Ordering::SeqCst);
        self.changed_all();
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    pub fn status(&self) -> HeldStatus {
        let districts = self.read();
        HeldStatus {
            districts: districts.ready.len(),
            parents: districts.ready.values().map(|i| i.parents.len()).sum(),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Districts> {
        // A panic while holding the lock leaves maps that are whole (every change is one insert or
        // remove), so a poisoned lock is still used.
        self.districts.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Districts> {
        self.districts.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl BuildTicket {
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }
}

impl Drop for BuildTicket {
    fn drop(&mut self) {
        if self.installed {
            return;
        }
        let mut districts = self.held.write();
        if districts
            .building
            .get(&self.tenant_id)
            .is_some_and(|b| b.build == self.build)
        {
            districts.building.remove(&self.tenant_id);
        }
    }
}

impl Index {
    fn forget(&mut self, family: FamilyId) {
        for hash in self.families.remove(&family).unwrap_or_default() {
            self.parents.remove(&hash);
        }
    }
}

/// An index as a build collects it, family by family.
#[derive(Default)]
pub struct IndexBuilder {
    programs: HashMap<String, u32>,
    parents: HashMap<ResidentHash, Held>,
    families: HashMap<FamilyId, Vec<ResidentHash>>,
}

impl IndexBuilder {
    /// Adds a family's parents (role and hash) with what they hold under `eval`, the family's
    /// evaluation for the index's day.
    pub fn add(
        &mut self,
        family: FamilyId,
        parents: &[(Role, ResidentHash)],
        eval: &Evaluation<'_>,
    ) {
        for (role, hash) in parents {
            let mut programs: Vec<u32> = held_by(eval, Some(*role))
                .map(|program| self.program(program))
                .collect();
            programs.sort_unstable();
            programs.dedup();
            self.parents.insert(
                *hash,
                Held {
                    family,
                    programs: programs.into_boxed_slice(),
                },
            );
        }
        self.families
            .insert(family, parents.iter().map(|(_, hash)| *hash).collect());
    }

    /// How many parents it holds.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    fn program(&mut self, program: &str) -> u32 {
        if let Some(p) = self.programs.get(program) {
            return *p;
        }
        // A policy names a few dozen programs.
        let next = u32::try_from(self.programs.len()).unwrap_or(u32::MAX);
        self.programs.insert(program.to_owned(), next);
        next
    }

    fn finish(self, policy: Arc<Policy>, day: NaiveDate) -> Index {
        Index {
            policy,
            day,
            programs: self.programs,
            parents: self.parents,
            families: self.families,
        }
    }
}

#[cfg(test)]
mod tests {
    use nuanxin_policy::{Entitlement, Period};

    use super::*;

    const DAY: NaiveDate = NaiveDate::from_ymd_opt(2026, 12, 2).expect("a date");
    const MOTHER: ResidentHash = [1; 32];
    const FATHER: ResidentHash = [2; 32];

    fn policy() -> Arc<Policy> {
        let source = include_str!("../../../../tenants/xicheng/policy.yaml");
        Arc::new(Policy::parse("policy.yaml", source).expect("the district's policy"))
    }

    fn entitlement(program: &'static str, person: Option<Role>) -> Entitlement<'static> {
        Entitlement {
            program,
            person,
            amount_cny: None,
            period: Period::Year,
            payer: "district_health",
            basis: "测试",
            reasons: Vec::new(),
        }
    }

    /// A family whose mother holds `health_check` in person and both parents `holiday_visit`.
    fn built(family: FamilyId) -> IndexBuilder {
        let mut eval = Evaluation::default();
        eval.entitlements
            .push(entitlement("health_check", Some(Role::Mother)));
        eval.entitlements.push(entitlement("holiday_visit", None));
        let mut index = IndexBuilder::default();
        index.add(
            family,
            &[(Role::Mother, MOTHER), (Role::Father, FATHER)],
            &eval,
        );
        index
    }

    fn listening() -> Arc<HeldToday> {
        let held = Arc::new(HeldToday::default());
        held.start_listening();
        held
    }

    #[test]
    fn a_parent_holds_their_own_and_their_households_programs_only() {
        let (held, policy, tenant, family) = (
            listening(),
            policy(),
            TenantId::generate(),
            FamilyId::generate(),
        );
        let ask = |hash, program| held.lookup(tenant, &policy, DAY, hash, program);
        assert_eq!(ask(&MOTHER, "health_check"), Lookup::Build);
        let ticket = held.begin(tenant).expect("a build");
        assert!(held.begin(tenant).is_none(), "one build at a time");
        assert_eq!(ask(&MOTHER, "health_check"), Lookup::Ask, "while building");
        held.install(ticket, built(family), policy.clone(), DAY);
        let yes = Lookup::Held {
            family,
            entitled: true,
        };
        let no = Lookup::Held {
            family,
            entitled: false,
        };
        assert_eq!(ask(&MOTHER, "health_check"), yes);
        assert_eq!(ask(&FATHER, "health_check"), no, "the mother's, not his");
        assert_eq!(ask(&FATHER, "holiday_visit"), yes, "the household's");
        assert_eq!(ask(&MOTHER, "no_such_program"), no);
        assert_eq!(
            ask(&[3; 32], "health_check"),
            Lookup::Ask,
            "not in the index"
        );
        assert_eq!(held.status().parents, 2);
    }

    #[test]
    fn an_index_answers_only_for_its_day_and_policy() {
        let (held, policy, tenant) = (listening(), policy(), TenantId::generate());
        let ticket = held.begin(tenant).expect("a build");
        held.install(ticket, built(FamilyId::generate()), policy.clone(), DAY);
        let tomorrow = DAY.succ_opt().expect("a day");
        assert_eq!(
            held.lookup(tenant, &policy, tomorrow, &MOTHER, "health_check"),
            Lookup::Build
        );
        // The same text reloaded is another policy (its parameters may have changed).
        assert_eq!(
            held.lookup(tenant, &self::policy(), DAY, &MOTHER, "health_check"),
            Lookup::Build
        );
        assert_eq!(
            held.lookup(TenantId::generate(), &policy, DAY, &MOTHER, "health_check"),
            Lookup::Build,
            "another district has its own"
        );
    }

    #[test]
    fn a_family_changed_before_during_or_after_the_build_is_asked_of_the_database() {
        let (held, policy, tenant) = (listening(), policy(), TenantId::generate());
        let (changed_during, changed_after, untouched) = (
            FamilyId::generate(),
            FamilyId::generate(),
            FamilyId::generate(),
        );
        let ticket = held.begin(tenant).expect("a build");
        held.changed(tenant, changed_during);
        let mut index = IndexBuilder::default();
        let mut eval = Evaluation::default();
        eval.entitlements.push(entitlement("health_check", None));
        for (family, hash) in [
            (changed_during, [10; 32]),
            (changed_after, [11; 32]),
            (untouched, [12; 32]),
        ] {
            index.add(family, &[(Role::Mother, hash)], &eval);
        }
        held.install(ticket, index, policy.clone(), DAY);
        let ask = |hash| held.lookup(tenant, &policy, DAY, hash, "health_check");
        assert_eq!(ask(&[10; 32]), Lookup::Ask, "changed while the build ran");
        assert_eq!(
            ask(&[11; 32]),
            Lookup::Held {
                family: changed_after,
                entitled: true
            }
        );
        held.changed(tenant, changed_after);
        assert_eq!(ask(&[11; 32]), Lookup::Ask, "changed after");
        held.changed(TenantId::generate(), untouched);
        assert_eq!(
            ask(&[12; 32]),
            Lookup::Held {
                family: untouched,
                entitled: true
            },
            "a change in another district is not this one's"
        );
    }

    #[test]
    fn nothing_is_answered_from_memory_unless_every_change_is_heard() {
        let (held, policy, tenant) = (listening(), policy(), TenantId::generate());
        // A change of any family while building spoils the build.
        let ticket = held.begin(tenant).expect("a build");
        held.changed_all();
        held.install(ticket, built(FamilyId::generate()), policy.clone(), DAY);
        assert_eq!(
            held.lookup(tenant, &policy, DAY, &MOTHER, "health_check"),
            Lookup::Build
        );
        // Losing the listening connection drops the index and refuses builds until it is back.
        let ticket = held.begin(tenant).expect("a build");
        held.install(ticket, built(FamilyId::generate()), policy.clone(), DAY);
        held.stop_listening();
        assert_eq!(
            held.lookup(tenant, &policy, DAY, &MOTHER, "health_check"),
            Lookup::Ask
        );
        assert!(held.begin(tenant).is_none());
        held.start_listening();
        assert_eq!(
            held.lookup(tenant, &policy, DAY, &MOTHER, "health_check"),
            Lookup::Build
        );
        // A build that began before the connection was lost is not installed after it came back.
        let ticket = held.begin(tenant).expect("a build");
        held.stop_listening();
        held.start_listening();
        held.install(ticket, built(FamilyId::generate()), policy.clone(), DAY);
        assert_eq!(
            held.lookup(tenant, &policy, DAY, &MOTHER, "health_check"),
            Lookup::Build
        );
    }

    #[test]
    fn a_build_that_ends_without_installing_lets_another_begin_and_a_failed_one_waits() {
        let (held, policy, tenant) = (listening(), policy(), TenantId::generate());
        drop(held.begin(tenant).expect("a build"));
        let ticket = held.begin(tenant).expect("the next build");
        held.failed(ticket);
        assert_eq!(
            held.lookup(tenant, &policy, DAY, &MOTHER, "health_check"),
            Lookup::Ask,
            "after a failure, the database for a while"
        );
    }
}
