//! The public portal's pages over HTTP (`docs/portal.md`): no login, GET and HEAD only, plain
//! HTML that reads whole without JavaScript. Thin: check the path and query (400 as a plain page,
//! never echoing the value), call [`crate::portal`], render, and answer with the open data's
//! cache validators ([`super::public::caching`]: `ETag` of the bytes, `Last-Modified`,
//! `Cache-Control`, 304).
//!
//! - `GET /portal`: the elections; `/portal/elections/{election}`: the national overview;
//!   `…/ledger` (`?constituency=`): the ledger; `…/constituencies/{code}`: a constituency,
//!   `…/events` its live updates (server-sent events); `…/stations/{n}`: a station.
//! - `GET /portal/captures/{hash}/image`: a capture's image (`…/rendition`: its copy at most 800
//!   pixels wide, for the station page); `/portal/static/{file}`: the CSS
//!   and the live-update script.

mod pages;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::public::caching;
use crate::error::{ApiError, Problem};
use crate::portal::context::PortalContext;
use crate::portal::live::ResultsWatch;
use crate::portal::{
    assets, constituency, image, ledger_page, live, national, rendition, station, words,
};
use crate::public::identifiers;
use crate::state::AppState;

const HTML: &str = "text/html; charset=utf-8";
/// Longest query string a page takes.
const MAX_QUERY_BYTES: usize = 256;
/// What the pages may load: their own files only (and WebAssembly for the in-browser verifier).
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// A resource answering GET and HEAD with `handler`, and 405 otherwise.
fn page<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(method_not_allowed))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(ResultsWatch::default()))
        .service(page("/portal", elections))
        .service(page("/portal/static/{file}", static_file))
        .service(page("/portal/captures/{hash}/image", capture_image))
        .service(page("/portal/captures/{hash}/rendition", capture_rendition))
        .service(page("/portal/elections/{election}", election))
        .service(page("/portal/elections/{election}/ledger", ledger))
        .service(page(
            "/portal/elections/{election}/constituencies/{code}",
            constituency_page,
        ))
        .service(page(
            "/portal/elections/{election}/constituencies/{code}/events",
            events,
        ))
        .service(page(
            "/portal/elections/{election}/constituencies/{code}/stations/{station}",
            station_page,
        ));
}

/// The query a page takes: the language, and the ledger's constituency.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    /// Read by the page context.
    #[allow(dead_code)]
    lang: String,
    constituency: Option<String>,
}

fn query(req: &HttpRequest) -> Result<PageQuery, ApiError> {
    let bad = || ApiError::new(Problem::BadRequest, "the query is not one this page takes");
    if req.query_string().len() > MAX_QUERY_BYTES {
        return Err(bad());
    }
    web::Query::<PageQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|_| bad())
}

/// Headers every portal page carries.
fn page_headers(resp: &mut HttpResponse, ctx: &PortalContext) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if ctx.negotiated {
        h.insert(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
    }
}

/// A rendered page with its validators (a template failure is a plain 500).
fn html(
    req: &HttpRequest,
    ctx: &PortalContext,
    rendered: Result<String, askama::Error>,
    last_modified_ms: Option<i64>,
    cache_control: &'static str,
) -> HttpResponse {
    let mut resp = match rendered {
        Ok(body) => caching::body(
            req,
            HTML,
            body.into_bytes(),
            last_modified_ms,
            cache_control,
        ),
        Err(e) => {
            log::error!("portal template: {e}");
            return error_page(req, ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    page_headers(&mut resp, ctx);
    resp
}

/// The plain error page of a status.
fn error_page(req: &HttpRequest, ctx: &PortalContext, status: StatusCode) -> HttpResponse {
    let key = match status.as_u16() {
        400 => "portal-error-400",
        404 => "portal-error-404",
        405 => "portal-error-405",
        _ => "portal-error-503",
    };
    // The language switch leads to the elections: the refused address is never repeated.
    let ctx = &PortalContext::with(ctx.tr.lang, "/portal", ctx.negotiated);
    let body = pages::error(ctx, key).unwrap_or_else(|_| "error".to_owned());
    let _ = req;
    let mut resp = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HTML))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body);
    page_headers(&mut resp, ctx);
    resp
}

/// The page of a refusal or failure: its status, the catalogue's words (never its detail).
fn failed(req: &HttpRequest, ctx: &PortalContext, e: ApiError) -> HttpResponse {
    let status = e.problem.status();
    if status.is_server_error() {
        log::warn!("portal page {}: {}", req.path(), e.detail);
    }
    error_page(req, ctx, status)
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let ctx = PortalContext::new(&req);
    let mut resp = error_page(&req, &ctx, StatusCode::METHOD_NOT_ALLOWED);
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    resp
}

/// Run a page: the query checked, then `build`; any refusal becomes its plain page.
async fn run<F, Fut>(req: HttpRequest, build: F) -> HttpResponse
where
    F: FnOnce(PortalContext, PageQuery) -> Fut,
    Fut: std::future::Future<Output = Result<HttpResponse, (PortalContext, ApiError)>>,
{
    let ctx = PortalContext::new(&req);
    let q = match query(&req) {
        Ok(q) => q,
        Err(e) => return failed(&req, &ctx, e),
    };
    match build(ctx, q).await {
        Ok(resp) => resp,
        Err((ctx, e)) => failed(&req, &ctx, e),
    }
}

async fn elections(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let r = req.clone();
    run(req, |ctx, _| async move {
        match national::elections(&state, &ctx).await {
            Ok(v) => Ok(html(
                &r,
                &ctx,
                pages::elections(&ctx, v),
                None,
                caching::CATALOGUE,
            )),
            Err(e) => Err((ctx, e)),
        }
    })
    .await
}

async fn election(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let r = req.clone();
    run(req, |ctx, _| async move {
        let v = match identifiers::identifier("election id", &path) {
            Ok(e) => national::election(&state, &ctx, e).await,
            Err(e) => Err(e),
        };
        match v {
            Ok(v) => {
                let lm = v.last_modified_ms;
                Ok(html(&r, &ctx, pages::election(&ctx, v), lm, caching::SHORT))
            }
            Err(e) => Err((ctx, e)),
        }
    })
    .await
}

async fn ledger(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let r = req.clone();
    run(req, |ctx, q| async move {
        let v = async {
            let election = identifiers::identifier("election id", &path)?;
            let only = q
                .constituency
                .as_deref()
                .map(|c| identifiers::identifier("constituency code", c))
                .transpose()?;
            ledger_page::ledger_page(&state, &ctx, election, only).await
        }
        .await;
        match v {
            Ok(v) => {
                let lm = v.last_modified_ms;
                Ok(html(&r, &ctx, pages::ledger(&ctx, v), lm, caching::SHORT))
            }
            Err(e) => Err((ctx, e)),
        }
    })
    .await
}

fn constituency_params(path: &(String, String)) -> Result<(&str, &str), ApiError> {
    Ok((
        identifiers::identifier("election id", &path.0)?,
        identifiers::identifier("constituency code", &path.1)?,
    ))
}

async fn constituency_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let r = req.clone();
    run(req, |ctx, _| async move {
        let v = match constituency_params(&path) {
            Ok((e, c)) => constituency::constituency(&state, &ctx, e, c).await,
            Err(e) => Err(e),
        };
        match v {
            Ok(v) => {
                let lm = v.last_modified_ms;
                Ok(html(
                    &r,
                    &ctx,
                    pages::constituency(&ctx, v),
                    lm,
                    caching::SHORT,
                ))
            }
            Err(e) => Err((ctx, e)),
        }
    })
    .await
}

async fn station_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let r = req.clone();
    run(req, |ctx, _| async move {
        let (e, c, s) = path.into_inner();
        let pair = (e, c);
        let v = async {
            let (e, c) = constituency_params(&pair)?;
            let n = words::station_number(&s)?;
            station::station(&state, &ctx, e, c, n).await
        }
        .await;
        match v {
            Ok(v) => {
                let lm = v.last_modified_ms;
                Ok(html(&r, &ctx, pages::station(&ctx, v), lm, caching::SHORT))
            }
            Err(e) => Err((ctx, e)),
        }
    })
    .await
}

/// `…/events`: `change` whenever the constituency's page changed (plain 4xx page otherwise).
async fn events(
    req: HttpRequest,
    state: web::Data<AppState>,
    watch: web::Data<ResultsWatch>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let ctx = PortalContext::new(&req);
    let (election, code) = match constituency_params(&path) {
        Ok((e, c)) => (e.to_owned(), c.to_owned()),
        Err(e) => return failed(&req, &ctx, e),
    };
    match live::changes(state.clone(), watch.clone(), election, code).await {
        Ok(stream) => HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("X-Accel-Buffering", "no"))
            .streaming(stream),
        Err(e) => failed(&req, &ctx, e),
    }
}

/// A capture's image: content-addressed, so cached for a year.
async fn capture_image(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    serve_image(req, state, path, false).await
}

/// The station page's smaller copy of a capture's image ([`rendition`]): derived from the
/// content-addressed original, so cached for a year too.
async fn capture_rendition(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    serve_image(req, state, path, true).await
}

async fn serve_image(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    smaller: bool,
) -> HttpResponse {
    let ctx = PortalContext::new(&req);
    let found = match identifiers::manifest_hash(&path) {
        Ok(h) if smaller => rendition::rendition(&state, &h.to_hex()).await,
        Ok(h) => image::capture_image(&state, &h.to_hex()).await,
        Err(e) => Err(e),
    };
    let img = match found {
        Ok(img) => img,
        Err(e) => return failed(&req, &ctx, e),
    };
    let content_type = match img.media_type.as_str() {
        "image/jpeg" => "image/jpeg",
        "image/heic" => "image/heic",
        "image/heif" => "image/heif",
        _ => "application/octet-stream",
    };
    let tag = if smaller {
        format!("{}-w{}", img.sha256, rendition::WIDTH)
    } else {
        img.sha256.clone()
    };
    let (mut b, fresh) = caching::answer(
        &req,
        &tag,
        Some(img.received_at_ms),
        "public, max-age=31536000, immutable",
    );
    b.insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return b.finish();
    }
    b.insert_header((header::CONTENT_TYPE, content_type))
        .body(img.bytes)
}

async fn static_file(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    match assets::find(&format!("/portal/static/{file}")) {
        Some(a) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, a.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(a.bytes),
        None => {
            let ctx = PortalContext::new(&req);
            error_page(&req, &ctx, StatusCode::NOT_FOUND)
        }
    }
}
