//! Recapture requests on the phone: the Returning Officer asked for a new capture of one of the
//! station's captures ([`crate::wire::RecaptureRequest`], received by [`super::follow_up`]).
//!
//! A request is pending until a capture in the outbox names the requested one in its manifest's
//! `supersedes` (manifest hash and reason). Answering it is an ordinary capture with that field
//! set ([`supersedes_for`]): the new capture supersedes the old with a link; nothing is
//! overwritten, and the old capture and its bundle stay in the outbox.

use crate::client::error::{ClientError, ClientResult};
use crate::client::outbox::{Outbox, RecaptureRecord};
use crate::form::FormKind;
use crate::hash::Sha256Digest;
use crate::manifest::Supersedes;
use crate::wire::RecaptureRequest;

/// A request the Presiding Officer has not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRecapture {
    /// The outbox item the request is about.
    pub seq: u64,
    pub manifest_hash: Sha256Digest,
    pub form: FormKind,
    pub page: u32,
    pub pages: u32,
    pub request: RecaptureRequest,
}

/// Every pending request, oldest capture first.
pub fn pending(outbox: &Outbox) -> ClientResult<Vec<PendingRecapture>> {
    let items = outbox.items()?;
    let mut out = Vec::new();
    for item in &items {
        let Some(record) = outbox.recapture(item.seq)? else {
            continue;
        };
        // Answered: recorded, or (after a crash before it was recorded) a capture in the outbox
        // supersedes this one.
        let answered = record.answered_by.is_some()
            || items.iter().any(|other| {
                other
                    .manifest
                    .supersedes
                    .as_ref()
                    .is_some_and(|s| s.manifest == item.manifest_hash)
            });
        if !answered {
            out.push(PendingRecapture {
                seq: item.seq,
                manifest_hash: item.manifest_hash,
                form: item.manifest.form,
                page: item.manifest.page,
                pages: item.manifest.pages,
                request: record.request,
            });
        }
    }
    Ok(out)
}

/// The `supersedes` field of a capture made in answer to the request kept for item `seq`.
pub fn supersedes_for(outbox: &Outbox, seq: u64) -> ClientResult<(Supersedes, RecaptureRecord)> {
    let record = outbox.recapture(seq)?.ok_or_else(|| {
        ClientError::InvalidInput(format!("no recapture was requested for capture {seq}"))
    })?;
    let item = outbox.load(seq)?;
    let reason = format!(
        "recapture requested by the Returning Officer ({}, request {})",
        record.request.reason_code, record.request.request_id
    );
    Ok((
        Supersedes {
            manifest: item.manifest_hash,
            reason,
        },
        record,
    ))
}

/// Record that the capture `answer` answered the request kept for item `seq`.
pub fn mark_answered(
    outbox: &Outbox,
    seq: u64,
    mut record: RecaptureRecord,
    answer: Sha256Digest,
) -> ClientResult<()> {
    record.answered_by = Some(answer);
    outbox.save_recapture(seq, &record)
}
