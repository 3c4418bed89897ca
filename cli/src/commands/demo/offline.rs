//! `tallyseal demo --offline`: the verifier alone, no server and no phone.
//!
//! Writes a signed demo election package, a verification context and three evidence bundles — an
//! honest capture, the same capture with one image byte changed, and a capture taken 5 km from its
//! station — then verifies each and shows the three different outcomes. The printed command
//! verifies them again with the binary that is running.

use std::path::Path;

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::demo;
use tallyseal_core::model::LatLon;
use tallyseal_core::verify::{Outcome, Verdict, fmt_ms, verify_bundle};
use tallyseal_testkit::scenario::seal_demo;

use crate::commands::verify::exit_code;
use crate::context_file::{self, ContextFile};
use crate::{CliError, write_file};

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("demo data: {e}"))
}

/// Write and verify the three bundles in `dir/offline`; exit status 0 when each outcome is the
/// expected one.
pub fn run(dir: &Path, exe: &str) -> Result<u8, CliError> {
    let dir = dir.join("offline");
    std::fs::create_dir_all(&dir).map_err(|e| CliError::Io(dir.clone(), e))?;
    let (_, signed) = demo::signed_package().map_err(fail)?;
    write_file(&dir.join("package.note"), signed.note.as_bytes())?;
    let vkey = demo::commission_verifier().map_err(fail)?.to_vkey();
    let server = demo::server_key().public_key();
    let ctx_json = serde_json::json!({
        "package_file": "package.note",
        "commission_keys": [vkey],
        "devices": [{
            "key": demo::device_key().public_key(),
            "constituency": "NA-128",
            "station": 1,
            "enrolled_at_ms": demo::POLL_CLOSE_MS - 86_400_000,
        }],
        "time_anchor_keys": [server],
        "server_keys": [server],
        "received_at": fmt_ms(demo::CAPTURE_MS + 5 * 60_000),
    });
    let ctx_text = serde_json::to_string_pretty(&ctx_json).map_err(fail)?;
    write_file(&dir.join("context.json"), ctx_text.as_bytes())?;

    let good = seal_demo(demo::STATION_1, 1).map_err(fail)?.into_bundle();
    let mut tampered = good.clone();
    if let Some(img) = tampered.image.as_mut() {
        let mid = img.len() / 2;
        img[mid] ^= 0x01;
    }
    let far_point = LatLon {
        lat: demo::STATION_1.lat + 5_000.0 / 110_880.0,
        lon: demo::STATION_1.lon,
    };
    let far = seal_demo(far_point, 2).map_err(fail)?.into_bundle();

    let file: ContextFile = serde_json::from_str(&ctx_text).map_err(fail)?;
    let ctx = context_file::build(file, &dir, crate::now_ms())?;
    println!(
        "Demo election: NA-128 Lahore-XII, poll closed {}",
        fmt_ms(demo::POLL_CLOSE_MS)
    );
    println!("Files in {}\n", dir.display());
    let mut outcomes = Vec::new();
    for (name, bundle, what) in [
        ("good.tsb", &good, "an honest capture at the station"),
        (
            "tampered.tsb",
            &tampered,
            "the same capture with one image byte changed",
        ),
        ("far.tsb", &far, "a capture taken 5 km from its station"),
    ] {
        let path = dir.join(name);
        write_file(&path, &bundle.to_bytes())?;
        let back = EvidenceBundle::from_bytes(&bundle.to_bytes()).map_err(fail)?;
        let r = verify_bundle(&back, &ctx);
        let failed: Vec<String> = r
            .with_outcome(Outcome::Fail)
            .map(|c| c.check.as_str())
            .collect();
        println!(
            "{name:<13} {what}\n              -> {} (exit {}){}",
            r.verdict.as_str(),
            exit_code(r.verdict),
            if failed.is_empty() {
                String::new()
            } else {
                format!(", failed: {}", failed.join(", "))
            }
        );
        for c in r.with_outcome(Outcome::Fail) {
            println!(
                "              {}",
                tallyseal_core::text::escape_unsafe(&c.reason)
            );
        }
        outcomes.push(r.verdict);
    }
    println!(
        "\nCheck any of them yourself:\n  {exe} verify {} --context {}",
        dir.join("far.tsb").display(),
        dir.join("context.json").display()
    );
    let expected = [Verdict::Verified, Verdict::Failed, Verdict::Failed];
    Ok(if outcomes == expected { 0 } else { 1 })
}
