//! The console's pages and its session API (thin: parse, authorise, call the accounts service,
//! render). `/console` (home), `/console/login`, `/console/logout`, `/console/operators`; and
//! `GET /api/v1/console/session` (who is signed in, with the anti-forgery token for htmx and
//! JSON clients). The session layer (`web::session_layer`) has already resolved the session and
//! refused forged state-changing requests.

mod home;
mod login;
mod operators;
mod session_api;

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::accounts::SignedIn;
use crate::web::page;

/// Register the console's routes: its pages in the `/console` scope (whose unknown paths get the
/// HTML 404 page; the board and review pages join this scope) and the session API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .route("", web::get().to(home::home))
            .route("/", web::get().to(home::home))
            .route("/login", web::get().to(login::form))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::logout))
            .route("/operators", web::get().to(operators::list))
            .route("/operators", web::post().to(operators::create))
            .route(
                "/operators/{user_id}/disable",
                web::post().to(operators::disable),
            )
            .default_service(web::to(not_found)),
    );
    cfg.route(
        "/api/v1/console/session",
        web::get().to(session_api::session),
    );
}

/// The signed-in user of a page request, if any.
fn signed_in(req: &HttpRequest) -> Option<SignedIn> {
    req.extensions().get::<SignedIn>().cloned()
}

/// To the sign-in page.
fn to_login() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/console/login"))
        .finish()
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    page::status_page(&req, StatusCode::NOT_FOUND)
}
