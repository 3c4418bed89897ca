//! The public reads on a PostgreSQL streaming replica (`database_read_url`): a server whose
//! primary is `TALLYSEAL_TEST_PG_URL`'s cluster and whose replica is
//! `TALLYSEAL_TEST_PG_REPLICA_URL`'s hot standby of it (both started by `scripts/services.sh`).
//! With the replica's replay paused, a new capture is on the console's board (the primary) and
//! not in the public ledger or bundle (the replica); once replay resumes, it appears there. A
//! replica that does not answer makes the public reads 503 problem+json while intake goes on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::{Connection, PgConnection};
use tallyseal_core::demo;
use tallyseal_core::seal::ChainState;
use tallyseal_server::accounts::{ConstituencyRef, Role, Scope};

use crate::console_support::{Browser, add_user, database};
use crate::helpers::{Db, Store, TestApp, component, noise, seal_capture, test_config};

const ELECTION: &str = "pk-ge-2024-demo";
const LEDGER: &str = "/api/v1/elections/pk-ge-2024-demo/ledger?constituency=NA-128";

/// The state of `form` of `station` in a board or a ledger (both list `stations[].forms[]`).
fn form_state(doc: &Value, station: u64, form: &str) -> String {
    doc["stations"]
        .as_array()
        .expect("stations")
        .iter()
        .find(|s| s["station"] == station)
        .and_then(|s| s["forms"].as_array())
        .and_then(|forms| forms.iter().find(|f| f["form"] == form))
        .and_then(|f| f["state"].as_str())
        .unwrap_or_else(|| panic!("no {form} of station {station} in {doc}"))
        .to_owned()
}

/// A connection to the database `name` on the replica, once the replica has replayed the
/// primary's migrations of it.
async fn replica_connection(replica_admin: &str, name: &str) -> PgConnection {
    let (base, _) = replica_admin.rsplit_once('/').expect("a database path");
    let url = format!("{base}/{name}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut conn) = PgConnection::connect(&url).await {
            let migrated: Result<i64, _> = sqlx::query_scalar("SELECT count(*) FROM events")
                .fetch_one(&mut conn)
                .await;
            if migrated.is_ok() {
                return conn;
            }
        }
        assert!(Instant::now() < deadline, "the replica never had {name}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Resumes the replica's replay when dropped, so a failing test never leaves the shared replica
/// paused for the tests after it.
struct ResumeReplay(String);

impl Drop for ResumeReplay {
    fn drop(&mut self) {
        let url = self.0.clone();
        let resumed = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url).await.ok()?;
                sqlx::query("SELECT pg_wal_replay_resume()")
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(resumed, Ok(Some(_))) {
            eprintln!("read_replica: could not resume the replica's replay");
        }
    }
}

/// Wait until `ready` holds for the public ledger (read through the replica).
async fn ledger_until(app: &TestApp, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.client.get(app.url(LEDGER)).send().await.unwrap();
        if r.status() == 200 {
            let ledger: Value = r.json().await.unwrap();
            if ready(&ledger) {
                return ledger;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the public ledger never showed {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_reads_come_from_the_replica() {
    let test = "read_replica::public_reads_come_from_the_replica";
    let Some(replica_admin) = component(
        "TALLYSEAL_TEST_PG_REPLICA_URL",
        "PostgreSQL streaming replica",
        test,
    ) else {
        return;
    };
    let Some((mut config, dir)) = test_config(Db::Postgres, Store::Local, test).await else {
        return;
    };
    let primary = config.database_url.clone().expect("a PostgreSQL database");
    let (_, name) = primary.rsplit_once('/').expect("a database path");
    let (replica_base, _) = replica_admin.rsplit_once('/').unwrap();
    config.database_read_url = Some(format!("{replica_base}/{name}"));
    let app = TestApp::start(config, Arc::new(dir)).await;
    assert!(app.state.db.has_read_replica());
    let mut replica = replica_connection(&replica_admin, name).await;
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut replica)
        .await
        .unwrap();
    assert!(
        in_recovery,
        "TALLYSEAL_TEST_PG_REPLICA_URL is not a standby"
    );

    app.import_demo_package().await;
    let ledger = ledger_until(&app, "the election", |_| true).await;
    assert_eq!(form_state(&ledger, 1, "form45"), "awaited");
    let db = database(&app).await;
    let scope = Scope::Constituencies(vec![ConstituencyRef::new(ELECTION, "NA-128")]);
    let (_, password) = add_user(&db, "ro-128", Role::ReturningOfficer, scope).await;
    let mut ro = Browser::signed_in(&app, "ro-128", &password).await;

    // Replay paused: what the primary commits from now on is not on the replica.
    let _resume = ResumeReplay(replica_admin.clone());
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&mut replica)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let paused: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
            .fetch_one(&mut replica)
            .await
            .unwrap();
        if paused == "paused" {
            break;
        }
        assert!(Instant::now() < deadline, "replay did not pause");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let sealed = seal_capture(noise(4096, 7), &device, 1, &ChainState::genesis(), None);
    assert_eq!(app.send_manifest(&sealed).await.status(), 201);
    let hash = sealed.manifest_hash.to_hex();
    let bundle_path = format!("/api/v1/captures/{hash}/bundle");

    // The console reads the primary: the capture is on its board at once.
    let r = ro
        .get(&format!("/api/v1/console/{ELECTION}/NA-128/board"))
        .await;
    assert_eq!(r.status(), 200);
    let board: Value = r.json().await.unwrap();
    assert_eq!(form_state(&board, 1, "form45"), "manifest_received");
    // The public reads the replica, still at the moment replay paused: no capture yet.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ledger = app.get_json(LEDGER).await;
    assert_eq!(form_state(&ledger, 1, "form45"), "awaited");
    let r = app.client.get(app.url(&bundle_path)).send().await.unwrap();
    assert_eq!(r.status(), 404, "the bundle was read from the primary");

    // Replay resumed: the public sees the capture.
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&mut replica)
        .await
        .unwrap();
    let started = Instant::now();
    let ledger = ledger_until(&app, "the capture", |l| {
        form_state(l, 1, "form45") == "manifest_received"
    })
    .await;
    let listed = &ledger["stations"][0]["forms"][0]["captures"][0]["manifest_hash"];
    assert_eq!(listed.as_str(), Some(hash.as_str()), "{ledger}");
    let r = app.client.get(app.url(&bundle_path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    eprintln!(
        "read_replica: the capture reached the public ledger {} ms after replay resumed",
        started.elapsed().as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_down_public_reads_are_503_and_intake_goes_on() {
    let test = "read_replica::replica_down_public_reads_are_503_and_intake_goes_on";
    let Some((mut config, dir)) = test_config(Db::Postgres, Store::Local, test).await else {
        return;
    };
    // A port nobody listens on: the replica is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    config.database_read_url = Some(format!("postgres://postgres@127.0.0.1:{closed}/tallyseal"));
    // The server starts without its replica (intake does not need it).
    let app = TestApp::start(config, Arc::new(dir)).await;
    app.import_demo_package().await;
    let device = demo::device_key();
    app.enrol(&device, 1).await;
    let sealed = seal_capture(noise(4096, 9), &device, 1, &ChainState::genesis(), None);
    assert_eq!(app.send_manifest(&sealed).await.status(), 201);
    let hash = sealed.manifest_hash.to_hex();
    assert_eq!(app.capture_status(&sealed).await["manifest_hash"], hash);

    let started = Instant::now();
    let r = app.client.get(app.url(LEDGER)).send().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = r.json().await.unwrap();
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("service-unavailable"),
        "{body}"
    );
    assert!(!body.to_string().contains(&closed.to_string()), "{body}");
    assert!(waited < Duration::from_secs(15), "took {waited:?}");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/captures/{hash}/bundle")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    // The primary's own reads still answer.
    assert_eq!(app.capture_status(&sealed).await["manifest_hash"], hash);
}
