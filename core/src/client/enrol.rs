//! Enrolment: the code or QR payload a Presiding Officer scans, and the enrolment record the phone
//! keeps afterwards.
//!
//! QR payload (issued by the server, format in [`crate::wire::enrolment_qr`]):
//! `tallyseal:enrol?server=<url>&election=<id>&code=<code>`, optionally with
//! `&vkey=<C2SP verifier key>` naming the Commission key that signed the election package. The
//! phone verifies the package it receives against, in order: that `vkey`, the keys built into the
//! app ([`crate::client::Settings::trusted_package_keys`]), or — only when neither
//! exists — the verifiers the server publishes at `/api/v1/keys` (recorded as
//! [`PackageTrust::ServerPublished`], weaker: it trusts the enrolment channel). [`exchange`] is
//! that exchange with the server; [`crate::client::PhoneClient::enrol`] stores its result.

use serde::{Deserialize, Serialize};

use crate::client::api::{EnrolResponse, KeysResponse, ServerUrl, parse_json};
use crate::client::error::{ClientError, ClientResult};
use crate::client::http::HttpTransport;
use crate::hash::Sha256Digest;
use crate::keys::{DeviceKey, PublicKey};
use crate::note::Verifier;
use crate::package::{ElectionPackage, SignedPackage};

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

/// The enrolment exchange, nothing stored: the server enrols `key` for the code's station; the
/// package it returns is opened with the keys trusted for it (the code's pinned verifier, else
/// `trusted_package_keys`, else — trusting the server — the keys it publishes, which must name
/// the same Commission key) and must be for the enrolled election and hold the enrolled station.
pub(crate) fn exchange(
    transport: &dyn HttpTransport,
    trusted_package_keys: &[String],
    key: &DeviceKey,
    code: &EnrolmentCode,
    server: &ServerUrl,
    officer: &str,
) -> ClientResult<(Enrolment, SignedPackage, ElectionPackage)> {
    let resp =
        transport.execute(server.enrol_request(&code.code, &key.public_key(), officer)?)?;
    let answer: EnrolResponse = parse_json(&resp, &[200, 201])?;
    if answer.device_key != key.public_key().to_hex() {
        return Err(ClientError::Protocol(
            "the enrolment is for another key".into(),
        ));
    }
    if code
        .election
        .as_ref()
        .is_some_and(|e| *e != answer.election)
    {
        return Err(ClientError::Protocol(
            "the enrolment is for another election than the code".into(),
        ));
    }
    let commission_key: PublicKey = answer
        .commission_key
        .parse()
        .map_err(|_| ClientError::Protocol("commission_key is not a key".into()))?;

    // Which keys may have signed the package?
    let (vkeys, trust) = match (&code.package_verifier, trusted_package_keys.is_empty()) {
        (Some(v), _) => (vec![v.clone()], PackageTrust::Pinned),
        (None, false) => (trusted_package_keys.to_vec(), PackageTrust::Pinned),
        (None, true) => {
            let keys: KeysResponse =
                parse_json(&transport.execute(server.keys_request())?, &[200])?;
            if keys.commission_key != answer.commission_key {
                return Err(ClientError::Untrusted(
                    "the server published another commission key".into(),
                ));
            }
            let mut v = keys.package_verifiers;
            if !keys.note_verifier.is_empty() {
                v.push(keys.note_verifier);
            }
            (v, PackageTrust::ServerPublished)
        }
    };
    let verifiers: Vec<Verifier> = vkeys
        .iter()
        .map(|v| {
            Verifier::parse(v)
                .map_err(|e| ClientError::InvalidInput(format!("verifier key {v}: {e}")))
        })
        .collect::<ClientResult<_>>()?;
    let (package, signed) = SignedPackage::open(answer.package_note.as_bytes(), &verifiers)
        .map_err(|e| ClientError::Untrusted(format!("election package: {e}")))?;
    if signed.hash().to_hex() != answer.package_hash {
        return Err(ClientError::Untrusted(
            "the package hash does not match the package".into(),
        ));
    }
    if package.election.id != answer.election {
        return Err(ClientError::Untrusted(
            "the package is for another election".into(),
        ));
    }
    let station = package
        .station(&answer.constituency, answer.station)
        .ok_or_else(|| {
            ClientError::Untrusted("the enrolled station is not in the package".into())
        })?;
    let verifier = verifiers
        .iter()
        .find(|v| SignedPackage::open(signed.as_bytes(), std::slice::from_ref(v)).is_ok())
        .map(|v| v.to_vkey())
        .unwrap_or_default();
    let enrolment = Enrolment {
        server: server.0.clone(),
        election: answer.election,
        constituency: answer.constituency,
        station: answer.station,
        station_name: station.name.clone(),
        officer_name: answer.officer_name,
        device_key: key.public_key(),
        enrolled_at_ms: answer.enrolled_at_ms,
        package_hash: signed.hash(),
        commission_key,
        package_verifier: verifier,
        package_trust: trust,
    };
    Ok((enrolment, signed, package))
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
