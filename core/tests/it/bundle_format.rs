//! The evidence bundle file format over real sealed captures.

use tallyseal_core::bundle::{BundleError, EvidenceBundle};
use tallyseal_core::demo;
use tallyseal_core::receipt::{Receipt, ReceiptBody, ReceiptStatus};
use tallyseal_testkit::scenario::seal_demo;

#[test]
fn sealed_bundle_round_trips_with_receipt() {
    let sealed = seal_demo(demo::STATION_1, 1).unwrap();
    let receipt = Receipt::issue(
        &demo::server_key(),
        ReceiptBody {
            v: 1,
            manifest_hash: sealed.manifest_hash,
            received_at_ms: demo::CAPTURE_MS + 60_000,
            status: ReceiptStatus::ManifestReceived,
            image_sha256: None,
            image_received_at_ms: None,
            verdict: None,
            server_key: demo::server_key().public_key(),
        },
    )
    .unwrap();
    let mut bundle = sealed.to_bundle();
    bundle.receipt = Some(receipt.to_bytes().unwrap());
    let bytes = bundle.to_bytes();
    let back = EvidenceBundle::from_bytes(&bytes).unwrap();
    assert_eq!(back, bundle);
    let r = Receipt::from_bytes(back.receipt.as_deref().unwrap()).unwrap();
    r.verify_for(&sealed.manifest_hash, &[demo::server_key().public_key()])
        .unwrap();

    // One content, one byte form: the same receipt without its null fields, or of another
    // version, is refused (its signature would still verify over the re-encoded body).
    let text = String::from_utf8(receipt.to_bytes().unwrap()).unwrap();
    assert!(text.contains("\"verdict\":null"), "{text}");
    let without_null = text.replace(",\"verdict\":null", "");
    assert!(matches!(
        Receipt::from_bytes(without_null.as_bytes()),
        Err(tallyseal_core::receipt::ReceiptError::NotCanonical)
    ));
    let other_version = text.replace("\"v\":1", "\"v\":7");
    assert!(matches!(
        Receipt::from_bytes(other_version.as_bytes()),
        Err(tallyseal_core::receipt::ReceiptError::Version(7))
    ));
}

#[test]
fn truncations_and_corruptions_of_a_real_bundle_are_errors() {
    let bytes = seal_demo(demo::STATION_1, 2)
        .unwrap()
        .to_bundle()
        .to_bytes();
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let cut = (state % bytes.len() as u64) as usize;
        assert!(
            EvidenceBundle::from_bytes(&bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
        let mut flipped = bytes.clone();
        flipped[cut] ^= 1 << (state % 8);
        assert!(
            EvidenceBundle::from_bytes(&flipped).is_err(),
            "bit flip at {cut}"
        );
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        EvidenceBundle::from_bytes(&trailing),
        Err(BundleError::TrailingBytes(1))
    );
    assert_eq!(
        EvidenceBundle::from_bytes(b"GIF89a......"),
        Err(BundleError::BadMagic)
    );
}
