//! The election package: what the Commission publishes and signs so a phone (and anyone else) can
//! check it holds the authentic polling scheme.
//!
//! The package is JSON ([`ElectionPackage`]), published as a C2SP signed note ([`crate::note`])
//! whose text is the package's pretty-printed JSON plus a final newline ([`ElectionPackage::to_note_text`]).
//! The **package hash** is the SHA-256 of the whole signed note, its one signature line included
//! ([`SignedPackage::hash`]); every capture manifest commits to it. See `docs/election-package.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::hash::{Sha256Digest, sha256};
use crate::model::{Constituency, Election, PollingStation};
use crate::note::{NoteError, Signer, Verifier, open_note_with_limit, sign_note};

mod rules;

/// The `format` field of every election package.
pub const PACKAGE_FORMAT: &str = "tallyseal.election-package";
/// The package format version this code writes and reads.
pub const PACKAGE_VERSION: u32 = 1;
/// Largest geofence radius accepted, metres.
pub const MAX_RADIUS_M: f64 = 5000.0;
/// Most vertices a polygon geofence may have.
pub const MAX_POLYGON_VERTICES: usize = 1000;
/// Largest signed package [`SignedPackage::open`] accepts, bytes. A national package with every
/// station is large; a phone should be given a smaller one.
pub const MAX_PACKAGE_NOTE_BYTES: usize = 64 << 20;

/// The election package (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionPackage {
    /// Always [`PACKAGE_FORMAT`].
    pub format: String,
    /// Always [`PACKAGE_VERSION`].
    pub version: u32,
    pub election: Election,
    /// Constituencies, each with its candidates in ballot order and its polling scheme.
    pub constituencies: Vec<Constituency>,
    /// When the Commission published this package, RFC 3339.
    pub published_at: String,
}

/// What kind of problem [`ElectionPackage::validate`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// `format` or `version` is not what this code understands.
    WrongFormat,
    /// A time or date that does not parse, or is inconsistent with another.
    BadTime,
    /// An identifier (election id, constituency code) is empty.
    EmptyIdentifier,
    /// An identifier that is not 1 to [`MAX_IDENTIFIER_LEN`] ASCII letters, digits, `-`, `_` and
    /// `.`, starting with a letter or digit. Identifiers end up in URLs, file names and log lines.
    BadIdentifier,
    DuplicateConstituency,
    DuplicateStation,
    /// A station number of 0 (numbers start at 1).
    BadStationNumber,
    NoCandidates,
    NoStations,
    /// Ballot numbers are not 1..=n in order.
    BallotNumbers,
    /// The station has no location (and so no geofence).
    MissingLocation,
    /// A coordinate out of range, not finite, or exactly 0,0.
    BadCoordinate,
    /// A radius geofence not in (0, [`MAX_RADIUS_M`]].
    BadRadius,
    /// A polygon geofence with too few or too many vertices, too large, or not around its station.
    BadPolygon,
    /// A name (election, constituency, assembly, returning officer, candidate, party, symbol,
    /// station) holding a control or bidirectional-formatting character ([`crate::text`]).
    UnsafeText,
}

/// One problem found in a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageProblem {
    pub kind: ProblemKind,
    /// Where: e.g. `election.poll_close`, `NA-128`, `NA-128 station 12`.
    pub location: String,
    /// A sentence a person can read.
    pub detail: String,
}

impl std::fmt::Display for PackageProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.detail)
    }
}

/// Why a package could not be signed or opened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PackageError {
    #[error("the election package has {} problem(s); first: {}", .0.len(), .0.first().map(|p| p.to_string()).unwrap_or_default())]
    Invalid(Vec<PackageProblem>),
    #[error("signed note: {0}")]
    Note(#[from] NoteError),
    #[error("the package JSON does not parse: {0}")]
    Json(String),
    #[error("the note text is not the package's canonical text (pretty JSON and a final newline)")]
    NotCanonical,
    /// A package is signed by exactly one key, with one signature line. Another line (another
    /// key's, or a copy of the Commission's) would give the same package another hash, so a copy
    /// carrying one is refused rather than reported later as made with "a different version".
    #[error(
        "the signed package has {lines} signature lines; a package has exactly one (the \
         Commission's): this is not the note as published"
    )]
    NotOneSignature { lines: usize },
}

/// Longest election id or constituency code accepted.
pub const MAX_IDENTIFIER_LEN: usize = 64;

/// Whether `id` is fit to be an election id or constituency code: 1 to [`MAX_IDENTIFIER_LEN`]
/// ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit (so never `.`, `..`,
/// or anything with `/`, `%`, spaces or control characters).
pub fn is_safe_identifier(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_IDENTIFIER_LEN
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A signed election package: the signed note exactly as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPackage {
    pub note: String,
}

impl ElectionPackage {
    /// A package with the current format and version.
    pub fn new(election: Election, constituencies: Vec<Constituency>, published_at: &str) -> Self {
        Self {
            format: PACKAGE_FORMAT.to_string(),
            version: PACKAGE_VERSION,
            election,
            constituencies,
            published_at: published_at.to_string(),
        }
    }

    /// Every problem that stops this package from being signed or published. Empty means it is
    /// fit to sign. This is the publish-time check: it holds the text rule
    /// ([`ProblemKind::UnsafeText`]), which [`ElectionPackage::validate_stored`] leaves out.
    pub fn validate(&self) -> Vec<PackageProblem> {
        self.problems(true)
    }

    /// The problems that stop a package already signed and stored from being used: every problem
    /// of [`ElectionPackage::validate`] except [`ProblemKind::UnsafeText`]. A rule on how names
    /// may be written applies when a package is published; a package that was signed before the
    /// rule existed must still open, so that the server keeps taking uploads for its election and
    /// old evidence can still be verified. What shows those names escapes them.
    pub fn validate_stored(&self) -> Vec<PackageProblem> {
        self.problems(false)
    }

    /// The note text: pretty-printed JSON and a final newline.
    pub fn to_note_text(&self) -> String {
        // Serializing plain data (strings, integers, finite or non-finite floats) cannot fail;
        // non-finite floats become `null`, which `validate` has already refused before signing.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Sign the package. Refuses when [`ElectionPackage::validate`] reports any problem.
    pub fn sign(&self, signer: &Signer) -> Result<SignedPackage, PackageError> {
        let problems = self.validate();
        if !problems.is_empty() {
            return Err(PackageError::Invalid(problems));
        }
        let note = sign_note(&self.to_note_text(), std::slice::from_ref(signer))?;
        Ok(SignedPackage { note })
    }

    /// The constituency with this code.
    pub fn constituency(&self, code: &str) -> Option<&Constituency> {
        self.constituencies.iter().find(|c| c.code == code)
    }

    /// The station `number` of constituency `code`.
    pub fn station(&self, code: &str, number: u32) -> Option<&PollingStation> {
        self.constituency(code)?.station(number)
    }

    /// How many polling stations the package lists.
    pub fn station_count(&self) -> usize {
        self.constituencies.iter().map(|c| c.stations.len()).sum()
    }
}

impl SignedPackage {
    /// Open a published package: check the signature against `verifiers`, insist on exactly one
    /// signature line ([`PackageError::NotOneSignature`]), parse the JSON,
    /// insist that the text is exactly the package's canonical text, and validate it with
    /// [`ElectionPackage::validate_stored`] (not the publish-time text rule: a stored package
    /// signed before that rule still opens). Publishing a note signed elsewhere uses
    /// [`SignedPackage::open_to_publish`].
    pub fn open(
        note: &[u8],
        verifiers: &[Verifier],
    ) -> Result<(ElectionPackage, SignedPackage), PackageError> {
        let opened = open_note_with_limit(note, verifiers, MAX_PACKAGE_NOTE_BYTES)?;
        if opened.signature_lines != 1 {
            return Err(PackageError::NotOneSignature {
                lines: opened.signature_lines,
            });
        }
        let package: ElectionPackage =
            serde_json::from_str(&opened.text).map_err(|e| PackageError::Json(e.to_string()))?;
        if package.to_note_text() != opened.text {
            return Err(PackageError::NotCanonical);
        }
        let problems = package.validate_stored();
        if !problems.is_empty() {
            return Err(PackageError::Invalid(problems));
        }
        // `open_note_with_limit` has checked the bytes are UTF-8.
        let note = String::from_utf8_lossy(note).into_owned();
        Ok((package, SignedPackage { note }))
    }

    /// Open a signed package that is about to be published (imported into a server): as
    /// [`SignedPackage::open`], and also refused when [`ElectionPackage::validate`] (the
    /// publish-time check, text rule included) reports any problem.
    pub fn open_to_publish(
        note: &[u8],
        verifiers: &[Verifier],
    ) -> Result<(ElectionPackage, SignedPackage), PackageError> {
        let (package, signed) = Self::open(note, verifiers)?;
        let problems = package.validate();
        if !problems.is_empty() {
            return Err(PackageError::Invalid(problems));
        }
        Ok((package, signed))
    }

    /// The package hash: SHA-256 of the whole signed note (text, blank line and its one signature
    /// line).
    pub fn hash(&self) -> Sha256Digest {
        sha256(self.note.as_bytes())
    }

    /// The note as bytes, exactly as published.
    pub fn as_bytes(&self) -> &[u8] {
        self.note.as_bytes()
    }
}

/// Counts of a package's contents, for reports: constituencies, candidates, stations by type.
pub fn summarize(package: &ElectionPackage) -> BTreeMap<&'static str, usize> {
    use crate::model::StationType;
    let mut m = BTreeMap::new();
    m.insert("constituencies", package.constituencies.len());
    m.insert(
        "candidates",
        package
            .constituencies
            .iter()
            .map(|c| c.candidates.len())
            .sum(),
    );
    m.insert("stations", package.station_count());
    let count = |t: StationType| {
        package
            .constituencies
            .iter()
            .flat_map(|c| c.stations.iter())
            .filter(|s| s.station_type == t)
            .count()
    };
    m.insert("stations_male", count(StationType::Male));
    m.insert("stations_female", count(StationType::Female));
    m.insert("stations_combined", count(StationType::Combined));
    m.insert(
        "stations_without_location",
        package
            .constituencies
            .iter()
            .flat_map(|c| c.stations.iter())
            .filter(|s| s.location.is_none())
            .count(),
    );
    m
}
