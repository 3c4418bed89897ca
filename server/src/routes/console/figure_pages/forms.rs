//! The Forms 47, 48 and 49 pages: the form compiled now (candidate totals, turnout by gender,
//! the stations awaited with reasons, the deadline status, each counted station linked to its
//! capture), signing a new version (a reason when it supersedes one, a late reason after the
//! deadline), the signed versions with their CSV and JSON exports, Form-49's postal ballots, and
//! a printable A4 page in the form's layout.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use serde_json::{Map, Value};

use super::form_view::FormView;
use super::{
    ORIGIN, PageActor, api_page, field, figures_page, form_pairs, guard, record_id, see_other,
};
use crate::accounts::{ConstituencyRef, Permission, authorize};
use crate::error::ApiError;
use crate::figures::FiguresError;
use crate::figures::compile::ResultForm;
use crate::figures::fields::candidate_field;
use crate::figures::postal::{self, PostalRequest};
use crate::figures::records::RecordMeta;
use crate::figures::signing::{self, SignRequest, SignedFormView};
use crate::state::AppState;
use crate::web::page::{self, PageContext};

/// A signed version as listed.
#[derive(Debug)]
struct VersionLine {
    version: i64,
    record: String,
    signed_at: String,
    reason: String,
    body_sha256: String,
}

#[derive(Debug, Template)]
#[template(path = "console/figures/form.html")]
struct FormPage<'a> {
    ctx: &'a PageContext,
    c: ConstituencyRef,
    form: &'static str,
    title_key: &'static str,
    view: FormView,
    versions: Vec<VersionLine>,
    can_sign: bool,
    record: String,
    supersedes: String,
    reason: String,
    late_reason: String,
    error: Option<String>,
    notice: Option<String>,
    postal_fields: Vec<(String, String, String)>,
    postal_rejected: String,
    postal_reason: String,
}

#[derive(Debug, Template)]
#[template(path = "console/figures/form_print.html")]
struct PrintPage<'a> {
    ctx: &'a PageContext,
    c: ConstituencyRef,
    title_key: &'static str,
    election_name: String,
    constituency_name: String,
    version: Option<i64>,
    signed: String,
    view: FormView,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct FormPath {
    election: String,
    constituency: String,
    form: String,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct VersionPath {
    election: String,
    constituency: String,
    form: String,
    n: i64,
}

fn title_key(form: ResultForm) -> &'static str {
    match form {
        ResultForm::Form47 => "form47-title",
        ResultForm::Form48 => "form48-title",
        ResultForm::Form49 => "form49-title",
    }
}

fn form_of(req: &HttpRequest, s: &str) -> Result<ResultForm, Box<HttpResponse>> {
    ResultForm::parse(s).ok_or_else(|| Box::new(page::status_page(req, StatusCode::NOT_FOUND)))
}

/// A time as RFC 3339 UTC.
fn when(ms: i64) -> String {
    tallyseal_core::verify::fmt_ms(ms)
}

fn line(v: &SignedFormView) -> VersionLine {
    VersionLine {
        version: v.version,
        record: v.record.clone(),
        signed_at: v.statement["signed_at_ms"]
            .as_i64()
            .map(when)
            .unwrap_or_default(),
        reason: v.statement["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body_sha256: v.body_sha256.clone(),
    }
}

struct Shown<'a> {
    status: StatusCode,
    pairs: &'a [(String, String)],
    error: Option<String>,
    notice: Option<String>,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    p: &PageActor,
    form: ResultForm,
    shown: Shown<'_>,
) -> HttpResponse {
    let (preview, versions) = match (
        signing::preview(state, &p.c, form).await,
        signing::versions(state, &p.c, form).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return api_page(req, &e),
    };
    let ctx = PageContext::new(req);
    let view = FormView::of(&ctx.tr, &preview);
    let typed = |k: &str| field(shown.pairs, k).unwrap_or_default().to_owned();
    let postal_fields = if form == ResultForm::Form49 {
        view.candidates
            .iter()
            .map(|c| {
                let name = candidate_field(c.ballot_no as u32);
                let label = format!("{}. {} ({})", c.ballot_no, c.name, c.party);
                let value = typed(&format!("p.{name}"));
                (name, label, value)
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = FormPage {
        ctx: &ctx,
        c: p.c.clone(),
        form: form.as_str(),
        title_key: title_key(form),
        versions: versions.iter().rev().map(line).collect(),
        can_sign: authorize(&p.actor, Permission::SignForms, Some(&p.c)),
        record: record_id(),
        supersedes: versions
            .last()
            .map(|v| v.record.clone())
            .unwrap_or_default(),
        reason: typed("reason"),
        late_reason: typed("late_reason"),
        error: shown.error,
        notice: shown.notice,
        postal_fields,
        postal_rejected: typed("rejected"),
        postal_reason: typed("postal_reason"),
        view,
    };
    ctx.respond(shown.status, page.render())
}

/// `GET /console/{e}/{c}/forms/{form}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> HttpResponse {
    let p = match guard(
        &req,
        Permission::ViewResults,
        &path.election,
        &path.constituency,
    ) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let form = match form_of(&req, &path.form) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let tr = PageContext::new(&req).tr;
    let notice = if req.query_string().contains("signed=1") {
        Some(tr.t("form-signed"))
    } else if req.query_string().contains("postal=1") {
        Some(tr.t("postal-saved"))
    } else {
        None
    };
    let shown = Shown {
        status: StatusCode::OK,
        pairs: &[],
        error: None,
        notice,
    };
    render(&req, &state, &p, form, shown).await
}

fn optional(pairs: &[(String, String)], k: &str) -> Option<String> {
    field(pairs, k)
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
}

fn refusal<'a>(
    req: &HttpRequest,
    pairs: &'a [(String, String)],
    e: &FiguresError,
) -> Result<Shown<'a>, Box<HttpResponse>> {
    let tr = PageContext::new(req).tr;
    match e {
        FiguresError::Stale { .. } => Ok(Shown {
            status: StatusCode::CONFLICT,
            pairs,
            error: Some(tr.t("form-stale")),
            notice: None,
        }),
        FiguresError::Api(a) if a.status_code() == StatusCode::UNPROCESSABLE_ENTITY => Ok(Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            pairs,
            error: Some(format!("{} {}", tr.t("error-422"), a.detail)),
            notice: None,
        }),
        other => Err(Box::new(figures_page(req, other))),
    }
}

/// `POST /console/{e}/{c}/forms/{form}/sign` with `supersedes`, `reason`, `late_reason`.
pub async fn sign(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<FormPath>,
    body: web::Bytes,
) -> HttpResponse {
    let p = match guard(
        &req,
        Permission::SignForms,
        &path.election,
        &path.constituency,
    ) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let form = match form_of(&req, &path.form) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let pairs = form_pairs(&body);
    let request = SignRequest {
        meta: RecordMeta {
            id: field(&pairs, "id")
                .map(str::to_owned)
                .unwrap_or_else(record_id),
            origin: ORIGIN.into(),
        },
        supersedes: optional(&pairs, "supersedes"),
        reason: optional(&pairs, "reason"),
        late_reason: optional(&pairs, "late_reason"),
    };
    match signing::sign(&state, &p.c, &p.actor, form, &request).await {
        Ok(_) => see_other(&format!(
            "/console/{}/{}/forms/{}?signed=1",
            p.c.election,
            p.c.code,
            form.as_str()
        )),
        Err(e) => match refusal(&req, &pairs, &e) {
            Ok(shown) => render(&req, &state, &p, form, shown).await,
            Err(resp) => *resp,
        },
    }
}

fn number_or_text(v: &str) -> Value {
    let v = v.trim();
    v.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(v.to_owned()))
}

/// `POST /console/{e}/{c}/postal-ballots`: Form-49's postal ballots (`p.candidate_<n>`,
/// `rejected`, `reason`, `supersedes`).
pub async fn postal(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let p = match guard(&req, Permission::SignForms, &path.0, &path.1) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let pairs = form_pairs(&body);
    let mut votes = Map::new();
    for (k, v) in &pairs {
        if let Some(name) = k.strip_prefix("p.") {
            votes.insert(name.to_owned(), number_or_text(v));
        }
    }
    let request = PostalRequest {
        meta: RecordMeta {
            id: field(&pairs, "id")
                .map(str::to_owned)
                .unwrap_or_else(record_id),
            origin: ORIGIN.into(),
        },
        supersedes: optional(&pairs, "supersedes"),
        votes: Value::Object(votes),
        rejected: number_or_text(field(&pairs, "rejected").unwrap_or_default()),
        reason: field(&pairs, "postal_reason")
            .unwrap_or_default()
            .to_owned(),
    };
    match postal::enter_postal(&state, &p.c, &p.actor, &request).await {
        Ok(_) => see_other(&format!(
            "/console/{}/{}/forms/form49?postal=1",
            p.c.election, p.c.code
        )),
        Err(e) => match refusal(&req, &pairs, &e) {
            Ok(shown) => render(&req, &state, &p, ResultForm::Form49, shown).await,
            Err(resp) => *resp,
        },
    }
}

async fn print(
    req: &HttpRequest,
    state: &AppState,
    p: &PageActor,
    form: ResultForm,
    n: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    let ctx = PageContext::new(req);
    let (content, signed) = match n {
        Some(n) => {
            let v = signing::version(state, &p.c, form, n).await?;
            let at = v.statement["signed_at_ms"].as_i64().map(when);
            (v.statement["content"].clone(), at.unwrap_or_default())
        }
        None => (signing::preview(state, &p.c, form).await?, String::new()),
    };
    let page = PrintPage {
        ctx: &ctx,
        c: p.c.clone(),
        title_key: title_key(form),
        election_name: content["election"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        constituency_name: content["constituency"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        version: n,
        signed,
        view: FormView::of(&ctx.tr, &content),
    };
    Ok(ctx.respond(StatusCode::OK, page.render()))
}

/// `GET /console/{e}/{c}/forms/{form}/print`: the form compiled now, printable (unsigned).
pub async fn print_preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> HttpResponse {
    let p = match guard(
        &req,
        Permission::ViewResults,
        &path.election,
        &path.constituency,
    ) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let form = match form_of(&req, &path.form) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    print(&req, &state, &p, form, None)
        .await
        .unwrap_or_else(|e| api_page(&req, &e))
}

/// `GET /console/{e}/{c}/forms/{form}/versions/{n}/print`: a signed version, printable.
pub async fn print_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<VersionPath>,
) -> HttpResponse {
    let p = match guard(
        &req,
        Permission::ViewResults,
        &path.election,
        &path.constituency,
    ) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let form = match form_of(&req, &path.form) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    print(&req, &state, &p, form, Some(path.n))
        .await
        .unwrap_or_else(|e| api_page(&req, &e))
}
