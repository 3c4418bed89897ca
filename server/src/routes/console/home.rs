//! `GET /console`: the actor's constituencies, each with a link to its arrival board.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::accounts::{ConstituencyRef, Scope};
use crate::web::page::PageContext;

#[derive(Debug, Template)]
#[template(path = "console/home.html")]
struct HomePage<'a> {
    ctx: &'a PageContext,
    all: bool,
    constituencies: Vec<ConstituencyRef>,
}

pub async fn home(req: HttpRequest) -> HttpResponse {
    let Some(s) = super::signed_in(&req) else {
        return super::to_login();
    };
    let ctx = PageContext::new(&req);
    let (all, mut constituencies) = match &s.account.scope {
        Scope::All => (true, Vec::new()),
        Scope::Constituencies(list) => (false, list.clone()),
    };
    constituencies.sort();
    let page = HomePage {
        ctx: &ctx,
        all,
        constituencies,
    };
    ctx.respond(StatusCode::OK, page.render())
}
