//! Benefit cycles: the district's programs with their periods (generate a cycle from a list, never by
//! typing a code), the cycles and their progress, a cycle's entries with their steps as forms (verify,
//! reject, approve, pay; bulk verify) and its payment list — through the same service calls as
//! `/api/v1/benefits`.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Datelike;
use nuanxin_access::{Action, Resource};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::benefit::{EntryAction, EntryStatus};
use nuanxin_domain::labels;
use nuanxin_ids::{CycleId, FamilyId};
use nuanxin_policy::Period;
use serde::Deserialize;
use uuid::Uuid;

use super::charts::BarChart;
use super::session::{Console, Posted};
use super::views::{page, policy_notice, see_other, Frame, PageError, Pager};
use crate::auth::Authorized;
use crate::benefits::ledger::{
    self, amount_to_enter, cycle, cycles, Authority, CycleView, EntryView, StepRequest,
};
use crate::error::ApiError;
use crate::page::Paging;
use crate::registry::view::Reveal;
use crate::registry::Registry;
use crate::state::{AppState, District};

/// The statuses in the order of an entry's life.
const STATUSES: [EntryStatus; 6] = [
    EntryStatus::Proposed,
    EntryStatus::Verified,
    EntryStatus::Approved,
    EntryStatus::Paid,
    EntryStatus::Rejected,
    EntryStatus::Exited,
];

struct ProgramRow {
    code: String,
    title: String,
    period: &'static str,
    /// The period of today, offered in the form (none for a one-time program: its period is `once`).
    suggested: String,
    once: bool,
    amount: String,
}

struct CycleRow {
    id: String,
    title: String,
    period: String,
    counts: Vec<(&'static str, i64)>,
}

fn count(c: &CycleView, status: EntryStatus) -> i64 {
    c.counts
        .get(status.as_str())
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0)
}

fn cycle_row(c: CycleView) -> CycleRow {
    CycleRow {
        id: c.id.to_string(),
        counts: STATUSES
            .iter()
            .map(|s| (s.label(), count(&c, *s)))
            .collect(),
        title: c.title,
        period: c.period,
    }
}

fn programs(district: &District) -> Vec<ProgramRow> {
    let today = district.today();
    district
        .policy
        .iter()
        .flat_map(|p| p.programs())
        .map(|p| ProgramRow {
            code: p.code.clone(),
            title: p.title.clone(),
            period: labels::period(p.period.as_str()),
            once: p.period == Period::Once,
            suggested: match p.period {
                Period::Once => String::new(),
                Period::Year => today.year().to_string(),
                Period::Month => today.format("%Y-%m").to_string(),
                Period::Event => today.to_string(),
            },
            amount: p.amount_description.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "cycles.html")]
struct CyclesPage {
    frame: Frame,
    /// The programs to generate cycles of (empty unless the caller may generate).
    programs: Vec<ProgramRow>,
    /// No policy, or none in force today: said plainly above the programs.
    policy_notice: Option<String>,
    cycles: Vec<CycleRow>,
    chart: String,
    labels: Vec<&'static str>,
    message: String,
}

#[derive(Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

/// `GET /console/benefits`: programs to generate and the cycles with their progress.
pub async fn cycles_page(
    state: web::Data<AppState>,
    console: Console,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let list = cycles(&state, auth, None).await?;
    let chart = BarChart {
        title: "发放周期进度（按状态）".to_owned(),
        unit: "条数".to_owned(),
        series: STATUSES.iter().map(|s| s.label().to_owned()).collect(),
        bars: list
            .iter()
            .map(|c| {
                let name = format!("{} {}", c.title, c.period);
                (name, STATUSES.iter().map(|s| count(c, *s)).collect())
            })
            .collect(),
    }
    .to_svg();
    let may_generate = auth.may(Resource::BenefitCycle, Action::Create);
    page(&CyclesPage {
        frame: console.frame(&state, "关怀发放", "/console/benefits"),
        programs: if may_generate {
            programs(&auth.district)
        } else {
            Vec::new()
        },
        policy_notice: policy_notice(&auth.district, auth.district.today()),
        chart: if list.is_empty() {
            String::new()
        } else {
            chart
        },
        cycles: list.into_iter().map(cycle_row).collect(),
        labels: STATUSES.iter().map(|s| s.label()).collect(),
        message: match notice.done.as_str() {
            "generated" => "已生成发放周期：登记中符合条件的家庭已列为“待核实”。".to_owned(),
            _ => String::new(),
        },
    })
}

/// `POST /console/benefits`: generates a program's cycle for a period.
pub async fn generate(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let report = crate::benefits::cycle::generate_for(
        state.into_inner(),
        &console.auth,
        form.get("program"),
        form.get("period").trim(),
        None,
    )
    .await?;
    Ok(see_other(&format!("/console/benefits/{}", report.cycle_id)))
}

struct EntryRow {
    id: String,
    family_id: String,
    /// The parent's name as the register shows it to this caller; empty for callers without the
    /// register (a bureau approves amounts, not people).
    name: String,
    person: &'static str,
    street: String,
    amount: String,
    payer: String,
    status_code: &'static str,
    status: &'static str,
    /// The note, reason or payment reference of the entry's last step.
    detail: String,
    /// The steps this caller may take on it now.
    steps: Vec<Step>,
}

/// A step offered on an entry: its action, label and the fields it asks for.
struct Step {
    action: &'static str,
    label: &'static str,
    fields: Vec<StepField>,
}

/// A field of a step's form.
struct StepField {
    name: &'static str,
    label: &'static str,
    required: bool,
}

const fn field(name: &'static str, label: &'static str, required: bool) -> StepField {
    StepField {
        name,
        label,
        required,
    }
}

/// The steps this caller may take on an entry (the ledger's own rule, [`Authority::may`]), with the
/// fields each asks for: an amount and its basis where the policy left a cash amount open.
fn steps(
    district: &District,
    authority: &Authority,
    entry: &EntryView,
    status: EntryStatus,
) -> Vec<Step> {
    let step = |action: EntryAction, fields: Vec<StepField>| Step {
        action: action.as_str(),
        label: action.label(),
        fields,
    };
    let offered: Vec<(EntryAction, Vec<StepField>)> = match status {
        EntryStatus::Proposed => vec![
            (
                EntryAction::Verify,
                vec![field("note", "核实说明（如：已入户核实）", true)],
            ),
            (EntryAction::Reject, vec![field("note", "驳回原因", true)]),
        ],
        EntryStatus::Verified => {
            let approve = if amount_to_enter(district, &entry.program, entry.amount_cny) {
                vec![
                    field("amount_cny", "核定金额（元，标准未配置）", true),
                    field("note", "金额依据（执行的标准或文件）", true),
                ]
            } else {
                vec![field("note", "审批意见（可不填）", false)]
            };
            vec![
                (EntryAction::Approve, approve),
                (EntryAction::Reject, vec![field("note", "驳回原因", true)]),
            ]
        }
        EntryStatus::Approved => vec![(
            EntryAction::Pay,
            vec![field("payment_reference", "付款凭证号", true)],
        )],
        _ => Vec::new(),
    };
    offered
        .into_iter()
        .filter(|(action, _)| authority.may(district, *action, status, &entry.payer))
        .map(|(action, fields)| step(action, fields))
        .collect()
}

#[derive(Template)]
#[template(path = "cycle.html")]
struct CyclePage {
    frame: Frame,
    cycle: CycleRow,
    step_url: String,
    chart: String,
    status: String,
    filters: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<EntryRow>,
    pager: Pager,
    /// Bulk verify is offered where the caller may verify and proposed entries are shown.
    bulk_verify: bool,
    /// Whether the caller may open a family's page (a bureau may not: it sees only what approval needs).
    family_links: bool,
    message: String,
}

#[derive(Deserialize)]
pub struct CycleQuery {
    #[serde(default)]
    status: String,
    page: Option<i64>,
    #[serde(default)]
    done: String,
}

/// `GET /console/benefits/{id}`: a cycle's entries, whose they are, and the steps the caller may take.
pub async fn cycle_page(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<CycleId>,
    query: web::Query<CycleQuery>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let id = id.into_inner();
    let view = cycle(&state, auth, id).await?;
    let status = EntryStatus::parse(&query.status);
    let paging = Paging::new(query.page, Some(50), 50, 50)?;
    let entries = ledger::entries(&state, auth, id, status.map(|s| vec![s]), None, paging).await?;
    let chart = BarChart {
        title: "本周期进度".to_owned(),
        unit: "条数".to_owned(),
        series: vec!["条数".to_owned()],
        bars: STATUSES
            .iter()
            .map(|s| (s.label().to_owned(), vec![count(&view, *s)]))
            .collect(),
    }
    .to_svg();
    let names = entry_names(&state, auth, &entries.items).await?;
    let authority = Authority::of(auth);
    let rows: Vec<EntryRow> = entries
        .items
        .into_iter()
        .map(|e| {
            let parsed = e.status;
            let steps = steps(&auth.district, &authority, &e, parsed);
            let detail = match parsed {
                EntryStatus::Paid => e
                    .payment_reference
                    .map(|r| format!("付款凭证号：{r}"))
                    .unwrap_or_default(),
                EntryStatus::Rejected => e
                    .reject_reason
                    .map(|r| format!("驳回原因：{r}"))
                    .unwrap_or_default(),
                EntryStatus::Exited => format!(
                    "{}{}",
                    e.exit_reason_label.unwrap_or(""),
                    e.exit_detail.map(|d| format!("：{d}")).unwrap_or_default()
                ),
                _ => e
                    .verify_note
                    .map(|n| format!("核实说明：{n}"))
                    .unwrap_or_default(),
            };
            EntryRow {
                steps,
                id: e.id.to_string(),
                family_id: e.family_id.to_string(),
                name: whose(names.get(&e.family_id), &e.person),
                person: labels::person(&e.person),
                street: e.street.name,
                amount: e
                    .amount_cny
                    .map_or_else(|| "—".to_owned(), |a| format!("{a}元")),
                payer: labels::payer(&e.payer),
                status_code: parsed.as_str(),
                status: parsed.label(),
                detail,
            }
        })
        .collect();
    let base = match status {
        Some(s) => format!("/console/benefits/{id}?status={}&", s.as_str()),
        None => format!("/console/benefits/{id}?"),
    };
    let bulk_verify = auth.may(Resource::BenefitCycle, Action::Verify)
        && rows.iter().any(|r| r.status_code == "proposed");
    page(&CyclePage {
        frame: console.frame(&state, "发放明细", "/console/benefits"),
        chart,
        status: status.map_or("", |s| s.as_str()).to_owned(),
        filters: STATUSES
            .iter()
            .map(|s| (s.as_str(), s.label(), Some(*s) == status))
            .collect(),
        pager: Pager::new(&base, entries.page, entries.per_page, entries.total),
        rows,
        bulk_verify,
        family_links: console.auth.may(Resource::Family, Action::Read),
        message: query
            .done
            .parse::<u32>()
            .map(|n| format!("已办理{n}条。"))
            .unwrap_or_default(),
        step_url: format!("/console/benefits/{id}/step"),
        cycle: cycle_row(view),
    })
}

/// `POST /console/benefits/{id}/step`: one step (`action`) on the entries `id` (one, or the checked
/// ones of the bulk form), with its note, amount or payment reference.
pub async fn step(
    state: web::Data<AppState>,
    console: Console,
    cycle_id: web::Path<CycleId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let action = EntryAction::parse(form.get("action"))
        .ok_or_else(|| ApiError::bad_request("invalid_action", "action", "未知的办理步骤"))?;
    let ids = form
        .all("id")
        .map(|id| {
            id.parse::<Uuid>()
                .map_err(|_| ApiError::bad_request("invalid_id", "id", "明细编号无效"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Err(ApiError::bad_request("no_entries", "id", "请先勾选要办理的明细").into());
    }
    let amount_cny = form
        .text("amount_cny")
        .map(|a| {
            a.parse::<i64>().map_err(|_| {
                ApiError::bad_request("invalid_amount", "amount_cny", "金额应为整数（元）")
            })
        })
        .transpose()?;
    let request = StepRequest {
        action,
        ids,
        note: form.text("note"),
        payment_reference: form.text("payment_reference"),
        amount_cny,
    };
    let done = ledger::take_step(&state, &console.auth, request).await?;
    let back = form.get("status");
    let status =
        EntryStatus::parse(back).map_or(String::new(), |s| format!("status={}&", s.as_str()));
    Ok(see_other(&format!(
        "/console/benefits/{}?{status}done={}",
        cycle_id.into_inner(),
        done.len()
    )))
}

/// `GET /console/benefits/{id}/payment-list`: the payment list (xlsx), as the API gives it.
pub async fn payment_list(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<CycleId>,
) -> Result<HttpResponse, PageError> {
    let list = crate::benefits::payments::payment_list(&state, &console.auth, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    Ok(crate::routes::xlsx_download(list.bytes, &list.file_name))
}

/// Whose the entries of a page are: the parents' names, for callers who may read the register, as its
/// list shows them to them.
async fn entry_names(
    state: &AppState,
    auth: &Authorized,
    entries: &[EntryView],
) -> Result<std::collections::HashMap<FamilyId, Vec<(&'static str, String)>>, ApiError> {
    if !auth.may(Resource::Family, Action::Read) {
        return Ok(Default::default());
    }
    let mut ids: Vec<FamilyId> = entries.iter().map(|e| e.family_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let registry = Registry::new(&auth.district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, auth.district.id).await?;
    let names = registry
        .parent_names(&mut tx, auth.scope, ids, auth.reveal() == Reveal::Full)
        .await?;
    tx.commit().await?;
    Ok(names)
}

/// The name an entry is for: its parent's, or every parent's for an entry of the whole household.
fn whose(parents: Option<&Vec<(&'static str, String)>>, person: &str) -> String {
    let parents = parents.map_or(&[][..], Vec::as_slice);
    match parents.iter().find(|(role, _)| *role == person) {
        Some((_, name)) => name.clone(),
        None => parents
            .iter()
            .map(|(_, name)| name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
    }
}
