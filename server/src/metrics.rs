//! Prometheus metrics, served as text at `GET /metrics`: requests and their latency by route
//! pattern, upload bytes received, the intake's counters, server errors by cause, and the
//! near-duplicate analysis backlog (read from the database at each scrape).
//!
//! The counters belong to the process (one registry per process, as with any Prometheus client's
//! default registry): a process that runs two servers reports them together. `/metrics` needs no
//! token: it holds counts only, and an operator scrapes each server on its own address and keeps
//! the path off the public reverse proxy (README, "Deploying").
//!
//! Must never: put a path, an id, a key or anything else a client chose into a label (labels take
//! values from fixed sets: route patterns, methods, status classes, problem slugs, verdicts, so a
//! client cannot grow the registry); carry a secret; fail a request because of a metric.

use std::sync::LazyLock;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::error::{self, ApiError, Problem};
use crate::state::AppState;

/// Where the metrics are served.
pub const PATH: &str = "/metrics";

/// Register `GET /metrics`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(PATH)
            .route(web::get().to(scrape))
            .default_service(web::to(error::method_not_allowed)),
    );
}

/// Every metric of the process, registered once.
struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    upload_bytes: IntCounter,
    manifests_accepted: IntCounter,
    images_completed: IntCounter,
    receipts_issued: IntCounterVec,
    uploads_reset: IntCounterVec,
    server_errors: IntCounterVec,
    backlog_captures: IntGauge,
    backlog_oldest: prometheus::Gauge,
    connections_refused: IntCounter,
    log_leaves_sequenced: IntCounter,
    log_checkpoint_delay: prometheus::Histogram,
    log_cosignatures: IntCounterVec,
}

/// Latency buckets, seconds: from a health check to a 20 MB upload over a slow link.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

impl Metrics {
    fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| -> Result<IntCounter, prometheus::Error> {
            let c = IntCounter::new(name, help)?;
            registry.register(Box::new(c.clone()))?;
            Ok(c)
        };
        let counter_vec =
            |name: &str, help: &str, labels: &[&str]| -> Result<IntCounterVec, prometheus::Error> {
                let c = IntCounterVec::new(Opts::new(name, help), labels)?;
                registry.register(Box::new(c.clone()))?;
                Ok(c)
            };
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "tallyseal_http_request_duration_seconds",
                "Time from a request's arrival to its answer's headers, by route pattern.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )?;
        registry.register(Box::new(http_duration.clone()))?;
        let backlog_captures = IntGauge::new(
            "tallyseal_analysis_backlog_captures",
            "Verified captures not yet compared with the other stations' images (read from the \
             database at each scrape).",
        )?;
        registry.register(Box::new(backlog_captures.clone()))?;
        let backlog_oldest = prometheus::Gauge::new(
            "tallyseal_analysis_backlog_oldest_seconds",
            "How long the oldest capture awaiting the near-duplicate analysis has waited.",
        )?;
        registry.register(Box::new(backlog_oldest.clone()))?;
        let log_checkpoint_delay = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "tallyseal_log_checkpoint_delay_seconds",
                "Time from a leaf's event to the signed checkpoint that first includes it (the \
                 oldest leaf of each new checkpoint).",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )?;
        registry.register(Box::new(log_checkpoint_delay.clone()))?;
        Ok(Metrics {
            log_leaves_sequenced: counter(
                "tallyseal_log_leaves_sequenced_total",
                "Leaves of the transparency log sequenced into a signed checkpoint by this server.",
            )?,
            log_checkpoint_delay,
            log_cosignatures: counter_vec(
                "tallyseal_log_witness_answers_total",
                "Answers of witnesses to this server's checkpoints, by outcome (cosigned, \
                 conflict, refused, unreachable).",
                &["outcome"],
            )?,
            http_requests: counter_vec(
                "tallyseal_http_requests_total",
                "HTTP requests answered, by route pattern, method and status class.",
                &["route", "method", "status"],
            )?,
            http_duration,
            upload_bytes: counter(
                "tallyseal_upload_bytes_received_total",
                "Image bytes received in tus request bodies (PATCH and creation-with-upload).",
            )?,
            manifests_accepted: counter(
                "tallyseal_intake_manifests_accepted_total",
                "Signed manifests accepted and made durable (not counting repeats).",
            )?,
            images_completed: counter(
                "tallyseal_intake_images_completed_total",
                "Images received in full, verified and stored (uploads completed).",
            )?,
            receipts_issued: counter_vec(
                "tallyseal_intake_receipts_issued_total",
                "Signed receipts issued and recorded, by receipt status and verdict.",
                &["status", "verdict"],
            )?,
            uploads_reset: counter_vec(
                "tallyseal_intake_uploads_reset_total",
                "Uploads started over from offset 0, by reason.",
                &["reason"],
            )?,
            server_errors: counter_vec(
                "tallyseal_server_errors_total",
                "5xx answers, by problem type and failing part (database, object store, upload \
                 storage).",
                &["problem", "cause"],
            )?,
            connections_refused: counter(
                "tallyseal_connections_refused_total",
                "Connections accepted past the cap of open connections per client \
                 (limits.connections_per_client) and refused (429, closed).",
            )?,
            backlog_captures,
            backlog_oldest,
            registry,
        })
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    // The names and labels are constants (the unit test below builds them): this cannot fail.
    #[allow(clippy::expect_used)]
    Metrics::new().expect("metric definitions are valid")
});

/// The request metrics, recorded once per request by [`crate::access_log`].
pub mod http {
    use super::*;

    /// One request answered: `route` is the matched pattern (`None` for no route), `received`
    /// the request body bytes read, `error` the problem the answer carries, if any.
    pub fn observe(
        route: Option<&str>,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
        received: u64,
        error: Option<&ApiError>,
    ) {
        let m = &*METRICS;
        let route = route.unwrap_or("unmatched");
        m.http_requests
            .with_label_values(&[route, method_label(method), status_class(status)])
            .inc();
        m.http_duration
            .with_label_values(&[route])
            .observe(elapsed.as_secs_f64());
        if route.starts_with("/api/v1/uploads") && (method == Method::POST || method == "PATCH") {
            m.upload_bytes.inc_by(received);
        }
        if status.is_server_error() {
            let (problem, cause) = match error {
                Some(e) => (e.problem.slug(), failing_part(e)),
                None => ("none", "other"),
            };
            m.server_errors.with_label_values(&[problem, cause]).inc();
        }
    }

    /// The method, from a fixed set (a client may send any token as a method).
    pub(super) fn method_label(method: &Method) -> &'static str {
        match method.as_str() {
            "GET" => "GET",
            "HEAD" => "HEAD",
            "POST" => "POST",
            "PATCH" => "PATCH",
            "PUT" => "PUT",
            "DELETE" => "DELETE",
            "OPTIONS" => "OPTIONS",
            _ => "other",
        }
    }

    pub(super) fn status_class(status: StatusCode) -> &'static str {
        match status.as_u16() / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        }
    }

    /// Which part failed, from the detail [`ApiError::unavailable`] and [`ApiError::internal`]
    /// write (`"<context> failed…"`).
    pub(super) fn failing_part(e: &ApiError) -> &'static str {
        let context = e.detail.split(" failed").next().unwrap_or_default();
        match context {
            "database" => "database",
            "object store" => "object_store",
            "upload storage" => "upload_storage",
            _ if e.problem == Problem::Internal => "internal",
            _ => "other",
        }
    }
}

/// The transparency log's counters (the sequencer and the witness collection).
pub mod tlog {
    use super::METRICS;

    /// The witness outcomes (a fixed set).
    pub const OUTCOMES: [&str; 4] = ["cosigned", "conflict", "refused", "unreachable"];

    /// A new checkpoint includes `leaves` more leaves, the oldest logged `delay_secs` ago.
    pub fn sequenced(leaves: u64, delay_secs: f64) {
        METRICS.log_leaves_sequenced.inc_by(leaves);
        METRICS.log_checkpoint_delay.observe(delay_secs.max(0.0));
    }

    /// A witness answered (or did not): `cosigned`, `conflict`, `refused`, `unreachable`.
    pub fn witness_answer(outcome: &str) {
        METRICS
            .log_cosignatures
            .with_label_values(&[if OUTCOMES.contains(&outcome) {
                outcome
            } else {
                "other"
            }])
            .inc();
    }
}

/// The intake's counters: one call where the intake commits what it counts.
pub mod intake {
    use super::METRICS;

    /// A new signed manifest is durable; its `manifest_received` receipt goes back.
    pub fn manifest_accepted() {
        METRICS.manifests_accepted.inc();
        receipt_issued("manifest_received", "none");
    }

    /// An image is verified, stored and recorded; its verified receipt (with `verdict`) goes back.
    pub fn image_completed(verdict: &str) {
        METRICS.images_completed.inc();
        receipt_issued("verified", verdict);
    }

    /// A receipt was signed and recorded: `status` as in the receipt, `verdict` (`none` before
    /// the image). The analysis calls this when it re-signs a receipt whose verdict changed.
    pub fn receipt_issued(status: &str, verdict: &str) {
        METRICS
            .receipts_issued
            .with_label_values(&[label(status), label(verdict)])
            .inc();
    }

    /// An upload started over from offset 0: `bytes_missing`, `image_hash_mismatch`, `expired`.
    pub fn upload_reset(reason: &str) {
        METRICS
            .uploads_reset
            .with_label_values(&[label(reason)])
            .inc();
    }

    /// The value as a label when it is a short lowercase word (every value the server passes),
    /// `other` otherwise.
    fn label(value: &str) -> &str {
        let word = !value.is_empty()
            && value.len() <= 32
            && value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if word { value } else { "other" }
    }
}

/// The connection cap's counter ([`crate::connection_limits`]).
pub mod connections {
    use super::METRICS;

    /// A connection past its client's cap was accepted, to be refused.
    pub fn refused() {
        METRICS.connections_refused.inc();
    }
}

/// `GET /metrics`: the Prometheus text format (version 0.0.4).
async fn scrape(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let m = &*METRICS;
    match crate::analysis::backlog(&state).await {
        Ok(backlog) => {
            m.backlog_captures.set(backlog.waiting);
            m.backlog_oldest
                .set(backlog.oldest_waiting_ms as f64 / 1000.0);
        }
        // The other metrics still help while the database is down; the gauges keep their last
        // value and the failure shows in the log.
        Err(e) => log::warn!("metrics: reading the analysis backlog: {e}"),
    }
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    encoder
        .encode(&m.registry.gather(), &mut body)
        .map_err(|e| ApiError::internal("metrics", e))?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_valid() {
        assert!(Metrics::new().is_ok());
    }

    #[test]
    fn labels_come_from_fixed_sets() {
        let odd = Method::from_bytes(b"BREW").unwrap_or(Method::GET);
        assert_eq!(http::method_label(&odd), "other");
        assert_eq!(http::status_class(StatusCode::LOCKED), "4xx");
        assert_eq!(http::status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }

    #[test]
    fn failing_part_reads_the_error_constructors() {
        let db = ApiError::unavailable("database", "connection refused");
        assert_eq!(http::failing_part(&db), "database");
        let store = ApiError::unavailable("object store", "timeout");
        assert_eq!(http::failing_part(&store), "object_store");
        let upload = ApiError::unavailable("upload storage", "disk full");
        assert_eq!(http::failing_part(&upload), "upload_storage");
        let bug = ApiError::internal("receipt", "bad key");
        assert_eq!(http::failing_part(&bug), "internal");
    }
}
