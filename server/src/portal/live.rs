//! Whether a constituency's page changed, for its live updates over server-sent events. Two
//! sources: this server's station announcements ([`crate::stations::BoardFeed`]: a capture
//! arrived, was verified, analysed or decided), at once; and the constituency's provisional
//! result ([`crate::public::results`]), which changes when figures are confirmed or a Form-47
//! signed — by this server or by another behind the same load balancer — read at most once per
//! [`POLL`] per constituency whatever the number of readers ([`ResultsWatch`]). A reader is told
//! *that* the page changed, never what: the page itself is the record.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::public::results;
use crate::state::AppState;

/// How often a constituency's result is read for its live readers.
pub const POLL: Duration = Duration::from_secs(2);
/// A comment at least this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(20);
/// Most constituencies whose fingerprint is remembered.
const MAX_WATCHED: usize = 4_096;

/// The latest fingerprint of each watched constituency's result, shared by its readers.
#[derive(Debug, Default)]
pub struct ResultsWatch {
    seen: Mutex<HashMap<(String, String), (Instant, String)>>,
}

impl ResultsWatch {
    /// The fingerprint of the result of `code` of `election`, read again when older than
    /// [`POLL`].
    pub async fn fingerprint(
        &self,
        state: &AppState,
        election: &str,
        code: &str,
    ) -> Result<String, ApiError> {
        let key = (election.to_owned(), code.to_owned());
        if let Ok(seen) = self.seen.lock()
            && let Some((at, tag)) = seen.get(&key)
            && at.elapsed() < POLL
        {
            return Ok(tag.clone());
        }
        let r = results::results(state, election, code).await?;
        let bytes = serde_json::to_vec(&r).map_err(|e| ApiError::internal("results", e))?;
        let tag = hex::encode(&Sha256::digest(&bytes)[..16]);
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= MAX_WATCHED {
                seen.retain(|_, (at, _)| at.elapsed() < POLL);
            }
            seen.insert(key, (Instant::now(), tag.clone()));
        }
        Ok(tag)
    }
}

struct Reader {
    state: actix_web::web::Data<AppState>,
    watch: actix_web::web::Data<ResultsWatch>,
    rx: tokio::sync::broadcast::Receiver<crate::stations::StationChanged>,
    election: String,
    code: String,
    last: String,
    quiet_since: Instant,
}

const CHANGED: &[u8] = b"event: change\ndata: {}\n\n";

/// The stream of a constituency page's reader: `change` events, comments to keep it open.
pub async fn changes(
    state: actix_web::web::Data<AppState>,
    watch: actix_web::web::Data<ResultsWatch>,
    election: String,
    code: String,
) -> Result<impl Stream<Item = Result<Bytes, actix_web::Error>>, ApiError> {
    let rx = state.board_feed.subscribe();
    let last = watch.fingerprint(&state, &election, &code).await?;
    let reader = Reader {
        state,
        watch,
        rx,
        election,
        code,
        last,
        quiet_since: Instant::now(),
    };
    let opening = futures_util::stream::once(async {
        Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 5000\n: portal events\n\n"))
    });
    let events = futures_util::stream::unfold(reader, |mut r| async move {
        loop {
            let announced = match tokio::time::timeout(POLL, r.rx.recv()).await {
                Ok(Ok(change)) => change.election == r.election && change.constituency == r.code,
                Ok(Err(RecvError::Lagged(_))) => true,
                Ok(Err(RecvError::Closed)) => return None,
                Err(_) => false,
            };
            let tag = match r.watch.fingerprint(&r.state, &r.election, &r.code).await {
                Ok(tag) => tag,
                // The database is away: say nothing, try again later.
                Err(_) => r.last.clone(),
            };
            let changed = announced || tag != r.last;
            r.last = tag;
            if changed {
                r.quiet_since = Instant::now();
                return Some((Ok(Bytes::from_static(CHANGED)), r));
            }
            if r.quiet_since.elapsed() >= KEEP_ALIVE {
                r.quiet_since = Instant::now();
                return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), r));
            }
        }
    });
    Ok(futures_util::StreamExt::chain(opening, events))
}
