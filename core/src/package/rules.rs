//! The rules a package must meet before it is signed (and, all but the text rule, before a
//! stored one is used): identifiers, times, geofences, station points, names shown to people.
//! Pure checks over the package; they never sign, open or read anything.

use std::collections::BTreeSet;

use ::time::format_description::well_known::Rfc3339;
use ::time::macros::format_description;
use ::time::{Date, OffsetDateTime};
use geo::{Distance, Geodesic, Intersects, LineString, Point, Polygon};

use super::{
    ElectionPackage, MAX_IDENTIFIER_LEN, MAX_POLYGON_VERTICES, MAX_RADIUS_M, PACKAGE_FORMAT,
    PACKAGE_VERSION, PackageProblem, ProblemKind, is_safe_identifier,
};
use crate::model::{Constituency, Geofence, LatLon, StationLocation};
use crate::text::check_display_text;

impl ElectionPackage {
    pub(super) fn problems(&self, text_rule: bool) -> Vec<PackageProblem> {
        let mut out = Vec::new();
        let mut problem = |kind, location: &str, detail: String| {
            if kind == ProblemKind::UnsafeText && !text_rule {
                return;
            }
            out.push(PackageProblem {
                kind,
                location: location.to_string(),
                detail,
            });
        };

        if self.format != PACKAGE_FORMAT {
            problem(
                ProblemKind::WrongFormat,
                "format",
                format!("format is {:?}, expected {PACKAGE_FORMAT:?}", self.format),
            );
        }
        if self.version != PACKAGE_VERSION {
            problem(
                ProblemKind::WrongFormat,
                "version",
                format!("version is {}, expected {PACKAGE_VERSION}", self.version),
            );
        }
        if rfc3339(&self.published_at).is_none() {
            problem(
                ProblemKind::BadTime,
                "published_at",
                format!("{:?} is not an RFC 3339 time", self.published_at),
            );
        }

        // The election.
        let e = &self.election;
        if e.id.trim().is_empty() {
            problem(
                ProblemKind::EmptyIdentifier,
                "election.id",
                "the election id is empty".into(),
            );
        } else if !is_safe_identifier(&e.id) {
            problem(
                ProblemKind::BadIdentifier,
                "election.id",
                unsafe_identifier("the election id", &e.id),
            );
        }
        if let Err(e) = check_display_text(&e.name) {
            problem(
                ProblemKind::UnsafeText,
                "election.name",
                format!("the election name holds {e}"),
            );
        }
        let mut time_of = |field: &str, value: &str| {
            let t = rfc3339(value);
            if t.is_none() {
                problem(
                    ProblemKind::BadTime,
                    &format!("election.{field}"),
                    format!("{value:?} is not an RFC 3339 time"),
                );
            }
            t
        };
        let open = time_of("poll_open", &e.poll_open);
        let close = time_of("poll_close", &e.poll_close);
        let deadline = time_of("results_deadline", &e.results_deadline);
        let poll_date = Date::parse(&e.poll_date, format_description!("[year]-[month]-[day]")).ok();
        if poll_date.is_none() {
            problem(
                ProblemKind::BadTime,
                "election.poll_date",
                format!("{:?} is not a YYYY-MM-DD date", e.poll_date),
            );
        }
        if let (Some(o), Some(d)) = (open, poll_date)
            && o.date() != d
        {
            problem(
                ProblemKind::BadTime,
                "election.poll_open",
                format!("polls open on {} but the poll date is {}", o.date(), d),
            );
        }
        if let (Some(o), Some(c)) = (open, close)
            && c <= o
        {
            problem(
                ProblemKind::BadTime,
                "election.poll_close",
                format!(
                    "poll close {} is not after poll open {}",
                    e.poll_close, e.poll_open
                ),
            );
        }
        if let (Some(c), Some(d)) = (close, deadline)
            && d <= c
        {
            problem(
                ProblemKind::BadTime,
                "election.results_deadline",
                format!(
                    "the results deadline {} is not after poll close {}",
                    e.results_deadline, e.poll_close
                ),
            );
        }

        // Constituencies.
        let mut codes: BTreeSet<&str> = BTreeSet::new();
        for (ci, c) in self.constituencies.iter().enumerate() {
            // An unsafe code is not repeated as a location: it may hold control characters.
            let cloc = if !is_safe_identifier(&c.code) {
                format!("constituencies[{ci}]")
            } else {
                c.code.clone()
            };
            if c.code.trim().is_empty() {
                problem(
                    ProblemKind::EmptyIdentifier,
                    &cloc,
                    "the constituency code is empty".into(),
                );
            } else if !is_safe_identifier(&c.code) {
                problem(
                    ProblemKind::BadIdentifier,
                    &cloc,
                    unsafe_identifier("the constituency code", &c.code),
                );
            } else if !codes.insert(c.code.as_str()) {
                problem(
                    ProblemKind::DuplicateConstituency,
                    &cloc,
                    format!("constituency code {} appears more than once", c.code),
                );
            }
            for (field, text) in constituency_texts(c) {
                if let Err(e) = check_display_text(text) {
                    problem(
                        ProblemKind::UnsafeText,
                        &cloc,
                        format!("the {field} holds {e}"),
                    );
                }
            }
            if c.candidates.is_empty() {
                problem(
                    ProblemKind::NoCandidates,
                    &cloc,
                    "the constituency has no candidates".into(),
                );
            }
            if let Some(i) = c
                .candidates
                .iter()
                .enumerate()
                .position(|(i, cand)| cand.ballot_no as usize != i + 1)
            {
                problem(
                    ProblemKind::BallotNumbers,
                    &cloc,
                    format!(
                        "ballot numbers must run 1..={} in order; position {} has ballot number {}",
                        c.candidates.len(),
                        i + 1,
                        c.candidates[i].ballot_no
                    ),
                );
            }
            if c.stations.is_empty() {
                problem(
                    ProblemKind::NoStations,
                    &cloc,
                    "the constituency has no polling stations".into(),
                );
            }
            let mut numbers: BTreeSet<u32> = BTreeSet::new();
            for s in &c.stations {
                let sloc = format!("{cloc} station {}", s.number);
                if s.number == 0 {
                    problem(
                        ProblemKind::BadStationNumber,
                        &sloc,
                        "station numbers start at 1".into(),
                    );
                }
                if !numbers.insert(s.number) {
                    problem(
                        ProblemKind::DuplicateStation,
                        &sloc,
                        format!("station number {} appears more than once", s.number),
                    );
                }
                if let Err(e) = check_display_text(&s.name) {
                    problem(
                        ProblemKind::UnsafeText,
                        &sloc,
                        format!("the station name holds {e}"),
                    );
                }
                match &s.location {
                    None => problem(
                        ProblemKind::MissingLocation,
                        &sloc,
                        "the station has no location or geofence".into(),
                    ),
                    Some(loc) => {
                        for (kind, detail) in location_problems(loc) {
                            problem(kind, &sloc, detail);
                        }
                    }
                }
            }
        }
        out
    }
}

fn rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn valid_point(p: LatLon) -> bool {
    p.lat.is_finite()
        && p.lon.is_finite()
        && p.lat.abs() <= 90.0
        && p.lon.abs() <= 180.0
        && !(p.lat == 0.0 && p.lon == 0.0)
}

fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// The names of a constituency and its candidates that are shown to people, each with what it
/// is (station names are checked with their station).
fn constituency_texts(c: &Constituency) -> Vec<(String, &str)> {
    let mut out = vec![
        ("constituency name".to_owned(), c.name.as_str()),
        ("assembly".to_owned(), c.assembly.as_str()),
    ];
    if let Some(ro) = &c.returning_officer {
        out.push(("returning officer".to_owned(), ro.as_str()));
    }
    for cand in &c.candidates {
        let n = cand.ballot_no;
        out.push((format!("name of candidate {n}"), cand.name.as_str()));
        if let Some(local) = &cand.name_local {
            out.push((format!("local name of candidate {n}"), local.as_str()));
        }
        out.push((format!("party of candidate {n}"), cand.party.as_str()));
        out.push((format!("symbol of candidate {n}"), cand.symbol.as_str()));
    }
    out
}

fn location_problems(loc: &StationLocation) -> Vec<(ProblemKind, String)> {
    let mut out = Vec::new();
    let point_ok = valid_point(loc.point);
    if !point_ok {
        out.push((
            ProblemKind::BadCoordinate,
            format!(
                "station point {}, {} is not a valid coordinate (out of range, not finite, or 0,0)",
                loc.point.lat, loc.point.lon
            ),
        ));
    }
    match &loc.geofence {
        Geofence::Radius { radius_m } => {
            if !(radius_m.is_finite() && *radius_m > 0.0 && *radius_m <= MAX_RADIUS_M) {
                out.push((
                    ProblemKind::BadRadius,
                    format!("geofence radius {radius_m} m is not in (0, {MAX_RADIUS_M}] m"),
                ));
            }
        }
        Geofence::Polygon { vertices } => {
            let distinct: Vec<(u64, u64)> = {
                let mut v: Vec<(u64, u64)> = vertices
                    .iter()
                    .map(|p| (p.lat.to_bits(), p.lon.to_bits()))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            if distinct.len() < 3 {
                out.push((
                    ProblemKind::BadPolygon,
                    format!(
                        "a polygon geofence needs at least 3 distinct vertices; it has {}",
                        distinct.len()
                    ),
                ));
            }
            if vertices.len() > MAX_POLYGON_VERTICES {
                out.push((
                    ProblemKind::BadPolygon,
                    format!(
                        "a polygon geofence may have at most {MAX_POLYGON_VERTICES} vertices; it has {}",
                        vertices.len()
                    ),
                ));
                return out;
            }
            let bad: Vec<usize> = vertices
                .iter()
                .enumerate()
                .filter(|(_, p)| !valid_point(**p))
                .map(|(i, _)| i)
                .collect();
            if let Some(first) = bad.first() {
                out.push((
                    ProblemKind::BadCoordinate,
                    format!(
                        "{} polygon vertices are not valid coordinates (first: vertex {})",
                        bad.len(),
                        first + 1
                    ),
                ));
            }
            if bad.is_empty() && point_ok && distinct.len() >= 3 {
                let far = vertices
                    .iter()
                    .map(|v| distance_m(loc.point, *v))
                    .fold(0.0f64, f64::max);
                if far > MAX_RADIUS_M {
                    out.push((
                        ProblemKind::BadPolygon,
                        format!(
                            "a polygon vertex is {far:.0} m from the station point; at most {MAX_RADIUS_M} m is allowed"
                        ),
                    ));
                }
                let ring: LineString<f64> = vertices.iter().map(|v| (v.lon, v.lat)).collect();
                let poly = Polygon::new(ring, vec![]);
                if !poly.intersects(&Point::new(loc.point.lon, loc.point.lat)) {
                    out.push((
                        ProblemKind::BadPolygon,
                        "the station point is outside its own polygon geofence".to_string(),
                    ));
                }
            }
        }
    }
    out
}

fn unsafe_identifier(what: &str, id: &str) -> String {
    format!(
        "{what} {id:?} is not 1 to {MAX_IDENTIFIER_LEN} ASCII letters, digits, '-', '_' and '.', \
         starting with a letter or digit"
    )
}
