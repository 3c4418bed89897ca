//! The one message catalogue of the server's pages (console, landing page, later the portal):
//! English and Urdu Fluent files (`server/i18n/en.ftl`, `server/i18n/ur.ftl`) built into the
//! binary, the language a request asks for (`negotiate`), and [`Tr`], what templates translate
//! with.
//!
//! Bidirectional isolation: a value inserted into a message shown as text is wrapped in U+2068
//! FIRST STRONG ISOLATE … U+2069 POP DIRECTIONAL ISOLATE (Fluent's default), so a Latin login
//! name inside an Urdu sentence keeps its own direction. Attributes and URLs never get them
//! ([`Tr::attr`]): there the marks would be characters of the value. Must never build HTML:
//! templates escape what this returns.

mod negotiate;

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use negotiate::{LANG_COOKIE, negotiate};

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ur,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ur];

    /// The BCP 47 tag (`<html lang>`, `?lang=`, the cookie).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ur => "ur",
        }
    }

    /// `ltr` or `rtl` (`<html dir>`).
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Ur => "rtl",
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim();
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The other language (the switch in the header).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ur,
            Lang::Ur => Lang::En,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../../i18n/en.ftl"),
            Lang::Ur => include_str!("../../i18n/ur.ftl"),
        }
    }
}

type Bundle = FluentBundle<Arc<FluentResource>>;

struct LangBundles {
    /// Isolating: text.
    text: Bundle,
    /// Not isolating: attributes and URLs.
    plain: Bundle,
    ids: BTreeSet<String>,
}

/// Both languages, each as a text and an attribute bundle.
struct Catalogue {
    en: LangBundles,
    ur: LangBundles,
    errors: Vec<String>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut errors = Vec::new();
    let mut load = |lang: Lang| {
        let resource = match FluentResource::try_new(lang.source().to_owned()) {
            Ok(r) => r,
            Err((partial, errs)) => {
                errors.extend(errs.iter().map(|e| format!("{}: {e:?}", lang.code())));
                partial
            }
        };
        let ids = resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        let resource = Arc::new(resource);
        let langid: LanguageIdentifier = lang.code().parse().unwrap_or_default();
        let mut bundle = |isolating: bool| {
            let mut b = FluentBundle::new_concurrent(vec![langid.clone()]);
            b.set_use_isolating(isolating);
            if let Err(errs) = b.add_resource(resource.clone()) {
                errors.extend(errs.iter().map(|e| format!("{}: {e:?}", lang.code())));
            }
            b
        };
        LangBundles {
            text: bundle(true),
            plain: bundle(false),
            ids,
        }
    };
    let en = load(Lang::En);
    let ur = load(Lang::Ur);
    Catalogue { en, ur, errors }
});

impl Catalogue {
    fn bundles(&self, lang: Lang) -> &LangBundles {
        match lang {
            Lang::En => &self.en,
            Lang::Ur => &self.ur,
        }
    }
}

fn format(lang: Lang, isolating: bool, key: &str, args: &[(&str, &str)]) -> String {
    let bundles = CATALOGUE.bundles(lang);
    let bundle = if isolating {
        &bundles.text
    } else {
        &bundles.plain
    };
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        log::error!("message {key:?} missing from the {} catalogue", lang.code());
        return key.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, FluentValue::from(*value));
    }
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    if !errors.is_empty() {
        log::error!("message {key:?} ({}): {errors:?}", lang.code());
    }
    out.into_owned()
}

/// What templates translate with: the request's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// A message shown as text.
    pub fn t(&self, key: &str) -> String {
        format(self.lang, true, key, &[])
    }

    /// A message shown as text with one value inserted (isolated).
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        format(self.lang, true, key, &[(name, value)])
    }

    /// A message used in an attribute or URL: no isolation marks.
    pub fn attr(&self, key: &str) -> String {
        format(self.lang, false, key, &[])
    }

    /// An attribute message with one value inserted (not isolated).
    pub fn attr1(&self, key: &str, name: &str, value: &str) -> String {
        format(self.lang, false, key, &[(name, value)])
    }

    /// A message shown as text with several values inserted (each isolated).
    pub fn tn(&self, key: &str, args: &[(&str, &str)]) -> String {
        format(self.lang, true, key, args)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn dir(&self) -> &'static str {
        self.lang.dir()
    }
}

/// Problems found loading the catalogue (syntax errors, duplicate keys); empty when sound.
pub fn catalogue_errors() -> Vec<String> {
    CATALOGUE.errors.clone()
}

/// The message keys of a language.
pub fn keys(lang: Lang) -> BTreeSet<String> {
    CATALOGUE.bundles(lang).ids.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys_and_load_cleanly() {
        assert_eq!(catalogue_errors(), Vec::<String>::new());
        let en = keys(Lang::En);
        let ur = keys(Lang::Ur);
        let only_en: Vec<_> = en.difference(&ur).collect();
        let only_ur: Vec<_> = ur.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in ur.ftl: {only_en:?}");
        assert!(only_ur.is_empty(), "missing in en.ftl: {only_ur:?}");
        assert!(en.len() > 50, "{}", en.len());
    }

    #[test]
    fn text_isolates_inserted_values_and_attributes_do_not() {
        let tr = Tr::new(Lang::Ur);
        let text = tr.t1("signed-in-as", "login", "ro-na46");
        assert!(text.contains("\u{2068}ro-na46\u{2069}"), "{text:?}");
        let attr = tr.attr1("signed-in-as", "login", "ro-na46");
        assert!(
            !attr.contains('\u{2068}') && !attr.contains('\u{2069}'),
            "{attr:?}"
        );
        assert!(attr.contains("ro-na46"));
        assert_eq!(Tr::new(Lang::En).t("sign-out"), "Sign out");
        assert_eq!(Tr::new(Lang::Ur).t("sign-out"), "باہر نکلیں");
        assert_eq!(Lang::Ur.dir(), "rtl");
    }
}
