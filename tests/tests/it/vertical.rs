use std::sync::{Arc, Mutex};

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::client::agent_copy::AgentCopy;
use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::client::custody::MemoryKeyCustody;
use tallyseal_core::client::http::{HttpRequest, HttpTransport, StdHttpTransport};
use tallyseal_core::client::outbox::Stage;
use tallyseal_core::client::uploader::{SyncEvent, SyncListener};
use tallyseal_core::client::{PhoneClient, PhoneOptions};
use tallyseal_core::receipt::{Receipt, ReceiptStatus};
use tallyseal_e2e::TestServer;
use tallyseal_field::commands::{CaptureArgs, capture_request};

#[derive(Default)]
struct Events(Mutex<Vec<SyncEvent>>);
impl SyncListener for Events {
    fn on_event(&self, e: &SyncEvent) {
        self.0.lock().unwrap().push(e.clone());
    }
}

fn capture_args(seed: u64) -> CaptureArgs {
    CaptureArgs {
        image: None,
        lat: tallyseal_core::demo::STATION_1.lat,
        lon: tallyseal_core::demo::STATION_1.lon,
        accuracy: 8.0,
        mock: false,
        clock_offset: 0,
        pages: 2,
        figures: "demo".into(),
        photo_kb: 100,
        seed: Some(seed),
    }
}

#[test]
fn enrol_capture_sync_verify_receipt() {
    let server = TestServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Events::default());
    let phone = PhoneClient::open(PhoneOptions {
        data_dir: dir.path().to_owned(),
        app: "e2e/1".into(),
        transport: Arc::new(StdHttpTransport::default()),
        custody: Arc::new(MemoryKeyCustody::default()),
        clock: Arc::new(SystemClock::default()),
        listener: Some(events.clone()),
    })
    .unwrap();
    let mut settings = phone.settings();
    settings.trusted_package_keys = vec![TestServer::package_vkey().unwrap()];
    settings.chunk_bytes = 32 * 1024;
    phone.update_settings(settings).unwrap();

    let code = server.issue_code(1).unwrap();
    let enrolment = phone.enrol(&code.qr_payload, "PO Vertical", None).unwrap();
    assert_eq!(
        (enrolment.constituency.as_str(), enrolment.station),
        ("NA-128", 1)
    );
    assert_eq!(enrolment.commission_key, server.commission_key);
    assert!(
        phone.time_anchor().unwrap().is_some(),
        "a time anchor is fetched at enrolment"
    );

    let clock = SystemClock::default();
    let outcome = phone
        .capture(capture_request(&capture_args(7), &clock).unwrap())
        .unwrap();
    assert_eq!(outcome.pages.len(), 2);
    assert!(outcome.figure_problems.is_empty());
    for p in &outcome.pages {
        // The phone's self-check: at the station, GNSS time, correct figures.
        let fails: Vec<_> = p
            .self_check
            .with_outcome(tallyseal_core::verify::Outcome::Fail)
            .collect();
        assert!(fails.is_empty(), "{fails:?}");
        // Durable in the outbox before anything was sent; nothing on the server yet.
        assert!(
            server
                .submission(&p.manifest_hash.to_hex())
                .unwrap()
                .is_none()
        );
    }
    let items = phone.items().unwrap();
    assert!(
        items
            .iter()
            .all(|i| i.state.stage == Stage::Sealed && i.has_image)
    );

    let report = phone.sync_until_settled(60_000).unwrap();
    assert_eq!(
        (report.verified, report.pending, report.needs_attention),
        (2, 0, 0),
        "{report:?}"
    );

    for (p, item) in outcome.pages.iter().zip(phone.items().unwrap()) {
        assert_eq!(item.manifest_hash, p.manifest_hash);
        assert_eq!(item.state.stage, Stage::Verified);
        assert!(
            !item.has_image && item.has_bundle,
            "image copy removed, bundle kept"
        );
        // The server stored it once, verified.
        let row = server
            .submission(&p.manifest_hash.to_hex())
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "verified");
        let upload = server.upload(&p.manifest_hash.to_hex()).unwrap().unwrap();
        assert_eq!(upload.upload_offset, upload.upload_length);
        assert!(upload.completed_at_ms.is_some());
        // The bundle carries a receipt signed by the server for this manifest and image.
        let bundle = EvidenceBundle::from_bytes(&phone.bundle(item.seq).unwrap()).unwrap();
        let receipt = Receipt::from_bytes(bundle.receipt.as_deref().unwrap()).unwrap();
        receipt
            .verify_for(&p.manifest_hash, &[server.commission_key])
            .unwrap();
        assert_eq!(receipt.body.status, ReceiptStatus::Verified);
        assert_eq!(receipt.body.image_sha256, Some(p.image_sha256));
        // The agent copy matches what the server holds.
        let copy = AgentCopy::parse(&p.agent_copy).unwrap();
        copy.matches(&bundle.manifest).unwrap();
    }
    let ev = events.0.lock().unwrap();
    assert!(ev.iter().any(|e| matches!(
        e,
        SyncEvent::StageChanged {
            stage: Stage::ManifestAcknowledged,
            ..
        }
    )));
    assert!(ev.iter().any(|e| matches!(e, SyncEvent::Progress { .. })));

    // Cleared by the Presiding Officer: gone from the phone, still on the server.
    phone.clear(1).unwrap();
    assert_eq!(phone.items().unwrap().len(), 1);
    assert!(phone.clear(1).is_err());

    // A later capture continues the chain.
    let more = phone
        .capture(capture_request(&capture_args(8), &clock).unwrap())
        .unwrap();
    assert_eq!(more.pages[0].seq, 3);
}

#[test]
fn revoked_device_needs_attention_with_the_servers_reason() {
    let server = TestServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = tallyseal_field::commands::open_phone(dir.path(), 0).unwrap();
    let code = server.issue_code(2).unwrap();
    let enrolment = phone.enrol(&code.qr_payload, "PO Revoked", None).unwrap();

    // The Commission revokes the phone before it sends.
    let body = serde_json::to_vec(&serde_json::json!({"reason": "lost"})).unwrap();
    let req = HttpRequest::new(
        "POST",
        format!(
            "{}/api/v1/devices/{}/revoke",
            server.url, enrolment.device_key
        ),
    )
    .header("Authorization", format!("Bearer {}", server.admin_token))
    .json_body(body);
    let resp = StdHttpTransport::default().execute(req).unwrap();
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));

    let mut args = capture_args(9);
    args.pages = 1;
    args.figures = "none".into();
    phone
        .capture(capture_request(&args, &SystemClock::default()).unwrap())
        .unwrap();
    let report = phone.sync(true).unwrap();
    assert_eq!(
        (report.needs_attention, report.pending),
        (1, 0),
        "{report:?}"
    );
    let item = &phone.items().unwrap()[0];
    let attention = item.state.needs_attention.as_ref().unwrap();
    assert_eq!(attention.problem.as_ref().unwrap().slug(), "revoked-device");
    assert!(attention.reason.contains("revoked"), "{}", attention.reason);
    // Kept, not sent, not deletable.
    assert!(item.has_image);
    assert!(phone.clear(item.seq).is_err());
    assert_eq!(server.submission_count().unwrap(), 0);
}
