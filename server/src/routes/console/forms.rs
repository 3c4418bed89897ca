//! Forms 47, 48 and 49 over HTTP: the compiled preview, signing a new version, signed versions
//! and their CSV/JSON exports, and postal ballots. The rules live in
//! [`crate::figures::signing`]; these handlers authorise, parse, call and answer.
//!
//! Under `/api/v1/console/{election}/{constituency}`: `GET forms/{form}` (preview),
//! `POST forms/{form}/sign`, `GET forms/{form}/versions`, `GET forms/{form}/versions/{n}`,
//! `GET forms/{form}/versions/{n}/export.csv`, `GET forms/{form}/versions/{n}/export.json`,
//! `POST postal-ballots`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{ConstituencyPath, allow};
use crate::accounts::{Actor, Permission};
use crate::error::{self, ApiError, Problem};
use crate::figures::FiguresError;
use crate::figures::compile::ResultForm;
use crate::figures::postal::{self, PostalRequest};
use crate::figures::signing::{self, SignRequest};
use crate::state::AppState;

const BASE: &str = "/api/v1/console/{election}/{constituency}";

pub fn configure(cfg: &mut web::ServiceConfig) {
    let resource = |tail: &str| {
        web::resource(format!("{BASE}{tail}")).default_service(web::to(error::method_not_allowed))
    };
    cfg.service(resource("/forms/{form}").route(web::get().to(preview)))
        .service(resource("/forms/{form}/sign").route(web::post().to(sign)))
        .service(resource("/forms/{form}/versions").route(web::get().to(versions)))
        .service(resource("/forms/{form}/versions/{n}").route(web::get().to(version)))
        .service(
            resource("/forms/{form}/versions/{n}/export.json").route(web::get().to(export_json)),
        )
        .service(resource("/forms/{form}/versions/{n}/export.csv").route(web::get().to(export_csv)))
        .service(resource("/postal-ballots").route(web::post().to(postal)));
}

#[derive(Debug, Deserialize)]
struct FormPath {
    #[serde(flatten)]
    c: ConstituencyPath,
    form: String,
}

#[derive(Debug, Deserialize)]
struct VersionPath {
    #[serde(flatten)]
    c: ConstituencyPath,
    form: String,
    n: i64,
}

fn form(s: &str) -> Result<ResultForm, ApiError> {
    ResultForm::parse(s)
        .ok_or_else(|| ApiError::new(Problem::NotFound, "the forms are form47, form48 and form49"))
}

async fn preview(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::ViewResults, &c)?;
    let f = form(&path.form)?;
    Ok(HttpResponse::Ok().json(signing::preview(&state, &c, f).await?))
}

async fn sign(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<FormPath>,
    body: web::Json<SignRequest>,
) -> Result<HttpResponse, FiguresError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::SignForms, &c)?;
    let f = form(&path.form)?;
    Ok(HttpResponse::Ok().json(signing::sign(&state, &c, &actor, f, &body).await?))
}

async fn versions(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::ViewResults, &c)?;
    let f = form(&path.form)?;
    Ok(HttpResponse::Ok().json(signing::versions(&state, &c, f).await?))
}

async fn version(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::ViewResults, &c)?;
    let f = form(&path.form)?;
    Ok(HttpResponse::Ok().json(signing::version(&state, &c, f, path.n).await?))
}

async fn export_json(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::ViewResults, &c)?;
    let f = form(&path.form)?;
    let v = signing::version(&state, &c, f, path.n).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}-{}-v{}.json\"",
                c.code,
                f.as_str(),
                v.version
            ),
        ))
        .json(v))
}

async fn export_csv(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, ApiError> {
    let c = path.c.to_ref();
    allow(&actor, Permission::ViewResults, &c)?;
    let f = form(&path.form)?;
    let v = signing::version(&state, &c, f, path.n).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}-{}-v{}.csv\"",
                c.code,
                f.as_str(),
                v.version
            ),
        ))
        .body(crate::figures::exports::to_csv(f, &v.statement["content"])))
}

async fn postal(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ConstituencyPath>,
    body: web::Json<PostalRequest>,
) -> Result<HttpResponse, FiguresError> {
    let c = path.to_ref();
    allow(&actor, Permission::SignForms, &c)?;
    Ok(HttpResponse::Ok().json(postal::enter_postal(&state, &c, &actor, &body).await?))
}
