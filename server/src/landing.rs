//! The landing page at `/`: plain server-rendered HTML (no script, nothing fetched from elsewhere)
//! saying what this server is — tallyseal, the Commission, the version, the elections published
//! here — with the list of API endpoints. The template is `server/templates/landing.html`
//! (askama: checked at compile time, every value HTML-escaped); the navigation is a list so the
//! console and the public portal can be linked there when they exist.
//!
//! Must never show anything private: only what `GET /api/v1/…` already gives anyone.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::error::{self, ApiError};
use crate::i18n::Tr;
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

/// A link in the page's navigation (`label`: a catalogue key).
#[derive(Debug)]
struct Link {
    href: &'static str,
    label: &'static str,
}

/// One row of the API table (`who` and `what`: catalogue keys).
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
    tr: Tr,
    /// This page in the other language.
    switch_href: String,
    other_lang: &'static str,
    commission_name: &'a str,
    version: &'static str,
    links: &'static [Link],
    elections: Vec<Election>,
    endpoints: &'static [Endpoint],
}

const LINKS: &[Link] = &[
    Link {
        href: "#api",
        label: "landing-nav-api",
    },
    Link {
        href: "/api/v1/health",
        label: "landing-nav-health",
    },
    Link {
        href: "/api/v1/keys",
        label: "landing-nav-keys",
    },
    Link {
        href: "/console",
        label: "landing-nav-console",
    },
    Link {
        href: "/portal",
        label: "landing-nav-portal",
    },
];

/// The endpoints (docs/server-api.md, "Endpoints", has the details).
const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        request: "GET /api/v1/health",
        who: "landing-who-anyone",
        what: "landing-ep-health",
    },
    Endpoint {
        request: "GET /api/v1/keys",
        who: "landing-who-anyone",
        what: "landing-ep-keys",
    },
    Endpoint {
        request: "POST /api/v1/time-anchor",
        who: "landing-who-phone",
        what: "landing-ep-time-anchor",
    },
    Endpoint {
        request: "POST /api/v1/elections",
        who: "landing-who-admin",
        what: "landing-ep-import",
    },
    Endpoint {
        request: "GET /api/v1/elections/{id}/package",
        who: "landing-who-anyone",
        what: "landing-ep-package",
    },
    Endpoint {
        request: "POST /api/v1/elections/{id}/enrolment-codes",
        who: "landing-who-admin",
        what: "landing-ep-codes",
    },
    Endpoint {
        request: "POST /api/v1/enrol",
        who: "landing-who-phone",
        what: "landing-ep-enrol",
    },
    Endpoint {
        request: "POST /api/v1/devices/{key}/revoke",
        who: "landing-who-admin",
        what: "landing-ep-revoke",
    },
    Endpoint {
        request: "POST /api/v1/captures",
        who: "landing-who-phone",
        what: "landing-ep-captures",
    },
    Endpoint {
        request: "GET /api/v1/captures/{manifest_hash}",
        who: "landing-who-anyone",
        what: "landing-ep-capture-status",
    },
    Endpoint {
        request: "OPTIONS/POST /api/v1/uploads, HEAD/PATCH /api/v1/uploads/{id}",
        who: "landing-who-phone",
        what: "landing-ep-uploads",
    },
    Endpoint {
        request: "GET /log/checkpoint, GET /log/tile/…",
        who: "landing-who-anyone",
        what: "landing-ep-log",
    },
    Endpoint {
        request: "GET /metrics",
        who: "landing-who-operator",
        what: "landing-ep-metrics",
    },
];

/// `GET /`.
async fn landing(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (lang, _) = crate::web::page::lang_of(&req);
    let elections = published_elections(&state.db.pool)
        .await
        .map_err(|e| ApiError::unavailable("database", e))?;
    let page = LandingPage {
        tr: Tr::new(lang),
        switch_href: format!("/?lang={}", lang.other().code()),
        other_lang: lang.other().code(),
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
            tr: Tr::new(crate::i18n::Lang::Ur),
            switch_href: "/?lang=en".into(),
            other_lang: "en",
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
        assert!(html.contains("<html lang=\"ur\" dir=\"rtl\">"));
        assert!(html.contains("دستخط شدہ انتخابی پیکج"));
    }
}
