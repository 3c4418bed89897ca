//! The table of the matrix: one row per console route (pages and JSON API). A new route is one
//! more row: its method, what it sends (built from the fixture, the target constituency and a
//! counter that makes ids unique), the permission it needs and its status when allowed.
//!
//! The rows run in this order for each signed-in user (administrator, RO, operator, observer), so
//! a row may count on what the allowed users of the rows before it did: the RO's decision
//! supersedes the fixture's acceptance; the operator claims, saves and submits entry 1 in turn.

use serde_json::json;
use tallyseal_server::accounts::Permission;

use super::fixture::{ELECTION, Fixture};
use super::{Body, Request, Route, Target};

const BOTH: &[Target] = &[Target::Own, Target::Other];

/// `/api/v1/console/{election}/{constituency}` of the target.
fn api(f: &Fixture, t: Target) -> String {
    format!("/api/v1/console/{ELECTION}/{}", f.place(t).code)
}

/// `…/captures/{hash}` of the target's capture.
fn capture(f: &Fixture, t: Target) -> String {
    format!("{}/captures/{}", api(f, t), f.place(t).capture)
}

/// `…/figures/entries/{hash}/1` of the target's capture.
fn entry(f: &Fixture, t: Target) -> String {
    format!("{}/figures/entries/{}/1", api(f, t), f.place(t).capture)
}

/// Figures of the demo ballot (four candidates) that pass every Form-45 rule.
fn figures() -> serde_json::Value {
    json!({
        "registered_male": 1450, "registered_female": 0, "registered_transgender": 0,
        "polled_male": 700, "polled_female": 0, "polled_transgender": 0,
        "candidate_1": 300, "candidate_2": 250, "candidate_3": 100, "candidate_4": 40,
        "total_valid": 690, "rejected": 10, "total_polled": 700,
    })
}

/// A read of the target constituency that answers 200 when allowed.
fn get(name: &'static str, path: fn(&Fixture, Target) -> String, permission: Permission) -> Route {
    Route {
        name,
        request: Request::Get(path),
        permission: Some(permission),
        targets: BOTH,
        allowed_status: 200,
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        // Pages and the session.
        Route {
            name: "home page",
            request: Request::Get(|_, _| "/console".into()),
            permission: None,
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "session API",
            request: Request::Get(|_, _| "/api/v1/console/session".into()),
            permission: None,
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "operator page",
            request: Request::Get(|_, _| "/console/operators".into()),
            permission: Some(Permission::ManageOperators),
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        Route {
            name: "create an operator",
            request: Request::Post(|f, t, n| {
                (
                    "/console/operators".into(),
                    Body::Form(vec![
                        ("login".into(), format!("op-matrix-{n}")),
                        (
                            "constituency".into(),
                            format!("{ELECTION}/{}", f.place(t).code),
                        ),
                    ]),
                )
            }),
            permission: Some(Permission::ManageOperators),
            targets: BOTH,
            allowed_status: 200,
        },
        Route {
            name: "disable an operator",
            request: Request::Post(|f, t, _| {
                (
                    format!("/console/operators/{}/disable", f.place(t).operator),
                    Body::None,
                )
            }),
            permission: Some(Permission::ManageOperators),
            targets: BOTH,
            allowed_status: 200,
        },
        // The arrival board.
        get(
            "board",
            |f, t| format!("{}/board", api(f, t)),
            Permission::ViewBoard,
        ),
        get(
            "board events",
            |f, t| format!("{}/board/events", api(f, t)),
            Permission::ViewBoard,
        ),
        Route {
            name: "national summary",
            request: Request::Get(|_, _| format!("/api/v1/console/{ELECTION}/national")),
            permission: Some(Permission::ViewBoard),
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        // The board, national and review pages.
        get(
            "board page",
            |f, t| format!("/console/{ELECTION}/{}/board", f.place(t).code),
            Permission::ViewBoard,
        ),
        Route {
            name: "national page",
            request: Request::Get(|_, _| format!("/console/{ELECTION}")),
            permission: Some(Permission::ViewBoard),
            targets: &[Target::Nothing],
            allowed_status: 200,
        },
        get(
            "review page",
            |f, t| {
                let p = f.place(t);
                format!("/console/{ELECTION}/{}/captures/{}", p.code, p.capture)
            },
            Permission::ViewBoard,
        ),
        // The figures pages' reads.
        get(
            "entries page",
            |f, t| format!("/console/{ELECTION}/{}/entries", f.place(t).code),
            Permission::EnterFigures,
        ),
        get(
            "corrections page",
            |f, t| format!("/console/{ELECTION}/{}/corrections", f.place(t).code),
            Permission::SettleCorrections,
        ),
        get(
            "quarantine page",
            |f, t| format!("/console/{ELECTION}/{}/quarantine", f.place(t).code),
            Permission::ViewResults,
        ),
        get(
            "Form-47 page",
            |f, t| format!("/console/{ELECTION}/{}/forms/form47", f.place(t).code),
            Permission::ViewResults,
        ),
        get(
            "Form-47 printable page",
            |f, t| format!("/console/{ELECTION}/{}/forms/form47/print", f.place(t).code),
            Permission::ViewResults,
        ),
        // The review of a capture.
        get("capture review", capture, Permission::ViewBoard),
        get(
            "capture image",
            |f, t| format!("{}/image", capture(f, t)),
            Permission::ViewBoard,
        ),
        get(
            "capture map",
            |f, t| format!("{}/map.svg", capture(f, t)),
            Permission::ViewBoard,
        ),
        Route {
            name: "decision",
            request: Request::Post(|f, t, n| {
                (
                    format!("{}/decisions", capture(f, t)),
                    Body::Json(json!({
                        "decision_id": format!("00000000-0000-4000-8000-{n:012}"),
                        "action": "accept", "reason": "legible and complete",
                        "supersedes": f.place(t).decision,
                    })),
                )
            }),
            permission: Some(Permission::ReviewCapture),
            targets: BOTH,
            allowed_status: 201,
        },
        // Blind double entry.
        Route {
            name: "claim an entry",
            request: Request::Post(|f, t, n| {
                (
                    format!("{}/claim", entry(f, t)),
                    Body::Json(json!({"id": format!("claim-{n}"), "origin": "ws-1"})),
                )
            }),
            permission: Some(Permission::EnterFigures),
            targets: BOTH,
            allowed_status: 200,
        },
        get("own entry", entry, Permission::EnterFigures),
        Route {
            name: "save a draft",
            request: Request::Put(|f, t, n| {
                (
                    entry(f, t),
                    Body::Json(json!({"id": format!("draft-{n}"), "origin": "ws-1",
                        "version": 1, "figures": {"candidate_1": 300}})),
                )
            }),
            permission: Some(Permission::EnterFigures),
            targets: BOTH,
            allowed_status: 200,
        },
        Route {
            name: "submit an entry",
            request: Request::Post(|f, t, n| {
                (
                    format!("{}/submit", entry(f, t)),
                    Body::Json(json!({"id": format!("submit-{n}"), "origin": "ws-1",
                        "version": 2, "figures": figures()})),
                )
            }),
            permission: Some(Permission::EnterFigures),
            targets: BOTH,
            allowed_status: 200,
        },
        Route {
            name: "validate figures",
            request: Request::Post(|f, t, _| {
                (
                    format!("{}/figures/validate", api(f, t)),
                    Body::Json(json!({"manifest_hash": f.place(t).capture, "figures": figures()})),
                )
            }),
            permission: Some(Permission::EnterFigures),
            targets: BOTH,
            allowed_status: 200,
        },
        // Corrections and quarantine.
        get(
            "corrections view",
            |f, t| format!("{}/figures/corrections/{}", api(f, t), f.place(t).capture),
            Permission::SettleCorrections,
        ),
        Route {
            name: "settle corrections",
            request: Request::Post(|f, t, n| {
                (
                    format!("{}/figures/corrections/{}", api(f, t), f.place(t).capture),
                    Body::Json(json!({"id": format!("settle-{n}"), "origin": "ro",
                        "settlements": [{"field": "rejected", "value": 10, "reason": "as on the sheet"}]})),
                )
            }),
            permission: Some(Permission::SettleCorrections),
            targets: BOTH,
            // Nothing to settle yet: the second entry is not in.
            allowed_status: 409,
        },
        get(
            "quarantine",
            |f, t| format!("{}/figures/quarantine", api(f, t)),
            Permission::ViewResults,
        ),
        Route {
            name: "release from quarantine",
            request: Request::Post(|f, t, n| {
                (
                    format!(
                        "{}/figures/quarantine/{}/release",
                        api(f, t),
                        f.place(t).capture
                    ),
                    Body::Json(json!({"id": format!("release-{n}"), "origin": "ro",
                        "reason": "checked against the sheet"})),
                )
            }),
            permission: Some(Permission::ReleaseQuarantine),
            targets: BOTH,
            // Not held: its figures are not confirmed (422 naming `manifest_hash`).
            allowed_status: 422,
        },
        // Forms 47, 48 and 49.
        get(
            "Form-47 preview",
            |f, t| format!("{}/forms/form47", api(f, t)),
            Permission::ViewResults,
        ),
        Route {
            name: "sign Form-47",
            request: Request::Post(|f, t, n| {
                (
                    format!("{}/forms/form47/sign", api(f, t)),
                    Body::Json(json!({"id": format!("sign-{n}"), "origin": "ro",
                        "supersedes": f.place(t).form47, "reason": "a station came in",
                        "late_reason": "the count ended late"})),
                )
            }),
            permission: Some(Permission::SignForms),
            targets: BOTH,
            allowed_status: 200,
        },
        get(
            "Form-47 versions",
            |f, t| format!("{}/forms/form47/versions", api(f, t)),
            Permission::ViewResults,
        ),
        get(
            "Form-47 version",
            |f, t| format!("{}/forms/form47/versions/1", api(f, t)),
            Permission::ViewResults,
        ),
        get(
            "Form-47 JSON export",
            |f, t| format!("{}/forms/form47/versions/1/export.json", api(f, t)),
            Permission::ViewResults,
        ),
        get(
            "Form-47 CSV export",
            |f, t| format!("{}/forms/form47/versions/1/export.csv", api(f, t)),
            Permission::ViewResults,
        ),
        Route {
            name: "postal ballots",
            request: Request::Post(|f, t, n| {
                (
                    format!("{}/postal-ballots", api(f, t)),
                    Body::Json(json!({"id": format!("postal-{n}"), "origin": "ro",
                        "votes": {"candidate_1": 5, "candidate_2": 3, "candidate_3": 1, "candidate_4": 0},
                        "rejected": 1, "reason": "postal ballots counted"})),
                )
            }),
            permission: Some(Permission::SignForms),
            targets: BOTH,
            allowed_status: 200,
        },
    ]
}
