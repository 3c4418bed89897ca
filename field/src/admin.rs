//! The one admin call the simulator makes: issuing enrolment codes (Commission side).

use tallyseal_core::client::api::{ServerUrl, parse_json};
use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};
use tallyseal_core::client::{ClientError, ClientResult};
use tallyseal_core::wire::{CodeRequest, CodeResponse};

/// An issued code (the server's answer, `tallyseal_core::wire::CodeResponse`).
pub type IssuedCode = CodeResponse;

/// `POST /api/v1/elections/{election}/enrolment-codes`.
pub fn issue_code(
    server: &str,
    admin_token: &str,
    election: &str,
    constituency: &str,
    station: u32,
) -> ClientResult<IssuedCode> {
    let server = ServerUrl::new(server)?;
    let body = serde_json::to_vec(&CodeRequest {
        constituency: constituency.to_owned(),
        station,
        ttl_secs: None,
    })
    .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
    let req = HttpRequest::new(
        "POST",
        server.join(&format!("/api/v1/elections/{election}/enrolment-codes")),
    )
    .header("Authorization", format!("Bearer {admin_token}"))
    .json_body(body);
    let resp = StdHttpTransport::default().execute(req)?;
    parse_json(&resp, &[200, 201])
}
