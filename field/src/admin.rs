//! The one admin call the simulator makes: issuing enrolment codes (Commission side).

use tallyseal_core::client::api::{ServerUrl, parse_json};
use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};
use tallyseal_core::client::{ClientError, ClientResult};

/// An issued code.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub code: String,
    pub qr_payload: String,
}

/// `POST /api/v1/elections/{election}/enrolment-codes`.
pub fn issue_code(
    server: &str,
    admin_token: &str,
    election: &str,
    constituency: &str,
    station: u32,
) -> ClientResult<IssuedCode> {
    let server = ServerUrl::new(server)?;
    let body =
        serde_json::to_vec(&serde_json::json!({"constituency": constituency, "station": station}))
            .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
    let req = HttpRequest::new(
        "POST",
        server.join(&format!("/api/v1/elections/{election}/enrolment-codes")),
    )
    .header("Authorization", format!("Bearer {admin_token}"))
    .json_body(body);
    let resp = StdHttpTransport::default().execute(req)?;
    let v: serde_json::Value = parse_json(&resp, &[200, 201])?;
    let s = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| ClientError::Protocol(format!("no {k}")))
    };
    Ok(IssuedCode {
        code: s("code")?,
        qr_payload: s("qr_payload")?,
    })
}
