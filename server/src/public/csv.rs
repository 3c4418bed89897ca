//! CSV (RFC 4180) for the open data: every field quoted when it holds a separator, a quote or a
//! line break, and a text field that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`,
//! tab, carriage return first) prefixed with `'` (OWASP's CSV injection advice). Numbers are
//! written by the callers as numbers and never prefixed.

/// One text field, escaped.
pub fn text(value: &str) -> String {
    let guarded = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// An optional number: empty when absent.
pub fn number<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Append one record (fields already escaped) with CRLF.
pub fn record(out: &mut String, fields: &[String]) {
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(text("Station 1"), "Station 1");
        assert_eq!(text("a,b"), "\"a,b\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(text("-1,2"), "\"'-1,2\"");
        assert_eq!(number::<u32>(None), "");
        let mut out = String::new();
        record(&mut out, &["a".into(), "1".into()]);
        assert_eq!(out, "a,1\r\n");
    }
}
