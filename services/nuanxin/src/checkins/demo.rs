//! The check-ins' demo data: in the community of the demo `community` account, its first two families'
//! mothers enrolled (living alone), a neighbour helper with the demo `volunteer` account, and the first
//! of them paired with that helper. So the contract's "two eligible elders in the community of the demo
//! community account" holds, one elder is left to pair, and the helper's page shows an elder.

use chrono::{Timelike, Utc};
use diesel_async::AsyncPgConnection;
use nuanxin_access::Scope;
use nuanxin_db::models::assignment::NewAssignment;
use nuanxin_db::models::checkins::{Enrolment, HelperRow, PairingRow};
use nuanxin_db::models::family::{FamilyFilter, FamilyRecord};
use nuanxin_db::models::user::User;
use nuanxin_domain::checkins::{ConsentHow, EnrolReason};
use nuanxin_domain::tenant::TenantManifest;
use nuanxin_ids::{HelperId, PairingId};
use uuid::Uuid;

use crate::state::{District, Keys};

/// Seeds the demo pairing data of a district whose demo families were just created.
pub async fn seed(
    conn: &mut AsyncPgConnection,
    district: &District,
    keys: &Keys,
    manifest: &TenantManifest,
) -> Result<(), Box<dyn std::error::Error>> {
    let Some(ladder) = district.checkins.as_deref() else {
        return Ok(());
    };
    let accounts = manifest
        .demo
        .as_ref()
        .map(|d| d.accounts.as_slice())
        .unwrap_or(&[]);
    let code_of = |role: &str| {
        accounts
            .iter()
            .find(|a| a.role == role)
            .map(|a| a.org.as_str())
    };
    let Some(community) = code_of("community_worker").and_then(|c| district.orgs.by_code(c)) else {
        return Ok(());
    };
    let filter = FamilyFilter {
        community_id: Some(community.id),
        limit: 2,
        ..Default::default()
    };
    let families = FamilyRecord::page(conn, Scope::District, &filter).await?;
    let system = nuanxin_ids::UserId::SYSTEM;
    let now = Utc::now();
    for f in &families {
        Enrolment {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            family_id: f.family.id,
            person: "mother".into(),
            reason: EnrolReason::LivingAlone,
            note: Some("演示数据：独居".into()),
            enrolled_by: system,
            enrolled_at: now,
        }
        .insert(conn)
        .await?;
    }
    let (Some(first), Some(volunteer)) = (
        families.first(),
        User::by_username(conn, "volunteer").await?,
    ) else {
        return Ok(());
    };
    let helper = HelperId::generate();
    let (lat, lon) = (
        first.family.latitude.unwrap_or(39.94) + 0.001,
        first.family.longitude.unwrap_or(116.37),
    );
    HelperRow {
        tenant_id: district.id,
        id: helper,
        name: "邻居演示甲".into(),
        phone_enc: keys
            .cipher
            .try_encrypt(b"19900009999", &super::phone_aad(district.id, helper))?,
        community_id: community.id,
        latitude: lat,
        longitude: lon,
        user_id: Some(volunteer.id),
        max_elders: 3,
        created_by: system,
        created_at: now,
    }
    .insert(conn)
    .await?;
    let pairing = PairingId::generate();
    let today = district.today();
    let deadline = ladder.deadline();
    PairingRow {
        tenant_id: district.id,
        id: pairing,
        family_id: first.family.id,
        person: "mother".into(),
        helper_id: helper,
        elder_consent_on: today,
        elder_consent_how: ConsentHow::InPerson,
        elder_consent_by: system,
        helper_consent_on: today,
        helper_consent_how: ConsentHow::Writing,
        helper_consent_by: system,
        deadline_minute: i16::try_from(deadline.hour() * 60 + deadline.minute()).unwrap_or(600),
        days_off: nuanxin_domain::checkins::days_off_bits(ladder.days_off()),
        starts_on: today.succ_opt().unwrap_or(today),
        created_by: system,
        created_at: now,
        ended_at: None,
        ended_side: None,
        ended_reason: None,
        ended_by: None,
    }
    .insert(conn)
    .await?;
    NewAssignment {
        tenant_id: district.id,
        source: super::ASSIGNMENT_SOURCE,
        source_id: pairing.into(),
        family_id: first.family.id,
        user_id: Some(volunteer.id),
        org_unit_id: None,
    }
    .grant(conn)
    .await?;
    Ok(())
}
