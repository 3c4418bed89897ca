#!/usr/bin/env bash
# The portal's read benchmark (docs/benchmarks.md, "Portal reads"): wrk against the server's public
# reads of one realistic constituency, side by side with nginx serving the same bytes as static
# files, first on an otherwise idle server, then with the intake benchmark running on the same
# machine. Not part of scripts/test.sh.
#
#   scripts/bench-portal.sh                      # the results JSON and the ledger CSV
#   scripts/bench-portal.sh /api/v1/elections/{election}/constituencies/{code}/results \
#       /portal/elections/{election}/constituencies/{code}
#
# Paths are the server's; `{election}` and `{code}` are replaced by the benchmark's election and
# constituency. The constituency is NA-128 with its real 2024 polling scheme (the station rows of
# importer/testdata's Form-45 CSV, the candidates of the 2024 lists); every station gets one
# phone of the field simulator (`tallyseal-field load`), which enrols it, seals one Form-45 photo
# and uploads it through the real intake, so the ledger lists every station with a verified
# capture. Then the RO accepts each capture and two operators enter its figures through the
# console's JSON API (scripts/bench-portal-figures.py: the station's 2024 votes), which confirms
# them, so the results count every station.
#
# Settings: BENCH_DURATION (15s), BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_PHOTO_KB (60),
# BENCH_BATCH (phones at once, 40), BENCH_FIGURES (1: confirm figures; 0: captures only),
# BENCH_INTAKE (1: also the phase with the intake benchmark running; 0: idle only),
# BENCH_INTAKE_WARMUP (seconds between starting the intake benchmark and measuring, 40),
# BENCH_INTAKE_CAPTURES (8000 captures of 250 kB: more than it can send during the phase),
# BENCH_DATABASE_URL / BENCH_DATABASE_READ_URL (PostgreSQL primary and read replica; default the
# embedded SQLite), BENCH_WORK_DIR (kept when given).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
PHOTO_KB=${BENCH_PHOTO_KB:-60}
BATCH=${BENCH_BATCH:-40}
INTAKE=${BENCH_INTAKE:-1}
FIGURES=${BENCH_FIGURES:-1}
WARMUP=${BENCH_INTAKE_WARMUP:-40}
ELECTION=bench-ge-2024
CODE=NA-128
DATA=importer/testdata/elections/pakistan

log() { echo "bench-portal: $*" >&2; }

if [ -n "${BENCH_WORK_DIR:-}" ]; then
    WORK=$BENCH_WORK_DIR
    mkdir -p "$WORK"
    KEEP=1
else
    WORK=$(mktemp -d /tmp/tallyseal-bench-portal.XXXXXX)
    KEEP=0
fi
chmod 755 "$WORK"

SERVER_PID=""
NGINX_PID=""
INTAKE_PID=""
cleanup() {
    [ -n "$INTAKE_PID" ] && kill -- "-$INTAKE_PID" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk nginx curl python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            log "installing wrk and nginx (Debian)"
            apt-get install -y wrk nginx >&2
        else
            log "$tool is missing (Debian: apt-get install wrk nginx)"
            exit 1
        fi
    fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

log "building (release)"
cargo build --release -p tallyseal-cli -p tallyseal-field >&2
TALLYSEAL=$TARGET/release/tallyseal
FIELD=$TARGET/release/tallyseal-field
if [ "$INTAKE" = 1 ]; then
    cargo bench -p tallyseal-server --bench intake --no-run >&2
fi

# The election package: NA-128's candidates and polling scheme. The open data has no station
# coordinates; every station gets the demo's station position and a 250 m fence, so the
# simulator's phones (which capture at that position) pass the geofence check.
mkdir -p "$WORK/stations"
cp "$DATA/form45_2024_zlenner/$CODE.csv" "$WORK/stations/"
python3 - "$WORK/stations/$CODE.csv" "$WORK/coordinates.csv" "$CODE" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
with open(sys.argv[2], "w") as out:
    out.write("constituency,station,lat,lon,radius_m\n")
    for r in rows:
        out.write(f"{sys.argv[3]},{int(r['No'])},31.5204,74.3587,250\n")
EOF
"$TALLYSEAL" package import --candidates "$DATA"/candidates_2024_zlenner/NA/*.json \
    --stations-dir "$WORK/stations" --coordinates "$WORK/coordinates.csv" --only-complete \
    --election-id "$ELECTION" --election-name "Portal benchmark (NA-128, 2024 scheme)" \
    --out "$WORK/draft.json" >"$WORK/import.txt" 2>&1
rm -f "$WORK/commission.key"
"$TALLYSEAL" keygen --out "$WORK/commission.key" >/dev/null
"$TALLYSEAL" package sign "$WORK/draft.json" --key "$WORK/commission.key" \
    --name bench.tallyseal.invalid/elections --out "$WORK/package.note" >"$WORK/sign.txt"
VKEY=$(awk '/verifier key/ {print $3}' "$WORK/sign.txt")

# The server under test (release build, access log off).
PORT=$(free_port)
TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
BASE=http://127.0.0.1:$PORT
(
    export TALLYSEAL_DATA_DIR="$WORK/data" TALLYSEAL_BIND="127.0.0.1:$PORT"
    export TALLYSEAL_ADMIN_TOKEN="$TOKEN" TALLYSEAL_TRUSTED_PACKAGE_KEYS="$VKEY"
    export TALLYSEAL_CONNECTIONS_PER_CLIENT=0 RUST_LOG=warn
    [ -n "${BENCH_DATABASE_URL:-}" ] && export TALLYSEAL_DATABASE_URL="$BENCH_DATABASE_URL"
    [ -n "${BENCH_DATABASE_READ_URL:-}" ] && export TALLYSEAL_DATABASE_READ_URL="$BENCH_DATABASE_READ_URL"
    exec "$TALLYSEAL" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do
    curl -sf "$BASE/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "$BASE/api/v1/health" >/dev/null || { log "the server did not start"; cat "$WORK/server.log" >&2; exit 1; }
python3 -c 'import json,sys; print(json.dumps({"signed_note": open(sys.argv[1]).read()}))' \
    "$WORK/package.note" >"$WORK/import.json"
curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$WORK/import.json" "$BASE/api/v1/elections" >/dev/null

# Every station of the scheme sends its Form-45, BATCH phones at a time.
STATIONS=$(curl -sf "$BASE/api/v1/elections/$ELECTION/ledger?constituency=$CODE" |
    python3 -c 'import json,sys; print(" ".join(str(s["station"]) for s in json.load(sys.stdin)["stations"]))')
COUNT=$(echo "$STATIONS" | wc -w)
log "$CODE: $COUNT stations; one phone each sends its Form-45 ($PHOTO_KB KB photos)"
started=$(date +%s)
batch=0
echo "$STATIONS" | tr ' ' '\n' | xargs -n "$BATCH" echo | while read -r list; do
    batch=$((batch + 1))
    n=$(echo "$list" | wc -w)
    "$FIELD" load --server "$BASE" --admin-token "$TOKEN" --election "$ELECTION" \
        --constituency "$CODE" --stations "$(echo "$list" | tr ' ' ',')" --phones "$n" \
        --captures 1 --photo-kb "$PHOTO_KB" --data "$WORK/phones/$batch" |
        grep '^LOAD total' >&2 || log "batch $batch: not every capture was verified"
done
log "captures sent in $(($(date +%s) - started)) s"

if [ "$FIGURES" = 1 ]; then
    started=$(date +%s)
    declare -A PASSWORD
    for who in bench-ro:ro bench-op1:operator bench-op2:operator; do
        login=${who%%:*}
        PASSWORD[$login]=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
        echo "${PASSWORD[$login]}" | (
            [ -n "${BENCH_DATABASE_URL:-}" ] && export TALLYSEAL_DATABASE_URL="$BENCH_DATABASE_URL"
            "$TALLYSEAL" user add "$login" --role "${who#*:}" --constituency "$ELECTION/$CODE" \
                --password-stdin --data-dir "$WORK/data" >/dev/null
        )
    done
    python3 scripts/bench-portal-figures.py "$BASE" "$ELECTION" "$CODE" "$WORK/draft.json" \
        "$WORK/stations/$CODE.csv" "${PASSWORD[bench-ro]}" "${PASSWORD[bench-op1]}" \
        "${PASSWORD[bench-op2]}"
    log "figures confirmed in $(($(date +%s) - started)) s"
fi

# The paths, their bytes as the server answers them now, nginx serving those bytes as static
# files, and nginx as a caching reverse proxy in front of the server (`proxy_cache`, which keeps
# an answer for its `Cache-Control: max-age`, then revalidates it in the background): the
# deployment docs/public-api.md describes.
if [ "$#" = 0 ]; then
    set -- "/api/v1/elections/{election}/constituencies/{code}/results" \
        "/api/v1/elections/{election}/ledger.csv?constituency={code}"
fi
mkdir -p "$WORK/static" "$WORK/nginx"
chmod 755 "$WORK/static" "$WORK/nginx"
PATHS=()
i=0
for p in "$@"; do
    p=${p//\{election\}/$ELECTION}
    p=${p//\{code\}/$CODE}
    PATHS+=("$p")
    curl -sf "$BASE$p" -o "$WORK/static/$i" || { log "GET $p failed"; exit 1; }
    chmod 644 "$WORK/static/$i"
    i=$((i + 1))
done
NGINX_PORT=$(free_port)
CACHE_PORT=$(free_port)
mkdir -p "$WORK/nginx/cache"
cat >"$WORK/nginx/nginx.conf" <<EOF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/static;
        location / { default_type application/octet-stream; }
    }
    upstream tallyseal { server 127.0.0.1:$PORT; keepalive 32; }
    proxy_cache_path $WORK/nginx/cache levels=1:2 keys_zone=portal:10m max_size=1g inactive=60s use_temp_path=off;
    server {
        listen 127.0.0.1:$CACHE_PORT;
        location / {
            proxy_pass http://tallyseal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache portal;
            proxy_cache_lock on;
            proxy_cache_background_update on;
            proxy_cache_use_stale error timeout updating http_503;
        }
    }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx/stderr" &
NGINX_PID=$!
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$NGINX_PORT/0" >/dev/null 2>&1 && break
    sleep 0.1
done

# One wrk run: "requests/s p99" (p99 in ms); a non-2xx answer or a socket error (a request
# unanswered after 30 s included) fails the benchmark.
measure() {
    local out rps p99 bad
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 30s --latency "$1")
    if echo "$out" | grep -q 'Socket errors'; then
        log "$1: $(echo "$out" | grep 'Socket errors')"
        echo "$out" >&2
        exit 1
    fi
    bad=$(echo "$out" | awk '/Non-2xx or 3xx responses/ {print $NF}')
    if [ -n "$bad" ]; then
        log "$1: $bad answers were not 2xx"
        echo "$out" >&2
        exit 1
    fi
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    echo "$rps $(python3 -c 'import sys
v = sys.argv[1]
for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
    if v.endswith(unit) and v[:-len(unit)].replace(".", "").isdigit():
        print(f"{float(v[:-len(unit)]) * f:.2f}"); break
' "$p99")"
}

phase() {
    local label=$1 i=0
    for p in "${PATHS[@]}"; do
        read -r srps sp99 < <(measure "$BASE$p")
        read -r nrps np99 < <(measure "http://127.0.0.1:$NGINX_PORT/$i")
        read -r crps cp99 < <(measure "http://127.0.0.1:$CACHE_PORT$p")
        local bytes ratio
        bytes=$(stat -c %s "$WORK/static/$i")
        ratio=$(python3 -c "print(f'{$srps / $nrps:.4f} ({$crps / $nrps:.2f})')")
        echo "| $label | \`$p\` | $bytes | $srps | $sp99 ms | $nrps | $np99 ms | $crps | $cp99 ms | $ratio |"
        i=$((i + 1))
    done
}

COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- server cli || echo "+changes")
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "commit $COMMIT, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($CPU), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    echo "database: PostgreSQL${BENCH_DATABASE_READ_URL:+, public reads on a streaming read replica}"
else
    echo "database: SQLite (embedded)"
fi
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION; $COUNT stations, each with one Form-45 capture$([ "$FIGURES" = 1 ] && echo ", accepted, figures confirmed")"
echo
echo "| phase | path | bytes | server req/s | server p99 | nginx static req/s | nginx static p99 | nginx cache → server req/s | nginx cache p99 | server / static (cache / static) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
phase idle
if [ "$INTAKE" = 1 ]; then
    log "starting the intake benchmark; measuring after ${WARMUP} s"
    setsid env BENCH_CAPTURES="${BENCH_INTAKE_CAPTURES:-8000}" BENCH_IMAGE_BYTES=250000 \
        cargo bench -p tallyseal-server --bench intake >"$WORK/intake.log" 2>&1 &
    INTAKE_PID=$!
    sleep "$WARMUP"
    kill -0 "$INTAKE_PID" 2>/dev/null || { log "the intake benchmark ended early"; tail "$WORK/intake.log" >&2; exit 1; }
    phase "intake running"
    # The intake benchmark prints its figures when its first case ends: none yet means its
    # clients were still sending (or the analysis after them still running) throughout.
    if grep -q 'captures/s' "$WORK/intake.log"; then
        log "the intake benchmark's first case ended during the phase; raise BENCH_INTAKE_CAPTURES"
    fi
    kill -- "-$INTAKE_PID" 2>/dev/null || true
    wait "$INTAKE_PID" 2>/dev/null || true
    INTAKE_PID=""
fi
