//! Integration tests of tallyseal-core (one test binary, one module per concern).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod bundle_format;
mod exif_fixtures;
mod exif_hostile;
mod form_rules;
mod log_bundle_vector;
mod manifest_vectors;
mod note_vectors;
mod package;
mod package_rules;
mod phash;
mod rfc8032;
mod verification;
mod verification_exif;
