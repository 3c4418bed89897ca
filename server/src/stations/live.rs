//! Live board updates inside one server: intake, the analyser and review decisions announce that a
//! station's form changed; the board's server-sent-events stream forwards the announcements of its
//! constituency. Nothing is stored here (the database is the record); a subscriber that falls
//! behind is told to reload. Several servers: each announces only its own changes, so a console
//! behind a load balancer also polls the board (docs/console.md).

use serde::Serialize;
use tokio::sync::broadcast;

/// How many announcements a slow subscriber may fall behind before it is told to reload.
const CAPACITY: usize = 1024;

/// A station's form changed (a capture arrived, was verified or analysed, or decided).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationChanged {
    pub election: String,
    pub constituency: String,
    pub station: i64,
    pub form: String,
    /// `manifest_received`, `image_received`, `analysed` or `decision`.
    pub cause: &'static str,
    pub manifest_hash: String,
}

/// The in-process announcement channel.
#[derive(Debug)]
pub struct BoardFeed {
    sender: broadcast::Sender<StationChanged>,
}

impl Default for BoardFeed {
    fn default() -> Self {
        BoardFeed {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl BoardFeed {
    /// Announce a change (no subscriber: nothing happens).
    pub fn announce(&self, change: StationChanged) {
        let _ = self.sender.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StationChanged> {
        self.sender.subscribe()
    }
}

/// Announce that the capture of `row` changed because of `cause`.
pub fn announce_capture(feed: &BoardFeed, row: &crate::db::SubmissionRow, cause: &'static str) {
    feed.announce(StationChanged {
        election: row.election_id.clone(),
        constituency: row.constituency.clone(),
        station: row.station,
        form: row.form.clone(),
        cause,
        manifest_hash: row.manifest_hash.to_hex(),
    });
}
