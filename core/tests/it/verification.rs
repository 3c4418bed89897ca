//! Verification scenarios: an honest capture verifies; every kind of tampering and every
//! forensic red flag fails (or warns) with the right check named and the measured values.

use serde_json::Value;
use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::canonical::to_canonical_bytes;
use tallyseal_core::demo;
use tallyseal_core::form::FormFigures;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::model::LatLon;
use tallyseal_core::phash::dhash;
use tallyseal_core::receipt::{Receipt, ReceiptBody, ReceiptStatus};
use tallyseal_core::seal::{CaptureInput, ChainState, SealedCapture, seal};
use tallyseal_core::verify::{
    CheckId, KnownImage, Outcome, PriorCapture, Verdict, VerificationContext, VerificationReport,
    near_duplicate_check, verify_bundle, verify_capture,
};
use tallyseal_testkit::camera::{PhotoSpec, photograph};
use tallyseal_testkit::scenario::{demo_photo, seal_demo, seal_demo_image};

use crate::support::read_testdata;

fn ctx() -> VerificationContext {
    demo::context().unwrap()
}

fn verify(s: &SealedCapture, ctx: &VerificationContext) -> VerificationReport {
    verify_capture(&s.manifest_bytes, &s.signature, Some(&s.image), ctx)
}

fn outcome(r: &VerificationReport, id: CheckId) -> Outcome {
    r.check(id)
        .unwrap_or_else(|| panic!("no {id:?} check in {r:#?}"))
        .outcome
}

/// The default context, which also knows `s`'s image as submitted for NA-128 station 3.
fn knowing_at_station_3(s: &SealedCapture) -> VerificationContext {
    let mut c = ctx();
    c.known_images.push(KnownImage {
        sha256: s.manifest.image.sha256,
        phash: dhash(&s.image),
        constituency: "NA-128".into(),
        station: 3,
        manifest_hash: tallyseal_core::sha256(b"another manifest"),
    });
    c
}

/// `seal_demo(STATION_1, 15)`'s scene re-encoded at JPEG quality 60: other bytes, same picture.
fn reencoded_demo_sheet_15() -> SealedCapture {
    let mut spec = PhotoSpec::phone(
        demo::STATION_1.lat,
        demo::STATION_1.lon,
        demo::CAPTURE_MS,
        300,
        15,
    );
    spec.quality = 60;
    seal_demo_image(photograph(&spec), demo::STATION_1, &ChainState::genesis()).unwrap()
}

fn input(image: Vec<u8>, pos: LatLon) -> CaptureInput {
    let (_, signed) = demo::signed_package().unwrap();
    demo::capture_input(image, Some(signed.hash()), pos).unwrap()
}

/// Lat/lon `metres` north of station 1.
fn north_of_station(metres: f64) -> LatLon {
    LatLon {
        lat: demo::STATION_1.lat + metres / 110_880.0,
        lon: demo::STATION_1.lon,
    }
}

#[test]
fn honest_capture_is_verified_with_every_check_passing() {
    let s = seal_demo(demo::STATION_1, 1).unwrap();
    let r = verify(&s, &ctx());
    let not_pass: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .collect();
    assert!(not_pass.is_empty(), "{not_pass:#?}");
    assert_eq!(r.verdict, Verdict::Verified);
    // Every check of MISSION.md is present.
    for id in [
        CheckId::Signature,
        CheckId::DeviceEnrolled,
        CheckId::ImageHash,
        CheckId::Geofence,
        CheckId::MockLocation,
        CheckId::ExifGps,
        CheckId::CaptureTime,
        CheckId::ClockSkew,
        CheckId::ExifDatetime,
        CheckId::ExifDevice,
        CheckId::EditingSoftware,
        CheckId::DuplicateImage,
        CheckId::NearDuplicateImage,
        CheckId::CaptureSequence,
        CheckId::FormArithmetic,
        CheckId::StationKnown,
        CheckId::ElectionPackage,
        CheckId::ImageFrame,
    ] {
        assert_eq!(outcome(&r, id), Outcome::Pass, "{id:?}");
    }
    let t = r.capture_time.unwrap();
    assert_eq!(t.time_ms, demo::CAPTURE_MS);
    // The report is plain JSON for the server, the CLI and the phone.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["verdict"], "verified");
}

#[test]
fn any_changed_image_byte_fails_the_image_hash_check() {
    let s = seal_demo(demo::STATION_1, 3).unwrap();
    let ctx = ctx();
    let n = s.image.len();
    let positions: Vec<usize> = (0..64).map(|i| i * (n - 1) / 63).collect();
    for pos in positions {
        let mut image = s.image.clone();
        image[pos] ^= 0x20;
        let r = verify_capture(&s.manifest_bytes, &s.signature, Some(&image), &ctx);
        assert_eq!(outcome(&r, CheckId::ImageHash), Outcome::Fail, "byte {pos}");
        assert_eq!(r.verdict, Verdict::Failed);
    }
    // Truncated and extended images too.
    let r = verify_capture(
        &s.manifest_bytes,
        &s.signature,
        Some(&s.image[..n - 1]),
        &ctx,
    );
    assert_eq!(outcome(&r, CheckId::ImageHash), Outcome::Fail);
}

/// Every leaf of the manifest, changed, breaks the signature (the manifest stays canonical).
#[test]
fn any_changed_manifest_field_fails_the_signature_check() {
    let s = seal_demo(demo::STATION_1, 4).unwrap();
    let ctx = ctx();
    let original: Value = serde_json::from_slice(&s.manifest_bytes).unwrap();
    let mut paths = Vec::new();
    collect_leaves(&original, String::new(), &mut paths);
    assert!(paths.len() > 40, "only {} leaves", paths.len());
    let mut tested = 0;
    for path in &paths {
        let mut v = original.clone();
        let leaf = v.pointer_mut(path).unwrap();
        *leaf = match leaf.take() {
            Value::Number(n) => Value::from(n.as_i64().unwrap_or(0) + 1),
            Value::String(t) => Value::String(format!("{t}0")),
            Value::Bool(b) => Value::Bool(!b),
            Value::Null => continue,
            other => other,
        };
        let Ok(bytes) = to_canonical_bytes(&v) else {
            continue;
        };
        let r = verify_capture(&bytes, &s.signature, Some(&s.image), &ctx);
        assert_eq!(
            r.verdict,
            Verdict::Failed,
            "changing {path} was not detected"
        );
        let sig = r.check(CheckId::Signature).map(|c| c.outcome);
        let fmt = r.check(CheckId::ManifestFormat).map(|c| c.outcome);
        assert!(
            sig == Some(Outcome::Fail) || fmt == Some(Outcome::Fail),
            "changing {path}: signature {sig:?}, format {fmt:?}"
        );
        tested += 1;
    }
    assert!(tested > 40);
}

fn collect_leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| collect_leaves(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| collect_leaves(x, format!("{at}/{i}"), out)),
        _ => out.push(at),
    }
}

#[test]
fn a_signature_by_another_key_fails() {
    let s = seal_demo(demo::STATION_1, 5).unwrap();
    let forged = DeviceKey::from_seed(&[0x66; 32])
        .sign(tallyseal_core::manifest::MANIFEST_DOMAIN, &s.manifest_bytes);
    let r = verify_capture(&s.manifest_bytes, &forged, Some(&s.image), &ctx());
    assert_eq!(outcome(&r, CheckId::Signature), Outcome::Fail);
}

#[test]
fn capture_5_km_from_the_station_fails_the_geofence_with_the_distance() {
    let far = north_of_station(5_000.0);
    let s = seal_demo(far, 6).unwrap();
    let r = verify(&s, &ctx());
    assert_eq!(r.verdict, Verdict::Failed);
    let g = r.check(CheckId::Geofence).unwrap();
    assert_eq!(g.outcome, Outcome::Fail);
    let d = g.measured["distance_to_station_m"].as_f64().unwrap();
    assert!((d - 5_000.0).abs() < 50.0, "{d}");
    assert!(g.reason.contains("outside its geofence"), "{}", g.reason);
    // Everything else is fine: the EXIF GPS agrees with the (far) fix.
    let failing: Vec<_> = r.with_outcome(Outcome::Fail).map(|c| c.check).collect();
    assert_eq!(failing, vec![CheckId::Geofence]);
}

#[test]
fn borderline_fix_warns_rather_than_fails() {
    let mut i = input(
        demo_photo(north_of_station(260.0), 7),
        north_of_station(260.0),
    );
    i.fix.as_mut().unwrap().accuracy_m = 40.0;
    let s = seal(i, &demo::device_key(), &ChainState::genesis()).unwrap();
    let r = verify(&s, &ctx());
    assert_eq!(outcome(&r, CheckId::Geofence), Outcome::Warn);
    assert_eq!(r.verdict, Verdict::VerifiedWithWarnings);
}

#[test]
fn mock_location_fails() {
    let mut i = input(demo_photo(demo::STATION_1, 8), demo::STATION_1);
    i.fix.as_mut().unwrap().mock = true;
    let s = seal(i, &demo::device_key(), &ChainState::genesis()).unwrap();
    let r = verify(&s, &ctx());
    assert_eq!(outcome(&r, CheckId::MockLocation), Outcome::Fail);
}

#[test]
fn impossible_fixes_are_findings_not_crashes() {
    for (lat, lon, expect) in [
        (213.0, 74.0, "not a place on Earth"),
        (0.0, 0.0, "null island"),
        (f64::NAN, 74.0, "no location fix"),
        (31.5, f64::INFINITY, "no location fix"),
    ] {
        let mut i = input(demo_photo(demo::STATION_1, 9), demo::STATION_1);
        let fix = i.fix.as_mut().unwrap();
        fix.lat = lat;
        fix.lon = lon;
        let s = seal(i, &demo::device_key(), &ChainState::genesis()).unwrap();
        let r = verify(&s, &ctx());
        let g = r.check(CheckId::Geofence).unwrap();
        assert_eq!(g.outcome, Outcome::Fail, "{lat},{lon}");
        assert!(g.reason.contains(expect), "{lat},{lon}: {}", g.reason);
    }
}

#[test]
fn enrolment_checks_name_the_problem() {
    let s = seal_demo(demo::STATION_1, 10).unwrap();
    // Unknown device.
    let mut c = ctx();
    c.devices[0].key = DeviceKey::from_seed(&[0x77; 32]).public_key();
    let r = verify(&s, &c);
    assert_eq!(outcome(&r, CheckId::DeviceEnrolled), Outcome::Fail);
    // Enrolled for another station.
    let mut c = ctx();
    c.devices[0].station = 2;
    let r = verify(&s, &c);
    let e = r.check(CheckId::DeviceEnrolled).unwrap();
    assert_eq!(e.outcome, Outcome::Fail);
    assert!(e.reason.contains("station 2"), "{}", e.reason);
    // Revoked before receipt.
    let mut c = ctx();
    c.devices[0].revoked_at_ms = Some(demo::CAPTURE_MS + 60_000);
    assert_eq!(
        outcome(&verify(&s, &c), CheckId::DeviceEnrolled),
        Outcome::Fail
    );
    // Revoked only after it was received: still fine.
    c.devices[0].revoked_at_ms = Some(demo::CAPTURE_MS + 3_600_000);
    assert_eq!(
        outcome(&verify(&s, &c), CheckId::DeviceEnrolled),
        Outcome::Pass
    );
    // Station not in the scheme.
    let mut i = input(demo_photo(demo::STATION_1, 11), demo::STATION_1);
    i.station = 99;
    let s = seal(i, &demo::device_key(), &ChainState::genesis()).unwrap();
    assert_eq!(
        outcome(&verify(&s, &ctx()), CheckId::StationKnown),
        Outcome::Fail
    );
}

#[test]
fn capture_times_outside_the_window_fail() {
    // Before poll close, by every clock (the EXIF time too).
    let early = demo::POLL_CLOSE_MS - 3 * 3_600_000;
    let mut i = input(
        photograph(&PhotoSpec::phone(
            demo::STATION_1.lat,
            demo::STATION_1.lon,
            early,
            300,
            12,
        )),
        demo::STATION_1,
    );
    shift_clocks(&mut i, early - demo::CAPTURE_MS);
    let s = seal(i, &demo::device_key(), &ChainState::genesis()).unwrap();
    let r = verify(&s, &ctx());
    let t = r.check(CheckId::CaptureTime).unwrap();
    assert_eq!(t.outcome, Outcome::Fail, "{t:?}");
    assert!(t.reason.contains("before the poll closed"), "{}", t.reason);

    // After it was received.
    let mut c = ctx();
    c.received_at_ms = Some(demo::CAPTURE_MS - 3_600_000);
    let s = seal_demo(demo::STATION_1, 13).unwrap();
    assert_eq!(
        outcome(&verify(&s, &c), CheckId::CaptureTime),
        Outcome::Fail
    );
}

fn shift_clocks(i: &mut CaptureInput, by_ms: i64) {
    i.clock.device_time_ms += by_ms;
    let fix = i.fix.as_mut().unwrap();
    fix.gnss_time_ms = fix.gnss_time_ms.map(|t| t + by_ms);
    let a = i.clock.anchor.as_mut().unwrap();
    a.received_monotonic_ms = (a.received_monotonic_ms as i64 - by_ms) as u64;
}

#[test]
fn a_moved_device_clock_is_reported_and_the_anchor_still_gives_the_time() {
    let mut i = input(demo_photo(demo::STATION_1, 14), demo::STATION_1);
    i.fix.as_mut().unwrap().gnss_time_ms = None;
    i.clock.device_time_ms -= 6 * 3_600_000; // the PO's clock was set back 6 hours
    let s = seal(i, &demo::device_key(), &ChainState::genesis()).unwrap();
    let r = verify(&s, &ctx());
    let skew = r.check(CheckId::ClockSkew).unwrap();
    assert_eq!(skew.outcome, Outcome::Warn);
    assert!(skew.reason.contains("moved"), "{}", skew.reason);
    assert_eq!(r.capture_time.unwrap().time_ms, demo::CAPTURE_MS);
    assert_eq!(outcome(&r, CheckId::CaptureTime), Outcome::Pass);
}

#[test]
fn old_photo_and_edited_photo_are_flagged_from_exif() {
    // A real 2019 iPhone photo re-saved by Photoshop, submitted as a 2024 capture.
    let image = read_testdata("images/phone_gps/apple_iphoneSE_IMG_E4120_edited.jpg");
    let s = seal_demo_image(image, demo::STATION_1, &ChainState::genesis()).unwrap();
    let r = verify(&s, &ctx());
    assert_eq!(outcome(&r, CheckId::EditingSoftware), Outcome::Fail);
    assert_eq!(outcome(&r, CheckId::ExifDatetime), Outcome::Fail);
    // Its EXIF GPS is in Germany, thousands of km from the fix in Lahore.
    assert_eq!(outcome(&r, CheckId::ExifGps), Outcome::Fail);
}

#[test]
fn same_image_for_two_stations_fails_and_near_copy_warns() {
    let s = seal_demo(demo::STATION_1, 15).unwrap();
    let c = knowing_at_station_3(&s);
    let r = verify(&s, &c);
    let d = r.check(CheckId::DuplicateImage).unwrap();
    assert_eq!(d.outcome, Outcome::Fail);
    assert!(d.reason.contains("station 3"), "{}", d.reason);

    // The same scene re-encoded at another quality: different bytes, same picture.
    let copy = reencoded_demo_sheet_15();
    assert_ne!(copy.manifest.image.sha256, s.manifest.image.sha256);
    let r = verify(&copy, &c);
    assert_eq!(outcome(&r, CheckId::DuplicateImage), Outcome::Pass);
    let n = r.check(CheckId::NearDuplicateImage).unwrap();
    assert_eq!(n.outcome, Outcome::Warn, "{n:?}");
    // A different sheet is not a near-duplicate.
    let other = seal_demo(demo::STATION_1, 99).unwrap();
    let r = verify(&other, &c);
    assert_eq!(outcome(&r, CheckId::NearDuplicateImage), Outcome::Pass);
}

/// An image the perceptual hash cannot decode is never compared (nor compared with later): a
/// warning, also when there is nothing to compare with yet.
#[test]
fn an_image_without_a_perceptual_hash_is_not_passed_as_unique() {
    let s = seal_demo(demo::STATION_1, 15).unwrap();
    let policy = tallyseal_core::verify::VerificationPolicy::default();
    for known in [Vec::new(), knowing_at_station_3(&s).known_images] {
        let check = near_duplicate_check(
            None,
            &tallyseal_core::sha256(b"an undecodable image"),
            "NA-128",
            1,
            &known,
            &policy,
        );
        assert_eq!(check.outcome, Outcome::Warn, "{check:?}");
    }
    let undecodable = seal_demo_image(
        b"\xff\xd8 not a picture \xff\xd9".to_vec(),
        demo::STATION_1,
        &ChainState::genesis(),
    )
    .unwrap();
    let r = verify(&undecodable, &knowing_at_station_3(&s));
    assert_eq!(outcome(&r, CheckId::NearDuplicateImage), Outcome::Warn);
}

/// A server defers the near-duplicate check past the receipt: the report says it is pending, the
/// verdict covers the rest, and completing it later gives the same result as checking at once.
#[test]
fn a_deferred_near_duplicate_check_completes_to_the_same_result() {
    let s = seal_demo(demo::STATION_1, 15).unwrap();
    let copy = reencoded_demo_sheet_15();
    let mut c = knowing_at_station_3(&s);
    let at_once = verify(&copy, &c);

    c.policy.defer_near_duplicates = true;
    let mut deferred = verify(&copy, &c);
    assert_eq!(deferred.pending, vec![CheckId::NearDuplicateImage]);
    assert!(deferred.check(CheckId::NearDuplicateImage).is_none());
    assert_eq!(deferred.image_phash, None, "nothing decoded at intake");
    assert_eq!(deferred.verdict, Verdict::Verified);

    let check = near_duplicate_check(
        dhash(&copy.image),
        &copy.manifest.image.sha256,
        "NA-128",
        copy.manifest.station,
        &c.known_images,
        &c.policy,
    );
    deferred.complete_pending(check);
    assert!(deferred.pending.is_empty());
    assert_eq!(
        deferred.check(CheckId::NearDuplicateImage),
        at_once.check(CheckId::NearDuplicateImage)
    );
    assert_eq!(deferred.verdict, at_once.verdict);
    assert_eq!(deferred.verdict, Verdict::VerifiedWithWarnings);
    // The report round-trips through JSON with its pending list.
    let mut pending = verify(&copy, &c);
    let json = serde_json::to_string(&pending).unwrap();
    assert!(
        json.contains("\"pending\":[\"near_duplicate_image\"]"),
        "{json}"
    );
    let back: VerificationReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pending);
    pending.pending.clear();
    assert!(!serde_json::to_string(&pending).unwrap().contains("pending"));
}

#[test]
fn sequence_gaps_and_forks_are_reported() {
    let first = seal_demo(demo::STATION_1, 16).unwrap();
    let second = seal_demo_image(
        demo_photo(demo::STATION_1, 17),
        demo::STATION_1,
        &first.next_chain(),
    )
    .unwrap();
    let mut c = ctx();
    c.prior_captures.push(PriorCapture {
        seq: 1,
        manifest_hash: first.manifest_hash,
    });
    assert_eq!(
        outcome(&verify(&second, &c), CheckId::CaptureSequence),
        Outcome::Pass
    );
    // Gap: the verifier never saw capture 1.
    let r = verify(&second, &ctx());
    let g = r.check(CheckId::CaptureSequence).unwrap();
    assert_eq!(g.outcome, Outcome::Warn);
    assert!(g.reason.contains("capture 1"), "{}", g.reason);
    // Fork: another capture already claimed sequence number 2.
    let mut c2 = c.clone();
    c2.prior_captures.push(PriorCapture {
        seq: 2,
        manifest_hash: tallyseal_core::sha256(b"x"),
    });
    assert_eq!(
        outcome(&verify(&second, &c2), CheckId::CaptureSequence),
        Outcome::Fail
    );
    // Two captures 1 (a fork before this one): the one this capture names is its predecessor,
    // in whatever order the verifier knows them.
    let mut c3 = ctx();
    for hash in [
        tallyseal_core::sha256(b"the other capture 1"),
        first.manifest_hash,
    ] {
        c3.prior_captures.push(PriorCapture {
            seq: 1,
            manifest_hash: hash,
        });
    }
    assert_eq!(
        outcome(&verify(&second, &c3), CheckId::CaptureSequence),
        Outcome::Pass
    );
    c3.prior_captures.reverse();
    assert_eq!(
        outcome(&verify(&second, &c3), CheckId::CaptureSequence),
        Outcome::Pass
    );
}

#[test]
fn bad_sums_fail_the_form_arithmetic_check_naming_the_rule() {
    let mut i = input(demo_photo(demo::STATION_1, 18), demo::STATION_1);
    if let Some(FormFigures::Form45(f)) = i.figures.as_mut() {
        f.total_valid += 27;
    }
    let s = seal(i, &demo::device_key(), &ChainState::genesis()).unwrap();
    let r = verify(&s, &ctx());
    let f = r.check(CheckId::FormArithmetic).unwrap();
    assert_eq!(f.outcome, Outcome::Fail);
    let rules: Vec<&str> = f.measured["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"candidate_sum_equals_total_valid"),
        "{rules:?}"
    );
}

#[test]
fn without_context_the_unchecked_checks_warn() {
    let s = seal_demo(demo::STATION_1, 19).unwrap();
    let c = VerificationContext {
        now_ms: demo::CAPTURE_MS + 60_000,
        ..Default::default()
    };
    let r = verify(&s, &c);
    assert_eq!(r.verdict, Verdict::VerifiedWithWarnings);
    assert_eq!(outcome(&r, CheckId::ElectionPackage), Outcome::Warn);
    assert_eq!(outcome(&r, CheckId::DeviceEnrolled), Outcome::Warn);
    assert_eq!(outcome(&r, CheckId::Signature), Outcome::Pass);
    assert_eq!(outcome(&r, CheckId::ImageHash), Outcome::Pass);
}

#[test]
fn bundle_receipts_are_checked() {
    let s = seal_demo(demo::STATION_1, 20).unwrap();
    let body = ReceiptBody {
        v: 1,
        manifest_hash: s.manifest_hash,
        received_at_ms: demo::CAPTURE_MS + 120_000,
        status: ReceiptStatus::Verified,
        image_sha256: Some(s.manifest.image.sha256),
        image_received_at_ms: Some(demo::CAPTURE_MS + 180_000),
        verdict: Some("verified".into()),
        server_key: demo::server_key().public_key(),
        log_index: None,
    };
    let mut bundle: EvidenceBundle = s.to_bundle();
    bundle.receipt = Some(
        Receipt::issue(&demo::server_key(), body.clone())
            .unwrap()
            .to_bytes()
            .unwrap(),
    );
    let mut c = ctx();
    c.received_at_ms = None;
    let r = verify_bundle(&bundle, &c);
    assert_eq!(outcome(&r, CheckId::Receipt), Outcome::Pass);
    assert_eq!(r.verdict, Verdict::Verified);
    // A receipt signed by someone else.
    let forged = Receipt::issue(&DeviceKey::from_seed(&[0x55; 32]), body).unwrap();
    bundle.receipt = Some(forged.to_bytes().unwrap());
    let r = verify_bundle(&bundle, &c);
    assert_eq!(outcome(&r, CheckId::Receipt), Outcome::Fail);
}
