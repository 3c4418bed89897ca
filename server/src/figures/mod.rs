//! The RO console's figures: blind double entry of Form-45/46 figures, the RO's corrections,
//! quarantine checks and releases, and Forms 47, 48 and 49 (compiled, signed, exported).
//!
//! - [`fields`]: the flat fields an operator keys, and core's typed figures;
//! - [`records`]: client-generated record ids, origins and reasons;
//! - [`capture`]: an accepted capture with its ballot, station and the PO's sealed figures;
//! - [`entries`]: claim, save (optimistic versions), submit and validate a blind entry;
//! - [`corrections`]: both entries side by side, and the RO's reasoned settlement;
//! - [`standing`]: every station of a constituency with its capture, entries and confirmation;
//! - [`quarantine`]: the checks figures pass before they count, and the RO's releases;
//! - [`compile`]: Forms 47, 48 and 49 from the confirmed, counted figures;
//! - [`signing`]: signed versions of the forms (Commission key, naming the RO), superseding;
//! - [`postal`]: the postal ballots the RO enters for Form-49;
//! - [`exports`]: the signed forms as CSV;
//! - [`board_states`]: each station's figures state for the arrival board (`stations::FiguresStates`).
//! - [`worklist`]: the captures awaiting an entry or the RO's corrections (the pages' lists).
//!
//! Every record is appended with its event and never updated; every rule on figures is core's
//! (`tallyseal_core::form`). It never shows an operator the other entry or the PO's figures.

pub mod board_states;
pub mod capture;
pub mod compile;
pub mod corrections;
pub mod entries;
pub mod exports;
pub mod fields;
pub mod postal;
pub mod quarantine;
pub mod records;
pub mod signing;
pub mod standing;
pub mod worklist;

use crate::error::ApiError;

/// A refusal of the figures domain: a problem, or a save made against a state that has moved on
/// (409 `stale-version` with the current state, so nothing typed is lost).
#[derive(Debug)]
pub enum FiguresError {
    Api(ApiError),
    Stale {
        detail: String,
        current: serde_json::Value,
    },
}

impl FiguresError {
    pub fn stale(detail: impl Into<String>, current: impl serde::Serialize) -> FiguresError {
        FiguresError::Stale {
            detail: detail.into(),
            current: serde_json::to_value(current).unwrap_or(serde_json::Value::Null),
        }
    }
}

impl From<ApiError> for FiguresError {
    fn from(e: ApiError) -> Self {
        FiguresError::Api(e)
    }
}

impl From<sqlx::Error> for FiguresError {
    fn from(e: sqlx::Error) -> Self {
        FiguresError::Api(e.into())
    }
}
