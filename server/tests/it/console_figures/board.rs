//! The figures domain's states on the arrival board and in the national summary: a station goes
//! from `accepted` (no figures state) through `entering` to `confirmed` after a blind double
//! entry; disagreeing entries show `disagreement`, then `confirmed` once the RO settles them; a
//! capture with a failed check is `quarantined` until the RO releases it.

use serde_json::{Value, json};
use tallyseal_server::accounts::Role;
use tallyseal_server::provenance::CheckId;

use super::{
    Console, actor, ballot, consistent, constituency, election_ahead, rid, station, typed,
};
use crate::helpers::Db;

/// The board's Form-45 of `station`: (state, figures state).
fn form45(board: &Value, station: u64) -> (Value, Value) {
    let s = board["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["station"] == station)
        .unwrap();
    let f = s["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["form"] == "form45")
        .unwrap();
    (f["state"].clone(), f["figures"].clone())
}

async fn board_shows_figures(db: Db, _s: crate::helpers::Store, test: &str) {
    let stations = (1..=4).map(|n| station(n, None)).collect();
    let c = constituency("NA-9", ballot(2), stations);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let ro = actor("u-ro", Role::ReturningOfficer, &console.c);
    let op1 = actor("u-op1", Role::Operator, &console.c);
    let board = async || {
        let (s, v) = console.call(&ro, "GET", "/board", None).await;
        assert_eq!(s, 200, "{v}");
        v
    };
    let f = consistent(&[50, 60], 2);
    let h1 = console
        .add_accepted_capture(1, Some(typed(&f, 2)), None)
        .await;
    let h2 = console.add_accepted_capture(2, None, None).await;
    // Station 3's counts differ from station 1's (identical counts at two stations are held too).
    let f3 = consistent(&[70, 41], 1);
    let h3 = console
        .add_accepted_capture(3, Some(typed(&f3, 2)), Some(CheckId::Geofence))
        .await;
    let b = board().await;
    assert_eq!(form45(&b, 1), (json!("accepted"), Value::Null));
    assert_eq!(form45(&b, 4), (json!("awaited"), Value::Null));

    // One operator claims entry 1: entering.
    let (s, v) = console
        .call(
            &op1,
            "POST",
            &format!("/figures/entries/{h1}/1/claim"),
            Some(json!({"id": rid(), "origin": "ws-1"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        form45(&board().await, 1),
        (json!("accepted"), json!("entering"))
    );

    // Both entries agree with each other and the PO's figures: confirmed.
    let (s, v) = console
        .call(
            &op1,
            "POST",
            &format!("/figures/entries/{h1}/1/submit"),
            Some(json!({"id": rid(), "origin": "ws-1", "version": 1, "figures": f})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let op2 = actor("u-op2", Role::Operator, &console.c);
    for (path, version) in [("claim", None), ("submit", Some(1))] {
        let mut body = json!({"id": rid(), "origin": "ws-2"});
        if let Some(n) = version {
            body["version"] = json!(n);
            body["figures"] = json!(f);
        }
        let (s, v) = console
            .call(
                &op2,
                "POST",
                &format!("/figures/entries/{h1}/2/{path}"),
                Some(body),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let b = board().await;
    assert_eq!(form45(&b, 1), (json!("accepted"), json!("confirmed")));

    // Station 2: the entries disagree; station 3: agreed, but its capture failed a check.
    let f2 = consistent(&[55, 61], 3);
    let mut g = f2.clone();
    g.insert("rejected".into(), f2["rejected"] + 1);
    g.insert("total_polled".into(), f2["total_polled"] + 1);
    g.insert("polled_male".into(), f2["polled_male"] + 1);
    console.double_entry(&h2, &f2, &g).await;
    console.double_entry(&h3, &f3, &f3).await;
    let b = board().await;
    assert_eq!(form45(&b, 2).1, json!("disagreement"));
    assert_eq!(form45(&b, 3).1, json!("quarantined"));
    assert_eq!(
        b["figures_counts"]["form45"],
        json!({"entering": 0, "disagreement": 1, "quarantined": 1, "confirmed": 1})
    );

    // The RO settles station 2 and releases station 3: both confirmed.
    let settle =
        |field: &str| json!({"field": field, "value": f2[field], "reason": "as on the sheet"});
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/corrections/{h2}"),
            Some(json!({"id": rid(), "origin": "ro", "settlements": [
                settle("rejected"), settle("total_polled"), settle("polled_male"),
            ]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/quarantine/{h3}/release"),
            Some(json!({"id": rid(), "origin": "ro", "reason": "the PO stood at the school gate"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let b = board().await;
    for n in 1..=3 {
        assert_eq!(form45(&b, n).1, json!("confirmed"), "station {n}");
    }

    // The national summary counts the same.
    let national = format!("/api/v1/console/{}/national", console.c.election);
    let (s, n) = console.call(&ro, "GET", &national, None).await;
    assert_eq!(s, 200, "{n}");
    assert_eq!(n["figures_totals"]["form45"]["confirmed"], 3);
    assert_eq!(
        n["constituencies"][0]["figures_counts"]["form45"]["confirmed"],
        3
    );
    assert_eq!(n["totals"]["form45"]["accepted"], 3);
}

crate::on_backends!(
    stations_reach_confirmed_on_the_board,
    board_shows_figures,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);
