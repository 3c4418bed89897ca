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
            log_index: None,
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

/// Seeds for the `receipt`, `bundle` and `package` fuzz targets (`fuzz/seeds/receipt/`,
/// `fuzz/seeds/bundle/`, `fuzz/seeds/package/`): receipts of each status signed by the demo server
/// key, the documented vector's capture carrying the verified one (so the fuzzer starts from
/// inputs that reach the receipt check with the demo context), and the demo package as bare JSON
/// (so `validate()`'s geofence and time rules are reached). `TALLYSEAL_WRITE_FUZZ_SEEDS=1`
/// rewrites them first.
#[test]
fn fuzz_seeds_parse_and_verify() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let image = std::fs::read(root.join("../../docs/vectors/capture-v1/image.jpg")).unwrap();
    let sealed = tallyseal_testkit::scenario::seal_demo_image(
        image.clone(),
        demo::STATION_1,
        &tallyseal_core::seal::ChainState::genesis(),
    )
    .unwrap();
    let receipt = |status, verdict: Option<&str>| {
        let image_done = status != ReceiptStatus::ManifestReceived;
        Receipt::issue(
            &demo::server_key(),
            ReceiptBody {
                v: 1,
                manifest_hash: sealed.manifest_hash,
                received_at_ms: demo::CAPTURE_MS + 60_000,
                status,
                image_sha256: image_done.then(|| tallyseal_core::sha256(&image)),
                image_received_at_ms: image_done.then_some(demo::CAPTURE_MS + 90_000),
                verdict: verdict.map(str::to_string),
                server_key: demo::server_key().public_key(),
                log_index: None,
            },
        )
        .unwrap()
    };
    let receipts = [
        (
            "manifest-received.json",
            receipt(ReceiptStatus::ManifestReceived, None),
        ),
        (
            "image-received.json",
            receipt(ReceiptStatus::ImageReceived, None),
        ),
        (
            "verified.json",
            receipt(ReceiptStatus::Verified, Some("verified")),
        ),
    ];
    let mut bundle = sealed.to_bundle();
    bundle.receipt = Some(receipts[2].1.to_bytes().unwrap());
    if std::env::var("TALLYSEAL_WRITE_FUZZ_SEEDS").as_deref() == Ok("1") {
        for dir in ["receipt", "bundle", "package"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        for (name, r) in &receipts {
            std::fs::write(root.join("receipt").join(name), r.to_bytes().unwrap()).unwrap();
        }
        std::fs::write(root.join("bundle/with-receipt.tsb"), bundle.to_bytes()).unwrap();
        std::fs::write(
            root.join("package/demo.json"),
            demo::package().to_note_text(),
        )
        .unwrap();
    }
    let json = std::fs::read(root.join("package/demo.json")).unwrap();
    let package: tallyseal_core::package::ElectionPackage = serde_json::from_slice(&json).unwrap();
    assert!(package.validate().is_empty());
    assert!(package.constituencies[0].stations.len() > 1);
    let trusted = [demo::server_key().public_key()];
    for (name, _) in &receipts {
        let bytes = std::fs::read(root.join("receipt").join(name)).unwrap();
        Receipt::from_bytes(&bytes)
            .unwrap()
            .verify(&trusted)
            .unwrap();
    }
    let bytes = std::fs::read(root.join("bundle/with-receipt.tsb")).unwrap();
    let back = EvidenceBundle::from_bytes(&bytes).unwrap();
    let r = Receipt::from_bytes(back.receipt.as_deref().unwrap()).unwrap();
    r.verify_for(&tallyseal_core::sha256(&back.manifest), &trusted)
        .unwrap();
    assert_eq!(back.image.as_deref(), Some(image.as_slice()));
}
