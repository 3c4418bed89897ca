//! What every portal page shares: the reader's language, the link to the same page in the other
//! language, the language suffix every internal link carries, and the asset URLs.
//!
//! The language is part of the URL (`?lang=en`, `?lang=ur`) and every link of the portal keeps
//! it, so a page's bytes depend on its URL alone and nginx or a CDN can cache it. A URL without
//! `lang` is negotiated (the console's `lang` cookie, then `Accept-Language`) and its answer says
//! `Vary: Accept-Language, Cookie`. The portal never sets a cookie: a cached answer must not
//! carry one.

use actix_web::HttpRequest;

use super::assets;
use crate::i18n::{Lang, Tr};

/// The layout's context.
#[derive(Debug, Clone)]
pub struct PortalContext {
    pub tr: Tr,
    /// `?lang=<code>`, appended to every internal link.
    pub q: String,
    /// This page in the other language.
    pub switch_href: String,
    pub other_lang: &'static str,
    pub css: &'static str,
    pub live_js: &'static str,
    /// Whether the language came from the request's headers rather than its URL.
    pub negotiated: bool,
}

impl PortalContext {
    /// The context of a request.
    pub fn new(req: &HttpRequest) -> PortalContext {
        let (lang, chosen) = crate::web::page::lang_of(req);
        PortalContext::with(lang, req.path(), chosen.is_none())
    }

    /// The context of a page at `path` in `lang`.
    pub fn with(lang: Lang, path: &str, negotiated: bool) -> PortalContext {
        let other = lang.other();
        PortalContext {
            tr: Tr::new(lang),
            q: format!("?lang={}", lang.code()),
            switch_href: format!("{path}?lang={}", other.code()),
            other_lang: other.code(),
            css: &assets::CSS.url,
            live_js: &assets::LIVE_JS.url,
            negotiated,
        }
    }

    /// An internal link to `path` in this language.
    pub fn href(&self, path: &str) -> String {
        format!("{path}{}", self.q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_language() {
        let c = PortalContext::with(Lang::Ur, "/portal", false);
        assert_eq!(c.href("/portal/elections/x"), "/portal/elections/x?lang=ur");
        assert_eq!(c.switch_href, "/portal?lang=en");
        assert_eq!(c.tr.dir(), "rtl");
    }
}
