//! The portal's constituency page: live updates when figures are confirmed, and its size budget
//! on a real polling scheme (`docs/portal.md`).

use actix_web::web;

use crate::console_figures::{
    Console, ballot, constituency, election_ahead, fields, station, typed,
};
use crate::helpers::{Db, Store};
use crate::portal_pages::{get, html_asset, page, women_roll};

/// The live stream says `change` when figures are confirmed (no station announcement: the
/// result itself changed), within a few of its polls.
async fn live_changes(db: Db, _s: Store, test: &str) {
    use futures_util::StreamExt;
    let c = constituency("NA-7", ballot(2), vec![station(1, women_roll())]);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    let f1 = fields((1000, 1000), (500, 400), &[600, 295], 5);
    let h1 = console
        .add_accepted_capture(1, Some(typed(&f1, 2)), None)
        .await;
    let watch = web::Data::new(tallyseal_server::portal::live::ResultsWatch::default());
    let stream = tallyseal_server::portal::live::changes(
        console.state.clone(),
        watch,
        console.c.election.clone(),
        "NA-7".into(),
    )
    .await
    .unwrap();
    let mut stream = Box::pin(stream);
    let opening = stream.next().await.unwrap().unwrap();
    assert!(opening.starts_with(b"retry:"));
    // Nothing changes: no event within two polls.
    let quiet = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next()).await;
    assert!(quiet.is_err(), "{quiet:?}");
    console.double_entry(&h1, &f1, &f1).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
        .await
        .expect("a change within 10 s")
        .unwrap()
        .unwrap();
    assert_eq!(next.as_ref(), b"event: change\ndata: {}\n\n");
}

crate::on_backends!(
    portal_live_updates_follow_confirmations,
    live_changes,
    [(Sqlite, Local, sqlite), (Postgres, Local, postgres),]
);

/// The constituency page of a real polling scheme (NA-77's 2024 stations and names, every
/// station accepted, a third confirmed) stays under its budget: 60 KB of HTML and CSS.
async fn page_budget(db: Db, _s: Store, test: &str) {
    use tallyseal_import::results_csv::parse_results_csv;
    const CSV: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../importer/testdata/elections/pakistan/form45_2024_zlenner/NA-77.csv"
    );
    const BUDGET: usize = 60 * 1024;
    let table = parse_results_csv("NA-77", &std::fs::read(CSV).unwrap()).unwrap();
    let rows: Vec<_> = table.rows.iter().filter(|r| r.number.is_some()).collect();
    assert!(rows.len() > 250, "{}", rows.len());
    let stations = rows
        .iter()
        .map(|r| {
            let mut s = station(r.number.unwrap(), women_roll());
            s.name = r.name.clone();
            s
        })
        .collect();
    let c = constituency("NA-77", ballot(2), stations);
    let Some(console) = Console::start(db, test, election_ahead(), c).await else {
        return;
    };
    for (i, r) in rows.iter().enumerate() {
        let n = r.number.unwrap();
        let votes: Vec<u32> = r.votes.iter().map(|v| v.unwrap_or(0)).collect();
        let polled: u32 = votes.iter().sum();
        let f = fields((1000, 1000), (polled - polled / 2, polled / 2), &votes, 0);
        let h = console
            .add_accepted_capture(n, Some(typed(&f, 2)), None)
            .await;
        if i % 3 == 0 {
            console.double_entry(&h, &f, &f).await;
        }
    }
    let state = console.state.clone();
    let e = console.c.election.clone();
    for lang in ["en", "ur"] {
        let html = page(
            &state,
            &format!("/portal/elections/{e}/constituencies/NA-77?lang={lang}"),
        )
        .await;
        let (_, _, css) = get(&state, &html_asset(&html)).await;
        let total = html.len() + css.len();
        println!(
            "NA-77 ({} stations), {lang}: HTML {} + CSS {} = {total} bytes",
            rows.len(),
            html.len(),
            css.len()
        );
        assert_eq!(html.matches("<a href=\"stations/").count(), rows.len());
        assert!(total < BUDGET, "{lang}: {total} bytes");
    }
}

crate::on_backends!(
    portal_constituency_page_budget,
    page_budget,
    [(Sqlite, Local, sqlite)]
);
