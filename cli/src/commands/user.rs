//! `tallyseal user add|disable|enable|reset|list`: the Commission administrator manages console
//! accounts with the server's configuration and database (the same `--config`/`--data-dir` as
//! `tallyseal serve`), through the server's accounts service. A generated password is printed
//! once; `--password-stdin` reads one instead (first line). Changes are recorded as made by
//! `cli`.

use std::io::BufRead;
use std::path::PathBuf;

use tallyseal_server::accounts::{
    self, Account, AccountRequest, CLI_ACTOR, ConstituencyRef, Role, Scope,
};
use tallyseal_server::config::ServerConfig;
use tallyseal_server::db::Database;

use crate::{CliError, out};

#[derive(Debug, clap::Args)]
pub struct Where {
    /// Configuration file (TOML) of the server; `TALLYSEAL_*` variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create an account (a generated password is printed once).
    Add {
        #[command(flatten)]
        at: Where,
        /// Login name: 3-64 of a-z, 0-9, '.', '_', '-'.
        login: String,
        /// admin, ro, operator or observer.
        #[arg(long)]
        role: String,
        /// A constituency the account acts in, as ELECTION/CODE (repeat for several).
        #[arg(long = "constituency", value_name = "ELECTION/CODE")]
        constituencies: Vec<String>,
        /// Every constituency of every election (the administrator, a national observer).
        #[arg(long)]
        all: bool,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: its sessions end and it cannot sign in.
    Disable {
        #[command(flatten)]
        at: Where,
        login: String,
    },
    /// Enable a disabled account again.
    Enable {
        #[command(flatten)]
        at: Where,
        login: String,
    },
    /// Give an account a new password (generated and printed, or from stdin); its sessions end.
    Reset {
        #[command(flatten)]
        at: Where,
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every account.
    List {
        #[command(flatten)]
        at: Where,
    },
}

fn config(at: &Where) -> Result<ServerConfig, CliError> {
    let mut config = ServerConfig::load(at.config.as_deref())
        .map_err(|e| CliError::Usage(format!("configuration: {e}")))?;
    if let Some(d) = &at.data_dir {
        config.data_dir = d.clone();
    }
    Ok(config)
}

async fn open(at: &Where) -> Result<Database, CliError> {
    let config = config(at)?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| CliError::Io(config.data_dir.clone(), e))?;
    Database::connect(&config.effective_database_url(), 2)
        .await
        .map_err(|e| CliError::Failed(format!("database: {e}")))
}

fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Failed(format!("standard input: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn failed(e: accounts::AccountError) -> CliError {
    match e {
        accounts::AccountError::Database(_) | accounts::AccountError::Hash(_) => {
            CliError::Failed(e.to_string())
        }
        other => CliError::Usage(other.to_string()),
    }
}

async fn account(db: &Database, login: &str) -> Result<Account, CliError> {
    accounts::find_by_login(db, login)
        .await
        .map_err(failed)?
        .ok_or_else(|| CliError::Usage(format!("no account named {login:?}")))
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::All => "all".to_owned(),
        Scope::Constituencies(list) => list
            .iter()
            .map(|c| format!("{}/{}", c.election, c.code))
            .collect::<Vec<_>>()
            .join(","),
    }
}

pub fn run(command: Command) -> Result<u8, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(run_async(command))
}

async fn run_async(command: Command) -> Result<u8, CliError> {
    match command {
        Command::Add {
            at,
            login,
            role,
            constituencies,
            all,
            password_stdin,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                CliError::Usage(format!(
                    "--role {role:?}: one of admin, ro, operator, observer"
                ))
            })?;
            let scope = match (all, constituencies.is_empty()) {
                (true, true) => Scope::All,
                (false, false) => Scope::Constituencies(
                    constituencies
                        .iter()
                        .map(|c| match c.split_once('/') {
                            Some((e, code)) if !e.is_empty() && !code.is_empty() => {
                                Ok(ConstituencyRef::new(e, code))
                            }
                            _ => Err(CliError::Usage(format!(
                                "--constituency {c:?}: expected ELECTION/CODE"
                            ))),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => {
                    return Err(CliError::Usage(
                        "give --all or at least one --constituency ELECTION/CODE, not both".into(),
                    ));
                }
            };
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let db = open(&at).await?;
            let created = accounts::create_account(
                &db,
                CLI_ACTOR,
                AccountRequest {
                    login,
                    role,
                    scope,
                    password,
                },
            )
            .await
            .map_err(failed)?;
            let a = &created.account;
            out(&format!(
                "created {} ({}), role {}, constituencies {}\n",
                a.login,
                a.user_id,
                a.role,
                scope_text(&a.scope)
            ));
            if let Some(p) = created.generated_password {
                out(&format!("password (shown once): {p}\n"));
            }
        }
        Command::Disable { at, login } => {
            let db = open(&at).await?;
            let a = account(&db, &login).await?;
            accounts::set_enabled(&db, CLI_ACTOR, &a, false)
                .await
                .map_err(failed)?;
            out(&format!("disabled {login}; its sessions have ended\n"));
        }
        Command::Enable { at, login } => {
            let db = open(&at).await?;
            let a = account(&db, &login).await?;
            accounts::set_enabled(&db, CLI_ACTOR, &a, true)
                .await
                .map_err(failed)?;
            out(&format!("enabled {login}\n"));
        }
        Command::Reset {
            at,
            login,
            password_stdin,
        } => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let db = open(&at).await?;
            let a = account(&db, &login).await?;
            let generated = accounts::reset_password(&db, CLI_ACTOR, &a, password)
                .await
                .map_err(failed)?;
            out(&format!(
                "new password set for {login}; its sessions have ended\n"
            ));
            if let Some(p) = generated {
                out(&format!("password (shown once): {p}\n"));
            }
        }
        Command::List { at } => {
            let db = open(&at).await?;
            let list = accounts::list_accounts(&db).await.map_err(failed)?;
            out("login\tuser id\trole\tconstituencies\tstatus\tcreated by\n");
            for a in list {
                out(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\n",
                    a.login,
                    a.user_id,
                    a.role,
                    scope_text(&a.scope),
                    if a.disabled { "disabled" } else { "active" },
                    a.created_by
                ));
            }
        }
    }
    Ok(0)
}
