//! The district's care dashboard for the target-responsibility assessment (四（二）): per street and
//! community the register, families with 3–5 contact persons, families contacted within the district's
//! days, the year's holiday visits done on time, open follow-ups and the oldest's age; per program and
//! street the year's entitlements proposed and paid. Aggregates only: no family is named.
//!
//! Counting a district of 100,000 families takes a few hundred milliseconds, so the counts are cached
//! (Redis) under the number of committed changes to the tables they come from (`dashboard_changes`,
//! kept by triggers in the database, so no writer anywhere can forget to mark a change). A cached
//! answer is therefore always the answer a fresh count would give: the first read after any write
//! counts afresh. Names and titles are put on the counts at every read, from the district as loaded.

use nuanxin_ids::OrgUnitId;
use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, Days, NaiveDate};
use nuanxin_access::{Action, Resource, Scope};
use nuanxin_db::models::visits::{
    dashboard_changes, entitlements_by_street, fold_dashboard_changes,
    open_follow_ups_by_community, register_by_community, visits_by_community, EntitlementRow,
    OpenFollowUpsRow, RegisterRow, VisitsRow,
};
use nuanxin_db::AsyncPgConnection;
use serde::{Deserialize, Serialize};

use super::VisitError;
use crate::auth::Authorized;
use crate::cache::Store;
use crate::state::{AppState, District};

/// Cached counts expire after this long without a change (a change makes them unreachable at once).
const COUNTS_TTL: Duration = Duration::from_secs(600);
/// Past this many change rows the reader folds the district's rows into one.
const FOLD_AFTER_ROWS: i64 = 1000;

/// One community's line (or the total line).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CommunityLine {
    pub street: String,
    pub community: String,
    pub families: i64,
    /// Families with 3–5 registered contact persons.
    pub contacts_3_to_5: i64,
    /// Families with a contact logged within `contact_days`.
    pub contacted: i64,
    /// Families to visit in the year's campaigns (one per campaign) and those visited in the window.
    pub visits_due: i64,
    pub visits_on_time: i64,
    pub open_follow_ups: i64,
    /// Days since the oldest open follow-up was opened.
    pub oldest_follow_up_days: Option<i64>,
}

/// One program's entitlements of the year on one street.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramLine {
    pub program: String,
    pub title: String,
    pub street: String,
    pub proposed: i64,
    pub paid: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub year: i32,
    pub today: NaiveDate,
    /// The window of "contacted": this many days back from today.
    pub contact_days: u32,
    pub communities: Vec<CommunityLine>,
    pub total: CommunityLine,
    pub programs: Vec<ProgramLine>,
}

/// What the dashboard counts, before names are put on it: what is cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub register: Vec<RegisterRow>,
    pub visits: Vec<VisitsRow>,
    pub follow_ups: Vec<OpenFollowUpsRow>,
    pub entitlements: Vec<EntitlementRow>,
}

/// Counts the dashboard of `year` in `scope` from the database.
pub async fn count(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    year: i32,
    since: NaiveDate,
) -> Result<Counts, VisitError> {
    Ok(Counts {
        register: register_by_community(conn, scope, since).await?,
        visits: visits_by_community(conn, scope, year).await?,
        follow_ups: open_follow_ups_by_community(conn, scope).await?,
        entitlements: entitlements_by_street(conn, scope, year).await?,
    })
}

/// The cache key of the counts: district, committed changes, scope, year, the "contacted" window.
/// Only the district's, a street's and a community's dashboards are cached (other scopes depend on
/// assignments, which the change count does not follow; no such role reads the dashboard today).
fn counts_key(
    district: &District,
    changes: i64,
    scope: Scope,
    year: i32,
    since: NaiveDate,
) -> Option<String> {
    let unit = match scope {
        Scope::District => "district".to_owned(),
        Scope::Street(id) => format!("street-{id}"),
        Scope::Community(id) => format!("community-{id}"),
        Scope::Assigned { .. } | Scope::Nothing => return None,
    };
    Some(format!(
        "dashboard:{}:{changes}:{unit}:{year}:{since}",
        district.id
    ))
}

/// The dashboard of `year` (this year by default) as the caller sees it.
pub async fn read_dashboard(
    state: &AppState,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<Dashboard, VisitError> {
    auth.check(Resource::Dashboard, Action::Read)?;
    let today = auth.district.today();
    let year = year.unwrap_or(today.year());
    if !(2000..=2100).contains(&year) {
        return Err(VisitError::OutOfRange {
            field: "year",
            message: "年份应在2000到2100之间",
        });
    }
    let mut work = auth.begin(state).await?;
    let d = dashboard(
        &mut work,
        &state.store,
        &auth.district,
        auth.scope,
        year,
        today,
    )
    .await?;
    work.commit().await?;
    Ok(d)
}

/// The dashboard of `year` as of `today`, in `scope`: the counts from the cache when nothing they
/// come from has changed since they were cached, else counted and cached.
async fn dashboard(
    conn: &mut AsyncPgConnection,
    store: &Store,
    district: &District,
    scope: Scope,
    year: i32,
    today: NaiveDate,
) -> Result<Dashboard, VisitError> {
    let days = district.visits.no_contact_days;
    let since = today
        .checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(today);
    // Read first: counts made after this point are at least as new as the number they are cached under.
    let (changes, rows) = dashboard_changes(conn).await?;
    let key = counts_key(district, changes, scope, year, since);
    let cached = match &key {
        Some(key) => store
            .get(key)
            .await
            .ok()
            .flatten()
            .and_then(|json| serde_json::from_str::<Counts>(&json).ok()),
        None => None,
    };
    let counts = match cached {
        Some(counts) => counts,
        None => {
            let counts = count(conn, scope, year, since).await?;
            if let (Some(key), Ok(json)) = (&key, serde_json::to_string(&counts)) {
                // A store that is down only costs the next read a fresh count.
                let _ = store.set_ex(key, &json, COUNTS_TTL).await;
            }
            counts
        }
    };
    if rows > FOLD_AFTER_ROWS {
        fold_dashboard_changes(conn, district.id).await?;
    }
    Ok(named(district, counts, year, today, days))
}

/// The counts with the names of streets, communities and programs, and the totals.
fn named(district: &District, counts: Counts, year: i32, today: NaiveDate, days: u32) -> Dashboard {
    let mut lines: BTreeMap<(OrgUnitId, OrgUnitId), CommunityLine> = BTreeMap::new();
    for r in counts.register {
        let l = line(&mut lines, district, r.street_id, r.community_id);
        l.families = r.families;
        l.contacts_3_to_5 = r.contacts_ok;
        l.contacted = r.contacted;
    }
    for r in counts.visits {
        let l = line(&mut lines, district, r.street_id, r.community_id);
        l.visits_due = r.due;
        l.visits_on_time = r.on_time;
    }
    for r in counts.follow_ups {
        let l = line(&mut lines, district, r.street_id, r.community_id);
        l.open_follow_ups = r.open;
        l.oldest_follow_up_days = r.oldest_on.map(|d| (today - d).num_days());
    }
    let communities: Vec<CommunityLine> = lines.into_values().collect();
    let total = communities.iter().fold(
        CommunityLine {
            street: "合计".into(),
            ..CommunityLine::default()
        },
        |mut t, l| {
            t.families += l.families;
            t.contacts_3_to_5 += l.contacts_3_to_5;
            t.contacted += l.contacted;
            t.visits_due += l.visits_due;
            t.visits_on_time += l.visits_on_time;
            t.open_follow_ups += l.open_follow_ups;
            t.oldest_follow_up_days = t.oldest_follow_up_days.max(l.oldest_follow_up_days);
            t
        },
    );
    let title = |code: &str| {
        district
            .policy
            .as_ref()
            .and_then(|p| p.program(code))
            .map_or(code.to_owned(), |p| p.title.clone())
    };
    let programs = counts
        .entitlements
        .into_iter()
        .map(|r| ProgramLine {
            title: title(&r.program),
            street: district.orgs.name_of(r.street_id).to_owned(),
            program: r.program,
            proposed: r.proposed,
            paid: r.paid,
        })
        .collect();
    Dashboard {
        year,
        today,
        contact_days: days,
        communities,
        total,
        programs,
    }
}

/// The line of a street and community, made when first met.
fn line<'a>(
    lines: &'a mut BTreeMap<(OrgUnitId, OrgUnitId), CommunityLine>,
    district: &District,
    street: OrgUnitId,
    community: OrgUnitId,
) -> &'a mut CommunityLine {
    lines
        .entry((street, community))
        .or_insert_with(|| CommunityLine {
            street: district.orgs.name_of(street).to_owned(),
            community: district.orgs.name_of(community).to_owned(),
            ..CommunityLine::default()
        })
}

const COMMUNITY_HEADERS: [&str; 9] = [
    "街道（镇）",
    "社区（村）",
    "在册家庭",
    "3-5名帮扶联系人",
    "近期已联系",
    "节日应走访",
    "按时走访",
    "未办结跟进事项",
    "最久未办结（天）",
];
const PROGRAM_HEADERS: [&str; 5] = ["项目代码", "项目", "街道（镇）", "应享受", "已发放"];

/// The dashboard as an xlsx workbook: communities (with the total) and programs.
pub fn workbook(d: &Dashboard) -> Result<Vec<u8>, nuanxin_sheets::SheetError> {
    let community_rows = d
        .communities
        .iter()
        .chain(std::iter::once(&d.total))
        .map(|l| {
            vec![
                l.street.clone(),
                l.community.clone(),
                l.families.to_string(),
                l.contacts_3_to_5.to_string(),
                l.contacted.to_string(),
                l.visits_due.to_string(),
                l.visits_on_time.to_string(),
                l.open_follow_ups.to_string(),
                l.oldest_follow_up_days
                    .map_or(String::new(), |n| n.to_string()),
            ]
        })
        .collect();
    let program_rows = d
        .programs
        .iter()
        .map(|p| {
            vec![
                p.program.clone(),
                p.title.clone(),
                p.street.clone(),
                p.proposed.to_string(),
                p.paid.to_string(),
            ]
        })
        .collect();
    nuanxin_sheets::write_workbook(vec![
        nuanxin_sheets::SheetData {
            name: "社区",
            headers: &COMMUNITY_HEADERS,
            rows: community_rows,
        },
        nuanxin_sheets::SheetData {
            name: "项目",
            headers: &PROGRAM_HEADERS,
            rows: program_rows,
        },
    ])
}
