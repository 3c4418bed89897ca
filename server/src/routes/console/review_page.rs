//! The review page of one capture: `GET /console/{election}/{constituency}/captures/{hash}` and
//! its decision forms, `POST …/decisions` (accept; reject or ask for a new capture, each with a
//! reason code and text). Each form carries a decision id the server generated when it rendered
//! the page, so a second submission of the same form is the same decision; and the capture's
//! latest decision, so a decision taken meanwhile makes this one stale (409: the page again with
//! the decision in force). Thin: authorise, call `review`, build the view (`web::review_view`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::board_page::{clock_of, failure_page};
use crate::accounts::{Actor, ConstituencyRef, Permission, authorize};
use crate::db::DecisionRow;
use crate::error::ApiError;
use crate::review::{self, DecisionRefused, DecisionRequest};
use crate::state::AppState;
use crate::web::format::LocalClock;
use crate::web::page::{self, PageContext};
use crate::web::review_view::{self, DecisionView, ReviewView};

/// What the page says above the review.
#[derive(Debug, Default)]
struct Notice {
    decided: bool,
    /// 409: the decision in force (none: there is none yet, the form named one).
    conflict: Option<Option<DecisionView>>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/review.html")]
struct ReviewPage<'a> {
    ctx: &'a PageContext,
    v: ReviewView,
    can_decide: bool,
    ids: [String; 3],
    notice: Notice,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CapturePagePath {
    election: String,
    constituency: String,
    hash: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DecisionForm {
    decision_id: String,
    action: String,
    reason_code: String,
    reason: String,
    supersedes: String,
    #[allow(dead_code)]
    csrf: String,
}

/// A fresh random UUID (version 4), lowercase and hyphenated.
fn new_uuid() -> String {
    let mut b = [0u8; 16];
    if getrandom::getrandom(&mut b).is_err() {
        log::error!("no randomness for a decision id");
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn decision_view(tr: &crate::i18n::Tr, clock: &LocalClock, d: &DecisionRow) -> DecisionView {
    let list = if d.action == "recapture" {
        "recapture"
    } else {
        "reject"
    };
    DecisionView {
        action: tr.t(&format!("review-action-{}", d.action)),
        reason: d
            .reason_code
            .as_deref()
            .map(|c| tr.t(&format!("review-{list}-{c}")))
            .unwrap_or_default(),
        text: d.reason_text.clone(),
        by: d.actor_id.clone(),
        at: clock.time(d.decided_at_ms),
    }
}

/// The signed-in actor allowed to view `c`, or the answer for anyone else.
fn viewer(req: &HttpRequest, c: &ConstituencyRef) -> Result<Actor, Box<HttpResponse>> {
    let Some(s) = super::signed_in(req) else {
        return Err(Box::new(super::to_login()));
    };
    let actor = s.account.actor();
    if !authorize(&actor, Permission::ViewBoard, Some(c)) {
        return Err(Box::new(page::status_page(req, StatusCode::FORBIDDEN)));
    }
    Ok(actor)
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    actor: &Actor,
    c: &ConstituencyRef,
    hash: &str,
    status: StatusCode,
    notice: impl FnOnce(&crate::i18n::Tr, &LocalClock) -> Notice,
) -> HttpResponse {
    let built = async {
        let hash = super::manifest_hash(hash)?;
        let clock = clock_of(state, &c.election).await?;
        let review = review::capture_review(state, c, &hash).await?;
        Ok::<_, ApiError>((clock, review))
    }
    .await;
    let (clock, review) = match built {
        Ok(b) => b,
        Err(e) => return failure_page(req, &e),
    };
    let ctx = PageContext::new(req);
    let page = ReviewPage {
        ctx: &ctx,
        v: review_view::review(&ctx.tr, &clock, &review),
        can_decide: authorize(actor, Permission::ReviewCapture, Some(c)),
        ids: [new_uuid(), new_uuid(), new_uuid()],
        notice: notice(&ctx.tr, &clock),
    };
    ctx.respond(status, page.render())
}

/// `GET /console/{election}/{constituency}/captures/{hash}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<CapturePagePath>,
) -> HttpResponse {
    let c = ConstituencyRef::new(&path.election, &path.constituency);
    let actor = match viewer(&req, &c) {
        Ok(a) => a,
        Err(resp) => return *resp,
    };
    let decided = req.query_string().split('&').any(|p| p == "decided=1");
    render(
        &req,
        &state,
        &actor,
        &c,
        &path.hash,
        StatusCode::OK,
        |_, _| Notice {
            decided,
            ..Notice::default()
        },
    )
    .await
}

/// `POST /console/{election}/{constituency}/captures/{hash}/decisions` (a form body; the
/// session layer has checked its anti-forgery token).
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<CapturePagePath>,
    body: web::Bytes,
) -> HttpResponse {
    let c = ConstituencyRef::new(&path.election, &path.constituency);
    let actor = match viewer(&req, &c) {
        Ok(a) => a,
        Err(resp) => return *resp,
    };
    if !authorize(&actor, Permission::ReviewCapture, Some(&c)) {
        return page::status_page(&req, StatusCode::FORBIDDEN);
    }
    let hash = match super::manifest_hash(&path.hash) {
        Ok(h) => h,
        Err(e) => return failure_page(&req, &e),
    };
    let Ok(form) = serde_urlencoded::from_bytes::<DecisionForm>(&body) else {
        return page::status_page(&req, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let request = DecisionRequest {
        decision_id: form.decision_id.trim().to_owned(),
        action: form.action.trim().to_owned(),
        reason_code: nonempty(&form.reason_code),
        reason: form.reason.clone(),
        supersedes: nonempty(&form.supersedes),
    };
    match review::record_decision(&state, &actor, &c, &hash, &request).await {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header((
                "Location",
                format!(
                    "/console/{}/{}/captures/{hash}?decided=1",
                    c.election, c.code
                ),
            ))
            .finish(),
        Err(DecisionRefused::Stale(current)) => {
            render(
                &req,
                &state,
                &actor,
                &c,
                &hash,
                StatusCode::CONFLICT,
                |tr, clock| Notice {
                    conflict: Some(current.as_deref().map(|d| decision_view(tr, clock, d))),
                    ..Notice::default()
                },
            )
            .await
        }
        Err(DecisionRefused::IdReused(existing)) => {
            render(
                &req,
                &state,
                &actor,
                &c,
                &hash,
                StatusCode::CONFLICT,
                |tr, clock| Notice {
                    conflict: Some(Some(decision_view(tr, clock, &existing))),
                    ..Notice::default()
                },
            )
            .await
        }
        Err(DecisionRefused::Problem(e))
            if e.problem.status() == StatusCode::UNPROCESSABLE_ENTITY =>
        {
            let detail = e.detail.clone();
            render(
                &req,
                &state,
                &actor,
                &c,
                &hash,
                StatusCode::UNPROCESSABLE_ENTITY,
                move |tr, _| Notice {
                    error: Some(format!("{} {detail}", tr.t("error-422"))),
                    ..Notice::default()
                },
            )
            .await
        }
        Err(DecisionRefused::Problem(e)) => failure_page(&req, &e),
    }
}
