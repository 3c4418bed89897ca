//! The portal's station page through the real intake (`docs/portal.md`): a correction shown with
//! the superseded capture marked and its reason, a rejected capture with the RO's reason, the
//! images as a smaller copy and as the bytes received, the log entry; HEAD; the ledger page.

use serde_json::json;
use tallyseal_core::demo;
use tallyseal_core::manifest::Supersedes;
use tallyseal_core::seal::seal;

use crate::helpers::{Db, Store, jpeg, spawn_app};
use crate::portal_pages::article;

/// Through the real intake: a capture, the RO's request for a new one, the new capture naming
/// it with the PO's reason, then rejected. The station page keeps both, the old one marked
/// superseded with the reason; the images are the bytes received; the log entry appears.
async fn corrections_and_images(db: Db, store: Store, test: &str) {
    use crate::console_api::{Console, ELECTION, OWN, ro};
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let console = Console::start(&app);
    let (_, old) = app.first_capture_sent(&jpeg()).await;
    assert_eq!(app.create_with(&old, old.image.clone()).await.status(), 201);
    let old_hash = old.manifest_hash.to_hex();
    let r = console
        .decide(
            &ro(),
            &old_hash,
            json!({"decision_id": "3f2b8c1a-9d4e-4b7a-8c6f-1a2b3c4d5e6f",
            "action": "recapture", "reason_code": "illegible", "reason": "glare over the votes"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mut input = demo::capture_input(jpeg(), None, demo::STATION_1).unwrap();
    input.supersedes = Some(Supersedes {
        manifest: old.manifest_hash,
        reason: "retaken without glare".into(),
    });
    let new = seal(input, &demo::device_key(), &old.next_chain()).unwrap();
    let new_hash = new.manifest_hash.to_hex();
    assert_eq!(app.send_manifest(&new).await.status(), 201);
    assert_eq!(app.create_with(&new, new.image.clone()).await.status(), 201);
    let r = console
        .decide(
            &ro(),
            &new_hash,
            json!({"decision_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "action": "reject", "reason_code": "wrong-form", "reason": "this is Form-46 <b>x</b>"}),
        )
        .await;
    assert_eq!(r.status(), 201);

    let url = app.url(&format!(
        "/portal/elections/{ELECTION}/constituencies/{OWN}/stations/1?lang=en"
    ));
    let mut html = String::new();
    for _ in 0..100 {
        html = app
            .client
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if article(&html, &old_hash).contains("Leaf ") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let current = article(&html, &new_hash);
    assert!(current.contains("class=\"capture current\""), "{current}");
    assert!(current.contains("retaken without glare"), "{current}");
    assert!(current.contains(&format!("href=\"?lang=en#c-{old_hash}\"")));
    assert!(current.contains("<span class=\"s-rejected\">Rejected</span>"));
    assert!(current.contains("The image is not the form it claims to be"));
    assert!(
        current.contains("this is Form-46 &#60;b&#62;x")
            || current.contains("this is Form-46 &lt;b&gt;x"),
        "{current}"
    );
    let superseded = article(&html, &old_hash);
    assert!(
        superseded.contains("class=\"capture superseded\""),
        "{superseded}"
    );
    assert!(superseded.contains("This capture was replaced by a later one"));
    assert!(superseded.contains(&format!("href=\"?lang=en#c-{new_hash}\"")));
    assert!(superseded.contains("New capture requested"));
    assert!(superseded.contains("glare over the votes"));
    assert!(superseded.contains("Leaf "), "{superseded}");
    // Both images: a smaller copy, lazy, with its size; the original one click away.
    for (hash, sealed) in [(&old_hash, &old), (&new_hash, &new)] {
        let a = article(&html, hash);
        let src = format!("/portal/captures/{hash}/image");
        let shown = format!("/portal/captures/{hash}/rendition");
        assert!(
            a.contains(&format!("<a href=\"{src}\"><img src=\"{shown}\"")),
            "{a}"
        );
        let r = app.client.get(app.url(&shown)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        let copy = r.bytes().await.unwrap();
        assert!(
            copy.len() <= sealed.image.len(),
            "{} > {}",
            copy.len(),
            sealed.image.len()
        );
        assert!(
            a.contains("loading=\"lazy\"") && a.contains(" width=\"") && a.contains(" height=\""),
            "{a}"
        );
        let r = app.client.get(app.url(&src)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert!(
            r.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let tag = r.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(r.bytes().await.unwrap().as_ref(), sealed.image.as_slice());
        let r = app
            .client
            .get(app.url(&src))
            .header("If-None-Match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
    }
    // A real server answers HEAD without a body.
    let r = app.client.head(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("etag"));
    assert!(r.bytes().await.unwrap().is_empty());
    // The ledger page shows the station's form rejected.
    let ledger = app
        .client
        .get(app.url(&format!(
            "/portal/elections/{ELECTION}/ledger?lang=en&constituency={OWN}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ledger.contains("<td class=\"s-rejected\">Rejected"),
        "{ledger}"
    );
}

crate::on_backends!(
    portal_station_shows_corrections_rejections_and_images,
    corrections_and_images,
    [
        (Sqlite, Local, sqlite_local),
        (Postgres, Garage, postgres_garage),
    ]
);
