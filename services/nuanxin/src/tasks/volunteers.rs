//! Volunteers: created by their organization's staff (and by the street or district for independent ones),
//! listed and changed by the same; an organization sees only its own.

use chrono::Utc;
use nuanxin_db::models::tasks::{Volunteer, VolunteerUpdate};
use nuanxin_db::models::user::User;
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::tasks::input::{VolunteerInput, VolunteerSpec};
use nuanxin_ids::{OrgUnitId, UserId, VolunteerId};
use nuanxin_privacy::aad;
use serde_json::json;

use super::views::{volunteer_view, VolunteerView};
use super::{config, reach, Party, TaskError};
use crate::audit;
use crate::auth::Authorized;
use crate::state::{AppState, District, Keys};

/// The associated data of a volunteer's encrypted phone.
pub fn phone_aad(district: &District, id: VolunteerId) -> Vec<u8> {
    aad(&[
        &district.id.to_string(),
        &id.to_string(),
        "volunteers.phone",
    ])
}

/// Which volunteers the caller manages: `Some(Some(org))` an organization's, `Some(None)` the independent
/// ones (street staff), `None` all (district staff).
pub(super) async fn managed(
    conn: &mut AsyncPgConnection,
    auth: &Authorized,
) -> Result<Option<Option<OrgUnitId>>, TaskError> {
    let cfg = config(&auth.district)?;
    let place = reach(conn, auth, &cfg).await?;
    Ok(match (place.who, place.reach) {
        (Party::Organization(org), _) => Some(Some(org)),
        (Party::Staff, nuanxin_db::models::tasks::TaskReach::District) => None,
        (Party::Staff, _) => Some(None),
        (Party::Volunteer(_) | Party::Nobody, _) => return Err(TaskError::Forbidden),
    })
}

/// The organization of the input, checked against what the caller manages.
pub(super) fn organization_of(
    district: &District,
    spec: &VolunteerSpec,
    managed: Option<Option<OrgUnitId>>,
) -> Result<Option<OrgUnitId>, TaskError> {
    let org = match &spec.organization {
        None => None,
        Some(code) => Some(
            district
                .orgs
                .by_code_or_name(code, OrgKind::SocialOrg)
                .map(|u| u.id)
                .ok_or_else(|| {
                    let mut e = nuanxin_domain::ValidationErrors::default();
                    e.push("organization", "unknown_org", "本区没有该社会组织");
                    TaskError::Validation(e)
                })?,
        ),
    };
    match managed {
        // An organization's staff register their own volunteers (the field may be left out).
        Some(Some(own)) if org.is_none_or(|o| o == own) => Ok(Some(own)),
        Some(None) if org.is_none() => Ok(None),
        None => Ok(org),
        _ => Err(TaskError::Forbidden),
    }
}

pub(super) async fn user_of(
    conn: &mut AsyncPgConnection,
    spec: &VolunteerSpec,
) -> Result<Option<UserId>, TaskError> {
    match &spec.username {
        None => Ok(None),
        Some(name) => match User::by_username(conn, name).await? {
            Some(u) => Ok(Some(u.id)),
            None => {
                let mut e = nuanxin_domain::ValidationErrors::default();
                e.push("username", "unknown_user", "本区没有该账号");
                Err(TaskError::Validation(e))
            }
        },
    }
}

fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// The stored columns of a checked volunteer (the phone encrypted for this volunteer's row).
fn columns(
    keys: &Keys,
    district: &District,
    id: VolunteerId,
    spec: &VolunteerSpec,
    organization_id: Option<OrgUnitId>,
    user_id: Option<UserId>,
    active: bool,
) -> Result<VolunteerUpdate, TaskError> {
    Ok(VolunteerUpdate {
        organization_id,
        user_id,
        name: spec.name.clone(),
        email: spec.email.clone(),
        phone_enc: spec
            .phone
            .as_ref()
            .map(|p| {
                keys.cipher
                    .try_encrypt(p.as_str().as_bytes(), &phone_aad(district, id))
            })
            .transpose()?,
        skills: json_of(&spec.skills),
        qualifications: json_of(&spec.qualifications),
        latitude: spec.home.map(|h| h.lat),
        longitude: spec.home.map(|h| h.lon),
        availability: json_of(&spec.availability),
        weekly_max: spec.weekly_max as i16,
        preference: i16::from(spec.preference),
        training: json_of(&spec.training),
        active,
        updated_at: Utc::now(),
    })
}

/// A new, active volunteer's row from a checked input.
pub fn volunteer_row(
    keys: &Keys,
    district: &District,
    spec: &VolunteerSpec,
    organization_id: Option<OrgUnitId>,
    user_id: Option<UserId>,
    created_by: &str,
) -> Result<Volunteer, TaskError> {
    let id = VolunteerId::generate();
    let now = Utc::now();
    let c = columns(keys, district, id, spec, organization_id, user_id, true)?;
    Ok(Volunteer {
        tenant_id: district.id,
        id,
        organization_id: c.organization_id,
        user_id: c.user_id,
        name: c.name,
        email: c.email,
        phone_enc: c.phone_enc,
        skills: c.skills,
        qualifications: c.qualifications,
        latitude: c.latitude,
        longitude: c.longitude,
        availability: c.availability,
        weekly_max: c.weekly_max,
        preference: c.preference,
        training: c.training,
        no_shows: 0,
        active: c.active,
        created_by: created_by.to_owned(),
        created_at: now,
        updated_at: now,
    })
}

/// Registers a volunteer.
pub async fn create(
    state: &AppState,
    auth: &Authorized,
    input: VolunteerInput,
) -> Result<VolunteerView, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let spec = input.validate(&cfg, district.today())?;
    let mut tx = nuanxin_db::pool::TenantTx::begin(&state.pool, district.id).await?;
    let managed = managed(&mut tx, auth).await?;
    let organization_id = organization_of(district, &spec, managed)?;
    let user_id = user_of(&mut tx, &spec).await?;
    let row = volunteer_row(
        &state.keys,
        district,
        &spec,
        organization_id,
        user_id,
        &auth.actor.actor,
    )?;
    let id = row.id;
    row.insert(&mut tx).await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "volunteer.create",
        "volunteer",
        &id.to_string(),
        json!({"organization_id": organization_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(volunteer_view(state, district, &cfg, &row))
}

/// Replaces a volunteer the caller manages.
pub async fn update(
    state: &AppState,
    auth: &Authorized,
    id: VolunteerId,
    input: VolunteerInput,
    active: bool,
) -> Result<VolunteerView, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let spec = input.validate(&cfg, district.today())?;
    let mut tx = nuanxin_db::pool::TenantTx::begin(&state.pool, district.id).await?;
    let managed = managed(&mut tx, auth).await?;
    let current = find_managed(&mut tx, managed, id).await?;
    let organization_id = organization_of(district, &spec, managed)?;
    // A replacement that names no account keeps the one linked (the view shows only that there is one).
    let user_id = match spec.username {
        None => current.user_id,
        Some(_) => user_of(&mut tx, &spec).await?,
    };
    let change = columns(
        &state.keys,
        district,
        id,
        &spec,
        organization_id,
        user_id,
        active,
    )?;
    Volunteer::update(&mut tx, current.id, &change).await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "volunteer.update",
        "volunteer",
        &id.to_string(),
        json!({"organization_id": organization_id, "active": active}),
    )
    .await?;
    let row = Volunteer::find(&mut tx, id)
        .await?
        .ok_or(TaskError::NotFound("没有找到该志愿者"))?;
    tx.commit().await?;
    Ok(volunteer_view(state, district, &cfg, &row))
}

async fn find_managed(
    conn: &mut AsyncPgConnection,
    managed: Option<Option<OrgUnitId>>,
    id: VolunteerId,
) -> Result<Volunteer, TaskError> {
    Volunteer::find(conn, id)
        .await?
        .filter(|v| managed.is_none_or(|m| m == v.organization_id))
        .ok_or(TaskError::NotFound("没有找到该志愿者"))
}

/// One volunteer the caller manages.
pub async fn get(
    state: &AppState,
    auth: &Authorized,
    id: VolunteerId,
) -> Result<VolunteerView, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let mut tx = nuanxin_db::pool::TenantTx::begin(&state.pool, district.id).await?;
    let managed = managed(&mut tx, auth).await?;
    let row = find_managed(&mut tx, managed, id).await?;
    tx.commit().await?;
    Ok(volunteer_view(state, district, &cfg, &row))
}

/// A page of the volunteers the caller manages.
pub async fn list(
    state: &AppState,
    auth: &Authorized,
    limit: i64,
    offset: i64,
) -> Result<(Vec<VolunteerView>, i64), TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let mut tx = nuanxin_db::pool::TenantTx::begin(&state.pool, district.id).await?;
    let managed = managed(&mut tx, auth).await?;
    let (rows, total) = Volunteer::list(&mut tx, managed, limit, offset).await?;
    tx.commit().await?;
    let views = rows
        .iter()
        .map(|v| volunteer_view(state, district, &cfg, v))
        .collect();
    Ok((views, total))
}
