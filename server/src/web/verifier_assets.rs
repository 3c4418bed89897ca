//! The in-browser verifier's files, built into the binary (`docs/portal-verifier.md`):
//! `/static/verifier.wasm` (core's verifier for `wasm32-unknown-unknown`, built by
//! `server/build.rs`; empty when the toolchain had no such target), `/static/portal-verify.js`
//! (the page's script, ours) and its words, `/static/portal-verify-messages.{en,ur}.json`, drawn
//! from the catalogue's "in-browser verification" section with `{name}` where the script puts a
//! value. Each has a strong `ETag` (its SHA-256) and a day's public cache; `If-None-Match`
//! answers 304. Must never fetch anything at run time.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::i18n::{Lang, Tr};

/// The module as built, or empty when this build has none.
pub static VERIFIER_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/verifier.wasm"));

/// Does this build have the in-browser verifier?
pub fn has_verifier() -> bool {
    !VERIFIER_WASM.is_empty()
}

/// The page's script.
pub static PORTAL_VERIFY_JS: &[u8] = include_bytes!("../../static/portal-verify.js");

/// Cache lifetime of these fixed URLs: a day (the script fetches the module revalidating, so a
/// new build's module is never run by the old script's page for long, and the ABI version is
/// checked before use).
const CACHE_CONTROL: &str = "public, max-age=86400";

/// The messages the script shows, with the names of the values it inserts.
const MESSAGES: &[(&str, &[&str])] = &[
    ("button", &[]),
    ("working", &[]),
    ("unavailable", &[]),
    ("download-failed", &["reason"]),
    ("error", &["reason"]),
    ("verified", &[]),
    ("verified-with-warnings", &[]),
    ("failed", &[]),
    ("proved", &[]),
    ("failures", &[]),
    ("unchecked", &[]),
    ("signature", &["key"]),
    ("enrolled", &["constituency", "station"]),
    ("image", &["hash"]),
    ("receipt", &["time"]),
    ("log", &["index", "size", "origin"]),
    ("witnesses", &["count", "total", "names"]),
    ("no-witnesses", &[]),
    ("check-passed", &["check"]),
    ("check-reason", &["check", "reason"]),
];

/// The checks' names, as core's report spells them (`CheckId`).
const CHECKS: &[&str] = &[
    "manifest_format",
    "signature",
    "election_package",
    "station_known",
    "device_enrolled",
    "image_hash",
    "geofence",
    "mock_location",
    "exif_gps",
    "capture_time",
    "clock_skew",
    "exif_datetime",
    "exif_device",
    "editing_software",
    "exif_matches_manifest",
    "duplicate_image",
    "near_duplicate_image",
    "capture_sequence",
    "form_arithmetic",
    "receipt",
    "image_frame",
    "log_inclusion",
];

/// `{"lang", "dir", "available", "messages": {name: text}, "checks": {check: label}}`.
pub fn messages_json(lang: Lang) -> Vec<u8> {
    let tr = Tr::new(lang);
    let mut messages = serde_json::Map::new();
    for (name, params) in MESSAGES {
        let tokens: Vec<String> = params.iter().map(|p| format!("{{{p}}}")).collect();
        let args: Vec<(&str, &str)> = params
            .iter()
            .zip(&tokens)
            .map(|(p, t)| (*p, t.as_str()))
            .collect();
        let text = tr.tn(&format!("portal-verify-{name}"), &args);
        messages.insert((*name).to_owned(), text.into());
    }
    let mut checks = serde_json::Map::new();
    for check in CHECKS {
        checks.insert(
            (*check).to_owned(),
            tr.t(&format!("portal-verify-check-{check}")).into(),
        );
    }
    serde_json::to_vec(&serde_json::json!({
        "lang": lang.code(),
        "dir": lang.dir(),
        "available": has_verifier(),
        "messages": messages,
        "checks": checks,
    }))
    .unwrap_or_default()
}

static MESSAGES_EN: LazyLock<Vec<u8>> = LazyLock::new(|| messages_json(Lang::En));
static MESSAGES_UR: LazyLock<Vec<u8>> = LazyLock::new(|| messages_json(Lang::Ur));

/// The answer for `/static/{file}` when it is one of these files, else `None`.
pub fn serve(file: &str, req: &HttpRequest) -> Option<HttpResponse> {
    let (bytes, content_type): (&[u8], &str) = match file {
        "verifier.wasm" if has_verifier() => (VERIFIER_WASM, "application/wasm"),
        "portal-verify.js" => (PORTAL_VERIFY_JS, "text/javascript; charset=utf-8"),
        "portal-verify-messages.en.json" => (&MESSAGES_EN, "application/json"),
        "portal-verify-messages.ur.json" => (&MESSAGES_UR, "application/json"),
        _ => return None,
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]));
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut answer = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    Some(if matches {
        answer.finish()
    } else {
        answer
            .insert_header((header::CONTENT_TYPE, content_type))
            .body(bytes)
    })
}
