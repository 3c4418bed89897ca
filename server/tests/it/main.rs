//! Integration tests: the real server on port 0, against SQLite and PostgreSQL, and against the
//! local object store and Garage. One binary, one module per area.

// Test code: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod access_log;
mod admin_challenge;
mod console_api;
mod console_auth;
mod console_board;
mod console_figure_pages;
mod console_figures;
mod console_matrix;
mod console_pages;
mod console_review;
mod console_review_pages;
mod console_sessions;
mod console_support;
mod cors;
mod enrolment;
mod errors;
mod intake;
mod landing;
mod local_layout;
mod log;
mod log_console;
mod log_documents;
mod log_rotation;
mod log_tiles;
mod log_witnesses;
mod metrics;
mod portal_live;
mod portal_pages;
mod portal_station;
mod portal_verifier;
mod pre_routing;
mod public_api;
mod read_replica;
mod slow_clients;
mod store;
mod text_fields;
mod tus;
mod tus_past_length;
mod tuspy;

/// Run one async test body on several backend combinations:
/// `on_backends!(name, body_fn, [(Sqlite, Local, sqlite_local), (Postgres, Garage, pg_garage)]);`
#[macro_export]
macro_rules! on_backends {
    ($name:ident, $body:ident, [$(($db:ident, $store:ident, $case:ident)),* $(,)?]) => {
        mod $name {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let test = concat!(module_path!(), "::", stringify!($case));
                    super::$body($crate::helpers::Db::$db, $crate::helpers::Store::$store, test).await;
                }
            )*
        }
    };
}

/// The four combinations.
#[macro_export]
macro_rules! on_all_backends {
    ($name:ident, $body:ident) => {
        $crate::on_backends!(
            $name,
            $body,
            [
                (Sqlite, Local, sqlite_local),
                (Postgres, Local, postgres_local),
                (Sqlite, Garage, sqlite_garage),
                (Postgres, Garage, postgres_garage),
            ]
        );
    };
}

/// SQLite + local and PostgreSQL + Garage (the embedded default and production).
#[macro_export]
macro_rules! on_default_and_production {
    ($name:ident, $body:ident) => {
        $crate::on_backends!(
            $name,
            $body,
            [
                (Sqlite, Local, sqlite_local),
                (Postgres, Garage, postgres_garage),
            ]
        );
    };
}
