//! A PATCH to a complete upload, at its final offset, that carries bytes is refused with 413
//! `upload-too-large` (tus 1.0: bytes past `Upload-Length`); nothing it sent is kept: the stored
//! object, the upload row and the events are as they were. With no bytes it is still answered
//! 204 (a client confirming its offset).

use crate::helpers::*;
use crate::on_default_and_production;

async fn past_length(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let image = noise(5000, 77);
    let (_, sealed) = app.first_capture_sent(&image).await;
    let url = app.create_upload(&sealed).await;
    let r = app.patch(&url, 0, image.clone()).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let subject = sealed.manifest_hash.to_hex();
    let events = app.event_kinds(&subject).await;
    let uploads = "SELECT upload_offset FROM uploads";

    for extra in [vec![0u8], noise(100, 78)] {
        let r = app.patch(&url, image.len(), extra).await;
        let (status, slug) = problem(r).await;
        assert_eq!((status, slug.as_str()), (413, "upload-too-large"));
    }
    // Chunked (no Content-Length): refused too.
    let addr = app.base.strip_prefix("http://").unwrap().to_owned();
    let path = url.strip_prefix(&app.base).unwrap();
    let auth = app.auth_for(&url).unwrap();
    let request = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nTus-Resumable: 1.0.0\r\n\
         Tallyseal-Upload-Auth: {auth}\r\nUpload-Offset: {}\r\n\
         Content-Type: application/offset+octet-stream\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        image.len()
    );
    let answer = raw_exchange(&addr, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("upload-too-large"), "{answer}");

    assert_eq!(app.object_of(&image).await.as_deref(), Some(&image[..]));
    assert_eq!(app.event_kinds(&subject).await, events);
    assert_eq!(app.count(uploads).await, image.len() as i64);
    assert_eq!(app.head_offset(&url).await, image.len() as u64);
    // Without bytes, at the final offset: the offset, as before.
    let r = app.patch(&url, image.len(), Vec::new()).await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.capture_status(&sealed).await["status"], "verified");
}
on_default_and_production!(bytes_past_a_complete_upload_are_refused, past_length);

/// Send `request` on a new connection and read the answer until the server closes it.
async fn raw_exchange(addr: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        s.read_to_end(&mut answer),
    )
    .await
    .expect("answered and closed")
    .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}
