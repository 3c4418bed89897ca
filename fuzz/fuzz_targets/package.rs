//! Election packages from arbitrary bytes, two ways: `SignedPackage::open` with the demo
//! Commission key (seeded with the demo package note), and the package JSON alone through
//! `validate()` (geodesic distances, polygons, times) without a signature. Errors are fine; a
//! panic is not, and a package that opens must be exactly the published note: its hash is the
//! SHA-256 of the input, its text the package's one canonical text, and it validates.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tallyseal_core::demo;
use tallyseal_core::hash::sha256;
use tallyseal_core::note::Verifier;
use tallyseal_core::package::{ElectionPackage, SignedPackage};

static COMMISSION: OnceLock<Verifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let v = COMMISSION.get_or_init(|| demo::commission_verifier().expect("demo key"));
    if let Ok((package, signed)) = SignedPackage::open(data, std::slice::from_ref(v)) {
        assert_eq!(signed.as_bytes(), data);
        assert_eq!(signed.hash(), sha256(data));
        assert!(signed.note.starts_with(&package.to_note_text()));
        assert!(package.validate().is_empty());
    }
    if let Ok(package) = serde_json::from_slice::<ElectionPackage>(data) {
        let _ = package.validate();
    }
});
