//! The shell every console page (and later the public portal) lives in: the session layer that
//! puts the signed-in [`crate::accounts::Actor`] into each console request (`session_layer`),
//! the anti-forgery checks (`csrf`), cookies (`cookies`), the shared page context, layout and
//! error pages (`page`), the stylesheet and htmx built into the binary (`assets`), and the
//! in-browser verifier's module, script and words (`verifier_assets`).
//!
//! Must never query the database itself (it calls the accounts service) nor render anything
//! unescaped.

pub mod assets;
pub mod board_view;
pub mod cookies;
pub mod csrf;
pub mod format;
pub mod page;
pub mod review_view;
pub mod session_layer;
pub mod verifier_assets;
