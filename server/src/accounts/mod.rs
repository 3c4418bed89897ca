//! Console accounts: who is acting (an [`Actor`]) and what each role may do where
//! ([`authorize`], the one place every console request is authorised); the accounts themselves
//! (`manage`), their passwords (`password`, argon2id), signing in with lock-out (`login`) and
//! the sessions kept in the database (`sessions`).
//!
//! Must never store or log a password in clear, nor update an account row in place.

mod actor;
mod error;
mod extract;
pub mod login;
pub mod manage;
pub mod password;
pub mod session_store;
pub mod sessions;

pub use actor::{Actor, ConstituencyRef, Permission, Role, Scope, authorize, role_allows};
pub use error::AccountError;
pub use login::{LoginError, sign_in};
pub use manage::{
    Account, AccountRequest, CLI_ACTOR, CreatedAccount, create_account, create_operator,
    disable_operator, find_by_login, list_accounts, operators_for, reset_password, set_enabled,
};
pub use sessions::SignedIn;
