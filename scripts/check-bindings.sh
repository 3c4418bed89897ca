#!/usr/bin/env bash
# Regenerate the Kotlin and Swift bindings of tallyseal-mobile into a temporary directory and fail
# if they differ from the committed ones under bindings/. With --write, update bindings/ instead.
#
#   scripts/check-bindings.sh           # CI: fails when bindings/ is stale
#   scripts/check-bindings.sh --write   # after changing mobile-bindings/: regenerate
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p tallyseal-mobile --features bindgen
lib=target/debug/libtallyseal_mobile.so
[ -f "$lib" ] || lib=target/debug/libtallyseal_mobile.dylib
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# --no-format: the output must not depend on whether ktlint/swift-format happen to be installed.
target/debug/uniffi-bindgen generate --no-format --library "$lib" --language kotlin --out-dir "$out/kotlin" >/dev/null
target/debug/uniffi-bindgen generate --no-format --library "$lib" --language swift --out-dir "$out/swift" >/dev/null

if [ "${1:-}" = "--write" ]; then
    rm -rf bindings/kotlin bindings/swift
    mkdir -p bindings
    cp -r "$out/kotlin" "$out/swift" bindings/
    echo "bindings/ regenerated"
    exit 0
fi
if ! diff -r "$out/kotlin" bindings/kotlin >/dev/null || ! diff -r "$out/swift" bindings/swift >/dev/null; then
    diff -r "$out/kotlin" bindings/kotlin | head -40 || true
    diff -r "$out/swift" bindings/swift | head -40 || true
    echo "bindings/ is stale: run scripts/check-bindings.sh --write" >&2
    exit 1
fi
echo "bindings/ is up to date"
