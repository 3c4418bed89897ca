//! Photographs of result sheets a person can read: Form-45 (Result of the Count) and Form-46
//! (Ballot Paper Account) with the form's header, the candidates in ballot order, the figures in a
//! handwriting-like hand, signatures and a stamp, taken the way a phone takes them (perspective,
//! uneven light), with the EXIF a phone writes.
//!
//! How it is made, one concern per module: `paper` holds the sheet, its inks (`canvas`) and its
//! folds; `form45` and `form46` lay out the forms on the parts every page shares (`form`,
//! `attestation`); printed text is set in a stroke font of its own (`font`); figures (`figures`)
//! and signatures (`signature`) are written with a simulated ballpoint (`pen`); the stamp is
//! `stamp`; `photograph` takes the picture (perspective from `homography`, `light`, noise, JPEG,
//! EXIF). Everything varies with one generator (`rng`).

mod attestation;
mod canvas;
mod figures;
mod font;
mod form;
mod form45;
mod form46;
mod homography;
mod light;
mod paper;
mod pen;
mod photograph;
mod rng;
mod signature;
mod stamp;
#[cfg(test)]
pub(crate) mod tests;

use tallyseal_testkit::camera::PhotoSpec;

pub use form46::ballot_account;
pub use photograph::{FRAME_H, FRAME_W};

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
    /// The polling station's number in the constituency's polling scheme.
    pub station_number: u32,
    pub station_name: String,
    /// Page number (1-based) and page count of this form.
    pub page: u8,
    pub pages: u8,
    /// The whole ballot, in ballot order. A Form-45 page shows its share of the rows (page 1 of
    /// 2 the first half; serial numbers run on), the last page closes with the totals. A Form-46
    /// shows no candidates.
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

/// A JPEG photo of the sheet `spec` describes, 1200×1600 pixels, with the EXIF a phone writes
/// (the test kit's Samsung: make and model, DateTimeOriginal at UTC+05:00, GPS at `lat, lon`).
///
/// Deterministic: the same spec gives the same bytes. The seed is mixed with what identifies
/// the page (form, constituency, station, page), so two stations photographed with the same
/// seed still give two different photos, as two phones would; sending one photo for two
/// stations means sending the same bytes.
pub fn render(spec: &SheetSpec) -> Vec<u8> {
    let mut rng = rng::Rng::new(spec.seed ^ identity(spec));
    let mut sheet = paper::Sheet::new(&mut rng);
    match spec.kind {
        SheetKind::Form45 => form45::draw(&mut sheet, spec),
        SheetKind::Form46 => form46::draw(&mut sheet, spec),
    }
    let composed = sheet.compose();
    let mut exif = PhotoSpec::phone(spec.lat, spec.lon, spec.time_ms, 300, spec.seed).exif;
    exif.pixel_width = Some(u32::from(FRAME_W));
    exif.pixel_height = Some(u32::from(FRAME_H));
    photograph::photograph(&composed, &mut rng.fork(0xca3e7a), &exif)
}

/// A hash (FNV-1a) of what tells one page of one station's form from another.
fn identity(spec: &SheetSpec) -> u64 {
    let kind = match spec.kind {
        SheetKind::Form45 => "45",
        SheetKind::Form46 => "46",
    };
    let key = format!(
        "{kind}|{}|{}|{}",
        spec.constituency_code, spec.station_number, spec.page
    );
    key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
