#!/usr/bin/env bash
# Browser tests of the server's web pages: Debian's Chromium driven by npm playwright-core, with
# axe-core for accessibility. Installs what is missing (Chromium from Debian; the npm packages
# into a cache folder that survives between runs); under CI=true a missing component fails.
# Screenshots: target/browser-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "browser-test.sh: $*" >&2; }

if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    { apt-get update -qq && apt-get install -y -qq chromium; } >&2 || true
fi
[ -x /usr/bin/chromium ] || { log "no /usr/bin/chromium (apt-get install -y chromium)"; exit 1; }
# A font with every Urdu letter (Debian's Chromium has none by default; ہ and ے showed as boxes).
if ! fc-list 2>/dev/null | grep -qi amiri; then
    log "installing Debian's fonts-hosny-amiri (Arabic-script font covering Urdu)"
    { apt-get update -qq && apt-get install -y -qq fonts-hosny-amiri; } >&2 || true
fi
command -v node >/dev/null || { log "no node (apt-get install -y nodejs npm)"; exit 1; }

NODE_DIR="${TALLYSEAL_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tallyseal/browser}"
mkdir -p "$NODE_DIR"
if [ ! -d "$NODE_DIR/node_modules/playwright-core" ] || [ ! -d "$NODE_DIR/node_modules/axe-core" ]; then
    log "installing playwright-core and axe-core from npm into $NODE_DIR"
    (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund playwright-core@1 axe-core@4) >&2
fi

cargo build -q -p tallyseal-cli
target_dir="${CARGO_TARGET_DIR:-target}"
data=$(mktemp -d /tmp/tallyseal-browser.XXXXXX)
# Console accounts for the console test, made as an administrator would (tallyseal user).
ro_password="browser-ro-password-$RANDOM$RANDOM"
echo "$ro_password" | "$target_dir/debug/tallyseal" user add --data-dir "$data" ro-na46 \
    --role ro --constituency pk-2024-ge/NA-46 --password-stdin >/dev/null
"$target_dir/debug/tallyseal" user add --data-dir "$data" ro-locked --role ro --all >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
RUST_LOG=warn "$target_dir/debug/tallyseal" serve --data-dir "$data" --bind "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null || { log "the server did not start"; cat "$data/server.log" >&2; exit 1; }

BASE="http://127.0.0.1:$port" SCREENSHOTS="$target_dir/browser-screenshots" \
    NODE_MODULES="$NODE_DIR/node_modules" node tests/browser/landing.mjs
BASE="http://127.0.0.1:$port" SCREENSHOTS="$target_dir/browser-screenshots" \
    NODE_MODULES="$NODE_DIR/node_modules" RO_LOGIN=ro-na46 RO_PASSWORD="$ro_password" \
    LOCK_LOGIN=ro-locked node tests/browser/console.mjs
SCREENSHOTS="$target_dir/browser-screenshots" NODE_MODULES="$NODE_DIR/node_modules" tests/browser/setup-review.sh
BASE="http://127.0.0.1:$port" DATA="$data" TALLYSEAL="$target_dir/debug/tallyseal" SCREENSHOTS="$target_dir/browser-screenshots" \
    NODE_MODULES="$NODE_DIR/node_modules" tests/browser/setup-figures.sh
SCREENSHOTS="$target_dir/browser-screenshots" NODE_MODULES="$NODE_DIR/node_modules" tests/browser/setup-portal-verify.sh
BASE="http://127.0.0.1:$port" DATA="$data" TALLYSEAL="$target_dir/debug/tallyseal" SCREENSHOTS="$target_dir/browser-screenshots" \
    NODE_MODULES="$NODE_DIR/node_modules" tests/browser/setup-portal.sh
