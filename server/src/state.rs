//! The state every handler shares: configuration, database pool, object store, keys, and the
//! same state as the public's reads see it ([`AppState::for_public_reads`]: the read replica).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tallyseal_core::keys::DeviceKey;

use crate::config::ServerConfig;
use crate::db::Database;
use crate::provenance::{OpenedPackage, Signer, Verifier};
use crate::secrets::AdminToken;
use crate::store::ObjectStore;

/// Shared by all workers (wrapped in `web::Data`).
#[derive(Debug)]
pub struct AppState {
    pub config: ServerConfig,
    pub db: Database,
    pub store: Arc<dyn ObjectStore>,
    /// Signs packages, receipts and time anchors.
    pub commission_key: Arc<DeviceKey>,
    pub admin_token: AdminToken,
    /// Where unfinished tus uploads keep their bytes (`<data_dir>/uploads`).
    pub uploads_dir: PathBuf,
    /// Uploads a PATCH is writing right now (one writer per upload on this server).
    pub busy_uploads: Arc<Mutex<HashSet<String>>>,
    /// The URL clients use to reach the server.
    pub public_url: String,
    /// Signs the packages the server publishes itself (the commission key).
    pub package_signer: Arc<Signer>,
    /// Keys whose package signatures are accepted (the server's own first).
    pub package_verifiers: Vec<Verifier>,
    /// Opened packages by election id (packages are immutable once published).
    pub packages: Arc<Mutex<HashMap<String, Arc<OpenedPackage>>>>,
    /// Shared with the near-duplicate analyser ([`crate::analysis`]).
    pub analysis: Arc<crate::analysis::Analysis>,
    /// What the board reads from each manifest, read once ([`crate::stations::FactsCache`]).
    pub manifest_facts: Arc<crate::stations::FactsCache>,
    /// Announces station changes to this server's live boards ([`crate::stations::BoardFeed`]).
    pub board_feed: Arc<crate::stations::BoardFeed>,
    /// The transparency log: origin, checkpoint key, witnesses ([`crate::log`]).
    pub log: Arc<crate::log::LogState>,
    /// Short-lived copies of the public API's results and ledger ([`crate::public::memo`]).
    pub public_memo: Arc<crate::public::memo::Memo>,
    /// This state with its reads on the read replica, when `database_read_url` is set
    /// ([`AppState::for_public_reads`]).
    pub public_reads: Option<Arc<AppState>>,
}

/// Marks an upload busy for as long as it lives.
#[derive(Debug)]
pub struct UploadLease<'a> {
    state: &'a AppState,
    id: String,
}

impl AppState {
    /// The state the public's reads run on (`crate::public`, the portal's pages): the same
    /// server — keys, caches, the board's announcements — with its database reads on the read
    /// replica when one is configured, this state itself otherwise. Writes still go to the
    /// primary, but nothing reached through it writes.
    pub fn for_public_reads(&self) -> &AppState {
        self.public_reads.as_deref().unwrap_or(self)
    }

    /// Give this state its public-reads twin: everything shared, reads on
    /// [`Database::for_public_reads`] (a no-op without a read replica).
    pub fn with_public_reads(mut self) -> AppState {
        if !self.db.has_read_replica() {
            return self;
        }
        let twin = AppState {
            config: self.config.clone(),
            db: self.db.for_public_reads(),
            store: self.store.clone(),
            commission_key: self.commission_key.clone(),
            admin_token: self.admin_token.clone(),
            uploads_dir: self.uploads_dir.clone(),
            busy_uploads: self.busy_uploads.clone(),
            public_url: self.public_url.clone(),
            package_signer: self.package_signer.clone(),
            package_verifiers: self.package_verifiers.clone(),
            packages: self.packages.clone(),
            analysis: self.analysis.clone(),
            manifest_facts: self.manifest_facts.clone(),
            board_feed: self.board_feed.clone(),
            log: self.log.clone(),
            public_memo: self.public_memo.clone(),
            public_reads: None,
        };
        self.public_reads = Some(Arc::new(twin));
        self
    }

    /// Take the upload for writing; `None` when another request holds it.
    pub fn lease_upload(&self, id: &str) -> Option<UploadLease<'_>> {
        let mut busy = self.busy_uploads.lock().ok()?;
        busy.insert(id.to_owned()).then(|| UploadLease {
            state: self,
            id: id.to_owned(),
        })
    }
}

impl Drop for UploadLease<'_> {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.state.busy_uploads.lock() {
            busy.remove(&self.id);
        }
    }
}
