//! tus 1.0: resumption after a cut connection, offsets, checksums, limits.

use base64::Engine;
use tallyseal_core::demo;
use tallyseal_core::hash::sha256;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::seal::{ChainState, UPLOAD_AUTH_HEADER};
use tokio::io::AsyncWriteExt;

use crate::helpers::*;
use crate::on_default_and_production;

/// Send a request (`request`: method and path; `headers`: its tus headers, each ending in CRLF)
/// whose Content-Length is all of `body`, write only `send` bytes of it, then drop the connection.
async fn cut_request(app: &TestApp, request: &str, headers: &str, body: &[u8], send: usize) {
    let addr = app.base.strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{request} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\n{headers}\
         Content-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..send]).await.unwrap();
    s.flush().await.unwrap();
    // Let the server read what was sent, then cut the connection (no FIN-wait politeness).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(s);
}

/// A PATCH at `offset` carrying the whole remainder `body`, cut after `send` bytes.
async fn cut_patch(app: &TestApp, upload_path: &str, offset: usize, body: &[u8], send: usize) {
    let request = format!("PATCH {upload_path}");
    let auth = app.auth_for(&app.url(upload_path)).unwrap();
    let headers = format!("Upload-Offset: {offset}\r\n{UPLOAD_AUTH_HEADER}: {auth}\r\n");
    cut_request(app, &request, &headers, body, send).await;
}

/// What `probe` returns once it returns `want` (the server finishes with a cut request after
/// the client has gone); the last value seen after 5 s otherwise.
async fn once_equal<T: PartialEq, F: std::future::Future<Output = T>>(
    want: T,
    mut probe: impl FnMut() -> F,
) -> T {
    let mut seen = probe().await;
    for _ in 0..50 {
        if seen == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        seen = probe().await;
    }
    seen
}

async fn interrupted_upload(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let image = noise(1_500_000, 7);
    let (device, sealed) = app.first_capture_sent(&image).await;
    let url = app.create_upload(&sealed).await;
    let path = url.strip_prefix(&app.base).unwrap().to_owned();

    let forty = image.len() * 40 / 100;
    cut_patch(&app, &path, 0, &image, forty).await;
    // The server keeps what it received and says where to resume.
    assert_eq!(
        once_equal(forty as u64, || app.head_offset(&url)).await,
        forty as u64,
        "resumes from the bytes received before the cut"
    );
    assert_eq!(
        app.capture_status(&sealed).await["status"],
        "manifest_received"
    );
    assert!(
        !app.object_exists(&sha256(&image)).await,
        "a partial image is never an object"
    );

    // Resume: only the rest is sent.
    let rest = image[forty..].to_vec();
    assert_eq!(rest.len(), image.len() - forty);
    let r = app.patch(&url, forty, rest).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let status = app.capture_status(&sealed).await;
    assert_eq!(status["status"], "verified");
    assert_eq!(app.object_of(&image).await.unwrap(), image);

    // The same with a creation request carrying the whole image (creation-with-upload), cut at
    // 40%: the upload is created with what arrived, a creation without bytes finds it and says
    // where to resume, and a PATCH sends only the rest.
    let image = noise(1_500_000, 8);
    let sealed = seal_capture(image.clone(), &device, 1, &sealed.next_chain(), None);
    assert_eq!(app.send_manifest(&sealed).await.status(), 201);
    let headers = format!(
        "Upload-Length: {}\r\nUpload-Metadata: {}\r\n{UPLOAD_AUTH_HEADER}: {}\r\n",
        image.len(),
        upload_metadata(&sealed.manifest_hash),
        sealed.upload_auth.to_hex()
    );
    cut_request(&app, "POST /api/v1/uploads", &headers, &image, forty).await;
    // (A creation arriving before the server has noticed the cut would make an upload of its
    // own, and the cut request's bytes would be dropped: the phone retries after a pause.)
    once_equal(2, || app.count("SELECT COUNT(*) FROM uploads")).await;
    let url = app.create_upload(&sealed).await;
    assert_eq!(app.head_offset(&url).await, forty as u64);
    assert!(!app.object_exists(&sha256(&image)).await);
    let r = app.patch(&url, forty, image[forty..].to_vec()).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
    assert_eq!(app.object_of(&image).await.unwrap(), image);
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 2);
}
on_default_and_production!(
    interrupted_upload_resumes_from_server_offset,
    interrupted_upload
);

async fn truncated_and_wrong_uploads(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let image = noise(200_000, 9);
    let (_, sealed) = app.first_capture_sent(&image).await;
    let url = app.create_upload(&sealed).await;

    // Truncated: half the bytes, then nothing. Held, not stored, not verified.
    let r = app.patch(&url, 0, image[..100_000].to_vec()).await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.head_offset(&url).await, 100_000);
    assert_eq!(
        app.capture_status(&sealed).await["status"],
        "manifest_received"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM verification_reports").await,
        0
    );
    assert!(!app.object_exists(&sha256(&image)).await);

    // Wrong offset: 409, nothing changes.
    let (status, kind) = problem(app.patch(&url, 0, image[..10].to_vec()).await).await;
    assert_eq!((status, kind.as_str()), (409, "offset-conflict"));
    assert_eq!(app.head_offset(&url).await, 100_000);

    // Checksum mismatch: 460, the bytes are not kept.
    let r = app
        .tus(reqwest::Method::PATCH, &url)
        .header("Upload-Offset", "100000")
        .header("Content-Type", "application/offset+octet-stream")
        .header(
            "Upload-Checksum",
            format!(
                "sha256 {}",
                base64::engine::general_purpose::STANDARD.encode(sha256(b"other").0)
            ),
        )
        .body(image[100_000..150_000].to_vec())
        .send()
        .await
        .unwrap();
    let (status, kind) = problem(r).await;
    assert_eq!((status, kind.as_str()), (460, "checksum-mismatch"));
    assert_eq!(app.head_offset(&url).await, 100_000);

    // The right checksum is accepted.
    let chunk = image[100_000..150_000].to_vec();
    let r = app
        .tus(reqwest::Method::PATCH, &url)
        .header("Upload-Offset", "100000")
        .header("Content-Type", "application/offset+octet-stream")
        .header(
            "Upload-Checksum",
            format!(
                "sha256 {}",
                base64::engine::general_purpose::STANDARD.encode(sha256(&chunk).0)
            ),
        )
        .body(chunk)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.head_offset(&url).await, 150_000);

    // Too many bytes for the declared length: refused, offset unchanged.
    let (status, kind) = problem(app.patch(&url, 150_000, noise(60_000, 1)).await).await;
    assert_eq!((status, kind.as_str()), (413, "upload-too-large"));
    assert_eq!(app.head_offset(&url).await, 150_000);

    // Wrong content type.
    let r = app
        .tus(reqwest::Method::PATCH, &url)
        .header("Upload-Offset", "150000")
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (415, "unsupported-media-type".into()));

    // The rest, but with other bytes than the signed image: rejected, upload reset, nothing stored.
    let r = app.patch(&url, 150_000, noise(50_000, 2)).await;
    assert_eq!(problem(r).await, (422, "image-hash-mismatch".into()));
    assert_eq!(app.head_offset(&url).await, 0);
    // The reset is in the audit log, with the hash of what was sent instead.
    let wrong: Vec<u8> = [&image[..150_000], &noise(50_000, 2)[..]].concat();
    assert_eq!(
        app.upload_resets(&sealed).await,
        [("image_hash_mismatch".to_owned(), sha256(&wrong).to_hex())]
    );
    assert!(!app.object_exists(&sha256(&image)).await);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM verification_reports").await,
        0
    );
    assert_eq!(
        app.capture_status(&sealed).await["status"],
        "manifest_received"
    );

    // A clean retry from zero completes.
    assert_eq!(app.patch(&url, 0, image.clone()).await.status(), 204);
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
}
on_default_and_production!(
    truncated_checksum_offset_and_hash_errors,
    truncated_and_wrong_uploads
);

async fn creation_rules(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.limits.upload_slots_per_device = 2;
    let app = TestApp::start(config, std::sync::Arc::new(dir)).await;
    app.import_demo_package().await;
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let sealed = app.send_chained_manifests(&device, 3, 1000, 0).await;
    let create = |s: &tallyseal_core::seal::SealedCapture, len: usize| {
        app.client
            .post(app.url("/api/v1/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", len.to_string())
            .header("Upload-Metadata", upload_metadata(&s.manifest_hash))
            .header(UPLOAD_AUTH_HEADER, s.upload_auth.to_hex())
            .send()
    };
    // Length must match the signed size.
    assert_eq!(
        problem(create(&sealed[0], 999).await.unwrap()).await,
        (422, "upload-length-mismatch".into())
    );
    // Digits only: `+1000` is not a tus length.
    let r = app
        .client
        .post(app.url("/api/v1/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "+1000")
        .header("Upload-Metadata", upload_metadata(&sealed[0].manifest_hash))
        .header(UPLOAD_AUTH_HEADER, sealed[0].upload_auth.to_hex())
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await, (400, "bad-request".into()));
    // Unknown manifest.
    let stranger = seal_capture(
        noise(10, 99),
        &DeviceKey::from_seed(&[9; 32]),
        1,
        &ChainState::genesis(),
        None,
    );
    assert_eq!(
        problem(create(&stranger, 10).await.unwrap()).await,
        (404, "unknown-submission".into())
    );
    // Slots: two unfinished uploads per device, the third waits.
    assert_eq!(create(&sealed[0], 1000).await.unwrap().status(), 201);
    assert_eq!(create(&sealed[1], 1000).await.unwrap().status(), 201);
    assert_eq!(
        problem(create(&sealed[2], 1000).await.unwrap()).await,
        (429, "too-many-uploads".into())
    );
    // Creating again for an existing upload is fine (same upload).
    assert_eq!(create(&sealed[0], 1000).await.unwrap().status(), 201);
    // Abandoned uploads (older than upload_slot_idle_secs) stop holding slots, but stay resumable.
    sqlx::query("UPDATE uploads SET created_at_ms = created_at_ms - $1")
        .bind(i64::try_from(app.config.limits.upload_slot_idle_secs * 1000 + 1).unwrap())
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(create(&sealed[2], 1000).await.unwrap().status(), 201);
    assert_eq!(create(&sealed[0], 1000).await.unwrap().status(), 201);
    // Without the tus version header.
    let r = app
        .client
        .post(app.url("/api/v1/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["Tus-Version"], "1.0.0");
    assert_eq!(problem(r).await, (412, "tus-version".into()));
    // OPTIONS advertises the protocol.
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["Tus-Version"], "1.0.0");
    let extensions: Vec<&str> = r.headers()["Tus-Extension"]
        .to_str()
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(extensions, ["creation", "creation-with-upload", "checksum"]);
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 3);
}
on_default_and_production!(upload_creation_rules_and_slots, creation_rules);

async fn creation_with_upload(db: Db, store: Store, test: &str) {
    use tallyseal_server::provenance::ReceiptStatus;
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let sealed = app.send_chained_manifests(&device, 3, 300_000, 40).await;

    // The whole image in the creation request: complete, stored, verified, receipt in the answer.
    let a = &sealed[0];
    let r = app.create_with(a, a.image.clone()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["Upload-Offset"],
        a.image.len().to_string().as_str()
    );
    let url = app.url(r.headers()["Location"].to_str().unwrap());
    let receipt = receipt_header(&r).expect("the completing answer carries the receipt");
    receipt
        .verify_for(&a.manifest_hash, &[app.commission_key])
        .unwrap();
    assert_eq!(receipt.body.status, ReceiptStatus::Verified);
    assert_eq!(receipt.body.image_sha256, Some(sha256(&a.image)));
    let status = app.capture_status(a).await;
    assert_eq!(status["status"], "verified");
    assert_eq!(
        serde_json::to_value(&receipt).unwrap(),
        status["receipt"],
        "the header's receipt is the stored one"
    );
    assert_eq!(app.object_of(&a.image).await.unwrap(), a.image);
    assert_eq!(app.head_offset(&url).await, a.image.len() as u64);

    // Half in the creation request, the rest by PATCH, which then carries the receipt.
    let b = &sealed[1];
    let half = b.image.len() / 2;
    let r = app.create_with(b, b.image[..half].to_vec()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["Upload-Offset"], half.to_string().as_str());
    assert!(receipt_header(&r).is_none(), "not complete yet");
    let url = app.url(r.headers()["Location"].to_str().unwrap());
    assert_eq!(app.head_offset(&url).await, half as u64);
    let r = app.patch(&url, half, b.image[half..].to_vec()).await;
    assert_eq!(r.status(), 204);
    let receipt = receipt_header(&r).expect("the completing PATCH carries the receipt");
    receipt
        .verify_for(&b.manifest_hash, &[app.commission_key])
        .unwrap();
    assert_eq!(receipt.body.status, ReceiptStatus::Verified);

    // Sending it all again with a creation: the finished upload, nothing taken or stored twice.
    let reports = app.count("SELECT COUNT(*) FROM verification_reports").await;
    let r = app.create_with(b, b.image.clone()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["Upload-Offset"],
        b.image.len().to_string().as_str()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM verification_reports").await,
        reports
    );

    // An upload already under way keeps its offset: a creation's bytes go only to offset 0, and
    // its answer says where to resume.
    let c = &sealed[2];
    let url = app.create_upload(c).await;
    assert_eq!(
        app.patch(&url, 0, c.image[..1000].to_vec()).await.status(),
        204
    );
    let r = app.create_with(c, c.image.clone()).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["Upload-Offset"], "1000");
    assert_eq!(app.head_offset(&url).await, 1000);
    assert!(!app.object_exists(&sha256(&c.image)).await);
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 3);
}
on_default_and_production!(
    creation_with_upload_takes_the_first_bytes,
    creation_with_upload
);

/// Give `path` a modification time `age` in the past.
fn age_file(path: &std::path::Path, age: std::time::Duration) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

/// The sweep of `uploads/`: an upload idle past `part_file_idle_secs` starts over from 0 (its
/// bytes dropped, an `upload_expired` event kept) and can then be sent again; a leftover part
/// file of a completed upload and an idle one without an upload are removed; a recent upload and
/// files that are not part files are left alone, and no object is touched.
async fn idle_part_files(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.limits.part_file_idle_secs = 3600;
    config.limits.upload_sweep_secs = 1;
    let app = TestApp::start(config, std::sync::Arc::new(dir)).await;
    app.import_demo_package().await;
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let uploads = app.config.data_dir.join("uploads");
    let part_of = |url: &str| uploads.join(format!("{}.part", url.rsplit('/').next().unwrap()));
    let old = std::time::Duration::from_secs(2 * 3600);

    // Idle: 40 % held, untouched for two hours.
    let idle_image = noise(400_000, 21);
    let idle = seal_capture(idle_image.clone(), &device, 1, &ChainState::genesis(), None);
    assert_eq!(app.send_manifest(&idle).await.status(), 201);
    let idle_url = app.create_upload(&idle).await;
    let forty = idle_image.len() * 40 / 100;
    let r = app.patch(&idle_url, 0, idle_image[..forty].to_vec()).await;
    assert_eq!(r.status(), 204);
    // Recent: 30 % held a moment ago.
    let recent_image = noise(400_000, 22);
    let recent = seal_capture(recent_image.clone(), &device, 1, &idle.next_chain(), None);
    assert_eq!(app.send_manifest(&recent).await.status(), 201);
    let recent_url = app.create_upload(&recent).await;
    let thirty = recent_image.len() * 30 / 100;
    let r = app
        .patch(&recent_url, 0, recent_image[..thirty].to_vec())
        .await;
    assert_eq!(r.status(), 204);
    // Completed, with its part file left behind (as after a stop between commit and removal).
    let done_image = noise(300_000, 23);
    let done = seal_capture(done_image.clone(), &device, 1, &recent.next_chain(), None);
    assert_eq!(app.send_manifest(&done).await.status(), 201);
    let done_url = app.create_upload(&done).await;
    assert_eq!(
        app.patch(&done_url, 0, done_image.clone()).await.status(),
        204
    );
    std::fs::write(part_of(&done_url), &done_image).unwrap();
    // Without an upload row, idle; and a file that is not a part file.
    let orphan = uploads.join(format!("{}.part", "ab".repeat(16)));
    std::fs::write(&orphan, b"bytes of a creation that never got its row").unwrap();
    let other = uploads.join("operator-notes.txt");
    std::fs::write(&other, b"not ours").unwrap();
    for path in [&part_of(&idle_url), &orphan, &other] {
        age_file(path, old);
    }

    assert_eq!(
        once_equal(0, || app.head_offset(&idle_url)).await,
        0,
        "the idle upload starts over"
    );
    assert!(
        !once_equal(false, || async {
            part_of(&done_url).exists() || orphan.exists()
        })
        .await,
        "leftover and orphaned part files are removed"
    );
    assert!(!part_of(&idle_url).exists());
    assert!(other.exists(), "only part files are swept");
    assert!(part_of(&recent_url).exists());
    assert_eq!(app.head_offset(&recent_url).await, thirty as u64);
    let events = app.event_kinds(&idle.manifest_hash.to_string()).await;
    assert_eq!(events.last().map(String::as_str), Some("upload_expired"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM events WHERE kind = 'upload_expired'")
            .await,
        1
    );
    assert_eq!(app.capture_status(&done).await["status"], "verified");
    assert!(app.object_exists(&sha256(&done_image)).await);
    assert!(!app.object_exists(&sha256(&idle_image)).await);

    // The phone sends the image again, from 0, and the capture completes; the recent upload
    // resumes where it was.
    let r = app.patch(&idle_url, 0, idle_image.clone()).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(app.capture_status(&idle).await["status"], "verified");
    let r = app
        .patch(&recent_url, thirty, recent_image[thirty..].to_vec())
        .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(app.capture_status(&recent).await["status"], "verified");
}
on_default_and_production!(idle_part_files_are_swept, idle_part_files);

/// Only the capture's device may create, probe or write its upload. The manifest hash is public
/// (the agents' QR copies, bundles, the next capture's chain link): without the device's upload
/// authorisation, someone who read it could write one wrong byte into the upload (the phone's
/// completion then fails the hash check) or hold it open. Every refusal leaves the upload as it
/// was, and the phone then completes it.
async fn upload_authorisation(db: Db, store: Store, test: &str) {
    use tallyseal_core::seal::upload_auth;
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let image = noise(300_000, 21);
    let (device, sealed) = app.first_capture_sent(&image).await;
    let other = DeviceKey::from_seed(&[5; 32]);
    app.enrol(&other, 2).await;
    let events_before = app.count("SELECT COUNT(*) FROM events").await;

    let creation = |auth: Option<String>, body: Option<Vec<u8>>| {
        let mut r = app
            .client
            .post(app.url("/api/v1/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", image.len().to_string())
            .header("Upload-Metadata", upload_metadata(&sealed.manifest_hash));
        if let Some(auth) = auth {
            r = r.header(UPLOAD_AUTH_HEADER, auth);
        }
        if let Some(body) = body {
            r = r
                .header("Content-Type", "application/offset+octet-stream")
                .body(body);
        }
        r.send()
    };
    let refusals = [
        None,
        Some("not hex".to_owned()),
        // Another enrolled device's authorisation for this capture.
        Some(upload_auth(&other, &sealed.manifest_hash).to_hex()),
        // The device's signature, but over something else: the manifest (public, in every
        // bundle) is signed under another domain.
        Some(sealed.signature.to_hex()),
        Some(upload_auth(&device, &sha256(b"another capture")).to_hex()),
    ];
    for auth in refusals.clone() {
        let r = creation(auth.clone(), None).await.unwrap();
        assert_eq!(problem(r).await, (403, "upload-auth".into()), "{auth:?}");
        // The whole image, as creation-with-upload: refused before any byte is kept.
        let r = creation(auth.clone(), Some(image.clone())).await.unwrap();
        assert_eq!(problem(r).await, (403, "upload-auth".into()), "{auth:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM uploads").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM events").await,
        events_before
    );
    assert!(!app.object_exists(&sha256(&image)).await);

    // The phone creates its upload and sends the first 100 kB.
    let url = app.create_upload(&sealed).await;
    assert_eq!(
        app.patch(&url, 0, image[..100_000].to_vec()).await.status(),
        204
    );
    let events_before = app.count("SELECT COUNT(*) FROM events").await;
    // Someone with the upload's URL but not the authorisation: HEAD and PATCH refused.
    for auth in refusals {
        let mut head = app.client.head(&url).header("Tus-Resumable", "1.0.0");
        let mut patch = app
            .client
            .patch(&url)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "100000")
            .header("Content-Type", "application/offset+octet-stream")
            .body(vec![0u8]);
        if let Some(auth) = auth {
            head = head.header(UPLOAD_AUTH_HEADER, auth.clone());
            patch = patch.header(UPLOAD_AUTH_HEADER, auth);
        }
        assert_eq!(head.send().await.unwrap().status(), 403);
        assert_eq!(
            problem(patch.send().await.unwrap()).await,
            (403, "upload-auth".into())
        );
    }
    assert_eq!(app.head_offset(&url).await, 100_000);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM events").await,
        events_before,
        "a refused request records nothing"
    );
    // The phone finishes: the bytes it sent are intact.
    let r = app.patch(&url, 100_000, image[100_000..].to_vec()).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
    assert_eq!(app.object_of(&image).await.unwrap(), image);
}
on_default_and_production!(uploads_need_the_devices_authorisation, upload_authorisation);

/// The local store keeps a completed chunked upload's part file as the object (a second link to
/// the file). A server stopped between that link and the commit leaves both names, with the
/// upload's offset still before the end. The phone then resumes with a PATCH that is cut on its
/// way: its bytes must not reach the stored object through the part file's name. The upload
/// starts over instead, and the object keeps the signed bytes.
async fn part_file_linked_as_object(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let image = noise(400_000, 31);
    let (_, sealed) = app.first_capture_sent(&image).await;
    let url = app.create_upload(&sealed).await;
    assert_eq!(
        app.patch(&url, 0, image[..100_000].to_vec()).await.status(),
        204
    );

    // The state a stop between the completion's link and its commit leaves behind.
    let id = url.rsplit('/').next().unwrap();
    let part = app
        .config
        .data_dir
        .join("uploads")
        .join(format!("{id}.part"));
    let mut bytes = std::fs::read(&part).unwrap();
    assert_eq!(bytes, image[..100_000]);
    bytes.extend_from_slice(&image[100_000..]);
    std::fs::write(&part, &bytes).unwrap();
    let key = tallyseal_server::store::ObjectKey::for_digest(&sha256(&image));
    let object = tallyseal_server::store::LocalFsStore::open(app.config.data_dir.join("objects"))
        .unwrap()
        .path_of(&key);
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    std::fs::hard_link(&part, &object).unwrap();
    assert_eq!(app.head_offset(&url).await, 100_000);

    // The phone resumes at the server's offset; the connection drops half-way.
    let path = url.strip_prefix(&app.base).unwrap().to_owned();
    let rest = noise(300_000, 32);
    cut_patch(&app, &path, 100_000, &rest, 150_000).await;
    assert_eq!(
        once_equal(0, || app.head_offset(&url)).await,
        0,
        "the upload starts over"
    );
    assert_eq!(
        app.upload_resets(&sealed).await,
        [("bytes_missing".to_owned(), String::new())]
    );
    assert_eq!(
        std::fs::read(&object).unwrap(),
        image,
        "the stored object is untouched"
    );
    // A resend from 0 completes; the object is the one already stored.
    let r = app.patch(&url, 0, image.clone()).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
    assert_eq!(std::fs::read(&object).unwrap(), image);
    assert!(!part.exists());
}
crate::on_backends!(
    a_part_file_linked_as_object_is_never_written,
    part_file_linked_as_object,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);
