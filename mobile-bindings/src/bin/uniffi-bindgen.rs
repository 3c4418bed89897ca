//! The workspace's uniffi binding generator (same uniffi version as the library, so the generated
//! code always matches the scaffolding). See `scripts/check-bindings.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
