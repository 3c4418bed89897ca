//! The console's JSON API over a running test server's state, with the signed-in actor taken
//! from a test header (`x-test-actor: <role> <user id> <scope>`, scope `*` or
//! `election/code,…`) by a `wrap_fn`: the session middleware's job in the product.

use std::net::TcpListener;

use actix_web::dev::Service;
use actix_web::{App, HttpMessage, HttpServer, web};
use serde_json::Value;
use tallyseal_server::accounts::{Actor, ConstituencyRef, Role, Scope};
use tallyseal_server::error;
use tallyseal_server::routes::console;

use crate::helpers::TestApp;

pub const ELECTION: &str = "pk-ge-2024-demo";
pub const OWN: &str = "NA-128";

/// The test header's actor.
fn actor_of(header: &str) -> Option<Actor> {
    let mut parts = header.split(' ');
    let role = Role::parse(parts.next()?)?;
    let user_id = parts.next()?.to_owned();
    let scope = match parts.next()? {
        "*" => Scope::All,
        list => Scope::Constituencies(
            list.split(',')
                .filter_map(|c| c.split_once('/'))
                .map(|(e, c)| ConstituencyRef::new(e, c))
                .collect(),
        ),
    };
    Some(Actor {
        user_id,
        role,
        scope,
    })
}

/// A console server on port 0 over `app`'s state.
pub struct Console {
    pub base: String,
    pub client: reqwest::Client,
}

pub fn ro() -> String {
    format!("ro u-ro-128 {ELECTION}/{OWN}")
}

pub fn other_ro() -> String {
    format!("ro u-ro-129 {ELECTION}/NA-129")
}

impl Console {
    pub fn start(app: &TestApp) -> Console {
        let state = app.state.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap_fn(|req, srv| {
                    let actor = req
                        .headers()
                        .get("x-test-actor")
                        .and_then(|v| v.to_str().ok())
                        .and_then(actor_of);
                    if let Some(actor) = actor {
                        req.extensions_mut().insert(actor);
                    }
                    srv.call(req)
                })
                .app_data(state.clone())
                .app_data(web::JsonConfig::default().error_handler(error::json_error))
                .app_data(web::PathConfig::default().error_handler(error::path_error))
                .configure(console::configure)
                .default_service(web::to(error::not_found))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Console {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        }
    }

    pub fn get(&self, actor: &str, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .header("x-test-actor", actor)
    }

    pub async fn get_json(&self, actor: &str, path: &str) -> Value {
        let r = self.get(actor, path).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn board(&self, actor: &str, query: &str) -> Value {
        self.get_json(
            actor,
            &format!("/api/v1/console/{ELECTION}/{OWN}/board{query}"),
        )
        .await
    }

    pub async fn decide(&self, actor: &str, manifest_hash: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!(
                "{}/api/v1/console/{ELECTION}/{OWN}/captures/{manifest_hash}/decisions",
                self.base
            ))
            .header("x-test-actor", actor)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

/// The state of `station`'s `form` on a board.
pub fn form_state<'a>(board: &'a Value, station: u64, form: &str) -> &'a Value {
    let s = board["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["station"] == station)
        .unwrap_or_else(|| panic!("station {station} on the board"));
    s["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["form"] == form)
        .unwrap()
}
