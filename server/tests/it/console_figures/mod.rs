//! The RO console's figures domain: blind double entry, corrections, quarantine and Forms
//! 47/48/49, on SQLite and PostgreSQL. The routes are mounted on the real application state (its
//! database, migrations and keys) with a test `wrap_fn` standing in for the session middleware:
//! it puts the `Actor` named by the `x-test-actor` header into the request.
//!
//! Captures are seeded as the intake leaves them (device, verified submission with its signed
//! manifest bytes, verification report), so each test controls the PO's sealed figures and the
//! report's checks.

mod board;
mod double_entry;
mod forms;
mod quarantine;
mod real_constituency;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::dev::Service;
use actix_web::{App, HttpMessage, test as atest, web};
use base64::Engine;
use serde_json::{Value, json};
use tallyseal_core::form::{FormFigures, FormKind};
use tallyseal_core::hash::sha256;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::manifest::CaptureManifest;
use tallyseal_core::model::{
    Candidate, Constituency, Election, GenderCounts, Geofence, LatLon, PollingStation,
    StationLocation, StationType,
};
use tallyseal_core::package::ElectionPackage;
use tallyseal_core::seal::ChainState;
use tallyseal_core::wire::ImportRequest;
use tallyseal_server::accounts::{Actor, ConstituencyRef, Role, Scope};
use tallyseal_server::provenance::{CheckId, Outcome, Verdict, VerificationReport};
use tallyseal_server::state::AppState;
use tallyseal_server::{Application, elections};

use crate::helpers::{Db, Store, jpeg, seal_capture, test_config};

/// A poll far ahead: its results deadline has not passed.
pub fn election_ahead() -> Election {
    Election {
        id: "pk-ge-2099".into(),
        name: "General Elections 2099".into(),
        poll_date: "2099-02-08".into(),
        time_zone: "Asia/Karachi".into(),
        poll_open: "2099-02-08T08:00:00+05:00".into(),
        poll_close: "2099-02-08T17:00:00+05:00".into(),
        results_deadline: "2099-02-09T02:00:00+05:00".into(),
    }
}

/// A ballot of `n` candidates.
pub fn ballot(n: u32) -> Vec<Candidate> {
    tallyseal_testkit::fixtures::ballot(n)
}

/// A combined station with a location and, optionally, its roll.
pub fn station(number: u32, registered: Option<GenderCounts>) -> PollingStation {
    PollingStation {
        number,
        name: format!("Station {number}"),
        station_type: StationType::Combined,
        location: Some(StationLocation {
            point: LatLon {
                lat: 31.5 + f64::from(number) * 0.001,
                lon: 74.3,
            },
            geofence: Geofence::Radius { radius_m: 150.0 },
        }),
        registered,
        booths: None,
    }
}

pub fn constituency(
    code: &str,
    candidates: Vec<Candidate>,
    stations: Vec<PollingStation>,
) -> Constituency {
    Constituency {
        code: code.into(),
        name: format!("{code} test"),
        assembly: "National Assembly".into(),
        returning_officer: None,
        candidates,
        stations,
    }
}

/// Form-45 fields, as the console keys them, for `votes` and a gender split of the polled.
pub fn fields(
    registered: (u32, u32),
    polled: (u32, u32),
    votes: &[u32],
    rejected: u32,
) -> BTreeMap<String, u32> {
    let mut f = BTreeMap::new();
    f.insert("registered_male".into(), registered.0);
    f.insert("registered_female".into(), registered.1);
    f.insert("registered_transgender".into(), 0);
    f.insert("polled_male".into(), polled.0);
    f.insert("polled_female".into(), polled.1);
    f.insert("polled_transgender".into(), 0);
    for (i, v) in votes.iter().enumerate() {
        f.insert(format!("candidate_{}", i + 1), *v);
    }
    let valid: u32 = votes.iter().sum();
    f.insert("total_valid".into(), valid);
    f.insert("rejected".into(), rejected);
    f.insert("total_polled".into(), polled.0 + polled.1);
    f
}

/// Consistent figures: polled split evenly-ish, registered twice the polled.
pub fn consistent(votes: &[u32], rejected: u32) -> BTreeMap<String, u32> {
    let polled: u32 = votes.iter().sum::<u32>() + rejected;
    let male = polled / 2 + polled % 2;
    let female = polled / 2;
    fields((male * 2, female * 2), (male, female), votes, rejected)
}

/// The typed figures core signs, from console fields.
pub fn typed(f: &BTreeMap<String, u32>, candidates: u32) -> FormFigures {
    let set =
        tallyseal_server::figures::fields::FieldSet::new(FormKind::Form45, &ballot(candidates));
    set.to_figures(f)
}

pub fn actor(user: &str, role: Role, c: &ConstituencyRef) -> Actor {
    Actor {
        user_id: user.into(),
        role,
        scope: Scope::Constituencies(vec![c.clone()]),
    }
}

fn actor_header(a: &Actor) -> String {
    let scope = match &a.scope {
        Scope::All => json!("all"),
        Scope::Constituencies(cs) => json!(
            cs.iter()
                .map(|c| format!("{}/{}", c.election, c.code))
                .collect::<Vec<_>>()
        ),
    };
    json!({"user": a.user_id, "role": a.role.as_str(), "scope": scope}).to_string()
}

fn actor_from_header(h: &str) -> Option<Actor> {
    let v: Value = serde_json::from_str(h).ok()?;
    let scope = if v["scope"] == "all" {
        Scope::All
    } else {
        Scope::Constituencies(
            v["scope"]
                .as_array()?
                .iter()
                .filter_map(|s| {
                    let (e, c) = s.as_str()?.split_once('/')?;
                    Some(ConstituencyRef::new(e, c))
                })
                .collect(),
        )
    };
    Some(Actor {
        user_id: v["user"].as_str()?.into(),
        role: Role::parse(v["role"].as_str()?)?,
        scope,
    })
}

/// A manifest to copy: one real sealed capture (the demo phone's), parsed once.
fn template() -> &'static CaptureManifest {
    static T: OnceLock<CaptureManifest> = OnceLock::new();
    T.get_or_init(|| {
        let key = DeviceKey::from_seed(&[7; 32]);
        let sealed = seal_capture(jpeg(), &key, 1, &ChainState::genesis(), None);
        sealed.manifest
    })
}

/// The application state on a fresh database, one election package published.
pub struct Console {
    pub state: web::Data<AppState>,
    pub c: ConstituencyRef,
    device: String,
    seq: std::sync::atomic::AtomicI64,
    /// The server's HTTP port (it serves while the test runs).
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Console {
    pub async fn start(db: Db, test: &str, election: Election, c: Constituency) -> Option<Console> {
        let (config, dir) = test_config(db, Store::Local, test).await?;
        let app = Application::build(config).await.expect("server builds");
        let state = app.state();
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        let code = c.code.clone();
        let package = ElectionPackage::new(election, vec![c], "2024-01-20T00:00:00Z");
        elections::import(
            &state,
            ImportRequest {
                package: Some(package.clone()),
                signed_note: None,
            },
        )
        .await
        .expect("package published");
        let c = ConstituencyRef::new(&package.election.id, &code);
        let device = hex::encode([9u8; 32]);
        sqlx::query(
            "INSERT INTO devices (device_key, election_id, constituency, station, officer_name, enrolled_at_ms) \
             VALUES ($1, $2, $3, 1, 'PO', 1)",
        )
        .bind(device.clone())
        .bind(c.election.clone())
        .bind(c.code.clone())
        .execute(&state.db.pool)
        .await
        .unwrap();
        Some(Console {
            state,
            c,
            device,
            seq: std::sync::atomic::AtomicI64::new(1),
            port,
            _dir: dir,
        })
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.state.db.pool
    }

    /// Seed a verified Form-45 capture of `station` with the PO's `sealed` figures and a report
    /// whose `failed` check (if any) failed. Returns its manifest hash.
    pub async fn add_capture(
        &self,
        station: u32,
        sealed: Option<FormFigures>,
        failed: Option<CheckId>,
    ) -> String {
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut m = template().clone();
        m.election = self.c.election.clone();
        m.constituency = self.c.code.clone();
        m.station = station;
        m.figures = sealed;
        m.capture_set = format!("{seq:032x}");
        let bytes = m.to_bytes().expect("manifest bytes");
        CaptureManifest::parse(&bytes).expect("a valid manifest");
        let hash = sha256(&bytes).to_hex();
        let report = VerificationReport {
            format: "tallyseal.verification".into(),
            v: 1,
            verdict: if failed.is_some() {
                Verdict::Failed
            } else {
                Verdict::Verified
            },
            manifest_hash: sha256(&bytes),
            election: Some(self.c.election.clone()),
            constituency: Some(self.c.code.clone()),
            station: Some(station),
            page: Some(1),
            pages: Some(1),
            capture_time: None,
            image_phash: None,
            checks: failed
                .into_iter()
                .map(|check| tallyseal_core::verify::CheckResult {
                    check,
                    outcome: Outcome::Fail,
                    reason: "the capture was taken outside the station's geofence".into(),
                    measured: Default::default(),
                })
                .collect(),
            pending: vec![],
            verifier: "test".into(),
        };
        let verdict = report.verdict.as_str();
        sqlx::query(
            "INSERT INTO submissions (manifest_hash, device_key, election_id, constituency, station, form, \
               seq, signature, image_sha256, image_bytes, media_type, received_at_ms, status, \
               image_received_at_ms, verdict, receipt, manifest, analysed_at_ms) \
             VALUES ($1, $2, $3, $4, $5, 'form45', $6, $7, $8, 1000, 'image/jpeg', $9, 'verified', $9, $10, '{}', $11, $9)",
        )
        .bind(hash.clone())
        .bind(self.device.clone())
        .bind(self.c.election.clone())
        .bind(self.c.code.clone())
        .bind(i64::from(station))
        .bind(seq)
        .bind("00".repeat(64))
        .bind(sha256(hash.as_bytes()).to_hex())
        .bind(1_000 + seq)
        .bind(verdict)
        .bind(base64::engine::general_purpose::STANDARD.encode(&bytes))
        .execute(self.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO verification_reports (manifest_hash, verdict, report, verified_at_ms) VALUES ($1, $2, $3, 1)",
        )
        .bind(hash.clone())
        .bind(verdict)
        .bind(serde_json::to_string(&report).unwrap())
        .execute(self.pool())
        .await
        .unwrap();
        hash
    }

    /// [`Console::add_capture`], then the RO's acceptance recorded through the review API (the
    /// figures domain reads only captures whose latest decision is `accept`).
    pub async fn add_accepted_capture(
        &self,
        station: u32,
        sealed: Option<FormFigures>,
        failed: Option<CheckId>,
    ) -> String {
        let hash = self.add_capture(station, sealed, failed).await;
        self.decide(&hash, "accept", None, None).await;
        hash
    }

    /// The RO's decision on a capture through the review API (`supersedes` the head decision,
    /// if any); returns the new decision's id.
    pub async fn decide(
        &self,
        hash: &str,
        action: &str,
        reason_code: Option<&str>,
        supersedes: Option<&str>,
    ) -> String {
        let ro = actor("u-ro", Role::ReturningOfficer, &self.c);
        let id = decision_id();
        let (s, v) = self
            .call(
                &ro,
                "POST",
                &format!("/captures/{hash}/decisions"),
                Some(json!({
                    "decision_id": id, "action": action, "reason_code": reason_code,
                    "reason": if reason_code.is_some() { "the RO's reason" } else { "" },
                    "supersedes": supersedes,
                })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        id
    }

    /// Call a console route as `actor` (`path` under the constituency's, or from `/api/`); the
    /// status and the JSON (or text) answer.
    pub async fn call(
        &self,
        actor: &Actor,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, bytes) = self.call_raw(actor, method, path, body).await;
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, v)
    }

    pub async fn call_raw(
        &self,
        actor: &Actor,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Vec<u8>) {
        let app = atest::init_service(
            App::new()
                .app_data(self.state.clone())
                .app_data(
                    web::JsonConfig::default().error_handler(tallyseal_server::error::json_error),
                )
                .wrap_fn(|req, srv| {
                    if let Some(a) = req
                        .headers()
                        .get("x-test-actor")
                        .and_then(|h| h.to_str().ok())
                        .and_then(actor_from_header)
                    {
                        req.extensions_mut().insert(a);
                    }
                    srv.call(req)
                })
                .configure(tallyseal_server::routes::console::configure),
        )
        .await;
        // A path under the constituency, or a whole one (`/api/…`).
        let url = if path.starts_with("/api/") {
            path.to_owned()
        } else {
            format!("/api/v1/console/{}/{}{path}", self.c.election, self.c.code)
        };
        let mut req = match method {
            "GET" => atest::TestRequest::get(),
            "PUT" => atest::TestRequest::put(),
            _ => atest::TestRequest::post(),
        }
        .uri(&url)
        .insert_header(("x-test-actor", actor_header(actor)));
        if let Some(b) = body {
            req = req.set_json(b);
        }
        let resp = atest::call_service(&app, req.to_request()).await;
        let status = resp.status().as_u16();
        (status, atest::read_body(resp).await.to_vec())
    }

    /// Both blind entries of a capture keyed by two operators with `f1` and `f2`.
    pub async fn double_entry(
        &self,
        hash: &str,
        f1: &BTreeMap<String, u32>,
        f2: &BTreeMap<String, u32>,
    ) {
        let op1 = actor("u-op1", Role::Operator, &self.c);
        let op2 = actor("u-op2", Role::Operator, &self.c);
        for (slot, op, f) in [(1, &op1, f1), (2, &op2, f2)] {
            let (s, v) = self
                .call(
                    op,
                    "POST",
                    &format!("/figures/entries/{hash}/{slot}/claim"),
                    Some(json!({"id": rid(), "origin": "ws-1"})),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            let (s, v) = self
                .call(
                    op,
                    "POST",
                    &format!("/figures/entries/{hash}/{slot}/submit"),
                    Some(json!({"id": rid(), "origin": "ws-1", "version": 1, "figures": f})),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
    }

    pub async fn count(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(bind.to_owned())
            .fetch_one(self.pool())
            .await
            .unwrap()
    }
}

/// A fresh client-generated decision id (a UUID's text form).
pub fn decision_id() -> String {
    let h = tallyseal_server::random_hex(16).unwrap();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A fresh client-generated record id.
pub fn rid() -> String {
    tallyseal_server::random_hex(16).unwrap()
}
