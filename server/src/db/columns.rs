//! Typed column values, validated once where a row is decoded: content hashes, submission
//! states and verdicts are stored as text, and nothing past this module parses that text again.

use std::fmt;
use std::str::FromStr;

use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Decode, Encode, Type};
use tallyseal_core::hash::Sha256Digest;
use tallyseal_core::keys::{KeyError, PublicKey, SignatureBytes};

use crate::provenance::Verdict;

/// A value stored as text: encoded with `Display`, decoded (and so validated) with `FromStr`.
macro_rules! text_column {
    ($t:ty) => {
        impl Type<Any> for $t {
            fn type_info() -> AnyTypeInfo {
                <String as Type<Any>>::type_info()
            }
        }

        impl Encode<'_, Any> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as sqlx::Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<'_, Any>>::encode(self.to_string(), buf)
            }
        }

        impl<'r> Decode<'r, Any> for $t {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as Decode<'r, Any>>::decode(value)?;
                Ok(text.parse::<$t>()?)
            }
        }
    };
}

/// A SHA-256 digest stored as 64 lowercase hex digits (manifest and image hashes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Hex(pub Sha256Digest);

impl Sha256Hex {
    pub fn digest(&self) -> Sha256Digest {
        self.0
    }

    pub fn to_hex(&self) -> String {
        self.0.to_hex()
    }
}

impl From<Sha256Digest> for Sha256Hex {
    fn from(d: Sha256Digest) -> Self {
        Sha256Hex(d)
    }
}

impl FromStr for Sha256Hex {
    type Err = tallyseal_core::hash::DigestParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Sha256Hex)
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl PartialEq<str> for Sha256Hex {
    fn eq(&self, other: &str) -> bool {
        self.to_hex() == other
    }
}

/// As the digest: 64 lowercase hex digits.
impl serde::Serialize for Sha256Hex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

text_column!(Sha256Hex);

/// A core value stored as its hex text, whose type checks it when the row is read.
macro_rules! hex_column {
    ($(#[$doc:meta])* $name:ident($inner:ty), $err:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $inner);

        impl $name {
            pub fn get(&self) -> $inner {
                self.0
            }

            pub fn to_hex(&self) -> String {
                self.0.to_string()
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                $name(v)
            }
        }

        impl FromStr for $name {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        /// As the hex text.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        text_column!($name);
    };
}

hex_column!(
    /// A device's Ed25519 public key, stored as 64 hex digits.
    DeviceKeyHex(PublicKey),
    KeyError
);

hex_column!(
    /// A device's signature over a manifest, stored as 128 hex digits.
    SignatureHex(SignatureBytes),
    KeyError
);

/// Where a submission is: its manifest received, or its image received and verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionStatus {
    ManifestReceived,
    Verified,
}

impl SubmissionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::ManifestReceived => "manifest_received",
            SubmissionStatus::Verified => "verified",
        }
    }
}

/// Not a submission state the server writes.
#[derive(Debug, thiserror::Error)]
#[error("unknown stored value {0:?}")]
pub struct UnknownValue(String);

impl FromStr for SubmissionStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "manifest_received" => Ok(SubmissionStatus::ManifestReceived),
            "verified" => Ok(SubmissionStatus::Verified),
            other => Err(UnknownValue(other.to_owned())),
        }
    }
}

impl fmt::Display for SubmissionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for SubmissionStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

text_column!(SubmissionStatus);

/// A capture's verdict as stored (the core's [`Verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredVerdict(pub Verdict);

impl StoredVerdict {
    pub fn as_str(self) -> &'static str {
        self.0.as_str()
    }
}

impl FromStr for StoredVerdict {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map(StoredVerdict)
            .map_err(|_| UnknownValue(s.to_owned()))
    }
}

impl fmt::Display for StoredVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_column!(StoredVerdict);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_bad_text_is_refused() {
        let digest = tallyseal_core::hash::sha256(b"x");
        let hex = Sha256Hex(digest);
        assert_eq!(hex.to_string().parse::<Sha256Hex>().unwrap(), hex);
        assert!("ab".parse::<Sha256Hex>().is_err());
        for s in [
            SubmissionStatus::ManifestReceived,
            SubmissionStatus::Verified,
        ] {
            assert_eq!(s.as_str().parse::<SubmissionStatus>().unwrap(), s);
        }
        assert!("done".parse::<SubmissionStatus>().is_err());
        for v in [
            Verdict::Verified,
            Verdict::VerifiedWithWarnings,
            Verdict::Failed,
        ] {
            assert_eq!(
                v.as_str().parse::<StoredVerdict>().unwrap(),
                StoredVerdict(v)
            );
        }
        assert!("fine".parse::<StoredVerdict>().is_err());
        let key = tallyseal_core::keys::DeviceKey::from_seed(&[7; 32]).public_key();
        assert_eq!(key.to_hex().parse::<DeviceKeyHex>().unwrap().get(), key);
        assert!("00".parse::<DeviceKeyHex>().is_err());
    }

    /// A row whose stored text is not the type's is refused where it is read.
    #[tokio::test]
    async fn columns_decode_once_at_the_edge() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect("sqlite::memory:").await.unwrap();
        let digest = tallyseal_core::hash::sha256(b"x");
        let (h, s): (Sha256Hex, SubmissionStatus) = sqlx::query_as("SELECT $1 AS h, $2 AS s")
            .bind(Sha256Hex(digest))
            .bind(SubmissionStatus::Verified)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!((h.digest(), s), (digest, SubmissionStatus::Verified));
        let bad: Result<(Sha256Hex,), _> = sqlx::query_as("SELECT 'not a hash' AS h")
            .fetch_one(&pool)
            .await;
        assert!(bad.is_err());
    }
}
