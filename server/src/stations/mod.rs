//! Polling stations and their state: the one definition ([`state`]) the arrival board, the
//! review and the public ledger use, the board and the national summary built on it ([`board`]),
//! the manifests' facts it reads ([`facts`]) and live announcements of changes ([`live`]).
//!
//! This module decides what a station's state is; it never records a decision (that is
//! `crate::review`), never computes figures (the figures domain fills [`FiguresStates`]) and
//! never imports a route.

pub mod board;
pub mod facts;
pub mod live;
pub mod state;

pub use board::{Board, BoardFilter, NationalSummary, constituency_board, national_summary};
pub use facts::{FactsCache, ManifestFacts};
pub use live::{BoardFeed, StationChanged, announce_capture};
pub use state::{
    CaptureState, CaptureSummary, ElectionFiguresStates, FiguresState, FiguresStates, FormStatus,
    NoFigures, StationState, station_states,
};
