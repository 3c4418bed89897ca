//! The station type (male, female, combined) read from a Form-45 station name, which is all the
//! published 2024 station results say about it.
//!
//! Pure text rules; it must never guess a type the name does not give (no type, or two
//! contradictory ones, is reported as such for the importer to warn about).

use tallyseal_core::model::StationType;

/// What a station name says about the station type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameType {
    /// One type, e.g. from `... (Male)-I`.
    Found(StationType),
    /// The name carries more than one type, e.g. `(Male) (Female)-I`.
    Ambiguous,
    /// The name carries no type.
    NotFound,
}

/// Normalized spellings seen in the 2024 Form-45 data, including Urdu (مرد / عورت / مشترکہ),
/// the character-reversed Urdu of the garbled NA-46 names, typos and names cut off mid-word.
fn type_word(word: &str) -> Option<StationType> {
    match word {
        "male" | "مرد" | "رمد" => Some(StationType::Male),
        "female" | "femal" | "fema" | "famale" | "fwmale" | "عورت" | "وعرت" | "خواتین" => {
            Some(StationType::Female)
        }
        "combined" | "combine" | "combin" | "combi" | "comnined" | "comined" | "commbined"
        | "combian" | "مشترکہ" | "مشترک" | "رتشمہک" => Some(StationType::Combined),
        _ => None,
    }
}

/// A parenthesized piece reduced to a bare word: cut at the first `-` (`Male-I`), drop white
/// space, digits and `.:,` (`Male 1`, `( COMBINED )`, garbled `وعر .  ت`), lowercase.
fn normalize_piece(piece: &str) -> String {
    let piece = piece.split('-').next().unwrap_or("");
    piece
        .chars()
        .filter(|c| !(c.is_whitespace() || c.is_numeric() || matches!(c, '.' | ':' | ',')))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Read the station type from a Form-45 station name.
///
/// First the pieces between parentheses (either direction, since the garbled right-to-left names
/// have them mirrored) that are exactly a type word, e.g. `(Male)-I`, `(Female 1)`, `( Combined)`,
/// `(مرد)`, `)رمد(`: these win over type words elsewhere in the name, so
/// `... Cantt Male: (Combined)-I` is combined and `(Education office Female) (Male)-I` is male.
/// Failing that, any word of the name that is a type word (`... Makrani Para Male (Part-I)`,
/// `... MALE 1`). Words such as "Women", "Girls" or "Boys" are part of school names and are ignored.
pub fn station_type_from_name(name: &str) -> NameType {
    let mut found: Vec<StationType> = Vec::new();
    for piece in name.split(['(', ')']) {
        if let Some(t) = type_word(&normalize_piece(piece)) {
            found.push(t);
        }
    }
    if found.is_empty() {
        for word in name
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
        {
            if let Some(t) = type_word(&word.to_lowercase()) {
                found.push(t);
            }
        }
    }
    found.dedup();
    let first = found.first().copied();
    if found.iter().any(|t| Some(*t) != first) {
        return NameType::Ambiguous;
    }
    match first {
        Some(t) => NameType::Found(t),
        None => NameType::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_types_from_names() {
        use NameType::*;
        use StationType::*;
        let cases = [
            (
                "1 - Government Girls Elementary School Bakhshi Park TTSingh (Male)-I",
                Found(Male),
            ),
            (
                "Govt Girls High School, Custom Colony Lahore CANTT (Female)-I",
                Found(Female),
            ),
            (
                "Govt: High School for Boys Walton Road, Lahore Cantt Male: (Combined)-I",
                Found(Combined),
            ),
            (
                "228 - GGPS No. 9 Korangi.6 (Taulka Education office Female) (Male)-I",
                Found(Male),
            ),
            ("Govt Girls Degree College For Women (Male 1)", Found(Male)),
            (
                "Improvise @ Edhi Centre Makrani Para Male (Part-I)",
                Found(Male),
            ),
            ("F.G FOUNDATION SCHOOL MANORA CANTT FEMALE 1", Found(Female)),
            ("DPN GBSS ABECEYNIA LINE ( COMNINED )", Found(Combined)),
            (
                "Begum Saleem Kiyani Model College for Boys (VI-XII) Bhara Kahu, Islamabad. (Fema",
                Found(Female),
            ),
            ("گورنمنٹ بوائز ہائی سکول، چک نمبر 45/گ ب (مرد)", Found(Male)),
            (
                "گورنمنٹ گرلز ہائی سکول، چک نمبر 45/گ ب (عورت)",
                Found(Female),
            ),
            (
                "االسمآب.د۔)رمد(،11/2-IV( G) االسمآب.دامڈلوکسل 1",
                Found(Male),
            ),
            ("Govt Post Graduate College for women", NotFound),
            ("Lifeway School (Male) (Female)-I", Ambiguous),
            ("", NotFound),
        ];
        for (name, want) in cases {
            assert_eq!(station_type_from_name(name), want, "{name}");
        }
    }
}
