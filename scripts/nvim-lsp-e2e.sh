#!/usr/bin/env bash
# End-to-end run of `apolint lsp` with a real editor client: headless Neovim
# (Debian's `neovim` package, 0.7+) opens a Russian draft, receives the
# diagnostics, applies a quick fix. Prints what Neovim shows; exits non-zero
# on any failure.
#   sudo apt-get install -y neovim    # once
#   scripts/nvim-lsp-e2e.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
command -v nvim >/dev/null || { echo "nvim not found: apt-get install -y neovim" >&2; exit 2; }
# APOLINT_BIN: an existing binary; otherwise a release build in
# $CARGO_TARGET_DIR (or target/).
bin=${APOLINT_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/apolint}
[ -n "${APOLINT_BIN:-}" ] || cargo build --release --quiet --manifest-path "$here/Cargo.toml"
[ -x "$bin" ] || { echo "nvim-lsp-e2e.sh: no binary at $bin (cargo build --release, or set APOLINT_BIN)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'Здравствуйте, Мария!\n😀 В настоящее время мы же вас предупреждали!!!\n' > "$work/draft.txt"
cd "$work"
nvim --version | head -1
APOLINT="$bin" timeout 60 nvim --headless --clean \
  -c "luafile $here/scripts/nvim-lsp-e2e.lua" draft.txt
