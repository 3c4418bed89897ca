//! A real tus client (tuspy, from PyPI) uploads to the server, including a resume.

use std::process::Command;

use tallyseal_core::hash::sha256;

use crate::helpers::*;
use crate::on_default_and_production;

/// `python3` with tuspy importable, or `None` (skip; a failure under `CI=true`).
fn python_with_tuspy(test: &str) -> Option<String> {
    let python = std::env::var("TALLYSEAL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import tusclient"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("tuspy is not installed under CI=true (scripts/services.sh start installs it)");
    }
    crate::helpers::skipped(&format!(
        "SKIPPED (no tuspy): {test} — pip install tuspy (scripts/services.sh start does)"
    ));
    None
}

async fn tuspy_uploads(db: Db, store: Store, test: &str) {
    let Some(python) = python_with_tuspy(test) else {
        return;
    };
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let image = jpeg();
    let (_, sealed) = app.first_capture_sent(&image).await;
    let file = app.config.data_dir.join("form45-to-upload.jpg");
    std::fs::write(&file, &image).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tus/tuspy_upload.py");
    let (base, path, hash, auth) = (
        app.base.clone(),
        file.clone(),
        sealed.manifest_hash.to_hex(),
        sealed.upload_auth.to_hex(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(base)
            .arg(path)
            .arg(hash)
            .arg(auth)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tuspy failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("refused without authorisation 403"),
        "{stdout}"
    );
    assert!(stdout.contains("resuming at 65536"), "{stdout}");
    assert!(
        stdout.contains(&format!("done {}", image.len())),
        "{stdout}"
    );
    let status = app.capture_status(&sealed).await;
    assert_eq!(status["status"], "verified");
    assert!(app.object_exists(&sha256(&image)).await);
}
on_default_and_production!(tuspy_client_uploads_and_resumes, tuspy_uploads);
