//! `tallyseal serve`: run the server. With no configuration: SQLite and a local objects folder
//! under `./tallyseal-data`, listening on 127.0.0.1:8080 (docs/server-api.md).

use std::path::PathBuf;

use tallyseal_server::config::ServerConfig;
use tallyseal_server::startup::Application;

use crate::CliError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Configuration file (TOML); `TALLYSEAL_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (overrides the configuration).
    #[arg(long)]
    bind: Option<String>,
}

pub fn run(a: Args) -> Result<u8, CliError> {
    let mut config = ServerConfig::load(a.config.as_deref())
        .map_err(|e| CliError::Usage(format!("configuration: {e}")))?;
    if let Some(d) = a.data_dir {
        config.data_dir = d;
    }
    if let Some(b) = a.bind {
        config.bind = b;
    }
    tallyseal_server::allocator::limit_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let data_dir = config.data_dir.clone();
        let app = Application::build(config)
            .await
            .map_err(|e| CliError::Failed(format!("cannot start the server: {e}")))?;
        println!("tallyseal server listening on port {}", app.port());
        println!("data directory     {}", data_dir.display());
        println!("commission key     {}", app.commission_key());
        let (origin, log_vkey, witnesses) = app.log_keys();
        println!("log origin         {origin}");
        println!("log key            {log_vkey}");
        for w in witnesses {
            println!("log witness        {w}");
        }
        println!(
            "admin token        in {}/admin-token (or TALLYSEAL_ADMIN_TOKEN)",
            data_dir.display()
        );
        app.run_until_stopped()
            .await
            .map_err(|e| CliError::Failed(format!("server stopped: {e}")))
    })?;
    Ok(0)
}
