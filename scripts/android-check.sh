#!/usr/bin/env bash
# The phone build must be pure Rust (no NDK here): type-check the phone-facing crates for Android.
# `cargo check` does not link, so no C toolchain is needed; a dependency that needs one (a -sys
# crate with a build script calling cc) would fail here.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add aarch64-linux-android >/dev/null
cargo check --target aarch64-linux-android -p tallyseal-core --features client
cargo check --target aarch64-linux-android -p tallyseal-mobile
echo "android check: tallyseal-core (client) and tallyseal-mobile build for aarch64-linux-android"
