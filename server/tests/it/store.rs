//! The S3 object store against the real Garage node: bytes damaged on the way to the service are
//! refused (`x-amz-checksum-crc32c`), and nothing is stored; a store that never answers, or one
//! that answers like no S3 store would, is never taken for success. Servers on one database share
//! its Commission key.

use tallyseal_core::hash::sha256;
use tallyseal_server::Application;
use tallyseal_server::config::S3Config;
use tallyseal_server::store::s3::S3Store;
use tallyseal_server::store::{ObjectKey, ObjectStore, PutOutcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;
use crate::on_default_and_production;

/// A TCP proxy to `upstream` (`host:port`) that flips one bit of the byte at `flip_at` of every
/// connection's client-to-server stream, as a faulty link or NIC might. Returns its address.
async fn damaging_proxy(upstream: String, flip_at: u64) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let up = async move {
                    let mut seen = 0u64;
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = from_client.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        if (seen..seen + n as u64).contains(&flip_at) {
                            buf[usize::try_from(flip_at - seen).unwrap()] ^= 0x01;
                        }
                        seen += n as u64;
                        if to_server.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown().await;
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                };
                tokio::join!(up, down);
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_refuses_bytes_damaged_on_the_way() {
    let test = "store::s3_refuses_bytes_damaged_on_the_way";
    let Some(config) = s3_config(test) else {
        return;
    };
    let direct = S3Store::new(&config);
    let endpoint = config.endpoint.clone().unwrap();
    let upstream = endpoint.strip_prefix("http://").unwrap().to_owned();
    // Past any request head: inside the body of the PUT, whichever connection carries it.
    let proxy = damaging_proxy(upstream, 300_000).await;
    let mut damaged_config = config.clone();
    damaged_config.endpoint = Some(format!("http://{proxy}"));
    let damaged = S3Store::new(&damaged_config);

    let image = noise(1_000_000, 41);
    let digest = sha256(&image);
    let key = ObjectKey::for_digest(&digest);
    let refused = damaged.put_if_absent(&digest, image.clone().into()).await;
    assert!(refused.is_err(), "damaged bytes accepted: {refused:?}");
    assert_eq!(direct.head(&key).await.unwrap(), None, "nothing is stored");

    // The same bytes over an undamaged link are stored exactly, once.
    let stored = direct.put_if_absent(&digest, image.clone().into()).await;
    assert_eq!(stored.unwrap(), PutOutcome::Created);
    assert_eq!(
        direct.get(&key).await.unwrap().unwrap().as_ref(),
        &image[..]
    );
    let again = direct.put_if_absent(&digest, image.into()).await;
    assert_eq!(again.unwrap(), PutOutcome::AlreadyPresent);
}

/// Servers sharing one database all sign with the Commission key it was first used with, or
/// refuse to start: a server that generated a key of its own would sign receipts, anchors and
/// packages that no phone trusts. Likewise the transparency log's key (and its origin).
async fn one_commission_key(db: Db, store: Store, test: &str) {
    let Some((mut first, first_dir)) = test_config(db, store, test).await else {
        return;
    };
    first.server_key_seed = None; // generated into first_dir on first start
    let app = TestApp::start(first.clone(), std::sync::Arc::new(first_dir)).await;
    let recorded = app.commission_key.to_hex();

    // A second server on the same database, with a data directory of its own and no key.
    let second_dir = tempfile::tempdir().unwrap();
    let mut second = first.clone();
    second.data_dir = second_dir.path().to_owned();
    second.database_url = Some(first.effective_database_url());
    let err = Application::build(second.clone()).await.unwrap_err();
    assert!(err.to_string().contains(&recorded), "{err}");
    assert!(
        !second_dir.path().join("commission.key").exists(),
        "no key is generated for a database that has one"
    );
    // Another key: refused too.
    second.server_key_seed = Some("07".repeat(32));
    let err = Application::build(second.clone()).await.unwrap_err();
    assert!(err.to_string().contains("the database signs with"), "{err}");
    // The database's key (a copy of the first server's commission.key): it starts, and both
    // publish one key.
    let seed = std::fs::read_to_string(first.data_dir.join("commission.key")).unwrap();
    second.server_key_seed = Some(seed.trim().to_owned());
    // The same holds for the transparency log's key: none, or another, is refused.
    let err = Application::build(second.clone()).await.unwrap_err();
    assert!(err.to_string().contains("log.key"), "{err}");
    assert!(!second_dir.path().join("log.key").exists());
    second.log_key_seed = Some("08".repeat(32));
    let err = Application::build(second.clone()).await.unwrap_err();
    assert!(
        err.to_string().contains("the database's log is signed by"),
        "{err}"
    );
    let log_seed = std::fs::read_to_string(first.data_dir.join("log.key")).unwrap();
    second.log_key_seed = Some(log_seed.trim().to_owned());
    let other = TestApp::start(second, std::sync::Arc::new(second_dir)).await;
    assert_eq!(other.commission_key, app.commission_key);
    for field in ["commission_key", "log_vkey", "log_origin"] {
        assert_eq!(
            other.get_json("/api/v1/keys").await[field],
            app.get_json("/api/v1/keys").await[field]
        );
    }
}
on_default_and_production!(
    servers_on_one_database_share_its_commission_key,
    one_commission_key
);

/// An "S3 endpoint" that answers every request alike: never (`answer: None`), or with `answer`.
async fn fake_endpoint(answer: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = listener.accept().await {
            match answer {
                // Accept, read, never answer (a store stuck on its disk, a partition).
                None => held.push(s),
                Some(answer) => {
                    tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf).await;
                        let _ = s.write_all(answer.as_bytes()).await;
                    });
                }
            }
        }
    });
    format!("http://{addr}")
}

fn fake_s3(endpoint: String, timeout_secs: u64) -> S3Store {
    S3Store::new(&S3Config {
        endpoint: Some(endpoint),
        bucket: "b".into(),
        region: "garage".into(),
        access_key_id: "GKfake".into(),
        secret_access_key: "fake".into(),
        path_style: true,
        prefix: String::new(),
        timeout_secs,
    })
}

/// A store that accepts requests and never answers fails them within its timeout (the phone gets
/// a 503 and retries) instead of holding them, and the upload's lease, for ever.
#[tokio::test]
async fn a_store_that_never_answers_fails_in_time() {
    let store = fake_s3(fake_endpoint(None).await, 1);
    // With a 1 s timeout the store gives up (three attempts at most); without one it would wait
    // for ever, which the outer bound turns into a failure rather than a hung test.
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        store.put_if_absent(&sha256(b"x"), bytes::Bytes::from_static(b"x")),
    )
    .await
    .expect("the store's own timeout ends the request");
    assert!(r.is_err(), "{r:?}");
}

/// Something that answers 200 to every request (a web front, a misconfigured proxy) is not an
/// S3 store: an object "there" with the wrong size is an error, never "already present".
#[tokio::test]
async fn an_object_of_the_wrong_size_is_not_taken_as_stored() {
    let endpoint = fake_endpoint(Some(
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ))
    .await;
    let store = fake_s3(endpoint, 5);
    let image = noise(1000, 3);
    let r = store
        .put_if_absent(&sha256(&image), bytes::Bytes::from(image))
        .await;
    assert!(r.is_err(), "{r:?}");
}
