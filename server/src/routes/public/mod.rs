//! The public portal's open data over HTTP (`docs/public-api.md`, described by the OpenAPI
//! document at `GET /api/v1/openapi.json`): no login, GET only, readable from any page
//! ([`crate::cors`]'s public reads). The rules live in [`crate::public`]; these handlers check the
//! path parameters (400), call the service and answer with cache validators ([`caching`]).

pub mod caching;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::{self, ApiError, Problem};
use crate::public::memo::Answer;
use crate::public::{archive, bundle, catalogue, devices, documents, identifiers, ledger, results};
use crate::state::AppState;

/// The OpenAPI 3.1 document of the public reads, as written in the repository.
pub const OPENAPI: &str = include_str!("../../../openapi/public-api.json");

const JSON: &str = "application/json";
const CSV: &str = "text/csv; charset=utf-8";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read("/api/v1/openapi.json", openapi));
    cfg.service(read("/api/v1/elections/{election}/ledger", ledger_json));
    cfg.service(read("/api/v1/elections/{election}/ledger.csv", ledger_csv));
    cfg.service(read(
        "/api/v1/elections/{election}/constituencies/{code}/results",
        results_json,
    ));
    cfg.service(read(
        "/api/v1/elections/{election}/constituencies/{code}/results.csv",
        results_csv,
    ));
    cfg.service(read(
        "/api/v1/elections/{election}/constituencies/{code}/bundles.tar",
        bundles_tar,
    ));
    cfg.service(read(
        "/api/v1/elections/{election}/constituencies/{code}/devices",
        devices_json,
    ));
    cfg.service(read("/api/v1/captures/{manifest_hash}/bundle", bundle));
    cfg.service(read("/api/v1/log-documents/{sha256}", log_document));
}

/// A public read: `GET`, and `HEAD` (the same headers, no body), answered by `handler`; any other
/// method 405.
fn read<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args> + Clone,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(error::method_not_allowed))
}

/// `GET /api/v1/elections`, answered by [`crate::routes::elections`]'s resource (which also
/// takes the admin's POST).
pub async fn elections(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let list = catalogue::elections(&state).await?;
    let bytes = serde_json::to_vec(&serde_json::json!({ "elections": list }))
        .map_err(|e| ApiError::internal("elections", e))?;
    Ok(caching::body(&req, JSON, bytes, None, caching::CATALOGUE))
}

async fn openapi(req: HttpRequest) -> HttpResponse {
    caching::body(
        &req,
        JSON,
        OPENAPI.as_bytes().to_vec(),
        None,
        caching::CATALOGUE,
    )
}

/// The ledger's query: one constituency only.
#[derive(Debug, Deserialize)]
struct LedgerQuery {
    constituency: Option<String>,
}

/// Longest query string a public read takes.
const MAX_QUERY_BYTES: usize = 256;

async fn read_ledger(
    req: &HttpRequest,
    state: &AppState,
    election: &str,
) -> Result<ledger::Ledger, ApiError> {
    let election = identifiers::identifier("election id", election)?;
    let bad_query = || {
        ApiError::new(
            Problem::BadRequest,
            "the only query parameter is constituency=<code>",
        )
    };
    if req.query_string().len() > MAX_QUERY_BYTES {
        return Err(bad_query());
    }
    let query =
        web::Query::<LedgerQuery>::from_query(req.query_string()).map_err(|_| bad_query())?;
    let only = query
        .constituency
        .as_deref()
        .map(|c| identifiers::identifier("constituency code", c))
        .transpose()?;
    ledger::ledger(state, election, only).await
}

async fn ledger_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    kept(&req, &state, JSON, || async {
        let l = read_ledger(&req, &state, &path).await?;
        let bytes = serde_json::to_vec(&l).map_err(|e| ApiError::internal("ledger", e))?;
        Ok(Answer::new(bytes, l.last_modified_ms()))
    })
    .await
}

async fn ledger_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    kept(&req, &state, CSV, || async {
        let l = read_ledger(&req, &state, &path).await?;
        Ok(Answer::new(
            ledger::to_csv(&l).into_bytes(),
            l.last_modified_ms(),
        ))
    })
    .await
}

/// The answer to `req` from the server's short-lived copy ([`crate::public::memo`]), or `build`'s, as
/// `content_type` with its validators.
async fn kept<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    content_type: &'static str,
    build: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Answer, ApiError>>,
{
    let ttl = std::time::Duration::from_millis(state.config.public_cache_ms);
    let key = format!("{}?{}", req.path(), req.query_string());
    let a = state.public_memo.answer(key, ttl, build).await?;
    Ok(caching::tagged_body(
        req,
        content_type,
        a.bytes,
        &a.tag,
        a.last_modified_ms,
        caching::SHORT,
    ))
}

async fn read_results(
    state: &AppState,
    path: &(String, String),
) -> Result<results::ConstituencyResults, ApiError> {
    let election = identifiers::identifier("election id", &path.0)?;
    let code = identifiers::identifier("constituency code", &path.1)?;
    results::results(state, election, code).await
}

async fn results_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    kept(&req, &state, JSON, || async {
        let r = read_results(&state, &path).await?;
        let bytes = serde_json::to_vec(&r).map_err(|e| ApiError::internal("results", e))?;
        Ok(Answer::new(bytes, r.last_modified_ms()))
    })
    .await
}

async fn results_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    kept(&req, &state, CSV, || async {
        let r = read_results(&state, &path).await?;
        Ok(Answer::new(
            results::to_csv(&r).into_bytes(),
            r.last_modified_ms(),
        ))
    })
    .await
}

async fn devices_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let election = identifiers::identifier("election id", &path.0)?;
    let code = identifiers::identifier("constituency code", &path.1)?;
    let d = devices::devices(&state, election, code).await?;
    let bytes = serde_json::to_vec(&d).map_err(|e| ApiError::internal("devices", e))?;
    Ok(caching::body(
        &req,
        JSON,
        bytes,
        d.last_modified_ms(),
        caching::SHORT,
    ))
}

async fn bundle(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash = identifiers::manifest_hash(&path)?;
    let b = bundle::bundle(&state, &hash).await?;
    let cache = if b.complete {
        caching::BUNDLE
    } else {
        caching::SHORT
    };
    let mut answer = caching::body(
        &req,
        "application/octet-stream",
        b.bytes,
        Some(b.last_modified_ms),
        cache,
    );
    if answer.status().is_success() {
        let disposition = format!("attachment; filename=\"{}.tsb\"", hash.to_hex());
        if let Ok(v) = header::HeaderValue::from_str(&disposition) {
            answer.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(answer)
}

/// `GET /api/v1/log-documents/{sha256}`: the exact bytes a console leaf's hash commits to.
async fn log_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let hash = identifiers::document_hash(&path)?;
    let bytes = documents::document(&state, &hash).await?;
    Ok(caching::body(&req, JSON, bytes, None, caching::IMMUTABLE))
}

async fn bundles_tar(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let election = identifiers::identifier("election id", &path.0)?;
    let code = identifiers::identifier("constituency code", &path.1)?;
    let plan = archive::plan(&state, election, code).await?;
    let (mut b, fresh) = caching::answer(&req, &plan.etag, plan.last_modified_ms, caching::SHORT);
    if fresh {
        return Ok(b.finish());
    }
    let filename = format!("attachment; filename=\"{election}-{code}-bundles.tar\"");
    b.insert_header((header::CONTENT_TYPE, "application/x-tar"));
    if let Ok(v) = header::HeaderValue::from_str(&filename) {
        b.insert_header((header::CONTENT_DISPOSITION, v));
    }
    Ok(b.streaming(archive::stream(state.clone(), plan)))
}
