//! `GET /api/v1/console/{election}/{constituency}/board` (the arrival board, `?state=` and
//! `?form=` filters), `GET …/board/events` (server-sent events when a station's state changes on
//! this server) and `GET /api/v1/console/{election}/national` (the Commission's summary).

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use serde::Deserialize;
use tallyseal_core::form::FormKind;
use tokio::sync::broadcast::error::RecvError;

use super::authorised;
use crate::accounts::{Actor, Permission, authorize};
use crate::error::{self, ApiError, Problem};
use crate::figures::board_states;
use crate::state::AppState;
use crate::stations::{self, BoardFilter, CaptureState, StationChanged};

/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource =
        |path: &str| web::resource(path).default_service(web::to(error::method_not_allowed));
    cfg.service(resource("/api/v1/console/{election}/national").route(web::get().to(national)))
        .service(
            resource("/api/v1/console/{election}/{constituency}/board").route(web::get().to(board)),
        )
        .service(
            resource("/api/v1/console/{election}/{constituency}/board/events")
                .route(web::get().to(board_events)),
        );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardQuery {
    state: Option<String>,
    form: Option<String>,
}

fn filter_of(q: &BoardQuery) -> Result<BoardFilter, ApiError> {
    let state = q
        .state
        .as_deref()
        .map(|s| {
            CaptureState::parse(s).ok_or_else(|| {
                ApiError::new(Problem::InvalidField, format!("state: unknown state {s:?}"))
            })
        })
        .transpose()?;
    let form = match q.form.as_deref() {
        None => None,
        Some("form45") => Some(FormKind::Form45),
        Some("form46") => Some(FormKind::Form46),
        Some(_) => {
            return Err(ApiError::new(
                Problem::InvalidField,
                "form: form45 or form46",
            ));
        }
    };
    Ok(BoardFilter { state, form })
}

async fn board(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (election, constituency) = path.into_inner();
    let c = authorised(&actor, Permission::ViewBoard, &election, &constituency)?;
    let query = web::Query::<BoardQuery>::from_query(req.query_string())
        .map_err(|e| ApiError::new(Problem::InvalidField, e.to_string()))?;
    let filter = filter_of(&query)?;
    let figures = board_states::constituency_figures(&state, &c).await?;
    let board =
        stations::constituency_board(&state, &election, &constituency, filter, &figures).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(board))
}

async fn national(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let election = path.into_inner();
    if !authorize(&actor, Permission::ViewBoard, None) {
        return Err(ApiError::new(Problem::Forbidden, "not allowed"));
    }
    let visible = |code: &str| {
        actor.scope.covers(&crate::accounts::ConstituencyRef::new(
            election.clone(),
            code,
        ))
    };
    let figures = board_states::election_figures(&state, &election, &visible).await?;
    let summary = stations::national_summary(&state, &election, &visible, &figures).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(summary))
}

/// One server-sent event for a change.
fn event_of(change: &StationChanged) -> web::Bytes {
    let data = serde_json::to_string(change).unwrap_or_default();
    web::Bytes::from(format!("event: station\ndata: {data}\n\n"))
}

async fn board_events(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (election, constituency) = path.into_inner();
    authorised(&actor, Permission::ViewBoard, &election, &constituency)?;
    // The constituency must exist (a typo is a 404, not a silent stream).
    stations::board::constituency_of(&state, &election, &constituency).await?;
    let receiver = state.board_feed.subscribe();
    let opening = web::Bytes::from_static(b"retry: 5000\n: board events\n\n");
    let events = stream::unfold(
        (receiver, election, constituency),
        |(mut rx, election, constituency)| async move {
            loop {
                let chunk = match tokio::time::timeout(KEEP_ALIVE, rx.recv()).await {
                    Err(_) => web::Bytes::from_static(b": keep-alive\n\n"),
                    Ok(Ok(change)) => {
                        if change.election != election || change.constituency != constituency {
                            continue;
                        }
                        event_of(&change)
                    }
                    // Missed announcements: the page reloads the board.
                    Ok(Err(RecvError::Lagged(_))) => {
                        web::Bytes::from_static(b"event: reload\ndata: {}\n\n")
                    }
                    Ok(Err(RecvError::Closed)) => return None,
                };
                return Some((
                    Ok::<_, actix_web::Error>(chunk),
                    (rx, election, constituency),
                ));
            }
        },
    );
    let body = futures_util::StreamExt::chain(
        stream::once(async move { Ok::<_, actix_web::Error>(opening) }),
        events,
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
