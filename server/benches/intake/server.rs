//! The server under benchmark: its configuration on PostgreSQL + S3 (from the test services'
//! variables) and the child process that serves it, with the log on or off.

use tallyseal_core::demo;
use tallyseal_server::config::{ObjectStoreConfig, S3Config, ServerConfig};

use crate::log_watch;

pub async fn production_config(dir: &std::path::Path) -> Option<ServerConfig> {
    use sqlx::{Connection, Executor};
    let admin = std::env::var("TALLYSEAL_TEST_PG_URL").ok()?;
    let endpoint = std::env::var("TALLYSEAL_TEST_S3_ENDPOINT").ok()?;
    let name = format!("bench_{}", tallyseal_server::random_hex(6).unwrap());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/')?;
    Some(ServerConfig {
        data_dir: dir.join(&name),
        database_url: Some(format!("{base}/{name}")),
        database_max_connections: 32,
        object_store: ObjectStoreConfig::S3(S3Config {
            endpoint: Some(endpoint),
            bucket: std::env::var("TALLYSEAL_TEST_S3_BUCKET").ok()?,
            region: std::env::var("TALLYSEAL_TEST_S3_REGION").unwrap_or_else(|_| "garage".into()),
            access_key_id: std::env::var("TALLYSEAL_TEST_S3_ACCESS_KEY").ok()?,
            secret_access_key: std::env::var("TALLYSEAL_TEST_S3_SECRET_KEY").ok()?,
            path_style: true,
            prefix: format!("{name}/"),
            timeout_secs: 60,
        }),
        ..ServerConfig::default()
    })
}

/// The server child process; killed on drop.
pub struct ServerProcess(pub std::process::Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `log_file`: the log's TOML (origin and witnesses) with capture leaves on; `None`: off.
pub fn spawn_server(
    config: &ServerConfig,
    port: u16,
    log_file: Option<&std::path::Path>,
) -> ServerProcess {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    match log_file {
        Some(file) => cmd
            .env("TALLYSEAL_BENCH_CONFIG", file)
            .env("TALLYSEAL_LOG_KEY", hex::encode(log_watch::LOG_SEED)),
        None => cmd.env("TALLYSEAL_LOG_CAPTURES", "off"),
    };
    cmd.env("TALLYSEAL_BENCH_ROLE", "server")
        .env("TALLYSEAL_DATA_DIR", &config.data_dir)
        .env("TALLYSEAL_BIND", format!("127.0.0.1:{port}"))
        .env("TALLYSEAL_ADMIN_TOKEN", "bench-admin-token-0123456789")
        .env("TALLYSEAL_SERVER_KEY", hex::encode(demo::SERVER_SEED))
        // Every benchmark client shares the loopback address: no per-address connection cap.
        .env("TALLYSEAL_CONNECTIONS_PER_CLIENT", "0")
        .env(
            "TALLYSEAL_TRUSTED_PACKAGE_KEYS",
            demo::commission_verifier().unwrap().to_vkey(),
        );
    if let Some(url) = &config.database_url {
        cmd.env("TALLYSEAL_DATABASE_URL", url);
    }
    if let ObjectStoreConfig::S3(s3) = &config.object_store {
        cmd.env("TALLYSEAL_OBJECT_STORE", "s3")
            .env(
                "TALLYSEAL_S3_ENDPOINT",
                s3.endpoint.clone().unwrap_or_default(),
            )
            .env("TALLYSEAL_S3_BUCKET", &s3.bucket)
            .env("TALLYSEAL_S3_REGION", &s3.region)
            .env("TALLYSEAL_S3_ACCESS_KEY", &s3.access_key_id)
            .env("TALLYSEAL_S3_SECRET_KEY", &s3.secret_access_key)
            .env("TALLYSEAL_S3_PREFIX", &s3.prefix);
    }
    ServerProcess(cmd.spawn().expect("spawn server"))
}
