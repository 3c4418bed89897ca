//! The landing page at `/`: plain server-rendered HTML (no script, nothing fetched from elsewhere)
//! saying what this server is — tallyseal, the Commission, the version, the elections published
//! here — with the list of API endpoints. The template is `server/templates/landing.html`
//! (askama: checked at compile time, every value HTML-escaped); the navigation is a list so the
//! console and the public portal can be linked there when they exist.
//!
//! Must never show anything private: only what `GET /api/v1/…` already gives anyone.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::error::{self, ApiError};
use crate::state::AppState;

/// Register `GET /` (and `HEAD /`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::get().to(landing))
            .route(web::head().to(landing))
            .default_service(web::to(error::method_not_allowed)),
    );
}

/// A link in the page's navigation.
#[derive(Debug)]
struct Link {
    href: &'static str,
    label: &'static str,
}

/// One row of the API table.
#[derive(Debug)]
struct Endpoint {
    request: &'static str,
    who: &'static str,
    what: &'static str,
}

/// An election published on this server.
#[derive(Debug)]
struct Election {
    id: String,
}

#[derive(Debug, Template)]
#[template(path = "landing.html")]
struct LandingPage<'a> {
    commission_name: &'a str,
    version: &'static str,
    links: &'static [Link],
    elections: Vec<Election>,
    endpoints: &'static [Endpoint],
}

const LINKS: &[Link] = &[
    Link {
        href: "#api",
        label: "API",
    },
    Link {
        href: "/api/v1/health",
        label: "Health",
    },
    Link {
        href: "/api/v1/keys",
        label: "Commission keys",
    },
];

/// The endpoints (docs/server-api.md, "Endpoints", has the details).
const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        request: "GET /api/v1/health",
        who: "anyone",
        what: "the database answers; the near-duplicate analysis backlog",
    },
    Endpoint {
        request: "GET /api/v1/keys",
        who: "anyone",
        what: "the Commission key that signs receipts, time anchors and packages; the \
               transparency log's key and its witnesses' keys",
    },
    Endpoint {
        request: "POST /api/v1/time-anchor",
        who: "phone",
        what: "a time anchor signed by the server, for the capture-time evidence",
    },
    Endpoint {
        request: "POST /api/v1/elections",
        who: "admin",
        what: "import (publish) a signed election package",
    },
    Endpoint {
        request: "GET /api/v1/elections/{id}/package",
        who: "anyone",
        what: "the signed election package",
    },
    Endpoint {
        request: "POST /api/v1/elections/{id}/enrolment-codes",
        who: "admin",
        what: "a one-time enrolment code for a polling station",
    },
    Endpoint {
        request: "POST /api/v1/enrol",
        who: "phone",
        what: "enrol a device key for a station with a code",
    },
    Endpoint {
        request: "POST /api/v1/devices/{key}/revoke",
        who: "admin",
        what: "revoke a device key",
    },
    Endpoint {
        request: "POST /api/v1/captures",
        who: "phone",
        what: "the signed capture manifest (hash first); answers with a signed receipt",
    },
    Endpoint {
        request: "GET /api/v1/captures/{manifest_hash}",
        who: "anyone",
        what: "a capture's status, latest receipt, verification report and its proof of \
               inclusion in the log",
    },
    Endpoint {
        request: "OPTIONS/POST /api/v1/uploads, HEAD/PATCH /api/v1/uploads/{id}",
        who: "phone",
        what: "the image over tus 1.0 (resumable); the last request's answer carries the \
               verified receipt",
    },
    Endpoint {
        request: "GET /log/checkpoint, GET /log/tile/…",
        who: "anyone",
        what: "the public transparency log (C2SP tlog-tiles): the latest signed checkpoint with \
               its witnesses' cosignatures, hash tiles and entry bundles",
    },
    Endpoint {
        request: "GET /metrics",
        who: "operator",
        what: "Prometheus metrics (keep it off the public proxy)",
    },
];

/// `GET /`.
async fn landing(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let elections = published_elections(&state.db.pool)
        .await
        .map_err(|e| ApiError::unavailable("database", e))?;
    let page = LandingPage {
        commission_name: &state.config.commission_name,
        version: env!("CARGO_PKG_VERSION"),
        links: LINKS,
        elections,
        endpoints: ENDPOINTS,
    };
    let html = page
        .render()
        .map_err(|e| ApiError::internal("landing page", e))?;
    Ok(HttpResponse::Ok()
        .insert_header(ContentType::html())
        .body(html))
}

/// The elections published here, oldest first (at most 200: a server serves a few).
async fn published_elections(pool: &sqlx::AnyPool) -> Result<Vec<Election>, sqlx::Error> {
    Ok(crate::elections::published_ids(pool, 200)
        .await?
        .into_iter()
        .map(|id| Election { id })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_what_it_shows() {
        let page = LandingPage {
            commission_name: "<script>alert(1)</script>",
            version: "0.1.0",
            links: LINKS,
            elections: vec![Election {
                id: "pk-2024-na".into(),
            }],
            endpoints: ENDPOINTS,
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
        assert!(html.contains("/api/v1/elections/pk-2024-na/package"));
    }
}
