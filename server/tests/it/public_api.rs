//! The public open data (`docs/public-api.md`) on SQLite and PostgreSQL, over captures the
//! console fixture seeds as the intake leaves them and the RO's real decisions, double entries
//! and signed Form-47 versions: the ledger's states (confirmed, entering, rejected, awaited),
//! results only from confirmed figures and summing to their totals, a superseded Form-47 version
//! listed with its reason, CSV, 304, and the 400/404 answers. The bundle of a real capture is
//! checked with the `tallyseal` binary (`cli/tests/cli.rs`).

use actix_web::{App, test as atest, web};
use serde_json::{Value, json};
use tallyseal_server::accounts::Role;

use crate::console_figures::{
    Console, actor, ballot, consistent, constituency, election_ahead, rid, station, typed,
};
use crate::helpers::{Db, Store};

/// GET `path` on the server's real routes: status, headers and body.
async fn get(
    console: &Console,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, actix_web::http::header::HeaderMap, Vec<u8>) {
    let app = atest::init_service(
        App::new()
            .app_data(console.state.clone())
            .app_data(web::PathConfig::default().error_handler(tallyseal_server::error::path_error))
            .configure(tallyseal_server::routes::configure)
            .default_service(web::to(tallyseal_server::error::not_found)),
    )
    .await;
    let mut req = atest::TestRequest::get().uri(path);
    for h in headers {
        req = req.insert_header(*h);
    }
    let resp = atest::call_service(&app, req.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, atest::read_body(resp).await.to_vec())
}

async fn get_json(console: &Console, path: &str) -> Value {
    let (s, h, b) = get(console, path, &[]).await;
    assert_eq!(s, 200, "{path}: {}", String::from_utf8_lossy(&b));
    assert_eq!(h.get("content-type").unwrap(), "application/json");
    serde_json::from_slice(&b).unwrap()
}

/// A problem answer: its status and `type` slug, checking the body never echoes `avoid`.
async fn problem(console: &Console, path: &str, avoid: &str) -> (u16, String) {
    let (s, h, b) = get(console, path, &[]).await;
    assert_eq!(
        h.get("content-type").unwrap(),
        "application/problem+json",
        "{path}"
    );
    let text = String::from_utf8_lossy(&b);
    assert!(
        avoid.is_empty() || !text.contains(avoid),
        "{path} echoed: {text}"
    );
    let v: Value = serde_json::from_slice(&b).unwrap();
    let slug = v["type"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (s, slug)
}

fn form<'a>(ledger: &'a Value, station: u64, form: &str) -> &'a Value {
    ledger["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["station"] == station)
        .and_then(|s| {
            s["forms"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["form"] == form)
        })
        .unwrap()
}

async fn public_reads(db: Db, _s: Store, test: &str) {
    let c = constituency(
        "NA-7",
        ballot(2),
        (1..=5).map(|n| station(n, None)).collect(),
    );
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let e = console.c.election.clone();
    let ro = actor("u-ro-7", Role::ReturningOfficer, &console.c);
    let op = actor("u-op1", Role::Operator, &console.c);
    // Stations 1 and 2 confirmed; 3 accepted with one entry; 4 rejected; 5 nothing.
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
    let h4 = console.add_capture(4, None, None).await;
    console.decide(&h4, "reject", Some("illegible"), None).await;

    // The elections.
    let list = get_json(&console, "/api/v1/elections").await;
    assert_eq!(list["elections"][0]["id"], e.as_str());
    assert_eq!(list["elections"][0]["poll_date"], "2099-02-08");

    // The ledger: one definition of the states, the figures domain's confirmation on top.
    let ledger = get_json(&console, &format!("/api/v1/elections/{e}/ledger")).await;
    assert_eq!(ledger["stations"].as_array().unwrap().len(), 5);
    assert_eq!(form(&ledger, 1, "form45")["state"], "confirmed");
    assert_eq!(form(&ledger, 1, "form45")["capture_state"], "accepted");
    assert_eq!(
        form(&ledger, 1, "form45")["captures"][0]["manifest_hash"],
        h1
    );
    assert_eq!(form(&ledger, 3, "form45")["state"], "accepted");
    assert_eq!(form(&ledger, 3, "form45")["figures_state"], "entering");
    let rejected = form(&ledger, 4, "form45");
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["captures"][0]["decision"], "reject");
    assert_eq!(rejected["captures"][0]["decision_reason_code"], "illegible");
    assert!(rejected["captures"][0]["decided_at_ms"].as_i64().is_some());
    assert_eq!(form(&ledger, 5, "form45")["state"], "awaited");
    assert_eq!(form(&ledger, 1, "form46")["state"], "awaited");
    let only = get_json(
        &console,
        &format!("/api/v1/elections/{e}/ledger?constituency=NA-7"),
    )
    .await;
    assert_eq!(only, ledger);
    let (s, h, csv) = get(&console, &format!("/api/v1/elections/{e}/ledger.csv"), &[]).await;
    assert_eq!(s, 200);
    assert!(
        h.get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("election,constituency,station,station_name,form,form_state"));
    assert!(
        csv.contains(&format!(
            "{e},NA-7,4,Station 4,form45,rejected,,current,{h4},1,1,rejected"
        )),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("{e},NA-7,5,Station 5,form45,awaited,,awaited,")),
        "{csv}"
    );

    // Form-47: version 1, then version 2 superseding it with a reason.
    let v1_id = rid();
    let (s, v1) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": v1_id, "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 200, "{v1}");
    let (s, v2) = console
        .call(&ro, "POST", "/forms/form47/sign", Some(json!({"id": rid(), "origin": "ro", "supersedes": v1_id, "reason": "station 2 recounted"})))
        .await;
    assert_eq!(s, 200, "{v2}");

    // Results: only confirmed figures, each station with the capture they came from.
    let path = format!("/api/v1/elections/{e}/constituencies/NA-7/results");
    let r = get_json(&console, &path).await;
    let stations = r["stations"].as_array().unwrap();
    let counted: Vec<(u64, &str)> = stations
        .iter()
        .map(|s| {
            (
                s["station"].as_u64().unwrap(),
                s["manifest_hash"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(counted, vec![(1, h1.as_str()), (2, h2.as_str())]);
    assert_eq!(r["candidates"][0]["votes"], 450);
    assert_eq!(r["candidates"][1]["votes"], 450);
    // Anyone can re-add the station rows to the totals.
    for (i, cand) in r["candidates"].as_array().unwrap().iter().enumerate() {
        let sum: u64 = stations
            .iter()
            .map(|s| s["votes"][i].as_u64().unwrap())
            .sum();
        assert_eq!(cand["votes"].as_u64().unwrap(), sum);
    }
    let valid: u64 = stations
        .iter()
        .map(|s| s["total_valid"].as_u64().unwrap())
        .sum();
    assert_eq!(r["total_valid"].as_u64().unwrap(), valid);
    assert_eq!(r["rejected"], 15);
    assert_eq!(r["turnout"]["polled"]["total"], 915);
    assert!(r["turnout"]["polled"]["female"].as_u64().unwrap() > 0);
    let awaited: Vec<(u64, &str)> = r["awaited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["station"].as_u64().unwrap(),
                a["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        awaited,
        vec![(3, "entry_pending"), (4, "not_accepted"), (5, "no_capture")]
    );
    let versions = r["form47_versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["record"], v1_id);
    assert_eq!(versions[0]["superseded_by"], v2["record"]);
    assert_eq!(versions[0]["superseded_reason"], "station 2 recounted");
    assert_eq!(versions[1]["superseded_by"], Value::Null);
    assert_eq!(r["form47_in_force"], v2["body_sha256"]);

    let (s, _, csv) = get(&console, &format!("{path}.csv"), &[]).await;
    assert_eq!(s, 200);
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "row,station,station_name,manifest_hash,confirmation,candidate_1,candidate_2,total_valid,rejected,total_polled,awaited_reason"
    );
    assert!(lines[1].starts_with(&format!("station,1,Station 1,{h1},")));
    assert_eq!(lines[3], "total,,,,,450,450,900,15,915,");
    assert!(lines[4].starts_with("awaited,3,Station 3,") && lines[4].ends_with(",entry_pending"));

    // Cache validators: the same tag gets a 304 without a body.
    let (s, h, _) = get(&console, &path, &[]).await;
    assert_eq!(s, 200);
    let tag = h.get("etag").unwrap().to_str().unwrap().to_owned();
    assert!(
        h.get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("max-age=10")
    );
    assert!(h.get("last-modified").is_some());
    let (s, h, body) = get(&console, &path, &[("If-None-Match", tag.as_str())]).await;
    assert_eq!((s, body.len()), (304, 0));
    assert_eq!(h.get("etag").unwrap().to_str().unwrap(), tag);
    let (s, _, _) = get(&console, &path, &[("If-None-Match", "\"other\"")]).await;
    assert_eq!(s, 200);

    // Bad input: unknown → 404, malformed → 400, never echoed, nothing stored.
    let events_before = console
        .count("SELECT COUNT(*) FROM events WHERE kind <> $1", "x")
        .await;
    let unknown_hash = "ab".repeat(32);
    for (path, status, slug) in [
        (
            "/api/v1/elections/no-such/ledger".to_owned(),
            404,
            "unknown-election",
        ),
        (
            "/api/v1/elections/no-such/constituencies/NA-7/results".to_owned(),
            404,
            "unknown-election",
        ),
        (
            format!("/api/v1/elections/{e}/constituencies/NA-999/results"),
            404,
            "not-found",
        ),
        (
            format!("/api/v1/elections/{e}/constituencies/NA-999/bundles.tar"),
            404,
            "not-found",
        ),
        (
            format!("/api/v1/elections/{e}/ledger?constituency=NA-999"),
            404,
            "not-found",
        ),
        (
            format!("/api/v1/captures/{unknown_hash}/bundle"),
            404,
            "unknown-submission",
        ),
        ("/api/v1/captures/xyz/bundle".to_owned(), 400, "bad-request"),
        (
            format!("/api/v1/captures/{}/bundle", "g".repeat(64)),
            400,
            "bad-request",
        ),
        (
            "/api/v1/elections/%3Cscript%3E/ledger".to_owned(),
            400,
            "bad-request",
        ),
        (
            format!("/api/v1/elections/{e}/constituencies/%3Cscript%3E/results.csv"),
            400,
            "bad-request",
        ),
        (
            format!("/api/v1/elections/{e}/ledger?constituency=%3Cscript%3E"),
            400,
            "bad-request",
        ),
        (
            format!(
                "/api/v1/elections/{e}/ledger?constituency={}",
                "x".repeat(300)
            ),
            400,
            "bad-request",
        ),
    ] {
        assert_eq!(
            problem(&console, &path, "<script>").await,
            (status, slug.to_owned()),
            "{path}"
        );
    }
    let events_after = console
        .count("SELECT COUNT(*) FROM events WHERE kind <> $1", "x")
        .await;
    assert_eq!(events_before, events_after);
}

crate::on_backends!(
    public_ledger_results_corrections_and_bad_input,
    public_reads,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);

/// Every path of the OpenAPI document is a route of the server (a path's own 404 names what is
/// missing, never "no such endpoint"), and the document is the one served.
async fn openapi_paths(db: Db, _s: Store, test: &str) {
    let c = constituency("NA-7", ballot(2), vec![station(1, None)]);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let doc = get_json(&console, "/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 12, "{}", paths.len());
    for (template, item) in paths {
        assert!(item.get("get").is_some(), "{template}");
        let path = template
            .replace("{election}", &console.c.election)
            .replace("{code}", "NA-7")
            .replace("{manifest_hash}", &"ab".repeat(32))
            .replace("{level}", "0")
            .replace("{index}", "000");
        let (s, _, b) = get(&console, &path, &[]).await;
        let text = String::from_utf8_lossy(&b);
        assert!(
            s != 405 && !text.contains("no such endpoint"),
            "{template}: {s} {text}"
        );
        assert!(s < 500, "{template}: {s} {text}");
    }
}

crate::on_backends!(
    openapi_document_paths_are_routes,
    openapi_paths,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);

/// A capture sent through the real intake (manifest, then the image over tus): its bundle over
/// HTTP is the phone's capture with the server's receipt and, once the log's checkpoint covers
/// it, its inclusion proof; core's verifier finds nothing wrong; a 304 on its tag; the ledger
/// lists it; the constituency's archive holds it with its SHA-256.
async fn real_capture_bundle(db: Db, store: Store, test: &str) {
    use tallyseal_core::bundle::EvidenceBundle;
    use tallyseal_core::verify::{Outcome, VerificationContext, verify_bundle};

    let Some(app) = crate::helpers::spawn_app(db, store, test).await else {
        return;
    };
    let (_, sealed) = app.first_capture_sent(&crate::helpers::jpeg()).await;
    let r = app.create_with(&sealed, sealed.image.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let status = app.analysed_status(&sealed).await;
    let hash = sealed.manifest_hash.to_hex();
    let url = app.url(&format!("/api/v1/captures/{hash}/bundle"));
    let mut served = None;
    for _ in 0..100 {
        let r = app.client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let tag = r.headers()["etag"].to_str().unwrap().to_owned();
        let bytes = r.bytes().await.unwrap().to_vec();
        let b = EvidenceBundle::from_bytes(&bytes).unwrap();
        if b.log_proof.is_some() {
            served = Some((b, tag));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (bundle, tag) = served.expect("the log proof within 10 s");
    assert_eq!(bundle.manifest, sealed.manifest_bytes);
    assert_eq!(bundle.signature, sealed.signature);
    assert_eq!(bundle.image.as_deref(), Some(sealed.image.as_slice()));
    // What an auditor knows: the package, and the server's key for receipts and time anchors.
    let ctx = VerificationContext {
        package: Some(tallyseal_core::demo::package()),
        anchor_keys: vec![app.commission_key],
        receipt_keys: vec![app.commission_key],
        now_ms: tallyseal_server::now_ms(),
        ..VerificationContext::default()
    };
    let report = verify_bundle(&bundle, &ctx);
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| c.check.as_str())
        .collect();
    // The photo is a real one taken elsewhere, years before the poll: what the server found
    // wrong with it, the bundle shows anyone; its integrity checks pass.
    let server_failed: Vec<&str> = status["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(
        failed.iter().all(|f| server_failed.contains(&f.as_str())),
        "{failed:?} {server_failed:?}"
    );
    let passed = |name: &str| {
        report
            .checks
            .iter()
            .any(|c| c.check.as_str() == name && c.outcome == Outcome::Pass)
    };
    assert!(passed("signature") && passed("image_hash") && passed("receipt"));
    let r = app
        .client
        .get(&url)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=3600")
    );

    let ledger = app
        .get_json("/api/v1/elections/pk-ge-2024-demo/ledger?constituency=NA-128")
        .await;
    let f = form(&ledger, 1, "form45");
    assert_eq!(f["captures"][0]["manifest_hash"], hash.as_str());
    assert!(
        ["verified", "flagged"].contains(&f["state"].as_str().unwrap()),
        "{f}"
    );

    let r = app
        .client
        .get(app.url("/api/v1/elections/pk-ge-2024-demo/constituencies/NA-128/bundles.tar"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    let tar = r.bytes().await.unwrap();
    assert_eq!(tar.len() % 512, 0);
    let name = format!("station-1/form45/{hash}.tsb");
    assert_eq!(&tar[..name.len()], name.as_bytes());
    let text = String::from_utf8_lossy(&tar);
    let sums_at = text.find("SHA256SUMS").unwrap();
    let sums = &text[sums_at..];
    assert!(sums.contains(&format!("  pk-ge-2024-demo/NA-128/{name}")));
}

crate::on_backends!(
    public_bundle_of_a_real_capture,
    real_capture_bundle,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Garage, postgres_garage),
    ]
);
