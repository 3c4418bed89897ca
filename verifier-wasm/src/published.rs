//! What the browser is given besides the bundle — the server's published keys
//! (`GET /api/v1/keys`, core's `KeysResponse`), the election's signed package and the enrolment
//! records of the capture's device — turned into core's [`VerificationContext`] and
//! [`LogPolicy`], exactly as `tallyseal verify --context FILE --log-key … --witness …` builds
//! them from the same material; then core's [`verify_bundle_with_log`]. A package that does not
//! verify against the published keys is an error, never context. No I/O, no clock: the page
//! passes "now".

use serde::{Deserialize, Serialize};
use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::hash::{Sha256Digest, sha256};
use tallyseal_core::keys::PublicKey;
use tallyseal_core::log::cosignature::CosignatureVerifier;
use tallyseal_core::log::proof::LogPolicy;
use tallyseal_core::manifest::CaptureManifest;
use tallyseal_core::note::Verifier;
use tallyseal_core::package::SignedPackage;
use tallyseal_core::verify::{
    EnrolledDevice, Verdict, VerificationContext, VerificationReport, verify_bundle_with_log,
};
use tallyseal_core::wire::KeysResponse;

/// The context the page fetched besides the keys. Every field is optional: what is missing is
/// reported by core as "not checked" (a warning), never passed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedContext {
    /// The election's signed package (`GET /api/v1/elections/{election}/package`).
    #[serde(default)]
    pub package_note: Option<String>,
    /// The enrolment records of the capture's device.
    #[serde(default)]
    pub devices: Vec<EnrolledDevice>,
}

/// What the verification trusted, for the page to say so.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustSummary {
    /// The key trusted for receipts and time anchors (the server's Commission key, hex).
    pub server_key: PublicKey,
    /// The election package's hash, when one was given and verified.
    pub package_hash: Option<Sha256Digest>,
    /// How many enrolment records were given.
    pub devices: usize,
    /// The log's origin, when a log key was published.
    pub log_origin: Option<String>,
    /// The witnesses trusted, and how many of them must have cosigned.
    pub witnesses: usize,
    pub witness_policy: usize,
}

/// Core's context and log policy built from the published material.
#[derive(Debug)]
pub struct Trust {
    pub context: VerificationContext,
    pub log_policy: Option<LogPolicy>,
    pub summary: TrustSummary,
}

/// Build the context: the Commission key signs receipts and time anchors; the package must be
/// signed by one of the package verifiers; the log's key, witnesses and policy as published.
pub fn trust(
    keys: &KeysResponse,
    published: PublishedContext,
    now_ms: i64,
) -> Result<Trust, String> {
    let server_key: PublicKey = keys
        .commission_key
        .parse()
        .map_err(|e| format!("the published Commission key is not a key: {e}"))?;
    let (package, package_hash) = match &published.package_note {
        None => (None, None),
        Some(note) => {
            let mut vkeys = keys.package_verifiers.clone();
            if vkeys.is_empty() {
                vkeys.push(keys.note_verifier.clone());
            }
            let verifiers = vkeys
                .iter()
                .map(|k| Verifier::parse(k.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("a published package verifier key cannot be read: {e}"))?;
            let (pkg, signed) = SignedPackage::open(note.as_bytes(), &verifiers)
                .map_err(|e| format!("the election package does not verify: {e}"))?;
            (Some(pkg), Some(signed.hash()))
        }
    };
    let log_policy = if keys.log_vkey.trim().is_empty() {
        None
    } else {
        let key = Verifier::parse(keys.log_vkey.trim())
            .map_err(|e| format!("the published log key cannot be read: {e}"))?;
        let witnesses = keys
            .witness_vkeys
            .iter()
            .map(|w| CosignatureVerifier::parse(w.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("a published witness key cannot be read: {e}"))?;
        Some(
            LogPolicy::for_log_key(key, witnesses, keys.witness_policy)
                .map_err(|e| format!("the published witness policy cannot hold: {e}"))?,
        )
    };
    let summary = TrustSummary {
        server_key,
        package_hash,
        devices: published.devices.len(),
        log_origin: log_policy.as_ref().map(|p| p.origin.clone()),
        witnesses: log_policy.as_ref().map_or(0, |p| p.witnesses.len()),
        witness_policy: log_policy.as_ref().map_or(0, |p| p.witness_threshold),
    };
    let context = VerificationContext {
        package,
        package_hash,
        devices: published.devices,
        anchor_keys: vec![server_key],
        receipt_keys: vec![server_key],
        now_ms,
        ..Default::default()
    };
    Ok(Trust {
        context,
        log_policy,
        summary,
    })
}

/// The answer the page reads (`format` `tallyseal.browser-verification`, `v` 1). `error` is set
/// when the bundle or the published material cannot be read; the verdict is then `failed` and
/// there is no report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrowserVerification {
    pub format: &'static str,
    pub v: u32,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<VerificationReport>,
}

impl BrowserVerification {
    fn failed(error: String) -> Self {
        BrowserVerification {
            format: "tallyseal.browser-verification",
            v: 1,
            verdict: Verdict::Failed,
            error: Some(error),
            trust: None,
            report: None,
        }
    }
}

/// Verify `bundle` against the published `keys` (JSON of `GET /api/v1/keys`) and `context`
/// (JSON of [`PublishedContext`]; empty means none).
pub fn verify(bundle: &[u8], keys: &[u8], context: &[u8], now_ms: i64) -> BrowserVerification {
    let keys: KeysResponse = match serde_json::from_slice(keys) {
        Ok(k) => k,
        Err(e) => return BrowserVerification::failed(format!("the keys cannot be read: {e}")),
    };
    let published: PublishedContext = if context.is_empty() {
        PublishedContext::default()
    } else {
        match serde_json::from_slice(context) {
            Ok(c) => c,
            Err(e) => {
                return BrowserVerification::failed(format!("the context cannot be read: {e}"));
            }
        }
    };
    let trust = match trust(&keys, published, now_ms) {
        Ok(t) => t,
        Err(e) => return BrowserVerification::failed(e),
    };
    let bundle = match EvidenceBundle::from_bytes(bundle) {
        Ok(b) => b,
        Err(e) => {
            return BrowserVerification::failed(format!("not a valid evidence bundle: {e}"));
        }
    };
    let report = verify_bundle_with_log(&bundle, &trust.context, trust.log_policy.as_ref());
    BrowserVerification {
        format: "tallyseal.browser-verification",
        v: 1,
        verdict: report.verdict,
        error: None,
        trust: Some(trust.summary),
        report: Some(report),
    }
}

/// What a bundle says it is, read before verifying so the page can fetch the election's package
/// and the device's enrolment. Nothing here is trusted: [`verify`] checks it all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleDescription {
    pub manifest_hash: Sha256Digest,
    pub election: String,
    pub constituency: String,
    pub station: u32,
    pub device_key: PublicKey,
}

/// Read the bundle's manifest (not its signature).
pub fn describe(bundle: &[u8]) -> Result<BundleDescription, String> {
    let bundle = EvidenceBundle::from_bytes(bundle)
        .map_err(|e| format!("not a valid evidence bundle: {e}"))?;
    let m = CaptureManifest::parse(&bundle.manifest)
        .map_err(|e| format!("the manifest cannot be read: {e}"))?;
    Ok(BundleDescription {
        manifest_hash: sha256(&bundle.manifest),
        election: m.election,
        constituency: m.constituency,
        station: m.station,
        device_key: m.device.key,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use tallyseal_core::demo;

    fn vector(path: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../docs/vectors/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn keys(package_vkey: String) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "commission_key": demo::commission_key().public_key().to_hex(),
            "note_verifier": package_vkey,
            "package_verifiers": [package_vkey],
            "commission_name": "demo",
        }))
        .unwrap()
    }

    #[test]
    fn unreadable_material_fails_with_its_reason() {
        let bundle = vector("capture-v1/bundle.tsb");
        let good = keys(demo::commission_verifier().unwrap().to_vkey());
        let r = verify(&bundle, b"{", b"", 0);
        assert_eq!(r.verdict, Verdict::Failed);
        assert!(r.error.unwrap().starts_with("the keys cannot be read"));
        let r = verify(&bundle, &good, br#"{"surprise": 1}"#, 0);
        assert!(r.error.unwrap().starts_with("the context cannot be read"));
        let r = verify(b"TSBUNDLE", &good, b"", 0);
        assert!(r.error.unwrap().starts_with("not a valid evidence bundle"));
        assert!(r.report.is_none());
    }

    #[test]
    fn a_package_not_signed_by_a_published_key_is_an_error_not_context() {
        let other = tallyseal_core::note::Verifier::new(
            "demo.tallyseal.invalid",
            demo::server_key().public_key(),
        )
        .unwrap()
        .to_vkey();
        let note = String::from_utf8(vector("capture-v1/package.note")).unwrap();
        let context = serde_json::to_vec(&serde_json::json!({ "package_note": note })).unwrap();
        let bundle = vector("capture-v1/bundle.tsb");
        let r = verify(&bundle, &keys(other), &context, 0);
        assert_eq!(r.verdict, Verdict::Failed);
        assert!(
            r.error
                .unwrap()
                .starts_with("the election package does not verify")
        );
        let good = keys(demo::commission_verifier().unwrap().to_vkey());
        let r = verify(&bundle, &good, &context, 0);
        assert!(r.error.is_none());
        let trust = r.trust.unwrap();
        assert!(trust.package_hash.is_some());
        assert_eq!(trust.log_origin, None);
    }

    #[test]
    fn describe_reads_what_the_bundle_claims() {
        let d = describe(&vector("log-v1/bundle.tsb")).unwrap();
        assert_eq!(d.election, "pk-ge-2024-demo");
        assert_eq!(d.constituency, "NA-128");
        assert_eq!(d.station, 1);
        assert_eq!(d.device_key, demo::device_key().public_key());
        assert!(describe(b"nope").is_err());
    }
}
