//! The simulated phone obeys the Returning Officer: `recapture` answers every pending recapture
//! request (read at the last sync) with a new capture, made as `capture` would make it, whose
//! manifest supersedes the requested one; then it syncs, so the new capture reaches the server.
//!
//! ```text
//! RECAPTURE seq=3 manifest=<old hash> request=<id> reason_code=illegible
//! SEALED seq=5 manifest=<new hash> page=1/1 verdict=verified supersedes=<old hash>
//! ```

use std::path::Path;

use tallyseal_core::client::ClientResult;
use tallyseal_core::client::clock::SystemClock;

use crate::commands::{CaptureArgs, capture_request, open_phone, print_report};

/// List the pending requests (`RECAPTURE` lines).
pub fn list(dir: &Path) -> ClientResult<()> {
    for r in open_phone(dir, 0)?.recapture_requests()? {
        println!(
            "RECAPTURE seq={} manifest={} request={} reason_code={} requested_by={}",
            r.seq,
            r.manifest_hash,
            r.request.request_id,
            r.request.reason_code,
            r.request.requested_by
        );
    }
    Ok(())
}

/// Answer every pending request with a new capture, then sync once.
pub fn answer_all(dir: &Path, args: &CaptureArgs) -> ClientResult<u32> {
    let phone = open_phone(dir, args.clock_offset)?;
    let clock = SystemClock {
        wall_offset_ms: args.clock_offset.saturating_mul(1000),
        tz_offset_min: 300,
    };
    let mut answered = 0;
    for r in phone.recapture_requests()? {
        println!(
            "RECAPTURE seq={} manifest={} request={} reason_code={}",
            r.seq, r.manifest_hash, r.request.request_id, r.request.reason_code
        );
        let mut request = capture_request(args, &clock)?;
        request.form = r.form;
        if request.figures.as_ref().is_some_and(|f| f.kind() != r.form) {
            request.figures = None;
        }
        let outcome = phone.recapture(r.seq, request)?;
        for p in &outcome.pages {
            println!(
                "SEALED seq={} manifest={} page={}/{} verdict={} supersedes={}",
                p.seq,
                p.manifest_hash,
                p.page,
                p.pages,
                p.self_check.verdict.as_str(),
                r.manifest_hash
            );
        }
        answered += 1;
    }
    if answered > 0 {
        print_report(&phone.sync(true)?);
    }
    Ok(answered)
}
