//! The enrolment QR payload, written by the server (in the answer to
//! `POST /api/v1/elections/{id}/enrolment-codes`) and read by the phone: one definition for both
//! ends.
//!
//! Format: `tallyseal:enrol?server=<url>&election=<id>&code=<code>&vkey=<key>`, every value
//! percent-encoded (RFC 3986 unreserved characters pass through); `vkey`, the C2SP verifier key of
//! the election package's signer, is present when the server knows it, so the phone can pin the
//! signer instead of trusting the server's word. A reader also accepts a bare code
//! (`XXXX-XXXX-XXXX`), ignores parameters it does not know, and takes the values in any order.
//!
//! Plain text in, plain text out: no I/O. It must never change the format an issued QR code
//! carries (printed codes outlive server versions; `docs/phone.md`, `docs/server-api.md`).

/// What every QR payload starts with.
pub const PAYLOAD_PREFIX: &str = "tallyseal:enrol?";

/// Longest text [`parse_enrolment_payload`] reads.
pub const MAX_PAYLOAD_LEN: usize = 4096;

/// A parsed enrolment code: from a QR payload, or a bare code with no server nor election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentCode {
    pub server: Option<String>,
    pub election: Option<String>,
    pub code: String,
    /// C2SP verifier key of the package signer, when the payload carries one.
    pub package_verifier: Option<String>,
}

/// Why a text is not an enrolment code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrolmentPayloadError {
    #[error("the enrolment code is empty or too long")]
    EmptyOrTooLong,
    #[error("not a tallyseal enrolment code or QR payload")]
    NotAnEnrolmentCode,
    #[error("the QR payload has no code")]
    NoCode,
}

/// The QR payload for `code`, issued by the server at `server` for `election`, pinning the
/// package signer `vkey` when given.
pub fn encode_enrolment_payload(
    server: &str,
    election: &str,
    code: &str,
    vkey: Option<&str>,
) -> String {
    let mut s = format!(
        "{PAYLOAD_PREFIX}server={}&election={}&code={}",
        percent_encode(server),
        percent_encode(election),
        percent_encode(code)
    );
    if let Some(v) = vkey {
        s.push_str("&vkey=");
        s.push_str(&percent_encode(v));
    }
    s
}

/// Parse a QR payload (`tallyseal:enrol?...`) or a bare code (`XXXX-XXXX-XXXX`).
pub fn parse_enrolment_payload(text: &str) -> Result<EnrolmentCode, EnrolmentPayloadError> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_PAYLOAD_LEN {
        return Err(EnrolmentPayloadError::EmptyOrTooLong);
    }
    let Some(query) = text.strip_prefix(PAYLOAD_PREFIX) else {
        if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Ok(EnrolmentCode {
                server: None,
                election: None,
                code: text.to_owned(),
                package_verifier: None,
            });
        }
        return Err(EnrolmentPayloadError::NotAnEnrolmentCode);
    };
    let mut code = EnrolmentCode {
        server: None,
        election: None,
        code: String::new(),
        package_verifier: None,
    };
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match k {
            "server" => code.server = Some(v),
            "election" => code.election = Some(v),
            "code" => code.code = v,
            "vkey" => code.package_verifier = Some(v),
            _ => {}
        }
    }
    if code.code.is_empty() {
        return Err(EnrolmentPayloadError::NoCode);
    }
    Ok(code)
}

/// Percent-encode a query-string value (RFC 3986 unreserved characters pass through).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decode `%XX` escapes (a malformed escape is kept as it is; invalid UTF-8 becomes U+FFFD).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact text the server has always issued (pinned: printed QR codes outlive releases).
    #[test]
    fn payload_text_is_pinned() {
        assert_eq!(
            encode_enrolment_payload(
                "http://127.0.0.1:8080",
                "pk-ge-2024-demo",
                "ABCD-EFGH-JKLM",
                Some("demo+x")
            ),
            "tallyseal:enrol?server=http%3A%2F%2F127.0.0.1%3A8080&election=pk-ge-2024-demo&code=ABCD-EFGH-JKLM&vkey=demo%2Bx"
        );
        assert_eq!(
            encode_enrolment_payload("https://x.example", "e", "C", None),
            "tallyseal:enrol?server=https%3A%2F%2Fx.example&election=e&code=C"
        );
    }

    /// What the server writes, the phone reads back unchanged, whatever the values hold.
    #[test]
    fn written_payloads_read_back() {
        for (server, election, code, vkey) in [
            (
                "http://127.0.0.1:8080",
                "pk-ge-2024-demo",
                "ABCD-EFGH-JKLM",
                None,
            ),
            (
                "https://ecp.example/a?b=c&d=e",
                "انتخاب 2024 & co",
                "A%B+C=D",
                Some("tallyseal.example/commission+1a2b3c4d+AbC/dEf=="),
            ),
        ] {
            let text = encode_enrolment_payload(server, election, code, vkey);
            assert_eq!(
                parse_enrolment_payload(&text).unwrap(),
                EnrolmentCode {
                    server: Some(server.to_owned()),
                    election: Some(election.to_owned()),
                    code: code.to_owned(),
                    package_verifier: vkey.map(str::to_owned),
                },
                "{text}"
            );
        }
    }

    #[test]
    fn bare_codes_and_refusals() {
        assert_eq!(
            parse_enrolment_payload(" ABCD-EFGH-JKLM ").unwrap(),
            EnrolmentCode {
                server: None,
                election: None,
                code: "ABCD-EFGH-JKLM".into(),
                package_verifier: None,
            }
        );
        assert_eq!(
            parse_enrolment_payload("tallyseal:enrol?server=x"),
            Err(EnrolmentPayloadError::NoCode)
        );
        assert_eq!(
            parse_enrolment_payload("hello world"),
            Err(EnrolmentPayloadError::NotAnEnrolmentCode)
        );
        assert_eq!(
            parse_enrolment_payload(""),
            Err(EnrolmentPayloadError::EmptyOrTooLong)
        );
        assert_eq!(
            parse_enrolment_payload(&"A".repeat(MAX_PAYLOAD_LEN + 1)),
            Err(EnrolmentPayloadError::EmptyOrTooLong)
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
