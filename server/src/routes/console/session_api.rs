//! `GET /api/v1/console/session`: the signed-in user, their role and constituencies, and the
//! session's anti-forgery token (what an htmx or JSON client sends as `X-CSRF-Token`).

use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use crate::accounts::{Actor, Scope};
use crate::error::ApiError;

pub async fn session(req: HttpRequest, actor: Actor) -> Result<HttpResponse, ApiError> {
    let Some(s) = super::signed_in(&req) else {
        return Err(ApiError::new(
            crate::error::Problem::NotSignedIn,
            "no console session",
        ));
    };
    let scope = match &actor.scope {
        Scope::All => json!("all"),
        Scope::Constituencies(list) => json!(
            list.iter()
                .map(|c| json!({ "election": c.election, "constituency": c.code }))
                .collect::<Vec<_>>()
        ),
    };
    Ok(HttpResponse::Ok().json(json!({
        "user_id": actor.user_id,
        "login": s.account.login,
        "role": actor.role.as_str(),
        "scope": scope,
        "csrf_token": s.csrf_token,
    })))
}
