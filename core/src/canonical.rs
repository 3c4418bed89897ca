//! Canonical JSON: the one byte form every signed tallyseal object has.
//!
//! The form is RFC 8785 (JSON Canonicalization Scheme) restricted to what tallyseal needs: object
//! keys sorted by their UTF-8 bytes (the same as RFC 8785's UTF-16 order for the ASCII keys we use),
//! no insignificant white space, strings escaped as RFC 8785 requires, and **integers only** —
//! a number with a fraction or exponent is refused, so no implementation ever has to agree with
//! another on how to print a float. Integers must lie within ±(2^53 − 1).
//!
//! Signers sign the canonical bytes; verifiers check the signature over the bytes they received and
//! then insist that those bytes *are* canonical, so one content has exactly one signed form and one
//! manifest hash.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest integer magnitude allowed (the IEEE-754 safe-integer range of RFC 8785 §3.2.2.3).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Maximum nesting depth accepted when parsing untrusted canonical JSON.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("not valid JSON: {0}")]
    Syntax(String),
    #[error("numbers must be integers within ±(2^53-1); found {0}")]
    NonInteger(String),
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the bytes are valid JSON but not in canonical form")]
    NotCanonical,
    #[error("the JSON does not match the expected structure: {0}")]
    Shape(String),
}

/// Serialize `value` to canonical bytes.
pub fn to_canonical_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let v = serde_json::to_value(value).map_err(|e| CanonicalError::Shape(e.to_string()))?;
    let mut out = Vec::with_capacity(512);
    write_value(&v, &mut out, 0)?;
    Ok(out)
}

/// Parse bytes that must already be canonical, into `T`.
///
/// Fails with [`CanonicalError::NotCanonical`] when the bytes parse but differ from their canonical
/// re-encoding (extra spaces, unsorted keys, escaped characters that need no escaping, ...).
pub fn from_canonical_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CanonicalError> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| CanonicalError::Syntax(e.to_string()))?;
    let mut again = Vec::with_capacity(bytes.len());
    write_value(&v, &mut again, 0)?;
    if again != bytes {
        return Err(CanonicalError::NotCanonical);
    }
    serde_json::from_value(v).map_err(|e| CanonicalError::Shape(e.to_string()))
}

fn write_value(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), CanonicalError> {
    if depth > MAX_DEPTH {
        return Err(CanonicalError::TooDeep);
    }
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u > MAX_SAFE_INTEGER {
                    return Err(CanonicalError::NonInteger(n.to_string()));
                }
                out.extend_from_slice(u.to_string().as_bytes());
            } else if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > MAX_SAFE_INTEGER {
                    return Err(CanonicalError::NonInteger(n.to_string()));
                }
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                return Err(CanonicalError::NonInteger(n.to_string()));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(item, out, depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// RFC 8785 §3.2.2.2 string serialization.
fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{09}' => out.extend_from_slice(b"\\t"),
            '\u{0a}' => out.extend_from_slice(b"\\n"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\u{0d}' => out.extend_from_slice(b"\\r"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_strips_space() {
        let v = json!({"b": 1, "a": [true, null, "x\ny"], "aa": {"z": -5, "y": "é"}});
        let bytes = to_canonical_bytes(&v).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"a":[true,null,"x\ny"],"aa":{"y":"é","z":-5},"b":1}"#
        );
    }

    #[test]
    fn refuses_floats_and_unsafe_integers() {
        assert!(matches!(
            to_canonical_bytes(&json!({"a": 1.5})),
            Err(CanonicalError::NonInteger(_))
        ));
        assert!(matches!(
            to_canonical_bytes(&json!({"a": 9007199254740992u64})),
            Err(CanonicalError::NonInteger(_))
        ));
        assert!(to_canonical_bytes(&json!({"a": 9007199254740991u64})).is_ok());
    }

    #[test]
    fn parse_requires_canonical_form() {
        let ok: Value = from_canonical_bytes(br#"{"a":1,"b":2}"#).unwrap();
        assert_eq!(ok, json!({"a":1,"b":2}));
        assert_eq!(
            from_canonical_bytes::<Value>(br#"{"b":2,"a":1}"#),
            Err(CanonicalError::NotCanonical)
        );
        assert_eq!(
            from_canonical_bytes::<Value>(br#"{"a": 1}"#),
            Err(CanonicalError::NotCanonical)
        );
        assert_eq!(
            from_canonical_bytes::<Value>(br#"{"a":"\u0041"}"#),
            Err(CanonicalError::NotCanonical)
        );
        assert!(matches!(
            from_canonical_bytes::<Value>(b"{"),
            Err(CanonicalError::Syntax(_))
        ));
    }

    #[test]
    fn control_characters_escape_as_rfc8785() {
        let bytes = to_canonical_bytes(&json!("\u{1}\u{1f}\t")).unwrap();
        assert_eq!(bytes, br#""\u0001\u001f\t""#);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert!(from_canonical_bytes::<Value>(deep.as_bytes()).is_err());
    }
}
