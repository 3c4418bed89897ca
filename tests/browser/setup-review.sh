#!/usr/bin/env bash
# The board and review pages' browser test (tests/browser/review.mjs) with everything it needs:
# its own server (the demonstration election's package signed with a throwaway Commission key the
# server trusts), a Returning Officer for NA-128 made with `tallyseal user`, and two simulated
# phones (tallyseal-field) enrolled for stations 1 and 2 through the real server. Station 1's
# phone sends a capture taken outside the station's geofence (a failed check); station 2's phone
# is left to the test, which makes it capture while the board is open and answer the RO's
# request for a new capture.
#
#   SCREENSHOTS=… NODE_MODULES=… tests/browser/setup-review.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "setup-review.sh: $*" >&2; }

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build -q -p tallyseal-cli -p tallyseal-field
tallyseal="$target_dir/debug/tallyseal"
field="$target_dir/debug/tallyseal-field"
work=$(mktemp -d /tmp/tallyseal-review.XXXXXX)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The demonstration package, signed again with a key made here (published demo seeds are never
# trusted by a server; this key lives only as long as the test).
"$tallyseal" keygen --out "$work/commission.key" >/dev/null
python3 - "$work/draft.json" <<'PY'
import sys
note = open("docs/vectors/capture-v1/package.note").read()
open(sys.argv[1], "w").write(note[: note.rfind("\n\n") + 1])
PY
vkey=$("$tallyseal" package sign "$work/draft.json" --key "$work/commission.key" \
    --name review.tallyseal.invalid/elections --out "$work/package.note" | awk '/verifier key/ {print $3}')
[ -n "$vkey" ] || { log "no verifier key from package sign"; exit 1; }

data="$work/data"
mkdir -p "$data"
ro_password="review-ro-password-$RANDOM$RANDOM"
echo "$ro_password" | "$tallyseal" user add --data-dir "$data" ro-na128 \
    --role ro --constituency pk-ge-2024-demo/NA-128 --password-stdin >/dev/null
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

# Publish the election (the admin API, as the Commission does).
python3 - "$work/package.note" "$work/import.json" <<'PY'
import json, sys
json.dump({"signed_note": open(sys.argv[1]).read()}, open(sys.argv[2], "w"))
PY
curl -fsS -X POST "$base/api/v1/elections" -H "Authorization: Bearer $admin_token" \
    -H "Content-Type: application/json" --data-binary "@$work/import.json" >/dev/null

# Two phones, enrolled with codes the Commission issues.
enrol() {
    local dir=$1 station=$2 qr
    qr=$("$field" code --server "$base" --admin-token "$admin_token" --station "$station" | sed -n 's/^CODE .* qr=//p')
    "$field" --data "$dir" enrol --code "$qr" --trust "$vkey" --officer "PO station $station" >/dev/null
}
enrol "$work/phone-1" 1
enrol "$work/phone-2" 2

# Station 1: a capture about 9 km north of the station (outside its 250 m geofence).
flagged=$("$field" --data "$work/phone-1" capture --lat 31.6004 --lon 74.3587 --photo-kb 60 --seed 1 \
    | sed -n 's/^SEALED .*manifest=\([0-9a-f]*\).*/\1/p' | head -1)
"$field" --data "$work/phone-1" sync --wait 30 >/dev/null
[ -n "$flagged" ] || { log "no capture sealed at station 1"; exit 1; }

BASE="$base" RO_LOGIN=ro-na128 RO_PASSWORD="$ro_password" FIELD="$field" \
    PHONE_2="$work/phone-2" FLAGGED="$flagged" ELECTION=pk-ge-2024-demo CONSTITUENCY=NA-128 \
    node tests/browser/review.mjs || { log "server log:"; tail -50 "$work/server.log" >&2; exit 1; }
