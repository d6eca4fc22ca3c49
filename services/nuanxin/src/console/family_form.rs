//! The register's forms: a family registered or edited through the same service calls as `POST` and
//! `PUT /api/v1/families` (so the same validation, scope, history and audit), and a register file
//! uploaded through the API's own import.
//!
//! The form's field names are the paths of the API's JSON (`parents[0].resident_id`), so every error the
//! API would answer lands beside the field it names. Parents and contact persons are fixed slots (mother,
//! father; five contacts): empty slots are left out of the JSON, and error paths are mapped back from the
//! JSON's positions to the slots. A form sent back with errors keeps everything that was typed.

use nuanxin_ids::FamilyId;
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use nuanxin_access::{Action, Resource, Scope};
use nuanxin_domain::family::{Care, ContactCategory, FamilyInput, FamilyKind, SelfCare};
use nuanxin_domain::labels;
use nuanxin_domain::org::OrgKind;
use nuanxin_text_enum::Labelled;
use serde_json::{Map, Value};

use super::form::Typed;
use super::session::{Console, Posted};
use super::views::{page, page_with_status, see_other, Frame, PageError};
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::reads::read_family;
use crate::registry::writes::{register_family, replace_family};
use crate::routes::extract::from_value;
use crate::state::AppState;

/// Contact persons a family may have (the documents ask for 3 to 5).
const CONTACT_SLOTS: usize = 5;
/// The parents' slots: `parents[0]` is the mother, `parents[1]` the father.
const PARENT_SLOTS: [(&str, &str); 2] = [("mother", "母亲"), ("father", "父亲")];

/// Text fields of a parent, with their labels and input types.
const PARENT_TEXTS: [(&str, &str, &str); 6] = [
    ("name", "姓名", "text"),
    ("resident_id", "身份证号", "text"),
    ("phone", "电话", "tel"),
    ("bank_name", "开户银行", "text"),
    ("bank_account", "银行账号", "text"),
    (
        "out_of_pocket_medical_cny",
        "个人负担医疗费（元）",
        "number",
    ),
];
const PARENT_DATES: [(&str, &str); 2] = [
    ("major_illness_hospitalized_on", "大病住院日期"),
    ("fertility_treatment_since", "开始辅助生殖治疗日期"),
];
const PARENT_FLAGS: [(&str, &str); 4] = [
    ("alive", "健在"),
    ("sanwu", "三无人员"),
    ("nursing_home_in_district", "入住本区养老机构"),
    ("wants_home_services", "需要居家养老服务"),
];

/// The register's form as shown: the values as typed (or as read), and errors by field name.
#[derive(Debug, Default)]
pub struct FamilyForm(Typed);

impl std::ops::Deref for FamilyForm {
    type Target = Typed;
    fn deref(&self) -> &Typed {
        &self.0
    }
}

impl std::ops::DerefMut for FamilyForm {
    fn deref_mut(&mut self) -> &mut Typed {
        &mut self.0
    }
}

impl FamilyForm {
    /// A new family: both parents shown as living, nothing else filled in.
    fn blank(street: Option<&str>) -> FamilyForm {
        let mut values = HashMap::new();
        for i in 0..PARENT_SLOTS.len() {
            values.insert(format!("parents[{i}].present"), "on".to_owned());
            values.insert(format!("parents[{i}].alive"), "on".to_owned());
        }
        values.insert("child.status".to_owned(), "deceased".to_owned());
        if let Some(street) = street {
            values.insert("street".to_owned(), street.to_owned());
        }
        FamilyForm(Typed {
            values,
            ..Typed::default()
        })
    }

    fn from_posted(form: &Posted) -> FamilyForm {
        FamilyForm(Typed::from_posted(form))
    }

    /// The family as the API shows it, laid out in the form's fields.
    fn from_view(view: &Value) -> FamilyForm {
        let mut values = HashMap::new();
        flatten("", view, &mut values);
        for unit in ["street", "community"] {
            if let Some(code) = values.remove(&format!("{unit}.code")) {
                values.insert(unit.to_owned(), code);
            }
        }
        // Parents go to their role's slot, whatever their position in the record.
        let parents = view["parents"].as_array().cloned().unwrap_or_default();
        values.retain(|k, _| !k.starts_with("parents["));
        for parent in &parents {
            let Some(slot) = PARENT_SLOTS
                .iter()
                .position(|(role, _)| parent["role"] == *role)
            else {
                continue;
            };
            let mut fields = HashMap::new();
            flatten("", parent, &mut fields);
            for (k, v) in fields {
                values.insert(format!("parents[{slot}].{k}"), v);
            }
            values.insert(format!("parents[{slot}].present"), "on".to_owned());
        }
        FamilyForm(Typed {
            values,
            ..Typed::default()
        })
    }

    /// The API's JSON for this form, and for each parent and contact in it the slot it came from. A text
    /// that is not of its field's type (a date, a whole number) is an error beside that field instead.
    fn read_input(&mut self) -> (Value, Vec<usize>, Vec<usize>) {
        let mut r = Reader {
            values: &self.values,
            errors: Vec::new(),
        };
        let mut root = Map::new();
        for key in ["kind", "hukou_district", "street", "community", "address"] {
            root.insert(key.into(), r.string(key));
        }
        if !(r.text("coordinates.lat").is_empty() && r.text("coordinates.lon").is_empty()) {
            let (lat, lon) = (r.decimal("coordinates.lat"), r.decimal("coordinates.lon"));
            root.insert(
                "coordinates".into(),
                serde_json::json!({"lat": lat, "lon": lon}),
            );
        }
        let child = if r.text("child.status") == "disabled" {
            serde_json::json!({
                "status": "disabled",
                "disability_grade": r.integer("child.disability_grade", None),
                "certified_on": r.date("child.certified_on", true),
            })
        } else {
            serde_json::json!({"status": "deceased", "died_on": r.date("child.died_on", true)})
        };
        root.insert("child".into(), child);
        root.insert(
            "household".into(),
            serde_json::json!({
                "monthly_income_per_capita_cny": r.integer("household.monthly_income_per_capita_cny", None),
                "prior_year_total_income_cny": r.integer("household.prior_year_total_income_cny", None),
            }),
        );
        root.insert(
            "rebirth".into(),
            serde_json::json!({
                "assisted_reproduction_birth_on": r.date("rebirth.assisted_reproduction_birth_on", false),
            }),
        );

        let mut parents = Vec::new();
        let mut parent_slots = Vec::new();
        for (slot, (role, _)) in PARENT_SLOTS.iter().enumerate() {
            let p = format!("parents[{slot}].");
            if r.text(&format!("{p}present")) != "on" {
                continue;
            }
            let mut parent = Map::new();
            parent.insert("role".into(), Value::String((*role).to_owned()));
            for (field, _, kind) in PARENT_TEXTS {
                let path = format!("{p}{field}");
                let value = match (field, kind) {
                    ("name" | "resident_id", _) => r.string(&path),
                    (_, "number") => r.integer(&path, Some(0)),
                    _ => r.optional(&path),
                };
                parent.insert(field.into(), value);
            }
            for (field, _) in PARENT_DATES {
                parent.insert(field.into(), r.date(&format!("{p}{field}"), false));
            }
            for (field, _) in PARENT_FLAGS {
                parent.insert(
                    field.into(),
                    Value::Bool(r.text(&format!("{p}{field}")) == "on"),
                );
            }
            for field in ["self_care", "care"] {
                parent.insert(field.into(), r.string(&format!("{p}{field}")));
            }
            parents.push(Value::Object(parent));
            parent_slots.push(slot);
        }
        root.insert("parents".into(), Value::Array(parents));

        let mut contacts = Vec::new();
        let mut contact_slots = Vec::new();
        for slot in 0..CONTACT_SLOTS {
            let c = format!("contacts[{slot}].");
            if r.text(&format!("{c}name")).is_empty() && r.text(&format!("{c}phone")).is_empty() {
                continue;
            }
            contacts.push(serde_json::json!({
                "name": r.string(&format!("{c}name")),
                "category": r.string(&format!("{c}category")),
                "phone": r.optional(&format!("{c}phone")),
            }));
            contact_slots.push(slot);
        }
        root.insert("contacts".into(), Value::Array(contacts));
        let errors = r.errors;
        for (field, message) in errors {
            self.errors.insert(field, message);
        }
        (Value::Object(root), parent_slots, contact_slots)
    }

    /// Puts an error of the API beside the form field it names, or above the form when it names a
    /// whole part (`contacts`: how many a family needs) rather than one field.
    fn place(&mut self, field: &str, message: String, parents: &[usize], contacts: &[usize]) {
        let field = slot_path(&slot_path(field, "parents", parents), "contacts", contacts);
        let one_field = FORM_FIELDS.contains(&field.as_str())
            || ((field.starts_with("parents[") || field.starts_with("contacts["))
                && field.contains("]."));
        if one_field {
            self.errors.entry(field).or_insert(message);
        } else {
            self.general
                .push(format!("{}：{message}", labels::field(&field)));
        }
    }

    fn place_error(
        &mut self,
        error: ApiError,
        parents: &[usize],
        contacts: &[usize],
    ) -> Result<(), ApiError> {
        match error {
            ApiError::Validation(errors) => {
                for e in errors.0 {
                    self.place(&e.field, e.message, parents, contacts);
                }
                Ok(())
            }
            ApiError::BadRequest {
                field: Some(field),
                message,
                ..
            } => {
                self.place(&field, message, parents, contacts);
                Ok(())
            }
            ApiError::Conflict { message, .. } => {
                self.general.push(message);
                Ok(())
            }
            other => Err(other),
        }
    }
}

/// Top-level fields that always exist in the form, filled or not.
const FORM_FIELDS: [&str; 14] = [
    "kind",
    "child.status",
    "rebirth.assisted_reproduction_birth_on",
    "hukou_district",
    "street",
    "community",
    "address",
    "coordinates.lat",
    "coordinates.lon",
    "child.died_on",
    "child.disability_grade",
    "child.certified_on",
    "household.monthly_income_per_capita_cny",
    "household.prior_year_total_income_cny",
];

/// `parents[1].phone` with JSON position 1 → the slot it came from.
fn slot_path(field: &str, list: &str, slots: &[usize]) -> String {
    let Some(rest) = field.strip_prefix(&format!("{list}[")) else {
        return field.to_owned();
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return field.to_owned();
    };
    match index.parse::<usize>().ok().and_then(|i| slots.get(i)) {
        Some(slot) => format!("{list}[{slot}]{tail}"),
        None => field.to_owned(),
    }
}

/// Reads a form's texts as the JSON types of the API's input, keeping an error for each text that is
/// not of its type: the API would name only the enclosing part for some of them (the child's dates).
struct Reader<'f> {
    values: &'f HashMap<String, String>,
    errors: Vec<(String, String)>,
}

impl Reader<'_> {
    fn text(&self, path: &str) -> &str {
        self.values.get(path).map_or("", |v| v.trim())
    }

    fn string(&self, path: &str) -> Value {
        Value::String(self.text(path).to_owned())
    }

    /// Null when left empty.
    fn optional(&self, path: &str) -> Value {
        match self.text(path) {
            "" => Value::Null,
            text => Value::String(text.to_owned()),
        }
    }

    fn date(&mut self, path: &str, required: bool) -> Value {
        match self.text(path) {
            "" if required => self.error(path, "请填写日期"),
            "" => Value::Null,
            text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(_) => Value::String(text.to_owned()),
                Err(_) => self.error(path, "日期应为年-月-日，如 2024-03-02"),
            },
        }
    }

    /// A whole number; `empty` is taken when the field is left empty (none: it must be filled in).
    fn integer(&mut self, path: &str, empty: Option<i64>) -> Value {
        match (self.text(path), empty) {
            ("", Some(default)) => Value::from(default),
            ("", None) => self.error(path, "请填写"),
            (text, _) => match text.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => self.error(path, "应为整数"),
            },
        }
    }

    fn decimal(&mut self, path: &str) -> Value {
        match self
            .text(path)
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            Some(n) => Value::Number(n),
            None => self.error(path, "应为数字，如 39.94"),
        }
    }

    fn error(&mut self, path: &str, message: &str) -> Value {
        self.errors.push((path.to_owned(), message.to_owned()));
        Value::Null
    }
}

/// A JSON document as form values: `a.b` paths, list items as `a[0].b`, true as a ticked box.
fn flatten(prefix: &str, value: &Value, out: &mut HashMap<String, String>) {
    match value {
        Value::Object(fields) => {
            for (k, v) in fields {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::Null => {}
        Value::Bool(true) => {
            out.insert(prefix.to_owned(), "on".to_owned());
        }
        Value::Bool(false) => {}
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        Value::Number(n) => {
            out.insert(prefix.to_owned(), n.to_string());
        }
    }
}

/// A community to choose, under its street's name.
struct StreetChoice {
    code: String,
    name: String,
    communities: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "family_form.html")]
struct FamilyFormPage {
    frame: Frame,
    heading: String,
    action: String,
    /// The version edited (the API's `If-Match`); none for a new family.
    version: Option<i32>,
    form: FamilyForm,
    streets: Vec<StreetChoice>,
    kinds: Vec<(&'static str, &'static str)>,
    child_statuses: [(&'static str, &'static str); 2],
    self_cares: Vec<(&'static str, &'static str)>,
    cares: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    parents: Vec<(String, &'static str, &'static str)>,
    contacts: Vec<String>,
    parent_texts: &'static [(&'static str, &'static str, &'static str)],
    parent_dates: &'static [(&'static str, &'static str)],
    parent_flags: &'static [(&'static str, &'static str)],
}

/// The streets (and their communities) the caller may register families in.
fn streets_of(auth: &Authorized) -> Vec<StreetChoice> {
    let orgs = &auth.district.orgs;
    let (street, community) = match auth.scope {
        Scope::Street(s) => (Some(s), None),
        Scope::Community(c) => (orgs.street_of(c).map(|s| s.id), Some(c)),
        _ => (None, None),
    };
    orgs.of_kind(OrgKind::Street)
        .filter(|s| street.is_none_or(|id| id == s.id))
        .map(|s| StreetChoice {
            code: s.code.clone(),
            name: s.name.clone(),
            communities: orgs
                .of_kind(OrgKind::Community)
                .filter(|c| c.parent_id == Some(s.id) && community.is_none_or(|id| id == c.id))
                .map(|c| (c.code.clone(), c.name.clone()))
                .collect(),
        })
        .collect()
}

/// What a form saves: a new family, or a change of one at the version it was read at.
enum Target {
    New,
    Edit { id: FamilyId, version: i32 },
}

impl Target {
    fn heading(&self) -> &'static str {
        match self {
            Target::New => "登记家庭",
            Target::Edit { .. } => "修改家庭信息",
        }
    }

    fn action(&self) -> String {
        match self {
            Target::New => "/console/families/new".to_owned(),
            Target::Edit { id, .. } => format!("/console/families/{id}/edit"),
        }
    }

    /// Saves the input through the API's own service call; the family's id.
    async fn save(
        &self,
        state: &AppState,
        auth: &Authorized,
        input: FamilyInput,
    ) -> Result<FamilyId, ApiError> {
        match *self {
            Target::New => Ok(register_family(state, auth, input).await?.id),
            Target::Edit { id, version } => {
                Ok(replace_family(state, auth, id, input, version).await?.id)
            }
        }
    }
}

fn form_page(
    console: &Console,
    state: &AppState,
    target: &Target,
    form: FamilyForm,
) -> FamilyFormPage {
    let heading = target.heading().to_owned();
    FamilyFormPage {
        frame: console.frame(state, &heading, "/console/families"),
        heading,
        action: target.action(),
        version: match target {
            Target::New => None,
            Target::Edit { version, .. } => Some(*version),
        },
        form,
        streets: streets_of(&console.auth),
        kinds: FamilyKind::choices(),
        child_statuses: [("deceased", "已死亡（失独）"), ("disabled", "三级以上残疾")],
        self_cares: SelfCare::choices(),
        cares: Care::choices(),
        categories: ContactCategory::choices(),
        parents: PARENT_SLOTS
            .iter()
            .enumerate()
            .map(|(i, (role, label))| (format!("parents[{i}]."), *role, *label))
            .collect(),
        contacts: (0..CONTACT_SLOTS)
            .map(|i| format!("contacts[{i}]."))
            .collect(),
        parent_texts: &PARENT_TEXTS,
        parent_dates: &PARENT_DATES,
        parent_flags: &PARENT_FLAGS,
    }
}

/// `GET /console/families/new`: an empty form.
pub async fn new_family(
    state: web::Data<AppState>,
    console: Console,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Family, Action::Create)?;
    let streets = streets_of(&console.auth);
    let only = (streets.len() == 1).then(|| streets[0].code.as_str());
    let form = FamilyForm::blank(only);
    page(&form_page(&console, &state, &Target::New, form))
}

/// `POST /console/families/new`: registers the family, or shows the form again with its errors (422).
pub async fn create(
    state: web::Data<AppState>,
    console: Console,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Family, Action::Create)?;
    save(
        &state,
        &console,
        FamilyForm::from_posted(&posted),
        Target::New,
    )
    .await
}

/// `GET /console/families/{id}/edit`: the family's data in the form.
pub async fn edit_family(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::Family, Action::Update)?;
    let id = id.into_inner();
    let view = read_family(&state, auth, id)
        .await
        .map_err(ApiError::from)?;
    let version = view.version;
    let json = serde_json::to_value(&view).map_err(ApiError::internal)?;
    let mut form = FamilyForm::from_view(&json);
    // The register keeps a platform district's slug; people read and type its name.
    if let Some(hukou) = form.values.get_mut("hukou_district") {
        if let Some(d) = state.districts.all().iter().find(|d| d.slug == *hukou) {
            hukou.clone_from(&d.name);
        }
    }
    page(&form_page(
        &console,
        &state,
        &Target::Edit { id, version },
        form,
    ))
}

/// `POST /console/families/{id}/edit`: saves the change if nobody changed the family meanwhile (else the
/// form again, saying so, with what was typed kept).
pub async fn update(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<FamilyId>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Family, Action::Update)?;
    let version = posted.get("version").parse::<i32>().map_err(|_| {
        ApiError::bad_request(
            "invalid_version",
            "version",
            "表单缺少版本号，请重新打开修改页面",
        )
    })?;
    let mut form = FamilyForm::from_posted(&posted);
    form.values.remove("version");
    let target = Target::Edit {
        id: id.into_inner(),
        version,
    };
    save(&state, &console, form, target).await
}

/// Reads the form, saves it, and goes to the family's page; or shows the form again (422) with each
/// error beside its field and everything typed kept.
async fn save(
    state: &AppState,
    console: &Console,
    mut form: FamilyForm,
    target: Target,
) -> Result<HttpResponse, PageError> {
    let (json, parents, contacts) = form.read_input();
    if form.errors.is_empty() {
        let saved = match from_value(json, "") {
            Ok(input) => target.save(state, &console.auth, input).await,
            Err(e) => Err(e),
        };
        match saved {
            Ok(id) => {
                let done = match target {
                    Target::New => "registered",
                    Target::Edit { .. } => "updated",
                };
                return Ok(see_other(&format!("/console/families/{id}?done={done}")));
            }
            Err(e) => form.place_error(e, &parents, &contacts)?,
        }
    }
    page_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(console, state, &target, form),
    )
}
