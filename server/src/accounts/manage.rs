//! Managing console accounts: create, disable, enable, reset a password, list; and the
//! [`Actor`] an account acts as. Nothing is changed in place: each change is a new
//! `account_changes` row with its event, and an account's state is derived from the latest.
//!
//! Two doors: [`create_account`] and the `*_account` functions act for the Commission's
//! administrator (the `tallyseal user` command); [`create_operator`] and [`disable_operator`]
//! act for a console user with `ManageOperators`, within that user's constituencies.

use serde_json::json;

use super::error::AccountError;
use super::password;
use super::{Actor, ConstituencyRef, Permission, Role, Scope, authorize};
use crate::db::{self, AccountChange, AccountRow, ChangeKind, Database, NewAccount};

/// Who creates or changes an account: a console user's id, or `cli` (the server's operator).
pub const CLI_ACTOR: &str = "cli";

/// An account with its derived state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user_id: String,
    pub login: String,
    pub role: Role,
    pub scope: Scope,
    pub created_by: String,
    pub created_at_ms: i64,
    pub disabled: bool,
}

/// What a new account is.
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub login: String,
    pub role: Role,
    pub scope: Scope,
    /// `None`: a password is generated and returned once.
    pub password: Option<String>,
}

/// A created account and, when it was generated, its password (shown once, stored nowhere).
#[derive(Debug, Clone)]
pub struct CreatedAccount {
    pub account: Account,
    pub generated_password: Option<String>,
}

/// Whether `login` is a valid login name: 3–64 of `a-z 0-9 . _ -`, starting with a letter or
/// digit. Names are shown in pages and logs, so nothing else is allowed.
pub fn valid_login(login: &str) -> bool {
    (3..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && login
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Create an account (the administrator's door).
pub async fn create_account(
    db: &Database,
    by: &str,
    req: AccountRequest,
) -> Result<CreatedAccount, AccountError> {
    if !valid_login(&req.login) {
        return Err(AccountError::InvalidLogin);
    }
    if req.scope == Scope::Constituencies(Vec::new()) {
        return Err(AccountError::EmptyScope);
    }
    let (password, generated) = match req.password {
        Some(p) if p.chars().count() >= password::MIN_PASSWORD_CHARS => (p, false),
        Some(_) => return Err(AccountError::WeakPassword),
        None => (password::generate_password()?, true),
    };
    let hash = password::hash_password_off_thread(password.clone()).await?;
    let user_id = format!(
        "u-{}",
        crate::random_hex(8).map_err(password::HashError::from_display)?
    );
    let now = crate::now_ms();
    let (scope_all, scope) = match &req.scope {
        Scope::All => (1, Vec::new()),
        Scope::Constituencies(list) => (
            0,
            list.iter()
                .map(|c| (c.election.clone(), c.code.clone()))
                .collect(),
        ),
    };
    let row = AccountRow {
        user_id: user_id.clone(),
        login: req.login.clone(),
        role: req.role.as_str().to_owned(),
        scope_all,
        created_by: by.to_owned(),
        created_at_ms: now,
    };
    let new = NewAccount {
        row,
        scope,
        password_hash: hash,
    };
    if !db.insert_account(&new).await? {
        return Err(AccountError::LoginTaken);
    }
    Ok(CreatedAccount {
        account: Account {
            user_id,
            login: req.login,
            role: req.role,
            scope: req.scope,
            created_by: by.to_owned(),
            created_at_ms: now,
            disabled: false,
        },
        generated_password: generated.then_some(password),
    })
}

/// An RO (or the administrator) creates an operator for one of their constituencies.
pub async fn create_operator(
    db: &Database,
    actor: &Actor,
    login: &str,
    constituency: &ConstituencyRef,
) -> Result<CreatedAccount, AccountError> {
    if !authorize(actor, Permission::ManageOperators, Some(constituency)) {
        return Err(AccountError::Forbidden);
    }
    let req = AccountRequest {
        login: login.to_owned(),
        role: Role::Operator,
        scope: Scope::Constituencies(vec![constituency.clone()]),
        password: None,
    };
    create_account(db, &actor.user_id, req).await
}

/// The operators whose constituencies all lie in `actor`'s scope (what an RO may manage).
pub async fn operators_for(db: &Database, actor: &Actor) -> Result<Vec<Account>, AccountError> {
    if !authorize(actor, Permission::ManageOperators, None) {
        return Err(AccountError::Forbidden);
    }
    let mut out = Vec::new();
    for account in list_accounts(db).await? {
        if account.role == Role::Operator && manages(actor, &account) {
            out.push(account);
        }
    }
    Ok(out)
}

/// Whether `actor` (with `ManageOperators`) manages this operator account.
fn manages(actor: &Actor, account: &Account) -> bool {
    account.role == Role::Operator
        && match &account.scope {
            Scope::All => actor.scope == Scope::All,
            Scope::Constituencies(list) => list
                .iter()
                .all(|c| authorize(actor, Permission::ManageOperators, Some(c))),
        }
}

/// An RO (or the administrator) disables an operator of their constituencies.
pub async fn disable_operator(
    db: &Database,
    actor: &Actor,
    user_id: &str,
) -> Result<Account, AccountError> {
    let account = get_account(db, user_id)
        .await?
        .ok_or(AccountError::UnknownAccount)?;
    if !manages(actor, &account) {
        return Err(AccountError::Forbidden);
    }
    set_enabled(db, &actor.user_id, &account, false).await?;
    Ok(account)
}

/// Disable (`enabled` false) or enable an account: a new change row and event; disabling also
/// ends its sessions. Doing what is already the case records nothing.
pub async fn set_enabled(
    db: &Database,
    by: &str,
    account: &Account,
    enabled: bool,
) -> Result<(), AccountError> {
    if account.disabled != enabled {
        return Ok(());
    }
    let (kind, event) = if enabled {
        (ChangeKind::Enabled, "account_enabled")
    } else {
        (ChangeKind::Disabled, "account_disabled")
    };
    db.append_account_change(&AccountChange {
        user_id: account.user_id.clone(),
        kind,
        password_hash: None,
        by_user: by.to_owned(),
        at_ms: crate::now_ms(),
        event_kind: event,
        event_detail: json!({ "by": by }),
    })
    .await?;
    Ok(())
}

/// A new password for an account (given, or generated and returned); its sessions end.
pub async fn reset_password(
    db: &Database,
    by: &str,
    account: &Account,
    new_password: Option<String>,
) -> Result<Option<String>, AccountError> {
    let (password, generated) = match new_password {
        Some(p) if p.chars().count() >= password::MIN_PASSWORD_CHARS => (p, false),
        Some(_) => return Err(AccountError::WeakPassword),
        None => (password::generate_password()?, true),
    };
    let hash = password::hash_password_off_thread(password.clone()).await?;
    db.append_account_change(&AccountChange {
        user_id: account.user_id.clone(),
        kind: ChangeKind::Password,
        password_hash: Some(hash),
        by_user: by.to_owned(),
        at_ms: crate::now_ms(),
        event_kind: "account_password_reset",
        event_detail: json!({ "by": by }),
    })
    .await?;
    Ok(generated.then_some(password))
}

/// The account with this id, with its derived state.
pub async fn get_account(db: &Database, user_id: &str) -> Result<Option<Account>, AccountError> {
    match db::get_account(&db.pool, user_id).await? {
        Some(row) => Ok(Some(derive(db, row).await?)),
        None => Ok(None),
    }
}

/// The account with this login name, with its derived state.
pub async fn find_by_login(db: &Database, login: &str) -> Result<Option<Account>, AccountError> {
    match db::get_account_by_login(&db.pool, login).await? {
        Some(row) => Ok(Some(derive(db, row).await?)),
        None => Ok(None),
    }
}

/// Every account, by login name.
pub async fn list_accounts(db: &Database) -> Result<Vec<Account>, AccountError> {
    let mut out = Vec::new();
    for row in db::list_accounts(&db.pool).await? {
        out.push(derive(db, row).await?);
    }
    Ok(out)
}

/// The actor an enabled account acts as; `None` for a disabled or unknown account.
pub async fn actor_of(db: &Database, user_id: &str) -> Result<Option<Account>, AccountError> {
    Ok(get_account(db, user_id).await?.filter(|a| !a.disabled))
}

impl Account {
    /// The [`Actor`] this account acts as.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id.clone(),
            role: self.role,
            scope: self.scope.clone(),
        }
    }
}

async fn derive(db: &Database, row: AccountRow) -> Result<Account, AccountError> {
    let role = Role::parse(&row.role).ok_or_else(|| {
        AccountError::Database(sqlx::Error::Decode(
            format!("unknown role {:?}", row.role).into(),
        ))
    })?;
    let scope = if row.scope_all == 1 {
        Scope::All
    } else {
        Scope::Constituencies(
            db::account_scope(&db.pool, &row.user_id)
                .await?
                .into_iter()
                .map(|(e, c)| ConstituencyRef::new(e, c))
                .collect(),
        )
    };
    let disabled = db::is_disabled(&db.pool, &row.user_id).await?;
    Ok(Account {
        user_id: row.user_id,
        login: row.login,
        role,
        scope,
        created_by: row.created_by,
        created_at_ms: row.created_at_ms,
        disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::valid_login;

    #[test]
    fn login_names_are_plain() {
        for ok in ["ro-na46", "op.1", "a_b", "abc"] {
            assert!(valid_login(ok), "{ok}");
        }
        for bad in ["ab", "<script>", "Upper", "-lead", "a b", &"x".repeat(65)] {
            assert!(!valid_login(bad), "{bad}");
        }
    }
}
