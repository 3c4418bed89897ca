//! The witness over real HTTP (port 0): the C2SP tlog-witness answers, durable state, refusals
//! that keep the state, and atomic check-and-persist under concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use tallyseal_core::keys::DeviceKey;
use tallyseal_core::log::checkpoint::Checkpoint;
use tallyseal_core::log::cosignature::{Cosigner, open_cosigned_checkpoint};
use tallyseal_core::log::merkle::{EMPTY_HASH, Hash, MemoryHashStore, hash_to_base64, leaf_hash};
use tallyseal_core::note::Signer;
use tallyseal_witness::{KnownLog, Witness, state};

const ORIGIN: &str = "tallyseal.example/log/test";

fn log_signer() -> Signer {
    Signer::new(ORIGIN, DeviceKey::from_seed(&[11; 32])).unwrap()
}

fn cosigner() -> Cosigner {
    Cosigner::new("witness.example/w1", DeviceKey::from_seed(&[12; 32])).unwrap()
}

/// Open the witness on `state_path`. A witness just stopped may still hold the state file's lock
/// for a moment (its server's worker threads drop their handles after `stop` returns): waiting
/// for the lock, at most 10 s, is what a restarting operator does too.
fn open_witness(state_path: &Path) -> Witness {
    let log = KnownLog {
        origin: ORIGIN.into(),
        keys: vec![log_signer().verifier()],
    };
    let mut tries = 0;
    loop {
        match Witness::open(cosigner(), vec![log.clone()], state_path) {
            Ok(w) => return w,
            Err(e) if tries < 200 && e.to_string().contains("another witness is running") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("opening the witness: {e}"),
        }
    }
}

fn tree(n: u32) -> MemoryHashStore {
    let mut store = MemoryHashStore::new();
    for i in 0..n {
        store.append(format!("leaf {i}").as_bytes()).unwrap();
    }
    store
}

fn signed(size: u64, root: Hash) -> String {
    Checkpoint::new(ORIGIN, size, root)
        .sign(&log_signer())
        .unwrap()
}

fn body(old: u64, proof: &[Hash], note: &str) -> String {
    let mut b = format!("old {old}\n");
    for h in proof {
        b.push_str(&hash_to_base64(h));
        b.push('\n');
    }
    b.push('\n');
    b.push_str(note);
    b
}

/// The request to move from `old` to `new` leaves of `store`, with the right proof.
fn step(store: &MemoryHashStore, old: u64, new: u64) -> String {
    let proof = store.consistency_proof(old, new).unwrap();
    body(old, &proof, &signed(new, store.root_at(new).unwrap()))
}

struct Running {
    url: String,
    client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl Running {
    async fn start(witness: Witness) -> Self {
        let (server, port) =
            tallyseal_witness::http::serve(Arc::new(witness), "127.0.0.1:0").unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            handle,
        }
    }

    async fn post(&self, body: String) -> (u16, String, String) {
        let r = self
            .client
            .post(format!("{}/add-checkpoint", self.url))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, ct, r.text().await.unwrap())
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_sequence_is_cosigned_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let w = Running::start(open_witness(&path)).await;
    let store = tree(20);
    let cosigner_key = cosigner().verifier();

    let mut old = 0;
    for new in [0u64, 3, 7, 7, 20] {
        let (status, _, lines) = w.post(step(&store, old, new)).await;
        assert_eq!(status, 200, "{old} -> {new}: {lines}");
        assert!(lines.starts_with("\u{2014} witness.example/w1 ") && lines.ends_with('\n'));
        let note = format!("{}{lines}", signed(new, store.root_at(new).unwrap()));
        let opened = open_cosigned_checkpoint(
            note.as_bytes(),
            &[log_signer().verifier()],
            std::slice::from_ref(&cosigner_key),
        )
        .unwrap();
        assert_eq!(opened.cosignatures.len(), 1);
        assert!(opened.cosignatures[0].timestamp > 1_600_000_000);
        old = new;
    }

    let origin_hash = tallyseal_core::sha256(ORIGIN.as_bytes()).to_hex();
    let r = reqwest::get(format!("{}/{origin_hash}/checkpoint", w.url))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let served = r.text().await.unwrap();
    let opened = open_cosigned_checkpoint(
        served.as_bytes(),
        &[log_signer().verifier()],
        &[cosigner_key],
    )
    .unwrap();
    assert_eq!(opened.signed.checkpoint.size, 20);
    assert_eq!(opened.cosignatures.len(), 1);
    let r = reqwest::get(format!("{}/{}/checkpoint", w.url, "00".repeat(32)))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_keep_the_state_and_restart_keeps_it_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let w = Running::start(open_witness(&path)).await;
    let store = tree(12);
    assert_eq!(w.post(step(&store, 0, 5)).await.0, 200);
    let stored = std::fs::read(&path).unwrap();

    // Stale old size: 409 with the current size.
    let (status, ct, text) = w.post(step(&store, 3, 8)).await;
    assert_eq!(
        (status, ct.as_str(), text.as_str()),
        (409, "text/x.tlog.size", "5\n")
    );
    let (status, _, text) = w.post(step(&store, 0, 8)).await;
    assert_eq!((status, text.as_str()), (409, "5\n"));

    // A bad consistency proof: 422.
    let mut proof = store.consistency_proof(5, 8).unwrap();
    proof[0].0[0] ^= 1;
    let (status, ct, text) = w
        .post(body(5, &proof, &signed(8, store.root_at(8).unwrap())))
        .await;
    assert_eq!(status, 422, "{text}");
    assert_eq!(ct, "application/problem+json");
    assert!(text.contains("consistency proof"), "{text}");

    // A checkpoint of a smaller tree than old: 400.
    let (status, _, _) = w
        .post(body(5, &[], &signed(4, store.root_at(4).unwrap())))
        .await;
    assert_eq!(status, 400);

    // Signed by another key under the log's name: 403. Unknown origin: 404.
    let impostor = Signer::new(ORIGIN, DeviceKey::from_seed(&[99; 32])).unwrap();
    let forged = Checkpoint::new(ORIGIN, 8, store.root_at(8).unwrap())
        .sign(&impostor)
        .unwrap();
    let proof = store.consistency_proof(5, 8).unwrap();
    assert_eq!(w.post(body(5, &proof, &forged)).await.0, 403);
    let tampered = signed(8, store.root_at(8).unwrap()).replacen("\n8\n", "\n9\n", 1);
    assert_eq!(w.post(body(5, &proof, &tampered)).await.0, 403);
    let other = Checkpoint::new("other.example/log", 8, store.root_at(8).unwrap())
        .sign(&Signer::new("other.example/log", DeviceKey::from_seed(&[11; 32])).unwrap())
        .unwrap();
    let (status, _, text) = w.post(body(5, &proof, &other)).await;
    assert_eq!(status, 404, "{text}");

    // Malformed bodies: 400.
    assert_eq!(w.post("old 05\n\n".into()).await.0, 400);
    assert_eq!(w.post("nonsense".into()).await.0, 400);
    let too_many = body(
        5,
        &vec![EMPTY_HASH; 64],
        &signed(8, store.root_at(8).unwrap()),
    );
    assert_eq!(w.post(too_many).await.0, 400);
    let huge = "x".repeat(tallyseal_witness::request::MAX_REQUEST_BYTES + 10);
    assert!(w.post(huge).await.0 >= 400);

    // Split view: another root for the stored size is refused and recorded, the state kept.
    let other_tree = {
        let mut s = MemoryHashStore::new();
        for i in 0..5u32 {
            s.append(format!("other {i}").as_bytes()).unwrap();
        }
        s
    };
    let (status, _, text) = w
        .post(body(5, &[], &signed(5, other_tree.root().unwrap())))
        .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("same size"), "{text}");
    // An inconsistent bigger tree as well.
    let mut bigger = other_tree.clone();
    bigger.append(b"more").unwrap();
    let (status, _, _) = w
        .post(body(
            5,
            &bigger.consistency_proof(5, 6).unwrap(),
            &signed(6, bigger.root().unwrap()),
        ))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        stored,
        "refusals never touch the state"
    );
    let evidence = state::read_evidence(&path).unwrap();
    let kinds: Vec<&str> = evidence.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["split_view"]);
    assert!(evidence[0].cosigned.as_deref().unwrap().contains("\n5\n"));
    w.stop().await;

    // Restart: the state is still there.
    let w = Running::start(open_witness(&path)).await;
    let (status, _, text) = w.post(step(&store, 0, 12)).await;
    assert_eq!((status, text.as_str()), (409, "5\n"));
    assert_eq!(w.post(step(&store, 5, 12)).await.0, 200);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_zero_checkpoints_and_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let w = Running::start(open_witness(&path)).await;
    let store = tree(4);
    // Size 0 must have the empty root.
    let (status, _, _) = w.post(body(0, &[], &signed(0, leaf_hash(b"")))).await;
    assert_eq!(status, 422);
    // From size 0 the proof must be empty.
    let proof = store.consistency_proof(1, 4).unwrap();
    let (status, _, text) = w
        .post(body(0, &proof, &signed(4, store.root().unwrap())))
        .await;
    assert_eq!(status, 422, "{text}");
    assert!(!path.exists(), "nothing stored after refusals");
    assert_eq!(w.post(body(0, &[], &signed(0, EMPTY_HASH))).await.0, 200);
    assert_eq!(w.post(step(&store, 0, 4)).await.0, 200);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_from_one_old_size_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let w = Arc::new(Running::start(open_witness(&path)).await);
    let store = Arc::new(tree(30));
    assert_eq!(w.post(step(&store, 0, 10)).await.0, 200);
    let mut tasks = Vec::new();
    for new in 11..=26u64 {
        let (w, store) = (w.clone(), store.clone());
        tasks.push(tokio::spawn(async move {
            (new, w.post(step(&store, 10, new)).await)
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (new, (status, _, text)) = t.await.unwrap();
        match status {
            200 => winners.push(new),
            409 => assert_ne!(text, "10\n"),
            other => panic!("unexpected {other}: {text}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let saved = state::load(&path).unwrap();
    assert_eq!(saved.logs[ORIGIN].size, winners[0]);
}

/// The log shows one checkpoint of size 5 to one witness and another to a second witness: each
/// cosigns the first it sees, and refuses the other's (so the split view cannot gather both
/// cosignatures); neither witness's state changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_view_across_two_witnesses_is_refused_by_each() {
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (dir.path().join("w1.json"), dir.path().join("w2.json"));
    let (w1, w2) = (
        Running::start(open_witness(&p1)).await,
        Running::start(open_witness(&p2)).await,
    );
    let a = tree(5);
    let mut b = tree(4);
    b.append(b"a different fifth leaf").unwrap();
    let note_a = signed(5, a.root().unwrap());
    let note_b = signed(5, b.root().unwrap());
    assert_eq!(w1.post(body(0, &[], &note_a)).await.0, 200);
    assert_eq!(w2.post(body(0, &[], &note_b)).await.0, 200);
    let (s1, s2) = (std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());

    let (status, _, text) = w1.post(body(5, &[], &note_b)).await;
    assert_eq!(status, 422);
    assert!(text.contains("same size 5"), "{text}");
    let (status, _, text) = w2.post(body(5, &[], &note_a)).await;
    assert_eq!(status, 422);
    assert!(text.contains("same size 5"), "{text}");

    assert_eq!(std::fs::read(&p1).unwrap(), s1);
    assert_eq!(std::fs::read(&p2).unwrap(), s2);
    for (path, kept, refused) in [(&p1, &note_a, &note_b), (&p2, &note_b, &note_a)] {
        let evidence = state::read_evidence(path).unwrap();
        assert_eq!(evidence.len(), 1);
        assert_eq!(evidence[0].kind, "split_view");
        assert_eq!(&evidence[0].offered, refused);
        assert!(
            evidence[0]
                .cosigned
                .as_deref()
                .unwrap()
                .starts_with(kept.as_str())
        );
    }
    w1.stop().await;
    w2.stop().await;
}

/// A signature line under `name` with key ID `id` and a zero signature of `sig_len` bytes.
fn zero_line(name: &str, id: u32, sig_len: usize) -> String {
    use base64::Engine as _;
    let mut raw = id.to_be_bytes().to_vec();
    raw.resize(4 + sig_len, 0);
    format!(
        "\u{2014} {name} {}\n",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn served(w: &Running) -> String {
    let origin_hash = tallyseal_core::sha256(ORIGIN.as_bytes()).to_hex();
    let r = reqwest::get(format!("{}/{origin_hash}/checkpoint", w.url))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.unwrap()
}

/// Lines a caller adds to the log's note (a fake cosignature under the witness's own name and key
/// ID, unknown keys, up to the note's line limit) are neither stored nor served: the witness keeps
/// the body, the verified log signature and its own cosignature, which monitors can open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_verified_lines_and_the_cosignature_are_stored_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let w = Running::start(open_witness(&path)).await;
    let store = tree(9);
    let wkey = cosigner().verifier();
    let note = signed(5, store.root_at(5).unwrap());
    let mut padded = note.clone();
    padded.push_str(&zero_line(&wkey.name, wkey.key_id, 72));
    for i in 0..98 {
        padded.push_str(&zero_line(&format!("junk.example/{i}"), i, 64));
    }
    let (status, _, line) = w.post(body(0, &[], &padded)).await;
    assert_eq!(status, 200, "{line}");
    let expected = format!("{note}{line}");
    assert_eq!(
        state::load(&path).unwrap().logs[ORIGIN].checkpoint,
        expected
    );
    let text = served(&w).await;
    assert_eq!(text, expected);
    let opened = open_cosigned_checkpoint(
        text.as_bytes(),
        &[log_signer().verifier()],
        std::slice::from_ref(&wkey),
    )
    .unwrap();
    assert_eq!(opened.cosignatures.len(), 1);

    // The log's line repeated and junk in front of it: one log line is kept.
    let note8 = signed(8, store.root_at(8).unwrap());
    let log_line = note8.rsplit_once("\n\n").unwrap().1;
    let junk_first = format!(
        "{}{}{log_line}{log_line}",
        note8.strip_suffix(log_line).unwrap(),
        zero_line(&wkey.name, wkey.key_id, 72)
    );
    let proof = store.consistency_proof(5, 8).unwrap();
    let (status, _, line) = w.post(body(5, &proof, &junk_first)).await;
    assert_eq!(status, 200, "{line}");
    let text = served(&w).await;
    assert_eq!(text, format!("{note8}{line}"));
    open_cosigned_checkpoint(text.as_bytes(), &[log_signer().verifier()], &[wkey]).unwrap();
    w.stop().await;
}

/// A second line under the log's name and key ID whose signature is zero: 403, even after a line
/// that verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_log_key_line_that_fails_is_403() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let w = Running::start(open_witness(&path)).await;
    let store = tree(5);
    let key = log_signer().verifier();
    let note = format!(
        "{}{}",
        signed(5, store.root_at(5).unwrap()),
        zero_line(&key.name, key.key_id, 64)
    );
    let (status, _, text) = w.post(body(0, &[], &note)).await;
    assert_eq!(status, 403, "{text}");
    assert!(state::load(&path).unwrap().logs.is_empty());
    w.stop().await;
}

/// A failing proof is no evidence against the log and is not recorded, however often it is sent;
/// each split view (same size, other root, log-signed) is recorded once, also across a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_is_split_views_only_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let w = Running::start(open_witness(&path)).await;
    let store = tree(8);
    assert_eq!(w.post(step(&store, 0, 5)).await.0, 200);
    let mut proof = store.consistency_proof(5, 8).unwrap();
    proof[0].0[0] ^= 1;
    let bad = body(5, &proof, &signed(8, store.root_at(8).unwrap()));
    for _ in 0..20 {
        assert_eq!(w.post(bad.clone()).await.0, 422);
    }
    assert!(state::read_evidence(&path).unwrap().is_empty());

    let other = |tag: &str| {
        let mut s = tree(4);
        s.append(tag.as_bytes()).unwrap();
        signed(5, s.root().unwrap())
    };
    let (x, y) = (other("x"), other("y"));
    for _ in 0..3 {
        assert_eq!(w.post(body(5, &[], &x)).await.0, 422);
        assert_eq!(w.post(body(5, &[], &y)).await.0, 422);
    }
    w.stop().await;
    let w = Running::start(open_witness(&path)).await;
    assert_eq!(w.post(body(5, &[], &x)).await.0, 422);
    let offered: Vec<String> = state::read_evidence(&path)
        .unwrap()
        .into_iter()
        .map(|e| e.offered)
        .collect();
    assert_eq!(offered, [x, y]);
    w.stop().await;
}

/// A full evidence file stops the recording; an evidence file that cannot be written does not
/// turn the 422 into a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_file_is_capped_and_its_failure_is_not_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let store = tree(5);
    let mut other = tree(4);
    other.append(b"other").unwrap();
    let split = body(5, &[], &signed(5, other.root().unwrap()));

    let path = dir.path().join("full.json");
    let filler = state::Evidence {
        kind: "split_view".into(),
        origin: ORIGIN.into(),
        seen_at: 1,
        cosigned: None,
        offered: "x".repeat(state::MAX_EVIDENCE_BYTES as usize),
        proof: vec![],
    };
    assert!(state::append_evidence(&path, &filler).unwrap());
    let w = Running::start(open_witness(&path)).await;
    assert_eq!(w.post(step(&store, 0, 5)).await.0, 200);
    assert_eq!(w.post(split.clone()).await.0, 422);
    assert_eq!(state::read_evidence(&path).unwrap().len(), 1);
    w.stop().await;

    let path = dir.path().join("broken.json");
    let w = Running::start(open_witness(&path)).await;
    assert_eq!(w.post(step(&store, 0, 5)).await.0, 200);
    std::fs::create_dir(state::evidence_path(&path)).unwrap();
    let (status, _, text) = w.post(split).await;
    assert_eq!(status, 422, "{text}");
    w.stop().await;
}

/// One witness per state file: a second one on the same file is refused while the first runs, and
/// allowed once it is gone.
#[test]
fn a_second_witness_on_one_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.json");
    let first = open_witness(&path);
    let log = KnownLog {
        origin: ORIGIN.into(),
        keys: vec![log_signer().verifier()],
    };
    let err = Witness::open(cosigner(), vec![log.clone()], &path).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    assert!(
        err.to_string().contains("one process per state file"),
        "{err}"
    );
    drop(first);
    Witness::open(cosigner(), vec![log], &path).unwrap();
}
