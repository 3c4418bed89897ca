#!/usr/bin/env bash
# Throwaway PostgreSQL 15 (a primary and a streaming read replica of it) and single-node Garage
# for the server's integration tests and benchmark.
#
#   scripts/services.sh start   # start them (and install garage / tuspy when missing), print env
#   scripts/services.sh env     # print the `export …` lines again
#   scripts/services.sh stop    # stop them and delete their data
#
# Typical use:  eval "$(scripts/services.sh start)" && cargo test -p tallyseal-server
#
# Everything lives in $TALLYSEAL_SERVICES_DIR (default /tmp/tallyseal-services) and listens on
# free loopback ports. PostgreSQL uses trust auth on 127.0.0.1 only; the tests create one database
# per test from TALLYSEAL_TEST_PG_URL. The replica (TALLYSEAL_TEST_PG_REPLICA_URL) is a hot
# standby made with pg_basebackup -R from the primary, connecting as the role `replicator` (one
# `replication` line in pg_hba.conf); it streams every database the tests create. Garage runs with replication_factor = 1, one bucket and one
# key allowed on it; the tests use a unique key prefix per test.
# Progress goes to stderr; only the `export` lines go to stdout.
set -euo pipefail

DIR="${TALLYSEAL_SERVICES_DIR:-/tmp/tallyseal-services}"
GARAGE_VERSION="2.5.0"
BUCKET="tallyseal-test"

log() { echo "services.sh: $*" >&2; }

# Debian keeps PostgreSQL's server programs (initdb, pg_ctl) out of PATH, in
# /usr/lib/postgresql/<version>/bin: put that folder first (version 15 when there, else the newest).
pg_bin_dir() {
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then echo /usr/lib/postgresql/15/bin; return; fi
    find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -1 | xargs -r dirname
}
PG_BIN=$(pg_bin_dir || true)
[ -n "$PG_BIN" ] && PATH="$PG_BIN:$PATH"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

find_garage() {
    if command -v garage >/dev/null 2>&1; then command -v garage; return; fi
    if [ -x "$HOME/.cargo/bin/garage" ]; then echo "$HOME/.cargo/bin/garage"; return; fi
    log "garage not found: cargo install garage --locked --version $GARAGE_VERSION (takes a while)"
    cargo install garage --locked --version "$GARAGE_VERSION" >&2
    echo "$HOME/.cargo/bin/garage"
}

# PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_postgres() {
    local port pgdir
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 || {
        log "PostgreSQL's initdb/pg_ctl not found (apt-get install postgresql-15; scripts/test.sh does)"
        exit 1
    }
    port=$(free_port)
    pgdir="$DIR/pg"
    mkdir -p "$pgdir"
    if [ "$(id -u)" = 0 ]; then chown -R postgres "$pgdir"; fi
    as_pg initdb -D "$pgdir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$DIR/pg-initdb.log" 2>&1
    as_pg pg_ctl -D "$pgdir/data" -l "$pgdir/server.log" -w \
        -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=400" \
        start >&2
    echo "$port" >"$DIR/pg.port"
    log "PostgreSQL on 127.0.0.1:$port"
}

# A streaming replica of the primary: a replication role and its pg_hba.conf line on the primary,
# a base backup with -R (standby.signal and primary_conninfo written for us), a second port.
start_pg_replica() {
    local primary port pgdir
    primary=$(cat "$DIR/pg.port")
    pgdir="$DIR/pg"
    as_pg psql -h 127.0.0.1 -p "$primary" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE replicator WITH REPLICATION LOGIN" >&2
    # First match wins in pg_hba.conf: the replication line goes first.
    local hba="$pgdir/data/pg_hba.conf"
    as_pg sh -c "{ echo 'host replication replicator 127.0.0.1/32 trust'; cat '$hba'; } >'$hba.new' && mv '$hba.new' '$hba'"
    as_pg pg_ctl -D "$pgdir/data" reload >&2
    as_pg pg_basebackup -h 127.0.0.1 -p "$primary" -U replicator -D "$pgdir/replica" \
        -R -X stream --checkpoint=fast --no-sync >&2
    port=$(free_port)
    as_pg pg_ctl -D "$pgdir/replica" -l "$pgdir/replica.log" -w \
        -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=400 -c hot_standby=on" \
        start >&2
    local streaming=""
    for _ in $(seq 1 100); do
        streaming=$(as_pg psql -h 127.0.0.1 -p "$primary" -U postgres -d postgres -tAq \
            -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        [ "$streaming" = 1 ] && break
        sleep 0.1
    done
    [ "$streaming" = 1 ] || { log "the replica does not stream; see $pgdir/replica.log"; exit 1; }
    echo "$port" >"$DIR/pg-replica.port"
    log "PostgreSQL streaming replica on 127.0.0.1:$port"
}

start_garage() {
    local garage rpc s3 admin
    garage=$(find_garage)
    rpc=$(free_port); s3=$(free_port); admin=$(free_port)
    mkdir -p "$DIR/garage/meta" "$DIR/garage/data"
    cat >"$DIR/garage/garage.toml" <<EOF
metadata_dir = "$DIR/garage/meta"
data_dir = "$DIR/garage/data"
db_engine = "sqlite"
replication_factor = 1
# One node holds the only copy: acknowledge a PUT only once it is on disk (Garage's defaults
# leave both off, counting on replicas instead).
data_fsync = true
metadata_fsync = true
# The large objects are JPEG photos, which zstd does not shrink: compressing them only costs CPU.
compression_level = "none"
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$s3"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin"
admin_token = "$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
EOF
    chmod 600 "$DIR/garage/garage.toml"
    local g=("$garage" -c "$DIR/garage/garage.toml")
    nohup "${g[@]}" server >"$DIR/garage/server.log" 2>&1 &
    echo $! >"$DIR/garage.pid"
    local node=""
    for _ in $(seq 1 100); do
        node=$("${g[@]}" node id -q 2>/dev/null | cut -d@ -f1) && [ -n "$node" ] && break
        sleep 0.2
    done
    [ -n "$node" ] || { log "garage did not start; see $DIR/garage/server.log"; exit 1; }
    # `node id` only reads the key from the metadata folder; `status` needs the RPC listener that
    # the layout commands below talk to.
    local up=""
    for _ in $(seq 1 150); do
        "${g[@]}" status >/dev/null 2>&1 && up=1 && break
        sleep 0.2
    done
    [ -n "$up" ] || { log "garage's RPC did not come up; see $DIR/garage/server.log"; exit 1; }
    "${g[@]}" layout assign -z dc1 -c 10G "$node" >&2
    "${g[@]}" layout apply --version 1 >&2
    "${g[@]}" bucket create "$BUCKET" >&2
    local keyinfo
    keyinfo=$("${g[@]}" key create tallyseal-test-key)
    local key_id secret
    key_id=$(echo "$keyinfo" | awk -F': *' '/Key ID/ {print $2; exit}' | tr -d ' ')
    secret=$(echo "$keyinfo" | awk -F': *' '/Secret key/ {print $2; exit}' | tr -d ' ')
    [ -n "$key_id" ] && [ -n "$secret" ] || { log "could not read the key from: $keyinfo"; exit 1; }
    "${g[@]}" bucket allow --read --write --owner "$BUCKET" --key tallyseal-test-key >&2
    echo "$s3" >"$DIR/garage.s3port"
    echo "$key_id" >"$DIR/garage.key"
    echo "$secret" >"$DIR/garage.secret"
    chmod 600 "$DIR/garage.secret"
    log "Garage $("$garage" --version | head -1) on 127.0.0.1:$s3, bucket $BUCKET"
}

ensure_tuspy() {
    if ! python3 -c 'import tusclient' 2>/dev/null; then
        log "installing tuspy from PyPI"
        python3 -m pip install --quiet tuspy >&2 2>/dev/null \
            || python3 -m pip install --quiet --break-system-packages tuspy >&2
    fi
}

print_env() {
    [ -f "$DIR/pg.port" ] || { log "not running (scripts/services.sh start)"; exit 1; }
    echo "export TALLYSEAL_TEST_PG_URL=postgres://postgres@127.0.0.1:$(cat "$DIR/pg.port")/postgres"
    if [ -f "$DIR/pg-replica.port" ]; then
        echo "export TALLYSEAL_TEST_PG_REPLICA_URL=postgres://postgres@127.0.0.1:$(cat "$DIR/pg-replica.port")/postgres"
    fi
    echo "export TALLYSEAL_TEST_S3_ENDPOINT=http://127.0.0.1:$(cat "$DIR/garage.s3port")"
    echo "export TALLYSEAL_TEST_S3_BUCKET=$BUCKET"
    echo "export TALLYSEAL_TEST_S3_REGION=garage"
    echo "export TALLYSEAL_TEST_S3_ACCESS_KEY=$(cat "$DIR/garage.key")"
    echo "export TALLYSEAL_TEST_S3_SECRET_KEY=$(cat "$DIR/garage.secret")"
}

stop_all() {
    if [ -d "$DIR/pg/replica" ]; then
        as_pg pg_ctl -D "$DIR/pg/replica" -m fast -w stop >&2 || true
    fi
    if [ -d "$DIR/pg/data" ]; then
        as_pg pg_ctl -D "$DIR/pg/data" -m fast -w stop >&2 || true
    fi
    if [ -f "$DIR/garage.pid" ]; then
        kill "$(cat "$DIR/garage.pid")" 2>/dev/null || true
        sleep 0.5
    fi
    rm -rf "$DIR"
    log "stopped"
}

case "${1:-}" in
    start)
        if [ -f "$DIR/pg.port" ]; then
            log "already running in $DIR"
        else
            mkdir -p "$DIR"
            chmod 755 "$DIR"
            start_postgres
            start_pg_replica
            start_garage
        fi
        ensure_tuspy
        print_env
        ;;
    env) print_env ;;
    stop) stop_all ;;
    *)
        echo "usage: $0 start|env|stop" >&2
        exit 2
        ;;
esac
