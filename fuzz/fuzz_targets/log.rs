//! The transparency log's parsers on arbitrary bytes: tile paths, checkpoint bodies, leaves,
//! cosigned checkpoints and proofs. Errors are fine; a panic is not (`tlog_tiles` asserts on some
//! inputs, which our wrappers must refuse first), and what parses must re-encode to the input.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::cosignature::{CosignatureVerifier, Cosigner, open_cosigned_checkpoint};
use tallyseal_core::log::leaf::LeafBody;
use tallyseal_core::log::merkle::{Hash, verify_consistency, verify_inclusion};
use tallyseal_core::log::tiles::{TileCoord, decode_entry_bundle};
use tallyseal_core::note::{Signer, Verifier};

static KEYS: OnceLock<(Verifier, CosignatureVerifier)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (log, witness) = KEYS.get_or_init(|| {
        let log = Signer::new("example.org/log", DeviceKey::from_seed(&[1; 32])).expect("name");
        let w = Cosigner::new("example.org/w", DeviceKey::from_seed(&[2; 32])).expect("name");
        (log.verifier(), w.verifier())
    });
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(c) = TileCoord::parse_path(text) {
            assert_eq!(c.path().as_deref(), Ok(text));
        }
        if let Ok(cp) = Checkpoint::parse_body(text) {
            assert_eq!(cp.body().as_deref(), Ok(text));
        }
    }
    if let Ok(leaf) = LeafBody::from_leaf_bytes(data) {
        assert_eq!(leaf.to_leaf_bytes().as_deref(), Ok(data));
    }
    let _ = decode_entry_bundle(data);
    let _ = open_cosigned_checkpoint(data, std::slice::from_ref(log), std::slice::from_ref(witness));
    // Sizes, index and proof from the bytes.
    if data.len() >= 16 {
        let a = u64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
        let b = u64::from_le_bytes(data[8..16].try_into().expect("8 bytes"));
        let proof: Vec<Hash> = data[16..]
            .chunks_exact(32)
            .map(|c| Hash(c.try_into().expect("32 bytes")))
            .collect();
        let h = Hash([7; 32]);
        let _ = verify_inclusion(&proof, a, b, h, h);
        let _ = verify_consistency(&proof, a, h, b, h);
    }
});
