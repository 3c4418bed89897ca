//! Slow and greedy clients: bodies trickled a byte at a time are cut once they fall below
//! `limits.body_min_bytes_per_sec` over a window, while a normal capture goes through beside 500
//! of them; a phone on a poor link (1 kB/s, in bursts) is not cut; a client address past
//! `limits.connections_per_client` is answered 429. Loopback only: the tricklers connect from
//! other loopback addresses (127.0.0.2…), the capture from 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;
use crate::on_backends;

/// A connection to the app from loopback address `127.0.0.<last>`.
async fn connect_from(app: &TestApp, last: u8) -> TcpStream {
    let server: SocketAddr = app.base.strip_prefix("http://").unwrap().parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)),
            0,
        ))
        .unwrap();
    socket.connect(server).await.unwrap()
}

/// Headers of a JSON POST announcing a body of `len` bytes.
fn post_head(len: usize) -> String {
    format!(
        "POST /api/v1/time-anchor HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {len}\r\n\r\n"
    )
}

/// Send headers, then one byte every `every` (at most `max_bytes`), until the server answers or
/// closes; returns when that happened, from `start` (`None`: still open after the last byte).
async fn trickle(
    mut s: TcpStream,
    every: Duration,
    max_bytes: usize,
    start: Instant,
) -> Option<Duration> {
    if s.write_all(post_head(10_000).as_bytes()).await.is_err() {
        return Some(start.elapsed());
    }
    let mut buf = [0u8; 512];
    for _ in 0..max_bytes {
        tokio::select! {
            _ = tokio::time::sleep(every) => {
                if s.write_all(b" ").await.is_err() {
                    return Some(start.elapsed());
                }
            }
            _ = s.read(&mut buf) => return Some(start.elapsed()),
        }
    }
    None
}

async fn tricklers(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    // The default rate (256 B/s) over a short window, so the test is quick.
    config.limits.body_rate_window_secs = 2;
    let app = TestApp::start(config, Arc::new(dir)).await;
    app.import_demo_package().await;
    let start = Instant::now();

    // 500 connections, 50 from each of 10 addresses, each sending a byte every 500 ms.
    let mut held = Vec::new();
    for i in 0..500u16 {
        let s = connect_from(&app, 2 + (i % 10) as u8).await;
        held.push(tokio::spawn(trickle(
            s,
            Duration::from_millis(500),
            30,
            start,
        )));
    }

    // Meanwhile a capture goes through from 127.0.0.1, in time.
    let image = noise(200_000, 9);
    let began = Instant::now();
    let (_, sealed) = app.first_capture_sent(&image).await;
    let url = app.create_upload(&sealed).await;
    let r = app.patch(&url, 0, image).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
    let took = began.elapsed();
    assert!(took < Duration::from_secs(10), "the capture took {took:?}");

    // Every trickler was answered and cut soon after its first window (2 s).
    let (mut earliest, mut latest) = (Duration::MAX, Duration::ZERO);
    for h in held {
        let closed = h
            .await
            .unwrap()
            .expect("a trickling connection was never cut");
        earliest = earliest.min(closed);
        latest = latest.max(closed);
    }
    // Not before the first window ended (the rate, not something else, cut them)...
    assert!(
        earliest >= Duration::from_millis(1900),
        "one was cut after {earliest:?}"
    );
    // ...and soon after it.
    assert!(
        latest < Duration::from_secs(8),
        "the last was cut after {latest:?}"
    );
    eprintln!(
        "capture in {took:?} beside 500 tricklers; all cut between {earliest:?} and {latest:?}"
    );
}
on_backends!(
    trickling_bodies_are_cut_and_a_capture_still_completes,
    tricklers,
    [(Sqlite, Local, sqlite_local)]
);

/// A phone on a poor link: 1 kB/s on average, in half-second bursts with pauses, through three
/// windows of the default minimum rate. Its upload is not cut.
async fn poor_link(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.limits.body_rate_window_secs = 2;
    let app = TestApp::start(config, Arc::new(dir)).await;
    app.import_demo_package().await;
    let image = noise(6000, 10);
    let (_, sealed) = app.first_capture_sent(&image).await;
    let url = app.create_upload(&sealed).await;
    let path = url.strip_prefix(&app.base).unwrap().to_owned();
    let auth = app.auth_for(&url).unwrap();
    let mut s = connect_from(&app, 1).await;
    s.write_all(
        format!(
            "PATCH {path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n\
             Tallyseal-Upload-Auth: {auth}\r\nUpload-Offset: 0\r\n\
             Content-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            image.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    for burst in image.chunks(500) {
        s.write_all(burst).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
}
on_backends!(
    a_phone_at_one_kilobyte_per_second_is_not_cut,
    poor_link,
    [(Sqlite, Local, sqlite_local)]
);

/// Connections past the cap for one address are answered 429 and closed; other addresses are
/// not concerned, and a closed connection frees its place.
async fn cap(db: Db, store: Store, test: &str) {
    let Some((mut config, dir)) = test_config(db, store, test).await else {
        return;
    };
    config.limits.connections_per_client = 4;
    let app = TestApp::start(config, Arc::new(dir)).await;
    let health = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let exchange = |mut s: TcpStream| async move {
        s.write_all(health).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
            .await
            .unwrap()
            .unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    };
    // Four connections the server has accepted: one answered request each, kept alive. (A
    // connection the kernel completed but the server has not yet accepted is not counted yet,
    // so a fifth could overtake it.)
    let mut open = Vec::new();
    for _ in 0..4 {
        let mut s = connect_from(&app, 20).await;
        s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&seen).contains("\"status\":\"ok\"}") {
            let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "closed: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        assert!(seen.starts_with(b"HTTP/1.1 200"));
        open.push(s);
    }
    let answer = exchange(connect_from(&app, 20).await).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(lower.contains("retry-after: 5"), "{answer}");
    assert!(lower.contains("connection: close"), "{answer}");
    assert!(answer.contains("too-many-connections"), "{answer}");
    // The refusal is counted (each test runs in a process of its own: this is the only one).
    let mut s = connect_from(&app, 22).await;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut scrape = Vec::new();
    s.read_to_end(&mut scrape).await.unwrap();
    let scrape = String::from_utf8_lossy(&scrape);
    assert!(
        scrape.contains("\ntallyseal_connections_refused_total 1\n"),
        "{scrape}"
    );
    // Another address is served.
    assert!(
        exchange(connect_from(&app, 21).await)
            .await
            .starts_with("HTTP/1.1 200")
    );
    // Once one of the four is closed, the address is served again.
    drop(open.pop());
    let mut served = false;
    for _ in 0..50 {
        if exchange(connect_from(&app, 20).await)
            .await
            .starts_with("HTTP/1.1 200")
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served,
        "the address was not served again after a connection closed"
    );
}
on_backends!(
    connections_past_the_cap_are_refused,
    cap,
    [(Sqlite, Local, sqlite_local)]
);
