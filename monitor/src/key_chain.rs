//! Following a change of the log's key (`docs/log.md`, "Log key rotation") from a key the
//! monitor already trusts, never from what the server merely says is its key now.
//!
//! When the checkpoint is not signed by the trusted key, the server's published changes
//! (`log_key_changes` at `/api/v1/keys`) are followed from that key: a change counts only if its
//! boundary checkpoint is signed by the key before it, for this log's origin and the change's
//! size, and covers its leaf. Once the tree is rebuilt, each followed change must hold in it
//! ([`check`]): the boundary's root is the tree's root at that size, and the entry at the change's
//! index is the `log_key_changed` leaf naming exactly those two keys. Otherwise the run reports a
//! `signature` finding and the state does not advance.

use tallyseal_core::log::checkpoint::open_checkpoint;
use tallyseal_core::log::leaf::{LeafBody, LogEvent};
use tallyseal_core::log::merkle::{Hash, hash_to_base64};
use tallyseal_core::log::proof::LogPolicy;
use tallyseal_core::note::Verifier;
use tallyseal_core::wire::LogKeyChange;

use crate::finding::{Finding, FindingKind};
use crate::tree::RebuiltTree;
use crate::{CHECKPOINT_PATH, KEYS_PATH, LogSource, MonitorError};

/// One change followed: from `old_vkey` to `new_vkey`, whose boundary checkpoint (size, root)
/// the old key signed.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub old_vkey: String,
    pub new_vkey: String,
    pub leaf_index: u64,
    pub size: u64,
    pub root: Hash,
}

/// The policy the current checkpoint is to be checked with: `policy` itself when its key signed
/// the checkpoint (or nothing leads elsewhere), else the same policy with the key the published
/// changes lead to from it, and the changes followed.
pub fn resolve(
    source: &dyn LogSource,
    policy: &LogPolicy,
) -> Result<(LogPolicy, Vec<Link>), MonitorError> {
    let unchanged = || Ok((policy.clone(), Vec::new()));
    let Some(note) = source.get(CHECKPOINT_PATH)? else {
        return unchanged();
    };
    if open_checkpoint(&note, &policy.log_keys).is_ok() {
        return unchanged();
    }
    let changes: Vec<LogKeyChange> = source
        .get(KEYS_PATH)?
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| serde_json::from_value(v.get("log_key_changes")?.clone()).ok())
        .unwrap_or_default();
    let Some(mut key) = policy.log_keys.first().cloned() else {
        return unchanged();
    };
    let mut links: Vec<Link> = Vec::new();
    while links.len() < changes.len() {
        let vkey = key.to_vkey();
        let Some(change) = changes.iter().find(|c| c.old_vkey == vkey) else {
            break;
        };
        let Ok(boundary) = open_checkpoint(change.boundary.as_bytes(), &[key.clone()]) else {
            break;
        };
        let b = boundary.checkpoint;
        let previous_size = links.last().map_or(0, |l| l.size);
        if b.origin != policy.origin
            || b.size != change.from_size
            || change.leaf_index >= b.size
            || b.size < previous_size
        {
            break;
        }
        let Ok(next) = Verifier::parse(&change.new_vkey) else {
            break;
        };
        links.push(Link {
            old_vkey: vkey,
            new_vkey: change.new_vkey.clone(),
            leaf_index: change.leaf_index,
            size: b.size,
            root: b.root,
        });
        key = next;
    }
    if links.is_empty() {
        return unchanged();
    }
    let followed = LogPolicy::new(
        &policy.origin,
        vec![key],
        policy.witnesses.clone(),
        policy.witness_threshold,
    )
    .map_err(|e| MonitorError::Policy(e.to_string()))?;
    Ok((followed, links))
}

/// Whether every followed change holds in the rebuilt tree; a `signature` finding for each one
/// that does not.
pub fn check(links: &[Link], tree: &RebuiltTree, findings: &mut Vec<Finding>) -> bool {
    let mut holds = true;
    for l in links {
        let mut refuse = |why: String| {
            holds = false;
            findings.push(Finding::new(
                FindingKind::Signature,
                format!(
                    "the change of the log key to {} is not established: {why}",
                    l.new_vkey
                ),
            ));
        };
        match tree.store.root_at(l.size) {
            Ok(root) if root == l.root => {}
            Ok(root) => refuse(format!(
                "its boundary checkpoint of size {} has root {}, the log's tree {}",
                l.size,
                hash_to_base64(&l.root),
                hash_to_base64(&root)
            )),
            Err(e) => refuse(format!("the tree at size {}: {e}", l.size)),
        }
        let leaf = usize::try_from(l.leaf_index)
            .ok()
            .and_then(|i| tree.entries.get(i))
            .and_then(|e| LeafBody::from_leaf_bytes(e).ok())
            .map(|b| b.event);
        let named = matches!(&leaf, Some(LogEvent::LogKeyChanged { old_vkey, new_vkey })
            if *old_vkey == l.old_vkey && *new_vkey == l.new_vkey);
        if !named {
            refuse(format!(
                "entry {} is not the log_key_changed leaf from {} to {}",
                l.leaf_index, l.old_vkey, l.new_vkey
            ));
        }
    }
    holds
}
