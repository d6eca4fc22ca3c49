//! Table-driven tests of the access rules (no timing assertions here; see benches/check.rs).

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

use nuanxin_access::casbin::CoreApi;
use nuanxin_access::{
    casbin_enforcer, default_role_permissions, parse_rules, AccessError, Action, Authorizer,
    Resource, Role, RuleLine, ScopeKind,
};

use Action::*;
use Resource::*;
use Role::*;

/// The permissions of the product brief, written independently of role_permissions.csv.
fn expected(role: Role) -> BTreeSet<(Resource, Action)> {
    let spec: &[(Resource, &[Action])] = match role {
        DistrictAdmin => &[
            (Family, &[List, Read, Create, Update, Exit]),
            (FamilyPii, &[Read]),
            (FamilyHistory, &[Read]),
            (FamilyImport, &[Create]),
            (FamilyExport, &[Read]),
            (AuditLog, &[Read]),
            (User, &[Manage]),
            (OrgUnit, &[Read]),
            (Policy, &[Read, Evaluate, Update]),
            (Entitlement, &[Read]),
            (BenefitCycle, &[Read, Create, Approve]),
            (Mail, &[Read]),
            (CheckinHelper, &[List]),
            (Pairing, &[List, Read]),
            (CheckInAlert, &[List, Update]),
            // The data steward (issue 12): decides requests, revokes releases, never reads them.
            (DataRequest, &[List, Approve]),
            (DataRelease, &[Revoke]),
            (FamilyAccessLog, &[Read]),
            (SharingConsent, &[Update]),
            (VolunteerRecord, &[List, Read, Create, Update]),
            (ServiceTask, &[List, Read, Create]),
            (MatchingRun, &[Run, Read]),
            (VisitCampaign, &[Create, Read]),
            (ContactLog, &[List]),
            (Dashboard, &[Read]),
            (Activity, &[Create, Read]),
        ],
        // No register (issue 12): family data only through releases, verifications and entries.
        BureauStaff => &[
            (Policy, &[Read, Evaluate]),
            (BenefitCycle, &[Read, Approve, Disburse]),
            (OrgUnit, &[Read]),
            (DataRequest, &[Create, List]),
            (DataRelease, &[Read]),
            (Verification, &[Create]),
        ],
        StreetStaff => &[
            (Family, &[List, Read, Create, Update, Exit]),
            (FamilyPii, &[Read]),
            (FamilyHistory, &[Read]),
            (FamilyImport, &[Create]),
            (FamilyExport, &[Read]),
            (Entitlement, &[Read]),
            (Policy, &[Read, Evaluate]),
            (BenefitCycle, &[Read, Verify]),
            (OrgUnit, &[Read]),
            (FamilyAccessLog, &[Read]),
            (SharingConsent, &[Update]),
            (VolunteerRecord, &[List, Read, Create, Update]),
            (ServiceTask, &[List, Read, Create]),
            (MatchingRun, &[Run, Read]),
            (CheckinHelper, &[Create, List]),
            (Pairing, &[List, Read, Create, Update]),
            (CheckInAlert, &[List, Update]),
            (VisitCampaign, &[Read]),
            (Visit, &[Create]),
            (ContactLog, &[List, Create]),
            (Dashboard, &[Read]),
            (Activity, &[Create, Read]),
        ],
        CommunityWorker => &[
            (Family, &[List, Read, Update]),
            (FamilyPii, &[Read]),
            (FamilyHistory, &[Read]),
            (Entitlement, &[Read]),
            (OrgUnit, &[Read]),
            (ServiceTask, &[List, Read, Create]),
            (VisitCampaign, &[Read]),
            (Visit, &[Create]),
            (ContactLog, &[List, Create]),
            (CheckinHelper, &[Create, List]),
            (Pairing, &[List, Read, Create, Update]),
            (CheckIn, &[Create]),
            (CheckInAlert, &[List, Update]),
        ],
        // Contact persons' accounts record visits and contacts of the families linked to them.
        SocialOrgStaff => &[
            (OrgUnit, &[Read]),
            (VolunteerRecord, &[List, Read, Create, Update]),
            (ServiceTask, &[List, Read]),
            (TaskOffer, &[Respond, Assign]),
            (VisitCampaign, &[Read]),
            (Visit, &[Create]),
            (ContactLog, &[List, Create]),
        ],
        Volunteer => &[
            (OrgUnit, &[Read]),
            (ServiceTask, &[List, Read]),
            (TaskOffer, &[Respond, Report]),
            (VisitCampaign, &[Read]),
            (Visit, &[Create]),
            (ContactLog, &[List, Create]),
            (Pairing, &[List, Read]),
            (CheckIn, &[Create]),
            (CheckInAlert, &[List, Update]),
        ],
        PlatformOperator => &[(Tenant, &[List, Read, Create, Manage])],
    };
    spec.iter()
        .flat_map(|(res, acts)| acts.iter().map(move |a| (*res, *a)))
        .collect()
}

/// The domain a role works in: districts for district roles, `platform` for the operator.
fn home(role: Role, district: &str) -> &str {
    if role == PlatformOperator {
        "platform"
    } else {
        district
    }
}

fn user_of(role: Role) -> String {
    format!("u-{}", role.as_str())
}

/// Defaults + one user per role in xicheng (platform operator in `platform`) + `u-z`
/// as street staff of zhangdian.
fn demo_rules() -> Vec<RuleLine> {
    let mut rules = default_role_permissions();
    for &role in Role::ALL {
        rules.push(RuleLine::assignment(
            home(role, "xicheng"),
            &user_of(role),
            role,
        ));
    }
    rules.push(RuleLine::assignment("zhangdian", "u-z", StreetStaff));
    rules
}

async fn demo() -> Authorizer {
    match Authorizer::new(demo_rules()).await {
        Ok(a) => a,
        Err(e) => panic!("demo rules refused: {e}"),
    }
}

#[tokio::test]
async fn every_role_every_resource_and_action() {
    let authz = demo().await;
    let mut allowed = 0;
    let mut refused = 0;
    for &role in Role::ALL {
        let want = expected(role);
        let tenant = home(role, "xicheng");
        let user = user_of(role);
        for &res in Resource::ALL {
            for &act in Action::ALL {
                let should = want.contains(&(res, act));
                assert_eq!(
                    authz.allows(tenant, &[role], res, act),
                    should,
                    "allows({tenant}, {role}, {res}, {act})"
                );
                // Asked twice: the cached answer equals the first.
                assert_eq!(authz.allows(tenant, &[role], res, act), should);
                assert_eq!(
                    authz.check(tenant, &user, res, act),
                    should,
                    "check({tenant}, {user}, {res}, {act})"
                );
                if should {
                    allowed += 1;
                } else {
                    refused += 1;
                }
            }
        }
    }
    assert_eq!(allowed, 150, "150 default grants");
    assert_eq!(
        allowed + refused,
        Role::COUNT * Resource::COUNT * Action::COUNT
    );
}

#[tokio::test]
async fn representative_cases() {
    let authz = demo().await;
    let cases: &[(Role, Resource, Action, bool)] = &[
        (DistrictAdmin, User, Manage, true),
        (DistrictAdmin, Policy, Update, true),
        (DistrictAdmin, BenefitCycle, Disburse, false),
        (DistrictAdmin, Tenant, Create, false),
        (BureauStaff, BenefitCycle, Disburse, true),
        (BureauStaff, FamilyPii, Read, false),
        (BureauStaff, Family, Update, false),
        (StreetStaff, FamilyImport, Create, true),
        (StreetStaff, BenefitCycle, Verify, true),
        (StreetStaff, BenefitCycle, Approve, false),
        (StreetStaff, AuditLog, Read, false),
        (CommunityWorker, Family, Update, true),
        (CommunityWorker, Family, Create, false),
        (CommunityWorker, FamilyExport, Read, false),
        (SocialOrgStaff, OrgUnit, Read, true),
        (SocialOrgStaff, Family, Read, false),
        (Volunteer, OrgUnit, Read, true),
        (Volunteer, Family, List, false),
        (PlatformOperator, Tenant, Create, true),
        (PlatformOperator, Family, Read, false),
    ];
    for &(role, res, act, want) in cases {
        let tenant = home(role, "zhangdian");
        assert_eq!(
            authz.allows(tenant, &[role], res, act),
            want,
            "{role} {res} {act}"
        );
    }
    // Several roles: allowed if any allows.
    assert!(authz.allows("xicheng", &[Volunteer, BureauStaff], BenefitCycle, Disburse));
    assert!(!authz.allows("xicheng", &[Volunteer, SocialOrgStaff], Family, Read));
    assert!(!authz.allows("xicheng", &[], OrgUnit, Read));
}

#[tokio::test]
async fn platform_operator_never_touches_family_data() {
    let authz = demo().await;
    let op = user_of(PlatformOperator);
    for tenant in ["xicheng", "zhangdian", "platform", "nowhere"] {
        for &res in Resource::ALL.iter().filter(|r| r.is_family_data()) {
            for &act in Action::ALL {
                assert!(
                    !authz.allows(tenant, &[PlatformOperator], res, act),
                    "{tenant} {res} {act}"
                );
                assert!(!authz.check(tenant, &op, res, act), "{tenant} {res} {act}");
            }
        }
        // Nor anything at all outside `platform`.
        if tenant != "platform" {
            for &res in Resource::ALL {
                for &act in Action::ALL {
                    assert!(!authz.allows(tenant, &[PlatformOperator], res, act));
                }
            }
        }
    }
    // A rule that tries to grant it family data is refused at load.
    let mut rules = demo_rules();
    rules.push(RuleLine::grant(PlatformOperator, "platform", Family, Read));
    assert!(matches!(
        Authorizer::new(rules).await,
        Err(AccessError::InvalidRule { .. })
    ));
    // District roles do nothing in `platform`, even with explicit roles.
    for &role in Role::ALL.iter().filter(|r| **r != PlatformOperator) {
        assert!(!authz.allows("platform", &[role], OrgUnit, Read));
        assert!(!authz.allows("platform", &[role], Tenant, Read));
    }
}

#[tokio::test]
async fn roles_do_not_cross_tenants() {
    let authz = demo().await;
    let street = user_of(StreetStaff);
    assert_eq!(authz.roles_of("xicheng", &street), vec![StreetStaff]);
    assert_eq!(
        authz.roles_of("xicheng", &format!("user:{street}")),
        vec![StreetStaff]
    );
    assert!(authz.roles_of("zhangdian", &street).is_empty());
    assert!(authz.check("xicheng", &street, Family, Read));
    assert!(!authz.check("zhangdian", &street, Family, Read));
    assert!(!authz.check("zhangdian", &street, OrgUnit, Read));
    assert!(authz.check("zhangdian", "u-z", Family, Read));
    assert!(!authz.check("xicheng", "u-z", Family, Read));
    assert!(authz.roles_of("xicheng", "nobody").is_empty());
    assert!(!authz.check("xicheng", "nobody", OrgUnit, Read));
    // `*` and the empty string are no tenant.
    for tenant in ["*", ""] {
        assert!(!authz.allows(tenant, &[DistrictAdmin], Family, Read));
        assert!(!authz.check(tenant, &street, Family, Read));
    }
    // Assignments in `*` are refused.
    assert!(authz.assign_role("*", "x", StreetStaff).await.is_err());
    // One user, two tenants, different roles.
    let line = authz
        .assign_role("zhangdian", &street, CommunityWorker)
        .await;
    assert_eq!(
        line.map(|l| l.to_csv()),
        Ok(format!(
            "g, user:{street}, role:community_worker, zhangdian"
        ))
    );
    assert_eq!(authz.roles_of("zhangdian", &street), vec![CommunityWorker]);
    assert!(!authz.check("zhangdian", &street, Family, Create));
    assert!(authz.check("xicheng", &street, Family, Create));
}

#[tokio::test]
async fn district_extra_grant_stays_in_its_district() {
    let mut rules = demo_rules();
    rules.extend(parse_rules(
        "p, role:community_worker, xicheng, family_export, read\n\
         p, role:volunteer, zhangdian, family, list\n",
    ));
    let authz = Authorizer::new(rules).await.map_err(|e| e.to_string());
    let Ok(authz) = authz else {
        panic!("{authz:?}")
    };
    let cases: &[(&str, Role, Resource, Action, bool)] = &[
        ("xicheng", CommunityWorker, FamilyExport, Read, true),
        ("zhangdian", CommunityWorker, FamilyExport, Read, false),
        ("haidian", CommunityWorker, FamilyExport, Read, false),
        ("xicheng", CommunityWorker, FamilyExport, Create, false),
        ("xicheng", StreetStaff, FamilyExport, Read, true),
        ("zhangdian", Volunteer, Family, List, true),
        ("xicheng", Volunteer, Family, List, false),
        ("haidian", Volunteer, Family, List, false),
        // the shared grants still hold in districts with extras
        ("xicheng", CommunityWorker, Family, Update, true),
        ("zhangdian", Volunteer, OrgUnit, Read, true),
    ];
    // Ask in two orders so that a wrongly shared cache entry would show.
    for pass in 0..2 {
        let iter: Box<dyn Iterator<Item = _>> = if pass == 0 {
            Box::new(cases.iter())
        } else {
            Box::new(cases.iter().rev())
        };
        for &(tenant, role, res, act, want) in iter {
            assert_eq!(
                authz.allows(tenant, &[role], res, act),
                want,
                "{tenant} {role} {res} {act}"
            );
        }
    }
    let cw = user_of(CommunityWorker);
    assert!(authz.check("xicheng", &cw, FamilyExport, Read));
    assert_eq!(authz.stats().own_domains, 3, "xicheng, zhangdian, platform");
}

#[tokio::test]
async fn revoke_and_replace_invalidate() {
    let authz = demo().await;
    let street = user_of(StreetStaff);
    assert!(authz.check("xicheng", &street, Family, Update));
    let calls = authz.stats().casbin_calls;
    assert!(authz.check("xicheng", &street, Family, Update));
    assert_eq!(
        authz.stats().casbin_calls,
        calls,
        "second check is a cache hit"
    );

    // revoke: the next check refuses (decisions are per role; the user lost the role)
    let line = authz.revoke_role("xicheng", &street, StreetStaff).await;
    assert_eq!(
        line.map(|l| l.values),
        Ok(vec![
            format!("user:{street}"),
            "role:street_staff".into(),
            "xicheng".into()
        ])
    );
    assert!(!authz.check("xicheng", &street, Family, Update));
    assert!(authz.roles_of("xicheng", &street).is_empty());
    // revoking again is harmless; assigning brings it back
    assert!(authz
        .revoke_role("xicheng", &street, StreetStaff)
        .await
        .is_ok());
    assert!(authz
        .assign_role("xicheng", &street, StreetStaff)
        .await
        .is_ok());
    assert!(authz.check("xicheng", &street, Family, Update));

    // replace_rules without street_staff's `family update`: refused at once
    let rules: Vec<RuleLine> = demo_rules()
        .into_iter()
        .filter(|l| l.to_csv() != "p, role:street_staff, *, family, update")
        .collect();
    assert_eq!(rules.len(), demo_rules().len() - 1);
    assert!(authz.replace_rules(rules).await.is_ok());
    let stats = authz.stats();
    assert_eq!(
        (stats.cached_decisions, stats.casbin_calls),
        (0, 0),
        "caches dropped"
    );
    assert!(!authz.check("xicheng", &street, Family, Update));
    assert!(!authz.allows("xicheng", &[StreetStaff], Family, Update));
    assert!(authz.check("xicheng", &street, Family, Read));

    // a failing replace keeps what was in force
    let mut bad = demo_rules();
    bad.push(RuleLine::new("g", ["user:9", "role:mayor", "xicheng"]));
    assert!(authz.replace_rules(bad).await.is_err());
    assert!(!authz.check("xicheng", &street, Family, Update));
    assert!(authz.check("xicheng", &street, Family, Read));

    // replace with an empty set: nothing is allowed
    assert!(authz.replace_rules(Vec::new()).await.is_ok());
    assert!(!authz.check("xicheng", &street, Family, Read));
    assert!(!authz.allows("xicheng", &[DistrictAdmin], Family, Read));
}

#[tokio::test]
async fn bad_lines_are_errors() {
    let bad: &[(&str, &[&str])] = &[
        ("g", &["user:1", "role:mayor", "xicheng"]), // unknown role
        ("g", &["user:1", "street_staff", "xicheng"]), // no role: prefix
        ("g", &["alice", "role:street_staff", "xicheng"]), // no user: prefix
        ("g", &["role:volunteer", "role:street_staff", "xicheng"]), // no hierarchy
        ("g", &["user:1", "role:street_staff"]),     // no tenant
        ("g", &["user:1", "role:street_staff", "*"]), // every tenant
        ("g", &["user:1", "role:platform_operator", "xicheng"]), // operator in a district
        ("g", &["user:1", "role:district_admin", "platform"]), // district role in platform
        ("g", &["user:", "role:street_staff", "xicheng"]), // empty user
        ("p", &["role:street_staff", "*", "families", "read"]), // unknown resource
        ("p", &["role:street_staff", "*", "family", "delete"]), // unknown action
        ("p", &["role:boss", "*", "family", "read"]), // unknown role
        ("p", &["role:street_staff", "*", "family"]), // short
        ("p", &["role:street_staff", "*", "family", "read", "deny"]), // no effect column
        ("p", &["role:platform_operator", "*", "tenant", "read"]), // operator everywhere
        (
            "p",
            &["role:platform_operator", "platform", "family_pii", "read"],
        ),
        ("p", &["role:street_staff", "", "family", "read"]), // empty domain
        ("g2", &["user:1", "role:street_staff", "xicheng"]), // unknown ptype
    ];
    for (ptype, values) in bad {
        let line = RuleLine::new(*ptype, values.iter().copied());
        let mut rules = default_role_permissions();
        let index = rules.len();
        rules.push(line.clone());
        match Authorizer::new(rules).await {
            Err(AccessError::InvalidRule {
                index: i, line: l, ..
            }) => {
                assert_eq!((i, l), (index, line.to_csv()));
            }
            other => panic!("{line} gave {other:?}"),
        }
    }
    // Trailing empty columns (unused v4, v5) are fine.
    let ok = RuleLine::new("g", ["user:1", "role:street_staff", "xicheng", "", "", ""]);
    let authz = Authorizer::new(vec![ok]).await;
    assert!(authz.is_ok_and(|a| a.roles_of("xicheng", "1") == vec![StreetStaff]));
}

#[tokio::test]
async fn assign_validates() {
    let authz = demo().await;
    assert!(authz
        .assign_role("xicheng", "a,b", Volunteer)
        .await
        .is_err());
    assert!(authz.assign_role("xicheng", "", Volunteer).await.is_err());
    assert!(authz
        .assign_role("xicheng", "x", PlatformOperator)
        .await
        .is_err());
    assert!(authz
        .assign_role("platform", "x", DistrictAdmin)
        .await
        .is_err());
    assert!(authz
        .assign_role("bad tenant", "x", Volunteer)
        .await
        .is_err());
    let line = authz.assign_role("platform", "op2", PlatformOperator).await;
    assert_eq!(
        line.map(|l| l.to_csv()),
        Ok("g, user:op2, role:platform_operator, platform".into())
    );
    assert!(authz.check("platform", "op2", Tenant, Create));
}

/// The cached answers equal what plain casbin (all g-lines loaded, no cache) says.
#[tokio::test]
async fn same_answers_as_plain_casbin() {
    let mut rules = demo_rules();
    rules.push(RuleLine::grant(
        CommunityWorker,
        "xicheng",
        FamilyExport,
        Read,
    ));
    rules.push(RuleLine::assignment("xicheng", "multi", Volunteer));
    rules.push(RuleLine::assignment("xicheng", "multi", BureauStaff));
    let (Ok(authz), Ok(enforcer)) = (
        Authorizer::new(rules.clone()).await,
        casbin_enforcer(&rules).await,
    ) else {
        panic!("rules refused")
    };
    let mut users: Vec<String> = Role::ALL.iter().map(|r| user_of(*r)).collect();
    users.extend(["u-z".into(), "multi".into(), "nobody".into()]);
    let mut compared = 0;
    for tenant in ["xicheng", "zhangdian", "platform", "haidian"] {
        for user in &users {
            for &res in Resource::ALL {
                for &act in Action::ALL {
                    let plain = enforcer.enforce((
                        format!("user:{user}"),
                        tenant,
                        res.as_str(),
                        act.as_str(),
                    ));
                    assert_eq!(
                        Ok(authz.check(tenant, user, res, act)),
                        plain.map_err(|e| e.to_string()),
                        "{tenant} {user} {res} {act}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 4 * 10 * Resource::COUNT * Action::COUNT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_across_threads_while_rules_change() {
    let authz = Arc::new(demo().await);
    let street = user_of(StreetStaff);
    let mut workers = Vec::new();
    for _ in 0..2 {
        let authz = Arc::clone(&authz);
        let street = street.clone();
        workers.push(std::thread::spawn(move || {
            let mut yes = 0u32;
            for i in 0..20_000u32 {
                let res = Resource::ALL[i as usize % Resource::COUNT];
                // read is allowed before and after the reloads below
                assert!(authz.check("xicheng", &street, Family, Read));
                if authz.check("xicheng", &street, res, Read) {
                    yes += 1;
                }
            }
            yes
        }));
    }
    for _ in 0..5 {
        assert!(authz.replace_rules(demo_rules()).await.is_ok());
    }
    for w in workers {
        assert!(w.join().is_ok_and(|yes| yes > 0));
    }
}

#[test]
fn vocabulary_round_trips() {
    for &r in Role::ALL {
        assert_eq!(Role::from_str(r.as_str()), Ok(r));
        assert_eq!(Role::from_subject(r.subject()), Ok(r));
    }
    for &r in Resource::ALL {
        assert_eq!(r.as_str().parse::<Resource>(), Ok(r));
    }
    for &a in Action::ALL {
        assert_eq!(a.as_str().parse::<Action>(), Ok(a));
    }
    assert!("Family".parse::<Resource>().is_err());
    assert!("mayor".parse::<Role>().is_err());
    assert_eq!(
        Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        [
            "district_admin",
            "bureau_staff",
            "street_staff",
            "community_worker",
            "social_org_staff",
            "volunteer",
            "platform_operator"
        ]
    );
    let scopes: Vec<(Role, ScopeKind)> = Role::ALL.iter().map(|r| (*r, r.scope())).collect();
    assert_eq!(
        scopes,
        [
            (DistrictAdmin, ScopeKind::District),
            (BureauStaff, ScopeKind::District),
            (StreetStaff, ScopeKind::Street),
            (CommunityWorker, ScopeKind::Community),
            (SocialOrgStaff, ScopeKind::Assigned),
            (Volunteer, ScopeKind::Assigned),
            (PlatformOperator, ScopeKind::Platform),
        ]
    );
}

#[test]
fn default_permissions_file() {
    let lines = default_role_permissions();
    assert_eq!(lines.len(), 150);
    assert!(lines.iter().all(|l| l.ptype == "p" && l.values.len() == 4));
    // domain-independent, except the operator's `platform`
    for l in &lines {
        let domain = l.values[1].as_str();
        if l.values[0] == "role:platform_operator" {
            assert_eq!(domain, "platform");
        } else {
            assert_eq!(domain, "*", "{l}");
        }
    }
    // CSV round trip
    for l in &lines {
        assert_eq!(RuleLine::parse_csv_line(&l.to_csv()).as_ref(), Some(l));
    }
    assert_eq!(RuleLine::parse_csv_line("  # comment"), None);
    assert_eq!(RuleLine::parse_csv_line(""), None);
}

#[test]
fn every_role_has_its_own_chinese_title() {
    let titles: BTreeSet<&str> = Role::ALL.iter().map(|r| r.title()).collect();
    assert_eq!(titles.len(), Role::ALL.len(), "{titles:?}");
    for role in Role::ALL {
        let title = role.title();
        assert!(
            !title.is_empty()
                && title
                    .chars()
                    .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{role} → {title}"
        );
    }
    assert_eq!(Role::StreetStaff.title(), "街道工作人员");
}
