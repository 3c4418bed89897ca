//! The election package the phone held, and whether the claimed station is in it.
//! Like every check, it must never do I/O, read the clock or panic on what a capture holds.

use serde_json::json;

use super::context::VerificationContext;
use super::report::{CheckId, Checks};
use crate::manifest::CaptureManifest;
use crate::model::{Constituency, PollingStation};

pub(super) fn check_package_and_station<'a>(
    m: &CaptureManifest,
    ctx: &'a VerificationContext,
    c: &mut Checks,
) -> (Option<&'a Constituency>, Option<&'a PollingStation>) {
    let Some(pkg) = &ctx.package else {
        c.warn(
            CheckId::ElectionPackage,
            "no election package in the context: the station, geofence, poll times and ballot \
             could not be checked",
            json!({"manifest_package": m.package}),
        );
        c.warn(
            CheckId::StationKnown,
            "not checked: no election package",
            json!({}),
        );
        return (None, None);
    };
    let measured = json!({
        "manifest_package": m.package,
        "context_package": ctx.package_hash,
        "election": m.election,
    });
    if pkg.election.id != m.election {
        c.fail(
            CheckId::ElectionPackage,
            format!(
                "the capture is for election {:?}, the package is for {:?}",
                m.election, pkg.election.id
            ),
            measured,
        );
    } else if m.package.is_none() {
        c.warn(
            CheckId::ElectionPackage,
            "the phone did not hold a signed election package",
            measured,
        );
    } else if ctx.package_hash.is_some() && m.package != ctx.package_hash {
        c.warn(
            CheckId::ElectionPackage,
            "the phone held a different version of the election package than the verifier",
            measured,
        );
    } else {
        c.pass(
            CheckId::ElectionPackage,
            "the phone held this election's signed package",
            measured,
        );
    }

    let Some(con) = pkg.constituencies.iter().find(|k| k.code == m.constituency) else {
        c.fail(
            CheckId::StationKnown,
            format!(
                "constituency {} is not in the election package",
                m.constituency
            ),
            json!({"constituency": m.constituency}),
        );
        return (None, None);
    };
    let Some(st) = con.station(m.station) else {
        c.fail(
            CheckId::StationKnown,
            format!(
                "station {} is not in {}'s polling scheme ({} stations)",
                m.station,
                con.code,
                con.stations.len()
            ),
            json!({"constituency": m.constituency, "station": m.station, "stations_in_scheme": con.stations.len()}),
        );
        return (Some(con), None);
    };
    c.pass(
        CheckId::StationKnown,
        format!("{} station {}: {}", con.code, st.number, st.name),
        json!({"constituency": con.code, "station": st.number, "station_type": st.station_type}),
    );
    (Some(con), Some(st))
}
