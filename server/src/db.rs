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

use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row};

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
#[derive(Debug, Clone)]
pub struct Database {
    pub pool: AnyPool,
    pub writer: AnyPool,
    pub backend: Backend,
    group: Option<GroupCommit>,
}

/// A queued write, its type erased. It may run twice: in its batch and, when the batch was
/// rolled back because of another write, alone.
trait QueuedWrite: Send {
    /// Run on `conn`, inside a transaction; false when the write failed.
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool>;
    /// Answer the caller: the write's result, or `commit`'s error when its transaction did not
    /// commit.
    fn answer(self: Box<Self>, commit: Option<&sqlx::Error>);
}

/// A write's body: the statements it runs on the connection it is given, from its data.
pub trait WriteBody<D, T>:
    for<'c> Fn(&'c mut AnyConnection, &'c D) -> BoxFuture<'c, DbResult<T>> + Send + Sync + 'static
{
}

impl<D, T, F> WriteBody<D, T> for F where
    F: for<'c> Fn(&'c mut AnyConnection, &'c D) -> BoxFuture<'c, DbResult<T>>
        + Send
        + Sync
        + 'static
{
}

struct Queued<D, T, F> {
    data: D,
    body: F,
    result: Option<DbResult<T>>,
    caller: tokio::sync::oneshot::Sender<DbResult<T>>,
}

impl<D, T, F> QueuedWrite for Queued<D, T, F>
where
    D: Send + Sync + 'static,
    T: Send + 'static,
    F: WriteBody<D, T>,
{
    fn run<'c>(&'c mut self, conn: &'c mut AnyConnection) -> BoxFuture<'c, bool> {
        let Queued {
            data, body, result, ..
        } = self;
        Box::pin(async move {
            let outcome = body(conn, data).await;
            let ok = outcome.is_ok();
            *result = Some(outcome);
            ok
        })
    }

    fn answer(self: Box<Self>, commit: Option<&sqlx::Error>) {
        let answer = match (commit, self.result) {
            (Some(e), _) => Err(sqlx::Error::Protocol(format!(
                "the commit failed; nothing was written: {e}"
            ))),
            (None, Some(result)) => result,
            (None, None) => Err(group_commit_gone()),
        };
        let _ = self.caller.send(answer);
    }
}

/// Largest number of writes sharing one commit.
const MAX_GROUP: usize = 64;

#[derive(Clone)]
struct GroupCommit {
    jobs: tokio::sync::mpsc::UnboundedSender<Box<dyn QueuedWrite>>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

fn group_commit_gone() -> sqlx::Error {
    sqlx::Error::Protocol("the database writer stopped; nothing was written".into())
}

/// Why a batch did not commit.
enum BatchFailed {
    /// One of its writes failed: the batch was rolled back; its writes must run alone.
    Write,
    /// The transaction could not begin or commit: nothing was written.
    Commit(sqlx::Error),
}

/// Run `jobs` in one transaction and commit it.
async fn run_batch(writer: &AnyPool, jobs: &mut [Box<dyn QueuedWrite>]) -> Result<(), BatchFailed> {
    let mut conn = writer.acquire().await.map_err(BatchFailed::Commit)?;
    let mut tx = conn.begin().await.map_err(BatchFailed::Commit)?;
    for job in jobs.iter_mut() {
        if !job.run(&mut tx).await {
            tx.rollback().await.map_err(BatchFailed::Commit)?;
            return Err(BatchFailed::Write);
        }
    }
    tx.commit().await.map_err(BatchFailed::Commit)
}

/// Run one write in a transaction of its own; the error is the transaction's, not the write's.
async fn run_alone(writer: &AnyPool, job: &mut Box<dyn QueuedWrite>) -> DbResult<()> {
    let mut conn = writer.acquire().await?;
    let mut tx = conn.begin().await?;
    if job.run(&mut tx).await {
        tx.commit().await
    } else {
        tx.rollback().await
    }
}

/// Take the queued writes in batches, run each batch in one transaction, commit, answer.
async fn group_commit_loop(
    writer: AnyPool,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Box<dyn QueuedWrite>>,
) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        match run_batch(&writer, &mut jobs).await {
            Ok(()) => {
                for job in jobs {
                    job.answer(None);
                }
            }
            Err(BatchFailed::Commit(e)) => {
                log::error!("group commit of {} writes failed: {e}", jobs.len());
                for job in jobs {
                    job.answer(Some(&e));
                }
            }
            Err(BatchFailed::Write) => {
                for mut job in jobs {
                    let outcome = run_alone(&writer, &mut job).await;
                    job.answer(outcome.err().as_ref());
                }
            }
        }
    }
}

pub type DbResult<T> = Result<T, sqlx::Error>;

/// A pooled connection idle at least this long is pinged before it is used again.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(5);

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
        let pool_options = |max: u32| {
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
        };
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let (pool, writer) = if backend == Backend::Sqlite && !in_memory {
            // The writer first: it creates the file and switches it to WAL.
            let writer = pool_options(1).connect_with(options.clone()).await?;
            let pool = pool_options(max_connections).connect_with(options).await?;
            (pool, writer)
        } else {
            let pool = pool_options(max_connections).connect_with(options).await?;
            (pool.clone(), pool)
        };
        let group = (backend == Backend::Sqlite).then(|| {
            let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(group_commit_loop(writer.clone(), queue));
            GroupCommit { jobs }
        });
        let db = Database {
            pool,
            writer,
            backend,
            group,
        };
        db.migrate().await?;
        Ok(db)
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
            let mut tx = conn.begin().await?;
            let result = body(&mut tx, &data).await?;
            tx.commit().await?;
            return Ok(result);
        };
        let (caller, answered) = tokio::sync::oneshot::channel::<DbResult<T>>();
        let job = Queued {
            data,
            body,
            result: None,
            caller,
        };
        group
            .jobs
            .send(Box::new(job))
            .map_err(|_| group_commit_gone())?;
        answered.await.map_err(|_| group_commit_gone())?
    }

    /// [`insert_submission`], atomically.
    pub async fn insert_submission(&self, s: &SubmissionRow) -> DbResult<bool> {
        self.write_atomic(s.clone(), |c, s| Box::pin(insert_submission(c, s)))
            .await
    }

    /// [`create_upload`].
    pub async fn create_upload(&self, u: &UploadRow, now: i64) -> DbResult<UploadRow> {
        self.write((u.clone(), now), |c, (u, now)| {
            Box::pin(create_upload(c, u, *now))
        })
        .await
    }

    /// [`set_upload_offset`].
    pub async fn set_upload_offset(&self, id: &str, from: i64, to: i64) -> DbResult<bool> {
        self.write((id.to_owned(), from, to), |c, (id, from, to)| {
            Box::pin(set_upload_offset(c, id, *from, *to))
        })
        .await
    }

    /// [`restart_upload`], atomically.
    pub async fn restart_upload(
        &self,
        u: &UploadRow,
        now: i64,
        why: UploadRestart,
    ) -> DbResult<bool> {
        self.write_atomic((u.clone(), now, why), |c, (u, now, why)| {
            Box::pin(restart_upload(c, u, *now, why))
        })
        .await
    }

    /// [`complete_submission`], atomically.
    pub async fn complete_submission(&self, done: &Completion) -> DbResult<Option<String>> {
        self.write_atomic(done.clone(), |c, done| {
            Box::pin(complete_submission(c, done))
        })
        .await
    }

    /// [`claim_for_analysis`].
    pub async fn claim_for_analysis(
        &self,
        token: &str,
        now: i64,
        stale_before_ms: i64,
    ) -> DbResult<Option<String>> {
        self.write(
            (token.to_owned(), now, stale_before_ms),
            |c, (token, now, stale)| Box::pin(claim_for_analysis(c, token, *now, *stale)),
        )
        .await
    }

    /// [`record_phash`].
    pub async fn record_phash(
        &self,
        manifest_hash: &str,
        token: &str,
        phash: &str,
    ) -> DbResult<bool> {
        let data = (manifest_hash.to_owned(), token.to_owned(), phash.to_owned());
        self.write(data, |c, (m, t, p)| Box::pin(record_phash(c, m, t, p)))
            .await
    }

    /// [`record_analysis`], atomically.
    pub async fn record_analysis(&self, a: &AnalysisRecord) -> DbResult<bool> {
        self.write_atomic(a.clone(), |c, a| Box::pin(record_analysis(c, a)))
            .await
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

/// Append an audit event (the only write the `events` table ever sees).
pub async fn insert_event<'e, E: Executor<'e, Database = Any>>(
    e: E,
    at_ms: i64,
    kind: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> DbResult<()> {
    insert_events(e, at_ms, subject, &[(kind, detail.clone())]).await
}

/// Append several audit events about one `subject`, at one time, in one statement (in order).
pub async fn insert_events<'e, E: Executor<'e, Database = Any>>(
    e: E,
    at_ms: i64,
    subject: &str,
    events: &[(&str, serde_json::Value)],
) -> DbResult<()> {
    let rows: Vec<String> = (0..events.len())
        .map(|i| {
            let n = 4 * i;
            format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (at_ms, kind, subject, detail) VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (kind, detail) in events {
        query = query
            .bind(at_ms)
            .bind((*kind).to_owned())
            .bind(subject.to_owned())
            .bind(detail.to_string());
    }
    query.execute(e).await?;
    Ok(())
}

/// An audit event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub subject: String,
    pub detail: String,
}

pub async fn events_for(db: &AnyPool, subject: &str) -> DbResult<Vec<EventRow>> {
    let rows = sqlx::query(
        "SELECT id, at_ms, kind, subject, detail FROM events WHERE subject = $1 ORDER BY id",
    )
    .bind(subject.to_owned())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                id: r.try_get("id")?,
                at_ms: r.try_get("at_ms")?,
                kind: r.try_get("kind")?,
                subject: r.try_get("subject")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

// ----- elections --------------------------------------------------------------------------------

/// Insert an election; false when the id exists already.
pub async fn insert_election(
    db: &AnyPool,
    id: &str,
    note: &str,
    hash: &str,
    now: i64,
) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "INSERT INTO elections (id, package_note, package_hash, created_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id.to_owned())
    .bind(note.to_owned())
    .bind(hash.to_owned())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        insert_event(
            &mut *tx,
            now,
            "election_published",
            id,
            &serde_json::json!({"package_hash": hash}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The signed note and hash of an election's package.
pub async fn get_election(db: &AnyPool, id: &str) -> DbResult<Option<(String, String)>> {
    let row = sqlx::query("SELECT package_note, package_hash FROM elections WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((r.try_get("package_note")?, r.try_get("package_hash")?)))
        .transpose()
}

// ----- enrolment codes and devices ---------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub expires_at_ms: i64,
    pub used_at_ms: Option<i64>,
    /// The device key (hex) the code enrolled.
    pub used_by_key: Option<String>,
}

pub async fn insert_code(
    db: &AnyPool,
    code_hash: &str,
    election: &str,
    constituency: &str,
    station: i64,
    now: i64,
    expires_at_ms: i64,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO enrolment_codes \
         (code_hash, election_id, constituency, station, created_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(code_hash.to_owned())
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .bind(station)
    .bind(now)
    .bind(expires_at_ms)
    .execute(&mut *tx)
    .await?;
    insert_event(
        &mut *tx,
        now,
        "enrolment_code_issued",
        &format!("{election}/{constituency}/{station}"),
        &serde_json::json!({"code_hash": code_hash, "expires_at_ms": expires_at_ms}),
    )
    .await?;
    tx.commit().await
}

pub async fn get_code(db: &AnyPool, code_hash: &str) -> DbResult<Option<CodeRow>> {
    let row = sqlx::query(
        "SELECT election_id, constituency, station, expires_at_ms, used_at_ms, used_by_key \
         FROM enrolment_codes WHERE code_hash = $1",
    )
    .bind(code_hash.to_owned())
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(CodeRow {
            election_id: r.try_get("election_id")?,
            constituency: r.try_get("constituency")?,
            station: r.try_get("station")?,
            expires_at_ms: r.try_get("expires_at_ms")?,
            used_at_ms: r.try_get("used_at_ms")?,
            used_by_key: r.try_get("used_by_key")?,
        })
    })
    .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub device_key: String,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub officer_name: String,
    pub enrolled_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// What happened to an enrolment attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    Enrolled,
    /// Someone else used the code between our read and our write.
    CodeUsed,
    /// The key is already bound (to this or another station).
    KeyTaken,
}

/// Use the code and bind the key to its station, atomically.
pub async fn enrol_device(
    db: &AnyPool,
    code_hash: &str,
    device: &DeviceRow,
) -> DbResult<EnrolOutcome> {
    let mut tx = db.begin().await?;
    let used = sqlx::query(
        "UPDATE enrolment_codes SET used_at_ms = $1, used_by_key = $2 \
         WHERE code_hash = $3 AND used_at_ms IS NULL",
    )
    .bind(device.enrolled_at_ms)
    .bind(device.device_key.clone())
    .bind(code_hash.to_owned())
    .execute(&mut *tx)
    .await?;
    if used.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(EnrolOutcome::CodeUsed);
    }
    let inserted = sqlx::query(
        "INSERT INTO devices (device_key, election_id, constituency, station, officer_name, \
         enrolled_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_key) DO NOTHING",
    )
    .bind(device.device_key.clone())
    .bind(device.election_id.clone())
    .bind(device.constituency.clone())
    .bind(device.station)
    .bind(device.officer_name.clone())
    .bind(device.enrolled_at_ms)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(EnrolOutcome::KeyTaken);
    }
    insert_event(
        &mut *tx,
        device.enrolled_at_ms,
        "device_enrolled",
        &device.device_key,
        &serde_json::json!({
            "election": device.election_id, "constituency": device.constituency,
            "station": device.station, "officer": device.officer_name, "code_hash": code_hash,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(EnrolOutcome::Enrolled)
}

pub async fn get_device(db: &AnyPool, key: &str) -> DbResult<Option<DeviceRow>> {
    let row = sqlx::query(
        "SELECT device_key, election_id, constituency, station, officer_name, enrolled_at_ms, \
         revoked_at_ms FROM devices WHERE device_key = $1",
    )
    .bind(key.to_owned())
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(DeviceRow {
            device_key: r.try_get("device_key")?,
            election_id: r.try_get("election_id")?,
            constituency: r.try_get("constituency")?,
            station: r.try_get("station")?,
            officer_name: r.try_get("officer_name")?,
            enrolled_at_ms: r.try_get("enrolled_at_ms")?,
            revoked_at_ms: r.try_get("revoked_at_ms")?,
        })
    })
    .transpose()
}

/// The Commission key (hex) the database was first used with, if any.
pub async fn recorded_commission_key(db: &AnyPool) -> DbResult<Option<String>> {
    let row = sqlx::query("SELECT commission_key FROM server_identity WHERE id = 1")
        .fetch_optional(db)
        .await?;
    row.map(|r| r.try_get("commission_key")).transpose()
}

/// Record `key` as the database's Commission key unless one is recorded; returns the key in force
/// (the first recorded, on this server or another).
pub async fn record_commission_key(db: &AnyPool, key: &str, now: i64) -> DbResult<String> {
    sqlx::query(
        "INSERT INTO server_identity (id, commission_key, recorded_at_ms) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(key.to_owned())
    .bind(now)
    .execute(db)
    .await?;
    Ok(recorded_commission_key(db).await?.unwrap_or_default())
}

/// Revoke a device (first revocation time wins); returns the revocation time in force.
pub async fn revoke_device(
    db: &AnyPool,
    key: &str,
    now: i64,
    reason: &str,
) -> DbResult<Option<i64>> {
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE devices SET revoked_at_ms = $1 WHERE device_key = $2 AND revoked_at_ms IS NULL",
    )
    .bind(now)
    .bind(key.to_owned())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        insert_event(
            &mut *tx,
            now,
            "device_revoked",
            key,
            &serde_json::json!({"reason": reason}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(get_device(db, key).await?.and_then(|d| d.revoked_at_ms))
}

// ----- submissions ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRow {
    pub manifest_hash: String,
    pub device_key: String,
    pub election_id: String,
    pub constituency: String,
    pub station: i64,
    pub form: String,
    pub seq: i64,
    pub signature: String,
    pub image_sha256: String,
    pub image_bytes: i64,
    pub media_type: String,
    pub received_at_ms: i64,
    pub status: String,
    pub image_received_at_ms: Option<i64>,
    pub image_phash: Option<String>,
    pub verdict: Option<String>,
    pub receipt: String,
    /// The signed manifest bytes, standard base64 (`None` for rows older than migration 0002).
    pub manifest: Option<String>,
}

impl SubmissionRow {
    /// The signed manifest bytes the row holds (`None` for rows older than migration 0002,
    /// whose manifest is only in the object store).
    pub fn manifest_bytes(&self) -> Option<Result<Vec<u8>, base64::DecodeError>> {
        use base64::Engine;
        self.manifest
            .as_ref()
            .map(|b64| base64::engine::general_purpose::STANDARD.decode(b64))
    }
}

const SUBMISSION_COLUMNS: &str = "manifest_hash, device_key, election_id, constituency, station, \
     form, seq, signature, image_sha256, image_bytes, media_type, received_at_ms, status, \
     image_received_at_ms, image_phash, verdict, receipt, manifest";

fn submission_from_row(r: &sqlx::any::AnyRow) -> DbResult<SubmissionRow> {
    Ok(SubmissionRow {
        manifest_hash: r.try_get("manifest_hash")?,
        device_key: r.try_get("device_key")?,
        election_id: r.try_get("election_id")?,
        constituency: r.try_get("constituency")?,
        station: r.try_get("station")?,
        form: r.try_get("form")?,
        seq: r.try_get("seq")?,
        signature: r.try_get("signature")?,
        image_sha256: r.try_get("image_sha256")?,
        image_bytes: r.try_get("image_bytes")?,
        media_type: r.try_get("media_type")?,
        received_at_ms: r.try_get("received_at_ms")?,
        status: r.try_get("status")?,
        image_received_at_ms: r.try_get("image_received_at_ms")?,
        image_phash: r.try_get("image_phash")?,
        verdict: r.try_get("verdict")?,
        receipt: r.try_get("receipt")?,
        manifest: r.try_get("manifest")?,
    })
}

/// Insert a new submission and its event; false when the manifest hash exists already (the
/// UNIQUE primary key decides races between servers), and then nothing was written. Runs inside
/// a transaction ([`Database::write_atomic`]).
pub async fn insert_submission(conn: &mut AnyConnection, s: &SubmissionRow) -> DbResult<bool> {
    let done = sqlx::query(
        "INSERT INTO submissions (manifest_hash, device_key, election_id, constituency, station, \
         form, seq, signature, image_sha256, image_bytes, media_type, received_at_ms, status, \
         receipt, manifest) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (manifest_hash) DO NOTHING",
    )
    .bind(s.manifest_hash.clone())
    .bind(s.device_key.clone())
    .bind(s.election_id.clone())
    .bind(s.constituency.clone())
    .bind(s.station)
    .bind(s.form.clone())
    .bind(s.seq)
    .bind(s.signature.clone())
    .bind(s.image_sha256.clone())
    .bind(s.image_bytes)
    .bind(s.media_type.clone())
    .bind(s.received_at_ms)
    .bind(s.status.clone())
    .bind(s.receipt.clone())
    .bind(s.manifest.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    insert_event(
        &mut *conn,
        s.received_at_ms,
        "manifest_received",
        &s.manifest_hash,
        &serde_json::json!({
            "device": s.device_key, "election": s.election_id, "constituency": s.constituency,
            "station": s.station, "form": s.form, "seq": s.seq, "image_sha256": s.image_sha256,
        }),
    )
    .await?;
    Ok(true)
}

pub async fn get_submission(db: &AnyPool, manifest_hash: &str) -> DbResult<Option<SubmissionRow>> {
    let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE manifest_hash = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(submission_from_row).transpose()
}

/// The submission columns qualified with the table alias `s` (for joins), built once.
fn submission_columns_as_s() -> &'static str {
    static COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        SUBMISSION_COLUMNS
            .split(',')
            .map(|c| format!("s.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    });
    &COLUMNS
}

/// A submission and its verification report (JSON) when there is one, in one query.
pub async fn get_submission_with_report(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Option<(SubmissionRow, Option<String>)>> {
    let sql = format!(
        "SELECT {}, r.report AS report FROM submissions s \
         LEFT JOIN verification_reports r ON r.manifest_hash = s.manifest_hash \
         WHERE s.manifest_hash = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((submission_from_row(&r)?, r.try_get("report")?)))
        .transpose()
}

/// A submission and the device that signed it, in one query.
pub async fn get_submission_with_device(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Option<(SubmissionRow, DeviceRow)>> {
    let sql = format!(
        "SELECT {}, {DEVICE_COLUMNS_AS_D} \
         FROM submissions s JOIN devices d ON d.device_key = s.device_key \
         WHERE s.manifest_hash = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((submission_from_row(&r)?, device_from_joined_row(&r)?)))
        .transpose()
}

/// The device columns in a join with `submissions s` (alias `d`), renamed where the names clash.
const DEVICE_COLUMNS_AS_D: &str = "d.device_key AS device_key_d, d.election_id AS device_election, \
     d.constituency AS device_constituency, d.station AS device_station, d.officer_name, \
     d.enrolled_at_ms, d.revoked_at_ms";

/// The device of a row selected with [`DEVICE_COLUMNS_AS_D`].
fn device_from_joined_row(r: &sqlx::any::AnyRow) -> DbResult<DeviceRow> {
    Ok(DeviceRow {
        device_key: r.try_get("device_key_d")?,
        election_id: r.try_get("device_election")?,
        constituency: r.try_get("device_constituency")?,
        station: r.try_get("device_station")?,
        officer_name: r.try_get("officer_name")?,
        enrolled_at_ms: r.try_get("enrolled_at_ms")?,
        revoked_at_ms: r.try_get("revoked_at_ms")?,
    })
}

/// A device, and the submission `manifest_hash` when the server has it, in one query (the
/// manifest intake's idempotency and enrolment checks). `None`: the device is not enrolled.
pub async fn get_device_with_submission(
    db: &AnyPool,
    device_key: &str,
    manifest_hash: &str,
) -> DbResult<Option<(DeviceRow, Option<SubmissionRow>)>> {
    let sql = format!(
        "SELECT {}, {DEVICE_COLUMNS_AS_D} \
         FROM devices d LEFT JOIN submissions s ON s.manifest_hash = $2 \
         WHERE d.device_key = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(device_key.to_owned())
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let device = device_from_joined_row(&r)?;
    let submission = match r.try_get::<Option<String>, _>("manifest_hash")? {
        Some(_) => Some(submission_from_row(&r)?),
        None => None,
    };
    Ok(Some((device, submission)))
}

/// What tus creation reads about a submission, in one query.
#[derive(Debug, Clone)]
pub struct UploadContext {
    pub submission: SubmissionRow,
    /// The device that signed the submission.
    pub device: DeviceRow,
    /// The submission's tus upload, when it has one.
    pub upload: Option<UploadRow>,
    /// Unfinished uploads of the device created after `open_after_ms` (its upload slots in use).
    pub open_uploads: i64,
}

/// A submission with its device, its tus upload and its device's upload slots in use
/// ([`UploadContext`]), in one query; `None` when the server does not have the submission.
pub async fn get_upload_context(
    db: &AnyPool,
    manifest_hash: &str,
    open_after_ms: i64,
) -> DbResult<Option<UploadContext>> {
    let sql = format!(
        "SELECT {}, {DEVICE_COLUMNS_AS_D}, u.id AS upload_id, u.device_key AS upload_device_key, \
           u.upload_length, u.upload_offset, u.completed_at_ms, \
           (SELECT COUNT(*) FROM uploads o WHERE o.device_key = s.device_key \
              AND o.completed_at_ms IS NULL AND o.created_at_ms > $2) AS open_uploads \
         FROM submissions s \
         JOIN devices d ON d.device_key = s.device_key \
         LEFT JOIN uploads u ON u.manifest_hash = s.manifest_hash \
         WHERE s.manifest_hash = $1",
        submission_columns_as_s()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .bind(open_after_ms)
        .fetch_optional(db)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let submission = submission_from_row(&r)?;
    let upload = match r.try_get::<Option<String>, _>("upload_id")? {
        None => None,
        Some(id) => Some(UploadRow {
            id,
            manifest_hash: submission.manifest_hash.clone(),
            device_key: r.try_get("upload_device_key")?,
            upload_length: r.try_get("upload_length")?,
            upload_offset: r.try_get("upload_offset")?,
            completed_at_ms: r.try_get("completed_at_ms")?,
        }),
    };
    Ok(Some(UploadContext {
        device: device_from_joined_row(&r)?,
        upload,
        open_uploads: r.try_get("open_uploads")?,
        submission,
    }))
}

pub async fn count_submissions(db: &AnyPool) -> DbResult<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM submissions")
        .fetch_one(db)
        .await?
        .try_get("n")
}

/// A submission's image as another capture's duplicate check sees it.
/// Rows: (manifest_hash, image_sha256, image_phash, constituency, station).
pub type KnownImageRow = (String, String, Option<String>, String, i64);

/// One row of the duplicate queries as the core's `KnownImage` (`None` for a row that does not
/// decode).
pub fn known_image(
    (manifest_hash, sha256, phash, constituency, station): KnownImageRow,
) -> Option<tallyseal_core::verify::KnownImage> {
    Some(tallyseal_core::verify::KnownImage {
        sha256: sha256.parse().ok()?,
        phash: phash.and_then(|p| u64::from_str_radix(&p, 16).ok()),
        constituency,
        station: u32::try_from(station).ok()?,
        manifest_hash: manifest_hash.parse().ok()?,
    })
}

fn known_image_from_row(r: &sqlx::any::AnyRow) -> DbResult<KnownImageRow> {
    Ok((
        r.try_get("manifest_hash")?,
        r.try_get("image_sha256")?,
        r.try_get("image_phash")?,
        r.try_get("constituency")?,
        r.try_get("station")?,
    ))
}

fn known_images_from_rows(rows: &[sqlx::any::AnyRow]) -> DbResult<Vec<KnownImageRow>> {
    rows.iter().map(known_image_from_row).collect()
}

/// What the checks of a completed upload need from the other submissions, in one query.
#[derive(Debug, Default)]
pub struct RelatedCaptures {
    /// Every submission, in any election or constituency, whose signed image hash is the
    /// capture's (the exact-duplicate check at intake).
    pub same_image: Vec<KnownImageRow>,
    /// The device's submissions with the capture's sequence number or the one before (the
    /// capture itself among them), and when there is none before, the highest below:
    /// (seq, manifest_hash). The hash chain check finds the predecessor, a fork (another capture
    /// with the same number), or where a gap starts, among them.
    pub chain_neighbours: Vec<(i64, String)>,
}

/// The submissions whose image hash is `image_sha256`, and `device`'s submissions with sequence
/// number `seq` or `seq - 1`.
pub async fn related_captures(
    db: &AnyPool,
    image_sha256: &str,
    device: &str,
    seq: i64,
) -> DbResult<RelatedCaptures> {
    // The device's captures numbered `seq` (forks) and `seq - 1` (the link), and when `seq - 1`
    // is missing the highest one below it, so a gap is reported from where it starts.
    let rows = sqlx::query(
        "SELECT manifest_hash, image_sha256, image_phash, constituency, station, device_key, seq \
         FROM submissions \
         WHERE image_sha256 = $1 \
            OR (device_key = $2 AND (seq = $3 OR seq = $4 OR seq = \
                (SELECT MAX(seq) FROM submissions WHERE device_key = $2 AND seq < $3)))",
    )
    .bind(image_sha256.to_owned())
    .bind(device.to_owned())
    .bind(seq - 1)
    .bind(seq)
    .fetch_all(db)
    .await?;
    let mut related = RelatedCaptures::default();
    for r in &rows {
        let row_seq: i64 = r.try_get("seq")?;
        if row_seq <= seq && r.try_get::<String, _>("device_key")? == device {
            related
                .chain_neighbours
                .push((row_seq, r.try_get("manifest_hash")?));
        }
        if r.try_get::<String, _>("image_sha256")? == image_sha256 {
            related.same_image.push(known_image_from_row(r)?);
        }
    }
    Ok(related)
}

/// Every other submission of the constituency with a perceptual hash (the near-duplicate
/// analysis).
pub async fn perceptual_candidates(
    db: &AnyPool,
    election: &str,
    constituency: &str,
    except_manifest: &str,
) -> DbResult<Vec<KnownImageRow>> {
    let rows = sqlx::query(
        "SELECT manifest_hash, image_sha256, image_phash, constituency, station FROM submissions \
         WHERE election_id = $1 AND constituency = $2 AND image_phash IS NOT NULL \
           AND manifest_hash <> $3",
    )
    .bind(election.to_owned())
    .bind(constituency.to_owned())
    .bind(except_manifest.to_owned())
    .fetch_all(db)
    .await?;
    known_images_from_rows(&rows)
}

// ----- near-duplicate analysis (after the receipt) ----------------------------------------------

/// Claim the oldest verified capture not yet analysed (or whose claim is older than
/// `stale_before_ms`) for the analyser holding `token`. Returns the claimed manifest hash.
/// Two analysers racing for one row: the guarded UPDATE lets one through.
pub async fn claim_for_analysis(
    conn: &mut AnyConnection,
    token: &str,
    now: i64,
    stale_before_ms: i64,
) -> DbResult<Option<String>> {
    let candidate = sqlx::query(
        "SELECT manifest_hash FROM submissions WHERE status = 'verified' AND analysed_at_ms IS NULL \
           AND (analysis_claimed_at_ms IS NULL OR analysis_claimed_at_ms < $1) \
         ORDER BY image_received_at_ms LIMIT 1",
    )
    .bind(stale_before_ms)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = candidate else {
        return Ok(None);
    };
    let manifest_hash: String = row.try_get("manifest_hash")?;
    let claimed = sqlx::query(
        "UPDATE submissions SET analysis_claim = $1, analysis_claimed_at_ms = $2 \
         WHERE manifest_hash = $3 AND analysed_at_ms IS NULL \
           AND (analysis_claimed_at_ms IS NULL OR analysis_claimed_at_ms < $4)",
    )
    .bind(token.to_owned())
    .bind(now)
    .bind(manifest_hash.clone())
    .bind(stale_before_ms)
    .execute(&mut *conn)
    .await?;
    Ok((claimed.rows_affected() == 1).then_some(manifest_hash))
}

/// Captures waiting for the analysis, and when the oldest of them was completed.
pub async fn analysis_backlog(db: &AnyPool) -> DbResult<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(image_received_at_ms) AS oldest FROM submissions \
         WHERE status = 'verified' AND analysed_at_ms IS NULL",
    )
    .fetch_one(db)
    .await?;
    Ok((row.try_get("n")?, row.try_get("oldest")?))
}

/// Record a claimed capture's perceptual hash, on its own and before comparing: of two captures
/// analysed at the same moment, the one that compares second then sees the other's hash.
pub async fn record_phash(
    conn: &mut AnyConnection,
    manifest_hash: &str,
    token: &str,
    phash: &str,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE submissions SET image_phash = $1 WHERE manifest_hash = $2 AND analysis_claim = $3",
    )
    .bind(phash.to_owned())
    .bind(manifest_hash.to_owned())
    .bind(token.to_owned())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the analysis of one capture records.
#[derive(Debug, Clone)]
pub struct AnalysisRecord {
    pub manifest_hash: String,
    pub token: String,
    pub now: i64,
    pub verdict: String,
    pub report_json: String,
    /// A new receipt when the verdict changed.
    pub receipt_json: Option<String>,
    pub event: serde_json::Value,
}

/// The completed report, verdict (and receipt), the time of analysis and the event; false
/// (nothing written) when the claim was taken over meanwhile. Runs inside a transaction
/// ([`Database::write_atomic`]).
pub async fn record_analysis(conn: &mut AnyConnection, a: &AnalysisRecord) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE submissions SET analysed_at_ms = $1, verdict = $2, \
           receipt = COALESCE($3, receipt), analysis_claim = NULL \
         WHERE manifest_hash = $4 AND analysis_claim = $5 AND analysed_at_ms IS NULL",
    )
    .bind(a.now)
    .bind(a.verdict.clone())
    .bind(a.receipt_json.clone())
    .bind(a.manifest_hash.clone())
    .bind(a.token.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE verification_reports SET verdict = $1, report = $2 WHERE manifest_hash = $3",
    )
    .bind(a.verdict.clone())
    .bind(a.report_json.clone())
    .bind(a.manifest_hash.clone())
    .execute(&mut *conn)
    .await?;
    insert_event(
        &mut *conn,
        a.now,
        "near_duplicates_analysed",
        &a.manifest_hash,
        &a.event,
    )
    .await?;
    Ok(true)
}

/// What completing an image upload records.
#[derive(Debug, Clone)]
pub struct Completion {
    pub manifest_hash: String,
    /// The upload completed; with `upload_is_new`, one not in the database yet (a creation
    /// request that carried the whole image), which the completion inserts.
    pub upload: UploadRow,
    pub upload_is_new: bool,
    pub now: i64,
    pub verdict: String,
    pub report_json: String,
    pub receipt_json: String,
}

/// Record a verified image: report, submission status, upload completion (offset at the end)
/// and events. Returns the completed upload's id, or `None` when another request completed the
/// submission first (then nothing was written). Runs inside a transaction
/// ([`Database::write_atomic`]).
pub async fn complete_submission(
    conn: &mut AnyConnection,
    c: &Completion,
) -> DbResult<Option<String>> {
    let done = sqlx::query(
        "UPDATE submissions SET status = 'verified', image_received_at_ms = $1, \
         verdict = $2, receipt = $3 WHERE manifest_hash = $4 AND status = 'manifest_received'",
    )
    .bind(c.now)
    .bind(c.verdict.clone())
    .bind(c.receipt_json.clone())
    .bind(c.manifest_hash.clone())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query(
        "INSERT INTO verification_reports (manifest_hash, verdict, report, verified_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(c.manifest_hash.clone())
    .bind(c.verdict.clone())
    .bind(c.report_json.clone())
    .bind(c.now)
    .execute(&mut *conn)
    .await?;
    // The last PATCH's offset moves here, with the completion: one commit, not two. An upload
    // created by the request that completes it is inserted complete; should another request
    // have created one for this manifest meanwhile, that one is the completed upload.
    let upload_id: String = if c.upload_is_new {
        let u = &c.upload;
        sqlx::query(
            "INSERT INTO uploads (id, manifest_hash, device_key, upload_length, upload_offset, \
             created_at_ms, completed_at_ms) VALUES ($1, $2, $3, $4, $4, $5, $5) \
             ON CONFLICT (manifest_hash) DO UPDATE SET completed_at_ms = excluded.completed_at_ms, \
             upload_offset = uploads.upload_length RETURNING id",
        )
        .bind(u.id.clone())
        .bind(u.manifest_hash.clone())
        .bind(u.device_key.clone())
        .bind(u.upload_length)
        .bind(c.now)
        .fetch_one(&mut *conn)
        .await?
        .try_get("id")?
    } else {
        sqlx::query(
            "UPDATE uploads SET completed_at_ms = $1, upload_offset = upload_length WHERE id = $2",
        )
        .bind(c.now)
        .bind(c.upload.id.clone())
        .execute(&mut *conn)
        .await?;
        c.upload.id.clone()
    };
    // Both events in one statement: one round trip to the database, not two.
    insert_events(
        &mut *conn,
        c.now,
        &c.manifest_hash,
        &[
            ("image_received", serde_json::json!({"upload": upload_id})),
            ("verified", serde_json::json!({"verdict": c.verdict})),
        ],
    )
    .await?;
    Ok(Some(upload_id))
}

// ----- tus uploads ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: String,
    pub manifest_hash: String,
    pub device_key: String,
    pub upload_length: i64,
    pub upload_offset: i64,
    pub completed_at_ms: Option<i64>,
}

fn upload_from_row(r: &sqlx::any::AnyRow) -> DbResult<UploadRow> {
    Ok(UploadRow {
        id: r.try_get("id")?,
        manifest_hash: r.try_get("manifest_hash")?,
        device_key: r.try_get("device_key")?,
        upload_length: r.try_get("upload_length")?,
        upload_offset: r.try_get("upload_offset")?,
        completed_at_ms: r.try_get("completed_at_ms")?,
    })
}

const UPLOAD_COLUMNS: &str =
    "id, manifest_hash, device_key, upload_length, upload_offset, completed_at_ms";

/// Create the submission's upload (at the row's offset: bytes up to there are held already), or
/// return the one it already has (one upload per manifest).
pub async fn create_upload(
    conn: &mut AnyConnection,
    u: &UploadRow,
    now: i64,
) -> DbResult<UploadRow> {
    let sql = format!(
        "INSERT INTO uploads (id, manifest_hash, device_key, upload_length, upload_offset, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (manifest_hash) DO NOTHING \
         RETURNING {UPLOAD_COLUMNS}"
    );
    let created = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(u.id.clone())
        .bind(u.manifest_hash.clone())
        .bind(u.device_key.clone())
        .bind(u.upload_length)
        .bind(u.upload_offset)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(row) = created {
        return upload_from_row(&row);
    }
    // It had one already.
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE manifest_hash = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(u.manifest_hash.clone())
        .fetch_one(&mut *conn)
        .await?;
    upload_from_row(&row)
}

pub async fn get_upload(db: &AnyPool, id: &str) -> DbResult<Option<UploadRow>> {
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(upload_from_row).transpose()
}

/// Move an upload's offset from `from` to `to`; false when the offset was not `from` any more.
pub async fn set_upload_offset(
    conn: &mut AnyConnection,
    id: &str,
    from: i64,
    to: i64,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET upload_offset = $1 WHERE id = $2 AND upload_offset = $3 \
         AND completed_at_ms IS NULL",
    )
    .bind(to)
    .bind(id.to_owned())
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why an upload starts over from offset 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadRestart {
    /// Abandoned: its part file was idle past `part_file_idle_secs` (the sweep).
    Expired,
    /// All its bytes arrived, but they are not the signed image.
    ImageHashMismatch { received_sha256: String },
    /// This server does not hold the bytes behind the offset (another server's disk, or lost).
    BytesMissing,
}

/// Start an upload over: its offset goes back to 0 (from `u.upload_offset`, while it is
/// unfinished and still there), and an event records why and what was dropped:
/// `upload_expired` (`{upload, dropped_offset}`, when bytes were held) or `upload_reset`
/// (`{upload, reason, …}`). False when the upload moved on meanwhile.
pub async fn restart_upload(
    conn: &mut AnyConnection,
    u: &UploadRow,
    now: i64,
    why: &UploadRestart,
) -> DbResult<bool> {
    if !set_upload_offset(&mut *conn, &u.id, u.upload_offset, 0).await? {
        return Ok(false);
    }
    let (kind, detail) = match why {
        UploadRestart::Expired if u.upload_offset == 0 => return Ok(true),
        UploadRestart::Expired => (
            "upload_expired",
            serde_json::json!({ "upload": u.id, "dropped_offset": u.upload_offset }),
        ),
        UploadRestart::ImageHashMismatch { received_sha256 } => (
            "upload_reset",
            serde_json::json!({
                "upload": u.id,
                "reason": "image_hash_mismatch",
                "received_bytes": u.upload_length,
                "received_sha256": received_sha256,
            }),
        ),
        UploadRestart::BytesMissing => (
            "upload_reset",
            serde_json::json!({
                "upload": u.id,
                "reason": "bytes_missing",
                "dropped_offset": u.upload_offset,
            }),
        ),
    };
    insert_event(&mut *conn, now, kind, &u.manifest_hash, &detail).await?;
    Ok(true)
}

pub async fn get_upload_for_manifest(
    db: &AnyPool,
    manifest_hash: &str,
) -> DbResult<Option<UploadRow>> {
    let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE manifest_hash = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(manifest_hash.to_owned())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(upload_from_row).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Concurrent writes share group commits; one write failing inside a batch undoes only its
    /// own statements (the batch is rolled back and its writes run again alone), and every caller
    /// learns its own outcome.
    #[tokio::test]
    async fn group_commit_isolates_failed_writes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Database::connect(&url, 4).await.unwrap();
        assert!(db.group.is_some());
        let mut tasks = Vec::new();
        for i in 0..40i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.write_atomic(i, |c, &i| {
                    Box::pin(async move {
                        insert_event(&mut *c, i, "test", &format!("s{i}"), &serde_json::json!({}))
                            .await?;
                        if i % 4 == 0 {
                            // Fails after a statement: its insert must not survive.
                            sqlx::query("INSERT INTO no_such_table VALUES (1)")
                                .execute(&mut *c)
                                .await?;
                        }
                        Ok(i)
                    })
                })
                .await
            }));
        }
        let mut ok = 0;
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(n) => {
                    assert_eq!(n, i as i64);
                    ok += 1;
                }
                Err(_) => assert_eq!(i % 4, 0),
            }
        }
        assert_eq!(ok, 30);
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM events WHERE kind = 'test'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert_eq!(n, 30);
        for i in (0..40).step_by(4) {
            assert!(
                events_for(&db.pool, &format!("s{i}"))
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    }
}
