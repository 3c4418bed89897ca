//! `Receipt::from_bytes` on arbitrary bytes, then its signature check against the demo server
//! key: errors are fine; a panic is not, and a receipt passes the check only when it names that
//! key. (That a parsed receipt is exactly its own canonical bytes, `from_bytes` checks itself.)
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tallyseal_core::demo;
use tallyseal_core::keys::PublicKey;
use tallyseal_core::receipt::Receipt;

static SERVER: OnceLock<PublicKey> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let server = SERVER.get_or_init(|| demo::server_key().public_key());
    if let Ok(receipt) = Receipt::from_bytes(data)
        && receipt.verify(std::slice::from_ref(server)).is_ok()
    {
        assert_eq!(&receipt.body.server_key, server);
    }
});
