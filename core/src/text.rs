//! Free text that will be shown to a person (an officer's name, a revocation reason, the names in
//! an election package) must not carry characters that change how the text around it is shown:
//! [`check_display_text`] refuses them. One definition, used by the server for what people type
//! and by [`crate::package::ElectionPackage::validate`] for what the Commission signs, so the
//! packager, the server and the phone agree.
//!
//! Refused:
//! - C0 controls U+0000–U+001F (tab and line breaks included: these fields are one line), DEL
//!   U+007F and C1 controls U+0080–U+009F;
//! - bidirectional embeddings and overrides U+202A–U+202E and isolates U+2066–U+2069 (they
//!   reorder the text after them, possibly past the field's end: "Trojan Source");
//! - bidirectional marks U+200E (LRM), U+200F (RLM) and U+061C (ALM): invisible, and able to move
//!   neutral characters (digits, punctuation) of a name; a name typed on a phone has no need of them;
//! - line and paragraph separators U+2028, U+2029.
//!
//! Kept: every letter, mark and space of any script, and the joiners U+200C (ZWNJ) and U+200D
//! (ZWJ), which Urdu and Persian spelling needs.
//!
//! [`check_display_text`] never changes text (no stripping or escaping: a refused field is sent
//! again by a person). Text that cannot be refused because it is evidence (what an image holds,
//! a name in a package signed before these rules) is shown through [`escape_unsafe`], which
//! writes each such character as `\u{XXXX}`. This module never does I/O.

use std::borrow::Cow;
use std::fmt::Write;

/// A character [`check_display_text`] refuses, and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsafeText {
    /// The character refused.
    pub ch: char,
    /// Its position in the text, counted in characters from 0.
    pub position: usize,
}

impl UnsafeText {
    /// What kind of character it is, for a person.
    pub fn kind(&self) -> &'static str {
        match self.ch {
            '\u{202A}'..='\u{202E}' => "a bidirectional embedding or override",
            '\u{2066}'..='\u{2069}' => "a bidirectional isolate",
            '\u{200E}' | '\u{200F}' | '\u{061C}' => "a bidirectional mark",
            '\u{2028}' | '\u{2029}' => "a line or paragraph separator",
            _ => "a control character",
        }
    }
}

impl std::fmt::Display for UnsafeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "U+{:04X} ({}) at character {}",
            u32::from(self.ch),
            self.kind(),
            self.position
        )
    }
}

/// Whether `ch` is refused in text shown to a person (see the module documentation).
pub fn is_unsafe_char(ch: char) -> bool {
    ch.is_control() // C0, DEL and C1
        || matches!(
            ch,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `Ok` when `text` holds no refused character; otherwise the first one.
pub fn check_display_text(text: &str) -> Result<(), UnsafeText> {
    match text.chars().enumerate().find(|(_, c)| is_unsafe_char(*c)) {
        Some((position, ch)) => Err(UnsafeText { ch, position }),
        None => Ok(()),
    }
}

/// `text` with every character [`is_unsafe_char`] refuses written as `\u{XXXX}` (hex digits,
/// upper case, at least four); borrowed when there is nothing to escape. For quoting untrusted
/// text (read from an image, carried in a report) in a message to a person. Escaping twice
/// changes nothing, so a reason escaped where it is made can be escaped again where it is shown.
pub fn escape_unsafe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if is_unsafe_char(ch) {
            let _ = write!(out, "\\u{{{:04X}}}", u32::from(ch));
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_unsafe_writes_refused_characters_as_escapes() {
        assert!(matches!(escape_unsafe("N"), Cow::Borrowed("N")));
        assert!(matches!(escape_unsafe("محمد\u{200C}علی"), Cow::Borrowed(_)));
        assert_eq!(escape_unsafe("N\u{202E}S"), "N\\u{202E}S");
        assert_eq!(
            escape_unsafe("a\0b\u{85}\u{2067}\u{200F}\u{2029}\t"),
            "a\\u{0000}b\\u{0085}\\u{2067}\\u{200F}\\u{2029}\\u{0009}"
        );
        // Escaping twice changes nothing.
        let once = escape_unsafe("x\u{202E}y").into_owned();
        assert_eq!(escape_unsafe(&once), once);
        for text in ["x\u{202E}y", "plain", "\\u{41}\u{0}"] {
            assert!(escape_unsafe(text).chars().all(|c| !is_unsafe_char(c)));
        }
    }

    #[test]
    fn refuses_controls_and_bidi_formatting() {
        for c in [
            '\0', '\t', '\n', '\r', '\u{1B}', '\u{7F}', '\u{80}', '\u{85}', '\u{9F}', '\u{202A}',
            '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{2028}', '\u{2029}',
        ] {
            let text = format!("PO {c}x");
            assert_eq!(
                check_display_text(&text),
                Err(UnsafeText { ch: c, position: 3 }),
                "U+{:04X}",
                u32::from(c)
            );
        }
        let e = check_display_text("PO\u{0}\u{202E}evil").unwrap_err();
        assert_eq!(e.to_string(), "U+0000 (a control character) at character 2");
        let e = check_display_text("ab\u{202E}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "U+202E (a bidirectional embedding or override) at character 2"
        );
    }

    #[test]
    fn keeps_every_script_and_the_joiners() {
        for ok in [
            "",
            "PO Test",
            "Muhammad Ali Khan",
            "محمد علی خان",
            "می\u{200C}خواهم",
            "\u{0928}\u{094D}\u{200D}",
            "Zoë O'Brien-Núñez",
            "NA-128 Lahore-XII",
            "emoji 🗳️",
            "non\u{00A0}breaking",
        ] {
            assert_eq!(check_display_text(ok), Ok(()), "{ok:?}");
        }
    }
}
