//! The quarantine page: every confirmed station with findings, each finding in plain words, and
//! the RO's release with a reason (a release covers the findings the station has now).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;

use super::{
    ORIGIN, PageActor, api_page, field, figures_page, finding_text, form_pairs, guard,
    guard_capture, record_id, see_other,
};
use crate::accounts::{ConstituencyRef, Permission, authorize};
use crate::figures::FiguresError;
use crate::figures::quarantine::{self, ReleaseRequest};
use crate::figures::records::RecordMeta;
use crate::state::AppState;
use crate::web::page::PageContext;

/// A station held or released, as shown.
#[derive(Debug)]
struct Row {
    station: u32,
    manifest_hash: String,
    /// (plain words, the measured detail)
    findings: Vec<(String, String)>,
    quarantined: bool,
    record: String,
    reason: String,
}

#[derive(Debug, Template)]
#[template(path = "console/figures/quarantine.html")]
struct QuarantinePage<'a> {
    ctx: &'a PageContext,
    c: ConstituencyRef,
    rows: Vec<Row>,
    can_release: bool,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct HashPath {
    election: String,
    constituency: String,
    hash: String,
}

struct Shown {
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    /// The typed reason, for the station it was typed for.
    typed: Option<(String, String)>,
}

async fn render(req: &HttpRequest, state: &AppState, p: &PageActor, shown: Shown) -> HttpResponse {
    let list = match quarantine::list(state, &p.c).await {
        Ok(l) => l,
        Err(e) => return api_page(req, &e),
    };
    let ctx = PageContext::new(req);
    let rows = list
        .into_iter()
        .map(|s| Row {
            findings: s
                .findings
                .iter()
                .map(|f| (finding_text(&ctx.tr, &f.code), f.detail.clone()))
                .collect(),
            reason: match &shown.typed {
                Some((h, r)) if *h == s.manifest_hash => r.clone(),
                _ => String::new(),
            },
            station: s.station,
            manifest_hash: s.manifest_hash,
            quarantined: s.quarantined,
            record: record_id(),
        })
        .collect();
    let page = QuarantinePage {
        ctx: &ctx,
        c: p.c.clone(),
        rows,
        can_release: authorize(&p.actor, Permission::ReleaseQuarantine, Some(&p.c)),
        notice: shown.notice,
        error: shown.error,
    };
    ctx.respond(shown.status, page.render())
}

/// `GET /console/{e}/{c}/quarantine`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let p = match guard(&req, Permission::ViewResults, &path.0, &path.1) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let notice = req
        .query_string()
        .contains("released=1")
        .then(|| PageContext::new(&req).tr.t("quarantine-released-done"));
    let shown = Shown {
        status: StatusCode::OK,
        notice,
        error: None,
        typed: None,
    };
    render(&req, &state, &p, shown).await
}

/// `POST /console/{e}/{c}/quarantine/{hash}/release` with `reason`.
pub async fn release(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<HashPath>,
    body: web::Bytes,
) -> HttpResponse {
    let (p, hash) = match guard_capture(
        &req,
        Permission::ReleaseQuarantine,
        &path.election,
        &path.constituency,
        &path.hash,
    ) {
        Ok(g) => g,
        Err(resp) => return *resp,
    };
    let pairs = form_pairs(&body);
    let reason = field(&pairs, "reason").unwrap_or_default().to_owned();
    let request = ReleaseRequest {
        meta: RecordMeta {
            id: field(&pairs, "id")
                .map(str::to_owned)
                .unwrap_or_else(record_id),
            origin: ORIGIN.into(),
        },
        reason: reason.clone(),
    };
    let tr = PageContext::new(&req).tr;
    let shown = match quarantine::release(&state, &p.c, &p.actor, &hash, &request).await {
        Ok(_) => {
            return see_other(&format!(
                "/console/{}/{}/quarantine?released=1",
                p.c.election, p.c.code
            ));
        }
        Err(FiguresError::Stale { .. }) => Shown {
            status: StatusCode::CONFLICT,
            notice: None,
            error: Some(tr.t("quarantine-stale")),
            typed: None,
        },
        Err(FiguresError::Api(e)) if e.status_code() == StatusCode::UNPROCESSABLE_ENTITY => Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: None,
            error: Some(format!("{} {}", tr.t("error-422"), e.detail)),
            typed: Some((hash, reason)),
        },
        Err(e) => return figures_page(&req, &e),
    };
    render(&req, &state, &p, shown).await
}
