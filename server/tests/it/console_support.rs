//! Set-up shared by the console's tests: accounts made through the server's own accounts
//! service, and a cookie-keeping client that signs in through the real sign-in form and sends
//! what a browser sends (`Origin`, the anti-forgery token). Console tests of other areas
//! (review, figures) sign in with [`Browser::signed_in`] and extend the matrix in
//! `console_matrix/routes.rs`.

use std::collections::HashMap;

use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use serde_json::Value;
use tallyseal_server::accounts::{self, AccountRequest, ConstituencyRef, Role, Scope};
use tallyseal_server::db::Database;

use crate::helpers::{Db, Store, TestApp, test_config};

/// An election id and constituency code for the accounts' scopes (no package needed).
pub const ELECTION: &str = "pk-test";
pub const OWN: &str = "NA-1";

pub fn own() -> ConstituencyRef {
    ConstituencyRef::new(ELECTION, OWN)
}

/// The server's database through the server's own code (a second handle on it).
pub async fn database(app: &TestApp) -> Database {
    Database::connect(&app.config.effective_database_url(), 2)
        .await
        .expect("database")
}

/// A new account; returns (user id, password).
pub async fn add_user(db: &Database, login: &str, role: Role, scope: Scope) -> (String, String) {
    let created = accounts::create_account(
        db,
        accounts::CLI_ACTOR,
        AccountRequest {
            login: login.to_owned(),
            role,
            scope,
            password: None,
        },
    )
    .await
    .expect("account created");
    (
        created.account.user_id,
        created.generated_password.expect("generated"),
    )
}

/// A client that keeps cookies and sends what a browser on the console's pages sends.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    /// A browser signed in as `login`.
    pub async fn signed_in(app: &TestApp, login: &str, password: &str) -> Browser {
        let mut b = Browser::new(app);
        let r = b.login(login, password).await;
        assert_eq!(r.status(), 303, "sign-in of {login}");
        b
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all(SET_COOKIE) {
            let line = v.to_str().unwrap();
            let (pair, attrs) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.get("tallyseal_session").cloned()
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        r
    }

    /// A form POST from this server's own page (its `Origin`), fields as given.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let origin = self.base.clone();
        self.post_form_from(path, fields, &origin).await
    }

    pub async fn post_form_from(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: &str,
    ) -> reqwest::Response {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(ORIGIN, origin)
            .form(fields)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&r);
        r
    }

    /// A form POST carrying the session's anti-forgery token.
    pub async fn post_with_token(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    /// Sign in through the form (GET for its nonce, then POST).
    pub async fn login(&mut self, login: &str, password: &str) -> reqwest::Response {
        let r = self.get("/console/login").await;
        assert_eq!(r.status(), 200);
        let nonce = self.cookies.get("tallyseal_login").cloned().unwrap();
        self.post_form(
            "/console/login",
            &[("csrf", &nonce), ("login", login), ("password", password)],
        )
        .await
    }

    /// The session's anti-forgery token (from the session API).
    pub async fn csrf(&mut self) -> String {
        let r = self.get("/api/v1/console/session").await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["csrf_token"].as_str().unwrap().to_owned()
    }
}

/// Rows of the console's tables (what a refused request must leave as it was).
pub async fn console_rows(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM accounts").await,
        app.count("SELECT COUNT(*) FROM account_changes").await,
        app.count("SELECT COUNT(*) FROM events WHERE kind LIKE 'account_%'")
            .await,
    )
}

/// A server with the console settings adjusted (no election imported: the console needs none).
pub async fn start(
    db: Db,
    test: &str,
    adjust: impl FnOnce(&mut tallyseal_server::ServerConfig),
) -> Option<TestApp> {
    let (mut config, dir) = test_config(db, Store::Local, test).await?;
    adjust(&mut config);
    Some(TestApp::start(config, std::sync::Arc::new(dir)).await)
}

/// The kinds of the console's and accounts' events, in order.
pub async fn event_kinds(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM events WHERE kind LIKE 'console_%' OR kind LIKE 'account_%' ORDER BY id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}
