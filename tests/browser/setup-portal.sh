#!/usr/bin/env bash
# Set-up of the public portal's browser test (tests/browser/portal.mjs) on the running server of
# scripts/browser-test.sh: an election published through the admin API (poll closed an hour
# ago), an RO and two operators made with `tallyseal user add` (the test confirms figures through
# the console's API as they would), and three simulated Presiding Officer phones
# (tallyseal-field) each enrolled for one station, capturing and syncing its Form-45. Station 4
# never reports. Then runs the test.
#
#   BASE=… DATA=… TALLYSEAL=… SCREENSHOTS=… NODE_MODULES=… tests/browser/setup-portal.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "setup-portal.sh: $*" >&2; }

cargo build -q -p tallyseal-field
FIELD="$(dirname "$TALLYSEAL")/tallyseal-field"
ELECTION="pk-browser-portal"
CONSTITUENCY="NA-128"
admin_token=$(cat "$DATA/admin-token")

package=$(python3 - "$ELECTION" <<'PY'
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=5))).replace(microsecond=0)
close = now - datetime.timedelta(hours=1)
iso = lambda t: t.isoformat()
def station(n, name, kind, lat, reg):
    return {"number": n, "name": name, "station_type": kind,
            "location": {"point": {"lat": lat, "lon": 74.3587},
                         "geofence": {"kind": "radius", "radius_m": 250.0}},
            "registered": {"male": reg[0], "female": reg[1], "transgender": 0}, "booths": 3}
pkg = {
  "format": "tallyseal.election-package", "version": 1,
  "election": {"id": sys.argv[1], "name": "Portal browser test election", "poll_date": iso(close)[:10],
               "time_zone": "Asia/Karachi", "poll_open": iso(close - datetime.timedelta(hours=9)),
               "poll_close": iso(close), "results_deadline": iso(close + datetime.timedelta(hours=8))},
  "constituencies": [{
    "code": "NA-128", "name": "Lahore-XII", "assembly": "National Assembly",
    "returning_officer": "Browser Test RO",
    "candidates": [
      {"ballot_no": 1, "name": "Muhammad Aun Saqlain", "party": "PML(N)", "symbol": "TIGER"},
      {"ballot_no": 2, "name": "Salman Akram Raja", "party": "Independent", "symbol": "RACKET"},
      {"ballot_no": 3, "name": "Shahid Mehmood", "party": "Pakistan Peoples Party Parliamentarians", "symbol": "ARROW"}],
    "stations": [
      station(1, "Govt Girls High School, Custom Colony (Male)-I", "male", 31.5204, (1450, 0)),
      station(2, "Govt Girls High School, Custom Colony (Female)-I", "female", 31.5204, (0, 1320)),
      station(3, "Ali Garh College of Nursing (Combined)", "combined", 31.5264, (980, 870)),
      station(4, "Govt Boys Primary School (Combined)", "combined", 31.5324, (900, 800))]}],
  "published_at": iso(close - datetime.timedelta(days=1)),
}
print(json.dumps({"package": pkg}))
PY
)
status=$(curl -sS -o "$DATA/portal-import.json" -w '%{http_code}' -X POST "$BASE/api/v1/elections" \
    -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' --data "$package")
[ "$status" = 201 ] || { log "import answered $status: $(cat "$DATA/portal-import.json")"; exit 1; }

ro_password="portal-ro-$RANDOM$RANDOM"
op_a_password="portal-op-a-$RANDOM$RANDOM"
op_b_password="portal-op-b-$RANDOM$RANDOM"
echo "$ro_password" | "$TALLYSEAL" user add --data-dir "$DATA" ro-portal --role ro \
    --constituency "$ELECTION/$CONSTITUENCY" --password-stdin >/dev/null
echo "$op_a_password" | "$TALLYSEAL" user add --data-dir "$DATA" op-portal-a --role operator \
    --constituency "$ELECTION/$CONSTITUENCY" --password-stdin >/dev/null
echo "$op_b_password" | "$TALLYSEAL" user add --data-dir "$DATA" op-portal-b --role operator \
    --constituency "$ELECTION/$CONSTITUENCY" --password-stdin >/dev/null

for spec in "1 31.5204" "2 31.5204" "3 31.5264"; do
    read -r station lat <<<"$spec"
    phone="$DATA/portal-phone-$station"
    qr=$("$FIELD" code --server "$BASE" --admin-token "$admin_token" --election "$ELECTION" \
        --constituency "$CONSTITUENCY" --station "$station" | sed -n 's/^CODE .* qr=//p')
    [ -n "$qr" ] || { log "no enrolment code for station $station"; exit 1; }
    "$FIELD" --data "$phone" enrol --code "$qr" --server "$BASE" >/dev/null
    "$FIELD" --data "$phone" capture --lat "$lat" --lon 74.3587 --figures none --seed "$station" >/dev/null
    "$FIELD" --data "$phone" sync --wait 60 >"$phone.sync.log" || { log "sync of station $station"; cat "$phone.sync.log" >&2; exit 1; }
done

ELECTION="$ELECTION" CONSTITUENCY="$CONSTITUENCY" RO_LOGIN=ro-portal RO_PASSWORD="$ro_password" \
    OP_A_LOGIN=op-portal-a OP_A_PASSWORD="$op_a_password" OP_B_LOGIN=op-portal-b OP_B_PASSWORD="$op_b_password" \
    node tests/browser/portal.mjs
