//! Through a 2G link (~100 kbit/s, 400 ms each way) that is cut twice mid-upload: the manifest's
//! receipt arrives within seconds; the image completes after reconnects; every PATCH starts at the
//! offset the server last acknowledged, so no acknowledged byte is sent again (the proxy counts
//! what reaches the server); nothing is stored twice.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tallyseal_core::client::capture::{CaptureRequest, PageInput};
use tallyseal_core::client::clock::SystemClock;
use tallyseal_core::client::custody::MemoryKeyCustody;
use tallyseal_core::client::http::{
    HttpRequest, HttpResponse, HttpTransport, StdHttpTransport, TransportError,
};
use tallyseal_core::client::outbox::Stage;
use tallyseal_core::client::uploader::{SyncEvent, SyncListener};
use tallyseal_core::client::{PhoneClient, PhoneOptions};
use tallyseal_core::form::FormKind;
use tallyseal_e2e::TestServer;

use crate::proxy::{Link, Proxy};

/// What the phone's transport saw: (method, Upload-Offset sent, body bytes, status, Upload-Offset answered).
type Log = Arc<Mutex<Vec<(String, Option<u64>, usize, Option<u16>, Option<u64>)>>>;

struct Recording {
    inner: StdHttpTransport,
    log: Log,
}

impl HttpTransport for Recording {
    fn execute(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = req.method.clone();
        let sent_offset = req
            .headers
            .iter()
            .find(|(k, _)| k == "Upload-Offset")
            .and_then(|(_, v)| v.parse().ok());
        let len = req.body.len();
        let result = self.inner.execute(req);
        let (status, answered) = match &result {
            Ok(r) => (
                Some(r.status),
                r.header("Upload-Offset").and_then(|v| v.parse().ok()),
            ),
            Err(_) => (None, None),
        };
        self.log
            .lock()
            .unwrap()
            .push((method, sent_offset, len, status, answered));
        result
    }
}

struct AckTime(Mutex<Option<Instant>>);
impl SyncListener for AckTime {
    fn on_event(&self, e: &SyncEvent) {
        if let SyncEvent::StageChanged {
            stage: Stage::ManifestAcknowledged,
            ..
        } = e
        {
            self.0.lock().unwrap().get_or_insert(Instant::now());
        }
    }
}

#[test]
fn two_g_link_cut_mid_upload_resumes_without_resending() {
    let server = TestServer::start().unwrap();
    let port: u16 = server.url.rsplit(':').next().unwrap().parse().unwrap();
    let proxy = Proxy::start(
        port,
        Link {
            bytes_per_sec: 12_500,
            one_way_latency: Duration::from_millis(400),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let log: Log = Arc::default();
    let ack = Arc::new(AckTime(Mutex::new(None)));
    let phone = PhoneClient::open(PhoneOptions {
        data_dir: dir.path().to_owned(),
        app: "e2e-2g/1".into(),
        transport: Arc::new(Recording {
            inner: StdHttpTransport {
                io_timeout: Duration::from_secs(30),
                ..StdHttpTransport::default()
            },
            log: log.clone(),
        }),
        custody: Arc::new(MemoryKeyCustody::default()),
        clock: Arc::new(SystemClock::default()),
        listener: Some(ack.clone()),
    })
    .unwrap();
    let mut s = phone.settings();
    s.backoff_base_ms = 300;
    s.backoff_cap_ms = 2_000;
    s.trusted_package_keys = vec![TestServer::package_vkey().unwrap()];
    phone.update_settings(s).unwrap();

    let code = server.issue_code(1).unwrap();
    let proxied = format!("http://127.0.0.1:{}", proxy.port);
    phone.enrol(&code.code, "PO 2G", Some(&proxied)).unwrap();

    let st = tallyseal_core::demo::STATION_1;
    let image = tallyseal_field::photo::synthetic_photo(
        st.lat,
        st.lon,
        tallyseal_core::client::clock::system_wall_ms(),
        42,
        600,
    );
    let len = image.len() as u64;
    assert!((200_000..=600_000).contains(&len), "photo is {len} bytes");
    phone
        .capture(CaptureRequest {
            form: FormKind::Form45,
            figures: None,
            pages: vec![PageInput {
                image,
                media_type: "image/jpeg".into(),
                fix: None,
            }],
            supersedes: None,
        })
        .unwrap();

    // Cut every connection when 35 % and 70 % of the image have reached the server.
    let base = proxy.upstream_bytes.load(Ordering::SeqCst);
    *proxy.cut_at.lock().unwrap() = vec![base + len * 35 / 100, base + len * 70 / 100];
    log.lock().unwrap().clear();

    let start = Instant::now();
    let report = phone.sync_until_settled(240_000).unwrap();
    let total = start.elapsed();
    assert_eq!((report.verified, report.pending), (1, 0), "{report:?}");
    let ack_after = ack.0.lock().unwrap().unwrap() - start;
    let delivered = proxy.upstream_bytes.load(Ordering::SeqCst) - base;
    let log = log.lock().unwrap().clone();
    eprintln!(
        "2G: image {len} B; manifest receipt after {:.1} s; verified after {:.1} s; {} cuts; {} B delivered upstream; requests {}",
        ack_after.as_secs_f64(),
        total.as_secs_f64(),
        proxy.cuts.load(Ordering::SeqCst),
        delivered,
        log.len()
    );
    for l in &log {
        eprintln!("  {l:?}");
    }

    assert!(
        ack_after < Duration::from_secs(10),
        "manifest receipt took {ack_after:?}"
    );
    assert_eq!(
        proxy.cuts.load(Ordering::SeqCst),
        2,
        "both cuts happened mid-upload"
    );

    // Every PATCH starts exactly where the server said it stood (creation, HEAD or the previous
    // PATCH), and never goes back.
    let mut acknowledged: Option<u64> = None;
    let mut last_patch_offset = None;
    let mut patches = 0;
    for (method, sent, _, status, answered) in &log {
        if method == "PATCH" {
            patches += 1;
            let sent = sent.unwrap();
            assert_eq!(
                Some(sent),
                acknowledged,
                "PATCH at {sent} but the server had acknowledged {acknowledged:?}"
            );
            assert!(
                last_patch_offset.is_none_or(|p| sent > p),
                "PATCH went back to {sent}"
            );
            last_patch_offset = Some(sent);
        }
        if status.is_some() && answered.is_some() {
            acknowledged = *answered;
        }
    }
    assert!(patches >= 3, "{patches} PATCH requests");
    // What reached the server: the image once plus request headers and the small JSON requests.
    let overhead = 8_000 + 700 * log.len() as u64;
    assert!(
        delivered >= len && delivered <= len + overhead,
        "{delivered} bytes delivered for a {len}-byte image"
    );

    // Nothing duplicated on the server.
    assert_eq!(server.submission_count().unwrap(), 1);
    let item = &phone.items().unwrap()[0];
    let h = item.manifest_hash.to_hex();
    assert_eq!(server.submission(&h).unwrap().unwrap().status, "verified");
    let upload = server.upload(&h).unwrap().unwrap();
    assert_eq!(upload.upload_offset as u64, len);
    let events = server.events(&h).unwrap();
    assert_eq!(
        events.iter().filter(|k| *k == "image_received").count(),
        1,
        "{events:?}"
    );
}
