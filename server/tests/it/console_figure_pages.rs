//! The figures pages over a running server with real sessions: two operators key the same
//! Form-45 through the entry pages (a stale save answers 409 with what was typed shown back, a
//! value that is not a whole number a 422 page naming the field, script shown as text), the RO
//! settles the disagreement on the corrections page and signs Form-47; another constituency's RO
//! gets 403 and a POST without the anti-forgery token is refused, nothing stored either way.

use serde_json::json;
use tallyseal_server::accounts::{ConstituencyRef, Role, Scope};

use crate::console_api::{Console, ELECTION, OWN, ro};
use crate::console_support::{Browser, add_user, database};
use crate::helpers::{Db, Store, TestApp, jpeg, spawn_app};
use crate::on_backends;

async fn entries_stored(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM figure_entries").await
}

async fn confirmations_stored(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM figure_confirmations").await
}

/// The `f.<field>` names of an entry page, in order.
fn field_names(html: &str) -> Vec<String> {
    html.split("name=\"f.")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// A hidden input's value.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    html[at..]
        .split("value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned()
}

async fn pages_enter_settle_and_sign(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let own = ConstituencyRef::new(ELECTION, OWN);
    let accounts = database(&app).await;
    let scope = |c: &ConstituencyRef| Scope::Constituencies(vec![c.clone()]);
    let (_, ro_pw) = add_user(&accounts, "ro-128", Role::ReturningOfficer, scope(&own)).await;
    let other = ConstituencyRef::new(ELECTION, "NA-129");
    let (_, other_pw) = add_user(&accounts, "ro-129", Role::ReturningOfficer, scope(&other)).await;
    let (_, op1_pw) = add_user(&accounts, "op-one", Role::Operator, scope(&own)).await;
    let (_, op2_pw) = add_user(&accounts, "op-two", Role::Operator, scope(&own)).await;

    // A verified capture of station 1, accepted by the RO.
    let (_, sealed) = app.first_capture_sent(&jpeg()).await;
    assert_eq!(
        app.create_with(&sealed, sealed.image.clone())
            .await
            .status(),
        201
    );
    let hash = sealed.manifest_hash.to_hex();
    let console = Console::start(&app);
    let accept = json!({"decision_id": "3f2b8c1a-9d4e-4b7a-8c6f-1a2b3c4d5e6f", "action": "accept"});
    assert_eq!(console.decide(&ro(), &hash, accept).await.status(), 201);

    let base = format!("/console/{ELECTION}/{OWN}");
    let mut op1 = Browser::signed_in(&app, "op-one", &op1_pw).await;
    let mut op2 = Browser::signed_in(&app, "op-two", &op2_pw).await;
    let mut ro_b = Browser::signed_in(&app, "ro-128", &ro_pw).await;
    let mut other_b = Browser::signed_in(&app, "ro-129", &other_pw).await;

    // The list of captures awaiting an entry.
    let r = op1.get(&format!("{base}/entries")).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(&hash));

    // Another constituency's RO: 403 on every page and form, nothing stored.
    for path in [
        "quarantine",
        "forms/form47",
        "corrections",
        "forms/form49/print",
    ] {
        let r = other_b.get(&format!("{base}/{path}")).await;
        assert_eq!(r.status(), 403, "{path}");
    }
    let r = other_b
        .post_with_token(
            &format!("{base}/forms/form47/sign"),
            &[("id", "sign-other")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM signed_forms").await, 0);
    // An RO does not key figures (operators do).
    assert_eq!(ro_b.get(&format!("{base}/entries")).await.status(), 403);

    // A claim without the anti-forgery token: refused, nothing stored.
    let before = entries_stored(&app).await;
    let r = op1
        .post_form(
            &format!("{base}/entries/{hash}/1/claim"),
            &[("id", "claim-x")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(entries_stored(&app).await, before);

    // Claims: entry 1 for one operator, entry 2 for the other.
    for (b, slot) in [(&mut op1, "1"), (&mut op2, "2")] {
        let r = b
            .post_with_token(&format!("{base}/entries/{hash}/{slot}/claim"), &[])
            .await;
        assert_eq!(r.status(), 303);
    }
    let entry1 = format!("{base}/entries/{hash}/1");
    let html = op1.get(&entry1).await.text().await.unwrap();
    let names = field_names(&html);
    assert!(
        names.contains(&"total_valid".to_owned()) && names.len() > 9,
        "{names:?}"
    );
    assert!(html.contains(&format!("/captures/{hash}/image")));
    // The other operator cannot open entry 1.
    assert_eq!(op2.get(&entry1).await.status(), 403);

    // A value that is not a whole number: 422 naming the field, the typed values shown back,
    // script shown as text, nothing stored.
    let before = entries_stored(&app).await;
    let version = hidden(&html, "version");
    let mut typed: Vec<(String, String)> = names
        .iter()
        .map(|n| (format!("f.{n}"), "0".into()))
        .collect();
    typed[0].1 = "<script>alert(1)</script>".into();
    let mut fields: Vec<(&str, &str)> = vec![("action", "save"), ("version", &version)];
    fields.extend(typed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = op1.post_with_token(&entry1, &fields).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains(&format!("figures.{}", names[0])), "{page}");
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(page.contains("&#60;script&#62;alert(1)") || page.contains("&lt;script&gt;alert(1)"));
    assert_eq!(entries_stored(&app).await, before);

    // A draft saved, then a save of the old version: 409 with the stored state, the typed
    // values shown back.
    let all_zero: Vec<(String, String)> = names
        .iter()
        .map(|n| (format!("f.{n}"), "0".into()))
        .collect();
    let with = |extra: &[(&'static str, String)], values: &[(String, String)]| {
        let mut v: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        v.extend_from_slice(values);
        v
    };
    let save = with(
        &[("action", "save".into()), ("version", version.clone())],
        &all_zero,
    );
    let as_refs = |v: &[(String, String)]| -> Vec<(String, String)> { v.to_vec() };
    let post = async |b: &mut Browser, path: &str, v: Vec<(String, String)>| {
        let refs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post_with_token(path, &refs).await
    };
    assert_eq!(post(&mut op1, &entry1, as_refs(&save)).await.status(), 303);
    let mut stale_values = all_zero.clone();
    stale_values[1].1 = "777".into();
    let stale = with(
        &[("action", "save".into()), ("version", version.clone())],
        &stale_values,
    );
    let r = post(&mut op1, &entry1, stale).await;
    assert_eq!(r.status(), 409);
    let page = r.text().await.unwrap();
    assert!(page.contains("value=\"777\""), "typed value lost: {page}");
    assert!(page.contains("stored-title"));

    // Both submit; entry 2 differs in one field.
    let html = op1.get(&entry1).await.text().await.unwrap();
    let submit1 = with(
        &[
            ("action", "submit".into()),
            ("version", hidden(&html, "version")),
        ],
        &all_zero,
    );
    assert_eq!(post(&mut op1, &entry1, submit1).await.status(), 303);
    let entry2 = format!("{base}/entries/{hash}/2");
    let html = op2.get(&entry2).await.text().await.unwrap();
    let mut differing = all_zero.clone();
    differing[0].1 = "5".into();
    let submit2 = with(
        &[
            ("action", "submit".into()),
            ("version", hidden(&html, "version")),
        ],
        &differing,
    );
    assert_eq!(post(&mut op2, &entry2, submit2).await.status(), 303);
    assert_eq!(confirmations_stored(&app).await, 0);

    // The RO's corrections: the differing field highlighted; settled without a reason: 422
    // naming it, nothing stored; with a reason: confirmed.
    let r = ro_b.get(&format!("{base}/corrections")).await;
    assert!(r.text().await.unwrap().contains(&hash));
    let corrections = format!("{base}/corrections/{hash}");
    let html = ro_b.get(&corrections).await.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"differs-{}\"", names[0])),
        "{html}"
    );
    let v = format!("v.{}", names[0]);
    let rk = format!("r.{}", names[0]);
    let r = ro_b
        .post_with_token(&corrections, &[("id", "settle-1"), (&v, "5"), (&rk, "")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("reason"));
    assert_eq!(confirmations_stored(&app).await, 0);
    // Every differing field (the entries', and the PO's sealed figures where they differ).
    let differs: Vec<String> = html
        .split("id=\"differs-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect();
    assert!(differs.contains(&names[0]), "{differs:?}");
    let mut settle = vec![("id".to_owned(), "settle-2".to_owned())];
    for f in &differs {
        settle.push((format!("v.{f}"), "5".into()));
        settle.push((
            format!("r.{f}"),
            "the photograph shows 5 <b>clearly</b>".into(),
        ));
    }
    let r = post(&mut ro_b, &corrections, settle).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 303, "{body}");
    assert_eq!(confirmations_stored(&app).await, 1);

    // Form-47: signed with a reason holding script, shown as text in the versions list.
    let r = ro_b.get(&format!("{base}/forms/form47")).await;
    assert_eq!(r.status(), 200);
    // The demo election's results deadline has passed: the late reason is asked for.
    assert!(r.text().await.unwrap().contains("id=\"late-reason\""));
    let r = ro_b
        .post_with_token(
            &format!("{base}/forms/form47/sign"),
            &[
                ("id", "sign-1"),
                ("reason", "first count <script>alert(2)</script>"),
                ("late_reason", "the link was down"),
            ],
        )
        .await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 303, "{body}");
    let html = ro_b
        .get(&format!("{base}/forms/form47"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert(2)"));
    assert!(html.contains("export.csv"));
    let r = ro_b
        .get(&format!("{base}/forms/form47/versions/1/print"))
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let css = html
        .split("href=\"/static/form-print.")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the print stylesheet");
    let r = ro_b.get(&format!("/static/form-print.{css}")).await;
    assert!(r.text().await.unwrap().contains("@page { size: A4;"));
}

on_backends!(
    pages_enter_settle_and_sign,
    pages_enter_settle_and_sign,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres)]
);
