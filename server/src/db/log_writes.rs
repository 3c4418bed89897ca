//! The transparency log's writes as [`Database`] methods: the log's identity, leaves appended
//! outside an event (the witness set, a key change), the sequencer's hashes and checkpoints, key
//! changes and cosignatures ([`super::log_tree`], [`super::log_leaves`], [`super::log_keys`]).

use super::{
    CheckpointInsert, CheckpointRow, CosignatureRow, Database, DbResult, KeyChangeRow,
    LeafToAppend, log_keys, log_leaves, log_tree,
};

impl Database {
    /// Record the log's origin and vkey unless the database has them; returns those in force.
    pub async fn record_log_identity(
        &self,
        origin: &str,
        vkey: &str,
        now: i64,
    ) -> DbResult<(String, String)> {
        log_tree::record_log_identity(&self.writer, origin, vkey, now).await
    }

    /// Append `leaves` about `subject` unless the log's leaves about it are no longer `seen`.
    pub async fn append_leaves_if_unchanged(
        &self,
        subject: &str,
        seen: usize,
        leaves: &[LeafToAppend],
    ) -> DbResult<bool> {
        log_leaves::append_leaves_if_unchanged(&self.writer, subject, seen, leaves).await
    }

    /// Append the sequencer's stored hashes (an index already there is kept).
    pub async fn insert_log_hashes(&self, hashes: &[(u64, String)]) -> DbResult<()> {
        log_tree::insert_hashes(&self.writer, hashes).await
    }

    /// Record a checkpoint signed by `signer_vkey` if that is the key in force for its size.
    pub async fn insert_checkpoint(
        &self,
        c: &CheckpointRow,
        signer_vkey: &str,
    ) -> DbResult<CheckpointInsert> {
        log_keys::insert_checkpoint(&self.writer, c, signer_vkey).await
    }

    /// Record a change of the log key, its boundary the largest checkpoint so far
    /// (`log_keys::record_key_change`).
    pub async fn record_log_key_change(
        &self,
        old_vkey: &str,
        new_vkey: &str,
        leaf_index: i64,
        now: i64,
    ) -> DbResult<Option<KeyChangeRow>> {
        log_keys::record_key_change(&self.writer, old_vkey, new_vkey, leaf_index, now).await
    }

    /// Record a witness's cosignature; false when that witness's line for that size is there.
    pub async fn insert_cosignature(&self, c: &CosignatureRow) -> DbResult<bool> {
        log_tree::insert_cosignature(&self.writer, c).await
    }
}
