//! `tallyseal witness`, run as an operator would: argument errors, then a live witness that
//! cosigns a checkpoint over plain HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::cosignature::{CosignatureVerifier, open_cosigned_checkpoint};
use tallyseal_core::log::merkle::MemoryHashStore;
use tallyseal_core::note::Signer;

const ORIGIN: &str = "tallyseal.example/log/cli";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tallyseal"))
}

#[test]
fn bad_log_argument_exits_2_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("w.key");
    std::fs::write(&key, format!("{}\n", "07".repeat(32))).unwrap();
    let o = bin()
        .args(["witness", "--name", "w.example/1", "--key"])
        .arg(&key)
        .args(["--state", "s.json", "--log", "no-equals-sign"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected ORIGIN=VKEY"));
}

#[test]
fn a_running_witness_cosigns_a_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("w.key");
    std::fs::write(&key, format!("{}\n", "07".repeat(32))).unwrap();
    let log = Signer::new(ORIGIN, DeviceKey::from_seed(&[5; 32])).unwrap();
    let mut child = bin()
        .args(["witness", "--name", "w.example/1", "--key"])
        .arg(&key)
        .args(["--state", "state.json", "--bind", "127.0.0.1:0", "--log"])
        .arg(format!("{ORIGIN}={}", log.verifier().to_vkey()))
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port: u16 = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    let vkey = line.trim().rsplit(' ').next().unwrap().to_string();
    let cosigner = CosignatureVerifier::parse(&vkey).unwrap();

    let mut store = MemoryHashStore::new();
    store.append(b"first").unwrap();
    let note = Checkpoint::new(ORIGIN, 1, store.root().unwrap())
        .sign(&log)
        .unwrap();
    let body = format!("old 0\n\n{note}");
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        conn,
        "POST /add-checkpoint HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let lines = response.split_once("\r\n\r\n").unwrap().1;
    let cosigned = format!("{note}{lines}");
    let opened =
        open_cosigned_checkpoint(cosigned.as_bytes(), &[log.verifier()], &[cosigner]).unwrap();
    assert_eq!(opened.cosignatures.len(), 1);
    assert!(tmp.path().join("state.json").exists());
}
