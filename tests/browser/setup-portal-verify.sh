#!/usr/bin/env bash
# The in-browser verification's browser test (tests/browser/portal-verify.mjs) with what it
# needs: its own server (the demonstration election's package signed with a throwaway Commission
# key the server trusts) and one simulated phone (tallyseal-field) enrolled for station 1 through
# the real server, which captures a Form-45 at the station and sends it. The test waits for the
# capture's bundle to carry its log proof.
#
#   SCREENSHOTS=… NODE_MODULES=… tests/browser/setup-portal-verify.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "setup-portal-verify.sh: $*" >&2; }

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build -q -p tallyseal-cli -p tallyseal-field
tallyseal="$target_dir/debug/tallyseal"
field="$target_dir/debug/tallyseal-field"
work=$(mktemp -d /tmp/tallyseal-portal-verify.XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$tallyseal" keygen --out "$work/commission.key" >/dev/null
python3 - "$work/draft.json" <<'PY'
import sys
note = open("docs/vectors/capture-v1/package.note").read()
open(sys.argv[1], "w").write(note[: note.rfind("\n\n") + 1])
PY
vkey=$("$tallyseal" package sign "$work/draft.json" --key "$work/commission.key" \
    --name verify.tallyseal.invalid/elections --out "$work/package.note" | awk '/verifier key/ {print $3}')
[ -n "$vkey" ] || { log "no verifier key from package sign"; exit 1; }

data="$work/data"
mkdir -p "$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
TALLYSEAL_TRUSTED_PACKAGE_KEYS="$vkey" RUST_LOG=warn "$tallyseal" serve --data-dir "$data" \
    --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$base/api/v1/health" >/dev/null || { log "the server did not start"; cat "$work/server.log" >&2; exit 1; }
admin_token=$(cat "$data/admin-token")

python3 - "$work/package.note" "$work/import.json" <<'PY'
import json, sys
json.dump({"signed_note": open(sys.argv[1]).read()}, open(sys.argv[2], "w"))
PY
curl -fsS -X POST "$base/api/v1/elections" -H "Authorization: Bearer $admin_token" \
    -H "Content-Type: application/json" --data-binary "@$work/import.json" >/dev/null

qr=$("$field" code --server "$base" --admin-token "$admin_token" --station 1 | sed -n 's/^CODE .* qr=//p')
"$field" --data "$work/phone" enrol --code "$qr" --trust "$vkey" --officer "PO station 1" >/dev/null
hash=$("$field" --data "$work/phone" capture --photo-kb 120 --seed 7 \
    | sed -n 's/^SEALED .*manifest=\([0-9a-f]*\).*/\1/p' | head -1)
"$field" --data "$work/phone" sync --wait 30 >/dev/null
[ -n "$hash" ] || { log "no capture sealed"; exit 1; }

read -r election constituency < <(python3 - "$work/draft.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
print(p["election"]["id"], p["constituencies"][0]["code"])
PY
)
BASE="$base" HASH="$hash" TALLYSEAL="$tallyseal" WORK="$work" ELECTION="$election" CONSTITUENCY="$constituency" \
    node tests/browser/portal-verify.mjs || { log "server log:"; tail -50 "$work/server.log" >&2; exit 1; }
