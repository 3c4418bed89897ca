//! A short-lived in-process copy of the public reads' answers (the results, the ledger, the
//! portal's pages), so that election-night traffic on one constituency costs one database read
//! per `public_cache_ms`, not one per request (`docs/public-api.md`, "Caching").
//!
//! An answer is kept at most `public_cache_ms` (default 1 s; 0 turns the copy off): a visitor may
//! see the state of up to that long ago, which the `Cache-Control` of these answers
//! (`max-age=10`) already allows any cache in front. Concurrent requests for an answer being
//! built wait for that one build rather than each reading the database. Only answers are kept,
//! never refusals (a 404 is built each time). Keys are the request's path and query and the
//! page's language: nothing a visitor sends is stored beyond that key, and at most
//! [`MAX_ENTRIES`] of them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::OnceCell;

use crate::error::ApiError;

/// Most answers kept; past it, expired ones are dropped, then all.
pub const MAX_ENTRIES: usize = 4096;

/// An answer: its bytes, their strong tag, and when what it shows last changed (ms).
#[derive(Debug, Clone)]
pub struct Answer {
    pub bytes: Bytes,
    /// Hex of the first 16 bytes of the SHA-256 of `bytes` (computed once, when built).
    pub tag: String,
    pub last_modified_ms: Option<i64>,
}

impl Answer {
    /// The answer of `bytes`, tagged.
    pub fn new(bytes: Vec<u8>, last_modified_ms: Option<i64>) -> Answer {
        use sha2::{Digest, Sha256};
        let tag = hex::encode(&Sha256::digest(&bytes)[..16]);
        Answer {
            bytes: Bytes::from(bytes),
            tag,
            last_modified_ms,
        }
    }
}

#[derive(Debug)]
struct Slot {
    made: Instant,
    answer: OnceCell<Answer>,
}

/// The copies, shared by every worker of a server.
#[derive(Debug, Default)]
pub struct Memo {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

impl Memo {
    /// The answer under `key` if it is younger than `ttl`, else the one `build` makes (once, for
    /// every request waiting on it). `ttl` zero: always `build`.
    pub async fn answer<F, Fut>(
        &self,
        key: String,
        ttl: Duration,
        build: F,
    ) -> Result<Answer, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Answer, ApiError>>,
    {
        if ttl.is_zero() {
            return build().await;
        }
        let slot = {
            let Ok(mut slots) = self.slots.lock() else {
                return build().await;
            };
            match slots.get(&key) {
                Some(s) if s.made.elapsed() < ttl => s.clone(),
                _ => {
                    if slots.len() >= MAX_ENTRIES {
                        slots.retain(|_, s| s.made.elapsed() < ttl);
                        if slots.len() >= MAX_ENTRIES {
                            slots.clear();
                        }
                    }
                    let s = Arc::new(Slot {
                        made: Instant::now(),
                        answer: OnceCell::new(),
                    });
                    slots.insert(key, s.clone());
                    s
                }
            }
        };
        slot.answer.get_or_try_init(build).await.cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn answer(n: usize) -> Answer {
        Answer::new(n.to_string().into_bytes(), None)
    }

    #[tokio::test]
    async fn answers_are_kept_for_the_ttl_built_once_and_refusals_never() {
        let memo = Memo::default();
        let builds = AtomicUsize::new(0);
        let build = || async {
            let n = builds.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(answer(n))
        };
        let ttl = Duration::from_millis(300);
        // Eight requests at once: one build, one answer.
        let all =
            futures_util::future::join_all((0..8).map(|_| memo.answer("/a".into(), ttl, build)))
                .await;
        assert!(all.iter().all(|a| a.as_ref().unwrap().bytes == "0"));
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        // Another key is its own answer; after the ttl, a new build.
        assert_eq!(
            memo.answer("/b".into(), ttl, build).await.unwrap().bytes,
            "1"
        );
        tokio::time::sleep(ttl).await;
        assert_eq!(
            memo.answer("/a".into(), ttl, build).await.unwrap().bytes,
            "2"
        );
        // A refusal is not kept; ttl zero keeps nothing.
        let refused = memo
            .answer("/c".into(), ttl, || async {
                Err(ApiError::new(crate::error::Problem::NotFound, "no"))
            })
            .await;
        assert!(refused.is_err());
        assert_eq!(
            memo.answer("/c".into(), ttl, build).await.unwrap().bytes,
            "3"
        );
        assert_eq!(
            memo.answer("/d".into(), Duration::ZERO, build)
                .await
                .unwrap()
                .bytes,
            "4"
        );
        assert_eq!(
            memo.answer("/d".into(), Duration::ZERO, build)
                .await
                .unwrap()
                .bytes,
            "5"
        );
    }
}
