//! C2SP signed notes against the golang.org/x/mod/sumdb/note vectors
//! (`testdata/crypto/signed_note_vectors.json`, `note_peterneumann.txt`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use tallyseal_core::keys::{DeviceKey, PublicKey};
use tallyseal_core::note::{
    self, MAX_NOTE_BYTES, NoteError, Signer, Verifier, open_note, open_note_with_limit, sign_note,
};

use crate::support::read_testdata;

fn vectors() -> Value {
    serde_json::from_slice(&read_testdata("crypto/signed_note_vectors.json")).unwrap()
}

fn vkey(v: &Value, who: &str) -> Verifier {
    Verifier::parse(v["keys"][who]["vkey"].as_str().unwrap()).unwrap()
}

#[test]
fn verifier_keys_parse_and_format() {
    let v = vectors();
    for who in ["PeterNeumann", "EnochRoot"] {
        let text = v["keys"][who]["vkey"].as_str().unwrap();
        let ver = Verifier::parse(text).unwrap();
        assert_eq!(ver.name, who);
        assert_eq!(
            ver.key.to_hex(),
            v["keys"][who]["public_key_hex"].as_str().unwrap()
        );
        // key ID = SHA-256(name || 0x0A || 0x01 || pub)[:4]
        assert_eq!(ver.key_id, note::key_id(who, &ver.key));
        assert_eq!(ver.to_vkey(), text, "vkey must round-trip byte for byte");
        assert_eq!(ver.to_string().parse::<Verifier>().unwrap(), ver);
    }
    assert_eq!(vkey(&v, "PeterNeumann").key_id, 0xc74f20a3);
    assert_eq!(vkey(&v, "EnochRoot").key_id, 0xaf0cfe78);
}

#[test]
fn malformed_verifier_keys_are_refused() {
    let good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert!(Verifier::parse(good).is_ok());
    // wrong key ID
    assert!(matches!(
        Verifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::KeyIdMismatch { .. })
    ));
    // renamed key: the ID no longer matches
    assert!(
        Verifier::parse("PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
    // wrong algorithm byte (0x02)
    assert!(matches!(
        Verifier::parse("PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::UnsupportedKeyType(2))
    ));
    for bad in [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",
        "PeterNeumann+c74f20a3+!!!",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ] {
        assert!(Verifier::parse(bad).is_err(), "{bad:?} must be refused");
    }
}

#[test]
fn valid_notes_open() {
    let v = vectors();
    let peter = vkey(&v, "PeterNeumann");
    let enoch = vkey(&v, "EnochRoot");
    let text = v["text"].as_str().unwrap();

    let n = v["valid_notes"]["peter_only"].as_str().unwrap();
    let o = open_note(n.as_bytes(), std::slice::from_ref(&peter)).unwrap();
    assert_eq!(o.text, text);
    assert_eq!(o.verified_by, vec!["PeterNeumann".to_string()]);

    let both = v["valid_notes"]["peter_and_enoch"].as_str().unwrap();
    let o = open_note(both.as_bytes(), &[peter.clone(), enoch.clone()]).unwrap();
    assert_eq!(o.text, text);
    assert_eq!(
        o.verified_by,
        vec!["PeterNeumann".to_string(), "EnochRoot".to_string()]
    );
    assert!(o.unverified.is_empty());

    // Knowing only one of the two keys: the other signature is ignored, not an error.
    let o = open_note(both.as_bytes(), std::slice::from_ref(&enoch)).unwrap();
    assert_eq!(o.verified_by, vec!["EnochRoot".to_string()]);
    assert_eq!(o.unverified.len(), 1);
    assert_eq!(o.unverified[0].name, "PeterNeumann");
    assert_eq!(o.unverified[0].key_id, 0xc74f20a3);

    // The raw file (with the U+2014 em dash as UTF-8) is the same note.
    let raw = read_testdata("crypto/note_peterneumann.txt");
    assert_eq!(raw, n.as_bytes());
    let o = open_note(&raw, &[peter]).unwrap();
    assert_eq!(o.text, text);
}

#[test]
fn must_reject_notes_are_rejected() {
    let v = vectors();
    let known = [vkey(&v, "PeterNeumann"), vkey(&v, "EnochRoot")];
    let bad = v["invalid_notes_expect_reject"].as_object().unwrap();
    assert_eq!(bad.len(), 8);
    for (name, note) in bad {
        let note = note.as_str().unwrap();
        let r = open_note(note.as_bytes(), &known);
        assert!(r.is_err(), "{name} must be rejected, got {r:?}");
    }
    // And for the right reasons.
    let why = |k: &str| open_note(bad[k].as_str().unwrap().as_bytes(), &known).unwrap_err();
    assert!(matches!(
        why("tampered_signature_ABCD_inserted_at_60"),
        NoteError::InvalidSignature { .. } | NoteError::MalformedSignatureLine { .. }
    ));
    assert_eq!(why("no_signature_block"), NoteError::MissingSignatures);
    assert_eq!(why("only_blank_line"), NoteError::MissingSignatures);
    assert_eq!(why("missing_final_newline"), NoteError::MissingFinalNewline);
    assert!(matches!(
        why("leading_control_char_0x01"),
        NoteError::ControlCharacter { byte: 1, offset: 0 }
    ));
    assert!(matches!(
        why("trailing_unexpected_line"),
        NoteError::MalformedSignatureLine { line: 2, .. }
    ));
    // An unknown key name is ignored, which leaves no verified signature.
    assert_eq!(
        why("wrong_key_name_CarmenSandiego"),
        NoteError::NoVerifiedSignature
    );
}

#[test]
fn signing_with_the_skey_reproduces_the_vector() {
    let v = vectors();
    let signer = Signer::from_skey(v["keys"]["PeterNeumann"]["skey"].as_str().unwrap()).unwrap();
    assert_eq!(signer.name, "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.verifier(), vkey(&v, "PeterNeumann"));
    let note = sign_note(v["text"].as_str().unwrap(), &[signer]).unwrap();
    assert_eq!(note, v["valid_notes"]["peter_only"].as_str().unwrap());
    assert_eq!(
        note.as_bytes(),
        read_testdata("crypto/note_peterneumann.txt")
    );
}

#[test]
fn c2sp_spec_examples_parse_but_do_not_verify_without_keys() {
    let v = vectors();
    let ex = &v["c2sp_spec_examples_unverifiable"];
    for k in ["signed_note", "checkpoint"] {
        let n = ex[k].as_str().unwrap();
        // Unknown signer: ignored, so no verified signature (and not a syntax error).
        assert_eq!(
            open_note(n.as_bytes(), &[]),
            Err(NoteError::NoVerifiedSignature),
            "{k}"
        );
    }
    let checkpoint = read_testdata("crypto/checkpoint_c2sp_example.txt");
    assert_eq!(
        open_note(&checkpoint, &[]),
        Err(NoteError::NoVerifiedSignature)
    );
    // A known name with a different key ID is a different key: still ignored.
    let other = Verifier::new(
        "example.com/behind-the-sofa",
        DeviceKey::from_seed(&[5; 32]).public_key(),
    )
    .unwrap();
    assert_ne!(other.key_id, 0x033de0ae);
    let o = open_note(&checkpoint, &[other]);
    assert_eq!(o, Err(NoteError::NoVerifiedSignature));
}

#[test]
fn a_known_key_with_the_right_id_but_wrong_public_key_fails_the_note() {
    // Same name and key ID as the checkpoint's signer, but our own key: the signature must be
    // checked and fails, which rejects the whole note.
    let checkpoint = read_testdata("crypto/checkpoint_c2sp_example.txt");
    let impostor = Verifier {
        name: "example.com/behind-the-sofa".into(),
        key_id: 0x033de0ae,
        key: DeviceKey::from_seed(&[5; 32]).public_key(),
    };
    assert_eq!(
        open_note(&checkpoint, &[impostor]),
        Err(NoteError::InvalidSignature {
            name: "example.com/behind-the-sofa".into(),
            key_id: 0x033de0ae
        })
    );
}

fn test_signer(seed: u8, name: &str) -> Signer {
    Signer::new(name, DeviceKey::from_seed(&[seed; 32])).unwrap()
}

#[test]
fn bad_signature_from_a_known_key_rejects_even_if_another_verifies() {
    let a = test_signer(1, "a.example");
    let b = test_signer(2, "b.example");
    let (va, vb) = (a.verifier(), b.verifier());
    let good = sign_note("text\n", &[a, b]).unwrap();
    // Swap in a signature by b over a different text.
    let other = sign_note("other\n", &[test_signer(2, "b.example")]).unwrap();
    let b_line_good = good.lines().find(|l| l.contains("b.example")).unwrap();
    let b_line_other = other.lines().find(|l| l.contains("b.example")).unwrap();
    let forged = good.replace(b_line_good, b_line_other);
    assert!(open_note(good.as_bytes(), &[va.clone(), vb.clone()]).is_ok());
    assert!(matches!(
        open_note(forged.as_bytes(), &[va.clone(), vb]),
        Err(NoteError::InvalidSignature { .. })
    ));
    // Not knowing b, the bad b signature is ignored.
    assert!(open_note(forged.as_bytes(), &[va]).is_ok());
}

#[test]
fn signature_count_and_size_limits() {
    let s = test_signer(3, "s.example");
    let v = s.verifier();
    let note = sign_note("hello\n", &[s]).unwrap();
    let line = note.lines().last().unwrap().to_string();
    // 100 identical lines are fine (duplicates are ignored); 101 are too many.
    let mut many = String::from("hello\n\n");
    for _ in 0..100 {
        many.push_str(&line);
        many.push('\n');
    }
    assert!(open_note(many.as_bytes(), std::slice::from_ref(&v)).is_ok());
    many.push_str(&line);
    many.push('\n');
    assert_eq!(
        open_note(many.as_bytes(), std::slice::from_ref(&v)),
        Err(NoteError::TooManySignatures)
    );
    // Size limit.
    assert!(matches!(
        open_note_with_limit(note.as_bytes(), std::slice::from_ref(&v), 10),
        Err(NoteError::TooLarge { .. })
    ));
    let huge = vec![b'a'; MAX_NOTE_BYTES + 1];
    assert!(matches!(
        open_note(&huge, &[v]),
        Err(NoteError::TooLarge { .. })
    ));
}

#[test]
fn hostile_inputs_do_not_panic() {
    let s = test_signer(4, "h.example");
    let v = s.verifier();
    let note = sign_note("x\n", &[s]).unwrap();
    let bytes = note.as_bytes();
    // Every truncation and every single-byte change either opens to the same text or fails.
    for cut in 0..bytes.len() {
        let _ = open_note(&bytes[..cut], std::slice::from_ref(&v));
    }
    for i in 0..bytes.len() {
        for b in [0u8, b'\n', b' ', 0xff, b'+', b'A'] {
            let mut m = bytes.to_vec();
            m[i] = b;
            if let Ok(o) = open_note(&m, std::slice::from_ref(&v)) {
                assert_eq!(o.text, "x\n");
            }
        }
    }
    for junk in [
        &b""[..],
        b"\n",
        b"\n\n",
        b"\n\n\n",
        b"\xe2\x80\x94 \n",
        b"a\n\n\xe2\x80\x94 a b\n",
    ] {
        assert!(open_note(junk, std::slice::from_ref(&v)).is_err());
    }
    assert!(open_note(b"\xff\xfe", &[v]).is_err());
}

#[test]
fn verifier_with_invalid_public_key_is_refused() {
    // 0x01 || 32 bytes of zeros: a small-order point, not a usable key.
    let zero = PublicKey([0; 32]);
    let id = note::key_id("z", &zero);
    let vk = format!("z+{id:08x}+{}", {
        use base64::Engine;
        let mut raw = vec![1u8];
        raw.extend_from_slice(&[0; 32]);
        base64::engine::general_purpose::STANDARD.encode(raw)
    });
    assert!(Verifier::parse(&vk).is_err());
}
