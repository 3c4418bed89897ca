//! The state every handler shares: configuration, database pool, object store, keys.

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
    pub commission_key: DeviceKey,
    pub admin_token: AdminToken,
    /// Where unfinished tus uploads keep their bytes (`<data_dir>/uploads`).
    pub uploads_dir: PathBuf,
    /// Uploads a PATCH is writing right now (one writer per upload on this server).
    pub busy_uploads: Mutex<HashSet<String>>,
    /// The URL clients use to reach the server.
    pub public_url: String,
    /// Signs the packages the server publishes itself (the commission key).
    pub package_signer: Signer,
    /// Keys whose package signatures are accepted (the server's own first).
    pub package_verifiers: Vec<Verifier>,
    /// Opened packages by election id (packages are immutable once published).
    pub packages: Mutex<HashMap<String, Arc<OpenedPackage>>>,
    /// Shared with the near-duplicate analyser ([`crate::analysis`]).
    pub analysis: crate::analysis::Analysis,
    /// What the board reads from each manifest, read once ([`crate::stations::FactsCache`]).
    pub manifest_facts: crate::stations::FactsCache,
    /// Announces station changes to this server's live boards ([`crate::stations::BoardFeed`]).
    pub board_feed: crate::stations::BoardFeed,
    /// The transparency log: origin, checkpoint key, witnesses ([`crate::log`]).
    pub log: crate::log::LogState,
}

/// Marks an upload busy for as long as it lives.
#[derive(Debug)]
pub struct UploadLease<'a> {
    state: &'a AppState,
    id: String,
}

impl AppState {
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
