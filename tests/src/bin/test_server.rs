//! `tallyseal-test-server`: a throwaway tallyseal server for the Kotlin tests and demos. Starts the
//! real server on a free loopback port with a fresh data directory (SQLite + local objects),
//! imports the demo election (signed by the demo Commission key), issues enrolment codes, prints
//! one JSON line with the URL, admin token, keys and codes (also written to `--info FILE`), and
//! serves until killed.
//!
//! ```text
//! tallyseal-test-server [--codes N] [--station S] [--info FILE] [--data DIR]
//! ```

use std::process::ExitCode;

use tallyseal_e2e::TestServer;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let codes: u32 = arg(&args, "--codes")
        .map_or(Ok(4), |v| v.parse())
        .map_err(|e| format!("--codes: {e}"))?;
    let station: u32 = arg(&args, "--station")
        .map_or(Ok(1), |v| v.parse())
        .map_err(|e| format!("--station: {e}"))?;
    let (server, _keep) = match arg(&args, "--data") {
        Some(d) => (
            TestServer::start_in(std::path::Path::new(&d), "127.0.0.1:0")?,
            None,
        ),
        None => {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            (TestServer::start_in(dir.path(), "127.0.0.1:0")?, Some(dir))
        }
    };
    let mut issued = Vec::new();
    for _ in 0..codes {
        let c = server.issue_code(station)?;
        issued.push(
            serde_json::json!({"code": c.code, "qr_payload": c.qr_payload, "station": station}),
        );
    }
    let info = serde_json::json!({
        "url": server.url,
        "admin_token": server.admin_token,
        "commission_key": server.commission_key.to_hex(),
        "package_vkey": TestServer::package_vkey()?,
        "codes": issued,
    });
    let line = info.to_string();
    if let Some(path) = arg(&args, "--info") {
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, &line).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
    }
    println!("{line}");
    server.wait_until_stopped()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tallyseal-test-server: {e}");
            ExitCode::FAILURE
        }
    }
}
