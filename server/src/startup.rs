//! Building and running the server (zero2prod style): [`Application::build`] opens the data
//! directory, database and object store, loads the keys, binds the listener and returns the running
//! app with its port; [`run`] builds and serves until stopped (what `tallyseal serve` calls).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::config::{ObjectStoreConfig, ServerConfig};
use crate::db::{self, Database};
use crate::error;
use crate::provenance;
use crate::routes;
use crate::secrets;
use crate::state::AppState;
use crate::store::{LocalFsStore, ObjectStore, s3::S3Store};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The store's own message already says "object store".
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("secrets: {0}")]
    Secret(#[from] secrets::SecretError),
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("package keys: {0}")]
    PackageKeys(String),
    #[error("transparency log: {0}")]
    Log(#[from] crate::log::LogSetupError),
    #[error("transparency log: {0}")]
    LogKey(String),
    #[error("transparency log's witnesses: {0}")]
    WitnessSet(#[from] crate::log::witness_set::WitnessSetError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

/// A bound, running server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Open everything and bind; the server runs once the returned value is awaited or spawned
    /// via [`Application::run_until_stopped`].
    pub async fn build(config: ServerConfig) -> Result<Application, StartupError> {
        config.validate()?;
        let dir = &config.data_dir;
        std::fs::create_dir_all(dir)
            .map_err(|e| StartupError::DataDir(dir.display().to_string(), e))?;
        let uploads_dir = dir.join("uploads");
        std::fs::create_dir_all(&uploads_dir)
            .map_err(|e| StartupError::DataDir(uploads_dir.display().to_string(), e))?;

        let mut db = Database::connect(
            &config.effective_database_url(),
            config.database_max_connections,
        )
        .await?;
        if let Some(url) = &config.database_read_url {
            db = db.with_read_replica(url, config.database_max_connections)?;
        }
        let store: Arc<dyn ObjectStore> = match &config.object_store {
            ObjectStoreConfig::Local { path } => Arc::new(LocalFsStore::open(
                path.clone().unwrap_or_else(|| dir.join("objects")),
            )?),
            ObjectStoreConfig::S3(s3) => Arc::new(S3Store::new(s3)),
        };
        // The database's Commission key, if it has one: every server on it signs with that key.
        let recorded = db::recorded_commission_key(&db.pool).await?;
        let commission_key = secrets::load_commission_key(&config, recorded.as_deref())?;
        if recorded.is_none() {
            let ours = commission_key.public_key().to_hex();
            let in_force = db.record_commission_key(&ours, crate::now_ms()).await?;
            // Another server, starting at the same moment, may have recorded its key first.
            secrets::is_the_database_key(&commission_key, &in_force)?;
        }
        let admin_token = secrets::load_admin_token(&config)?;
        let session_key = secrets::load_session_key(&config)?;
        let package_signer = provenance::server_signer(&config.commission_name, &commission_key)
            .map_err(|e| StartupError::PackageKeys(e.to_string()))?;
        let mut package_verifiers = vec![package_signer.verifier()];
        for vkey in &config.trusted_package_keys {
            package_verifiers.push(
                provenance::Verifier::parse(vkey)
                    .map_err(|e| StartupError::PackageKeys(format!("{vkey}: {e}")))?,
            );
        }

        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| StartupError::Bind(config.bind.clone(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(config.bind.clone(), e))?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let log_state = open_log(&config, &db, &public_url).await?;
        crate::log::witness_set::record(&db, &log_state.witness_vkeys(), crate::now_ms()).await?;
        log::info!(
            "tallyseal server on {addr}: database {:?}{}, objects {}, commission key {}",
            db.backend,
            if db.has_read_replica() {
                " (public reads on a read replica)"
            } else {
                ""
            },
            store.describe(),
            commission_key.public_key()
        );

        let state = web::Data::new(
            AppState {
                db,
                store,
                commission_key: Arc::new(commission_key),
                admin_token,
                uploads_dir,
                busy_uploads: Arc::new(Mutex::new(Default::default())),
                public_url,
                package_signer: Arc::new(package_signer),
                package_verifiers,
                packages: Arc::new(Mutex::new(Default::default())),
                analysis: Default::default(),
                manifest_facts: Default::default(),
                board_feed: Default::default(),
                log: Arc::new(log_state),
                config: config.clone(),
                public_memo: Default::default(),
                public_reads: None,
            }
            .with_public_reads(),
        );
        if let Some(previous) = &state.log.previous {
            crate::log::rotation::complete(&state, previous)
                .await
                .map_err(|e| StartupError::LogKey(e.to_string()))?;
        }
        crate::analysis::spawn(state.clone());
        crate::log::sequencer::spawn(state.clone());
        crate::sweep::spawn(state.clone());
        let server_state = state.clone();
        let pace = crate::body_timeout::BodyPace {
            idle: std::time::Duration::from_secs(config.limits.body_idle_secs),
            min_bytes_per_sec: config.limits.body_min_bytes_per_sec,
            window: std::time::Duration::from_secs(config.limits.body_rate_window_secs),
        };
        let connections =
            crate::connection_limits::ConnectionCounts::new(config.limits.connections_per_client);
        let session_store = crate::accounts::session_store::ConsoleSessionStore::new(
            state.db.clone(),
            &config.console,
        );
        let secure_cookie = config.console_secure_cookie();
        let mut server = HttpServer::new(move || {
            let limits = &server_state.config.limits;
            App::new()
                .wrap(from_fn(crate::web::session_layer::console_session))
                .wrap(crate::web::session_layer::session_middleware(
                    session_store.clone(),
                    session_key.clone(),
                    secure_cookie,
                ))
                .wrap(from_fn(crate::web::session_layer::console_cookie_only))
                .wrap_fn(move |mut req, srv| {
                    use actix_web::HttpMessage;
                    use actix_web::dev::Service;
                    let payload = req.take_payload();
                    req.set_payload(crate::body_timeout::paced(payload, pace));
                    srv.call(req)
                })
                .wrap(from_fn(crate::bearer_challenge::challenge_on_401))
                .wrap(from_fn(crate::cors::apply))
                .wrap(from_fn(crate::connection_limits::refuse_over_cap))
                .wrap_fn(crate::access_log::observe)
                .app_data(server_state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(limits.max_json_bytes)
                        .error_handler(error::json_error),
                )
                .app_data(web::PathConfig::default().error_handler(error::path_error))
                .configure(routes::configure)
                .configure(crate::metrics::configure)
                .configure(crate::landing::configure)
                .configure(routes::console::configure)
                .configure(crate::web::assets::configure)
                .default_service(web::to(error::not_found))
        })
        .on_connect(move |connection, data| connections.on_connect(connection, data))
        .listen(listener)
        .map_err(|e| StartupError::Bind(config.bind.clone(), e))?;
        if let Some(workers) = config.workers {
            server = server.workers(workers.max(1));
        }
        let server = server.run();
        Ok(Application {
            port: addr.port(),
            server,
            state,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The commission public key (what clients trust for receipts and packages).
    pub fn commission_key(&self) -> tallyseal_core::keys::PublicKey {
        self.state.commission_key.public_key()
    }

    /// The transparency log's origin, checkpoint vkey and witness vkeys.
    pub fn log_keys(&self) -> (String, String, Vec<String>) {
        let log = &self.state.log;
        (log.origin.clone(), log.vkey(), log.witness_vkeys())
    }

    /// The state the handlers share (tests mount extra services over the running server's state,
    /// or drive a worker's steps themselves, like the log's split view).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The admin bearer token in force.
    pub fn admin_token(&self) -> String {
        self.state.admin_token.as_str().to_owned()
    }

    /// Serve until the server is stopped (Ctrl-C / SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The log this server signs: the origin the database records (the first server's), or this
/// server's, which it then records; and its key, which must be the key in force (the recorded
/// one, or the latest change's). A server given the key in force as its previous key and a new
/// one changes the log's key ([`crate::log::rotation`], completed before it sequences); any
/// other key refuses to start.
async fn open_log(
    config: &ServerConfig,
    db: &Database,
    public_url: &str,
) -> Result<crate::log::LogState, StartupError> {
    let recorded = db::recorded_log_identity(&db.pool).await?;
    let key = secrets::load_log_key(config, recorded.is_some())?;
    let origin = match &recorded {
        Some((origin, _)) => origin.clone(),
        None => config
            .log_origin
            .clone()
            .unwrap_or_else(|| crate::log::default_origin(public_url)),
    };
    let mut log = crate::log::LogState::new(config, &origin, &key)?;
    let ours = log.vkey();
    if recorded.is_none() {
        db.record_log_identity(&origin, &ours, crate::now_ms())
            .await?;
    }
    let in_force = db::log_key_in_force(&db.pool).await?.unwrap_or_default();
    if in_force == ours {
        return Ok(log);
    }
    if let Some(previous) = secrets::load_previous_log_key(config)? {
        let signer = crate::provenance::log_signer(&origin, &previous)
            .map_err(|e| StartupError::LogKey(e.to_string()))?;
        if signer.verifier().to_vkey() == in_force {
            log.previous = Some(signer);
            return Ok(log);
        }
    }
    Err(StartupError::LogKey(
        secrets::SecretError::LogKeyMismatch {
            ours,
            recorded: in_force,
        }
        .to_string(),
    ))
}

/// Build and serve with `config` until stopped.
pub async fn run(config: ServerConfig) -> Result<(), StartupError> {
    let app = Application::build(config).await?;
    app.run_until_stopped()
        .await
        .map_err(|e| StartupError::Bind("server".into(), e))
}
