//! The crash-safe outbox: one directory per sealed page, named by the device sequence number, so
//! the directory order is the station's capture order.
//!
//! ```text
//! <data dir>/outbox/000000000007/
//!     manifest.json   canonical manifest bytes, exactly as signed
//!     signature       128 hex digits
//!     image           the photo, until the server's receipt for it is verified
//!     state.json      the item's upload state (replaced atomically at every step)
//!     bundle.tsb      the evidence bundle with the verified receipt (after verification)
//!     log.json        the newest log inclusion the server gave for it (leaf and tlog-proof)
//!     recapture.json  the Returning Officer's request for a new capture, and its answer
//! ```
//!
//! A sealed page is written to a staging directory (every file fsynced), which is then renamed to
//! its final name and the parent directory fsynced: that rename is the commit point, so a crash
//! leaves the whole item or nothing. The device's hash chain (`chain.json`) is updated after the
//! commit and recovered from the outbox on open, so a crash between the two cannot reuse a
//! sequence number. Leftover staging files are swept on open.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bundle::EvidenceBundle;
use crate::client::error::{ClientError, ClientResult, Problem};
use crate::client::fsio;
use crate::hash::Sha256Digest;
use crate::keys::SignatureBytes;
use crate::log::inclusion::LogInclusionProof;
use crate::manifest::{CaptureManifest, verify_manifest_signature};
use crate::receipt::Receipt;
use crate::seal::{ChainState, SealedCapture};
use crate::wire::{LogInclusion, RecaptureRequest};

/// A Returning Officer's request for a new capture of an item, as the phone keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecaptureRecord {
    pub request: RecaptureRequest,
    /// The manifest hash of the capture made in answer (its `supersedes` names this item).
    pub answered_by: Option<Sha256Digest>,
}

const MANIFEST_FILE: &str = "manifest.json";
const SIGNATURE_FILE: &str = "signature";
const IMAGE_FILE: &str = "image";
const STATE_FILE: &str = "state.json";
const BUNDLE_FILE: &str = "bundle.tsb";
const CHAIN_FILE: &str = "chain.json";
const LOG_FILE: &str = "log.json";
const RECAPTURE_FILE: &str = "recapture.json";

/// Where an item is in its journey to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Durable on the phone; nothing sent yet.
    Sealed,
    /// The server's signed receipt for the manifest is verified; the image is not sent yet.
    ManifestAcknowledged,
    /// The image upload is under way (`offset` bytes acknowledged by the server).
    Uploading,
    /// The upload is complete and the server's final receipt is stored, not yet checked.
    Received,
    /// The final receipt is verified: the image copy is gone, the bundle (with the receipt) stays
    /// until the Presiding Officer clears it.
    Verified,
}

impl Stage {
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Sealed => "sealed",
            Stage::ManifestAcknowledged => "manifest_acknowledged",
            Stage::Uploading => "uploading",
            Stage::Received => "received",
            Stage::Verified => "verified",
        }
    }
}

/// Why an item stopped: retrying cannot fix it; the Presiding Officer must look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attention {
    pub reason: String,
    pub problem: Option<Problem>,
    pub at_ms: i64,
}

/// The upload state of one item (`state.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    pub stage: Stage,
    pub sealed_at_ms: i64,
    pub manifest_receipt: Option<Receipt>,
    pub upload_url: Option<String>,
    /// Image bytes the server has acknowledged.
    pub offset: u64,
    pub final_receipt: Option<Receipt>,
    /// Consecutive failed attempts (for the backoff).
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub needs_attention: Option<Attention>,
}

impl ItemState {
    pub fn sealed(now_ms: i64) -> ItemState {
        ItemState {
            stage: Stage::Sealed,
            sealed_at_ms: now_ms,
            manifest_receipt: None,
            upload_url: None,
            offset: 0,
            final_receipt: None,
            attempts: 0,
            next_attempt_at_ms: 0,
            last_error: None,
            needs_attention: None,
        }
    }
}

/// One item as read from disk.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub seq: u64,
    pub manifest: CaptureManifest,
    pub manifest_bytes: Vec<u8>,
    pub manifest_hash: Sha256Digest,
    pub signature: SignatureBytes,
    pub state: ItemState,
    pub has_image: bool,
    pub has_bundle: bool,
}

/// The outbox, read: the items that can be read, in sequence order, and those that cannot
/// (sequence number, why).
#[derive(Debug, Default)]
pub struct Scan {
    pub items: Vec<OutboxItem>,
    pub unreadable: Vec<(u64, String)>,
}

/// The outbox directory.
#[derive(Debug, Clone)]
pub struct Outbox {
    root: PathBuf,
    dir: PathBuf,
}

fn storage(context: &str) -> impl FnOnce(std::io::Error) -> ClientError + '_ {
    move |e| ClientError::storage(context, e)
}

fn item_name(seq: u64) -> String {
    format!("{seq:012}")
}

impl Outbox {
    /// Open (creating) the outbox under the phone's data directory, sweep leftovers of
    /// interrupted writes and finish interrupted completions.
    pub fn open(data_dir: &Path) -> ClientResult<Outbox> {
        let dir = data_dir.join("outbox");
        std::fs::create_dir_all(&dir).map_err(storage("creating the outbox"))?;
        fsio::sweep_temporaries(data_dir).map_err(storage("sweeping the data directory"))?;
        fsio::sweep_temporaries(&dir).map_err(storage("sweeping the outbox"))?;
        let outbox = Outbox {
            root: data_dir.to_owned(),
            dir,
        };
        for seq in outbox.seqs()? {
            let d = outbox.item_dir(seq);
            fsio::sweep_temporaries(&d).map_err(storage("sweeping an item"))?;
            // A crash after "verified" was recorded but before the image copy was removed. An
            // item that cannot be read is left as it is (see `scan`).
            let Ok(item) = outbox.load(seq) else {
                continue;
            };
            if item.state.stage == Stage::Verified && item.has_image && item.has_bundle {
                fsio::remove_file_durably(&d.join(IMAGE_FILE))
                    .map_err(storage("removing an image"))?;
            }
        }
        outbox.recover_chain()?;
        Ok(outbox)
    }

    fn item_dir(&self, seq: u64) -> PathBuf {
        self.dir.join(item_name(seq))
    }

    /// Sequence numbers of the items, ascending.
    pub fn seqs(&self) -> ClientResult<Vec<u64>> {
        let mut seqs = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(storage("listing the outbox"))? {
            let entry = entry.map_err(storage("listing the outbox"))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.len() == 12
                && name.bytes().all(|b| b.is_ascii_digit())
                && let Ok(seq) = name.parse()
            {
                seqs.push(seq);
            }
        }
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// Write a sealed page durably (see the module documentation). Returns once it is on disk.
    pub fn commit(&self, sealed: &SealedCapture, now_ms: i64) -> ClientResult<()> {
        let target = self.item_dir(sealed.manifest.device.seq);
        if target.exists() {
            return Err(ClientError::storage(
                "committing a capture",
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "sequence number already used",
                ),
            ));
        }
        let staged = fsio::StagedDir::new(&target).map_err(storage("staging a capture"))?;
        let state = serde_json::to_vec_pretty(&ItemState::sealed(now_ms))
            .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        let written = staged
            .add(MANIFEST_FILE, &sealed.manifest_bytes)
            .and_then(|()| staged.add(SIGNATURE_FILE, sealed.signature.to_hex().as_bytes()))
            .and_then(|()| staged.add(IMAGE_FILE, &sealed.image))
            .and_then(|()| staged.add(STATE_FILE, &state));
        if let Err(e) = written {
            staged.abandon();
            return Err(ClientError::storage("writing a capture", e));
        }
        staged.commit().map_err(storage("committing a capture"))?;
        self.save_chain(&sealed.next_chain())
    }

    /// Read one item.
    pub fn load(&self, seq: u64) -> ClientResult<OutboxItem> {
        let d = self.item_dir(seq);
        let manifest_bytes =
            std::fs::read(d.join(MANIFEST_FILE)).map_err(storage("reading a manifest"))?;
        let sig_text = std::fs::read_to_string(d.join(SIGNATURE_FILE))
            .map_err(storage("reading a signature"))?;
        let signature: SignatureBytes = sig_text.trim().parse().map_err(|_| {
            ClientError::storage("reading a signature", bad_data("not a signature"))
        })?;
        let manifest = verify_manifest_signature(&manifest_bytes, &signature)
            .map_err(|e| ClientError::storage("reading a manifest", bad_data(&e.to_string())))?;
        let state_bytes =
            std::fs::read(d.join(STATE_FILE)).map_err(storage("reading an item state"))?;
        let state: ItemState = serde_json::from_slice(&state_bytes)
            .map_err(|e| ClientError::storage("reading an item state", bad_data(&e.to_string())))?;
        Ok(OutboxItem {
            seq,
            manifest_hash: crate::hash::sha256(&manifest_bytes),
            manifest,
            manifest_bytes,
            signature,
            state,
            has_image: d.join(IMAGE_FILE).exists(),
            has_bundle: d.join(BUNDLE_FILE).exists(),
        })
    }

    /// Every item that can be read, in sequence order. One that cannot (a damaged file: storage
    /// failing under it) is skipped, not fatal: the others are still sent, and it stays on disk,
    /// untouched, for someone to recover ([`Outbox::scan`]).
    pub fn items(&self) -> ClientResult<Vec<OutboxItem>> {
        Ok(self.scan()?.items)
    }

    /// Every item, read once: those that can be read, and those that cannot.
    pub fn scan(&self) -> ClientResult<Scan> {
        let mut scan = Scan::default();
        for seq in self.seqs()? {
            match self.load(seq) {
                Ok(item) => scan.items.push(item),
                Err(e) => scan.unreadable.push((seq, e.to_string())),
            }
        }
        Ok(scan)
    }

    /// Replace an item's state durably.
    pub fn save_state(&self, seq: u64, state: &ItemState) -> ClientResult<()> {
        let bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        fsio::write_atomic(&self.item_dir(seq).join(STATE_FILE), &bytes)
            .map_err(storage("saving an item state"))
    }

    /// The image bytes of an item (from the bundle once the image copy is gone).
    pub fn image(&self, seq: u64) -> ClientResult<Vec<u8>> {
        let d = self.item_dir(seq);
        if let Some(b) =
            fsio::read_optional(&d.join(IMAGE_FILE)).map_err(storage("reading an image"))?
        {
            return Ok(b);
        }
        self.bundle(seq)?
            .image
            .ok_or_else(|| ClientError::storage("reading an image", bad_data("no image kept")))
    }

    /// The evidence bundle: with the verified receipt once verified, else without a receipt;
    /// with the newest log inclusion when the server has given one.
    pub fn bundle(&self, seq: u64) -> ClientResult<EvidenceBundle> {
        let mut bundle = self.stored_bundle(seq)?;
        if let Some(log) = self.log_inclusion(seq)? {
            let section = LogInclusionProof::from_wire(&log)
                .and_then(|l| l.to_bytes())
                .map_err(|e| {
                    ClientError::storage("reading a log inclusion", bad_data(&e.to_string()))
                })?;
            bundle.log_proof = Some(section);
        }
        Ok(bundle)
    }

    /// The newest log inclusion kept for an item.
    pub fn log_inclusion(&self, seq: u64) -> ClientResult<Option<LogInclusion>> {
        self.read_item_json(seq, LOG_FILE, "reading a log inclusion")
    }

    /// Keep a log inclusion for an item (durably, replacing the one kept).
    pub fn save_log_inclusion(&self, seq: u64, log: &LogInclusion) -> ClientResult<()> {
        self.write_item_json(seq, LOG_FILE, log, "saving a log inclusion")
    }

    /// The recapture request kept for an item.
    pub fn recapture(&self, seq: u64) -> ClientResult<Option<RecaptureRecord>> {
        self.read_item_json(seq, RECAPTURE_FILE, "reading a recapture request")
    }

    /// Keep a recapture request (or its answer) for an item, durably.
    pub fn save_recapture(&self, seq: u64, record: &RecaptureRecord) -> ClientResult<()> {
        self.write_item_json(seq, RECAPTURE_FILE, record, "saving a recapture request")
    }

    fn read_item_json<T: for<'de> Deserialize<'de>>(
        &self,
        seq: u64,
        name: &str,
        what: &'static str,
    ) -> ClientResult<Option<T>> {
        match fsio::read_optional(&self.item_dir(seq).join(name)).map_err(storage(what))? {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| ClientError::storage(what, bad_data(&e.to_string()))),
        }
    }

    fn write_item_json<T: Serialize>(
        &self,
        seq: u64,
        name: &str,
        value: &T,
        what: &'static str,
    ) -> ClientResult<()> {
        let d = self.item_dir(seq);
        if !d.is_dir() {
            return Err(ClientError::storage(
                what,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such capture"),
            ));
        }
        let bytes = serde_json::to_vec_pretty(value)
            .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        fsio::write_atomic(&d.join(name), &bytes).map_err(storage(what))
    }

    fn stored_bundle(&self, seq: u64) -> ClientResult<EvidenceBundle> {
        let d = self.item_dir(seq);
        if let Some(b) =
            fsio::read_optional(&d.join(BUNDLE_FILE)).map_err(storage("reading a bundle"))?
        {
            return EvidenceBundle::from_bytes(&b)
                .map_err(|e| ClientError::storage("reading a bundle", bad_data(&e.to_string())));
        }
        let item = self.load(seq)?;
        Ok(EvidenceBundle {
            manifest: item.manifest_bytes,
            signature: item.signature,
            image: fsio::read_optional(&d.join(IMAGE_FILE)).map_err(storage("reading an image"))?,
            receipt: None,
            log_proof: None,
        })
    }

    /// The final receipt is verified: write the bundle with it, record `Verified`, then remove the
    /// image copy. Each step is durable and the sequence is safe to repeat after a crash.
    pub fn complete(&self, seq: u64, receipt: &Receipt) -> ClientResult<ItemState> {
        let item = self.load(seq)?;
        let d = self.item_dir(seq);
        let bundle = EvidenceBundle {
            manifest: item.manifest_bytes.clone(),
            signature: item.signature,
            image: Some(self.image(seq)?),
            receipt: Some(
                receipt
                    .to_bytes()
                    .map_err(|e| ClientError::Protocol(e.to_string()))?,
            ),
            log_proof: None,
        };
        fsio::write_atomic(&d.join(BUNDLE_FILE), &bundle.to_bytes())
            .map_err(storage("writing a bundle"))?;
        let mut state = item.state;
        state.stage = Stage::Verified;
        state.final_receipt = Some(receipt.clone());
        state.needs_attention = None;
        state.last_error = None;
        state.attempts = 0;
        self.save_state(seq, &state)?;
        fsio::remove_file_durably(&d.join(IMAGE_FILE)).map_err(storage("removing an image"))?;
        Ok(state)
    }

    /// Remove a verified item (the Presiding Officer cleared it). Refuses anything not verified.
    pub fn clear(&self, seq: u64) -> ClientResult<()> {
        let item = self.load(seq)?;
        if item.state.stage != Stage::Verified {
            return Err(ClientError::InvalidInput(format!(
                "capture {seq} is {}; only verified captures can be cleared",
                item.state.stage.as_str()
            )));
        }
        // The chain must not depend on this item any more.
        let chain = self.load_chain()?;
        if chain.next_seq <= seq {
            self.save_chain(&ChainState {
                next_seq: seq + 1,
                prev: Some(item.manifest_hash),
            })?;
        }
        fsio::remove_dir_durably(&self.item_dir(seq)).map_err(storage("clearing a capture"))
    }

    /// Where the chain stands for the next capture: `chain.json`, first brought up to the
    /// outbox if a commit got in but its chain update did not (a crash, or a failed write after
    /// the commit point, e.g. a full disk), so the next capture never takes a used number.
    pub fn chain_for_next_capture(&self) -> ClientResult<ChainState> {
        self.recover_chain()?;
        self.load_chain()
    }

    /// The device's chain state (`chain.json`).
    pub fn load_chain(&self) -> ClientResult<ChainState> {
        match fsio::read_optional(&self.root.join(CHAIN_FILE))
            .map_err(storage("reading the chain"))?
        {
            None => Ok(ChainState::genesis()),
            Some(b) => {
                let v: ChainFile = serde_json::from_slice(&b).map_err(|e| {
                    ClientError::storage("reading the chain", bad_data(&e.to_string()))
                })?;
                Ok(ChainState {
                    next_seq: v.next_seq,
                    prev: v.prev,
                })
            }
        }
    }

    fn save_chain(&self, chain: &ChainState) -> ClientResult<()> {
        let bytes = serde_json::to_vec(&ChainFile {
            next_seq: chain.next_seq,
            prev: chain.prev,
        })
        .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        fsio::write_atomic(&self.root.join(CHAIN_FILE), &bytes).map_err(storage("saving the chain"))
    }

    /// After a crash between an item's commit and the chain update, the outbox is ahead. The link
    /// is the hash of the last item's manifest bytes (its other files need not be readable); when
    /// even those cannot be read the error is returned and nothing is saved, so a later attempt
    /// (the read error may pass) can still link the chain.
    fn recover_chain(&self) -> ClientResult<()> {
        let chain = self.load_chain()?;
        if let Some(&last) = self.seqs()?.last()
            && last >= chain.next_seq
        {
            let manifest = std::fs::read(self.item_dir(last).join(MANIFEST_FILE))
                .map_err(storage("reading the last manifest"))?;
            self.save_chain(&ChainState {
                next_seq: last + 1,
                prev: Some(crate::hash::sha256(&manifest)),
            })?;
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct ChainFile {
    next_seq: u64,
    prev: Option<Sha256Digest>,
}

fn bad_data(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::seal::seal;

    fn sealed(chain: &ChainState) -> SealedCapture {
        let input = demo::capture_input(
            b"\xff\xd8 not really a jpeg \xff\xd9".to_vec(),
            None,
            demo::STATION_1,
        )
        .unwrap();
        seal(input, &demo::device_key(), chain).unwrap()
    }

    /// A damaged item (here its state file) does not stop the outbox from opening or the other
    /// items from being listed; it is reported, and left on disk.
    #[test]
    fn a_damaged_item_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path()).unwrap();
        let a = sealed(&ob.chain_for_next_capture().unwrap());
        ob.commit(&a, 1).unwrap();
        let b = sealed(&ob.chain_for_next_capture().unwrap());
        ob.commit(&b, 2).unwrap();
        let state = ob.item_dir(1).join(STATE_FILE);
        std::fs::write(&state, b"{ not json").unwrap();
        let ob = Outbox::open(dir.path()).unwrap();
        assert_eq!(
            ob.items()
                .unwrap()
                .iter()
                .map(|i| i.seq)
                .collect::<Vec<_>>(),
            [2]
        );
        let unreadable = ob.scan().unwrap().unreadable;
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].0, 1);
        assert!(state.exists(), "left as it is");
        // The next capture still follows the last one.
        let c = sealed(&ob.chain_for_next_capture().unwrap());
        assert_eq!(c.manifest.device.seq, 3);
        assert_eq!(c.manifest.device.prev, Some(b.manifest_hash));
    }

    /// A commit whose chain update failed (a full disk after the commit point): the next capture
    /// in the same process takes the next number, not the used one.
    #[test]
    fn the_next_capture_follows_a_commit_whose_chain_update_failed() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path()).unwrap();
        let a = sealed(&ob.chain_for_next_capture().unwrap());
        ob.commit(&a, 1).unwrap();
        // As if writing chain.json after the commit had failed.
        ob.save_chain(&ChainState::genesis()).unwrap();
        // While the last manifest cannot be read, no chain without its link is saved...
        let manifest = ob.item_dir(1).join(MANIFEST_FILE);
        let kept = std::fs::read(&manifest).unwrap();
        std::fs::remove_file(&manifest).unwrap();
        assert!(ob.chain_for_next_capture().is_err());
        assert_eq!(ob.load_chain().unwrap(), ChainState::genesis());
        // ...and once it can, the chain is linked to it.
        std::fs::write(&manifest, &kept).unwrap();
        let b = sealed(&ob.chain_for_next_capture().unwrap());
        assert_eq!(b.manifest.device.seq, 2);
        assert_eq!(b.manifest.device.prev, Some(a.manifest_hash));
        ob.commit(&b, 2).unwrap();
    }

    #[test]
    fn commit_load_complete_clear() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path()).unwrap();
        let a = sealed(&ob.load_chain().unwrap());
        ob.commit(&a, 1).unwrap();
        let b = sealed(&ob.load_chain().unwrap());
        assert_eq!(b.manifest.device.seq, 2);
        assert_eq!(b.manifest.device.prev, Some(a.manifest_hash));
        ob.commit(&b, 2).unwrap();
        assert!(ob.commit(&b, 2).is_err());
        let items = ob.items().unwrap();
        assert_eq!(items.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(items[0].manifest_hash, a.manifest_hash);
        assert_eq!(ob.image(1).unwrap(), a.image);
        assert!(ob.clear(1).is_err(), "unverified items cannot be cleared");

        let server = demo::server_key();
        let receipt = Receipt::issue(
            &server,
            crate::receipt::ReceiptBody {
                v: 1,
                manifest_hash: a.manifest_hash,
                received_at_ms: 5,
                status: crate::receipt::ReceiptStatus::Verified,
                image_sha256: Some(a.manifest.image.sha256),
                image_received_at_ms: Some(6),
                verdict: Some("verified".into()),
                server_key: server.public_key(),
                log_index: None,
            },
        )
        .unwrap();
        ob.complete(1, &receipt).unwrap();
        let item = ob.load(1).unwrap();
        assert!(!item.has_image && item.has_bundle);
        let bundle = ob.bundle(1).unwrap();
        assert_eq!(bundle.image.as_deref(), Some(a.image.as_slice()));
        assert!(bundle.receipt.is_some());
        ob.clear(1).unwrap();
        assert_eq!(ob.seqs().unwrap(), vec![2]);
    }

    #[test]
    fn chain_recovers_from_a_crash_after_commit() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path()).unwrap();
        let a = sealed(&ob.load_chain().unwrap());
        ob.commit(&a, 1).unwrap();
        // Simulate the crash: chain.json from before the commit, and a half-staged directory.
        std::fs::remove_file(dir.path().join(CHAIN_FILE)).unwrap();
        std::fs::create_dir(dir.path().join("outbox").join(fsio::temp_name("dir"))).unwrap();
        let ob = Outbox::open(dir.path()).unwrap();
        assert_eq!(ob.load_chain().unwrap(), a.next_chain());
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox"))
                .unwrap()
                .count(),
            1
        );
    }
}
