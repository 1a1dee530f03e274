#!/usr/bin/env bash
# Browser end-to-end test of the playground (see playground.mjs).
# Needs Debian's chromium: apt-get install -y chromium
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/chromium ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
cd "$here"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
node playground.mjs
