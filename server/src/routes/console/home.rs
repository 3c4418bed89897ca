//! `GET /console`: the actor's constituencies, each with links to the pages the role may open
//! (arrival board; data entry for operators; corrections, quarantine and forms for ROs; forms for
//! observers); for an account covering everything, the published elections' national views.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use actix_web::web;

use crate::accounts::{ConstituencyRef, Permission, Scope, role_allows};
use crate::state::AppState;
use crate::web::page::PageContext;

#[derive(Debug, Template)]
#[template(path = "console/home.html")]
struct HomePage<'a> {
    ctx: &'a PageContext,
    all: bool,
    constituencies: Vec<ConstituencyRef>,
    /// The published elections (for an account covering everything: their national views).
    elections: Vec<String>,
    can_enter: bool,
    can_settle: bool,
    can_read_results: bool,
}

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(s) = super::signed_in(&req) else {
        return super::to_login();
    };
    let ctx = PageContext::new(&req);
    let (all, mut constituencies) = match &s.account.scope {
        Scope::All => (true, Vec::new()),
        Scope::Constituencies(list) => (false, list.clone()),
    };
    constituencies.sort();
    let elections = if all {
        match crate::db::list_election_ids(&state.db.pool, 200).await {
            Ok(ids) => ids,
            Err(_) => {
                return crate::web::page::status_page(&req, StatusCode::SERVICE_UNAVAILABLE);
            }
        }
    } else {
        Vec::new()
    };
    let role = s.account.role;
    let page = HomePage {
        ctx: &ctx,
        all,
        constituencies,
        elections,
        can_enter: role_allows(role, Permission::EnterFigures),
        can_settle: role_allows(role, Permission::SettleCorrections),
        can_read_results: role_allows(role, Permission::ViewResults),
    };
    ctx.respond(StatusCode::OK, page.render())
}
