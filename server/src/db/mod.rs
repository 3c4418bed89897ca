//! The database: SQLite (embedded default) or PostgreSQL, through `sqlx::any`, with **one set of
//! queries** for both (`$1` placeholders, `ON CONFLICT … DO NOTHING`, BIGINT times). Migrations
//! live in `server/migrations/{sqlite,postgres}` and are embedded in the binary.
//!
//! Why `sqlx::any` and not a backend enum: every query here is plain SQL both databases accept, so
//! one code path is shorter and cannot drift; the cost is runtime (not compile-time) query checks,
//! which the integration tests cover against both databases.
//!
//! The `events` table is append-only: this module only ever INSERTs into it, and triggers in both
//! databases refuse UPDATE and DELETE.
//!
//! # The way in
//!
//! - **Reads**: the `get_…`/`…_for` functions of each table's module, on the read pool
//!   (`db::get_device(&state.db.pool, key)`); re-exported here. They never write. The public's
//!   reads use the same functions on [`Database::for_public_reads`]' pool: the PostgreSQL read
//!   replica of `database_read_url` when set (docs/deployment.md).
//! - **Writes**: the methods of [`Database`] (`state.db.insert_submission(&row)`), nothing else.
//!   The intake's and the analyser's writes join SQLite's group commit ([`Database::write`],
//!   [`Database::write_atomic`], `group_commit`); the Commission's rare writes (elections,
//!   enrolment codes, enrolment, revocation, the server's identity) run in a transaction of their
//!   own on the writer connection, since they roll back on a conflict. The statements behind a
//!   write are `pub(crate)` in their table's module only so that the group commit can run them.
//!
//! # Files, one per table or aggregate
//!
//! `elections`, `devices`, `enrolment_codes`, `submissions` (with the joins the intake reads in
//! one query), `board` (a board's captures in one query), `decisions` (review decisions),
//! `related` (the other captures a capture is checked against), `uploads` (tus state), `reports`
//! (verification reports: completion and the near-duplicate analysis), `events`,
//! `server_identity`, `accounts` (console accounts, their changes and login attempts),
//! `console_sessions`, and `group_commit` (SQLite's write batching). The RO console's figures:
//! `figure_entries` (blind double entry), `figure_confirmations`, `quarantine_releases`,
//! `result_forms` (signed Forms 47/48/49 and postal ballots) and `constituency_captures` (what
//! they read of a constituency's captures).
//! one query), `related` (the other captures a capture is checked against), `uploads` (tus state),
//! `reports` (verification reports: completion and the near-duplicate analysis), `events`,
//! `server_identity`, `group_commit` (SQLite's write batching), and the transparency log's
//! `log_leaves` (leaves, appended in their event's transaction), `log_tree` (stored hashes,
//! checkpoints, cosignatures, the log's identity) and `log_lease` (one sequencer at a time).

mod accounts;
mod board;
mod columns;
mod console_leaves;
mod console_sessions;
mod console_writes;
mod constituency_captures;
mod decisions;
mod devices;
mod elections;
mod enrolment_codes;
mod events;
mod figure_confirmations;
mod figure_entries;
mod group_commit;
mod log_documents;
mod log_keys;
mod log_lease;
mod log_leaves;
mod log_tree;
mod log_writes;
mod quarantine_releases;
mod related;
mod reports;
mod result_forms;
mod scoped;
mod server_identity;
mod submissions;
mod uploads;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};

pub use accounts::{
    AccountChange, AccountRow, AttemptOutcome, ChangeKind, LoginAttempt, NewAccount, account_scope,
    current_password_hash, get_account, get_account_by_login, is_disabled, list_accounts,
    recent_failures_of_client, recent_failures_of_login,
};
pub use board::{BoardCaptureRow, board_captures, station_captures};
pub use columns::{
    DeviceKeyHex, Sha256Hex, SignatureHex, StoredVerdict, SubmissionStatus, UnknownValue,
};
pub use console_leaves::{confirmation_record, decision_record, record_hash, release_record};
pub use console_sessions::{SessionRow, get_session};
pub use constituency_captures::{CaptureFiguresRow, capture_figures_row, captures_of_constituency};
pub use decisions::{
    DecisionRow, decisions_for_board, decisions_for_capture, decisions_for_station, get_decision,
};
pub use devices::{DeviceRow, EnrolOutcome, constituency_devices, get_device};
pub use elections::{get_election, list_election_ids};
pub use enrolment_codes::{CodeRow, get_code};
pub use events::{EventRow, events_for, insert_event, insert_events};
pub use figure_confirmations::{
    ConfirmationRow, confirmation_by_id, confirmations_of_capture, confirmations_of_constituency,
};
pub use figure_entries::{EntryRow, entry_by_id, latest_entries, latest_entries_of_constituency};
use group_commit::GroupCommit;
pub use group_commit::WriteBody;
pub use log_documents::log_document;
pub use log_keys::{CheckpointInsert, KeyChangeRow, log_key_changes, log_key_in_force};
pub use log_lease::SequencerLease;
pub use log_leaves::{
    LeafRow, LeafToAppend, LoggedReceipt, ReceiptSigner, append_leaf, latest_leaf_for, leaf_count,
    leaves_for, leaves_in,
};
pub use log_tree::{
    CheckpointRow, CosignatureRow, cosignatures_for, last_cosigned_size, latest_checkpoint,
    recorded_log_identity, stored_hashes,
};
pub use quarantine_releases::{ReleaseRow, release_by_id, releases_of_constituency};
pub use related::{
    KnownImageRow, RelatedCaptures, known_image, perceptual_candidates, related_captures,
};
pub use reports::{AnalysisRecord, Completion, analysis_backlog};
pub use result_forms::{
    PostalBallotsRow, SignedFormRow, postal_ballots_of, signed_form_by_id, signed_forms_of,
};
pub use server_identity::recorded_commission_key;
pub use submissions::{
    SubmissionRow, UploadContext, count_submissions, get_device_with_submission, get_submission,
    get_submission_with_device, get_submission_with_report, get_upload_context,
};
pub use uploads::{UploadRestart, UploadRow, get_upload, get_upload_for_manifest};

pub type DbResult<T> = Result<T, sqlx::Error>;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pools and the backend.
///
/// `writer` is the pool every write goes through. On PostgreSQL it is the same pool as `pool`.
/// On SQLite (one writer at a time, WAL) it is a separate pool of **one** connection: writers
/// queue fairly in the pool instead of colliding on the database lock, where SQLite's busy
/// handler backs off by sleeping (up to 100 ms a try), which made the tail latency of the
/// intake path seconds long under 32 concurrent clients. Readers keep their own connections and,
/// in WAL mode, never wait for the writer.
///
/// Intake writes go through [`Database::write`] (or [`Database::write_atomic`]), which on SQLite
/// also **group-commits**: the writes waiting at the same moment run in one transaction and share
/// one commit, hence one WAL fsync with `synchronous = FULL`; each caller is answered only after
/// that commit. The writes of a batch run without savepoints: every statement costs the writer a
/// round trip to sqlx's SQLite thread, and a savepoint would add two to each write. Instead, when
/// one write of a batch fails, the whole batch is rolled back and each of its writes runs again
/// alone, in a transaction of its own, so one failing write never undoes another.
///
/// `public` is the pool the public's reads go to (`crate::public`, the portal's pages, through
/// [`Database::for_public_reads`]): a PostgreSQL read replica when `database_read_url` is set
/// ([`Database::with_read_replica`]), otherwise `pool` itself. A replica lags the primary by
/// its replay delay, so nothing that must read its own writes (intake, the console) uses it.
#[derive(Debug, Clone)]
pub struct Database {
    pub pool: AnyPool,
    pub writer: AnyPool,
    pub public: AnyPool,
    read_replica: bool,
    pub backend: Backend,
    group: Option<GroupCommit>,
}

/// A pooled connection idle at least this long is pinged before it is used again.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(5);

/// Begin a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`: it takes the file's write
/// lock at once, waiting out `busy_timeout` while another process (a second server, a CLI command)
/// writes. A plain `BEGIN` would read first and then have to upgrade its snapshot to a writer,
/// which SQLite refuses at once with "database is locked" when someone else wrote in between.
pub(crate) async fn begin_write(pool: &AnyPool) -> DbResult<Transaction<'static, Any>> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// How long a public read waits for a connection to the read replica before it answers 503: a
/// replica that is down must not hold visitors' requests for the primary pool's 30 s.
const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The options of every pool: its size, and a ping only for a connection idle a while.
fn pool_options(backend: Backend, max: u32) -> AnyPoolOptions {
    let mut pool = AnyPoolOptions::new()
        .max_connections(max.max(1))
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings every connection it hands out by default: a round trip per query
        // (to PostgreSQL, or to the SQLite connection's thread), which the intake
        // benchmark's profile showed at ~5 % of the server's CPU. Only a connection idle
        // for a while can have been dropped by the other end (a restarted PostgreSQL);
        // one in use has just answered.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        });
    if backend == Backend::Sqlite {
        pool = pool.after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        });
    }
    pool
}

impl Database {
    /// Connect (creating the SQLite file if needed) and run the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> DbResult<Database> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                "database_url must start with sqlite: or postgres:".into(),
            ));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let (pool, writer) = if backend == Backend::Sqlite && !in_memory {
            // The writer first: it creates the file and switches it to WAL.
            let writer = pool_options(backend, 1)
                .connect_with(options.clone())
                .await?;
            let pool = pool_options(backend, max_connections)
                .connect_with(options)
                .await?;
            (pool, writer)
        } else {
            let pool = pool_options(backend, max_connections)
                .connect_with(options)
                .await?;
            (pool.clone(), pool)
        };
        let group = (backend == Backend::Sqlite).then(|| GroupCommit::start(writer.clone()));
        let db = Database {
            public: pool.clone(),
            read_replica: false,
            pool,
            writer,
            backend,
            group,
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Send the public's reads to the PostgreSQL read replica at `url` (a hot standby of this
    /// database: it has the tables once it has replayed the primary's migrations). The pool
    /// connects lazily, so a replica that is down delays no start and no intake: the public
    /// reads answer 503 until it is back (docs/deployment.md).
    pub fn with_read_replica(mut self, url: &str, max_connections: u32) -> DbResult<Database> {
        if self.backend != Backend::Postgres
            || !(url.starts_with("postgres:") || url.starts_with("postgresql:"))
        {
            return Err(sqlx::Error::Configuration(
                "a read replica needs PostgreSQL for database_url and database_read_url".into(),
            ));
        }
        let options = AnyConnectOptions::from_str(url)?;
        self.public = pool_options(Backend::Postgres, max_connections)
            .acquire_timeout(REPLICA_ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        self.read_replica = true;
        Ok(self)
    }

    /// Whether the public's reads go to a read replica.
    pub fn has_read_replica(&self) -> bool {
        self.read_replica
    }

    /// This database as the public's reads see it: reads on the `public` pool (the replica, when
    /// there is one), writes on the same writer as ever.
    pub fn for_public_reads(&self) -> Database {
        Database {
            pool: self.public.clone(),
            ..self.clone()
        }
    }

    /// Run the write `body` (with `data`) and return its result once it is durable.
    ///
    /// On SQLite it joins the next group commit, inside that batch's transaction; its result is
    /// returned only after that commit succeeded, and an error otherwise. On PostgreSQL it runs
    /// on a pooled connection without a transaction of its own (the server already batches
    /// concurrent commits' WAL flushes): use this for a write that is one statement, or whose
    /// statements are each safe alone. Writes of several statements that must all happen or none
    /// go through [`Database::write_atomic`].
    pub async fn write<D, T, F>(&self, data: D, body: F) -> DbResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: WriteBody<D, T>,
    {
        self.run_write(data, body, false).await
    }

    /// [`Database::write`] for a write whose statements must all happen or none: on PostgreSQL in
    /// a transaction of its own; on SQLite its batch is one already.
    pub async fn write_atomic<D, T, F>(&self, data: D, body: F) -> DbResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: WriteBody<D, T>,
    {
        self.run_write(data, body, true).await
    }

    async fn run_write<D, T, F>(&self, data: D, body: F, atomic: bool) -> DbResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: WriteBody<D, T>,
    {
        let Some(group) = &self.group else {
            let mut conn = self.writer.acquire().await?;
            if !atomic {
                return body(&mut conn, &data).await;
            }
            let mut tx = if self.backend == Backend::Sqlite {
                conn.begin_with("BEGIN IMMEDIATE").await?
            } else {
                conn.begin().await?
            };
            let result = body(&mut tx, &data).await?;
            tx.commit().await?;
            return Ok(result);
        };
        group.submit(data, body).await
    }

    /// Insert a new submission, its event and its leaf; the receipt (with the leaf's index)
    /// when this call inserted it, `None` when the manifest hash exists already
    /// (`submissions::insert_submission`), atomically.
    pub async fn insert_submission(
        &self,
        s: &SubmissionRow,
        logged: &LoggedReceipt,
    ) -> DbResult<Option<String>> {
        self.write_atomic((s.clone(), logged.clone()), |c, (s, logged)| {
            Box::pin(submissions::insert_submission(c, s, logged))
        })
        .await
    }

    /// `uploads::create_upload`.
    pub async fn create_upload(&self, u: &UploadRow, now: i64) -> DbResult<UploadRow> {
        self.write((u.clone(), now), |c, (u, now)| {
            Box::pin(uploads::create_upload(c, u, *now))
        })
        .await
    }

    /// `uploads::set_upload_offset`.
    pub async fn set_upload_offset(&self, id: &str, from: i64, to: i64) -> DbResult<bool> {
        self.write((id.to_owned(), from, to), |c, (id, from, to)| {
            Box::pin(uploads::set_upload_offset(c, id, *from, *to))
        })
        .await
    }

    /// `uploads::restart_upload`, atomically.
    pub async fn restart_upload(
        &self,
        u: &UploadRow,
        now: i64,
        why: UploadRestart,
    ) -> DbResult<bool> {
        self.write_atomic((u.clone(), now, why), |c, (u, now, why)| {
            Box::pin(uploads::restart_upload(c, u, *now, why))
        })
        .await
    }

    /// `reports::complete_submission`, atomically.
    pub async fn complete_submission(
        &self,
        done: &Completion,
    ) -> DbResult<Option<(String, String)>> {
        self.write_atomic(done.clone(), |c, done| {
            Box::pin(reports::complete_submission(c, done))
        })
        .await
    }

    /// `reports::claim_for_analysis`.
    pub async fn claim_for_analysis(
        &self,
        token: &str,
        now: i64,
        stale_before_ms: i64,
    ) -> DbResult<Option<Sha256Hex>> {
        self.write(
            (token.to_owned(), now, stale_before_ms),
            |c, (token, now, stale)| Box::pin(reports::claim_for_analysis(c, token, *now, *stale)),
        )
        .await
    }

    /// `reports::record_phash`.
    pub async fn record_phash(
        &self,
        manifest_hash: &Sha256Hex,
        token: &str,
        phash: &str,
    ) -> DbResult<bool> {
        let data = (*manifest_hash, token.to_owned(), phash.to_owned());
        self.write(data, |c, (m, t, p)| {
            Box::pin(reports::record_phash(c, m, t, p))
        })
        .await
    }

    /// `reports::record_analysis`, atomically.
    pub async fn record_analysis(&self, a: &AnalysisRecord) -> DbResult<Option<Option<String>>> {
        self.write_atomic(a.clone(), |c, a| Box::pin(reports::record_analysis(c, a)))
            .await
    }

    /// Record a review decision and its event, atomically; false when its id exists already or
    /// another decision already follows the one it supersedes (`decisions::insert_decision`).
    pub async fn insert_decision(&self, d: &DecisionRow) -> DbResult<bool> {
        self.write_atomic(d.clone(), |c, d| Box::pin(decisions::insert_decision(c, d)))
            .await
    }

    /// `figure_entries::insert_entry` (with its event), atomically.
    pub async fn insert_entry(&self, row: &EntryRow) -> DbResult<bool> {
        self.write_atomic(row.clone(), |c, r| {
            Box::pin(figure_entries::insert_entry(c, r))
        })
        .await
    }

    /// `figure_confirmations::insert_confirmation` (with its event), atomically.
    pub async fn insert_confirmation(&self, row: &ConfirmationRow) -> DbResult<bool> {
        self.write_atomic(row.clone(), |c, r| {
            Box::pin(figure_confirmations::insert_confirmation(c, r))
        })
        .await
    }

    /// `quarantine_releases::insert_release` (with its event), atomically.
    pub async fn insert_release(&self, row: &ReleaseRow) -> DbResult<bool> {
        self.write_atomic(row.clone(), |c, r| {
            Box::pin(quarantine_releases::insert_release(c, r))
        })
        .await
    }

    /// `result_forms::insert_signed_form` (with its event), atomically.
    pub async fn insert_signed_form(&self, row: &SignedFormRow) -> DbResult<bool> {
        self.write_atomic(row.clone(), |c, r| {
            Box::pin(result_forms::insert_signed_form(c, r))
        })
        .await
    }

    /// `result_forms::insert_postal_ballots` (with its event), atomically.
    pub async fn insert_postal_ballots(&self, row: &PostalBallotsRow) -> DbResult<bool> {
        self.write_atomic(row.clone(), |c, r| {
            Box::pin(result_forms::insert_postal_ballots(c, r))
        })
        .await
    }

    /// Publish an election's package, with its leaf; false when the id exists already.
    pub async fn insert_election(
        &self,
        id: &str,
        note: &str,
        hash: &str,
        now: i64,
        leaf: &LeafToAppend,
    ) -> DbResult<bool> {
        elections::insert_election(&self.writer, id, note, hash, now, leaf).await
    }

    /// Record an enrolment code (its hash) for a station, with its event.
    pub async fn insert_code(
        &self,
        code_hash: &str,
        election: &str,
        constituency: &str,
        station: i64,
        now: i64,
        expires_at_ms: i64,
    ) -> DbResult<()> {
        enrolment_codes::insert_code(
            &self.writer,
            code_hash,
            election,
            constituency,
            station,
            now,
            expires_at_ms,
        )
        .await
    }

    /// Use the code and bind the key to its station, with its leaf, atomically.
    pub async fn enrol_device(
        &self,
        code_hash: &str,
        device: &DeviceRow,
        leaf: &LeafToAppend,
    ) -> DbResult<EnrolOutcome> {
        devices::enrol_device(&self.writer, code_hash, device, leaf).await
    }

    /// Revoke a device (first revocation time wins), with its leaf; returns the revocation time
    /// in force.
    pub async fn revoke_device(
        &self,
        key: &str,
        now: i64,
        reason: &str,
        leaf: &LeafToAppend,
    ) -> DbResult<Option<i64>> {
        devices::revoke_device(&self.writer, key, now, reason, leaf).await
    }

    /// Record `key` as the database's Commission key unless one is recorded; returns the key in
    /// force.
    pub async fn record_commission_key(&self, key: &str, now: i64) -> DbResult<String> {
        server_identity::record_commission_key(&self.writer, key, now).await
    }

    async fn migrate(&self) -> DbResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .run(&self.writer)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }
}
