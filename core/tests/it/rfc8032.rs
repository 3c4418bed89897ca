//! RFC 8032 §7.1 Ed25519 vectors (`testdata/crypto/ed25519_rfc8032_vectors.json`) through
//! `DeviceKey` / `PublicKey`: keys and signatures byte for byte, strict verification.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use tallyseal_core::keys::{DeviceKey, KeyError, PublicKey, SignatureBytes};

use crate::support::read_testdata;

struct Vector {
    name: String,
    seed: Option<[u8; 32]>,
    public: PublicKey,
    message: Vec<u8>,
    signature: SignatureBytes,
    valid: bool,
}

fn vectors() -> Vec<Vector> {
    let v: Value =
        serde_json::from_slice(&read_testdata("crypto/ed25519_rfc8032_vectors.json")).unwrap();
    v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| Vector {
            name: x["name"].as_str().unwrap().to_string(),
            seed: x.get("secret_key").map(|s| {
                hex::decode(s.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            }),
            public: x["public_key"].as_str().unwrap().parse().unwrap(),
            message: hex::decode(x["message"].as_str().unwrap()).unwrap(),
            signature: x["signature"].as_str().unwrap().parse().unwrap(),
            valid: match x["result"].as_str().unwrap() {
                "valid" => true,
                "invalid" => false,
                other => panic!("unknown result {other}"),
            },
        })
        .collect()
}

#[test]
fn the_file_has_five_positive_vectors_and_one_negative() {
    let v = vectors();
    assert_eq!(v.iter().filter(|x| x.valid).count(), 5);
    assert_eq!(v.iter().filter(|x| !x.valid).count(), 1);
    // TEST 1024 really is 1023 bytes of message.
    let t1024 = v.iter().find(|x| x.name == "TEST 1024").unwrap();
    assert_eq!(t1024.message.len(), 1023);
}

#[test]
fn positive_vectors_reproduce_byte_for_byte() {
    for v in vectors().into_iter().filter(|v| v.valid) {
        let key = DeviceKey::from_seed(&v.seed.unwrap());
        assert_eq!(key.public_key(), v.public, "{}: public key", v.name);
        assert_eq!(key.seed(), v.seed.unwrap(), "{}: seed round trip", v.name);
        let sig = key.sign_raw(&v.message);
        assert_eq!(sig, v.signature, "{}: signature", v.name);
        assert_eq!(
            v.public.verify_raw(&v.message, &v.signature),
            Ok(()),
            "{}: verify",
            v.name
        );
        assert!(v.public.is_valid_point(), "{}", v.name);
    }
}

#[test]
fn non_canonical_s_is_rejected() {
    for v in vectors().into_iter().filter(|v| !v.valid) {
        assert_eq!(
            v.public.verify_raw(&v.message, &v.signature),
            Err(KeyError::SignatureMismatch),
            "{} must be rejected",
            v.name
        );
        // S is the second half, little-endian; its top byte shows S >= L (L's top byte is 0x10).
        assert!(v.signature.0[63] >= 0x10, "{}: S is not >= L", v.name);
    }
}

#[test]
fn flipping_any_single_bit_fails_verification() {
    for v in vectors().into_iter().filter(|v| v.valid) {
        // every bit of the signature
        for bit in 0..(64 * 8) {
            let mut s = v.signature;
            s.0[bit / 8] ^= 1 << (bit % 8);
            assert!(
                v.public.verify_raw(&v.message, &s).is_err(),
                "{}: signature bit {bit} flipped still verifies",
                v.name
            );
        }
        // every bit of the message
        let n = v.message.len();
        let bits = 0..n * 8;
        for bit in bits {
            let mut m = v.message.clone();
            m[bit / 8] ^= 1 << (bit % 8);
            assert!(
                v.public.verify_raw(&m, &v.signature).is_err(),
                "{}: message bit {bit} flipped still verifies",
                v.name
            );
        }
        // and a message one byte longer or shorter
        let mut longer = v.message.clone();
        longer.push(0);
        assert!(
            v.public.verify_raw(&longer, &v.signature).is_err(),
            "{}",
            v.name
        );
        if n > 0 {
            assert!(
                v.public
                    .verify_raw(&v.message[..n - 1], &v.signature)
                    .is_err(),
                "{}",
                v.name
            );
        }
        // and the public key: every bit flipped
        for bit in 0..256 {
            let mut k = v.public;
            k.0[bit / 8] ^= 1 << (bit % 8);
            assert!(
                k.verify_raw(&v.message, &v.signature).is_err(),
                "{}: key bit {bit} flipped still verifies",
                v.name
            );
        }
    }
}
