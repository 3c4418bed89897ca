//! Every quarantine check triggered by a crafted station, each station held out of Form-47 until
//! the RO releases it with a reason.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tallyseal_core::model::GenderCounts;
use tallyseal_server::accounts::Role;
use tallyseal_server::provenance::CheckId;

use super::{
    Console, actor, ballot, consistent, constituency, election_ahead, fields, rid, station, typed,
};
use crate::helpers::{Db, Store};

async fn quarantine_checks(db: Db, _s: Store, test: &str) {
    let mut stations: Vec<_> = (1..=13).map(|n| station(n, None)).collect();
    // Station 6's roll is smaller than its sheet says.
    stations[5].registered = Some(GenderCounts {
        male: 100,
        female: 100,
        transgender: 0,
    });
    let c = constituency("NA-77", ballot(3), stations);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let ro = actor("u-ro", Role::ReturningOfficer, &console.c);
    let observer = actor("u-obs", Role::Observer, &console.c);

    let mut hashes = BTreeMap::new();
    let mut confirm =
        async |n: u32, f: BTreeMap<String, u32>, sealed: bool, failed: Option<CheckId>| {
            let hash = console
                .add_accepted_capture(n, sealed.then(|| typed(&f, 3)), failed)
                .await;
            console.double_entry(&hash, &f, &f).await;
            hashes.insert(n, hash);
        };
    for (n, v) in [
        (1, [100, 50, 20]),
        (2, [90, 60, 30]),
        (3, [110, 40, 25]),
        (4, [95, 55, 35]),
        (5, [105, 45, 15]),
    ] {
        confirm(n, consistent(&v, 4), true, None).await;
    }
    // 6: polled above the roll (150 + 150 polled, 100 + 100 on the roll).
    confirm(
        6,
        fields((300, 300), (150, 150), &[100, 120, 80], 0),
        true,
        None,
    )
    .await;
    // 7: turnout 10 %, far below the others' 50 %.
    confirm(
        7,
        fields((1000, 1000), (100, 100), &[90, 70, 40], 0),
        true,
        None,
    )
    .await;
    // 8 and 9: the same candidate counts.
    confirm(8, consistent(&[77, 66, 55], 2), true, None).await;
    confirm(9, consistent(&[77, 66, 55], 3), true, None).await;
    // 10: women's turnout 7.5 % (30 of 400) with the station's turnout at 50 %.
    confirm(
        10,
        fields((360, 400), (350, 30), &[200, 100, 80], 0),
        true,
        None,
    )
    .await;
    // 12: a failed verification check.
    confirm(
        12,
        consistent(&[81, 62, 33], 1),
        true,
        Some(CheckId::Geofence),
    )
    .await;
    // 13: candidate votes do not add up to the total valid votes (no sealed figures).
    let mut broken = consistent(&[70, 50, 30], 0);
    broken.insert("candidate_1".into(), 60);
    confirm(13, broken, false, None).await;
    // 11: both entries agree, the PO sealed another number; the RO settles to the entries'.
    let entered = consistent(&[88, 52, 21], 2);
    let mut po = entered.clone();
    po.insert("candidate_1".into(), 83);
    let h11 = console
        .add_accepted_capture(11, Some(typed(&po, 3)), None)
        .await;
    console.double_entry(&h11, &entered, &entered).await;
    let (s, v) = console
        .call(&ro, "POST", &format!("/figures/corrections/{h11}"), Some(json!({"id": rid(), "origin": "ro", "settlements": [{"field": "candidate_1", "value": 88, "reason": "both entries read 88 from the image"}]})))
        .await;
    assert_eq!(s, 200, "{v}");
    hashes.insert(11, h11);

    let (s, list) = console.call(&ro, "GET", "/figures/quarantine", None).await;
    assert_eq!(s, 200, "{list}");
    let codes = |n: u32| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .find(|q| q["station"] == n)
            .map(|q| {
                q["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["code"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    for n in 1..=5 {
        assert!(codes(n).is_empty(), "station {n}: {:?}", codes(n));
    }
    let expect = [
        (6, "polled_above_roll"),
        (7, "turnout_outlier"),
        (8, "identical_counts"),
        (9, "identical_counts"),
        (10, "women_turnout_under_10"),
        (11, "disagrees_with_sealed"),
        (12, "failed_check:geofence"),
        (13, "rule:candidate_sum_equals_total_valid"),
    ];
    for (n, code) in expect {
        assert!(
            codes(n).iter().any(|c| c == code),
            "station {n}: {:?}",
            codes(n)
        );
    }

    // Quarantined stations are awaited in Form-47, with the reason.
    let (s, f47) = console.call(&ro, "GET", "/forms/form47", None).await;
    assert_eq!(s, 200, "{f47}");
    let awaited: Vec<u64> = f47["stations_awaited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["station"].as_u64().unwrap())
        .collect();
    assert_eq!(awaited, (6..=13).collect::<Vec<u64>>());
    assert!(
        f47["stations_awaited"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["reason"] == "quarantined")
    );
    assert_eq!(f47["candidates"][0]["votes"], 500);

    // Releases: refused without the permission, without a reason, with unsafe text, for a station
    // that is not held; each crafted station released with a reason.
    let release = |hash: &str| format!("/figures/quarantine/{hash}/release");
    let (s, _) = console
        .call(
            &observer,
            "POST",
            &release(&hashes[&6]),
            Some(json!({"id": rid(), "origin": "o", "reason": "x"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &release(&hashes[&6]),
            Some(json!({"id": rid(), "origin": "ro", "reason": ""})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &release(&hashes[&6]),
            Some(json!({"id": rid(), "origin": "ro", "reason": "ok\u{0007}"})),
        )
        .await;
    assert_eq!(
        (s, v["type"].as_str()),
        (422, Some("https://tallyseal.org/problems/unsafe-text"))
    );
    let (s, _) = console
        .call(
            &ro,
            "POST",
            &release(&hashes[&1]),
            Some(json!({"id": rid(), "origin": "ro", "reason": "fine"})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM quarantine_releases WHERE election_id = $1",
                &console.c.election
            )
            .await,
        0
    );
    for n in 6..=13 {
        let (s, v) = console
            .call(&ro, "POST", &release(&hashes[&n]), Some(json!({"id": rid(), "origin": "ro", "reason": format!("station {n}: checked against the paper Form-45 and the presiding officer's statement")})))
            .await;
        assert_eq!(s, 200, "station {n}: {v}");
        assert_eq!(v["quarantined"], false);
    }
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &release(&hashes[&6]),
            Some(json!({"id": rid(), "origin": "ro", "reason": "again"})),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM events WHERE kind = $1",
                "quarantine_released"
            )
            .await,
        8
    );

    let (_, f47) = console.call(&ro, "GET", "/forms/form47", None).await;
    assert_eq!(f47["stations_awaited"], json!([]));
    assert_eq!(f47["stations_counted"].as_array().unwrap().len(), 13);
    let counted: Vec<Value> = f47["stations_counted"].as_array().unwrap().clone();
    assert!(
        counted
            .iter()
            .filter(|s| !s["released_by"].is_null())
            .count()
            == 8
    );
}

crate::on_backends!(
    quarantine_checks_each_triggered_and_released,
    quarantine_checks,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);
