//! The `log_inclusion` check: an evidence bundle's log section (`LOGP`: the capture's leaf and
//! its C2SP tlog-proof) says the capture is in the public transparency log.
//!
//! Checked offline, in order: the section reads (canonical, a v1 leaf, a well-formed proof); the
//! leaf is about this capture (a `manifest_received` or `image_verified` leaf naming the bundle's
//! manifest hash); when the bundle's receipt carries a `log_index` (the server's signed promise of
//! inclusion), the leaf is at that index; the proof puts the leaf at its index in the checkpoint's tree; and, given the
//! log's policy (its key and the witnesses, k of n), the checkpoint is the log's, signed by it and
//! cosigned by enough witnesses. Without a policy the signatures cannot be checked: a warning
//! says so. Never a silent pass.

use serde_json::json;

use crate::bundle::EvidenceBundle;
use crate::hash::Sha256Digest;
use crate::log::inclusion::LogInclusionProof;
use crate::log::merkle::hash_to_base64;
use crate::log::proof::LogPolicy;

use super::report::{CheckId, CheckResult, Checks};

/// The `log_inclusion` check of a bundle, or `None` when the bundle has no log section.
/// `receipt_log_index` is the `log_index` of the bundle's receipt for this capture, if it has one:
/// the leaf must then be at that index.
pub fn log_inclusion_check(
    bundle: &EvidenceBundle,
    manifest_hash: &Sha256Digest,
    receipt_log_index: Option<u64>,
    policy: Option<&LogPolicy>,
) -> Option<CheckResult> {
    let bytes = bundle.log_proof.as_ref()?;
    let mut c = Checks(Vec::new());
    check(bytes, manifest_hash, receipt_log_index, policy, &mut c);
    c.0.pop()
}

fn check(
    bytes: &[u8],
    manifest_hash: &Sha256Digest,
    receipt_log_index: Option<u64>,
    policy: Option<&LogPolicy>,
    c: &mut Checks,
) {
    const ID: CheckId = CheckId::LogInclusion;
    let inclusion = match LogInclusionProof::from_bytes(bytes) {
        Ok(i) => i,
        Err(e) => {
            return c.fail(
                ID,
                format!("the log section cannot be read: {e}"),
                json!({}),
            );
        }
    };
    let kind = inclusion
        .leaf_body()
        .ok()
        .and_then(|b| serde_json::to_value(&b.event).ok())
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned));
    let mut m = json!({
        "leaf_index": inclusion.index(),
        "leaf_kind": kind,
        "leaf_hash": hash_to_base64(&inclusion.leaf_hash()),
    });
    match inclusion.manifest_hash() {
        None => {
            return c.fail(
                ID,
                "the log leaf is not about a capture (neither manifest_received nor image_verified)",
                m,
            );
        }
        Some(h) if h != *manifest_hash => {
            m["leaf_manifest_hash"] = json!(h);
            return c.fail(
                ID,
                format!("the log leaf is about another capture (manifest {h}), not this one"),
                m,
            );
        }
        Some(_) => {}
    }
    // A proof of an earlier leaf of this capture (its manifest's, say) is a true proof: the
    // capture is in the log. It is not yet the proof of the leaf the receipt promises, which the
    // phone gets at its next sync: a warning, not a failure. A later index is no promise kept.
    let mut awaiting_promised = None;
    if let Some(promised) = receipt_log_index {
        m["receipt_log_index"] = json!(promised);
        if inclusion.index() > promised {
            return c.fail(
                ID,
                format!(
                    "the receipt promises this capture's leaf at log index {promised}, but the \
                     bundle's log proof is for the later index {}",
                    inclusion.index()
                ),
                m,
            );
        }
        if inclusion.index() < promised {
            awaiting_promised = Some(promised);
        }
    }
    let checkpoint = match inclusion
        .proof
        .check_inclusion_unsigned(inclusion.leaf_hash())
    {
        Ok(cp) => cp,
        Err(e) => return c.fail(ID, format!("the log proof does not hold: {e}"), m),
    };
    m["tree_size"] = json!(checkpoint.size);
    m["root_hash"] = json!(hash_to_base64(&checkpoint.root));
    m["origin"] = json!(checkpoint.origin);
    let Some(policy) = policy else {
        return c.warn(
            ID,
            format!(
                "leaf {} is in the tree of size {} the proof's checkpoint names, but no log key \
                 was given: the checkpoint's signature and cosignatures were not checked",
                inclusion.index(),
                checkpoint.size
            ),
            m,
        );
    };
    match inclusion.verify(policy) {
        Err(e) => c.fail(ID, format!("the log proof does not verify: {e}"), m),
        Ok(v) => {
            let names: Vec<&str> = v.cosignatures.iter().map(|w| w.witness.as_str()).collect();
            m["cosigned_by"] = json!(names);
            m["witness_threshold"] = json!(policy.witness_threshold);
            if let Some(promised) = awaiting_promised {
                return c.warn(
                    ID,
                    format!(
                        "leaf {} (an earlier leaf of this capture) is in the log {}'s checkpoint \
                         of size {}, signed and cosigned by {} of the {} trusted witnesses; the \
                         receipt's promised leaf {promised} is not proven by this bundle yet: \
                         sync the phone again and export the bundle anew",
                        v.index,
                        v.checkpoint.origin,
                        v.checkpoint.size,
                        names.len(),
                        policy.witnesses.len(),
                    ),
                    m,
                );
            }
            c.pass(
                ID,
                format!(
                    "leaf {} is in the log {}'s checkpoint of size {}, signed by the log key and \
                     cosigned by {} of the {} trusted witnesses (at least {} required)",
                    v.index,
                    v.checkpoint.origin,
                    v.checkpoint.size,
                    names.len(),
                    policy.witnesses.len(),
                    policy.witness_threshold
                ),
                m,
            )
        }
    }
}
