//! Synthetic demo families: plainly fictional names (…演示…), resident IDs in the unassigned region 99,
//! phone numbers 199-0000-xxxx. Deterministic per district, so every demo looks the same.

use chrono::{Datelike, Duration, NaiveDate};
use nuanxin_domain::family::{
    Care, Child, ContactCategory, ContactInput, Coordinates, FamilyInput, FamilyKind, Household,
    ParentInput, ParentRole, Rebirth, SelfCare,
};
use nuanxin_domain::tenant::TenantManifest;
use nuanxin_privacy::check_digit;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const NUMERALS: [&str; 10] = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"];

/// A fictional resident ID born on `birth`, female or male, with a valid check digit.
pub fn fictional_resident_id(serial: u32, birth: NaiveDate, female: bool) -> String {
    let order = (serial % 500) * 2 + u32::from(!female);
    let first17 = format!("990101{}{:03}", birth.format("%Y%m%d"), order % 1000);
    let check = check_digit(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// `count` families over the manifest's demo streets, as they would be submitted.
pub fn families(manifest: &TenantManifest, count: usize, today: NaiveDate) -> Vec<FamilyInput> {
    let seed = manifest
        .slug
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut rng = StdRng::seed_from_u64(seed);
    let streets: Vec<_> = match manifest.demo.as_ref().map(|d| &d.family_streets) {
        Some(codes) if !codes.is_empty() => manifest
            .streets
            .iter()
            .filter(|s| codes.contains(&s.code))
            .collect(),
        _ => manifest.streets.iter().collect(),
    };
    (0..count)
        .map(|i| {
            let street = streets[i % streets.len()];
            let community = &street.communities[(i / streets.len()) % street.communities.len()];
            let surname = SURNAMES[i % SURNAMES.len()];
            let numeral = NUMERALS[(i / SURNAMES.len()) % NUMERALS.len()];
            // Mothers from 41 to 78, so every age-based program has someone on each side.
            let mother_age = 41 + (i as i32 * 7) % 38;
            let mother_birth = date(
                today.year() - mother_age,
                1 + (i as u32 % 12),
                1 + (i as u32 * 3 % 28),
            );
            let father_birth = mother_birth - Duration::days(365 * 2 + 40);
            let bereaved = i % 4 != 3;
            let widowed = i % 5 == 0;
            let self_care = [
                SelfCare::Full,
                SelfCare::Full,
                SelfCare::Partial,
                SelfCare::None,
            ][i % 4];
            let child = if bereaved {
                Child::Deceased {
                    died_on: date(today.year() - 1 - (i as i32 % 15), 3, 1 + (i as u32 % 27)),
                }
            } else {
                Child::Disabled {
                    disability_grade: 1 + (i as i16 % 3),
                    certified_on: date(today.year() - (i as i32 % 6), 5, 10),
                }
            };
            let (lat, lon) = street.centre.map(|[a, b]| (a, b)).unwrap_or((39.9, 116.4));
            let parent =
                |role: ParentRole, birth: NaiveDate, serial: u32, alive: bool| ParentInput {
                    role,
                    name: format!(
                        "{surname}演示{numeral}{}",
                        if role == ParentRole::Mother {
                            "娘"
                        } else {
                            "翁"
                        }
                    ),
                    resident_id: fictional_resident_id(serial, birth, role == ParentRole::Mother),
                    phone: Some(format!("1990000{:04}", serial % 10_000)),
                    birth_date: None,
                    alive,
                    self_care,
                    sanwu: i % 11 == 0,
                    care: if i % 6 == 0 {
                        Care::NursingHome
                    } else {
                        Care::Home
                    },
                    nursing_home_in_district: i % 6 == 0,
                    major_illness_hospitalized_on: None,
                    out_of_pocket_medical_cny: 0,
                    fertility_treatment_since: None,
                    wants_home_services: i % 3 == 0,
                    // Fictional: no bank issues numbers starting 9999.
                    bank_name: Some(format!("演示银行{}支行", street.name)),
                    bank_account: Some(format!("9999{serial:015}")),
                };
            let serial = i as u32 * 2;
            let mut parents = vec![parent(ParentRole::Mother, mother_birth, serial, true)];
            parents.push(parent(
                ParentRole::Father,
                father_birth,
                serial + 1,
                !widowed,
            ));
            let contacts = [
                ("街道联系人", ContactCategory::StreetCadre),
                ("社区联系人", ContactCategory::VillageCadre),
                ("家庭医生", ContactCategory::FamilyDoctor),
                ("网格员", ContactCategory::GridWorker),
            ]
            .iter()
            .take(3 + i % 2)
            .enumerate()
            .map(|(k, (who, category))| ContactInput {
                name: format!("{who}演示{}", k + 1),
                category: *category,
                phone: Some(format!("1990001{:04}", (i * 5 + k) % 10_000)),
            })
            .collect();
            FamilyInput {
                kind: if bereaved {
                    FamilyKind::Bereaved
                } else {
                    FamilyKind::Disabled
                },
                hukou_district: manifest.slug.clone(),
                street: street.code.clone(),
                community: community.code.clone(),
                address: format!("{}{}演示楼{}号", street.name, community.name, 1 + i),
                coordinates: Some(Coordinates {
                    lat: lat + rng.gen_range(-0.01..0.01),
                    lon: lon + rng.gen_range(-0.01..0.01),
                }),
                child,
                parents,
                household: Household {
                    monthly_income_per_capita_cny: [1200, 1800, 2400, 3200, 5000][i % 5],
                    prior_year_total_income_cny: [24_000, 36_000, 60_000, 80_000][i % 4],
                },
                rebirth: Rebirth::default(),
                contacts,
            }
        })
        .collect()
}

/// The demo's holiday visits: the demo `volunteer` account made a contact person of the district's first
/// six families, and — where the policy has holiday visits — the Mid-Autumn campaign of the latest year
/// whose festival the policy covers (Zhangdian: 2025), so the visit pages have something to show.
pub async fn visits(
    access: crate::benefits::Access,
    district: &crate::state::District,
    actor: &crate::audit::Actor,
) -> Result<(), Box<dyn std::error::Error>> {
    use chrono::Datelike;
    use nuanxin_db::models::visits::ContactAccount;
    let mut tx = nuanxin_db::pool::TenantTx::begin(access.pool(), district.id).await?;
    let volunteer = nuanxin_db::models::user::User::by_username(&mut tx, "volunteer").await?;
    let filter = nuanxin_db::models::family::FamilyFilter {
        limit: 6,
        ..Default::default()
    };
    let first = nuanxin_db::models::family::FamilyRecord::page(
        &mut tx,
        nuanxin_access::Scope::District,
        &filter,
    )
    .await?;
    if let Some(volunteer) = volunteer {
        for record in &first {
            ContactAccount {
                tenant_id: district.id,
                family_id: record.family.id,
                user_id: volunteer.id,
                created_by: actor.actor.clone(),
                created_at: chrono::Utc::now(),
            }
            .link(&mut tx)
            .await?;
        }
    }
    tx.commit().await?;
    let program = "holiday_visit_mid_autumn";
    if district
        .policy
        .as_ref()
        .and_then(|p| p.program(program))
        .is_none()
    {
        return Ok(());
    }
    let this_year = district.today().year();
    for year in (this_year - 5..=this_year).rev() {
        match crate::visits::campaign::generate(access.clone(), district, actor, program, year)
            .await
        {
            Ok(_) => return Ok(()),
            Err(crate::visits::VisitError::NotInForce(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
