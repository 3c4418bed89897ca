//! The witness over HTTP (actix-web): `POST /add-checkpoint` and the monitoring read
//! `GET /<SHA-256 of origin, hex>/checkpoint`, as C2SP tlog-witness defines them.
//!
//! Refusals are `application/problem+json` (RFC 9457), except 409, whose body is the current size
//! as `text/x.tlog.size`. Request bodies above [`crate::request::MAX_REQUEST_BYTES`] are refused
//! before they are read whole. This module holds no protocol logic: it calls [`Witness`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::request::MAX_REQUEST_BYTES;
use crate::{Witness, WitnessError};

/// Base of the problem `type` URIs.
pub const PROBLEM_BASE: &str = "https://tallyseal.org/problems/witness-";

fn problem(err: &WitnessError) -> HttpResponse {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let WitnessError::Conflict { current, .. } = err {
        return HttpResponse::build(status)
            .content_type("text/x.tlog.size")
            .body(format!("{current}\n"));
    }
    let slug = match err {
        WitnessError::BadRequest(_) => "bad-request",
        WitnessError::UnknownOrigin(_) => "unknown-log",
        WitnessError::BadSignature(_) => "bad-log-signature",
        WitnessError::Conflict { .. } => "old-size-conflict",
        WitnessError::Inconsistent(_) => "inconsistent-checkpoint",
        WitnessError::Storage(_) => "storage",
    };
    let body = serde_json::json!({
        "type": format!("{PROBLEM_BASE}{slug}"),
        "title": slug.replace('-', " "),
        "status": err.status(),
        "detail": err.to_string(),
    });
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs().max(1))
}

async fn add_checkpoint(witness: web::Data<Witness>, body: web::Bytes) -> HttpResponse {
    let w = witness.into_inner();
    let result = web::block(move || w.add_checkpoint(&body, now_secs())).await;
    match result {
        Ok(Ok(lines)) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(lines),
        Ok(Err(e)) => problem(&e),
        Err(e) => problem(&WitnessError::Storage(e.to_string())),
    }
}

async fn checkpoint(witness: web::Data<Witness>, origin_hash: web::Path<String>) -> HttpResponse {
    match witness.latest_by_origin_hash(&origin_hash) {
        Some(record) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(record.checkpoint),
        None => problem(&WitnessError::UnknownOrigin(origin_hash.into_inner())),
    }
}

/// Bind `addr` (port 0 for any) and return the server to await and the bound port.
pub fn serve(witness: Arc<Witness>, addr: &str) -> std::io::Result<(Server, u16)> {
    let data = web::Data::from(witness);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(MAX_REQUEST_BYTES))
            .route("/add-checkpoint", web::post().to(add_checkpoint))
            .route("/{origin_hash}/checkpoint", web::get().to(checkpoint))
    })
    .workers(2)
    .bind(addr)?;
    let port = server
        .addrs()
        .first()
        .map(|a| a.port())
        .ok_or_else(|| std::io::Error::other("the witness bound no address"))?;
    Ok((server.run(), port))
}
