//! The RO's corrections pages: the captures whose two blind entries (or the PO's sealed figures)
//! disagree, and for one capture the entries side by side with the PO's figures and the image,
//! the differing fields highlighted, each settled with a value and a reason.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use serde_json::Value;

use super::entry::named_field;
use super::{
    ORIGIN, PageActor, api_page, field, field_label, figures_page, form_pairs, guard,
    guard_capture, record_id, see_other,
};
use crate::accounts::{ConstituencyRef, Permission};
use crate::figures::FiguresError;
use crate::figures::capture;
use crate::figures::corrections::{self, CorrectionsView, SettleRequest, Settlement};
use crate::figures::records::RecordMeta;
use crate::figures::worklist::{self, AwaitingCapture};
use crate::state::AppState;
use crate::web::page::PageContext;

#[derive(Debug, Template)]
#[template(path = "console/figures/corrections_list.html")]
struct ListPage<'a> {
    ctx: &'a PageContext,
    c: ConstituencyRef,
    rows: Vec<AwaitingCapture>,
}

/// One field side by side.
#[derive(Debug)]
struct Row {
    name: String,
    label: String,
    first: String,
    second: String,
    sealed: String,
    differs: bool,
    value: String,
    reason: String,
    invalid: bool,
}

#[derive(Debug, Template)]
#[template(path = "console/figures/corrections.html")]
struct CorrectionsPage<'a> {
    ctx: &'a PageContext,
    c: ConstituencyRef,
    hash: String,
    station: u32,
    has_sealed: bool,
    both_submitted: bool,
    rows: Vec<Row>,
    record: String,
    supersedes: String,
    confirmed: Option<String>,
    error: Option<String>,
    settled: bool,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct HashPath {
    election: String,
    constituency: String,
    hash: String,
}

/// `GET /console/{e}/{c}/corrections`: the captures awaiting the RO's corrections.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let PageActor { actor, c } = match guard(&req, Permission::SettleCorrections, &path.0, &path.1)
    {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let rows = match worklist::awaiting(&state, &c, &actor).await {
        Ok(rows) => rows.into_iter().filter(|r| r.corrections_pending).collect(),
        Err(e) => return api_page(&req, &e),
    };
    let ctx = PageContext::new(&req);
    let page = ListPage { ctx: &ctx, c, rows };
    ctx.respond(StatusCode::OK, page.render())
}

fn number(v: Option<&u32>) -> String {
    v.map(u32::to_string).unwrap_or_default()
}

struct Typed<'a> {
    pairs: &'a [(String, String)],
    invalid: Option<String>,
    error: Option<String>,
    status: StatusCode,
    settled: bool,
}

fn render(
    req: &HttpRequest,
    c: &ConstituencyRef,
    view: &CorrectionsView,
    candidates: &[tallyseal_core::model::Candidate],
    typed: Typed<'_>,
) -> HttpResponse {
    let ctx = PageContext::new(req);
    let side = |slot: i64| view.entries.iter().find(|e| e.slot == slot);
    let rows = view
        .fields
        .iter()
        .map(|name| Row {
            label: field_label(&ctx.tr, name, candidates),
            first: number(side(1).and_then(|e| e.figures.get(name))),
            second: number(side(2).and_then(|e| e.figures.get(name))),
            sealed: number(view.sealed.as_ref().and_then(|s| s.get(name))),
            differs: view.differing.contains(name),
            value: field(typed.pairs, &format!("v.{name}"))
                .unwrap_or_default()
                .to_owned(),
            reason: field(typed.pairs, &format!("r.{name}"))
                .unwrap_or_default()
                .to_owned(),
            invalid: typed.invalid.as_deref() == Some(name.as_str()),
            name: name.clone(),
        })
        .collect();
    let page = CorrectionsPage {
        ctx: &ctx,
        c: c.clone(),
        hash: view.manifest_hash.clone(),
        station: view.station,
        has_sealed: view.sealed.is_some(),
        both_submitted: view
            .entries
            .iter()
            .filter(|e| e.state == "submitted")
            .count()
            == 2,
        rows,
        record: record_id(),
        supersedes: view
            .confirmation
            .as_ref()
            .map(|c| c.record.clone())
            .unwrap_or_default(),
        confirmed: view.confirmation.as_ref().map(|c| c.how.clone()),
        error: typed.error,
        settled: typed.settled,
    };
    ctx.respond(typed.status, page.render())
}

/// `GET /console/{e}/{c}/corrections/{hash}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<HashPath>,
) -> HttpResponse {
    let (PageActor { c, .. }, hash) = match guard_capture(
        &req,
        Permission::SettleCorrections,
        &path.election,
        &path.constituency,
        &path.hash,
    ) {
        Ok(g) => g,
        Err(resp) => return *resp,
    };
    let (view, capture) = match (
        corrections::view(&state, &c, &hash).await,
        capture::load(&state, &c, &hash).await,
    ) {
        (Ok(v), Ok(k)) => (v, k),
        (Err(e), _) | (_, Err(e)) => return api_page(&req, &e),
    };
    let typed = Typed {
        pairs: &[],
        invalid: None,
        error: None,
        status: StatusCode::OK,
        settled: req.query_string().contains("settled=1"),
    };
    render(&req, &c, &view, &capture.constituency.candidates, typed)
}

/// `POST /console/{e}/{c}/corrections/{hash}`: settle every differing field (`v.<field>`,
/// `r.<field>`).
pub async fn settle(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<HashPath>,
    body: web::Bytes,
) -> HttpResponse {
    let (PageActor { actor, c }, hash) = match guard_capture(
        &req,
        Permission::SettleCorrections,
        &path.election,
        &path.constituency,
        &path.hash,
    ) {
        Ok(g) => g,
        Err(resp) => return *resp,
    };
    let pairs = form_pairs(&body);
    let settlements = pairs
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("v.")?;
            let v = v.trim();
            let reason = field(&pairs, &format!("r.{name}")).unwrap_or_default();
            if v.is_empty() && reason.trim().is_empty() {
                return None;
            }
            let value = match v.parse::<u64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::String(v.to_owned()),
            };
            Some(Settlement {
                field: name.to_owned(),
                value,
                reason: reason.to_owned(),
            })
        })
        .collect();
    let request = SettleRequest {
        meta: RecordMeta {
            id: field(&pairs, "id")
                .map(str::to_owned)
                .unwrap_or_else(record_id),
            origin: ORIGIN.into(),
        },
        supersedes: field(&pairs, "supersedes")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        settlements,
    };
    let result = corrections::settle(&state, &c, &actor, &hash, &request).await;
    let (view, capture) = match (
        corrections::view(&state, &c, &hash).await,
        capture::load(&state, &c, &hash).await,
    ) {
        (Ok(v), Ok(k)) => (v, k),
        (Err(e), _) | (_, Err(e)) => return api_page(&req, &e),
    };
    let tr = PageContext::new(&req).tr;
    let typed = match result {
        Ok(_) => {
            return see_other(&format!(
                "/console/{}/{}/corrections/{hash}?settled=1",
                c.election, c.code
            ));
        }
        Err(FiguresError::Stale { .. }) => Typed {
            pairs: &pairs,
            invalid: None,
            error: Some(tr.t("corrections-stale")),
            status: StatusCode::CONFLICT,
            settled: false,
        },
        Err(FiguresError::Api(e)) if e.status_code() == StatusCode::UNPROCESSABLE_ENTITY => {
            // `settlements[i]` names the field by position: show the field's own name.
            let invalid = named_field(&e).and_then(|n| {
                let i = n
                    .strip_prefix("settlements[")
                    .and_then(|r| r.split(']').next())
                    .and_then(|i| i.parse::<usize>().ok());
                match i {
                    Some(i) => request.settlements.get(i).map(|s| s.field.clone()),
                    None => Some(n),
                }
            });
            Typed {
                pairs: &pairs,
                invalid,
                error: Some(format!("{} {}", tr.t("error-422"), e.detail)),
                status: StatusCode::UNPROCESSABLE_ENTITY,
                settled: false,
            }
        }
        Err(e) => return figures_page(&req, &e),
    };
    render(&req, &c, &view, &capture.constituency.candidates, typed)
}
