//! Blind double entry by two operators with one disagreement settled by the RO; stale versions;
//! fields refused by name; concurrent saves from several workstations.

use serde_json::{Value, json};
use tallyseal_server::accounts::Role;
use tallyseal_server::figures::entries::{self, SaveRequest};
use tallyseal_server::figures::records::RecordMeta;

use super::{
    Console, actor, ballot, consistent, constituency, election_ahead, rid, station, typed,
};
use crate::helpers::Db;

async fn double_entry_with_one_disagreement(db: Db, test: &str) {
    let c = constituency("NA-9", ballot(3), vec![station(1, None), station(2, None)]);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let po = consistent(&[120, 80, 40], 5);
    let hash = console.add_capture(1, Some(typed(&po, 3)), None).await;
    let op1 = actor("u-op1", Role::Operator, &console.c);
    let op2 = actor("u-op2", Role::Operator, &console.c);
    let ro = actor("u-ro", Role::ReturningOfficer, &console.c);
    let entry = |slot: u32| format!("/figures/entries/{hash}/{slot}");

    // Not yet accepted by the RO: nothing to enter, nothing stored.
    let (s, v) = console
        .call(
            &op1,
            "POST",
            &format!("{}/claim", entry(1)),
            Some(json!({"id": rid(), "origin": "ws-1"})),
        )
        .await;
    assert_eq!(s, 404, "{v}");
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM figure_entries WHERE manifest_hash = $1",
                &hash
            )
            .await,
        0
    );
    console.decide(&hash, "accept", None, None).await;

    // Operator 1 claims entry 1 (twice: the same claim), cannot take entry 2 nor read it.
    let claim_id = rid();
    let (s, v) = console
        .call(
            &op1,
            "POST",
            &format!("{}/claim", entry(1)),
            Some(json!({"id": claim_id, "origin": "ws-1"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 1);
    assert_eq!(v["state"], "claimed");
    assert!(v.get("sealed").is_none() && !v.to_string().contains("\"120\""));
    let (s, _) = console
        .call(
            &op1,
            "POST",
            &format!("{}/claim", entry(1)),
            Some(json!({"id": claim_id, "origin": "ws-1"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = console
        .call(
            &op1,
            "POST",
            &format!("{}/claim", entry(2)),
            Some(json!({"id": rid(), "origin": "ws-1"})),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, _) = console
        .call(
            &op2,
            "POST",
            &format!("{}/claim", entry(2)),
            Some(json!({"id": rid(), "origin": "ws-2"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = console.call(&op1, "GET", &entry(2), None).await;
    assert_eq!(s, 403, "operator 1 must not see entry 2");
    let (s, _) = console
        .call(
            &op2,
            "POST",
            &format!("{}/claim", entry(1)),
            Some(json!({"id": rid(), "origin": "ws-2"})),
        )
        .await;
    assert_eq!(s, 403);
    // The RO does not key figures; operators do not see corrections.
    let (s, _) = console
        .call(
            &ro,
            "POST",
            &format!("{}/claim", entry(1)),
            Some(json!({"id": rid(), "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = console
        .call(&op1, "GET", &format!("/figures/corrections/{hash}"), None)
        .await;
    assert_eq!(s, 403);

    // A draft, then a stale save: 409 with the current state, nothing lost.
    let mut partial = serde_json::Map::new();
    partial.insert("candidate_1".into(), json!(120));
    let (s, v) = console
        .call(
            &op1,
            "PUT",
            &entry(1),
            Some(json!({"id": rid(), "origin": "ws-1", "version": 1, "figures": partial})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], 2);
    let (s, v) = console.call(&op1, "PUT", &entry(1), Some(json!({"id": rid(), "origin": "ws-1b", "version": 1, "figures": {"candidate_1": 999}}))).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["type"], "https://tallyseal.org/problems/stale-version");
    assert_eq!(v["current"]["version"], 2);
    assert_eq!(v["current"]["figures"]["candidate_1"], 120);

    // 422 naming the field: a negative count, a field Form-45 does not have, a fraction.
    for (figures, field) in [
        (json!({"candidate_2": -1}), "figures.candidate_2"),
        (json!({"ballots_issued": 3}), "figures.ballots_issued"),
        (json!({"candidate_4": 3}), "figures.candidate_4"),
        (json!({"rejected": 2.5}), "figures.rejected"),
    ] {
        let (s, v) = console
            .call(
                &op1,
                "PUT",
                &entry(1),
                Some(json!({"id": rid(), "origin": "ws-1", "version": 2, "figures": figures})),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["type"], "https://tallyseal.org/problems/invalid-field");
        assert!(v["detail"].as_str().unwrap().contains(field), "{v}");
    }
    // Submitting with a field missing names it.
    let (s, v) = console
        .call(
            &op1,
            "POST",
            &format!("{}/submit", entry(1)),
            Some(json!({"id": rid(), "origin": "ws-1", "version": 2, "figures": partial})),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("figures.registered_male"),
        "{v}"
    );

    // Core's rules as the operator types.
    let (s, v) = console
        .call(
            &op1,
            "POST",
            "/figures/validate",
            Some(json!({"manifest_hash": hash, "figures": {"candidate_1": 10, "total_valid": 11}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let rules: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"candidate_sum_equals_total_valid"),
        "{rules:?}"
    );

    // Both submit; entry 2 misreads candidate 2 (80 → 30, total 190 → 140).
    let (s, v) = console
        .call(
            &op1,
            "POST",
            &format!("{}/submit", entry(1)),
            Some(json!({"id": rid(), "origin": "ws-1", "version": 2, "figures": po})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "submitted");
    let mut misread = po.clone();
    misread.insert("candidate_2".into(), 30);
    let (s, v) = console
        .call(
            &op2,
            "POST",
            &format!("{}/submit", entry(2)),
            Some(json!({"id": rid(), "origin": "ws-2", "version": 1, "figures": misread})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(
        v.get("differing").is_none(),
        "an operator is not told about the other entry"
    );
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM figure_confirmations WHERE manifest_hash = $1",
                &hash
            )
            .await,
        0
    );

    // The RO sees both entries and the PO's figures side by side.
    let (s, v) = console
        .call(&ro, "GET", &format!("/figures/corrections/{hash}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["differing"], json!(["candidate_2"]));
    assert_eq!(v["entries"][1]["figures"]["candidate_2"], 30);
    assert_eq!(v["sealed"]["candidate_2"], 80);
    assert!(v["confirmation"].is_null());

    // Settling without a reason, or with an unsafe one, is refused; nothing stored.
    let body = |reason: &str, id: &str| json!({"id": id, "origin": "ro-office", "settlements": [{"field": "candidate_2", "value": 80, "reason": reason}]});
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/corrections/{hash}"),
            Some(body("  ", &rid())),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("settlements[0].reason")
    );
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/corrections/{hash}"),
            Some(body("looks \u{202e}fine", &rid())),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, _) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/corrections/{hash}"),
            Some(json!({"id": rid(), "origin": "ro", "settlements": []})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM figure_confirmations WHERE manifest_hash = $1",
                &hash
            )
            .await,
        0
    );

    let settle_id = rid();
    let reason = "the image shows 80 for candidate 2 <script>alert(1)</script>";
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/corrections/{hash}"),
            Some(body(reason, &settle_id)),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["confirmation"]["how"], "settled");
    assert_eq!(v["confirmation"]["figures"]["candidate_2"], 80);
    assert_eq!(v["confirmation"]["settlements"][0]["reason"], reason);
    // The same record again is the same answer, and nothing more is stored.
    let (s, _) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/corrections/{hash}"),
            Some(body(reason, &settle_id)),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM figure_confirmations WHERE manifest_hash = $1",
                &hash
            )
            .await,
        1
    );
    let stored: (String, String, String) =
        sqlx::query_as("SELECT figures, actor, origin FROM figure_confirmations WHERE id = $1")
            .bind(settle_id.clone())
            .fetch_one(console.pool())
            .await
            .unwrap();
    let figures: Value = serde_json::from_str(&stored.0).unwrap();
    assert_eq!(figures["candidate_2"], 80);
    assert_eq!(
        (stored.1.as_str(), stored.2.as_str()),
        ("u-ro", "ro-office")
    );
    // Every step is an event; records are never updated.
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM events WHERE subject = $1 ORDER BY id")
            .bind(hash.clone())
            .fetch_all(console.pool())
            .await
            .unwrap();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "figures_entry_claimed")
            .count(),
        2
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "figures_entry_submitted")
            .count(),
        2
    );
    assert_eq!(kinds.last().map(String::as_str), Some("figures_settled"));
    assert!(
        sqlx::query("UPDATE figure_entries SET figures = '{}'")
            .execute(console.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM figure_confirmations")
            .execute(console.pool())
            .await
            .is_err()
    );

    // A second settlement must name the confirmation it supersedes.
    let (s, v) = console
        .call(
            &ro,
            "POST",
            &format!("/figures/corrections/{hash}"),
            Some(body("again", &rid())),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["current"]["confirmation"]["record"], settle_id);
}

crate::on_backends!(
    double_entry_with_one_disagreement_settled,
    double_entry_with_one_disagreement_case,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);

async fn double_entry_with_one_disagreement_case(db: Db, _s: crate::helpers::Store, test: &str) {
    double_entry_with_one_disagreement(db, test).await;
}

async fn agreement_confirms(db: Db, _s: crate::helpers::Store, test: &str) {
    let c = constituency("NA-9", ballot(2), vec![station(1, None)]);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let f = consistent(&[50, 60], 2);
    let hash = console
        .add_accepted_capture(1, Some(typed(&f, 2)), None)
        .await;
    console.double_entry(&hash, &f, &f).await;
    let how: String =
        sqlx::query_scalar("SELECT how FROM figure_confirmations WHERE manifest_hash = $1")
            .bind(hash.clone())
            .fetch_one(console.pool())
            .await
            .unwrap();
    assert_eq!(how, "agreed");
}

crate::on_backends!(
    both_entries_agreeing_with_the_po_confirm,
    agreement_confirms,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);

/// Eight workstations save the same version of one entry at once: exactly one wins, the others
/// get the current state; one row per version is stored.
async fn concurrent_saves(db: Db, _s: crate::helpers::Store, test: &str) {
    let c = constituency("NA-9", ballot(2), vec![station(1, None)]);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let hash = console.add_accepted_capture(1, None, None).await;
    let op = actor("u-op1", Role::Operator, &console.c);
    let (s, _) = console
        .call(
            &op,
            "POST",
            &format!("/figures/entries/{hash}/1/claim"),
            Some(json!({"id": rid(), "origin": "ws-0"})),
        )
        .await;
    assert_eq!(s, 200);
    let mut tasks = Vec::new();
    for i in 0..8u32 {
        let state = console.state.clone();
        let (c, op, hash) = (console.c.clone(), op.clone(), hash.clone());
        tasks.push(tokio::spawn(async move {
            let req = SaveRequest {
                meta: RecordMeta {
                    id: rid(),
                    origin: format!("ws-{i}"),
                },
                version: 1,
                figures: json!({"candidate_1": i}),
            };
            entries::save(&state, &c, &op, &hash, 1, &req, false).await
        }));
    }
    let mut won = 0;
    let mut stale = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(v) => {
                assert_eq!(v.version, 2);
                won += 1;
            }
            Err(tallyseal_server::figures::FiguresError::Stale { current, .. }) => {
                assert_eq!(current["version"], 2);
                stale += 1;
            }
            Err(tallyseal_server::figures::FiguresError::Api(e)) => panic!("{e}"),
        }
    }
    assert_eq!((won, stale), (1, 7));
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM figure_entries WHERE manifest_hash = $1 AND version = 2",
                &hash
            )
            .await,
        1
    );
}

crate::on_backends!(
    concurrent_saves_one_wins_per_version,
    concurrent_saves,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);
