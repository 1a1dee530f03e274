#!/usr/bin/env bash
# End-to-end run of the hooks in .pre-commit-hooks.yaml with pre-commit
# itself: pre-commit (from PyPI, into a virtual environment under the
# target dir) installs the hook into a throwaway git repository of canned
# responses; a commit of a clean response passes, a bad one is refused,
# `apolint check --fix` repairs it and the same commit then passes.
# Prints what pre-commit prints; exits non-zero on any failure.
#
#   scripts/pre-commit-e2e.sh                 # hook apolint-system, a release build on PATH
#   HOOK=apolint scripts/pre-commit-e2e.sh    # hook apolint: pre-commit builds it with cargo
#                                             # from this repository's HEAD (slow)
#   APOLINT_BIN=/path/apolint scripts/pre-commit-e2e.sh   # an existing binary
#
# Honours CARGO_TARGET_DIR. Run under `nice` on a shared machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
hook=${HOOK:-apolint-system}
case "$hook" in apolint|apolint-system) ;; *) echo "pre-commit-e2e.sh: HOOK is apolint or apolint-system" >&2; exit 2 ;; esac
bin=${APOLINT_BIN:-$target/release/apolint}
[ -n "${APOLINT_BIN:-}" ] || cargo build --release --quiet --manifest-path "$here/Cargo.toml"
[ -x "$bin" ] || { echo "pre-commit-e2e.sh: no binary at $bin (cargo build --release, or set APOLINT_BIN)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

venv=$target/pre-commit-venv
if [ ! -x "$venv/bin/pre-commit" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pre-commit
fi
echo "== $("$venv/bin/pre-commit" --version), hook $hook, $("$bin" --version)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME=$work/pre-commit-cache
export GIT_AUTHOR_NAME=e2e GIT_AUTHOR_EMAIL=e2e@example.invalid
export GIT_COMMITTER_NAME=e2e GIT_COMMITTER_EMAIL=e2e@example.invalid
git_q() { git -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }

# The hook repository pre-commit clones: for apolint-system the hook
# definitions alone (the binary comes from PATH), for apolint this
# repository at HEAD (pre-commit runs `cargo install` on it).
if [ "$hook" = apolint-system ]; then
  hooks=$work/hooks
  mkdir "$hooks"
  cp "$here/.pre-commit-hooks.yaml" "$hooks/"
  git_q -C "$hooks" init -q
  git_q -C "$hooks" add .pre-commit-hooks.yaml
  git_q -C "$hooks" commit -q -m hooks
  export PATH=$(dirname "$bin"):$PATH
else
  hooks=$here
  git -C "$here" diff --quiet HEAD -- .pre-commit-hooks.yaml ||
    { echo "pre-commit-e2e.sh: commit .pre-commit-hooks.yaml first (pre-commit clones HEAD)" >&2; exit 2; }
fi
rev=$(git -C "$hooks" rev-parse HEAD)

repo=$work/canned-responses
mkdir -p "$repo/macros/ru" "$repo/notes"
cd "$repo"
git_q init -q
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: $hook
        files: ^macros/
YAML
"$venv/bin/pre-commit" install
step() { echo; echo "== $*"; }
commit() { # commit MESSAGE: prints pre-commit's output and returns git's status
  local rc=0
  git_q commit -q -m "$1" || rc=$?
  echo "(git commit exit status: $rc)"
  return $rc
}

step "a clean canned response is committed"
printf 'Здравствуйте!\n\nСпасибо, что написали. Возврат оформлен сегодня: деньги придут на карту в течение трёх рабочих дней.\n' > macros/ru/refund.txt
printf 'Draft ideas: "WE ARE SORRY!!!" is what not to write.\n' > notes/ideas.txt
git_q add -A
commit "clean response" || { echo "FAIL: a clean response was refused" >&2; exit 1; }

step "a canned response with findings is refused"
printf 'Здравствуйте, Мария!\n\nСпасибо за ожидание!!! В настоящее время ваш заказ уже у курьера, он привезёт его завтра до 15:00.\n' > macros/ru/delay.txt
git_q add macros/ru/delay.txt
if commit "delay response"; then echo "FAIL: the hook let a bad response through" >&2; exit 1; fi

step "apolint check --fix macros/ru/delay.txt"
"$bin" check --fix macros/ru/delay.txt || true
git --no-pager diff --stat
git --no-pager diff -U0 | sed -n '/^@@/,$p'

step "the fixed response is committed"
git_q add macros/ru/delay.txt
commit "delay response, fixed" || { echo "FAIL: the fixed response was refused" >&2; exit 1; }
git --no-pager log --oneline
echo
echo "pre-commit-e2e: OK (clean passed, bad refused, fixed passed; notes/ outside files: ^macros/ never checked)"
