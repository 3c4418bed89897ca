//! Forms 47, 48 and 49: only confirmed figures count, the rest are awaited with a reason; signed
//! versions supersede each other with a reason; the signature verifies; CSV and JSON exports.

use serde_json::json;
use tallyseal_core::keys::{PublicKey, SignatureBytes};
use tallyseal_server::accounts::Role;
use tallyseal_server::provenance;

use super::{
    Console, actor, ballot, consistent, constituency, election_ahead, rid, station, typed,
};
use crate::helpers::{Db, Store};

async fn forms(db: Db, _s: Store, test: &str) {
    let c = constituency(
        "NA-5",
        ballot(2),
        (1..=4).map(|n| station(n, None)).collect(),
    );
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let ro = actor("u-ro-5", Role::ReturningOfficer, &console.c);
    let op = actor("u-op1", Role::Operator, &console.c);
    let observer = actor("u-obs", Role::Observer, &console.c);
    let f1 = consistent(&[300, 200], 10);
    let f2 = consistent(&[150, 250], 5);
    let h1 = console
        .add_accepted_capture(1, Some(typed(&f1, 2)), None)
        .await;
    let h2 = console
        .add_accepted_capture(2, Some(typed(&f2, 2)), None)
        .await;
    console.double_entry(&h1, &f1, &f1).await;
    console.double_entry(&h2, &f2, &f2).await;
    // Station 3: received, one entry submitted. Station 4: nothing received.
    let h3 = console.add_accepted_capture(3, None, None).await;
    let (s, _) = console
        .call(
            &op,
            "POST",
            &format!("/figures/entries/{h3}/1/claim"),
            Some(json!({"id": rid(), "origin": "ws"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = console
        .call(&op, "POST", &format!("/figures/entries/{h3}/1/submit"), Some(json!({"id": rid(), "origin": "ws", "version": 1, "figures": consistent(&[1000, 1000], 0)})))
        .await;
    assert_eq!(s, 200);

    let (s, _) = console.call(&op, "GET", "/forms/form47", None).await;
    assert_eq!(s, 403, "operators do not see results");
    let (s, p) = console.call(&observer, "GET", "/forms/form47", None).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["candidates"][0]["votes"], 450);
    assert_eq!(p["candidates"][1]["votes"], 450);
    assert_eq!(p["total_valid"], 900);
    assert_eq!(p["rejected"], 15);
    assert_eq!(p["complete"], false);
    assert_eq!(p["deadline"]["status"], "on_time");
    assert_eq!(p["stations_awaited"][0]["station"], 3);
    assert_eq!(p["stations_awaited"][0]["reason"], "entry_pending");
    assert_eq!(p["stations_awaited"][1]["station"], 4);
    assert_eq!(p["stations_awaited"][1]["reason"], "no_capture");
    assert_eq!(p["stations_counted"][0]["manifest_hash"], h1);
    assert_eq!(p["turnout"]["polled"]["total"], 915);
    assert_eq!(p["turnout"]["permille"]["total"], 500);

    let (s, _) = console
        .call(
            &observer,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": rid(), "origin": "o"})),
        )
        .await;
    assert_eq!(s, 403);
    let v1_id = rid();
    let (s, v1) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": v1_id, "origin": "ro-office"})),
        )
        .await;
    assert_eq!(s, 200, "{v1}");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["statement"]["returning_officer"], "u-ro-5");
    // The signature verifies over the statement's canonical bytes, with the Commission key.
    let bytes = provenance::canonical_statement(&v1["statement"]).unwrap();
    assert_eq!(
        tallyseal_core::hash::sha256(&bytes).to_hex(),
        v1["body_sha256"]
    );
    let key: PublicKey = v1["signer_key"].as_str().unwrap().parse().unwrap();
    assert_eq!(key, console.state.commission_key.public_key());
    let sig: SignatureBytes = v1["signature"].as_str().unwrap().parse().unwrap();
    assert!(provenance::verify_form_statement(&key, &bytes, &sig));
    let mut tampered = v1["statement"].clone();
    tampered["content"]["candidates"][0]["votes"] = json!(451);
    assert!(!provenance::verify_form_statement(
        &key,
        &provenance::canonical_statement(&tampered).unwrap(),
        &sig
    ));
    // The same record again: the same version.
    let (s, again) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": v1_id, "origin": "ro-office"})),
        )
        .await;
    assert_eq!((s, &again["signature"]), (200, &v1["signature"]));

    // A new version: it must name the one it supersedes and say why.
    let (s, v) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": rid(), "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["current"]["record"], v1_id);
    let (s, v) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": rid(), "origin": "ro", "supersedes": v1_id})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("`reason`"));
    let (s, v2) = console
        .call(&ro, "POST", "/forms/form47/sign", Some(json!({"id": rid(), "origin": "ro", "supersedes": v1_id, "reason": "station 3's entries arrived"})))
        .await;
    assert_eq!(s, 200, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["statement"]["supersedes"], v1_id);
    let (_, versions) = console
        .call(&observer, "GET", "/forms/form47/versions", None)
        .await;
    assert_eq!(versions.as_array().unwrap().len(), 2);

    // Exports.
    let (s, csv) = console
        .call_raw(
            &observer,
            "GET",
            "/forms/form47/versions/1/export.csv",
            None,
        )
        .await;
    assert_eq!(s, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("section,key,name,party,value,source\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("candidate,1,Candidate 1,Independent,450,\r\n"),
        "{csv}"
    );
    assert!(csv.contains("awaited,4,Station 4,,no_capture,"), "{csv}");
    assert!(csv.contains("counted,1,,,") && csv.contains(&h1));
    let (s, json) = console
        .call(
            &observer,
            "GET",
            "/forms/form47/versions/2/export.json",
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(json["statement"]["content"]["form"], "form47");

    // Form-48: station-wise.
    let (s, f48) = console
        .call(
            &ro,
            "POST",
            "/forms/form48/sign",
            Some(json!({"id": rid(), "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 200, "{f48}");
    let (_, csv) = console
        .call_raw(
            &observer,
            "GET",
            "/forms/form48/versions/1/export.csv",
            None,
        )
        .await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("station,name,candidate_1,candidate_2,total_valid,rejected,total_polled,manifest_hash,confirmation\r\n"), "{csv}");
    assert!(
        csv.contains(&format!("1,Station 1,300,200,500,10,510,{h1},")),
        "{csv}"
    );

    // Form-49 needs the postal ballots, every candidate named.
    let (s, v) = console
        .call(
            &ro,
            "POST",
            "/forms/form49/sign",
            Some(json!({"id": rid(), "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = console
        .call(&ro, "POST", "/postal-ballots", Some(json!({"id": rid(), "origin": "ro", "votes": {"candidate_1": 7}, "rejected": 1, "reason": "postal ballots counted on 10 Feb"})))
        .await;
    assert_eq!(s, 422);
    assert!(
        v["detail"].as_str().unwrap().contains("votes.candidate_2"),
        "{v}"
    );
    let (s, v) = console
        .call(&ro, "POST", "/postal-ballots", Some(json!({"id": rid(), "origin": "ro", "votes": {"candidate_1": 7, "candidate_2": 3}, "rejected": 1, "reason": "postal ballots counted on 10 Feb"})))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, f49) = console
        .call(
            &ro,
            "POST",
            "/forms/form49/sign",
            Some(json!({"id": rid(), "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 200, "{f49}");
    let content = &f49["statement"]["content"];
    assert_eq!(content["candidates"][0]["votes"], 457);
    assert_eq!(content["candidates"][1]["postal_votes"], 3);
    assert_eq!(content["total_valid"], 910);
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM events WHERE kind = $1", "form_signed")
            .await,
        4
    );
    assert!(
        sqlx::query("UPDATE signed_forms SET reason = 'x'")
            .execute(console.pool())
            .await
            .is_err()
    );
}

crate::on_backends!(
    forms_47_48_49_signed_superseded_and_exported,
    forms,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);
