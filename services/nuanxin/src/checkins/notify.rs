//! The check-ins' mail: to whom each alert, all-clear, silence flag, emergency and stalled sweep goes,
//! and what it says. Written to the outbox in the transaction that raised it, so a message exists
//! exactly when its cause was committed. No names or identifiers of the elder in mail: the community,
//! the pairing's reference and what to do, the rest is on the platform.

use nuanxin_ids::{FamilyId, HelperId, OrgUnitId, PairingId, UserId};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use nuanxin_checkins::RecipientKind;
use nuanxin_db::models::checkins::{
    emails_by_unit, emails_of_contacts, emails_of_users, family_units, AlertRow, EmergencyRow,
    FamilyUnits, HelperRow, PairingRow, SweepRow,
};
use nuanxin_db::models::mail::NewMail;
use nuanxin_domain::org::OrgKind;
use uuid::Uuid;

use crate::state::District;

/// Who gets the mail of a page of pairings: loaded once per sweep transaction.
pub struct Addresses {
    by_unit: HashMap<OrgUnitId, Vec<String>>,
    helper_of_pairing: HashMap<PairingId, HelperId>,
    helper_email: HashMap<HelperId, String>,
    family_of_pairing: HashMap<PairingId, FamilyUnits>,
    district_office: Option<OrgUnitId>,
}

impl Addresses {
    /// The addresses for these pairings (their helpers, communities, streets, the district office).
    pub async fn load(
        conn: &mut AsyncPgConnection,
        district: &District,
        pairings: &[PairingRow],
    ) -> diesel::QueryResult<Addresses> {
        let mut by_unit: HashMap<OrgUnitId, Vec<String>> = HashMap::new();
        for (unit, email) in emails_by_unit(conn).await? {
            by_unit.entry(unit).or_default().push(email);
        }
        let family_ids: Vec<FamilyId> = pairings.iter().map(|p| p.family_id).collect();
        let units: HashMap<FamilyId, FamilyUnits> = family_units(conn, &family_ids)
            .await?
            .into_iter()
            .map(|f| (f.id, f))
            .collect();
        let family_of_pairing = pairings
            .iter()
            .filter_map(|p| units.get(&p.family_id).map(|u| (p.id, *u)))
            .collect();
        let helper_ids: Vec<HelperId> = pairings.iter().map(|p| p.helper_id).collect();
        let helpers = HelperRow::of_ids(conn, &helper_ids).await?;
        let accounts: Vec<UserId> = helpers.iter().filter_map(|h| h.user_id).collect();
        let user_email: HashMap<UserId, String> = emails_of_users(conn, &accounts)
            .await?
            .into_iter()
            .collect();
        let helper_email = helpers
            .iter()
            .filter_map(|h| {
                let email = user_email.get(&h.user_id?)?;
                Some((h.id, email.clone()))
            })
            .collect();
        Ok(Addresses {
            by_unit,
            helper_of_pairing: pairings.iter().map(|p| (p.id, p.helper_id)).collect(),
            helper_email,
            family_of_pairing,
            district_office: district_office(district),
        })
    }

    /// The addresses for a page of the sweep, whose rows carry their family's units and their
    /// helper's address: only the district's addresses by unit are read here.
    pub async fn of_sweep(
        conn: &mut AsyncPgConnection,
        district: &District,
        rows: &[SweepRow],
    ) -> diesel::QueryResult<Addresses> {
        let mut by_unit: HashMap<OrgUnitId, Vec<String>> = HashMap::new();
        for (unit, email) in emails_by_unit(conn).await? {
            by_unit.entry(unit).or_default().push(email);
        }
        Ok(Addresses {
            by_unit,
            helper_of_pairing: rows
                .iter()
                .map(|r| (r.pairing.id, r.pairing.helper_id))
                .collect(),
            helper_email: rows
                .iter()
                .filter_map(|r| Some((r.pairing.helper_id, r.helper_email.clone()?)))
                .collect(),
            family_of_pairing: rows
                .iter()
                .map(|r| {
                    let units = FamilyUnits {
                        id: r.pairing.family_id,
                        street_id: r.street_id,
                        community_id: r.community_id,
                    };
                    (r.pairing.id, units)
                })
                .collect(),
            district_office: district_office(district),
        })
    }

    fn unit(&self, unit: Option<OrgUnitId>) -> Vec<String> {
        unit.and_then(|u| self.by_unit.get(&u))
            .cloned()
            .unwrap_or_default()
    }

    /// The addresses of a step's recipient for a pairing. A helper without an address is reminded
    /// through the community worker, who calls them.
    pub fn of(&self, pairing: PairingId, kind: RecipientKind) -> Vec<String> {
        let family = self.family_of_pairing.get(&pairing);
        match kind {
            RecipientKind::Helper => match self
                .helper_of_pairing
                .get(&pairing)
                .and_then(|h| self.helper_email.get(h))
            {
                Some(email) => vec![email.clone()],
                None => self.unit(family.map(|f| f.community_id)),
            },
            RecipientKind::CommunityWorker => self.unit(family.map(|f| f.community_id)),
            RecipientKind::StreetOffice => self.unit(family.map(|f| f.street_id)),
            RecipientKind::DistrictOffice => self.unit(self.district_office),
        }
    }

    fn community_name<'d>(&self, district: &'d District, pairing: PairingId) -> &'d str {
        self.family_of_pairing
            .get(&pairing)
            .map_or("", |f| district.orgs.name_of(f.community_id))
    }
}

fn district_office(district: &District) -> Option<OrgUnitId> {
    district
        .orgs
        .of_kind(OrgKind::DistrictOffice)
        .next()
        .map(|u| u.id)
}

fn mails(district: &District, to: Vec<String>, subject: &str, body: &str) -> Vec<NewMail> {
    to.into_iter()
        .map(|to_address| NewMail {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            to_address,
            subject: subject.to_owned(),
            body: body.to_owned(),
        })
        .collect()
}

fn local(district: &District, at: DateTime<Utc>) -> String {
    district.local(at).format("%Y-%m-%d %H:%M").to_string()
}

fn short(id: PairingId) -> String {
    let id = id.as_uuid();
    id.simple().to_string()[..8].to_owned()
}

/// The mail of a raised alert.
pub fn alert(district: &District, to: &Addresses, a: &AlertRow) -> Vec<NewMail> {
    let Some(kind) = RecipientKind::from_code(&a.recipient) else {
        return Vec::new();
    };
    let community = to.community_name(district, a.pairing_id);
    let late = if a.late {
        "（系统恢复后补发，应到时间已过）"
    } else {
        ""
    };
    let subject = format!(
        "【暖心】每日探询提醒（第{}级）：{community}结对{}",
        a.step + 1,
        short(a.pairing_id)
    );
    let body = format!(
        "{community}结对（编号 {}）{}的每日探询：{}。\n提醒对象：{}；应到时间：{}{late}。\n请尽快联系老人确认平安，并在暖心平台上确认处理情况；确认后不再逐级上报。",
        a.pairing_id,
        a.day,
        a.cause.label(),
        kind.label(),
        local(district, a.due_at),
    );
    mails(district, to.of(a.pairing_id, kind), &subject, &body)
}

/// The all-clear to the recipient of an alert: the elder answered well after it fell due.
pub fn all_clear(district: &District, to: &Addresses, a: &AlertRow) -> Vec<NewMail> {
    let Some(kind) = RecipientKind::from_code(&a.recipient) else {
        return Vec::new();
    };
    let community = to.community_name(district, a.pairing_id);
    let subject = format!("【暖心】已解除：{community}结对{}平安", short(a.pairing_id));
    let body = format!(
        "{community}结对（编号 {}）{}的探询提醒已解除：结对邻居已确认老人平安。\n无需再处理此提醒。",
        a.pairing_id, a.day
    );
    mails(district, to.of(a.pairing_id, kind), &subject, &body)
}

/// The silence flag to the community worker: no check-in logged for days.
pub fn silence(
    district: &District,
    to: &Addresses,
    pairing: PairingId,
    since: chrono::NaiveDate,
    days: u32,
) -> Vec<NewMail> {
    let community = to.community_name(district, pairing);
    let subject = format!(
        "【暖心】{community}结对{}已连续{days}天无探询记录",
        short(pairing)
    );
    let body = format!(
        "{community}结对（编号 {pairing}）自{since}起已连续{days}个应探询日没有任何探询记录（即使提醒已被确认）。\n请上门了解老人情况和结对是否仍在进行。"
    );
    mails(
        district,
        to.of(pairing, RecipientKind::CommunityWorker),
        &subject,
        &body,
    )
}

/// An emergency, to the community worker, the street and the family's contact persons at once.
/// Returns how many messages it wrote.
pub async fn emergency(
    conn: &mut AsyncPgConnection,
    district: &District,
    pairing: &PairingRow,
    e: &EmergencyRow,
) -> diesel::QueryResult<usize> {
    let to = Addresses::load(conn, district, std::slice::from_ref(pairing)).await?;
    let mut addresses = to.of(pairing.id, RecipientKind::CommunityWorker);
    addresses.extend(to.of(pairing.id, RecipientKind::StreetOffice));
    addresses.extend(emails_of_contacts(conn, pairing.family_id).await?);
    addresses.sort();
    addresses.dedup();
    let community = to.community_name(district, pairing.id);
    let subject = format!("【暖心】紧急情况：{community}结对{}", short(pairing.id));
    let body = format!(
        "{community}结对（编号 {}）的老人于{}发生紧急情况，已由结对邻居或社区记录。\n是否已呼叫救护车：{}；送往医院：{}。\n请立即登录暖心平台查看并跟进。",
        pairing.id,
        local(district, e.recorded_at),
        if e.ambulance { "是" } else { "否" },
        e.hospital.as_deref().unwrap_or("未填写"),
    );
    let out = mails(district, addresses, &subject, &body);
    if !out.is_empty() {
        NewMail::insert_many(conn, &out).await?;
    }
    Ok(out.len())
}

/// The district office is told that the sweep has not completed since `last_success`.
pub async fn stalled(
    conn: &mut AsyncPgConnection,
    district: &District,
    last_success: Option<DateTime<Utc>>,
) -> diesel::QueryResult<usize> {
    let Some(office) = district.orgs.of_kind(OrgKind::DistrictOffice).next() else {
        return Ok(0);
    };
    let by_unit = emails_by_unit(conn).await?;
    let to: Vec<String> = by_unit
        .into_iter()
        .filter(|(unit, _)| *unit == office.id)
        .map(|(_, email)| email)
        .collect();
    let since = last_success.map_or_else(|| "服务启动以来".to_owned(), |t| local(district, t));
    let body = format!(
        "暖心平台的每日探询巡检已超过5分钟未完成（上次完成：{since}）。\n在恢复之前，未按时探询的老人不会被自动提醒。请联系平台运维人员；恢复后巡检会补发期间所有应发的提醒。"
    );
    let out = mails(district, to, "【暖心】每日探询巡检已停止", &body);
    if !out.is_empty() {
        NewMail::insert_many(conn, &out).await?;
    }
    Ok(out.len())
}
