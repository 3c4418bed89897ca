//! RFC 9457 problem details: every error the server returns is `application/problem+json` with a
//! stable `type` URI (`https://tallyseal.org/problems/<slug>`), a `title`, the HTTP `status` and a
//! readable `detail`. Bad input is always a 4xx; a 5xx means the server (database, object store)
//! failed, and its detail never carries internals or secrets (those go to the log).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

/// Base of every problem `type` URI.
pub const PROBLEM_BASE: &str = "https://tallyseal.org/problems/";

macro_rules! problems {
    ($( $variant:ident => ($slug:literal, $status:expr, $title:literal) ),* $(,)?) => {
        /// The kinds of problem the API reports; each has a stable slug, status and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Problem { $( $variant ),* }

        impl Problem {
            /// The stable last path segment of the `type` URI.
            pub fn slug(self) -> &'static str { match self { $( Problem::$variant => $slug ),* } }
            pub fn status(self) -> StatusCode { match self { $( Problem::$variant => $status ),* } }
            pub fn title(self) -> &'static str { match self { $( Problem::$variant => $title ),* } }
            /// All kinds (for documentation and tests).
            pub const ALL: &'static [Problem] = &[ $( Problem::$variant ),* ];
        }
    };
}

problems! {
    MalformedJson => ("malformed-json", StatusCode::BAD_REQUEST, "The request body is not the JSON this endpoint expects"),
    MalformedManifest => ("malformed-manifest", StatusCode::BAD_REQUEST, "The capture manifest cannot be read"),
    BadSignature => ("bad-signature", StatusCode::UNPROCESSABLE_ENTITY, "The signature does not verify"),
    UnknownDevice => ("unknown-device", StatusCode::FORBIDDEN, "The device key is not enrolled"),
    RevokedDevice => ("revoked-device", StatusCode::FORBIDDEN, "The device key has been revoked"),
    WrongStation => ("wrong-station", StatusCode::FORBIDDEN, "The device is not enrolled for this polling station"),
    UnknownElection => ("unknown-election", StatusCode::NOT_FOUND, "No such election"),
    UnknownStation => ("unknown-station", StatusCode::UNPROCESSABLE_ENTITY, "No such polling station in the election package"),
    ElectionExists => ("election-exists", StatusCode::CONFLICT, "A different package is already published under this election id"),
    BadPackage => ("bad-package", StatusCode::UNPROCESSABLE_ENTITY, "The election package is not valid"),
    UnknownCode => ("unknown-code", StatusCode::FORBIDDEN, "The enrolment code is not valid"),
    ExpiredCode => ("expired-code", StatusCode::FORBIDDEN, "The enrolment code has expired"),
    CodeUsed => ("code-used", StatusCode::CONFLICT, "The enrolment code has already been used"),
    DeviceAlreadyEnrolled => ("device-already-enrolled", StatusCode::CONFLICT, "The device key is already enrolled for another station"),
    BadKey => ("bad-key", StatusCode::BAD_REQUEST, "Not a valid ed25519 public key"),
    BadRequest => ("bad-request", StatusCode::BAD_REQUEST, "The request is not valid"),
    BodyTooLarge => ("body-too-large", StatusCode::PAYLOAD_TOO_LARGE, "The request body is larger than allowed"),
    UnsupportedMediaType => ("unsupported-media-type", StatusCode::UNSUPPORTED_MEDIA_TYPE, "The request body has the wrong content type"),
    Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED, "A valid admin bearer token is required"),
    NotFound => ("not-found", StatusCode::NOT_FOUND, "No such resource"),
    MethodNotAllowed => ("method-not-allowed", StatusCode::METHOD_NOT_ALLOWED, "Method not allowed on this resource"),
    UnknownSubmission => ("unknown-submission", StatusCode::NOT_FOUND, "No manifest with this hash has been received"),
    TusVersion => ("tus-version", StatusCode::PRECONDITION_FAILED, "Only tus 1.0.0 is supported"),
    UploadNotFound => ("upload-not-found", StatusCode::NOT_FOUND, "No such upload"),
    UploadAuth => ("upload-auth", StatusCode::FORBIDDEN, "The request does not carry the capture's device's upload authorisation"),
    UploadLengthMismatch => ("upload-length-mismatch", StatusCode::UNPROCESSABLE_ENTITY, "Upload-Length differs from the signed image size"),
    UploadTooLarge => ("upload-too-large", StatusCode::PAYLOAD_TOO_LARGE, "The upload would exceed its declared length"),
    OffsetConflict => ("offset-conflict", StatusCode::CONFLICT, "Upload-Offset does not match the server's offset"),
    ChecksumMismatch => ("checksum-mismatch", StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST), "Upload-Checksum does not match the bytes received"),
    UnsupportedChecksum => ("unsupported-checksum", StatusCode::BAD_REQUEST, "Only the sha256 and sha1 checksum algorithms are supported"),
    ImageHashMismatch => ("image-hash-mismatch", StatusCode::UNPROCESSABLE_ENTITY, "The uploaded image does not match the signed hash"),
    TooManyUploads => ("too-many-uploads", StatusCode::TOO_MANY_REQUESTS, "The device has too many unfinished uploads"),
    UploadBusy => ("upload-busy", StatusCode::LOCKED, "Another request is writing to this upload"),
    UnsafeText => ("unsafe-text", StatusCode::UNPROCESSABLE_ENTITY, "A text field holds a control or bidirectional-formatting character"),
    TooManyConnections => ("too-many-connections", StatusCode::TOO_MANY_REQUESTS, "This client address has too many open connections"),
    OriginNotAllowed => ("origin-not-allowed", StatusCode::FORBIDDEN, "This origin may not make this request"),
    ServiceUnavailable => ("service-unavailable", StatusCode::SERVICE_UNAVAILABLE, "Storage is temporarily unavailable; retry later"),
    NotSignedIn => ("not-signed-in", StatusCode::UNAUTHORIZED, "Sign in to the console first"),
    Forbidden => ("forbidden", StatusCode::FORBIDDEN, "Your role or constituency does not allow this"),
    CsrfRejected => ("csrf-rejected", StatusCode::FORBIDDEN, "The request's anti-forgery token is missing or wrong"),
    StaleVersion => ("stale-version", StatusCode::CONFLICT, "Someone changed this record since you read it; here is its current state"),
    DecisionIdReused => ("decision-id-reused", StatusCode::CONFLICT, "This decision id already names a different decision"),
    LoginTaken => ("login-taken", StatusCode::CONFLICT, "An account with this login name exists already"),
    InvalidField => ("invalid-field", StatusCode::UNPROCESSABLE_ENTITY, "A field is missing, unknown or not a valid value"),
    Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
}

/// An error response: a [`Problem`] kind and a readable detail.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub problem: Problem,
    pub detail: String,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl ApiError {
    pub fn new(problem: Problem, detail: impl Into<String>) -> Self {
        Self {
            problem,
            detail: detail.into(),
        }
    }

    /// A storage or database failure: logged in full, reported as a retryable 503.
    pub fn unavailable(context: &str, err: impl std::fmt::Display) -> Self {
        log::error!("{context}: {err}");
        Self::new(
            Problem::ServiceUnavailable,
            format!("{context} failed; retry later"),
        )
    }

    /// A bug or unexpected state: logged in full, reported without details.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        log::error!("{context}: {err}");
        Self::new(Problem::Internal, format!("{context} failed"))
    }
}

/// A database failure is a retryable 503 wherever it happens: `?` on a query says so.
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::unavailable("database", e)
    }
}

/// An object store failure is a retryable 503 wherever it happens.
impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::unavailable("object store", e)
    }
}

/// A receipt that cannot be signed is the server's fault.
impl From<tallyseal_core::receipt::ReceiptError> for ApiError {
    fn from(e: tallyseal_core::receipt::ReceiptError) -> Self {
        Self::internal("receipt", e)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.problem.slug(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.problem.status()
    }

    fn error_response(&self) -> HttpResponse {
        let body = ProblemBody {
            type_uri: format!("{PROBLEM_BASE}{}", self.problem.slug()),
            title: self.problem.title(),
            status: self.problem.status().as_u16(),
            detail: &self.detail,
        };
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        // tus clients read this on every response, errors included.
        resp.insert_header(("Tus-Resumable", "1.0.0"));
        if self.problem == Problem::TusVersion {
            // tus 1.0: a 412 for an unsupported version names the versions the server speaks.
            resp.insert_header(("Tus-Version", "1.0.0"));
        }
        resp.body(serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// `JsonConfig` error handler: actix's JSON errors become problems.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { length, limit } => ApiError::new(
            Problem::BodyTooLarge,
            format!("body of {length} bytes exceeds the limit of {limit} bytes"),
        ),
        E::Overflow { limit } => ApiError::new(
            Problem::BodyTooLarge,
            format!("body exceeds the limit of {limit} bytes"),
        ),
        E::ContentType => ApiError::new(
            Problem::UnsupportedMediaType,
            "expected Content-Type: application/json",
        ),
        E::Deserialize(e) => ApiError::new(Problem::MalformedJson, e.to_string()),
        E::Payload(p) => payload_problem(p),
        other => ApiError::new(Problem::MalformedJson, other.to_string()),
    };
    api.into()
}

fn payload_problem(err: &actix_web::error::PayloadError) -> ApiError {
    use actix_web::error::PayloadError as P;
    match err {
        P::Overflow => ApiError::new(Problem::BodyTooLarge, "body exceeds the limit"),
        other => ApiError::new(
            Problem::BadRequest,
            format!("could not read the body: {other}"),
        ),
    }
}

/// `PathConfig` / `QueryConfig` error handler.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(Problem::NotFound, err.to_string()).into()
}

/// The app's default service: unknown paths are problems too.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(Problem::NotFound, "no such endpoint"))
}

/// Per-resource default service: a known path with an unsupported method.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        Problem::MethodNotAllowed,
        "method not allowed on this resource",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn slugs_are_unique_and_statuses_are_errors() {
        let mut seen = HashSet::new();
        for p in Problem::ALL {
            assert!(seen.insert(p.slug()), "duplicate slug {}", p.slug());
            assert!(p.status().is_client_error() || p.status().is_server_error());
        }
        assert_eq!(Problem::ChecksumMismatch.status().as_u16(), 460);
    }
}
