//! The admin calls the simulator, the demo and the end-to-end tests make (Commission side):
//! importing a signed election package and issuing enrolment codes.

use tallyseal_core::client::api::{ServerUrl, parse_json};
use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};
use tallyseal_core::client::{ClientError, ClientResult};
use tallyseal_core::wire::{CodeRequest, CodeResponse, ImportRequest, ImportResponse};

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

/// `POST /api/v1/elections` with a package note signed by a key the server trusts.
pub fn import_signed_package(
    server: &str,
    admin_token: &str,
    signed_note: &str,
) -> ClientResult<ImportResponse> {
    let server = ServerUrl::new(server)?;
    let body = serde_json::to_vec(&ImportRequest {
        package: None,
        signed_note: Some(signed_note.to_owned()),
    })
    .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
    let req = HttpRequest::new("POST", server.join("/api/v1/elections"))
        .header("Authorization", format!("Bearer {admin_token}"))
        .json_body(body);
    let resp = StdHttpTransport::default().execute(req)?;
    parse_json(&resp, &[200, 201])
}
