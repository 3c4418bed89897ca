#!/usr/bin/env bash
# The one test command (README): formatting, lints, then every test of the workspace.
# It installs or starts whatever the tests need; under CI=true a missing component is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
need() { command -v "$1" >/dev/null 2>&1; }

# Disk: a CI run once failed with "No space left on device"; say what there is up front.
df -h . | sed 's/^/disk: /'
# A fresh clone gains nothing from incremental compilation; it only costs disk.
[ "${CI:-}" = "true" ] && export CARGO_INCREMENTAL=0

if ! need cargo-nextest && ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

say "generated Kotlin/Swift bindings are up to date"
scripts/check-bindings.sh

say "phone crates build for Android (pure Rust, aarch64-linux-android)"
scripts/android-check.sh

say "independent check of the documented test vector (Python, pyca/cryptography)"
python3 -c "import cryptography" 2>/dev/null || pip install --quiet cryptography
python3 docs/vectors/verify_vector.py

say "starting throwaway PostgreSQL and Garage (scripts/services.sh)"
export TALLYSEAL_SERVICES_DIR="${TALLYSEAL_SERVICES_DIR:-$(mktemp -d /tmp/tallyseal-services.XXXXXX)}"
trap 'scripts/services.sh stop >/dev/null 2>&1 || true' EXIT
# An assignment, not `eval "$(…)"`, so that a failed start stops the run here (set -e).
services_env=$(scripts/services.sh start)
eval "$services_env"

say "cargo nextest run"
profile=default
[ "${CI:-}" = "true" ] && profile=ci
cargo nextest run --workspace --profile "$profile"

say "Kotlin binding tests on the JVM (kotlinc from npm, JNA from Debian)"
scripts/kotlin-test.sh

say "done"
du -sh target 2>/dev/null | sed 's/^/disk used by target\/: /'
