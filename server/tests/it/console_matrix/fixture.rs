//! What every run of the matrix starts from: the demonstration election published with a second
//! constituency (so "own" and "other" are both real), one capture of each received through the
//! real intake and accepted by its RO, a signed Form-47 in each, and one signed-in user per role,
//! scoped to the own constituency (the administrator to all).

use serde_json::{Value, json};
use tallyseal_core::demo;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::seal::{ChainState, seal};
use tallyseal_server::accounts::{Actor, ConstituencyRef, Role, Scope};
use tallyseal_server::figures::compile::ResultForm;
use tallyseal_server::figures::records::RecordMeta;
use tallyseal_server::figures::signing::{self, SignRequest};
use tallyseal_server::review::{self, DecisionRequest};

use super::Target;
use crate::console_support::{add_user, database};
use crate::helpers::TestApp;

pub const ELECTION: &str = "pk-ge-2024-demo";
pub const OWN: &str = "NA-128";
pub const OTHER: &str = "NA-129";

pub fn own() -> ConstituencyRef {
    ConstituencyRef::new(ELECTION, OWN)
}

pub fn other() -> ConstituencyRef {
    ConstituencyRef::new(ELECTION, OTHER)
}

/// One constituency's data the table's requests name.
pub struct Place {
    pub code: &'static str,
    /// A verified Form-45 capture of station 1.
    pub capture: String,
    /// The RO's acceptance of it: the head of its decision chain.
    pub decision: String,
    /// The signed Form-47 in force (version 1).
    pub form47: String,
    /// An operator account of this constituency.
    pub operator: String,
}

pub struct Fixture {
    /// (role, actor, login, password)
    pub users: Vec<(Role, Actor, String, String)>,
    pub own: Place,
    pub other: Place,
}

impl Fixture {
    /// The place a request is about (`Target::Nothing` names the own one where a path needs one).
    pub fn place(&self, t: Target) -> &Place {
        match t {
            Target::Other => &self.other,
            Target::Own | Target::Nothing => &self.own,
        }
    }
}

/// The demonstration package with a second constituency, a copy of NA-128 named NA-129.
fn package() -> Value {
    let mut p = demo::package();
    let mut second = p.constituencies[0].clone();
    second.code = OTHER.into();
    second.name = "Lahore-XIII".into();
    p.constituencies.push(second);
    serde_json::to_value(p).unwrap()
}

/// A capture of station 1 of `code` sealed by a device enrolled there, received and verified.
async fn capture(app: &TestApp, code: &str, image: &str, seed: u8) -> String {
    let key = DeviceKey::from_seed(&[seed; 32]);
    let r = app
        .admin_post(
            &format!("/api/v1/elections/{ELECTION}/enrolment-codes"),
            json!({"constituency": code, "station": 1}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let issued: Value = r.json().await.unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/enrol"))
        .json(&json!({"code": issued["code"], "device_key": key.public_key().to_hex(), "officer_name": "PO"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let bytes = std::fs::read(format!(
        "{}/../testdata/images/camera_gps/{image}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut input = demo::capture_input(bytes, None, demo::STATION_1).unwrap();
    input.constituency = code.into();
    let sealed = seal(input, &key, &ChainState::genesis()).unwrap();
    assert_eq!(app.send_manifest(&sealed).await.status(), 201);
    let r = app.create_with(&sealed, sealed.image.clone()).await;
    assert_eq!(r.status(), 201);
    // The analysis writes its own event: let it finish before any count.
    app.analysed_status(&sealed).await;
    sealed.manifest_hash.to_hex()
}

fn ro_of(c: &ConstituencyRef) -> Actor {
    Actor {
        user_id: format!("u-fixture-ro-{}", c.code),
        role: Role::ReturningOfficer,
        scope: Scope::Constituencies(vec![c.clone()]),
    }
}

async fn place(
    app: &TestApp,
    c: ConstituencyRef,
    code: &'static str,
    image: &str,
    seed: u8,
) -> Place {
    let capture = capture(app, code, image, seed).await;
    let ro = ro_of(&c);
    let decision = format!("00000000-0000-4000-8000-0000000000{seed:02}");
    let accepted = review::record_decision(
        &app.state,
        &ro,
        &c,
        &capture,
        &DecisionRequest {
            decision_id: decision.clone(),
            action: "accept".into(),
            reason_code: None,
            reason: String::new(),
            supersedes: None,
        },
    )
    .await;
    assert!(matches!(accepted, Ok(ref r) if r.created), "{accepted:?}");
    let signed = signing::sign(
        &app.state,
        &c,
        &ro,
        ResultForm::Form47,
        &SignRequest {
            meta: RecordMeta {
                id: format!("fixture-form47-{code}"),
                origin: "ro-office".into(),
            },
            supersedes: None,
            reason: None,
            late_reason: Some("the count ended late".into()),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("Form-47 of {code} signed: {e}"));
    let db = database(app).await;
    let (operator, _) = add_user(
        &db,
        &format!("m-target-{}", code.to_lowercase()),
        Role::Operator,
        Scope::Constituencies(vec![c]),
    )
    .await;
    Place {
        code,
        capture,
        decision,
        form47: signed.record,
        operator,
    }
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let r = app
        .admin_post("/api/v1/elections", json!({"package": package()}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let own_place = place(app, own(), OWN, "nikon_P6000_DSCN0010.jpg", 1).await;
    let other_place = place(app, other(), OTHER, "nikon_P6000_DSCN0042.jpg", 2).await;
    let db = database(app).await;
    let mut users = Vec::new();
    for (role, login) in [
        (Role::Admin, "m-admin"),
        (Role::ReturningOfficer, "m-ro"),
        (Role::Operator, "m-operator"),
        (Role::Observer, "m-observer"),
    ] {
        let scope = if role == Role::Admin {
            Scope::All
        } else {
            Scope::Constituencies(vec![own()])
        };
        let (id, pw) = add_user(&db, login, role, scope.clone()).await;
        let actor = Actor {
            user_id: id,
            role,
            scope,
        };
        users.push((role, actor, login.to_owned(), pw));
    }
    Fixture {
        users,
        own: own_place,
        other: other_place,
    }
}
