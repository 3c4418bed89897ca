//! Collecting cosignatures: each new checkpoint goes to each configured witness with the C2SP
//! tlog-witness protocol (`POST <url>/add-checkpoint`: `old <size>`, the consistency proof from
//! that size, an empty line, the signed checkpoint). A 409 names the size the witness holds: the
//! request is sent again from it, once. A cosignature line that verifies (core) is stored; a
//! checkpoint with `log_witness_policy` of them is witnessed.
//!
//! Witnesses down, slow or refusing change nothing else: every request has a time-out
//! (`log_witness_timeout_ms`), the witnesses are asked at once, and this runs after the
//! checkpoint is recorded, on the sequencer's task, never on a request's path. A witness that
//! missed checkpoints is asked again with the latest one at the sequencer's next tick.

use std::time::Duration;

use futures_util::future::join_all;
use tallyseal_core::log::merkle::{hash_to_base64, prove_consistency};

use super::Witness;
use super::hashes::{HashesError, TreeHashes};
use crate::db::{self, CheckpointRow, CosignatureRow};
use crate::provenance::open_cosigned_checkpoint;
use crate::state::AppState;

/// What became of one witness request.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Hashes(#[from] HashesError),
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("holds size {0}, larger than the log's latest checkpoint")]
    AheadOfLog(u64),
    #[error("its cosignature does not verify: {0}")]
    BadCosignature(String),
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Ask every witness that has not cosigned `latest` to cosign it; store what comes back.
pub async fn collect(state: &AppState, latest: &CheckpointRow) {
    if state.log.witnesses.is_empty() {
        return;
    }
    let size = to_u64(latest.tree_size);
    let have = match db::cosignatures_for(&state.db.pool, size).await {
        Ok(rows) => rows,
        Err(e) => {
            log::warn!("log witnesses: {e}");
            return;
        }
    };
    let asks = state
        .log
        .witnesses
        .iter()
        .filter(|w| !have.iter().any(|c| c.witness_vkey == w.verifier.to_vkey()))
        .map(|w| async move {
            if let Err(e) = ask(state, w, latest).await {
                log::warn!("log witness {}: {e}", w.url);
            }
        });
    join_all(asks).await;
}

/// The `add-checkpoint` body: `old`, the proof lines, an empty line, the note.
async fn request_body(
    state: &AppState,
    old: u64,
    latest: &CheckpointRow,
) -> Result<String, WitnessError> {
    let size = to_u64(latest.tree_size);
    if old > size {
        return Err(WitnessError::AheadOfLog(old));
    }
    let proof = TreeHashes::new()
        .run(&state.db.pool, |r| prove_consistency(old, size, r))
        .await?;
    let mut body = format!("old {old}\n");
    for h in &proof {
        body.push_str(&hash_to_base64(h));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(&latest.note);
    Ok(body)
}

/// POST an `add-checkpoint` body; the status and the answer's text.
async fn post(state: &AppState, w: &Witness, body: String) -> Result<(u16, String), WitnessError> {
    let timeout = Duration::from_millis(state.config.log_witness_timeout_ms);
    let unreachable = |e: reqwest::Error| {
        crate::metrics::tlog::witness_answer("unreachable");
        WitnessError::Unreachable(e.to_string())
    };
    let answer = state
        .log
        .http
        .post(format!("{}/add-checkpoint", w.url))
        .timeout(timeout)
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = answer.status().as_u16();
    let text = answer.text().await.map_err(unreachable)?;
    Ok((status, text))
}

/// One witness, from the size it last cosigned (a 409 corrects it once).
async fn ask(state: &AppState, w: &Witness, latest: &CheckpointRow) -> Result<(), WitnessError> {
    let vkey = w.verifier.to_vkey();
    let mut old = db::last_cosigned_size(&state.db.pool, &vkey).await?;
    for _ in 0..2 {
        let body = request_body(state, old, latest).await?;
        let (status, text) = post(state, w, body).await?;
        match status {
            200 => return store_cosignature(state, w, latest, &text).await,
            409 => {
                crate::metrics::tlog::witness_answer("conflict");
                old = text
                    .trim()
                    .parse()
                    .map_err(|_| WitnessError::Refused { status, body: text })?;
            }
            _ => {
                crate::metrics::tlog::witness_answer("refused");
                return Err(WitnessError::Refused {
                    status,
                    body: text.chars().take(300).collect(),
                });
            }
        }
    }
    Err(WitnessError::Refused {
        status: 409,
        body: "the witness's size changed again".into(),
    })
}

/// Verify the witness's cosignature line on the checkpoint (core) and store it.
async fn store_cosignature(
    state: &AppState,
    w: &Witness,
    latest: &CheckpointRow,
    text: &str,
) -> Result<(), WitnessError> {
    let line = text.trim_end_matches('\n');
    if line.is_empty() || line.contains('\n') {
        return Err(WitnessError::BadCosignature("expected one line".into()));
    }
    let cosigned = format!("{}{line}\n", latest.note);
    let opened = open_cosigned_checkpoint(
        cosigned.as_bytes(),
        &[state.log.signer.verifier()],
        std::slice::from_ref(&w.verifier),
    )
    .map_err(|e| WitnessError::BadCosignature(e.to_string()))?;
    if opened.cosignatures.is_empty() {
        return Err(WitnessError::BadCosignature(
            "the line is not this witness's".into(),
        ));
    }
    state
        .db
        .insert_cosignature(&CosignatureRow {
            tree_size: latest.tree_size,
            witness_vkey: w.verifier.to_vkey(),
            line: format!("{line}\n"),
            received_at_ms: crate::now_ms(),
        })
        .await?;
    crate::metrics::tlog::witness_answer("cosigned");
    Ok(())
}

/// Test hook (split view): sign a second checkpoint of the latest size over another root and
/// show it to every witness, from the size they hold; returns each witness's status.
#[cfg(feature = "test-hooks")]
pub async fn present_split_view(state: &AppState) -> Result<Vec<u16>, WitnessError> {
    Ok(present_split_view_note(state).await?.1)
}

/// [`present_split_view`], also returning the second signed checkpoint (empty, with no
/// statuses, when the log has no checkpoint yet), so that a monitor can be shown it.
#[cfg(feature = "test-hooks")]
pub async fn present_split_view_note(state: &AppState) -> Result<(String, Vec<u16>), WitnessError> {
    let Some(latest) = db::latest_checkpoint(&state.db.pool).await? else {
        return Ok((String::new(), Vec::new()));
    };
    let size = to_u64(latest.tree_size);
    let forged_root = tallyseal_core::log::merkle::leaf_hash(b"a split view");
    let note =
        crate::provenance::sign_checkpoint(&state.log.signer, &state.log.origin, size, forged_root)
            .map_err(|e| WitnessError::BadCosignature(e.to_string()))?;
    let mut statuses = Vec::new();
    for w in &state.log.witnesses {
        let body = format!("old {size}\n\n{note}");
        statuses.push(post(state, w, body).await?.0);
    }
    Ok((note, statuses))
}
