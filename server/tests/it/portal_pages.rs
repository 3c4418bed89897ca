//! The public portal's pages (`docs/portal.md`) on SQLite and PostgreSQL: the elections, the
//! national overview, a constituency's provisional result (the open data's, the same numbers),
//! turnout by gender with the s.9 flag, Form-47 versions, the station ledger, a station's page
//! and the ledger page, in English and Urdu; cache validators, 304 and HEAD; 404 and 400 as plain
//! pages that never echo the request; a correction shown with the superseded capture marked and
//! its reason, a rejected capture with the RO's reason, the image served as received; live
//! updates when figures are confirmed; and the constituency page's size budget on a real polling
//! scheme.

use actix_web::http::Method;
use actix_web::{App, test as atest, web};
use serde_json::{Value, json};
use tallyseal_core::model::GenderCounts;
use tallyseal_server::accounts::Role;
use tallyseal_server::state::AppState;

use crate::console_figures::{
    Console, actor, ballot, constituency, election_ahead, fields, rid, station, typed,
};
use crate::helpers::{Db, Store};

pub(crate) type Answer = (u16, actix_web::http::header::HeaderMap, String);

/// `method` `path` on the server's real routes: status, headers, body.
pub(crate) async fn request(
    state: &web::Data<AppState>,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let app = atest::init_service(
        App::new()
            .app_data(state.clone())
            .app_data(web::PathConfig::default().error_handler(tallyseal_server::error::path_error))
            .configure(tallyseal_server::routes::configure)
            .default_service(web::to(tallyseal_server::error::not_found)),
    )
    .await;
    let mut req = atest::TestRequest::default().method(method).uri(path);
    for h in headers {
        req = req.insert_header(*h);
    }
    let resp = atest::call_service(&app, req.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = atest::read_body(resp).await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

pub(crate) async fn get(state: &web::Data<AppState>, path: &str) -> Answer {
    request(state, Method::GET, path, &[]).await
}

/// A page that must render: its HTML.
pub(crate) async fn page(state: &web::Data<AppState>, path: &str) -> String {
    let (s, h, body) = get(state, path).await;
    assert_eq!(s, 200, "{path}: {body}");
    assert_eq!(
        header(&h, "content-type"),
        "text/html; charset=utf-8",
        "{path}"
    );
    assert!(header(&h, "content-security-policy").contains("default-src 'none'"));
    body
}

pub(crate) fn header<'a>(h: &'a actix_web::http::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

/// The `<article>` of capture `hash` on a station page.
pub(crate) fn article<'a>(html: &'a str, hash: &str) -> &'a str {
    let start = html
        .find(&format!("<article id=\"c-{hash}\""))
        .unwrap_or_else(|| panic!("capture {hash} on the page"));
    let end = html[start..].find("</article>").unwrap() + start;
    &html[start..end]
}

pub(crate) fn women_roll() -> Option<GenderCounts> {
    Some(GenderCounts {
        male: 1000,
        female: 1000,
        transgender: 0,
    })
}

async fn pages_and_refusals(db: Db, _s: Store, test: &str) {
    let c = constituency(
        "NA-7",
        ballot(2),
        (1..=5).map(|n| station(n, women_roll())).collect(),
    );
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let state = console.state.clone();
    let e = console.c.election.clone();
    let ro = actor("u-ro-7", Role::ReturningOfficer, &console.c);
    // Women's turnout: 40 of 1000 at each counted station, under 10 %.
    let f1 = fields((1000, 1000), (500, 40), &[300, 235], 5);
    let f2 = fields((1000, 1000), (450, 40), &[250, 235], 5);
    let h1 = console
        .add_accepted_capture(1, Some(typed(&f1, 2)), None)
        .await;
    let h2 = console
        .add_accepted_capture(2, Some(typed(&f2, 2)), None)
        .await;
    console.double_entry(&h1, &f1, &f1).await;
    console.double_entry(&h2, &f2, &f2).await;
    // Each station's women's turnout holds it back until the RO releases it with a reason.
    for h in [&h1, &h2] {
        let (s, v) = console
            .call(&ro, "POST", &format!("/figures/quarantine/{h}/release"), Some(json!({"id": rid(), "origin": "ro", "reason": "checked against the paper Form-45 and the presiding officer's statement"})))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let h3 = console.add_accepted_capture(3, None, None).await;
    let h4 = console.add_capture(4, None, None).await;
    console.decide(&h4, "reject", Some("illegible"), None).await;
    let v1_id = rid();
    let (s, v) = console
        .call(
            &ro,
            "POST",
            "/forms/form47/sign",
            Some(json!({"id": v1_id, "origin": "ro"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = console
        .call(&ro, "POST", "/forms/form47/sign", Some(json!({"id": rid(), "origin": "ro", "supersedes": v1_id, "reason": "station 2 recounted"})))
        .await;
    assert_eq!(s, 200, "{v}");
    let events_before = console
        .count("SELECT COUNT(*) FROM events WHERE kind <> $1", "x")
        .await;

    // The elections, the national overview.
    let html = page(&state, "/portal?lang=en").await;
    assert!(html.contains("General Elections 2099"));
    assert!(html.contains(&format!("href=\"/portal/elections/{e}?lang=en\"")));
    let html = page(&state, &format!("/portal/elections/{e}?lang=en")).await;
    assert!(html.contains("National Assembly"));
    assert!(html.contains(&format!(
        "href=\"/portal/elections/{e}/constituencies/NA-7?lang=en\""
    )));
    // Four of five stations sent a Form-45; two are confirmed.
    assert!(html.contains("<strong>4</strong> / 5"), "{html}");
    assert!(html.contains("Figures confirmed: 2"), "{html}");

    // The constituency: the open data's result, turnout, the flag, Form-47, the ledger.
    let path = format!("/portal/elections/{e}/constituencies/NA-7");
    let html = page(&state, &format!("{path}?lang=en")).await;
    let (_, _, api) = get(
        &state,
        &format!("/api/v1/elections/{e}/constituencies/NA-7/results"),
    )
    .await;
    let api: Value = serde_json::from_str(&api).unwrap();
    for cand in api["candidates"].as_array().unwrap() {
        let votes = cand["votes"].as_u64().unwrap();
        assert!(
            html.contains(&format!("<td class=\"n\">{votes}<td")),
            "{votes}: {html}"
        );
    }
    assert_eq!(api["candidates"][0]["votes"], 550);
    assert!(html.contains("<strong id=\"counted\">2</strong> / 5"));
    assert!(html.contains("id=\"total-valid\">1,020<"), "{html}");
    assert!(api["turnout"]["women_under_10_percent"].as_bool().unwrap());
    assert!(html.contains("id=\"women-flag\""));
    assert!(html.contains("section 9 of the Elections Act 2017"));
    assert!(html.contains("<tr class=\"flag\"><th scope=\"row\">Women</th>"));
    assert!(html.contains("Superseded: \u{2068}station 2 recounted\u{2069}"));
    assert!(html.contains("In force"));
    assert!(html.contains(&format!("<base href=\"{path}/\">")));
    assert!(html.contains("<a href=\"stations/4?lang=en\">4</a>"));
    assert!(html.contains("<td class=s-rejected>Rejected"));
    assert!(html.contains("<td class=s-confirmed>Confirmed"));
    assert!(html.contains("<td class=s-awaited>Awaited"));
    assert!(html.contains(&format!("data-events=\"{path}/events\"")));
    assert!(html.contains("<script src=\"/portal/static/portal-live."));
    assert!(html.contains(&format!(
        "href=\"/api/v1/elections/{e}/constituencies/NA-7/results.csv\""
    )));

    // Urdu: right to left, the same numbers in the reader's grouping.
    let ur = page(&state, &format!("{path}?lang=ur")).await;
    assert!(ur.contains("<html lang=\"ur\" dir=\"rtl\">"));
    assert!(ur.contains("عبوری نتیجہ"));
    assert!(ur.contains(&format!("href=\"{path}?lang=en\"")));
    assert!(ur.contains("id=\"total-valid\">1,020<"));

    // A station: the confirmed figures beside their capture, the verifier's element.
    let html = page(&state, &format!("{path}/stations/1?lang=en")).await;
    let a = article(&html, &h1);
    assert!(a.contains("Confirmed figures"));
    assert!(a.contains("<td class=\"n\">300</td>") && a.contains("<td class=\"n\">235</td>"));
    assert!(a.contains("Every check passed"));
    assert!(a.contains(&format!("href=\"/api/v1/captures/{h1}/bundle\"")));
    assert!(a.contains("Accepted"));
    assert!(html.contains(&format!(
        "<section id=\"verify\" data-bundle-url=\"/api/v1/captures/{h1}/bundle\" data-keys-url=\"/api/v1/keys\""
    )));
    assert!(html.contains("<button type=\"button\" id=\"verify-button\" hidden>"));
    assert!(html.contains("<output id=\"verify-result\""));
    assert!(html.contains("<script type=\"module\" src=\"/static/portal-verify.js\"></script>"));
    assert!(html.contains(&format!("tallyseal verify {h1}.tsb")));
    // A rejected capture: the decision with its reason.
    let html = page(&state, &format!("{path}/stations/4?lang=en")).await;
    let a = article(&html, &h4);
    assert!(
        a.contains("<span class=\"s-rejected\">Rejected</span>"),
        "{a}"
    );
    assert!(a.contains("The figures cannot be read"));
    assert!(
        a.contains("the RO&#39;s reason") || a.contains("the RO&#x27;s reason"),
        "{a}"
    );
    assert!(a.contains("No figures of this capture have been confirmed."));
    let html = page(&state, &format!("{path}/stations/3?lang=en")).await;
    assert!(html.contains(&h3));
    let html = page(&state, &format!("{path}/stations/5?lang=en")).await;
    assert!(html.contains("Nothing received yet for this form."));
    assert!(!html.contains("id=\"verify\""));

    // The ledger: every station and form, the whole election or one constituency.
    let ledger = page(&state, &format!("/portal/elections/{e}/ledger?lang=en")).await;
    assert_eq!(ledger.matches("<tr><td><a href=").count(), 10);
    assert!(ledger.contains(&format!("href=\"/api/v1/elections/{e}/ledger.csv\"")));
    let only = page(
        &state,
        &format!("/portal/elections/{e}/ledger?lang=ur&constituency=NA-7"),
    )
    .await;
    assert!(only.contains("dir=\"rtl\"") && only.contains("?constituency=NA-7"));

    // Cache validators, 304, HEAD; the language from the URL needs no Vary.
    let url = format!("{path}?lang=en");
    let (s, h, body) = get(&state, &url).await;
    assert_eq!(s, 200);
    let tag = header(&h, "etag").to_owned();
    assert!(tag.starts_with('"') && tag.len() > 10);
    assert!(header(&h, "cache-control").contains("max-age=10"));
    assert!(!header(&h, "last-modified").is_empty());
    assert!(header(&h, "vary").is_empty());
    let (s, _, again) = request(&state, Method::GET, &url, &[("If-None-Match", &tag)]).await;
    assert_eq!((s, again.len()), (304, 0));
    // (The body of a HEAD answer is dropped by the HTTP layer: checked on a real server below.)
    let (s, hh, _) = request(&state, Method::HEAD, &url, &[]).await;
    assert_eq!(s, 200);
    assert_eq!(header(&hh, "etag"), tag);
    assert_eq!(header(&hh, "content-type"), "text/html; charset=utf-8");
    let (s, h, _) = get(&state, &path).await;
    assert_eq!(s, 200);
    assert_eq!(header(&h, "vary"), "Accept-Language, Cookie");
    let (s, h, body_ur) =
        request(&state, Method::GET, &path, &[("Accept-Language", "ur-PK")]).await;
    assert_eq!(s, 200);
    assert!(body_ur.contains("dir=\"rtl\"") && !header(&h, "etag").is_empty());
    assert_ne!(body_ur, body);
    // HEAD on the open data too.
    for api in [
        format!("/api/v1/elections/{e}/ledger"),
        format!("/api/v1/elections/{e}/constituencies/NA-7/results.csv"),
        "/api/v1/elections".to_owned(),
    ] {
        let (s, h, _) = request(&state, Method::HEAD, &api, &[]).await;
        assert_eq!(s, 200, "{api}");
        assert!(!header(&h, "etag").is_empty(), "{api}");
    }
    // The stylesheet at its content-hashed URL.
    let css = html_asset(&ledger);
    let (s, h, _) = get(&state, &css).await;
    assert_eq!(s, 200);
    assert!(header(&h, "cache-control").contains("immutable"));

    // Bad input: plain pages, 404 for unknown, 400 for malformed, nothing echoed or stored.
    let unknown_hash = "ab".repeat(32);
    for (p, status) in [
        ("/portal/elections/no-such".to_owned(), 404),
        ("/portal/elections/no-such/ledger".to_owned(), 404),
        (format!("/portal/elections/{e}/constituencies/NA-999"), 404),
        (format!("{path}/stations/99"), 404),
        (format!("/portal/captures/{unknown_hash}/image"), 404),
        (format!("/portal/captures/{h1}/image"), 404),
        (
            format!("/portal/elections/{e}/ledger?constituency=NA-999"),
            404,
        ),
        ("/portal/static/nothing.css".to_owned(), 404),
        ("/portal/elections/%3Cscript%3Ex".to_owned(), 400),
        (
            format!("/portal/elections/{e}/constituencies/%3Cscript%3Ex"),
            400,
        ),
        (format!("{path}/stations/%3Cscript%3Ex"), 400),
        (format!("{path}/stations/0"), 400),
        (format!("{path}/stations/1000000"), 400),
        ("/portal/captures/%3Cscript%3Ex/image".to_owned(), 400),
        (
            format!("/portal/elections/{e}/ledger?constituency=%3Cscript%3Ex"),
            400,
        ),
        (format!("{path}?lang={}", "x".repeat(300)), 400),
        (
            format!("{path}/events?lang=en").replace("NA-7", "%3Cscript%3Ex"),
            400,
        ),
    ] {
        let (s, h, body) = get(&state, &p).await;
        assert_eq!(s, status, "{p}: {body}");
        assert_eq!(
            header(&h, "content-type"),
            "text/html; charset=utf-8",
            "{p}"
        );
        assert!(
            !body.contains("<script>x") && !body.contains("NA-999"),
            "{p}: {body}"
        );
    }
    let (s, h, _) = request(&state, Method::POST, "/portal", &[]).await;
    assert_eq!(s, 405);
    assert_eq!(header(&h, "allow"), "GET, HEAD");
    let events_after = console
        .count("SELECT COUNT(*) FROM events WHERE kind <> $1", "x")
        .await;
    assert_eq!(events_before, events_after);
}

/// The stylesheet's URL on a page.
pub(crate) fn html_asset(html: &str) -> String {
    let at = html.find("/portal/static/portal.").unwrap();
    let end = html[at..].find('"').unwrap() + at;
    html[at..end].to_owned()
}

crate::on_backends!(
    portal_pages_render_and_refuse_bad_input,
    pages_and_refusals,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);
