//! The console's public events as log leaves, appended inside the transaction that records them
//! (`docs/log.md`, "The console's leaves"): a review decision (`ro_decision`), a confirmation of
//! figures (`figures_confirmed`), a release from quarantine (`results_released`) and a signed
//! version of Form-47/48/49 (`form_version`).
//!
//! A leaf carries the hash of its record, never the record: the SHA-256 of the record's canonical
//! JSON (RFC 8785, `core::canonical`) as [`decision_record`], [`confirmation_record`] and
//! [`release_record`] build it, and for a form version the hash of its signed statement
//! (`body_sha256`, the statement's canonical JSON as signed). The operator is the account's
//! opaque id (`u-…`), never a login name.
//!
//! The leaves' subject is `<election>/<constituency>`, never a manifest hash: a capture's status
//! proves the capture's own leaves (`manifest_received`, `image_verified`) only.
//!
//! Each leaf's document (the record's canonical JSON, or the signed statement) is kept beside it
//! in `log_documents`, in the same transaction, for `GET /api/v1/log-documents/{sha256}`.
//!
//! Must never: append outside the caller's transaction, or write anything when the event cannot
//! be a leaf (the error rolls the caller's transaction back).

use serde_json::{Value, json};
use sqlx::AnyConnection;
use tallyseal_core::canonical::to_canonical_bytes;
use tallyseal_core::hash::{Sha256Digest, sha256};
use tallyseal_core::log::leaf::{OperatorId, ResultForm};

use super::DbResult;
use super::decisions::DecisionRow;
use super::figure_confirmations::ConfirmationRow;
use super::quarantine_releases::ReleaseRow;
use super::result_forms::SignedFormRow;
use crate::log::AppendError;
use crate::provenance::LogEvent;

/// The decision record whose hash a `ro_decision` leaf carries: every column but the hash of the
/// client's request.
pub fn decision_record(d: &DecisionRow) -> Value {
    json!({
        "record": "review_decision",
        "decision_id": d.decision_id, "manifest_hash": d.manifest_hash.to_hex(),
        "election_id": d.election_id, "constituency": d.constituency, "station": d.station,
        "form": d.form, "action": d.action, "reason_code": d.reason_code,
        "reason_text": d.reason_text, "actor_id": d.actor_id, "origin": d.origin,
        "decided_at_ms": d.decided_at_ms, "supersedes": d.supersedes,
    })
}

/// The confirmation record whose hash a `figures_confirmed` leaf carries (figures and
/// settlements as JSON values).
pub fn confirmation_record(r: &ConfirmationRow) -> Value {
    json!({
        "record": "figure_confirmation",
        "id": r.id, "manifest_hash": r.manifest_hash, "election_id": r.election_id,
        "constituency": r.constituency, "station": r.station, "form": r.form, "how": r.how,
        "figures": json_column(&r.figures), "settlements": json_column(&r.settlements),
        "entry_1": r.entry_1, "entry_2": r.entry_2, "actor": r.actor, "origin": r.origin,
        "at_ms": r.at_ms, "supersedes": r.supersedes,
    })
}

/// The release record whose hash a `results_released` leaf carries (findings as a JSON value).
pub fn release_record(r: &ReleaseRow) -> Value {
    json!({
        "record": "quarantine_release",
        "id": r.id, "manifest_hash": r.manifest_hash, "election_id": r.election_id,
        "constituency": r.constituency, "station": r.station,
        "findings": json_column(&r.findings), "reason": r.reason, "actor": r.actor,
        "origin": r.origin, "at_ms": r.at_ms, "supersedes": r.supersedes,
    })
}

/// SHA-256 of a record's canonical JSON.
pub fn record_hash(record: &Value) -> Result<Sha256Digest, String> {
    to_canonical_bytes(record)
        .map(|b| sha256(&b))
        .map_err(|e| e.to_string())
}

fn json_column(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn refused(what: &str, detail: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Protocol(format!("{what} cannot be logged: {detail}"))
}

fn operator(id: &str) -> DbResult<OperatorId> {
    OperatorId::new(id).map_err(|e| refused("the operator id", e))
}

fn digest(what: &str, hex: &str) -> DbResult<Sha256Digest> {
    hex.parse().map_err(|e| refused(what, e))
}

/// Append the leaf of `event` and keep the document it names by `hash` (its exact bytes, which
/// must hash to it), both in the caller's transaction.
async fn append(
    conn: &mut AnyConnection,
    event: LogEvent,
    subject: &str,
    at_ms: i64,
    (hash, document): (Sha256Digest, String),
) -> DbResult<u64> {
    if sha256(document.as_bytes()) != hash {
        return Err(refused(
            "the document",
            "its bytes do not hash to the leaf's hash",
        ));
    }
    let index = crate::log::append(conn, event, subject, at_ms)
        .await
        .map_err(|e| match e {
            AppendError::Database(e) => e,
            AppendError::Leaf(e) => refused("the event", e),
        })?;
    sqlx::query(
        "INSERT INTO log_documents (document_hash, body, leaf_index) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(hash.to_hex())
    .bind(document)
    .bind(i64::try_from(index).map_err(|e| refused("the leaf index", e))?)
    .execute(&mut *conn)
    .await?;
    Ok(index)
}

/// A record's hash and its canonical JSON (the document its leaf names).
fn document(what: &str, record: &Value) -> DbResult<(Sha256Digest, String)> {
    let bytes = to_canonical_bytes(record).map_err(|e| refused(what, e))?;
    let text = String::from_utf8(bytes).map_err(|e| refused(what, e))?;
    Ok((sha256(text.as_bytes()), text))
}

fn subject(election: &str, constituency: &str) -> String {
    format!("{election}/{constituency}")
}

/// Append the `ro_decision` leaf of a decision just inserted.
pub(crate) async fn log_decision(conn: &mut AnyConnection, d: &DecisionRow) -> DbResult<u64> {
    let doc = document("the decision", &decision_record(d))?;
    let event = LogEvent::RoDecision {
        election_id: d.election_id.clone(),
        constituency_id: d.constituency.clone(),
        manifest_hash: d.manifest_hash.digest(),
        decision_hash: doc.0,
        operator: operator(&d.actor_id)?,
    };
    let s = subject(&d.election_id, &d.constituency);
    append(conn, event, &s, d.decided_at_ms, doc).await
}

/// Append the `figures_confirmed` leaf of a confirmation just inserted.
pub(crate) async fn log_confirmation(
    conn: &mut AnyConnection,
    r: &ConfirmationRow,
) -> DbResult<u64> {
    let doc = document("the confirmation", &confirmation_record(r))?;
    let event = LogEvent::FiguresConfirmed {
        election_id: r.election_id.clone(),
        constituency_id: r.constituency.clone(),
        figures_hash: doc.0,
        operator: operator(&r.actor)?,
    };
    let s = subject(&r.election_id, &r.constituency);
    append(conn, event, &s, r.at_ms, doc).await
}

/// Append the `results_released` leaf of a release just inserted.
pub(crate) async fn log_release(conn: &mut AnyConnection, r: &ReleaseRow) -> DbResult<u64> {
    let doc = document("the release", &release_record(r))?;
    let event = LogEvent::ResultsReleased {
        election_id: r.election_id.clone(),
        constituency_id: r.constituency.clone(),
        document_hash: doc.0,
        operator: operator(&r.actor)?,
    };
    let s = subject(&r.election_id, &r.constituency);
    append(conn, event, &s, r.at_ms, doc).await
}

/// Append the `form_version` leaf of a signed form just inserted; `corrects` is the signed
/// statement's hash of the version it supersedes (read in the same transaction).
pub(crate) async fn log_form_version(
    conn: &mut AnyConnection,
    row: &SignedFormRow,
) -> DbResult<u64> {
    let form = match row.form.as_str() {
        "form47" => ResultForm::Form47,
        "form48" => ResultForm::Form48,
        "form49" => ResultForm::Form49,
        other => return Err(refused("the form", format!("unknown form {other:?}"))),
    };
    let corrects = match &row.supersedes {
        None => None,
        Some(id) => {
            let hex: String =
                sqlx::query_scalar("SELECT body_sha256 FROM signed_forms WHERE id = $1")
                    .bind(id.clone())
                    .fetch_one(&mut *conn)
                    .await?;
            Some(digest("the superseded form's hash", &hex)?)
        }
    };
    let event = LogEvent::FormVersion {
        election_id: row.election_id.clone(),
        constituency_id: row.constituency.clone(),
        form,
        version: u32::try_from(row.version).map_err(|e| refused("the version", e))?,
        document_hash: digest("the form's hash", &row.body_sha256)?,
        corrects,
        operator: operator(&row.actor)?,
    };
    let s = subject(&row.election_id, &row.constituency);
    let doc = (
        digest("the form's hash", &row.body_sha256)?,
        row.body.clone(),
    );
    append(conn, event, &s, row.at_ms, doc).await
}
