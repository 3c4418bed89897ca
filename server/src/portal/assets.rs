//! The portal's own static files, built into the binary: its stylesheet (`static/portal.css`)
//! and the constituency page's live updates (`static/portal-live.js`, ours, no dependency). Each
//! is served at `/portal/static/<name>.<first 16 hex of its SHA-256>.<ext>` with a year-long
//! immutable cache, like the console's assets. No web fonts, nothing fetched from elsewhere.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One file and its URL.
#[derive(Debug)]
pub struct PortalAsset {
    pub url: String,
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

fn asset(stem: &str, ext: &str, bytes: &'static [u8], content_type: &'static str) -> PortalAsset {
    let hash = hex::encode(Sha256::digest(bytes));
    PortalAsset {
        url: format!("/portal/static/{stem}.{}.{ext}", &hash[..16]),
        bytes,
        content_type,
    }
}

/// The portal's stylesheet.
pub static CSS: LazyLock<PortalAsset> = LazyLock::new(|| {
    asset(
        "portal",
        "css",
        include_bytes!("../../static/portal.css"),
        "text/css; charset=utf-8",
    )
});

/// The constituency page's live updates over server-sent events.
pub static LIVE_JS: LazyLock<PortalAsset> = LazyLock::new(|| {
    asset(
        "portal-live",
        "js",
        include_bytes!("../../static/portal-live.js"),
        "text/javascript; charset=utf-8",
    )
});

/// The asset at `path`, if it is one.
pub fn find(path: &str) -> Option<&'static PortalAsset> {
    [&*CSS, &*LIVE_JS].into_iter().find(|a| a.url == path)
}
