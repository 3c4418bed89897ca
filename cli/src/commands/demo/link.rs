//! A phone's network link for the night: the ordinary loopback HTTP client, which a 2G-like
//! link wraps. While the link is down for bulk data the image upload (tus, `/api/v1/uploads`)
//! fails as a dropped connection does and only the small manifest gets through; once it is up,
//! each request is slowed as on 2G.
//!
//! It must never alter a request or an answer: it only delays or drops them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tallyseal_core::client::http::{
    HttpRequest, HttpResponse, HttpTransport, StdHttpTransport, TransportError,
};

/// The link of one phone.
#[derive(Debug)]
pub struct Link {
    inner: StdHttpTransport,
    /// A 2G link: uploads fail while `bulk_up` is false, and each request waits `delay`.
    slow: bool,
    bulk_up: AtomicBool,
    delay: Duration,
}

impl Link {
    /// An ordinary link.
    pub fn good() -> Link {
        Link {
            inner: StdHttpTransport::default(),
            slow: false,
            bulk_up: AtomicBool::new(true),
            delay: Duration::ZERO,
        }
    }

    /// A 2G link whose bulk data is down until [`Link::bulk_up`]; `delay` per request after.
    pub fn two_g(delay: Duration) -> Link {
        Link {
            inner: StdHttpTransport::default(),
            slow: true,
            bulk_up: AtomicBool::new(false),
            delay,
        }
    }

    /// The link comes back for bulk data.
    pub fn bring_up(&self) {
        self.bulk_up.store(true, Ordering::SeqCst);
    }

    /// Whether an image could get through now.
    pub fn is_up(&self) -> bool {
        self.bulk_up.load(Ordering::SeqCst)
    }
}

impl HttpTransport for Link {
    fn execute(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        if self.slow {
            if request.url.contains("/api/v1/uploads") && !self.is_up() {
                return Err(TransportError::Io(
                    "2G link: the connection dropped during the upload".into(),
                ));
            }
            std::thread::sleep(self.delay);
        }
        self.inner.execute(request)
    }
}
