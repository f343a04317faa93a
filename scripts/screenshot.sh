#!/usr/bin/env bash
# Render an HTML file (e.g. from `python -m spacy_somd visualize`) to a PNG with headless
# Chromium, to check it as a browser shows it. Needs Debian's chromium (apt install chromium).
# Usage: scripts/screenshot.sh IN.html OUT.png [WIDTH,HEIGHT]
set -euo pipefail
html="$(realpath "$1")"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="${3:-1500,1400}" \
    --screenshot="$2" "file://$html"
