//! The fixed reason codes of review decisions (docs/console.md lists them): a rejection and a
//! request for a new capture each name one, besides the Returning Officer's free text. Codes are
//! stable identifiers; the words shown for them belong to the message catalogue.

/// Why a capture is rejected.
pub const REJECT_REASONS: &[(&str, &str)] = &[
    ("wrong-form", "The image is not the form it claims to be"),
    ("wrong-station", "The form is another station's"),
    ("illegible", "The figures cannot be read"),
    ("incomplete", "Part of the form or a page is missing"),
    (
        "unsigned",
        "The Presiding Officer's signature or stamp is missing",
    ),
    ("altered", "The form shows signs of alteration"),
    ("failed-verification", "A verification check failed"),
    ("duplicate", "The same image was sent for another station"),
    ("other", "Another reason, given in the text"),
];

/// Why a new capture is asked for.
pub const RECAPTURE_REASONS: &[(&str, &str)] = &[
    (
        "illegible",
        "The figures cannot be read (blur, glare, shadow)",
    ),
    ("incomplete", "Part of the form is cut off"),
    ("missing-page", "A page of the form was not captured"),
    ("wrong-form", "The image is not the form it claims to be"),
    (
        "corrected-form",
        "The form was corrected and signed again (Rule 84)",
    ),
    (
        "failed-verification",
        "A verification check failed (position, time, device)",
    ),
    ("other", "Another reason, given in the text"),
];

/// A decision's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Reject,
    Recapture,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "accept" => Some(Action::Accept),
            "reject" => Some(Action::Reject),
            "recapture" => Some(Action::Recapture),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Recapture => "recapture",
        }
    }

    /// The codes this action may name; none for an acceptance.
    pub fn reasons(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Action::Accept => &[],
            Action::Reject => REJECT_REASONS,
            Action::Recapture => RECAPTURE_REASONS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_lowercase_identifiers() {
        for list in [REJECT_REASONS, RECAPTURE_REASONS] {
            let mut seen = std::collections::HashSet::new();
            for (code, words) in list {
                assert!(seen.insert(*code), "{code} twice");
                assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
                assert!(!words.is_empty());
            }
        }
        for a in [Action::Accept, Action::Reject, Action::Recapture] {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert!(Action::parse("approve").is_none());
    }
}
