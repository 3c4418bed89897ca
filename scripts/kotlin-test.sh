#!/usr/bin/env bash
# Kotlin tests of the generated bindings on the JVM (java 17), against the host-built
# libtallyseal_mobile and a real server started here (tallyseal-test-server: free port, temp data
# directory, demo election).
#
# Installs what is missing: kotlinc from npm (kotlin-compiler, cached under target/kotlin-tools)
# and JNA from Debian (libjna-java). Without CI=true a missing tool prints SKIPPED and exits 0;
# with CI=true it is a failure. Ends with a "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
KOTLIN_VERSION=${KOTLIN_VERSION:-2.4.20}
tools="$root/target/kotlin-tools"

missing() {
    if [ "${CI:-}" = "true" ]; then
        echo "kotlin-test: $1 is required under CI=true" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "SKIPPED (no $1): Kotlin binding tests"
    echo "0 passed, 0 failed"
    exit 0
}

# --- tools
command -v java >/dev/null || missing "java"
kotlinc=$(command -v kotlinc || true)
if [ -z "$kotlinc" ]; then
    kotlinc="$tools/node_modules/kotlin-compiler/bin/kotlinc"
    if [ ! -x "$kotlinc" ]; then
        command -v npm >/dev/null || missing "npm (to install kotlinc)"
        mkdir -p "$tools"
        npm install --silent --no-audit --no-fund --prefix "$tools" "kotlin-compiler@$KOTLIN_VERSION" >&2 \
            || missing "kotlinc (npm install kotlin-compiler failed)"
    fi
fi
jna=${JNA_JAR:-/usr/share/java/jna.jar}
if [ ! -f "$jna" ]; then
    if command -v apt-get >/dev/null; then
        { apt-get install -y libjna-java || { apt-get update && apt-get install -y libjna-java; }; } >&2 || true
    fi
    [ -f "$jna" ] || missing "JNA ($jna; apt-get install libjna-java)"
fi

# --- build
# The cdylib and the test server as the workspace test build makes them (the nextest run before
# this has built them, so nothing is compiled again; `cargo build -p …` would resolve other features
# and rebuild every dependency a second time). Cargo reports where it put them.
artifacts=$(cargo test -q --workspace --no-run --message-format=json)
artifact() { # $1 = target name, $2 = file name suffix
    printf '%s\n' "$artifacts" | python3 -c '
import json, sys
name, suffix = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == name and not m["profile"]["test"]:
        for f in m["filenames"]:
            if f.endswith(suffix):
                print(f)
                sys.exit(0)
sys.exit("no artifact " + name + " *" + suffix)' "$1" "$2"
}
server_bin=$(artifact tallyseal-test-server tallyseal-test-server)
mobile_lib=$(artifact tallyseal_mobile .so)
lib_dir=$(dirname "$mobile_lib")

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- server
"$server_bin" --codes 6 --info "$work/server.json" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 1 120); do
    [ -f "$work/server.json" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; echo "0 passed, 1 failed"; exit 1; }
    sleep 0.5
done
[ -f "$work/server.json" ] || { echo "the test server did not start" >&2; echo "0 passed, 1 failed"; exit 1; }

# --- compile and run
"$kotlinc" -nowarn -include-runtime -cp "$jna" -d "$work/tests.jar" \
    bindings/kotlin/org/tallyseal/mobile/tallyseal_mobile.kt \
    android/kotlin-tests/*.kt 2> >(grep -v "^warning:" >&2)
photo="testdata/images/phone_gps/apple_iphone4.jpg"
mkdir -p "$work/phones"
java -Djna.library.path="$lib_dir" -cp "$work/tests.jar:$jna" \
    org.tallyseal.tests.TallysealBindingsTestKt "$work/server.json" "$photo" "$work/phones"
