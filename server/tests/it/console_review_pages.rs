//! The board and review pages through a real session: another constituency's RO gets 403 pages
//! and stores nothing, a decision without the anti-forgery token stores nothing, text with
//! script in it is shown escaped, a second submission of the same form is the same decision, a
//! stale form gets the 409 page with the decision in force, an observer reads but cannot decide.

use tallyseal_server::accounts::{ConstituencyRef, Role, Scope};

use crate::console_api::{ELECTION, OWN};
use crate::console_support::{Browser, add_user, database};
use crate::helpers::{Db, Store, TestApp, jpeg, spawn_app};

/// Script in a reason, as the page must show it (askama writes `<` and `>` as numeric references).
const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

async fn decisions_stored(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM review_decisions").await
}

/// The values of the hidden inputs named `name`, in page order.
fn hidden(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.match_indices(&marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn signed_in(app: &TestApp, login: &str, role: Role, code: &str) -> Browser {
    let db = database(app).await;
    let scope = Scope::Constituencies(vec![ConstituencyRef::new(ELECTION, code)]);
    let (_, password) = add_user(&db, login, role, scope).await;
    Browser::signed_in(app, login, &password).await
}

async fn pages_authorise_and_record_decisions(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let (_, sealed) = app.first_capture_sent(&jpeg()).await;
    assert_eq!(
        app.create_with(&sealed, sealed.image.clone())
            .await
            .status(),
        201
    );
    let hash = sealed.manifest_hash.to_hex();
    let board = format!("/console/{ELECTION}/{OWN}/board");
    let review = format!("/console/{ELECTION}/{OWN}/captures/{hash}");
    let decide = format!("{review}/decisions");

    let mut ro = signed_in(&app, "ro-own", Role::ReturningOfficer, OWN).await;
    let mut other = signed_in(&app, "ro-other", Role::ReturningOfficer, "NA-129").await;
    let mut observer = signed_in(&app, "obs-own", Role::Observer, OWN).await;

    // The board: counts, the station, a link to the review, times in the election's zone.
    let r = ro.get(&board).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("href=\"{review}\"")), "{html}");
    assert!(html.contains("Asia/Karachi (UTC+05:00)"));
    assert!(html.contains("data-events=\"/api/v1/console/"));
    let r = ro.get(&format!("{board}?state=awaited&form=form46")).await;
    assert_eq!(r.status(), 200);
    assert!(
        !r.text()
            .await
            .unwrap()
            .contains(&format!("href=\"{review}\""))
    );
    assert_eq!(ro.get(&format!("{board}?state=bogus")).await.status(), 422);
    let r = ro.get(&format!("{board}?lang=ur")).await;
    assert!(r.text().await.unwrap().contains("dir=\"rtl\""));
    let r = ro.get(&format!("{board}?lang=en")).await;
    assert!(r.text().await.unwrap().contains("dir=\"ltr\""));
    assert_eq!(ro.get(&format!("/console/{ELECTION}")).await.status(), 200);
    assert_eq!(ro.get("/console/no-such-election").await.status(), 404);

    // Another constituency's RO: 403 pages, and a decision with a valid token stores nothing.
    assert_eq!(other.get(&board).await.status(), 403);
    assert_eq!(other.get(&review).await.status(), 403);
    let page = ro.get(&review).await.text().await.unwrap();
    let ids = hidden(&page, "decision_id");
    assert_eq!(ids.len(), 3, "{page}");
    let r = other
        .post_with_token(
            &decide,
            &[
                ("decision_id", &ids[0]),
                ("action", "accept"),
                ("supersedes", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(decisions_stored(&app).await, 0);

    // An observer reads the review but has no forms and cannot decide.
    let r = observer.get(&review).await;
    assert_eq!(r.status(), 200);
    assert!(hidden(&r.text().await.unwrap(), "decision_id").is_empty());
    let r = observer
        .post_with_token(&decide, &[("decision_id", &ids[0]), ("action", "accept")])
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(decisions_stored(&app).await, 0);

    // Without the anti-forgery token, or with a wrong one: refused, nothing stored.
    let reject = [
        ("decision_id", ids[1].as_str()),
        ("action", "reject"),
        ("supersedes", ""),
        ("reason_code", "failed-verification"),
        ("reason", "outside <script>alert(1)</script> the fence"),
    ];
    assert_eq!(ro.post_form(&decide, &reject).await.status(), 403);
    let mut forged = vec![("csrf", "00")];
    forged.extend_from_slice(&reject);
    assert_eq!(ro.post_form(&decide, &forged).await.status(), 403);
    assert_eq!(decisions_stored(&app).await, 0);

    // A bad reason code: 422 page, nothing stored.
    let mut bad = reject;
    bad[3] = ("reason_code", "looks-odd");
    let r = ro.post_with_token(&decide, &bad).await;
    assert_eq!(r.status(), 422);
    assert_eq!(decisions_stored(&app).await, 0);

    // The rejection: recorded once, however often the form is sent; the text shown escaped.
    let r = ro.post_with_token(&decide, &reject).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("{review}?decided=1")
    );
    assert_eq!(ro.post_with_token(&decide, &reject).await.status(), 303);
    assert_eq!(decisions_stored(&app).await, 1);
    let html = ro
        .get(&format!("{review}?decided=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(ESCAPED), "{html}");
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Your decision is recorded."));
    let html_board = ro.get(&board).await.text().await.unwrap();
    assert!(html_board.contains("Rejected"));

    // The accept form of the page rendered before the rejection is stale: 409 with the
    // decision in force, nothing stored.
    let r = ro
        .post_with_token(
            &decide,
            &[
                ("decision_id", &ids[0]),
                ("action", "accept"),
                ("supersedes", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"conflict\""), "{html}");
    assert!(html.contains("Decision in force:"));
    assert!(html.contains(ESCAPED));
    assert_eq!(decisions_stored(&app).await, 1);

    // The page now names the rejection as the decision a new one replaces.
    let page = ro.get(&review).await.text().await.unwrap();
    assert_eq!(hidden(&page, "supersedes")[0], ids[1]);
}

crate::on_backends!(
    pages_authorise_and_record_decisions_on,
    pages_authorise_and_record_decisions,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Local, postgres_local)
    ]
);
