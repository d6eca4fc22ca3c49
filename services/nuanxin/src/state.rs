//! What every request can reach: the pool, the cache, the authorizer, the keys and the districts.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use nuanxin_access::Authorizer;
use nuanxin_db::DbPool;
use nuanxin_domain::hukou::DistrictNames;
use nuanxin_domain::org::OrgDirectory;
use nuanxin_ids::TenantId;
use nuanxin_privacy::{BlindIndex, FieldCipher, Keyring, Pseudonymizer};

use crate::audit::reads::ReadLog;
use crate::auth::session::Sessions;
use crate::cache::Store;
use crate::configuration::Settings;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::registry::near::NearFamilies;

/// The keys for personal data.
pub struct Keys {
    pub cipher: Keyring,
    pub blind: BlindIndex,
    pub pseudonyms: Pseudonymizer,
}

impl Keys {
    pub fn from_settings(settings: &Settings) -> Keys {
        let s = &settings.security;
        Keys {
            cipher: Keyring::new(FieldCipher::new(1, settings.key(&s.field_key))),
            blind: BlindIndex::new(settings.key(&s.blind_index_key)),
            pseudonyms: Pseudonymizer::new(settings.key(&s.pseudonym_key)),
        }
    }
}

/// A district as the service keeps it in memory.
pub struct District {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub time_zone: chrono_tz::Tz,
    pub orgs: OrgDirectory,
    /// The policy in force: the file's, with the dated parameter values the district entered since
    /// (`crate::parameters`).
    pub policy: Option<Arc<nuanxin_policy::Policy>>,
    /// The policy as its file states it, which entered values are checked against.
    pub policy_file: Option<Arc<nuanxin_policy::Policy>>,
    /// The daily check-ins' ladder and defaults (`checkins.yaml`); None when the district has none.
    pub checkins: Option<Arc<nuanxin_checkins::Ladder>>,
    /// Who approves and who pays benefit entries (tenant.yaml `payers`, `disbursing_unit`).
    pub benefit_units: BenefitUnits,
    /// Every district on the platform, by slug and Chinese name: what a household registration may name.
    pub hukou_names: Arc<DistrictNames>,
    /// What the district's departments may receive (tenants/<slug>/sharing.yaml); none without the file.
    pub sharing: Option<Arc<nuanxin_sharing::SharingRules>>,
    /// Volunteer matching (`tenants/<slug>/matching.yaml`); None where the district has no such file.
    pub matching: Option<Arc<nuanxin_domain::tasks::config::MatchingConfig>>,
    /// Holiday visits and daily contact (`visits.yaml`).
    pub visits: nuanxin_domain::visits::VisitSettings,
}

/// The org units (by code) responsible for the approval and payment steps of benefit entries.
#[derive(Debug, Clone, Default)]
pub struct BenefitUnits {
    /// Policy payer code → approving unit code.
    pub approvers: std::collections::BTreeMap<String, String>,
    /// Approves payers not listed: the district office.
    pub default_approver: String,
    /// Marks approved entries paid (区财政局).
    pub disbursing: String,
}

impl BenefitUnits {
    pub fn from_manifest(manifest: &nuanxin_domain::tenant::TenantManifest) -> BenefitUnits {
        BenefitUnits {
            approvers: manifest.payers.clone(),
            default_approver: manifest.district_office.code.clone(),
            disbursing: manifest.disbursing_unit().to_owned(),
        }
    }

    /// The unit code whose staff approve entries paid by `payer`.
    pub fn approver_of(&self, payer: &str) -> &str {
        self.approvers
            .get(payer)
            .map(String::as_str)
            .unwrap_or(self.default_approver.as_str())
    }
}

impl District {
    /// Today's date in the district.
    pub fn today(&self) -> NaiveDate {
        self.local(Utc::now()).date_naive()
    }

    /// A moment as the district's clocks show it (what people there read and write).
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
        at.with_timezone(&self.time_zone)
    }

    /// The district's offset from UTC now (its daily jobs' days begin at its midnight).
    pub fn utc_offset(&self) -> FixedOffset {
        self.local(Utc::now()).offset().fix()
    }
}

/// UTC+8, the offset of China Standard Time (and of the platform's own schedule).
pub const CHINA_STANDARD_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// All districts, by slug and by id. Reloaded when one is onboarded.
#[derive(Default)]
pub struct Districts {
    inner: RwLock<HashMap<TenantId, Arc<District>>>,
}

impl Districts {
    pub fn by_id(&self, id: TenantId) -> Option<Arc<District>> {
        self.inner.read().ok()?.get(&id).cloned()
    }

    pub fn by_slug(&self, slug: &str) -> Option<Arc<District>> {
        self.inner
            .read()
            .ok()?
            .values()
            .find(|d| d.slug == slug)
            .cloned()
    }

    pub fn all(&self) -> Vec<Arc<District>> {
        let mut all: Vec<_> = self
            .inner
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        all.sort_by(|a, b| a.slug.cmp(&b.slug));
        all
    }

    pub fn replace(&self, districts: Vec<District>) {
        if let Ok(mut map) = self.inner.write() {
            *map = districts.into_iter().map(|d| (d.id, Arc::new(d))).collect();
        }
    }
}

pub struct AppState {
    pub settings: Settings,
    pub pool: DbPool,
    pub store: Arc<Store>,
    pub sessions: Arc<Sessions>,
    pub authorizer: Arc<Authorizer>,
    pub keys: Keys,
    pub districts: Districts,
    pub metrics: Metrics,
    pub mailer: Mailer,
    pub read_log: ReadLog,
    pub near_families: Arc<NearFamilies>,
    /// Turns for imports on this node ([`crate::registry::import::IMPORTS_AT_ONCE`]).
    pub imports: tokio::sync::Semaphore,
    /// The verification rate limit's counts on this node ([`crate::sharing::limit`]).
    pub verification_limits: Arc<crate::sharing::limit::NearLimits>,
}
