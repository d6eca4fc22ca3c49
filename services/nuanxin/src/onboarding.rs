//! Onboarding a district from `tenants/<slug>/`: the tenant, its org structure, the casbin rules, and
//! (for the demo) its accounts and synthetic families. Re-running it changes nothing that exists.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use nuanxin_access::{default_role_permissions, Role, RuleLine};
use nuanxin_db::models::access_rule::AccessRule;
use nuanxin_db::models::org_unit::OrgUnit;
use nuanxin_db::models::parameter_value::ParameterValue;
use nuanxin_db::models::tenant::{DirectoryVersion, PlatformOperator, Tenant};
use nuanxin_db::models::user::User;
use nuanxin_db::pool::{DbPool, TenantTx};
use nuanxin_domain::hukou::DistrictNames;
use nuanxin_domain::org::{OrgDirectory, OrgKind, OrgUnitInfo};
use nuanxin_domain::tenant::TenantManifest;
use nuanxin_ids::{OrgUnitId, TenantId, UserId};
use uuid::Uuid;

use crate::auth::password;
use crate::state::District;

#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    #[error("{path}: {message}")]
    Manifest { path: String, message: String },
    #[error("no district folder {0}")]
    Missing(String),
    #[error("district {0} is already onboarded")]
    AlreadyOnboarded(String),
    #[error("database: {0}")]
    Database(String),
}

fn db<E: std::fmt::Display>(e: E) -> OnboardingError {
    OnboardingError::Database(e.to_string())
}

/// Where the tenants live: the configured folder, or the repository's own when run from elsewhere.
pub fn tenants_dir(configured: &Path) -> PathBuf {
    if configured.is_dir() {
        return configured.to_path_buf();
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenants"))
}

/// The slugs of every district folder.
pub fn tenant_slugs(dir: &Path) -> Vec<String> {
    let mut slugs: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("tenant.yaml").is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    slugs.sort();
    slugs
}

pub fn read_manifest(dir: &Path, slug: &str) -> Result<TenantManifest, OnboardingError> {
    let path = dir.join(slug).join("tenant.yaml");
    let text = std::fs::read_to_string(&path)
        .map_err(|_| OnboardingError::Missing(path.display().to_string()))?;
    let manifest: TenantManifest =
        serde_saphyr::from_str(&text).map_err(|e| OnboardingError::Manifest {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    manifest
        .check()
        .map_err(|message| OnboardingError::Manifest {
            path: path.display().to_string(),
            message,
        })?;
    if manifest.slug != slug {
        return Err(OnboardingError::Manifest {
            path: path.display().to_string(),
            message: format!(
                "slug '{}' differs from the folder name '{slug}'",
                manifest.slug
            ),
        });
    }
    Ok(manifest)
}

/// Reads and checks the district's policy file, if it has one.
pub fn read_policy(
    dir: &Path,
    slug: &str,
) -> Result<Option<nuanxin_policy::Policy>, OnboardingError> {
    let path = dir.join(slug).join("policy.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let name = path.display().to_string();
    nuanxin_policy::Policy::parse(&name, &text)
        .map(Some)
        .map_err(|e| OnboardingError::Manifest {
            path: name,
            message: e.to_string(),
        })
}

/// The district's codes that `sharing.yaml` may name: its org units and streets (tenant.yaml) and
/// programs (policy.yaml).
pub fn sharing_directory(
    manifest: &TenantManifest,
    policy: Option<&nuanxin_policy::Policy>,
) -> nuanxin_sharing::Directory {
    let mut dir = nuanxin_sharing::Directory::default();
    dir.org_units.insert(manifest.district_office.code.clone());
    for unit in manifest.bureaus.iter().chain(&manifest.social_orgs) {
        dir.org_units.insert(unit.code.clone());
    }
    dir.streets = manifest.streets.iter().map(|s| s.code.clone()).collect();
    if let Some(policy) = policy {
        dir.programs = policy.programs().iter().map(|p| p.code.clone()).collect();
    }
    dir
}

/// Reads and checks the district's sharing rules (`file:line: problem`); a district without the file
/// shares nothing.
pub fn read_sharing(
    dir: &Path,
    manifest: &TenantManifest,
    policy: Option<&nuanxin_policy::Policy>,
) -> Result<Option<nuanxin_sharing::SharingRules>, OnboardingError> {
    let path = dir.join(&manifest.slug).join("sharing.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let name = path.display().to_string();
    let rules =
        nuanxin_sharing::SharingRules::parse(&name, &text, &sharing_directory(manifest, policy))
            .map_err(|e| OnboardingError::Manifest {
                path: name.clone(),
                message: e.to_string(),
            })?;
    if rules.tenant != manifest.slug {
        return Err(OnboardingError::Manifest {
            path: name,
            message: format!(
                "tenant '{}' differs from the folder name '{}'",
                rules.tenant, manifest.slug
            ),
        });
    }
    Ok(Some(rules))
}

/// Reads and checks `tenants/<slug>/matching.yaml` (None when the district has none: no matching there);
/// the programs its proposals name must be the policy's.
pub fn read_matching(
    dir: &Path,
    slug: &str,
    policy: Option<&nuanxin_policy::Policy>,
) -> Result<Option<nuanxin_domain::tasks::config::MatchingConfig>, OnboardingError> {
    let path = dir.join(slug).join("matching.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let name = path.display().to_string();
    let invalid = |e: nuanxin_domain::tasks::config::ConfigError| OnboardingError::Manifest {
        path: name.clone(),
        message: e.to_string(),
    };
    let config =
        nuanxin_domain::tasks::config::MatchingConfig::parse(&name, &text).map_err(invalid)?;
    config
        .check_programs(&name, |code| {
            policy.is_some_and(|p| p.program(code).is_some())
        })
        .map_err(invalid)?;
    Ok(Some(config))
}

/// The district's visit settings (`visits.yaml`), checked; the defaults when it has none.
pub fn read_visit_settings(
    dir: &Path,
    slug: &str,
) -> Result<nuanxin_domain::visits::VisitSettings, OnboardingError> {
    let path = dir.join(slug).join("visits.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(nuanxin_domain::visits::VisitSettings::default());
    };
    let invalid = |message: String| OnboardingError::Manifest {
        path: path.display().to_string(),
        message,
    };
    let settings: nuanxin_domain::visits::VisitSettings =
        serde_saphyr::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    settings.check().map_err(invalid)?;
    Ok(settings)
}

/// Reads and checks the district's daily check-in configuration (`checkins.yaml`), if it has one.
pub fn read_checkins(
    dir: &Path,
    slug: &str,
) -> Result<Option<nuanxin_checkins::Ladder>, OnboardingError> {
    let path = dir.join(slug).join("checkins.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let name = path.display().to_string();
    nuanxin_checkins::Ladder::parse(&name, &text)
        .map(Some)
        .map_err(|e| OnboardingError::Manifest {
            path: name,
            message: e.to_string(),
        })
}

/// Checks a district folder as onboarding and every reload will: the manifest and each configuration
/// file beside it. The manifest when all of it holds.
pub fn check(dir: &Path, slug: &str) -> Result<TenantManifest, OnboardingError> {
    let manifest = read_manifest(dir, slug)?;
    check_configuration(dir, &manifest)?;
    Ok(manifest)
}

fn check_configuration(dir: &Path, manifest: &TenantManifest) -> Result<(), OnboardingError> {
    let slug = &manifest.slug;
    let policy = read_policy(dir, slug)?;
    read_checkins(dir, slug)?;
    read_sharing(dir, manifest, policy.as_ref())?;
    read_matching(dir, slug, policy.as_ref())?;
    read_visit_settings(dir, slug)?;
    if manifest.time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(OnboardingError::Manifest {
            path: format!("{slug}/tenant.yaml"),
            message: format!("time_zone: unknown time zone '{}'", manifest.time_zone),
        });
    }
    Ok(())
}

/// The district's first administrator, created with the district when the platform operator onboards it
/// (the demo's accounts come from the manifest instead).
pub struct FirstAdministrator {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
}

/// Onboards a district that does not exist yet, with its first administrator, in one transaction: the
/// district, its org structure, the account and its role, and the event in the new district's audit log.
/// Two operators onboarding one district at once make it once (the second gets `AlreadyOnboarded`).
pub async fn onboard_new(
    pool: &DbPool,
    dir: &Path,
    slug: &str,
    admin: &FirstAdministrator,
    audit: impl FnOnce(TenantId) -> nuanxin_db::models::audit::NewAuditEvent,
) -> Result<TenantId, OnboardingError> {
    let manifest = check(dir, slug)?;
    let tenant = Tenant {
        id: TenantId::generate(),
        slug: manifest.slug.clone(),
        name: manifest.name.clone(),
        time_zone: manifest.time_zone.clone(),
        created_at: Utc::now(),
    };
    let mut tx = TenantTx::begin(pool, tenant.id).await.map_err(db)?;
    if !Tenant::insert_new(&mut tx, &tenant).await.map_err(db)? {
        return Err(OnboardingError::AlreadyOnboarded(manifest.slug));
    }
    let units = org_units(&manifest, tenant.id);
    OrgUnit::insert_missing(&mut tx, &units).await.map_err(db)?;
    let office = units
        .iter()
        .find(|u| u.code == manifest.district_office.code)
        .map(|u| u.id)
        .ok_or_else(|| db("the district office was not written"))?;
    User {
        tenant_id: tenant.id,
        id: admin.id,
        username: admin.username.clone(),
        display_name: admin.display_name.clone(),
        email: admin.email.clone(),
        password_hash: admin.password_hash.clone(),
        org_unit_id: office,
        active: true,
        created_at: Utc::now(),
    }
    .insert(&mut tx)
    .await
    .map_err(db)?;
    let mut rules: Vec<AccessRule> = default_role_permissions()
        .into_iter()
        .map(|r| AccessRule::from_values(&r.ptype, &r.values))
        .collect();
    let line = RuleLine::assignment(slug, &format!("user:{}", admin.id), Role::DistrictAdmin);
    rules.push(AccessRule::from_values(&line.ptype, &line.values));
    AccessRule::insert_missing(&mut tx, &rules)
        .await
        .map_err(db)?;
    audit(tenant.id).insert(&tx).await.map_err(db)?;
    Tenant::directory_changed(&mut tx).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(tenant.id)
}

/// The demo accounts' passwords are hashed once per run.
pub struct DemoAccounts<'a> {
    pub password: &'a str,
}

/// Onboards one district: returns its id.
pub async fn onboard(
    pool: &DbPool,
    dir: &Path,
    slug: &str,
    demo: Option<&DemoAccounts<'_>>,
) -> Result<TenantId, OnboardingError> {
    let manifest = read_manifest(dir, slug)?;
    // Hashed once, and before any transaction opens: argon2 is slow on purpose.
    let demo_hash = match demo {
        Some(d) => Some(
            password::hash_blocking(d.password.to_owned())
                .await
                .map_err(db)?,
        ),
        None => None,
    };
    check_configuration(dir, &manifest)?;
    let tenant = {
        let mut conn = pool.get().await.map_err(db)?;
        Tenant::ensure(
            &mut conn,
            &Tenant {
                id: TenantId::generate(),
                slug: manifest.slug.clone(),
                name: manifest.name.clone(),
                time_zone: manifest.time_zone.clone(),
                created_at: Utc::now(),
            },
        )
        .await
        .map_err(db)?
    };
    let mut tx = TenantTx::begin(pool, tenant.id).await.map_err(db)?;
    OrgUnit::insert_missing(&mut tx, &org_units(&manifest, tenant.id))
        .await
        .map_err(db)?;
    let orgs = OrgDirectory::new(
        OrgUnit::all(&mut tx)
            .await
            .map_err(db)?
            .into_iter()
            .map(org_info)
            .collect(),
    );
    let mut rules: Vec<AccessRule> = default_role_permissions()
        .into_iter()
        .map(|r| AccessRule::from_values(&r.ptype, &r.values))
        .collect();
    if let (Some(hash), Some(spec)) = (&demo_hash, &manifest.demo) {
        for account in &spec.accounts {
            let role: Role = account
                .role
                .parse()
                .map_err(|_| OnboardingError::Manifest {
                    path: format!("tenants/{slug}/tenant.yaml"),
                    message: format!(
                        "demo account '{}' has unknown role '{}'",
                        account.username, account.role
                    ),
                })?;
            let org = orgs
                .by_code(&account.org)
                .ok_or_else(|| OnboardingError::Manifest {
                    path: format!("tenants/{slug}/tenant.yaml"),
                    message: format!("unknown org '{}'", account.org),
                })?;
            let user = User::ensure(
                &mut tx,
                &User {
                    tenant_id: tenant.id,
                    id: UserId::generate(),
                    username: account.username.clone(),
                    display_name: account.display_name.clone(),
                    email: account.email.clone(),
                    password_hash: hash.clone(),
                    org_unit_id: org.id,
                    active: true,
                    created_at: Utc::now(),
                },
            )
            .await
            .map_err(db)?;
            let line = RuleLine::assignment(slug, &format!("user:{}", user.id), role);
            rules.push(AccessRule::from_values(&line.ptype, &line.values));
        }
    }
    tx.commit().await.map_err(db)?;
    let mut conn = pool.get().await.map_err(db)?;
    AccessRule::insert_missing(&mut conn, &rules)
        .await
        .map_err(db)?;
    if let Some(hash) = demo_hash {
        PlatformOperator::ensure(
            &mut conn,
            &PlatformOperator {
                id: Uuid::new_v4(),
                username: "operator".into(),
                display_name: "平台运维".into(),
                password_hash: hash,
                created_at: Utc::now(),
            },
        )
        .await
        .map_err(db)?;
    }
    Ok(tenant.id)
}

fn org_units(manifest: &TenantManifest, tenant_id: TenantId) -> Vec<OrgUnit> {
    let unit = |kind: OrgKind, code: &str, name: &str, parent_id: Option<OrgUnitId>| OrgUnit {
        tenant_id,
        id: OrgUnitId::generate(),
        kind,
        code: code.to_owned(),
        name: name.to_owned(),
        parent_id,
    };
    let office = &manifest.district_office;
    let mut units = vec![unit(
        OrgKind::DistrictOffice,
        &office.code,
        &office.name,
        None,
    )];
    units.extend(
        manifest
            .bureaus
            .iter()
            .map(|b| unit(OrgKind::Bureau, &b.code, &b.name, None)),
    );
    units.extend(
        manifest
            .social_orgs
            .iter()
            .map(|o| unit(OrgKind::SocialOrg, &o.code, &o.name, None)),
    );
    // Parents before children, so the foreign key holds within one insert.
    let mut communities = Vec::new();
    for street in &manifest.streets {
        let s = unit(OrgKind::Street, &street.code, &street.name, None);
        communities.extend(
            street
                .communities
                .iter()
                .map(|c| unit(OrgKind::Community, &c.code, &c.name, Some(s.id))),
        );
        units.push(s);
    }
    units.extend(communities);
    units
}

fn org_info(u: OrgUnit) -> OrgUnitInfo {
    OrgUnitInfo {
        id: u.id,
        kind: u.kind,
        code: u.code,
        name: u.name,
        parent_id: u.parent_id,
    }
}

/// Loads every onboarded district with its org structure and policy.
pub async fn load_districts(pool: &DbPool, dir: &Path) -> Result<Vec<District>, OnboardingError> {
    let tenants = {
        let mut conn = pool.get().await.map_err(db)?;
        Tenant::all(&mut conn).await.map_err(db)?
    };
    let mut districts = Vec::with_capacity(tenants.len());
    for t in tenants {
        let mut tx = TenantTx::begin(pool, t.id).await.map_err(db)?;
        let units = OrgUnit::all(&mut tx).await.map_err(db)?;
        let values = ParameterValue::current(&mut tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let policy_file = read_policy(dir, &t.slug)?.map(Arc::new);
        let policy = policy_file.as_ref().map(|file| match values.is_empty() {
            true => file.clone(),
            false => Arc::new(crate::parameters::with_stored_values(
                file, &values, &t.slug,
            )),
        });
        let matching = read_matching(dir, &t.slug, policy_file.as_deref())?.map(Arc::new);
        let checkins = read_checkins(dir, &t.slug)?.map(Arc::new);
        let visits = read_visit_settings(dir, &t.slug)?;
        let manifest = read_manifest(dir, &t.slug);
        let benefit_units = match &manifest {
            Ok(manifest) => crate::state::BenefitUnits::from_manifest(manifest),
            // A district onboarded from a folder that is gone: no one approves until it is back.
            Err(_) => crate::state::BenefitUnits::default(),
        };
        let sharing = match &manifest {
            Ok(manifest) => read_sharing(dir, manifest, policy.as_deref())?,
            // Nor does anything get shared.
            Err(_) => None,
        }
        .map(Arc::new);
        let time_zone = t.time_zone.parse().map_err(|_| OnboardingError::Manifest {
            path: format!("{}/tenant.yaml", t.slug),
            message: format!("time_zone: unknown time zone '{}'", t.time_zone),
        })?;
        districts.push(District {
            id: t.id,
            slug: t.slug,
            name: t.name,
            time_zone,
            orgs: OrgDirectory::new(units.into_iter().map(org_info).collect()),
            policy,
            policy_file,
            benefit_units,
            hukou_names: Arc::default(),
            sharing,
            matching,
            visits,
            checkins,
        });
    }
    let names = Arc::new(DistrictNames::new(
        districts.iter().map(|d| (d.slug.clone(), d.name.clone())),
    ));
    for d in &mut districts {
        d.hukou_names = names.clone();
    }
    Ok(districts)
}

/// Reloads the districts and the access rules when their version ([`Tenant::directory_version`]) differs
/// from `seen` (always on the first call, which may come a few seconds after startup loaded them).
pub async fn refresh(
    state: &crate::state::AppState,
    seen: &mut Option<DirectoryVersion>,
) -> Result<(), OnboardingError> {
    let version = {
        let mut conn = state.pool.get().await.map_err(db)?;
        Tenant::directory_version(&mut conn).await.map_err(db)?
    };
    match seen {
        Some(v) if *v == version => {}
        _ => {
            let dir = tenants_dir(&state.settings.application.tenants_dir);
            state
                .districts
                .replace(load_districts(&state.pool, &dir).await?);
            state
                .authorizer
                .replace_rules(load_rules(&state.pool).await?)
                .await
                .map_err(db)?;
            tracing::info!(
                districts = state.districts.all().len(),
                "districts reloaded"
            );
            *seen = Some(version);
        }
    }
    Ok(())
}

/// The casbin lines kept in PostgreSQL.
pub async fn load_rules(pool: &DbPool) -> Result<Vec<RuleLine>, OnboardingError> {
    let mut conn = pool.get().await.map_err(db)?;
    Ok(AccessRule::all(&mut conn)
        .await
        .map_err(db)?
        .into_iter()
        .map(|r| RuleLine::new(r.ptype.clone(), r.values()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A district folder holding only `tenant.yaml` with `text`.
    fn folder(text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("nuanxin-manifest-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("somewhere")).unwrap();
        std::fs::write(dir.join("somewhere").join("tenant.yaml"), text).unwrap();
        dir
    }

    #[test]
    fn a_manifest_that_does_not_parse_is_refused_with_its_file_and_line() {
        let dir = folder("slug: somewhere\nname: 某区\nstreets: [unclosed\n");
        let err = read_manifest(&dir, "somewhere").unwrap_err().to_string();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(err.contains("somewhere/tenant.yaml"), "{err}");
        assert!(err.contains("line 3") || err.contains("3:"), "{err}");
    }
}
