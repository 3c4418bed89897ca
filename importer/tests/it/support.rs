//! Helpers shared by the integration tests.

use std::path::PathBuf;

use tallyseal_core::keys::DeviceKey;
use tallyseal_core::model::Election;
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

/// The test Commission key used in `docs/election-package.md`: seed = 32 bytes of 0x42 (the same
/// as core's package tests).
pub fn test_signer() -> Signer {
    Signer::new(
        "tallyseal.example/commission-test",
        DeviceKey::from_seed(&[0x42; 32]),
    )
    .unwrap()
}

/// The 2024 general election (as in core's package tests).
pub fn election_2024() -> Election {
    Election {
        id: "pk-ge-2024".into(),
        name: "General Elections 2024".into(),
        poll_date: "2024-02-08".into(),
        time_zone: "Asia/Karachi".into(),
        poll_open: "2024-02-08T08:00:00+05:00".into(),
        poll_close: "2024-02-08T17:00:00+05:00".into(),
        results_deadline: "2024-02-09T02:00:00+05:00".into(),
    }
}
