//! Foreign traits: what only the platform can do, implemented in Kotlin/Swift, and the adapters
//! that plug them into the core's traits.

use std::sync::Arc;

use tallyseal_core::client::custody::{self as core_custody, CustodyError};
use tallyseal_core::client::http::{self as core_http, TransportError};
use tallyseal_core::client::uploader::{SyncEvent, SyncListener};

use crate::error::TallysealError;
use crate::records::{HttpHeader, HttpRequest, HttpResponse, StatusEvent};

/// Keeps the device's 32-byte ed25519 seed. Android: wrap it with a non-exportable Keystore AES
/// key and store the ciphertext in app-private files; iOS: a Keychain item
/// (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`). `store_seed` must be durable on return.
#[uniffi::export(with_foreign)]
pub trait KeyCustody: Send + Sync {
    fn load_seed(&self) -> Result<Option<Vec<u8>>, TallysealError>;
    fn store_seed(&self, seed: Vec<u8>) -> Result<(), TallysealError>;
}

/// Executes one HTTP request, blocking (OkHttp `execute()`, `URLSession` + semaphore). Return
/// `Err(Network)` when no HTTP answer arrived; any HTTP status is an `Ok` response.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TallysealError>;
}

/// Receives upload progress and state changes (called on the syncing thread; post to the UI).
#[uniffi::export(with_foreign)]
pub trait StatusListener: Send + Sync {
    fn on_event(&self, event: StatusEvent);
}

pub(crate) struct CustodyAdapter(pub Arc<dyn KeyCustody>);

impl core_custody::KeyCustody for CustodyAdapter {
    fn load_seed(&self) -> Result<Option<Vec<u8>>, CustodyError> {
        self.0.load_seed().map_err(|e| CustodyError(e.to_string()))
    }
    fn store_seed(&self, seed: &[u8]) -> Result<(), CustodyError> {
        self.0
            .store_seed(seed.to_vec())
            .map_err(|e| CustodyError(e.to_string()))
    }
}

pub(crate) struct TransportAdapter(pub Arc<dyn HttpTransport>);

impl core_http::HttpTransport for TransportAdapter {
    fn execute(
        &self,
        r: core_http::HttpRequest,
    ) -> Result<core_http::HttpResponse, TransportError> {
        let req = HttpRequest {
            method: r.method,
            url: r.url,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: r.body,
        };
        match self.0.execute(req) {
            Ok(resp) => Ok(core_http::HttpResponse {
                status: resp.status,
                headers: resp
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                body: resp.body,
            }),
            Err(e) => Err(TransportError::Io(e.to_string())),
        }
    }
}

pub(crate) struct ListenerAdapter(pub Arc<dyn StatusListener>);

impl SyncListener for ListenerAdapter {
    fn on_event(&self, event: &SyncEvent) {
        let e = StatusEvent::from(event);
        // A listener that throws must not break the upload.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.0.on_event(e)));
    }
}
