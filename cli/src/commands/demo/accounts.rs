//! The night's console accounts, made through the server's accounts service as `tallyseal user
//! add` makes them: a Returning Officer per constituency (`ro-na-128`, …) and two data-entry
//! operators for them all (`operator-1`, `operator-2`). The demo's password is fixed and printed:
//! these accounts exist for a demonstration on loopback, never for real use.
//!
//! An account that exists already (a second run) is left as it is.

use tallyseal_server::accounts::{self, AccountRequest, CLI_ACTOR, ConstituencyRef, Role, Scope};
use tallyseal_server::db::Database;

use crate::CliError;

/// Every demo account's password (at least 12 characters, as the console requires).
pub const DEMO_PASSWORD: &str = "demo-night-2024";

/// The operators' logins.
pub const OPERATORS: [&str; 2] = ["operator-1", "operator-2"];

/// A demo account to print.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub login: String,
    pub role: &'static str,
    pub what: String,
}

/// The RO login of a constituency: `NA-128` → `ro-na-128`.
pub fn ro_login(code: &str) -> String {
    format!("ro-{}", code.to_lowercase())
}

async fn ensure(db: &Database, login: &str, role: Role, scope: Scope) -> Result<(), CliError> {
    if accounts::find_by_login(db, login)
        .await
        .map_err(|e| CliError::Failed(format!("accounts: {e}")))?
        .is_some()
    {
        return Ok(());
    }
    accounts::create_account(
        db,
        CLI_ACTOR,
        AccountRequest {
            login: login.to_owned(),
            role,
            scope,
            password: Some(DEMO_PASSWORD.to_owned()),
        },
    )
    .await
    .map_err(|e| CliError::Failed(format!("account {login}: {e}")))?;
    Ok(())
}

/// Make the accounts (those missing) for `election`'s `constituencies`.
pub async fn ensure_all(
    db: &Database,
    election: &str,
    constituencies: &[String],
) -> Result<Vec<DemoAccount>, CliError> {
    let mut made = Vec::new();
    for code in constituencies {
        let login = ro_login(code);
        ensure(
            db,
            &login,
            Role::ReturningOfficer,
            Scope::Constituencies(vec![ConstituencyRef::new(election, code)]),
        )
        .await?;
        made.push(DemoAccount {
            login,
            role: "Returning Officer",
            what: code.clone(),
        });
    }
    let all: Vec<ConstituencyRef> = constituencies
        .iter()
        .map(|c| ConstituencyRef::new(election, c))
        .collect();
    for login in OPERATORS {
        ensure(
            db,
            login,
            Role::Operator,
            Scope::Constituencies(all.clone()),
        )
        .await?;
        made.push(DemoAccount {
            login: login.to_owned(),
            role: "operator",
            what: "double entry, every constituency".into(),
        });
    }
    Ok(made)
}
