#!/usr/bin/env bash
# Copy the screenshots the user guides show (docs/guides/*.md) from the browser tests' artefacts
# (target/browser-screenshots/, written by scripts/browser-test.sh) into docs/guides/img/,
# scaled to 900 px wide with ImageMagick when it is installed (plain copies otherwise).
# Run after the browser tests when a page the guides show has changed.
set -euo pipefail
cd "$(dirname "$0")/.."
src="${CARGO_TARGET_DIR:-target}/browser-screenshots"
dst=docs/guides/img
mkdir -p "$dst"
missing=0
for name in $(grep -ho 'img/[a-z0-9-]*\.png' docs/guides/*.md | sort -u | sed 's#img/##'); do
  if [ ! -f "$src/$name" ]; then
    echo "guide-screenshots: $src/$name is missing (run scripts/browser-test.sh first)" >&2
    missing=1
    continue
  fi
  if command -v convert >/dev/null 2>&1; then
    convert "$src/$name" -resize '900x>' -strip -colors 256 "$dst/$name"
  else
    cp "$src/$name" "$dst/$name"
  fi
  echo "guide-screenshots: $dst/$name"
done
exit $missing
