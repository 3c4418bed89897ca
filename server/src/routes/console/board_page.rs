//! The arrival board's pages: `GET /console/{election}/{constituency}/board` (every station with
//! its state per form and times, counts by state, the stations awaited, `?state=` and `?form=`
//! filters as a GET form; live updates by `/static/board-live.<hash>.js` over the board's
//! server-sent events, the page reading whole without it) and `GET /console/{election}` (the
//! national summary). Thin: authorise, call `stations`, build the view (`web::board_view`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::ConstituencyPath;
use crate::accounts::{ConstituencyRef, Permission, authorize};
use crate::elections::load_package;
use crate::error::ApiError;
use crate::figures::board_states;
use crate::state::AppState;
use crate::stations::{self, BoardFilter, CaptureState};
use crate::web::board_view::{self, BoardView, NationalView};
use crate::web::format::LocalClock;
use crate::web::page::{self, PageContext};

#[derive(Template)]
#[template(path = "console/board.html")]
struct BoardPage<'a> {
    ctx: &'a PageContext,
    v: BoardView,
}

#[derive(Template)]
#[template(path = "console/national.html")]
struct NationalPage<'a> {
    ctx: &'a PageContext,
    v: NationalView,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BoardQuery {
    state: String,
    form: String,
    /// The language switch; read by the page context.
    #[allow(dead_code)]
    lang: String,
}

/// The filter of the query (`None`: a value the board does not know).
fn filter_of(q: &BoardQuery) -> Option<BoardFilter> {
    let state = match q.state.as_str() {
        "" => None,
        s => Some(CaptureState::parse(s)?),
    };
    let form = match q.form.as_str() {
        "" => None,
        "form45" => Some(tallyseal_core::form::FormKind::Form45),
        "form46" => Some(tallyseal_core::form::FormKind::Form46),
        _ => return None,
    };
    Some(BoardFilter { state, form })
}

/// The error page of a service failure.
pub fn failure_page(req: &HttpRequest, e: &ApiError) -> HttpResponse {
    let status = e.problem.status();
    if status.is_server_error() {
        log::error!("console page: {}", e.detail);
        return page::error_page(req, StatusCode::SERVICE_UNAVAILABLE, "error-title");
    }
    page::status_page(req, status)
}

/// The election's local clock.
pub async fn clock_of(state: &AppState, election: &str) -> Result<LocalClock, ApiError> {
    let package = load_package(state, election).await?;
    let e = &package.package.election;
    Ok(LocalClock::new(&e.time_zone, &e.poll_close))
}

/// `GET /console/{election}/{constituency}/board`.
pub async fn board(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ConstituencyPath>,
) -> HttpResponse {
    let Some(s) = super::signed_in(&req) else {
        return super::to_login();
    };
    let c = path.to_ref();
    if !authorize(&s.account.actor(), Permission::ViewBoard, Some(&c)) {
        return page::status_page(&req, StatusCode::FORBIDDEN);
    }
    let query: BoardQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let Some(filter) = filter_of(&query) else {
        return page::status_page(&req, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let built = async {
        let clock = clock_of(&state, &c.election).await?;
        let figures = board_states::constituency_figures(&state, &c).await?;
        let board =
            stations::constituency_board(&state, &c.election, &c.code, filter, &figures).await?;
        Ok::<_, ApiError>((clock, board))
    }
    .await;
    let (clock, board) = match built {
        Ok(b) => b,
        Err(e) => return failure_page(&req, &e),
    };
    let ctx = PageContext::new(&req);
    let v = board_view::board(&ctx.tr, &clock, &board, filter);
    ctx.respond(StatusCode::OK, BoardPage { ctx: &ctx, v }.render())
}

/// `GET /console/{election}`: the constituencies the viewer may see, with their counts.
pub async fn national(
    req: HttpRequest,
    state: web::Data<AppState>,
    election: web::Path<String>,
) -> HttpResponse {
    let Some(s) = super::signed_in(&req) else {
        return super::to_login();
    };
    let actor = s.account.actor();
    if !authorize(&actor, Permission::ViewBoard, None) {
        return page::status_page(&req, StatusCode::FORBIDDEN);
    }
    let election = election.into_inner();
    let visible = |code: &str| actor.scope.covers(&ConstituencyRef::new(&election, code));
    let built = async {
        let clock = clock_of(&state, &election).await?;
        let figures = board_states::election_figures(&state, &election, &visible).await?;
        let summary = stations::national_summary(&state, &election, &visible, &figures).await?;
        Ok::<_, ApiError>((clock, summary))
    }
    .await;
    let (clock, summary) = match built {
        Ok(b) => b,
        Err(e) => return failure_page(&req, &e),
    };
    let ctx = PageContext::new(&req);
    let v = board_view::national(&ctx.tr, &clock, &summary);
    ctx.respond(StatusCode::OK, NationalPage { ctx: &ctx, v }.render())
}
