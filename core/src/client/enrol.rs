//! Enrolment: the code or QR payload a Presiding Officer scans, and the enrolment record the phone
//! keeps afterwards.
//!
//! QR payload (issued by the server, format in [`crate::wire::enrolment_qr`]):
//! `tallyseal:enrol?server=<url>&election=<id>&code=<code>`, optionally with
//! `&vkey=<C2SP verifier key>` naming the Commission key that signed the election package. The
//! phone verifies the package it receives against, in order: that `vkey`, the keys built into the
//! app ([`crate::client::Settings::trusted_package_keys`]), or — only when neither
//! exists — the verifiers the server publishes at `/api/v1/keys` (recorded as
//! [`PackageTrust::ServerPublished`], weaker: it trusts the enrolment channel).

use serde::{Deserialize, Serialize};

use crate::client::error::{ClientError, ClientResult};
use crate::hash::Sha256Digest;
use crate::keys::PublicKey;

pub use crate::wire::enrolment_qr::EnrolmentCode;

/// Parse a QR payload (`tallyseal:enrol?...`) or a bare code (`XXXX-XXXX-XXXX`); the format is
/// defined once, in [`crate::wire::enrolment_qr`].
pub fn parse_enrolment_payload(text: &str) -> ClientResult<EnrolmentCode> {
    crate::wire::enrolment_qr::parse_enrolment_payload(text)
        .map_err(|e| ClientError::InvalidInput(e.to_string()))
}

/// How the phone came to trust the election package's signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageTrust {
    /// The signer's key came with the QR payload or is built into the app.
    Pinned,
    /// The signer's key was taken from the server's `/api/v1/keys` at enrolment.
    ServerPublished,
}

/// What the phone keeps after enrolling (`identity.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub server: String,
    pub election: String,
    pub constituency: String,
    pub station: u32,
    pub station_name: String,
    pub officer_name: String,
    pub device_key: PublicKey,
    pub enrolled_at_ms: i64,
    pub package_hash: Sha256Digest,
    /// Signs receipts and time anchors.
    pub commission_key: PublicKey,
    /// The C2SP verifier key that verified the package.
    pub package_verifier: String,
    pub package_trust: PackageTrust,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        let c = parse_enrolment_payload(
            "tallyseal:enrol?server=http://127.0.0.1:8080&election=pk-ge-2024-demo&code=ABCD-EFGH-JKLM&vkey=demo%2Bx",
        )
        .unwrap();
        assert_eq!(c.server.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(c.code, "ABCD-EFGH-JKLM");
        assert_eq!(c.package_verifier.as_deref(), Some("demo+x"));
        assert_eq!(
            parse_enrolment_payload(" ABCD-EFGH-JKLM ").unwrap().server,
            None
        );
        assert!(parse_enrolment_payload("tallyseal:enrol?server=x").is_err());
        assert!(parse_enrolment_payload("hello world").is_err());
        assert!(parse_enrolment_payload("").is_err());
    }
}
