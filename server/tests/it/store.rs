//! The S3 object store against the real Garage node: bytes damaged on the way to the service are
//! refused (`x-amz-checksum-crc32c`), and nothing is stored.

use tallyseal_core::hash::sha256;
use tallyseal_server::store::s3::S3Store;
use tallyseal_server::store::{ObjectKey, ObjectStore, PutOutcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

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
