//! Console accounts: who is acting (an [`Actor`]) and what each role may do where
//! ([`authorize`], the one place every console request is authorised).

mod actor;
mod extract;

pub use actor::{Actor, ConstituencyRef, Permission, Role, Scope, authorize};
