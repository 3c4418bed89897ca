//! The operator's blind entry pages: the accepted captures awaiting an entry (claim entry 1 or
//! 2), and the entry form of one capture: one field per figure in the paper form's order with the
//! candidates' names, the image beside it, never the other entry or the PO's figures. Save a
//! draft against the version read (a stale one: the 409 page with the stored state and the typed
//! values shown back), submit, and core's rules on what is typed (htmx as one types; the same
//! messages on the page without JavaScript).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use serde_json::{Map, Value};

use super::{
    ORIGIN, PageActor, api_page, field, field_label, figures_page, form_pairs, guard,
    guard_capture, record_id, rule_text, see_other,
};
use crate::accounts::{ConstituencyRef, Permission};
use crate::error::ApiError;
use crate::figures::FiguresError;
use crate::figures::capture::{self, CaptureContext};
use crate::figures::entries::{self, ClaimRequest, EntryView, SaveRequest, ValidateRequest};
use crate::figures::records::RecordMeta;
use crate::figures::worklist::{self, AwaitingCapture};
use crate::state::AppState;
use crate::web::page::PageContext;

#[derive(Debug, Template)]
#[template(path = "console/figures/entries.html")]
struct ListPage<'a> {
    ctx: &'a PageContext,
    c: ConstituencyRef,
    rows: Vec<AwaitingCapture>,
}

/// One figure of the form.
#[derive(Debug)]
pub(super) struct FieldRow {
    pub name: String,
    pub label: String,
    pub value: String,
    pub invalid: bool,
}

/// One broken rule as shown.
#[derive(Debug)]
pub(super) struct RuleLine {
    pub text: String,
    pub numbers: String,
}

/// The rules' result on what is typed.
#[derive(Debug, Default)]
pub(super) struct RulesView {
    pub checked: bool,
    pub rules: Vec<RuleLine>,
    pub missing: usize,
    pub error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "console/figures/rules.html")]
struct RulesPartial<'a> {
    ctx: &'a PageContext,
    rules: RulesView,
}

/// What the 409 page shows of the stored entry.
#[derive(Debug)]
struct StoredView {
    version: i64,
    state: String,
    values: Vec<(String, String)>,
}

#[derive(Debug, Template)]
#[template(path = "console/figures/entry.html")]
struct EntryPage<'a> {
    ctx: &'a PageContext,
    c: ConstituencyRef,
    hash: String,
    slot: i64,
    station: u32,
    station_name: String,
    version: i64,
    state: String,
    record: String,
    fields: Vec<FieldRow>,
    rules: RulesView,
    error: Option<String>,
    stored: Option<StoredView>,
    saved: bool,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct EntryPath {
    election: String,
    constituency: String,
    hash: String,
    slot: i64,
}

/// `GET /console/{e}/{c}/entries`: the captures awaiting an entry.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let PageActor { actor, c } = match guard(&req, Permission::EnterFigures, &path.0, &path.1) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let rows = match worklist::awaiting(&state, &c, &actor).await {
        Ok(rows) => rows
            .into_iter()
            .filter(|r| !r.corrections_pending)
            .collect(),
        Err(e) => return api_page(&req, &e),
    };
    let ctx = PageContext::new(&req);
    let page = ListPage { ctx: &ctx, c, rows };
    ctx.respond(StatusCode::OK, page.render())
}

fn entry_url(c: &ConstituencyRef, hash: &str, slot: i64) -> String {
    format!("/console/{}/{}/entries/{hash}/{slot}", c.election, c.code)
}

/// `POST …/entries/{hash}/{slot}/claim`: claim the entry, then to its form.
pub async fn claim(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<EntryPath>,
    body: web::Bytes,
) -> HttpResponse {
    let (PageActor { actor, c }, hash) = match guard_capture(
        &req,
        Permission::EnterFigures,
        &path.election,
        &path.constituency,
        &path.hash,
    ) {
        Ok(g) => g,
        Err(resp) => return *resp,
    };
    let pairs = form_pairs(&body);
    let claim = ClaimRequest {
        meta: RecordMeta {
            id: field(&pairs, "id")
                .map(str::to_owned)
                .unwrap_or_else(record_id),
            origin: ORIGIN.into(),
        },
    };
    match entries::claim(&state, &c, &actor, &hash, path.slot, &claim).await {
        Ok(_) => see_other(&entry_url(&c, &hash, path.slot)),
        Err(e) => figures_page(&req, &e),
    }
}

fn rows_of(
    ctx: &PageContext,
    capture: &CaptureContext,
    values: &dyn Fn(&str) -> String,
    invalid: Option<&str>,
) -> Vec<FieldRow> {
    capture
        .fields
        .names
        .iter()
        .map(|name| FieldRow {
            label: field_label(&ctx.tr, name, &capture.constituency.candidates),
            value: values(name),
            invalid: invalid == Some(name.as_str()),
            name: name.clone(),
        })
        .collect()
}

/// The typed figures of a form body (`f.<field>`): numbers as numbers, anything else as typed
/// (so the service names the field it refuses), empty fields left out.
fn typed_figures(pairs: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        let Some(name) = k.strip_prefix("f.") else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let value = match v.parse::<u64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(v.to_owned()),
        };
        map.insert(name.to_owned(), value);
    }
    Value::Object(map)
}

/// The field path a 422 names (`field \`figures.x\`: …` → `figures.x`).
pub(super) fn named_field(e: &ApiError) -> Option<String> {
    let rest = e.detail.strip_prefix("field `")?;
    rest.split('`').next().map(str::to_owned)
}

async fn rules_of(
    ctx: &PageContext,
    state: &AppState,
    c: &ConstituencyRef,
    hash: &str,
    figures: &Value,
) -> RulesView {
    if figures.as_object().is_none_or(|m| m.is_empty()) {
        return RulesView::default();
    }
    let req = ValidateRequest {
        manifest_hash: hash.to_owned(),
        figures: figures.clone(),
    };
    match entries::validate_typed(state, c, &req).await {
        Ok(v) => RulesView {
            checked: true,
            rules: v
                .violations
                .iter()
                .map(|r| RuleLine {
                    text: rule_text(&ctx.tr, r.rule.as_str()),
                    numbers: r
                        .values
                        .iter()
                        .map(|(k, n)| format!("{k} = {n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            missing: v.missing.len(),
            error: None,
        },
        Err(e) => RulesView {
            checked: true,
            error: Some(e.detail),
            ..RulesView::default()
        },
    }
}

struct Shown {
    status: StatusCode,
    figures: Value,
    invalid: Option<String>,
    error: Option<String>,
    stored: Option<EntryView>,
    saved: bool,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    c: &ConstituencyRef,
    capture: &CaptureContext,
    entry: &EntryView,
    shown: Shown,
) -> HttpResponse {
    let ctx = PageContext::new(req);
    let figures = shown.figures;
    let value = |name: &str| match figures.get(name) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let fields = rows_of(&ctx, capture, &value, shown.invalid.as_deref());
    let rules = if shown.invalid.is_some() {
        RulesView::default()
    } else {
        rules_of(&ctx, state, c, &capture.manifest_hash, &figures).await
    };
    let stored = shown.stored.map(|s| StoredView {
        version: s.version,
        state: s.state.clone(),
        values: capture
            .fields
            .names
            .iter()
            .map(|n| {
                (
                    field_label(&ctx.tr, n, &capture.constituency.candidates),
                    s.figures.get(n).map(u32::to_string).unwrap_or_default(),
                )
            })
            .collect(),
    });
    let page = EntryPage {
        ctx: &ctx,
        c: c.clone(),
        hash: capture.manifest_hash.clone(),
        slot: entry.slot,
        station: capture.station_no,
        station_name: capture
            .station
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        version: entry.version,
        state: entry.state.clone(),
        record: record_id(),
        fields,
        rules,
        error: shown.error,
        stored,
        saved: shown.saved,
    };
    ctx.respond(shown.status, page.render())
}

fn stored_figures(entry: &EntryView) -> Value {
    serde_json::to_value(&entry.figures).unwrap_or(Value::Null)
}

/// `GET …/entries/{hash}/{slot}`: the operator's own entry form.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<EntryPath>,
) -> HttpResponse {
    let (PageActor { actor, c }, hash) = match guard_capture(
        &req,
        Permission::EnterFigures,
        &path.election,
        &path.constituency,
        &path.hash,
    ) {
        Ok(g) => g,
        Err(resp) => return *resp,
    };
    let (capture, entry) = match load(&state, &c, &actor, &hash, path.slot).await {
        Ok(x) => x,
        Err(e) => return api_page(&req, &e),
    };
    let saved = req.query_string().contains("saved=1");
    let shown = Shown {
        status: StatusCode::OK,
        figures: stored_figures(&entry),
        invalid: None,
        error: None,
        stored: None,
        saved,
    };
    render(&req, &state, &c, &capture, &entry, shown).await
}

async fn load(
    state: &AppState,
    c: &ConstituencyRef,
    actor: &crate::accounts::Actor,
    hash: &str,
    slot: i64,
) -> Result<(CaptureContext, EntryView), ApiError> {
    let entry = entries::get(state, c, actor, hash, slot).await?;
    let capture = capture::load(state, c, hash).await?;
    Ok((capture, entry))
}

/// `POST …/entries/{hash}/{slot}`: save a draft (`action=save`) or submit (`action=submit`).
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<EntryPath>,
    body: web::Bytes,
) -> HttpResponse {
    let (PageActor { actor, c }, hash) = match guard_capture(
        &req,
        Permission::EnterFigures,
        &path.election,
        &path.constituency,
        &path.hash,
    ) {
        Ok(g) => g,
        Err(resp) => return *resp,
    };
    let pairs = form_pairs(&body);
    let figures = typed_figures(&pairs);
    let submit = field(&pairs, "action") == Some("submit");
    let version = field(&pairs, "version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let save = SaveRequest {
        meta: RecordMeta {
            id: field(&pairs, "id")
                .map(str::to_owned)
                .unwrap_or_else(record_id),
            origin: ORIGIN.into(),
        },
        version,
        figures: figures.clone(),
    };
    let result = entries::save(&state, &c, &actor, &hash, path.slot, &save, submit).await;
    let (capture, entry) = match load(&state, &c, &actor, &hash, path.slot).await {
        Ok(x) => x,
        Err(e) => return api_page(&req, &e),
    };
    let shown = match result {
        Ok(_) => return see_other(&format!("{}?saved=1", entry_url(&c, &hash, path.slot))),
        Err(FiguresError::Stale { .. }) => Shown {
            status: StatusCode::CONFLICT,
            figures,
            invalid: None,
            error: Some(PageContext::new(&req).tr.t("entry-stale")),
            stored: Some(entry.clone()),
            saved: false,
        },
        Err(FiguresError::Api(e)) if e.status_code() == StatusCode::UNPROCESSABLE_ENTITY => Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            figures,
            invalid: named_field(&e).map(|n| n.strip_prefix("figures.").unwrap_or(&n).to_owned()),
            error: Some(e.detail.clone()),
            stored: None,
            saved: false,
        },
        Err(e) => return figures_page(&req, &e),
    };
    render(&req, &state, &c, &capture, &entry, shown).await
}

/// `POST …/entries/{hash}/{slot}/validate` (htmx): core's rules on the typed figures, as the
/// fragment shown next to the fields.
pub async fn validate(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<EntryPath>,
    body: web::Bytes,
) -> HttpResponse {
    let (PageActor { actor, c }, hash) = match guard_capture(
        &req,
        Permission::EnterFigures,
        &path.election,
        &path.constituency,
        &path.hash,
    ) {
        Ok(g) => g,
        Err(resp) => return *resp,
    };
    // Only the operator holding the entry checks figures against its capture.
    if let Err(e) = entries::get(&state, &c, &actor, &hash, path.slot).await {
        return api_page(&req, &e);
    }
    let figures = typed_figures(&form_pairs(&body));
    let ctx = PageContext::new(&req);
    let rules = rules_of(&ctx, &state, &c, &hash, &figures).await;
    let page = RulesPartial { ctx: &ctx, rules };
    ctx.respond(StatusCode::OK, page.render())
}
