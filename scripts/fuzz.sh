#!/usr/bin/env bash
# Coverage-guided fuzzing of the library's entry points with cargo fuzz
# (libFuzzer + AddressSanitizer): drafts as raw bytes (`check`) and as mixes
# of Cyrillic, Latin, emoji, combining and bidi marks, controls and markup
# (`check_mix`), rule files, configs, JSON requests, and editor sessions
# against the language server (`lsp`). Not part of the default test run.
#   cargo install cargo-fuzz --locked      # once
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]
# Seeds come from the repository (corpus drafts, rule packs, sample config
# and requests); crashes land in fuzz/artifacts/TARGET/. cargo fuzz needs
# nightly features; on a stable-only machine RUSTC_BOOTSTRAP=1 enables them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(check check_mix rule_file config request lsp html lsp_framing)
export RUSTC_BOOTSTRAP=1
cd "$here"
seed() {
  local t=$1 dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case $t in
    check) for f in corpus/ru/drafts/*.txt corpus/en/drafts/*.txt corpus/samples/*; do
             { printf '\x00'; cat "$f"; } > "$dir/$(basename "$f")"; done ;;
    rule_file) cp rules/*/*.toml "$dir/" 2>/dev/null || true
               for f in rules/*/*.toml; do cp "$f" "$dir/$(dirname "$f" | tr / _)-$(basename "$f")"; done ;;
    config) printf 'fail_on = "warning"\n[rules]\ndisable = ["ru.hint.problema"]\n[verdict]\nblock = ["placeholder"]\n[verdict.channel.chat]\nwarn_on = "error"\n[[phrase]]\npattern = "уважаемый клиент"\nmessage = "m"\n' > "$dir/seed.toml" ;;
    check_mix) head -c 4096 /dev/urandom > "$dir/random" ;;
    lsp) head -c 4096 /dev/urandom > "$dir/random" ;;
    # Fragment index + repeat count: '<p>' once, then '<a' 65,535 times.
    html) printf '\x00\x01\x00\x02\xff\xff' > "$dir/p-a" ;;
    lsp_framing) printf '\x00\x01\x0e\x01\x03\x01\x03\x01' > "$dir/huge-length" ;;
    request) printf '{"text": "Приносим извинения", "customer_name": "Мария", "language": "ru", "channel": "chat", "ticket_id": 7}' > "$dir/seed.json" ;;
  esac
}
for t in "${targets[@]}"; do
  seed "$t"
  echo "== $t: ${secs}s"
  cargo fuzz run -O "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 2>&1 \
    | grep -E '^#[0-9]+.*(DONE|pulse)|^Done|ERROR|SUMMARY|panicked|Test unit written' | tail -5
done
