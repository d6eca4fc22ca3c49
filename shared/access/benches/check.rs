//! `cargo bench -p nuanxin-access --bench check` (CARGO_TARGET_DIR=/work/target-access to
//! keep off the shared target). 100 districts × 1,000 users, one role each; measures the
//! cached `check`/`allows` against uncached casbin `enforce` over the same rules.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nuanxin_access::casbin::CoreApi;
use nuanxin_access::{
    casbin_enforcer, default_role_permissions, Action, Authorizer, Resource, Role, RuleLine,
};

const DISTRICTS: usize = 100;
const USERS: usize = 1_000;
const QUERIES: usize = 1 << 16;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn rules() -> (Vec<RuleLine>, Vec<String>) {
    let district_roles: Vec<Role> = Role::ALL
        .iter()
        .copied()
        .filter(|r| *r != Role::PlatformOperator)
        .collect();
    let tenants: Vec<String> = (0..DISTRICTS).map(|d| format!("district{d:03}")).collect();
    let mut rules = default_role_permissions();
    for (d, tenant) in tenants.iter().enumerate() {
        for u in 0..USERS {
            let role = district_roles[(u * 7 + d) % district_roles.len()];
            rules.push(RuleLine::assignment(tenant, &format!("{d}-{u}"), role));
        }
        // every tenth district adds an extra grant of its own
        if d % 10 == 0 {
            rules.push(RuleLine::grant(
                Role::CommunityWorker,
                tenant,
                Resource::FamilyExport,
                Action::Read,
            ));
        }
    }
    for u in 0..10 {
        rules.push(RuleLine::assignment(
            "platform",
            &format!("op-{u}"),
            Role::PlatformOperator,
        ));
    }
    (rules, tenants)
}

struct Query {
    tenant: usize,
    user: String,
    resource: Resource,
    action: Action,
}

fn queries(rng: &mut Rng, n: usize) -> Vec<Query> {
    (0..n)
        .map(|_| {
            let tenant = rng.below(DISTRICTS);
            Query {
                tenant,
                user: format!("{tenant}-{}", rng.below(USERS)),
                resource: Resource::ALL[rng.below(Resource::COUNT)],
                action: Action::ALL[rng.below(Action::COUNT)],
            }
        })
        .collect()
}

fn per_op(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_secs_f64() * 1e9 / ops as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep it short then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick { 1 } else { 30 };
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let (rules, tenants) = rules();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let qs = queries(&mut rng, if quick { 1_000 } else { QUERIES });
    println!(
        "rules: {} lines ({} p-lines), {} districts x {} users",
        rules.len(),
        rules.iter().filter(|r| r.ptype == "p").count(),
        DISTRICTS,
        USERS
    );

    let t = Instant::now();
    let authz = Arc::new(rt.block_on(Authorizer::new(rules.clone()))?);
    println!(
        "Authorizer::new            {:>10.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    // cold: every query of the first sweep may miss
    let t = Instant::now();
    let mut allowed = 0usize;
    for q in &qs {
        allowed += usize::from(authz.check(&tenants[q.tenant], &q.user, q.resource, q.action));
    }
    let cold = t.elapsed();
    let stats = authz.stats();
    println!(
        "check, first sweep        {:>10.1} ns/op ({} casbin calls, {} decisions cached, {} of {} allowed)",
        per_op(cold, qs.len()),
        stats.casbin_calls,
        stats.cached_decisions,
        allowed,
        qs.len()
    );

    // warm, one thread
    let t = Instant::now();
    let mut n = 0usize;
    for _ in 0..rounds {
        for q in &qs {
            n += usize::from(black_box(authz.check(
                black_box(&tenants[q.tenant]),
                black_box(&q.user),
                q.resource,
                q.action,
            )));
        }
    }
    let ops = rounds * qs.len();
    println!(
        "check (cached)            {:>10.1} ns/op ({ops} checks, {n} allowed)",
        per_op(t.elapsed(), ops)
    );

    // one user, varying (resource, action): the cost when the user's entry is in cache
    let hot = qs.first().ok_or("no queries")?;
    let t = Instant::now();
    for _ in 0..rounds {
        for q in &qs {
            black_box(authz.check(
                black_box(&tenants[hot.tenant]),
                black_box(&hot.user),
                q.resource,
                q.action,
            ));
        }
    }
    println!(
        "check (cached, hot user)  {:>10.1} ns/op",
        per_op(t.elapsed(), ops)
    );

    let roles: Vec<Vec<Role>> = qs
        .iter()
        .map(|q| authz.roles_of(&tenants[q.tenant], &q.user))
        .collect();
    let t = Instant::now();
    for _ in 0..rounds {
        for (q, r) in qs.iter().zip(&roles) {
            black_box(authz.allows(
                black_box(&tenants[q.tenant]),
                black_box(r),
                q.resource,
                q.action,
            ));
        }
    }
    println!(
        "allows (cached)           {:>10.1} ns/op",
        per_op(t.elapsed(), ops)
    );

    let t = Instant::now();
    for _ in 0..rounds {
        for q in &qs {
            black_box(authz.roles_of(black_box(&tenants[q.tenant]), black_box(&q.user)));
        }
    }
    println!(
        "roles_of                  {:>10.1} ns/op",
        per_op(t.elapsed(), ops)
    );

    // warm, two threads at once (the machine has two cores)
    let qs = Arc::new(qs);
    let tenants = Arc::new(tenants);
    let t = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (authz, qs, tenants) = (Arc::clone(&authz), Arc::clone(&qs), Arc::clone(&tenants));
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    for q in qs.iter() {
                        black_box(authz.check(&tenants[q.tenant], &q.user, q.resource, q.action));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| "bench thread panicked")?;
    }
    let elapsed = t.elapsed();
    println!(
        "check, 2 threads          {:>10.1} ns/op per thread, {:.1} M checks/s total",
        per_op(elapsed, ops),
        2.0 * ops as f64 / elapsed.as_secs_f64() / 1e6
    );

    // reload: what replace_rules costs, then the miss path again
    let t = Instant::now();
    rt.block_on(authz.replace_rules(rules.clone()))?;
    println!(
        "replace_rules             {:>10.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let mut misses = 0u64;
    for tenant in ["district000", "district001"] {
        for &role in Role::ALL.iter().filter(|r| **r != Role::PlatformOperator) {
            for &res in Resource::ALL {
                for &act in Action::ALL {
                    black_box(authz.allows(tenant, &[role], res, act));
                    misses += 1;
                }
            }
        }
    }
    let calls = authz.stats().casbin_calls;
    println!(
        "miss (role-only casbin)   {:>10.1} ns/op ({calls} casbin calls in {misses} allows)",
        per_op(t.elapsed(), usize::try_from(calls)?.max(1)),
    );

    // plain casbin: every g-line loaded, no cache
    let t = Instant::now();
    let enforcer = rt.block_on(casbin_enforcer(&rules))?;
    println!(
        "casbin enforcer build     {:>10.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let n = if quick { 100 } else { 20_000 };
    let t = Instant::now();
    let mut allowed_plain = 0usize;
    for q in qs.iter().take(n) {
        let user = format!("user:{}", q.user);
        allowed_plain += usize::from(enforcer.enforce((
            user.as_str(),
            tenants[q.tenant].as_str(),
            q.resource.as_str(),
            q.action.as_str(),
        ))?);
    }
    println!(
        "casbin enforce (uncached) {:>10.1} ns/op ({n} calls, {allowed_plain} allowed)",
        per_op(t.elapsed(), n)
    );
    let agree = qs
        .iter()
        .take(n)
        .filter(|q| authz.check(&tenants[q.tenant], &q.user, q.resource, q.action))
        .count();
    if agree != allowed_plain {
        return Err(format!("check allowed {agree}, casbin {allowed_plain}").into());
    }
    Ok(())
}
