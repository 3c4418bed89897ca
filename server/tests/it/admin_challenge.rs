//! A 401 from an admin endpoint carries `WWW-Authenticate` (RFC 9110 §11.6.1) in the Bearer
//! scheme (RFC 6750 §3): no error code without a token, `error="invalid_token"` with a wrong one.

use serde_json::json;

use crate::helpers::*;
use crate::on_backends;

async fn challenge(db: Db, store: Store, test: &str) {
    let Some(app) = spawn_app(db, store, test).await else {
        return;
    };
    let path = "/api/v1/elections/pk-ge-2024-demo/enrolment-codes";
    let body = json!({"constituency": "NA-128", "station": 1});
    let cases: [(Option<&str>, &str); 3] = [
        (None, r#"Bearer realm="tallyseal""#),
        (
            Some("Bearer not-the-token"),
            r#"Bearer realm="tallyseal", error="invalid_token", error_description="the bearer token is not valid""#,
        ),
        (
            Some("Basic YWRtaW46YWRtaW4="),
            r#"Bearer realm="tallyseal""#,
        ),
    ];
    for (authorization, expected) in cases {
        let mut req = app.client.post(app.url(path)).json(&body);
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let r = req.send().await.unwrap();
        let challenge = r
            .headers()
            .get("WWW-Authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(challenge.as_deref(), Some(expected), "{authorization:?}");
        assert_eq!(problem(r).await, (401, "unauthorized".into()));
    }
    // The challenge and the reason agree on whether a token was presented, however the header
    // is spaced: a bare `Bearer` presents none (no error code, "required"); a tab is a separator.
    let no_token = r#"Bearer realm="tallyseal""#;
    let invalid = r#"Bearer realm="tallyseal", error="invalid_token", error_description="the bearer token is not valid""#;
    for (authorization, expected, detail) in [
        ("Bearer", no_token, "required"),
        ("Bearer   ", no_token, "required"),
        ("Bearer\twrong-token", invalid, "not valid"),
        ("bearer  wrong-token ", invalid, "not valid"),
    ] {
        let r = app
            .client
            .post(app.url(path))
            .json(&body)
            .header("Authorization", authorization)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{authorization:?}");
        let challenge = r
            .headers()
            .get("WWW-Authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(challenge.as_deref(), Some(expected), "{authorization:?}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(
            v["detail"].as_str().unwrap().contains(detail),
            "{authorization:?}: {v}"
        );
    }
    let r = app
        .client
        .post(app.url(path))
        .json(&body)
        .header("Authorization", format!("Bearer\t{}", app.admin_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Other answers carry no challenge.
    let r = app.admin_post(path, body).await;
    assert_eq!(r.status(), 201);
    assert!(r.headers().get("WWW-Authenticate").is_none());
}
on_backends!(
    unauthorized_answers_carry_a_bearer_challenge,
    challenge,
    [(Sqlite, Local, sqlite_local)]
);
