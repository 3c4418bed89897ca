//! The console's pages: script shown as text, Urdu right to left with bidi isolation in text
//! only, the built-in stylesheet, the HTML 404 page.

use tallyseal_server::accounts::{Role, Scope};

use crate::console_support::*;
use crate::helpers::*;
use crate::on_backends;

async fn script_is_shown_as_text_and_urdu_is_right_to_left(db: Db, _store: Store, test: &str) {
    let Some(app) = start(db, test, |_| {}).await else {
        return;
    };
    let accounts_db = database(&app).await;
    let (_, pw) = add_user(
        &accounts_db,
        "ro-text",
        Role::ReturningOfficer,
        Scope::Constituencies(vec![own()]),
    )
    .await;
    // A login name with script, echoed by the sign-in form: escaped.
    let mut b = Browser::new(&app);
    let r = b
        .login("<script>alert(1)</script>", "whatever-password")
        .await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"));

    // An operator named with script: refused (422), the name shown as text.
    let mut ro = Browser::signed_in(&app, "ro-text", &pw).await;
    let r = ro
        .post_with_token(
            "/console/operators",
            &[
                ("login", "<script>x</script>"),
                ("constituency", "pk-test/NA-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>x"), "{html}");

    // Urdu: `?lang=ur` switches and is remembered; `dir="rtl"`.
    let r = ro.get("/console?lang=ur").await;
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"ur\" dir=\"rtl\">"), "{html}");
    assert!(html.contains("باہر نکلیں"));
    assert_eq!(ro.cookies.get("lang").map(String::as_str), Some("ur"));
    let html = ro.get("/console").await.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    // Text isolates the inserted login name; the attribute carrying the same message does not.
    let who = html.split("<p class=\"who\" title=\"").nth(1).unwrap();
    let (title, text) = who.split_once("\">").unwrap();
    assert!(
        title.contains("ro-text") && !title.contains('\u{2068}') && !title.contains('\u{2069}'),
        "{title:?}"
    );
    assert!(text.contains("\u{2068}ro-text\u{2069}"), "{text:?}");
    // Accept-Language alone.
    let r = reqwest::Client::new()
        .get(app.url("/console/login"))
        .header("accept-language", "ur-PK, en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("dir=\"rtl\""));

    // The stylesheet: hashed URL, long cache; another hash is unknown.
    let css_url = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = reqwest::get(app.url(&css_url)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        reqwest::get(app.url("/static/console.0000000000000000.css"))
            .await
            .unwrap()
            .status(),
        404
    );
    // Unknown console pages: the HTML 404 page.
    let r = ro.get("/console/no/such/page/here").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

on_backends!(
    script_is_shown_as_text_and_urdu_is_right_to_left,
    script_is_shown_as_text_and_urdu_is_right_to_left,
    [(Sqlite, Local, sqlite)]
);
