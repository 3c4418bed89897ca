//! How long one result-sheet photo takes to make, and how far apart the photos of different
//! stations are for the verifier's perceptual hash (the figures in `docs/benchmarks.md`).
//!
//! ```text
//! cargo run --release -p tallyseal-field --example sheet_render_time -- 100
//! ```

use std::time::Instant;

use tallyseal_core::phash::{NEAR_DUPLICATE_MAX_DISTANCE, dhash, distance};
use tallyseal_field::sheet::{SheetCandidate, SheetKind, SheetSpec, render};

fn spec(station: u32) -> SheetSpec {
    let candidates = (0..4 + station % 12)
        .map(|i| SheetCandidate {
            name: format!("Candidate Number {}", i + 1),
            party: if i % 3 == 0 {
                "Independent".into()
            } else {
                format!("Party {}", i + 1)
            },
            votes: (station * 37 + i * 211) % 900,
        })
        .collect();
    SheetSpec {
        kind: if station.is_multiple_of(3) {
            SheetKind::Form46
        } else {
            SheetKind::Form45
        },
        election_name: "General Elections 2024".into(),
        constituency_code: "NA-128".into(),
        constituency_name: "Lahore-XII".into(),
        station_number: station,
        station_name: format!("Govt. Primary School No. {station}"),
        page: 1,
        pages: 1,
        candidates,
        registered: (1_200 + station, 1_100 + station),
        polled: (700, 650),
        rejected: 21,
        presiding_officer: "Presiding Officer".into(),
        lat: 31.5204,
        lon: 74.3587,
        time_ms: 1_707_400_800_000,
        seed: u64::from(station),
    }
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let mut times = Vec::new();
    let mut sizes = Vec::new();
    let mut hashes = Vec::new();
    for station in 1..=n {
        let s = spec(station);
        let start = Instant::now();
        let jpeg = render(&s);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        sizes.push(jpeg.len() / 1024);
        hashes.extend(dhash(&jpeg));
    }
    times.sort_by(f64::total_cmp);
    sizes.sort_unstable();
    let mut distances = Vec::new();
    for (i, a) in hashes.iter().enumerate() {
        for b in &hashes[i + 1..] {
            distances.push(distance(*a, *b));
        }
    }
    distances.sort_unstable();
    let near = distances
        .iter()
        .filter(|&&d| d <= NEAR_DUPLICATE_MAX_DISTANCE)
        .count();
    println!(
        "SHEETS n={n} ms_median={:.1} ms_max={:.1} kib_min={} kib_max={} pairs={} dhash_min={} dhash_median={} near_pairs={near}",
        times[times.len() / 2],
        times[times.len() - 1],
        sizes[0],
        sizes[sizes.len() - 1],
        distances.len(),
        distances.first().copied().unwrap_or(64),
        distances.get(distances.len() / 2).copied().unwrap_or(64),
    );
}
