//! The real 2024 data the demo night is built from, built into the binary so the demo runs on a
//! fresh clone from any directory: the National Assembly candidate lists (Form-33) and the
//! station-level Form-45 results of every NA constituency the data has (`importer/testdata`,
//! zlenner/elections-data; sources in `importer/testdata/SOURCES.md`). Holds bytes, never logic.

macro_rules! data {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../importer/testdata/elections/pakistan/",
            $path
        ))
    };
}

/// The candidate lists, one file per province (Islamabad is in `punjab.json`).
pub const CANDIDATE_LISTS: [&[u8]; 4] = [
    data!("candidates_2024_zlenner/NA/balochistan.json"),
    data!("candidates_2024_zlenner/NA/kpk.json"),
    data!("candidates_2024_zlenner/NA/punjab.json"),
    data!("candidates_2024_zlenner/NA/sindh.json"),
];

/// `(constituency code, Form-45 results CSV)` for every National Assembly constituency with
/// station results in the data, in the order of their numbers.
pub const STATION_RESULTS: &[(&str, &[u8])] = &[
    ("NA-46", data!("form45_2024_zlenner/NA-46.csv")),
    ("NA-47", data!("form45_2024_zlenner/NA-47.csv")),
    ("NA-48", data!("form45_2024_zlenner/NA-48.csv")),
    ("NA-49", data!("form45_2024_zlenner/NA-49.csv")),
    ("NA-50", data!("form45_2024_zlenner/NA-50.csv")),
    ("NA-54", data!("form45_2024_zlenner/NA-54.csv")),
    ("NA-55", data!("form45_2024_zlenner/NA-55.csv")),
    ("NA-56", data!("form45_2024_zlenner/NA-56.csv")),
    ("NA-57", data!("form45_2024_zlenner/NA-57.csv")),
    ("NA-59", data!("form45_2024_zlenner/NA-59.csv")),
    ("NA-64", data!("form45_2024_zlenner/NA-64.csv")),
    ("NA-65", data!("form45_2024_zlenner/NA-65.csv")),
    ("NA-69", data!("form45_2024_zlenner/NA-69.csv")),
    ("NA-70", data!("form45_2024_zlenner/NA-70.csv")),
    ("NA-71", data!("form45_2024_zlenner/NA-71.csv")),
    ("NA-77", data!("form45_2024_zlenner/NA-77.csv")),
    ("NA-98", data!("form45_2024_zlenner/NA-98.csv")),
    ("NA-106", data!("form45_2024_zlenner/NA-106.csv")),
    ("NA-117", data!("form45_2024_zlenner/NA-117.csv")),
    ("NA-126", data!("form45_2024_zlenner/NA-126.csv")),
    ("NA-127", data!("form45_2024_zlenner/NA-127.csv")),
    ("NA-128", data!("form45_2024_zlenner/NA-128.csv")),
    ("NA-139", data!("form45_2024_zlenner/NA-139.csv")),
    ("NA-148", data!("form45_2024_zlenner/NA-148.csv")),
    ("NA-151", data!("form45_2024_zlenner/NA-151.csv")),
    ("NA-163", data!("form45_2024_zlenner/NA-163.csv")),
    ("NA-164", data!("form45_2024_zlenner/NA-164.csv")),
    ("NA-168", data!("form45_2024_zlenner/NA-168.csv")),
    ("NA-219", data!("form45_2024_zlenner/NA-219.csv")),
    ("NA-220", data!("form45_2024_zlenner/NA-220.csv")),
    ("NA-232", data!("form45_2024_zlenner/NA-232.csv")),
    ("NA-233", data!("form45_2024_zlenner/NA-233.csv")),
    ("NA-234", data!("form45_2024_zlenner/NA-234.csv")),
    ("NA-235", data!("form45_2024_zlenner/NA-235.csv")),
    ("NA-236", data!("form45_2024_zlenner/NA-236.csv")),
    ("NA-237", data!("form45_2024_zlenner/NA-237.csv")),
    ("NA-238", data!("form45_2024_zlenner/NA-238.csv")),
    ("NA-239", data!("form45_2024_zlenner/NA-239.csv")),
    ("NA-240", data!("form45_2024_zlenner/NA-240.csv")),
    ("NA-241", data!("form45_2024_zlenner/NA-241.csv")),
    ("NA-242", data!("form45_2024_zlenner/NA-242.csv")),
    ("NA-243", data!("form45_2024_zlenner/NA-243.csv")),
    ("NA-244", data!("form45_2024_zlenner/NA-244.csv")),
    ("NA-245", data!("form45_2024_zlenner/NA-245.csv")),
    ("NA-246", data!("form45_2024_zlenner/NA-246.csv")),
    ("NA-247", data!("form45_2024_zlenner/NA-247.csv")),
    ("NA-248", data!("form45_2024_zlenner/NA-248.csv")),
    ("NA-249", data!("form45_2024_zlenner/NA-249.csv")),
    ("NA-250", data!("form45_2024_zlenner/NA-250.csv")),
];
