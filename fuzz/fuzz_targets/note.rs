//! `open_note` on arbitrary bytes with the demo Commission key listed, and `Verifier::parse` on
//! them as text: errors are fine; a panic is not, and what opens must be what `open_note`
//! promises (the text is the note's start and ends in a newline; the listed key verified it).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tallyseal_core::demo;
use tallyseal_core::note::{Verifier, open_note};

static COMMISSION: OnceLock<Verifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let v = COMMISSION.get_or_init(|| demo::commission_verifier().expect("demo key"));
    if let Ok(opened) = open_note(data, std::slice::from_ref(v)) {
        assert!(opened.text.ends_with('\n'));
        assert!(data.starts_with(opened.text.as_bytes()));
        assert_eq!(opened.verified_by, vec![v.name.clone()]);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = Verifier::parse(text)
    {
        assert_eq!(Verifier::parse(&key.to_vkey()).as_ref(), Ok(&key));
    }
});
