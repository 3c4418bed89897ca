//! Helpers shared by the integration tests.

use std::path::PathBuf;

use tallyseal_core::note::Signer;

/// The importer's `testdata/` folder (the 2024 Pakistan lists and results).
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Read a file under the importer's `testdata/`.
pub fn read_testdata(rel: &str) -> Vec<u8> {
    let p = testdata().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

pub use tallyseal_testkit::fixtures::election_2024;

/// The test Commission key used in `docs/election-package.md` (testkit's fixture).
pub fn test_signer() -> Signer {
    tallyseal_testkit::fixtures::commission_test_signer().unwrap()
}
