//! The agent copy: a short text, shown as a QR code on the Presiding Officer's screen, that a
//! polling agent scans at the station. It names the capture's manifest hash and carries the
//! device's signature, so the agent can later check that the manifest (and through it the image
//! hash) published by the Commission is the one they were shown, signed by that phone.
//!
//! Format (about 210 characters, fits a version-10 QR code at level M):
//! `tallyseal:agent-copy?v=1&st=<constituency>/<station>&q=<seq>&m=<manifest hash, hex>&s=<signature, base64url>`

use base64::Engine;

use crate::client::error::{ClientError, ClientResult};
use crate::hash::{Sha256Digest, sha256};
use crate::keys::SignatureBytes;
use crate::manifest::{CaptureManifest, verify_manifest_signature};

/// What an agent copy says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCopy {
    pub constituency: String,
    pub station: u32,
    pub seq: u64,
    pub manifest_hash: Sha256Digest,
    pub signature: SignatureBytes,
}

const PREFIX: &str = "tallyseal:agent-copy?";

impl AgentCopy {
    pub fn for_capture(
        manifest: &CaptureManifest,
        manifest_hash: Sha256Digest,
        signature: SignatureBytes,
    ) -> AgentCopy {
        AgentCopy {
            constituency: manifest.constituency.clone(),
            station: manifest.station,
            seq: manifest.device.seq,
            manifest_hash,
            signature,
        }
    }

    /// The QR text.
    pub fn to_payload(&self) -> String {
        format!(
            "{PREFIX}v=1&st={}/{}&q={}&m={}&s={}",
            self.constituency.replace(['&', '=', '/'], "_"),
            self.station,
            self.seq,
            self.manifest_hash.to_hex(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.signature.0)
        )
    }

    /// Parse the QR text.
    pub fn parse(text: &str) -> ClientResult<AgentCopy> {
        let bad = |w: &str| ClientError::InvalidInput(format!("agent copy: {w}"));
        let query = text
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("not an agent copy"))?;
        let (mut st, mut q, mut m, mut s, mut v) = (None, None, None, None, None);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("v", x)) => v = Some(x),
                Some(("st", x)) => st = Some(x),
                Some(("q", x)) => q = Some(x),
                Some(("m", x)) => m = Some(x),
                Some(("s", x)) => s = Some(x),
                _ => {}
            }
        }
        if v != Some("1") {
            return Err(bad("unsupported version"));
        }
        let (constituency, station) = st
            .and_then(|x| x.rsplit_once('/'))
            .ok_or_else(|| bad("station"))?;
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.ok_or_else(|| bad("signature"))?)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
            .ok_or_else(|| bad("signature"))?;
        Ok(AgentCopy {
            constituency: constituency.to_owned(),
            station: station.parse().map_err(|_| bad("station"))?,
            seq: q
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| bad("sequence"))?,
            manifest_hash: m
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| bad("manifest hash"))?,
            signature: SignatureBytes(sig),
        })
    }

    /// Check a published manifest against this copy: same hash, and the copy's signature verifies
    /// with the device key named in the manifest.
    pub fn matches(&self, manifest_bytes: &[u8]) -> ClientResult<CaptureManifest> {
        if sha256(manifest_bytes) != self.manifest_hash {
            return Err(ClientError::Untrusted(
                "the published manifest is not the one the agent saw".into(),
            ));
        }
        verify_manifest_signature(manifest_bytes, &self.signature)
            .map_err(|e| ClientError::Untrusted(format!("agent copy signature: {e}")))
    }
}
