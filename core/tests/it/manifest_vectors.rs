//! The documented test vector (`docs/vectors/capture-v1/`): sealing the documented inputs with the
//! documented key reproduces the manifest, signature and bundle byte for byte.
//!
//! Regenerate (only when the format changes on purpose) with
//! `TALLYSEAL_REGENERATE_VECTORS=1 cargo test -p tallyseal-core --test it manifest_vectors`.

use std::path::PathBuf;

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::demo;
use tallyseal_core::manifest::{CaptureManifest, verify_manifest_signature};
use tallyseal_core::seal::{ChainState, seal};
use tallyseal_core::sha256;
use tallyseal_testkit::camera::{PhotoSpec, photograph};

fn vector_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/capture-v1")
}

/// The vector's image: a small synthetic phone photo (its bytes are part of the vector).
fn vector_image() -> Vec<u8> {
    let mut spec = PhotoSpec::phone(31.5204, 74.3587, demo::CAPTURE_MS, 300, 2024);
    spec.width = 96;
    spec.height = 128;
    spec.exif.pixel_width = Some(96);
    spec.exif.pixel_height = Some(128);
    photograph(&spec)
}

fn seal_vector(image: Vec<u8>) -> tallyseal_core::SealedCapture {
    let (_, signed) = demo::signed_package().unwrap();
    let input = demo::capture_input(image, Some(signed.hash()), demo::STATION_1).unwrap();
    seal(input, &demo::device_key(), &ChainState::genesis()).unwrap()
}

#[test]
fn sealing_reproduces_the_documented_vector() {
    let dir = vector_dir();
    if std::env::var_os("TALLYSEAL_REGENERATE_VECTORS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        let image = vector_image();
        let sealed = seal_vector(image.clone());
        let (_, signed) = demo::signed_package().unwrap();
        std::fs::write(dir.join("image.jpg"), &image).unwrap();
        std::fs::write(dir.join("manifest.json"), &sealed.manifest_bytes).unwrap();
        std::fs::write(dir.join("signature.hex"), format!("{}\n", sealed.signature)).unwrap();
        std::fs::write(
            dir.join("manifest.sha256"),
            format!("{}\n", sealed.manifest_hash),
        )
        .unwrap();
        std::fs::write(dir.join("bundle.tsb"), sealed.to_bundle().to_bytes()).unwrap();
        std::fs::write(dir.join("package.note"), &signed.note).unwrap();
    }
    let image = std::fs::read(dir.join("image.jpg")).expect("docs/vectors/capture-v1/image.jpg");
    let sealed = seal_vector(image.clone());
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    assert_eq!(
        String::from_utf8(sealed.manifest_bytes.clone()).unwrap(),
        String::from_utf8(manifest).unwrap(),
        "manifest bytes differ from the documented vector"
    );
    let sig = std::fs::read_to_string(dir.join("signature.hex")).unwrap();
    assert_eq!(sealed.signature.to_hex(), sig.trim());
    let hash = std::fs::read_to_string(dir.join("manifest.sha256")).unwrap();
    assert_eq!(sealed.manifest_hash.to_hex(), hash.trim());
    assert_eq!(sha256(&sealed.manifest_bytes), sealed.manifest_hash);
    let bundle = std::fs::read(dir.join("bundle.tsb")).unwrap();
    assert_eq!(sealed.to_bundle().to_bytes(), bundle, "bundle bytes differ");
    let (_, signed) = demo::signed_package().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("package.note")).unwrap(),
        signed.note
    );
    // And the vector verifies as documented.
    let parsed = EvidenceBundle::from_bytes(&bundle).unwrap();
    let m = verify_manifest_signature(&parsed.manifest, &parsed.signature).unwrap();
    assert_eq!(m.device.key, demo::device_key().public_key());
    assert_eq!(parsed.image.as_deref(), Some(image.as_slice()));
}

#[test]
fn sealing_is_deterministic_and_canonical() {
    let a = seal_vector(vector_image());
    let b = seal_vector(vector_image());
    assert_eq!(a, b);
    assert_eq!(
        CaptureManifest::parse(&a.manifest_bytes).unwrap(),
        a.manifest
    );
    // Integers only, sorted keys, no white space.
    let text = String::from_utf8(a.manifest_bytes.clone()).unwrap();
    assert!(!text.contains(": ") && !text.contains('\n'));
    assert!(text.starts_with("{\"app\":"), "{text}");
}

#[test]
fn non_canonical_or_unknown_manifests_are_refused() {
    let a = seal_vector(vector_image());
    let text = String::from_utf8(a.manifest_bytes.clone()).unwrap();
    // Pretty-printed: same content, different bytes.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    assert!(CaptureManifest::parse(&pretty).is_err());
    // An extra field.
    let extra = text.replacen("{\"app\":", "{\"aaa\":1,\"app\":", 1);
    assert!(CaptureManifest::parse(extra.as_bytes()).is_err());
    // A missing field (even an optional one) changes the canonical form.
    let missing = text.replacen("\"supersedes\":null,", "", 1);
    assert_ne!(missing, text);
    assert!(CaptureManifest::parse(missing.as_bytes()).is_err());
    // A float.
    let float = text.replacen("\"station\":1,", "\"station\":1.0,", 1);
    assert!(CaptureManifest::parse(float.as_bytes()).is_err());
    // An empty image (signed or not, there is nothing to upload or to check).
    let mut empty = a.manifest.clone();
    empty.image.bytes = 0;
    assert!(empty.check_consistency().is_err());
}
