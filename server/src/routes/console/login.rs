//! Signing in and out. The sign-in form is protected against login forgery (another site
//! signing a browser in to an account of its choosing) by a nonce in a `SameSite=Strict` cookie
//! that the form repeats, and by the same origin check as every console request. A successful
//! sign-in always renews the session (actix-session's `renew`): the session key before and after
//! differ (no fixation). Signing out ends the session (`purge`).

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{LoginError, sessions, sign_in};
use crate::state::AppState;
use crate::web::page::{self, PageContext};
use crate::web::{cookies, csrf};

#[derive(Debug, Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    ctx: &'a PageContext,
    nonce: &'a str,
    login: &'a str,
    message: Option<String>,
    is_error: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    csrf: String,
    login: String,
    password: String,
}

/// The client address the lock-out counts (the TCP peer; `X-Forwarded-For` is never read).
fn client_of(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

fn render(
    req: &HttpRequest,
    status: StatusCode,
    nonce: &str,
    login: &str,
    message: Option<String>,
    is_error: bool,
    secure: bool,
) -> HttpResponse {
    let ctx = PageContext::new(req);
    let page = LoginPage {
        ctx: &ctx,
        nonce,
        login,
        message,
        is_error,
    };
    let mut resp = ctx.respond(status, page.render());
    if let Ok(v) = header::HeaderValue::from_str(&cookies::set(
        cookies::LOGIN,
        nonce,
        "/console/login",
        "Strict",
        secure,
        Some(3600),
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn new_nonce() -> String {
    crate::random_hex(16).unwrap_or_default()
}

/// `GET /console/login`.
pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if super::signed_in(&req).is_some() {
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/console"))
            .finish();
    }
    let signed_out = req.query_string().contains("signed_out=1");
    let message = signed_out.then(|| PageContext::new(&req).tr.t("login-signed-out"));
    let secure = state.config.console_secure_cookie();
    render(
        &req,
        StatusCode::OK,
        &new_nonce(),
        "",
        message,
        false,
        secure,
    )
}

/// `POST /console/login`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    body: web::Bytes,
) -> HttpResponse {
    let form: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let nonce = cookies::read(req.headers(), cookies::LOGIN).unwrap_or_default();
    if !csrf::origin_ok(req.headers(), state.config.public_url.as_deref())
        || !csrf::tokens_match(&nonce, &form.csrf)
    {
        return page::error_page(&req, StatusCode::FORBIDDEN, "error-csrf");
    }
    let cfg = &state.config.console;
    let secure = state.config.console_secure_cookie();
    let tr = PageContext::new(&req).tr;
    let client = client_of(&req);
    match sign_in(&state.db, cfg, &form.login, &form.password, &client).await {
        Ok(account) => {
            if let Err(e) = sessions::begin(&session, &account) {
                log::error!("console session: {e}");
                return page::error_page(&req, StatusCode::SERVICE_UNAVAILABLE, "error-title");
            }
            // The session middleware writes the session (and its cookie) on the way out; if the
            // database refuses, the answer is an error, not this redirect.
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/console"))
                .append_header((
                    header::SET_COOKIE,
                    cookies::clear(cookies::LOGIN, "/console/login", secure),
                ))
                .finish()
        }
        Err(LoginError::WrongCredentials) => render(
            &req,
            StatusCode::UNAUTHORIZED,
            &new_nonce(),
            &form.login,
            Some(tr.t("login-wrong")),
            true,
            secure,
        ),
        Err(LoginError::Locked) => {
            let minutes = cfg.lockout_secs.div_ceil(60).to_string();
            render(
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                &new_nonce(),
                &form.login,
                Some(tr.t1("login-locked", "minutes", &minutes)),
                true,
                secure,
            )
        }
        Err(e) => {
            log::error!("console sign-in: {e}");
            page::error_page(&req, StatusCode::SERVICE_UNAVAILABLE, "error-title")
        }
    }
}

/// `POST /console/logout` (the session layer checked the token): the session ends for real,
/// with its `console_logout` event, and `purge` removes the cookie.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
) -> HttpResponse {
    if let Some(s) = super::signed_in(&req)
        && let Err(e) = sessions::end(&state.db, &s, &client_of(&req)).await
    {
        log::error!("console sign-out: {e}");
        return page::error_page(&req, StatusCode::SERVICE_UNAVAILABLE, "error-title");
    }
    session.purge();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/login?signed_out=1"))
        .finish()
}
