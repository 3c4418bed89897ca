//! A userspace TCP proxy that behaves like a 2G link: every byte is delayed by a fixed one-way
//! latency and the throughput is throttled in each direction; it counts the bytes it delivers
//! upstream and can cut every open connection when the upstream total passes given marks.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Link {
    pub bytes_per_sec: u64,
    pub one_way_latency: Duration,
}

pub struct Proxy {
    pub port: u16,
    /// Bytes delivered to the server (client → server).
    pub upstream_bytes: Arc<AtomicU64>,
    /// Connections cut.
    pub cuts: Arc<AtomicU64>,
    /// Upstream byte totals at which every open connection is cut (each used once).
    pub cut_at: Arc<Mutex<Vec<u64>>>,
    pub connections: Arc<AtomicU64>,
}

fn pump(
    from: TcpStream,
    mut to: TcpStream,
    link: Arc<Link>,
    counter: Option<Arc<AtomicU64>>,
    cut_at: Arc<Mutex<Vec<u64>>>,
    cuts: Arc<AtomicU64>,
    dead: Arc<AtomicBool>,
) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let mut reader = from.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    });
    // When the link is next free to carry a byte (serialisation at bytes_per_sec).
    let mut next_free = Instant::now();
    while let Ok((at, bytes)) = rx.recv() {
        if dead.load(Ordering::SeqCst) {
            break;
        }
        let due = at + link.one_way_latency;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for piece in bytes.chunks(256) {
            let start = next_free.max(Instant::now());
            next_free =
                start + Duration::from_secs_f64(piece.len() as f64 / link.bytes_per_sec as f64);
            if let Some(wait) = next_free.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if let Some(c) = &counter {
                let total = c.load(Ordering::SeqCst) + piece.len() as u64;
                let mut marks = cut_at.lock().unwrap();
                if let Some(pos) = marks.iter().position(|m| total >= *m) {
                    marks.remove(pos);
                    drop(marks);
                    // Deliver up to the mark, then cut.
                    cuts.fetch_add(1, Ordering::SeqCst);
                    dead.store(true, Ordering::SeqCst);
                    let _ = to.shutdown(Shutdown::Both);
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
            }
            if to.write_all(piece).is_err() || dead.load(Ordering::SeqCst) {
                dead.store(true, Ordering::SeqCst);
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
            if let Some(c) = &counter {
                c.fetch_add(piece.len() as u64, Ordering::SeqCst);
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

impl Proxy {
    pub fn start(upstream_port: u16, link: Link) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let link = Arc::new(link);
        let proxy = Proxy {
            port,
            upstream_bytes: Arc::new(AtomicU64::new(0)),
            cuts: Arc::new(AtomicU64::new(0)),
            cut_at: Arc::new(Mutex::new(Vec::new())),
            connections: Arc::new(AtomicU64::new(0)),
        };
        let (up, cuts, cut_at, conns) = (
            proxy.upstream_bytes.clone(),
            proxy.cuts.clone(),
            proxy.cut_at.clone(),
            proxy.connections.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                    continue;
                };
                conns.fetch_add(1, Ordering::SeqCst);
                let dead = Arc::new(AtomicBool::new(false));
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (l1, l2) = (link.clone(), link.clone());
                let (ca1, ca2, cu1, cu2, d1, d2) = (
                    cut_at.clone(),
                    cut_at.clone(),
                    cuts.clone(),
                    cuts.clone(),
                    dead.clone(),
                    dead,
                );
                let up = up.clone();
                std::thread::spawn(move || pump(client, server, l1, Some(up), ca1, cu1, d1));
                std::thread::spawn(move || pump(s2, c2, l2, None, ca2, cu2, d2));
            }
        });
        proxy
    }
}
