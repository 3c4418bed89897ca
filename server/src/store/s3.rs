//! An S3-compatible object store (Garage, MinIO, Ceph, AWS S3) through `aws-sdk-s3`.
//!
//! `put_if_absent` does HEAD, then PUT with `If-None-Match: *` (a 412 means another server wrote
//! it first) and `x-amz-checksum-crc32c`, so the service refuses bytes that changed on the way. A
//! store that ignores `If-None-Match` at worst rewrites identical bytes under the same content
//! address in a race. The HEAD stays because Garage (2.5.0, checked) ignores `If-None-Match` on
//! PUT: without it, every repeated upload of an image would rewrite the object instead of leaving
//! it alone.
//!
//! Why CRC32C and not SHA-256: the server has already checked the bytes against the signed
//! SHA-256 (the content address) before it stores them; what is left to guard is the transfer
//! into the service, against accidental damage, which a CRC detects. `x-amz-checksum-sha256` made
//! Garage hash every image once more: 1–1.5 ms of its CPU per 2 MB image, about an eighth of all it
//! does for one (docs/benchmarks.md); the CRC costs both sides a fraction of that. The
//! checksum is kept with the object (Garage returns it on GET and HEAD with
//! `x-amz-checksum-mode: ENABLED`).
//!
//! The payload is not SigV4-signed (`UNSIGNED-PAYLOAD`): the signed checksum header already binds
//! the body, and signing the payload would hash the image again on both sides.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;
use bytes::Bytes;
use tallyseal_core::hash::Sha256Digest;

use super::{ObjectKey, ObjectStore, PutOutcome, StoreError};
use crate::config::S3Config;

/// Objects in one bucket, under an optional key prefix.
#[derive(Debug, Clone)]
pub struct S3Store {
    pub(super) client: Client,
    pub(super) bucket: String,
    prefix: String,
    endpoint: String,
}

pub(super) fn backend<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    what: &str,
    err: SdkError<E, R>,
) -> StoreError {
    let detail = match &err {
        SdkError::ServiceError(s) => format!(
            "{} {}",
            s.err().code().unwrap_or("service error"),
            s.err().message().unwrap_or("")
        ),
        other => format!("{other:?}"),
    };
    StoreError::Backend(format!("{what}: {detail}"))
}

fn status_of<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

impl S3Store {
    pub fn new(config: &S3Config) -> S3Store {
        let credentials = Credentials::new(
            config.access_key_id.clone(),
            config.secret_access_key.clone(),
            None,
            None,
            "tallyseal-config",
        );
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(config.path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // The SDK sets only a connect timeout: a store that accepts a request and never
            // answers would hold it (and the upload's lease, or the analyser) for ever.
            .timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(std::time::Duration::from_secs(
                        config.timeout_secs.clamp(1, 10),
                    ))
                    .operation_attempt_timeout(std::time::Duration::from_secs(
                        config.timeout_secs.max(1),
                    ))
                    .operation_timeout(std::time::Duration::from_secs(
                        config.timeout_secs.max(1).saturating_mul(3),
                    ))
                    .build(),
            );
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint.clone());
        }
        S3Store {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket.clone(),
            prefix: config.prefix.clone(),
            endpoint: config.endpoint.clone().unwrap_or_else(|| "aws".into()),
        }
    }

    pub(super) fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn put_body(
        &self,
        digest: &Sha256Digest,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        self.put_key(&ObjectKey::for_digest(digest), bytes).await
    }

    /// PUT `bytes` at `key` unless an object of that size is there (write-once keys only).
    async fn put_key(&self, key: &ObjectKey, bytes: Bytes) -> Result<PutOutcome, StoreError> {
        let key = self.full_key(key.as_str());
        match self.head_full(&key).await? {
            Some(size) if size == bytes.len() as u64 => return Ok(PutOutcome::AlreadyPresent),
            // Not the object it must be (content-addressed: same key, same bytes): something
            // other than an S3 store answered, or the bucket was tampered with. Never treated as
            // stored.
            Some(size) => {
                return Err(StoreError::Backend(format!(
                    "{key} is there with {size} bytes, not {}",
                    bytes.len()
                )));
            }
            None => {}
        }
        let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_length(len)
            .checksum_crc32_c(crc32c_header(&bytes))
            .if_none_match("*")
            .body(ByteStream::from(bytes))
            .customize()
            .disable_payload_signing()
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Created),
            Err(e) if status_of(&e) == Some(412) => Ok(PutOutcome::AlreadyPresent),
            Err(e) => Err(backend("put_object", e)),
        }
    }

    async fn head_full(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(
                u64::try_from(out.content_length().unwrap_or(-1)).map_err(|_| {
                    StoreError::Backend(format!("head_object {key}: no Content-Length"))
                })?,
            )),
            Err(e) if status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(backend("head_object", e)),
        }
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put_if_absent(
        &self,
        digest: &Sha256Digest,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        self.put_body(digest, bytes).await
    }

    async fn put_named_if_absent(
        &self,
        key: &ObjectKey,
        bytes: Bytes,
    ) -> Result<PutOutcome, StoreError> {
        self.put_key(key, bytes).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Bytes>, StoreError> {
        let full = self.full_key(key.as_str());
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(out) => {
                let data = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| StoreError::Backend(format!("get_object body: {e}")))?;
                Ok(Some(data.into_bytes()))
            }
            Err(e) if status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(backend("get_object", e)),
        }
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<u64>, StoreError> {
        self.head_full(&self.full_key(key.as_str())).await
    }

    fn describe(&self) -> String {
        format!("s3:{}/{}@{}", self.bucket, self.prefix, self.endpoint)
    }
}

/// The value of `x-amz-checksum-crc32c` for `bytes`: the CRC-32C (Castagnoli), big-endian, in
/// base64.
pub fn crc32c_header(bytes: &[u8]) -> String {
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, bytes);
    let crc = u32::try_from(crc).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

#[cfg(test)]
mod tests {
    /// The check value of CRC-32C (RFC 3720, B.4: 32 bytes of zeros give 0x8A9136AA) and the
    /// catalogue's "123456789" value 0xE3069283, as the header carries them.
    #[test]
    fn crc32c_header_matches_known_values() {
        use base64::Engine;
        let b64 = |v: u32| base64::engine::general_purpose::STANDARD.encode(v.to_be_bytes());
        assert_eq!(super::crc32c_header(&[0u8; 32]), b64(0x8A91_36AA));
        assert_eq!(super::crc32c_header(b"123456789"), b64(0xE306_9283));
    }
}
