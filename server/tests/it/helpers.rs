//! Spawning the real server on port 0 against a fresh database (SQLite file or a new PostgreSQL
//! database) and a fresh object store (local folder or a unique prefix in a Garage bucket).
//!
//! PostgreSQL and Garage come from `scripts/services.sh` through `TALLYSEAL_TEST_PG_URL` and
//! `TALLYSEAL_TEST_S3_{ENDPOINT,BUCKET,REGION,ACCESS_KEY,SECRET_KEY}`. When one is missing the test
//! prints `SKIPPED (no …)` and returns, unless `CI=true`, where a missing component is a failure.

use std::sync::Arc;

use base64::Engine;
use serde_json::{Value, json};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor, Row};
use tallyseal_core::demo;
use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::keys::{DeviceKey, PublicKey};
use tallyseal_core::seal::{ChainState, SealedCapture, UPLOAD_AUTH_HEADER, seal};
use tallyseal_server::config::{ObjectStoreConfig, S3Config, ServerConfig};
use tallyseal_server::store::{LocalFsStore, ObjectKey, ObjectStore, s3::S3Store};
use tallyseal_server::{Application, random_hex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Local,
    Garage,
}

/// Print a skip notice past the test harness's output capture, so it shows in every run.
pub fn skipped(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A value from the environment, or `None` after printing why the test is skipped. Under `CI=true`
/// a missing component fails the test.
pub fn component(var: &str, what: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{var} is not set under CI=true: {what} is required (run scripts/services.sh)"
                );
            }
            skipped(&format!(
                "SKIPPED (no {what}): {test} — set {var} (see scripts/services.sh)"
            ));
            None
        }
    }
}

pub fn s3_config(test: &str) -> Option<S3Config> {
    let endpoint = component("TALLYSEAL_TEST_S3_ENDPOINT", "Garage", test)?;
    Some(S3Config {
        endpoint: Some(endpoint),
        bucket: component("TALLYSEAL_TEST_S3_BUCKET", "Garage", test)?,
        region: std::env::var("TALLYSEAL_TEST_S3_REGION").unwrap_or_else(|_| "garage".into()),
        access_key_id: component("TALLYSEAL_TEST_S3_ACCESS_KEY", "Garage", test)?,
        secret_access_key: component("TALLYSEAL_TEST_S3_SECRET_KEY", "Garage", test)?,
        path_style: true,
        prefix: format!("test-{}/", random_hex(8).unwrap()),
        timeout_secs: 60,
    })
}

/// Create a fresh PostgreSQL database; returns its URL.
async fn fresh_pg_database(test: &str) -> Option<String> {
    let admin = component("TALLYSEAL_TEST_PG_URL", "PostgreSQL", test)?;
    let name = format!("ts_{}", random_hex(8).unwrap());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to TALLYSEAL_TEST_PG_URL");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create database");
    let (base, _) = admin
        .rsplit_once('/')
        .expect("admin URL has a database path");
    Some(format!("{base}/{name}"))
}

/// A running server plus handles to look at what it stored.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin_token: String,
    pub commission_key: PublicKey,
    /// A separate pool on the same database, for assertions.
    pub db: AnyPool,
    /// A separate handle on the same object store, for assertions.
    pub store: Arc<dyn ObjectStore>,
    pub config: ServerConfig,
    pub _dir: Arc<tempfile::TempDir>,
    /// The upload authorisation (`Tallyseal-Upload-Auth`) for each upload URL this app created,
    /// which [`TestApp::patch`] and [`TestApp::head_offset`] send as a tus client would.
    pub upload_auths: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// The running server's shared state (tests mount extra services on it, e.g. the console
    /// API behind a test actor).
    pub state: actix_web::web::Data<tallyseal_server::state::AppState>,
}

/// Configuration for a fresh app; `None` when a component is missing (skipped).
pub async fn test_config(
    db: Db,
    store: Store,
    test: &str,
) -> Option<(ServerConfig, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig {
        data_dir: dir.path().to_owned(),
        bind: "127.0.0.1:0".into(),
        workers: Some(2),
        database_max_connections: 8,
        // The demo server key, so the demo phone's time anchors are trusted.
        server_key_seed: Some(hex::encode(demo::SERVER_SEED)),
        trusted_package_keys: vec![demo::commission_verifier().unwrap().to_vkey()],
        // Tests read their own writes at once (the short-lived copy has its own unit test).
        public_cache_ms: 0,
        ..ServerConfig::default()
    };
    if db == Db::Postgres {
        config.database_url = Some(fresh_pg_database(test).await?);
    }
    if store == Store::Garage {
        config.object_store = ObjectStoreConfig::S3(s3_config(test)?);
    }
    Some((config, dir))
}

impl TestApp {
    /// Start a server with `config` (from [`test_config`], possibly adjusted).
    pub async fn start(config: ServerConfig, dir: Arc<tempfile::TempDir>) -> TestApp {
        Self::start_with_state(config, dir).await.0
    }

    /// [`TestApp::start`], also giving the server's shared state (for tests that drive a
    /// worker's steps themselves).
    pub async fn start_with_state(
        config: ServerConfig,
        dir: Arc<tempfile::TempDir>,
    ) -> (
        TestApp,
        actix_web::web::Data<tallyseal_server::state::AppState>,
    ) {
        let app = Application::build(config.clone())
            .await
            .expect("server starts");
        let state = app.state();
        let port = app.port();
        let admin_token = app.admin_token();
        let commission_key = app.commission_key();
        tokio::spawn(app.run_until_stopped());
        sqlx::any::install_default_drivers();
        let db = AnyPoolOptions::new()
            .max_connections(2)
            .connect(&config.effective_database_url())
            .await
            .expect("assertion pool");
        let store: Arc<dyn ObjectStore> = match &config.object_store {
            ObjectStoreConfig::Local { .. } => {
                Arc::new(LocalFsStore::open(config.data_dir.join("objects")).unwrap())
            }
            ObjectStoreConfig::S3(s3) => Arc::new(S3Store::new(s3)),
        };
        let app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            admin_token,
            commission_key,
            db,
            store,
            config,
            _dir: dir,
            upload_auths: Default::default(),
            state: state.clone(),
        };
        (app, state)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query(sql)
            .fetch_one(&self.db)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// The `upload_reset` events of `sealed`'s upload: (reason, hash of the bytes received).
    pub async fn upload_resets(&self, sealed: &SealedCapture) -> Vec<(String, String)> {
        let details: Vec<String> = sqlx::query_scalar(
            "SELECT detail FROM events WHERE kind = 'upload_reset' AND subject = $1 ORDER BY id",
        )
        .bind(sealed.manifest_hash.to_hex())
        .fetch_all(&self.db)
        .await
        .unwrap();
        details
            .iter()
            .map(|d| {
                let v: Value = serde_json::from_str(d).unwrap();
                let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                (field("reason"), field("received_sha256"))
            })
            .collect()
    }

    /// The stored object holding `image` (by its SHA-256), if any.
    pub async fn object_of(&self, image: &[u8]) -> Option<Vec<u8>> {
        let key = ObjectKey::for_digest(&tallyseal_core::hash::sha256(image));
        self.store.get(&key).await.unwrap().map(|b| b.to_vec())
    }

    /// The demo device, enrolled at station 1, seals `image` as its first capture and sends the
    /// manifest (which must be accepted).
    pub async fn first_capture_sent(&self, image: &[u8]) -> (DeviceKey, SealedCapture) {
        let device = demo::device_key();
        self.enrol(&device, 1).await;
        let sealed = seal_capture(image.to_vec(), &device, 1, &ChainState::genesis(), None);
        assert_eq!(self.send_manifest(&sealed).await.status(), 201);
        (device, sealed)
    }

    pub async fn object_exists(&self, digest: &Sha256Digest) -> bool {
        self.store
            .head(&ObjectKey::for_digest(digest))
            .await
            .unwrap()
            .is_some()
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Import the demo package (signed by the demo Commission key).
    pub async fn import_demo_package(&self) -> String {
        let (_, signed) = demo::signed_package().unwrap();
        let r = self
            .admin_post("/api/v1/elections", json!({"signed_note": signed.note}))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        signed.hash().to_hex()
    }

    /// Issue a code for NA-128 `station` and enrol `key` with it.
    pub async fn enrol(&self, key: &DeviceKey, station: u32) -> Value {
        let code = self.issue_code(station, None).await;
        let r = self
            .client
            .post(self.url("/api/v1/enrol"))
            .json(&json!({"code": code, "device_key": key.public_key().to_hex(), "officer_name": "PO Test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    pub async fn issue_code(&self, station: u32, ttl_secs: Option<u64>) -> String {
        let mut body = json!({"constituency": "NA-128", "station": station});
        if let Some(t) = ttl_secs {
            body["ttl_secs"] = json!(t);
        }
        let r = self
            .admin_post("/api/v1/elections/pk-ge-2024-demo/enrolment-codes", body)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        v["code"].as_str().unwrap().to_owned()
    }

    /// POST a sealed capture's manifest.
    /// `count` captures of random images of `bytes` bytes (seeds from `seed`), chained by
    /// `key` for NA-128 station 1, whose manifests are sent (each must be accepted).
    pub async fn send_chained_manifests(
        &self,
        key: &DeviceKey,
        count: u64,
        bytes: usize,
        seed: u64,
    ) -> Vec<SealedCapture> {
        let mut chain = ChainState::genesis();
        let mut sealed = Vec::new();
        for i in 0..count {
            let s = seal_capture(noise(bytes, seed + i), key, 1, &chain, None);
            chain = s.next_chain();
            assert_eq!(self.send_manifest(&s).await.status(), 201);
            sealed.push(s);
        }
        sealed
    }

    pub async fn send_manifest(&self, sealed: &SealedCapture) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/captures"))
            .json(&manifest_body(sealed))
            .send()
            .await
            .unwrap()
    }

    /// A tus creation request for `sealed`'s image, without a body.
    fn creation(&self, sealed: &SealedCapture) -> reqwest::RequestBuilder {
        self.client
            .post(self.url("/api/v1/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", sealed.image.len().to_string())
            .header("Upload-Metadata", upload_metadata(&sealed.manifest_hash))
            .header(UPLOAD_AUTH_HEADER, sealed.upload_auth.to_hex())
    }

    /// Keep `sealed`'s upload authorisation for the upload a creation answer names.
    fn remember_auth(&self, r: &reqwest::Response, sealed: &SealedCapture) {
        if let Some(loc) = r.headers().get("Location") {
            let url = self.url(loc.to_str().unwrap());
            self.upload_auths
                .lock()
                .unwrap()
                .insert(url, sealed.upload_auth.to_hex());
        }
    }

    /// The upload authorisation remembered for `url` (none for an upload this app did not
    /// create).
    pub fn auth_for(&self, url: &str) -> Option<String> {
        self.upload_auths.lock().unwrap().get(url).cloned()
    }

    /// A tus request to an upload URL, with the authorisation remembered for it.
    pub fn tus(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let r = self
            .client
            .request(method, url)
            .header("Tus-Resumable", "1.0.0");
        match self.auth_for(url) {
            Some(auth) => r.header(UPLOAD_AUTH_HEADER, auth),
            None => r,
        }
    }

    /// tus creation for `sealed`'s image; returns the upload URL.
    pub async fn create_upload(&self, sealed: &SealedCapture) -> String {
        let r = self.creation(sealed).send().await.unwrap();
        self.remember_auth(&r, sealed);
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let loc = r.headers()["Location"].to_str().unwrap().to_owned();
        self.url(&loc)
    }

    /// tus creation for `sealed`'s image carrying `bytes` (`creation-with-upload`).
    pub async fn create_with(&self, sealed: &SealedCapture, bytes: Vec<u8>) -> reqwest::Response {
        let r = self
            .creation(sealed)
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap();
        self.remember_auth(&r, sealed);
        r
    }

    pub async fn patch(&self, url: &str, offset: usize, bytes: Vec<u8>) -> reqwest::Response {
        self.tus(reqwest::Method::PATCH, url)
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    pub async fn head_offset(&self, url: &str) -> u64 {
        let r = self.tus(reqwest::Method::HEAD, url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.headers()["Upload-Offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// `GET path`, which must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn capture_status(&self, sealed: &SealedCapture) -> Value {
        self.get_json(&format!("/api/v1/captures/{}", sealed.manifest_hash))
            .await
    }

    /// The capture's status once the near-duplicate analysis (which runs after the verified
    /// receipt) has completed its report.
    pub async fn analysed_status(&self, sealed: &SealedCapture) -> Value {
        self.analysed_status_of(&sealed.manifest_hash.to_hex())
            .await
    }

    /// [`TestApp::analysed_status`] by manifest hash.
    pub async fn analysed_status_of(&self, manifest_hash: &str) -> Value {
        for _ in 0..600 {
            let status = self
                .get_json(&format!("/api/v1/captures/{manifest_hash}"))
                .await;
            if status["status"] == "verified" && status["report"].get("pending").is_none() {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the near-duplicate analysis of {manifest_hash} did not finish in 60 s");
    }

    pub async fn event_kinds(&self, subject: &str) -> Vec<String> {
        tallyseal_server::db::events_for(&self.db, subject)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }
}

/// Start an app on `db`/`store` with the demo package imported; `None` when skipped.
pub async fn spawn_app(db: Db, store: Store, test: &str) -> Option<TestApp> {
    let (config, dir) = test_config(db, store, test).await?;
    let app = TestApp::start(config, Arc::new(dir)).await;
    app.import_demo_package().await;
    Some(app)
}

pub fn manifest_body(sealed: &SealedCapture) -> Value {
    json!({
        "manifest": base64::engine::general_purpose::STANDARD.encode(&sealed.manifest_bytes),
        "signature": sealed.signature.to_hex(),
    })
}

pub fn upload_metadata(manifest_hash: &Sha256Digest) -> String {
    format!(
        "manifest_hash {},filename {}",
        base64::engine::general_purpose::STANDARD.encode(manifest_hash.to_hex()),
        base64::engine::general_purpose::STANDARD.encode("form45.jpg"),
    )
}

/// A real phone photo from the project's test data.
pub fn jpeg() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/images/camera_gps/nikon_P6000_DSCN0010.jpg"
    ))
    .unwrap()
}

/// `n` pseudo-random bytes (incompressible, deterministic per `seed`).
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Seal `image` for NA-128 `station` with `key`, as capture `chain`.
pub fn seal_capture(
    image: Vec<u8>,
    key: &DeviceKey,
    station: u32,
    chain: &ChainState,
    package_hash: Option<Sha256Digest>,
) -> SealedCapture {
    let mut input = demo::capture_input(image, package_hash, demo::STATION_1).unwrap();
    input.station = station;
    if station != 1 {
        input.figures = None;
    }
    seal(input, key, chain).unwrap()
}

/// The verified receipt an answer carries in `Tallyseal-Receipt`, if any.
pub fn receipt_header(r: &reqwest::Response) -> Option<tallyseal_server::provenance::Receipt> {
    let b64 = r
        .headers()
        .get(tallyseal_server::provenance::RECEIPT_HEADER)?;
    let json = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .unwrap();
    Some(serde_json::from_slice(&json).unwrap())
}

/// The problem `type` slug of a response (asserting it is problem+json).
pub async fn problem(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        ct.as_deref(),
        Some("application/problem+json"),
        "status {status}"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], status);
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let t = v["type"].as_str().unwrap();
    (
        status,
        t.strip_prefix("https://tallyseal.org/problems/")
            .unwrap()
            .to_owned(),
    )
}
