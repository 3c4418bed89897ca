//! The server's HTTP API (`docs/server-api.md`), sans-I/O: functions that build
//! [`HttpRequest`]s and functions that turn [`HttpResponse`]s into values or errors.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::error::{ClientError, ClientResult, Problem};
use crate::client::http::{HttpRequest, HttpResponse};
use crate::hash::Sha256Digest;
use crate::keys::{PublicKey, SignatureBytes};
use crate::time::TimeAnchor;
pub use crate::wire::{
    CaptureStatus, EnrolRequest, EnrolResponse, KeysResponse, ManifestSubmission,
    SubmissionResponse, TimeAnchorRequest,
};

/// Base URL of a tallyseal server, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerUrl(pub String);

impl ServerUrl {
    pub fn new(url: &str) -> ClientResult<ServerUrl> {
        let u = url.trim().trim_end_matches('/');
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
            return Err(ClientError::InvalidInput(format!(
                "not a server URL: {url:?}"
            )));
        }
        Ok(ServerUrl(u.to_owned()))
    }

    /// An absolute URL for `path_or_url` (absolute URLs are returned as they are).
    pub fn join(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else if path_or_url.starts_with('/') {
            format!("{}{path_or_url}", self.0)
        } else {
            format!("{}/{path_or_url}", self.0)
        }
    }

    pub fn keys_request(&self) -> HttpRequest {
        HttpRequest::new("GET", self.join("/api/v1/keys")).header("Accept", "application/json")
    }

    pub fn enrol_request(
        &self,
        code: &str,
        key: &PublicKey,
        officer_name: &str,
    ) -> ClientResult<HttpRequest> {
        let body = EnrolRequest {
            code: code.to_owned(),
            device_key: key.to_hex(),
            officer_name: officer_name.to_owned(),
        };
        Ok(HttpRequest::new("POST", self.join("/api/v1/enrol")).json_body(to_json(&body)?))
    }

    pub fn time_anchor_request(&self, nonce: &str) -> ClientResult<HttpRequest> {
        Ok(
            HttpRequest::new("POST", self.join("/api/v1/time-anchor")).json_body(to_json(
                &TimeAnchorRequest {
                    nonce: nonce.to_owned(),
                },
            )?),
        )
    }

    pub fn submit_manifest_request(
        &self,
        manifest: &[u8],
        signature: &SignatureBytes,
    ) -> ClientResult<HttpRequest> {
        let body = ManifestSubmission {
            manifest: base64::engine::general_purpose::STANDARD.encode(manifest),
            signature: signature.to_hex(),
        };
        Ok(HttpRequest::new("POST", self.join("/api/v1/captures")).json_body(to_json(&body)?))
    }

    pub fn capture_status_request(&self, manifest_hash: &Sha256Digest) -> HttpRequest {
        HttpRequest::new(
            "GET",
            self.join(&format!("/api/v1/captures/{}", manifest_hash.to_hex())),
        )
        .header("Accept", "application/json")
    }
}

fn to_json<T: Serialize>(v: &T) -> ClientResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| ClientError::InvalidInput(e.to_string()))
}

/// The error for a response whose status is not one of the expected ones: the server's
/// problem+json when it sent one.
pub fn problem(resp: &HttpResponse) -> ClientError {
    let parsed: Option<Problem> = serde_json::from_slice(&resp.body).ok();
    let mut p = match parsed {
        Some(p) if !p.type_uri.is_empty() => p,
        _ => Problem::from_status(resp.status, &resp.body),
    };
    p.status = resp.status;
    ClientError::Server(p)
}

/// Parse a JSON body when the status is one of `expected`, else the problem.
pub fn parse_json<T: DeserializeOwned>(resp: &HttpResponse, expected: &[u16]) -> ClientResult<T> {
    if !expected.contains(&resp.status) {
        return Err(problem(resp));
    }
    serde_json::from_slice(&resp.body)
        .map_err(|e| ClientError::Protocol(format!("HTTP {} body: {e}", resp.status)))
}

/// Parse the time anchor answer.
pub fn parse_time_anchor(resp: &HttpResponse) -> ClientResult<TimeAnchor> {
    parse_json(resp, &[200, 201])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_problems() {
        let s = ServerUrl::new("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            s.join("/api/v1/uploads/ab"),
            "http://127.0.0.1:8080/api/v1/uploads/ab"
        );
        assert_eq!(s.join("http://other/x"), "http://other/x");
        assert!(ServerUrl::new("ftp://x").is_err());
        let resp = HttpResponse {
            status: 403,
            headers: vec![],
            body: br#"{"type":"https://tallyseal.org/problems/unknown-code","title":"t","status":403,"detail":"no such enrolment code"}"#.to_vec(),
        };
        match problem(&resp) {
            ClientError::Server(p) => {
                assert_eq!(p.slug(), "unknown-code");
                assert!(!p.is_retryable());
            }
            other => panic!("{other:?}"),
        }
        let resp = HttpResponse {
            status: 503,
            headers: vec![],
            body: b"down".to_vec(),
        };
        assert!(problem(&resp).is_retryable());
    }
}
