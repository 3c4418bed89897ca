#!/usr/bin/env bash
# The public API fuzzed from its own OpenAPI document (server/openapi/public-api.json) by
# schemathesis (PyPI): `tallyseal serve` on the live demo's data (an election, captures with
# receipts and log proofs), then `schemathesis run` with the checks "no 5xx" and "every response
# matches the document" (status codes, content types, headers and bodies). Any finding fails.
#
#   scripts/schemathesis.sh            # uses $CARGO_TARGET_DIR (default target/)
#
# schemathesis is installed with pip into a cached virtual environment under
# ~/.cache/tallyseal/schemathesis; where venv is missing, into a folder there with pip --target
# (PEP 668's --break-system-packages only when pip refuses). Under CI=true a schemathesis that
# cannot be installed is a failure; otherwise the script says why it skips.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=">=4.32,<5"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/tallyseal/schemathesis"
log() { echo "schemathesis.sh: $*" >&2; }
missing() {
  if [ "${CI:-}" = "true" ]; then
    log "FAILED: $* (required under CI=true)"
    exit 1
  fi
  log "SKIPPED: $*"
  exit 0
}

# schemathesis, cached.
st=()
if [ -x "$CACHE/venv/bin/st" ]; then
  st=("$CACHE/venv/bin/st")
elif python3 -m venv "$CACHE/venv" >/dev/null 2>&1 \
  && "$CACHE/venv/bin/pip" install --quiet "schemathesis$SCHEMATHESIS_VERSION"; then
  st=("$CACHE/venv/bin/st")
else
  rm -rf "$CACHE/venv"
  mkdir -p "$CACHE/site"
  if python3 -m pip install --quiet --target "$CACHE/site" "schemathesis$SCHEMATHESIS_VERSION" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages --target "$CACHE/site" \
      "schemathesis$SCHEMATHESIS_VERSION"; then
    st=(env "PYTHONPATH=$CACHE/site" python3 -m schemathesis.cli)
  fi
fi
[ "${#st[@]}" -gt 0 ] || missing "schemathesis could not be installed from PyPI"
"${st[@]}" --version >&2

# The server, on the live demo's data.
cargo build --quiet -p tallyseal-cli
bin=$(realpath "${CARGO_TARGET_DIR:-target}/debug/tallyseal")
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
log "demo night data in $work/demo"
(cd "$work" && "$bin" demo --dir demo --speed max --constituencies 1 --size 16 \
  --bind 127.0.0.1:0 --exit-when-done >demo.log 2>&1) \
  || { cat "$work/demo.log" >&2; exit 1; }
vkey=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commission_keys"][0])' \
  "$work/demo/context.json")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
TALLYSEAL_TRUSTED_PACKAGE_KEYS="$vkey" "$bin" serve --data-dir "$work/demo/server" \
  --bind "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done

log "schemathesis run against $base/api/v1/openapi.json"
"${st[@]}" run "$base/api/v1/openapi.json" \
  --url "$base" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
  --max-time 100 \
  --seed 20240208 \
  --request-timeout 10 \
  --workers 2 \
  --no-color
