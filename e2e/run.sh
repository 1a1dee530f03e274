#!/usr/bin/env bash
# Browser end-to-end tests in Debian's Chromium (playwright-core, no
# browser download): the playground served by `apolint serve`, an
# `apolint audit` HTML report, and the browser extension (extension/) on
# pages that reproduce the help desks' reply editors.
# Needs: apt-get install -y chromium (and openssl, for the desks' HTTPS)
#   e2e/run.sh            # all three
#   e2e/run.sh playground # or: report, extension
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/chromium ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
apolint="${APOLINT:-${CARGO_TARGET_DIR:-$here/../target}/release/apolint}"
[ -x "$apolint" ] || { echo "no apolint binary at $apolint (set APOLINT or CARGO_TARGET_DIR)" >&2; exit 2; }
export APOLINT="$apolint"
cd "$here"
[ -d node_modules/prosemirror-view ] || npm ci --no-audit --no-fund
what=${1:-all}
if [ "$what" = all ] || [ "$what" = playground ]; then
  node playground.mjs
fi
if [ "$what" = all ] || [ "$what" = report ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 ../scripts/synth-export.py --records 20000 --out "$work/export.jsonl"
  "$APOLINT" audit "$work/export.jsonl" --html "$work/report.html" --json "$work/summary.json" \
    --title "Synthetic help desk, 2026" --quiet
  node report.mjs "$work/report.html"
fi
if [ "$what" = all ] || [ "$what" = extension ]; then
  node extension.mjs
fi
