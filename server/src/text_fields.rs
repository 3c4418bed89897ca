//! Free-text fields people type (an officer's name at enrolment, a revocation reason) are checked
//! with [`tallyseal_core::text::check_display_text`] before they are stored: a field holding a
//! control or bidirectional-formatting character is refused with a 422 `unsafe-text` naming the
//! field. The rule itself lives in core (the election package's names are checked there, by
//! `validate()`); this module only maps its answer to a problem. It never alters the text.

use crate::error::{ApiError, Problem};

/// `Ok` when `text` may be stored; otherwise the 422 naming `field` and the character's code
/// point and position (never the character itself).
pub fn check(field: &str, text: &str) -> Result<(), ApiError> {
    tallyseal_core::text::check_display_text(text).map_err(|e| {
        ApiError::new(
            Problem::UnsafeText,
            format!(
                "{field} holds {e}; control and bidirectional-formatting characters are refused"
            ),
        )
    })
}
