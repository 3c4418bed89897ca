#!/usr/bin/env bash
# The one test command (README): formatting, lints, then every test of the workspace.
# It installs or starts whatever the tests need; under CI=true a missing component is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
# Install a Python module from PyPI when it is missing. A system Python that refuses pip
# (PEP 668, "externally managed": Debian's own python3) gets it with --break-system-packages,
# which only adds a module the system does not ship.
py_module() {
  local module=$1 package=$2
  python3 -c "import $module" 2>/dev/null && return 0
  python3 -m pip install --quiet "$package" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "$package"
}
need() { command -v "$1" >/dev/null 2>&1; }

# Disk: a CI run once failed with "No space left on device"; say what there is up front.
df -h . | sed 's/^/disk: /'
# A fresh clone gains nothing from incremental compilation; it only costs disk.
[ "${CI:-}" = "true" ] && export CARGO_INCREMENTAL=0

if ! need cargo-nextest && ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

# The in-browser verifier (server/build.rs) needs the WebAssembly target; without it the server is
# built without the verifier and its test fails.
rustup target add wasm32-unknown-unknown

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

say "generated Kotlin/Swift bindings are up to date"
scripts/check-bindings.sh

say "phone crates build for Android (pure Rust, aarch64-linux-android)"
scripts/android-check.sh

say "independent check of the documented test vector (Python, pyca/cryptography)"
py_module cryptography cryptography
python3 docs/vectors/verify_vector.py

# The /metrics test reads the server's metrics with the reference parser of the Prometheus text
# format; under CI=true that test fails when the module is missing.
py_module prometheus_client prometheus-client

say "PostgreSQL server programs (initdb, pg_ctl)"
# Debian installs them in /usr/lib/postgresql/<version>/bin, which services.sh puts on PATH.
have_postgres() {
  need initdb && need pg_ctl && return 0
  [ -n "$(find /usr/lib/postgresql -path '*/bin/initdb' -print -quit 2>/dev/null || true)" ] \
    && [ -n "$(find /usr/lib/postgresql -path '*/bin/pg_ctl' -print -quit 2>/dev/null || true)" ]
}
if ! have_postgres; then
  if need apt-get; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # PostgreSQL 15 where Debian has it (bookworm); otherwise the release's own version.
    pg_package=postgresql-15
    policy=$(apt-cache policy postgresql-15 2>/dev/null || true)
    grep -q 'Candidate: [0-9]' <<<"$policy" || pg_package=postgresql
    say "installing $pg_package (Debian)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pg_package"
  fi
  have_postgres || { echo "PostgreSQL's initdb and pg_ctl are required (apt-get install postgresql-15)" >&2; exit 1; }
fi

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

scripts/schemathesis.sh  # the public API fuzzed from its OpenAPI document (PyPI schemathesis)
say "web pages in a real browser (Debian chromium, npm playwright-core and axe-core)"
scripts/browser-test.sh

say "done"
du -sh target 2>/dev/null | sed 's/^/disk used by target\/: /'
