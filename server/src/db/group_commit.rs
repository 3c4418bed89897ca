//! SQLite's group commit: the writes queued at the same moment run in one transaction and share
//! one commit (one WAL fsync with `synchronous = FULL`); each caller is answered only after that
//! commit. No savepoints: when one write of a batch fails, the batch is rolled back and each of
//! its writes runs again alone, so one failing write never undoes another. Reached only through
//! [`Database::write`](super::Database::write) and
//! [`Database::write_atomic`](super::Database::write_atomic).

use futures_util::future::BoxFuture;
use sqlx::{AnyConnection, AnyPool, Connection};

use super::DbResult;

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
pub(super) struct GroupCommit {
    jobs: tokio::sync::mpsc::UnboundedSender<Box<dyn QueuedWrite>>,
}

impl GroupCommit {
    /// Start the loop that commits the writes queued on `writer` (a pool of one connection).
    pub(super) fn start(writer: AnyPool) -> Self {
        let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(group_commit_loop(writer, queue));
        GroupCommit { jobs }
    }

    /// Queue the write `body` (with `data`) and wait for its batch's commit.
    pub(super) async fn submit<D, T, F>(&self, data: D, body: F) -> DbResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: WriteBody<D, T>,
    {
        let (caller, answered) = tokio::sync::oneshot::channel::<DbResult<T>>();
        let job = Queued {
            data,
            body,
            result: None,
            caller,
        };
        self.jobs
            .send(Box::new(job))
            .map_err(|_| group_commit_gone())?;
        answered.await.map_err(|_| group_commit_gone())?
    }
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
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(BatchFailed::Commit)?;
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
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
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

#[cfg(test)]
mod tests {
    use super::super::{Database, events_for, insert_event};
    use sqlx::Row;

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
