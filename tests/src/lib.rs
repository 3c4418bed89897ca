//! Shared helpers for the end-to-end tests: the real server started in-process on a free port
//! with a fresh data directory (SQLite + local objects), the demo election imported, and handles
//! to look at what the server stored.

use std::path::{Path, PathBuf};

use tallyseal_core::demo;
use tallyseal_core::keys::PublicKey;
use tallyseal_server::Application;
use tallyseal_server::config::ServerConfig;
use tallyseal_server::db::{self, Database, SubmissionRow, UploadRow};

pub use tallyseal_field::admin::IssuedCode;

/// A running server.
pub struct TestServer {
    pub url: String,
    pub admin_token: String,
    pub commission_key: PublicKey,
    pub data_dir: PathBuf,
    db: Database,
    state: std::sync::Arc<tallyseal_server::state::AppState>,
    rt: tokio::runtime::Runtime,
    serving: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// A server in a fresh temporary directory.
    pub fn start() -> Result<TestServer, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut s = TestServer::start_in(dir.path(), "127.0.0.1:0")?;
        s._dir = Some(dir);
        Ok(s)
    }

    /// A server with its data in `data_dir`, listening on `bind`; the demo election is imported
    /// and the demo server key signs receipts and anchors.
    pub fn start_in(data_dir: &Path, bind: &str) -> Result<TestServer, String> {
        Self::start_configured(data_dir, bind, |_| {})
    }

    /// A server in a fresh temporary directory, its configuration adjusted by `adjust` (the log's
    /// witnesses and key, for instance).
    pub fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Result<TestServer, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut s = TestServer::start_configured(dir.path(), "127.0.0.1:0", adjust)?;
        s._dir = Some(dir);
        Ok(s)
    }

    fn start_configured(
        data_dir: &Path,
        bind: &str,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> Result<TestServer, String> {
        let mut config = ServerConfig {
            data_dir: data_dir.to_owned(),
            bind: bind.into(),
            workers: Some(2),
            database_max_connections: 8,
            server_key_seed: Some(hex::encode(demo::SERVER_SEED)),
            trusted_package_keys: vec![
                demo::commission_verifier()
                    .map_err(|e| e.to_string())?
                    .to_vkey(),
            ],
            ..ServerConfig::default()
        };
        adjust(&mut config);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let app = rt
            .block_on(Application::build(config.clone()))
            .map_err(|e| e.to_string())?;
        let url = format!("http://127.0.0.1:{}", app.port());
        let admin_token = app.admin_token();
        let commission_key = app.commission_key();
        let state = app.state().into_inner();
        let serving = Some(rt.spawn(app.run_until_stopped()));
        let db = rt
            .block_on(Database::connect(&config.effective_database_url(), 2))
            .map_err(|e| e.to_string())?;
        let server = TestServer {
            url,
            admin_token,
            commission_key,
            data_dir: data_dir.to_owned(),
            db,
            state,
            rt,
            serving,
            _dir: None,
        };
        server.import_demo_package()?;
        Ok(server)
    }

    fn import_demo_package(&self) -> Result<(), String> {
        let (_, signed) = demo::signed_package().map_err(|e| e.to_string())?;
        tallyseal_field::admin::import_signed_package(&self.url, &self.admin_token, &signed.note)
            .map(|_| ())
            .map_err(|e| format!("import: {e}"))
    }

    /// An enrolment code for demo constituency NA-128, `station`.
    pub fn issue_code(&self, station: u32) -> Result<IssuedCode, String> {
        tallyseal_field::admin::issue_code(
            &self.url,
            &self.admin_token,
            "pk-ge-2024-demo",
            "NA-128",
            station,
        )
        .map_err(|e| e.to_string())
    }

    /// The demo Commission's C2SP verifier key (what an app would have built in).
    pub fn package_vkey() -> Result<String, String> {
        Ok(demo::commission_verifier()
            .map_err(|e| e.to_string())?
            .to_vkey())
    }

    /// Number of submission rows.
    pub fn submission_count(&self) -> Result<i64, String> {
        self.rt
            .block_on(db::count_submissions(&self.db.pool))
            .map_err(|e| e.to_string())
    }

    /// The submission row for a manifest hash.
    pub fn submission(&self, manifest_hash: &str) -> Result<Option<SubmissionRow>, String> {
        self.rt
            .block_on(db::get_submission(&self.db.pool, manifest_hash))
            .map_err(|e| e.to_string())
    }

    /// The tus upload row for a manifest hash.
    pub fn upload(&self, manifest_hash: &str) -> Result<Option<UploadRow>, String> {
        self.rt
            .block_on(db::get_upload_for_manifest(&self.db.pool, manifest_hash))
            .map_err(|e| e.to_string())
    }

    /// Audit events about a subject (a manifest hash).
    pub fn events(&self, subject: &str) -> Result<Vec<String>, String> {
        let rows = self
            .rt
            .block_on(db::events_for(&self.db.pool, subject))
            .map_err(|e| e.to_string())?;
        Ok(rows.into_iter().map(|r| r.kind).collect())
    }

    /// Serve until the server stops (SIGINT/SIGTERM are handled by actix-web's graceful stop).
    pub fn wait_until_stopped(mut self) -> Result<(), String> {
        match self.serving.take() {
            Some(h) => match self.rt.block_on(h) {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
            None => Ok(()),
        }
    }

    /// Block on a future on the server's runtime (for ad-hoc queries).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    pub fn pool(&self) -> &tallyseal_server::db::Database {
        &self.db
    }

    /// The running server's state (for test hooks such as the log's split view).
    pub fn state(&self) -> &tallyseal_server::state::AppState {
        &self.state
    }
}
