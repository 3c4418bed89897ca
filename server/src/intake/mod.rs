//! Capture intake, the service behind `/api/v1/captures` and `/api/v1/uploads`: accepting a
//! signed manifest (hash first), the image's upload state, its completion (verification, the
//! object, the report and the verified receipt), and the receipts themselves.
//!
//! - [`manifest`]: step one, the signed manifest and its `manifest_received` receipt.
//! - [`uploads`]: step two's state: which upload, who may write it, creating one, moving offsets.
//! - [`parts`]: unfinished uploads' bytes on this server's disk.
//! - [`completion`]: the last byte: verify, store, record, sign.
//! - [`receipts`]: signing a receipt.
//! - [`status`]: a capture's state, receipt and report.
//!
//! Every verification is the core's, through [`crate::provenance`]. This module never reads an
//! HTTP request or writes a response (the routes do), and never imports a route.

pub mod completion;
pub mod manifest;
pub mod parts;
pub mod receipts;
pub mod status;
pub mod uploads;

pub use manifest::{Accepted, accept_manifest};
pub use receipts::issue_receipt;
pub use status::capture_status;
