//! The tus 1.0 client, sans-I/O (`docs/tus.md`): creation (one upload per submission, so creating
//! again resumes), `HEAD` for the server's offset, `PATCH` from exactly that offset, with an
//! optional per-request SHA-256 `Upload-Checksum`.
//!
//! Without a checksum the server keeps the bytes of a request cut mid-body, so a 2G link that
//! drops loses nothing already sent; with one, each request is all-or-nothing. Either way the
//! image's integrity rests on the signed SHA-256, which the server checks on the last byte.

use base64::Engine;

use crate::client::api::{ServerUrl, problem};
use crate::client::error::{ClientError, ClientResult};
use crate::client::http::{HttpRequest, HttpResponse};
use crate::hash::{Sha256Digest, sha256};
use crate::keys::SignatureBytes;
use crate::receipt::{RECEIPT_HEADER, Receipt};
use crate::seal::UPLOAD_AUTH_HEADER;

pub const TUS_VERSION: &str = "1.0.0";

/// Default upload endpoint (the server also names it in its manifest answer).
pub const DEFAULT_UPLOAD_ENDPOINT: &str = "/api/v1/uploads";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A tus request carrying the protocol version and the device's upload authorisation
/// ([`crate::seal::upload_auth`]), which the server asks for on every request of an upload.
fn tus_request(method: &str, url: &str, auth: &SignatureBytes) -> HttpRequest {
    HttpRequest::new(method, url)
        .header("Tus-Resumable", TUS_VERSION)
        .header(UPLOAD_AUTH_HEADER, auth.to_hex())
}

/// `POST <endpoint>`: create (or find again) the upload for a submission's image.
pub fn creation_request(
    endpoint_url: &str,
    length: u64,
    manifest_hash: &Sha256Digest,
    auth: &SignatureBytes,
) -> HttpRequest {
    tus_request("POST", endpoint_url, auth)
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            format!("manifest_hash {}", b64(manifest_hash.to_hex().as_bytes())),
        )
}

fn offset_of(resp: &HttpResponse) -> ClientResult<u64> {
    resp.header("Upload-Offset")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            ClientError::Protocol(format!(
                "HTTP {} without a valid Upload-Offset",
                resp.status
            ))
        })
}

/// The creation answer: the absolute upload URL and the server's offset.
pub fn parse_creation(resp: &HttpResponse, server: &ServerUrl) -> ClientResult<(String, u64)> {
    if resp.status != 201 && resp.status != 200 {
        return Err(problem(resp));
    }
    let location = resp
        .header("Location")
        .ok_or_else(|| ClientError::Protocol("tus creation without Location".into()))?;
    let offset = resp
        .header("Upload-Offset")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok((server.join(location), offset))
}

/// `HEAD <upload>`: where the server stands.
pub fn head_request(upload_url: &str, auth: &SignatureBytes) -> HttpRequest {
    tus_request("HEAD", upload_url, auth)
}

/// The server's offset from a `HEAD` answer.
pub fn parse_head(resp: &HttpResponse) -> ClientResult<u64> {
    if resp.status != 200 && resp.status != 204 {
        return Err(problem(resp));
    }
    offset_of(resp)
}

/// `PATCH <upload>` with `chunk` at `offset`.
pub fn patch_request(
    upload_url: &str,
    offset: u64,
    chunk: &[u8],
    checksum: bool,
    auth: &SignatureBytes,
) -> HttpRequest {
    let mut req = tus_request("PATCH", upload_url, auth)
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream");
    if checksum {
        req = req.header(
            "Upload-Checksum",
            format!("sha256 {}", b64(&sha256(chunk).0)),
        );
    }
    req.body = chunk.to_vec();
    req
}

/// The new offset from a `PATCH` answer.
pub fn parse_patch(resp: &HttpResponse) -> ClientResult<u64> {
    if resp.status != 204 && resp.status != 200 {
        return Err(problem(resp));
    }
    offset_of(resp)
}

/// The receipt an answer carries in [`RECEIPT_HEADER`], if it carries a readable one. Not yet
/// checked: the caller verifies its signature like any other receipt's.
pub fn receipt_of(resp: &HttpResponse) -> Option<Receipt> {
    let json = base64::engine::general_purpose::STANDARD
        .decode(resp.header(RECEIPT_HEADER)?.trim())
        .ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_the_protocol_headers() {
        let h = sha256(b"m");
        let auth = SignatureBytes([7; 64]);
        let r = creation_request("http://s/api/v1/uploads", 10, &h, &auth);
        assert_eq!(r.headers[0], ("Tus-Resumable".into(), "1.0.0".into()));
        assert_eq!(r.headers[1], (UPLOAD_AUTH_HEADER.into(), "07".repeat(64)));
        assert!(r.headers[3].1.starts_with("manifest_hash "));
        let p = patch_request("http://s/u/1", 5, b"abc", true, &auth);
        assert_eq!(p.body, b"abc");
        for req in [&p, &head_request("http://s/u/1", &auth)] {
            assert!(
                req.headers
                    .iter()
                    .any(|(k, v)| k == UPLOAD_AUTH_HEADER && *v == auth.to_hex())
            );
        }
        assert!(
            p.headers
                .iter()
                .any(|(k, v)| k == "Upload-Checksum" && v.starts_with("sha256 "))
        );
        let server = ServerUrl::new("http://s:1").unwrap();
        let resp = HttpResponse {
            status: 201,
            headers: vec![
                ("location".into(), "/api/v1/uploads/ab".into()),
                ("Upload-Offset".into(), "7".into()),
            ],
            body: vec![],
        };
        assert_eq!(
            parse_creation(&resp, &server).unwrap(),
            ("http://s:1/api/v1/uploads/ab".into(), 7)
        );
        let resp = HttpResponse {
            status: 204,
            headers: vec![],
            body: vec![],
        };
        assert!(matches!(parse_patch(&resp), Err(ClientError::Protocol(_))));
        assert!(receipt_of(&resp).is_none());
        let garbled = HttpResponse {
            status: 204,
            headers: vec![("tallyseal-receipt".into(), "not base64!".into())],
            body: vec![],
        };
        assert!(receipt_of(&garbled).is_none());
    }
}
