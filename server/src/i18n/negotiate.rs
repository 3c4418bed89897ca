//! Which language a request gets: `?lang=` first, then the `lang` cookie (set when someone
//! chose with the switch), then the browser's `Accept-Language` (by quality), else English.

use super::Lang;

/// The cookie remembering the language chosen with the switch.
pub const LANG_COOKIE: &str = "lang";

/// The language for a request.
pub fn negotiate(query: Option<&str>, cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(l) = query.and_then(Lang::parse) {
        return l;
    }
    if let Some(l) = cookie.and_then(Lang::parse) {
        return l;
    }
    accept_language
        .and_then(from_accept_language)
        .unwrap_or(Lang::En)
}

/// The best language of an `Accept-Language` header that the pages have.
fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(lang) = Lang::parse(tag)
            && q > 0.0
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_then_cookie_then_accept_language() {
        assert_eq!(negotiate(Some("ur"), Some("en"), Some("en")), Lang::Ur);
        assert_eq!(negotiate(Some("xx"), Some("ur"), Some("en")), Lang::Ur);
        assert_eq!(
            negotiate(None, None, Some("fr, ur-PK;q=0.8, en;q=0.5")),
            Lang::Ur
        );
        assert_eq!(
            negotiate(None, None, Some("ur;q=0.2, en-GB;q=0.9")),
            Lang::En
        );
        assert_eq!(negotiate(None, None, Some("ur;q=0")), Lang::En);
        assert_eq!(negotiate(None, None, None), Lang::En);
    }
}
