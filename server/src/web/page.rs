//! What every console page shares: the [`PageContext`] the layout reads (language, the signed-in
//! user, the session's anti-forgery token, the asset URLs), the HTML answer, and the plain error
//! pages (401, 403, 404, 409, 422, 429 and the anti-forgery refusal).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use super::{assets, cookies};
use crate::accounts::{Permission, SignedIn, authorize};
use crate::i18n::{LANG_COOKIE, Lang, Tr, negotiate};

/// The signed-in user as the header shows them.
#[derive(Debug, Clone)]
pub struct UserView {
    pub login: String,
    /// The message key of the role's name.
    pub role_key: &'static str,
    pub manages_operators: bool,
}

/// What the layout needs.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub tr: Tr,
    pub user: Option<UserView>,
    /// The session's anti-forgery token (empty when signed out).
    pub csrf: String,
    pub css: &'static str,
    pub htmx: &'static str,
    /// This page in the other language.
    pub switch_href: String,
    pub other_lang: &'static str,
    /// Set when `?lang=` chose the language: the answer remembers it in a cookie.
    chosen: Option<Lang>,
}

fn role_key(role: crate::accounts::Role) -> &'static str {
    use crate::accounts::Role;
    match role {
        Role::Admin => "role-admin",
        Role::ReturningOfficer => "role-ro",
        Role::Operator => "role-operator",
        Role::Observer => "role-observer",
    }
}

/// The `?lang=` of a request, if any.
fn query_lang(req: &HttpRequest) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v)
}

/// The language of a request (`?lang=`, the cookie, `Accept-Language`).
pub fn lang_of(req: &HttpRequest) -> (Lang, Option<Lang>) {
    let query = query_lang(req);
    let chosen = query.as_deref().and_then(Lang::parse);
    let cookie = cookies::read(req.headers(), LANG_COOKIE);
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    (
        negotiate(query.as_deref(), cookie.as_deref(), accept),
        chosen,
    )
}

impl PageContext {
    /// The context of a request (the session layer has put the signed-in user, if any).
    pub fn new(req: &HttpRequest) -> PageContext {
        let (lang, chosen) = lang_of(req);
        let signed_in = req.extensions().get::<SignedIn>().cloned();
        let user = signed_in.as_ref().map(|s| UserView {
            login: s.account.login.clone(),
            role_key: role_key(s.account.role),
            manages_operators: authorize(&s.account.actor(), Permission::ManageOperators, None),
        });
        let other = lang.other();
        PageContext {
            tr: Tr::new(lang),
            user,
            csrf: signed_in.map(|s| s.csrf_token).unwrap_or_default(),
            css: &assets::CSS.url,
            htmx: &assets::HTMX.url,
            switch_href: format!("{}?lang={}", req.path(), other.code()),
            other_lang: other.code(),
            chosen,
        }
    }

    /// An HTML answer with the page's status (a template failure is a plain 500).
    pub fn respond(
        &self,
        status: StatusCode,
        rendered: Result<String, askama::Error>,
    ) -> HttpResponse {
        let html = match rendered {
            Ok(h) => h,
            Err(e) => {
                log::error!("page template: {e}");
                return HttpResponse::InternalServerError()
                    .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                    .body("internal error");
            }
        };
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
        if let Some(lang) = self.chosen {
            resp.append_header((
                header::SET_COOKIE,
                format!(
                    "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                    lang.code()
                ),
            ));
        }
        resp.body(html)
    }
}

#[derive(Debug, Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageContext,
    message_key: &'a str,
}

/// A plain HTML error page: `message_key` is the catalogue's text for it.
pub fn error_page(req: &HttpRequest, status: StatusCode, message_key: &str) -> HttpResponse {
    let ctx = PageContext::new(req);
    let page = ErrorPage {
        ctx: &ctx,
        message_key,
    };
    ctx.respond(status, page.render())
}

/// The error page for a status (401, 403, 404, 409, 422; anything else reads as 422).
pub fn status_page(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    let key = match status.as_u16() {
        401 => "error-401",
        403 => "error-403",
        404 => "error-404",
        409 => "error-409",
        500..=599 => "error-503",
        _ => "error-422",
    };
    error_page(req, status, key)
}
