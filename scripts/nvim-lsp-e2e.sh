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
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'Здравствуйте, Мария!\n😀 В настоящее время мы же вас предупреждали!!!\n' > "$work/draft.txt"
cd "$work"
nvim --version | head -1
APOLINT="$here/target/release/apolint" timeout 60 nvim --headless --clean \
  -c "luafile $here/scripts/nvim-lsp-e2e.lua" draft.txt
