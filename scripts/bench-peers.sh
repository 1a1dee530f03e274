#!/usr/bin/env bash
# Peer benchmark: times apolint against three prose linters on the same inputs
# with hyperfine and prints a Markdown table with "peer / apolint" ratios.
#
#   scripts/bench-peers.sh              # after: cargo build --release
#
# Peers, installed on first run from the package registries only (each step
# is skipped when already present):
#   proselint   PyPI, into a virtualenv under $BENCH_DIR/venv
#   diction     Debian package (GNU diction; apt-get, the machine runs as root)
#   write-good  npm, `npm install --prefix $BENCH_DIR/npm`
#   hyperfine   Debian package, else `cargo install --locked hyperfine` (1.x if 2.x
#               needs a newer rustc)
#
# Inputs, generated deterministically into $BENCH_DIR: ~1 MB of English and
# ~1 MB of Russian support replies (corpus/{en,ru}/drafts/*.txt concatenated
# in sorted order, blank line between drafts, repeated until >= 1,000,000
# bytes) and one short English draft of a few hundred bytes from the corpus.
# Each draft is cut to its reply text first: from a sign-off line ("Best
# regards,", "С уважением,", "Спасибо,"...), a "--" signature delimiter or a
# quoted-thread header ("On ... wrote:") to its end is dropped, as are quoted
# ">" lines and trailing signature lines ("Ida, Player Support"). apolint
# treats a file as one reply and masks everything after its first signature
# or thread header, so uncut drafts would leave it ~1 KB of the 1 MB to lint
# (23 findings instead of ~4,400 EN / ~2,900 RU).
# Each tool runs on each input; apolint with --format json, short and human
# (exit status 1 = findings, so hyperfine runs with --ignore-failure), plus
# `apolint --version` alone (process start-up floor). The ratio column is
# "tool mean / apolint --format json mean" on the same input: how many times
# slower the tool is. Hyperfine's JSON is kept in $BENCH_DIR/*.json.
#
# Takes about 3-4 minutes on 2 cores, most of it write-good on 1 MB (about
# 11 s a run; the peers get min(RUNS, 5) runs on the 1 MB inputs), plus under
# a minute for the first installs. Timings on a busy machine are noisy.
#
# Environment:
#   APOLINT           apolint binary (default: $CARGO_TARGET_DIR/release/apolint)
#   APOLINT_BASE      optional second apolint binary (an older build) timed the
#                     same way in the same run, for a before/after table: its
#                     rows are "base ..." and its ratios are against the same
#                     "apolint --format json" row
#   CARGO_TARGET_DIR  cargo's target dir (default: target in the repo root)
#   BENCH_DIR         work dir: venv, node_modules, inputs, JSON
#                     (default: $CARGO_TARGET_DIR/bench-peers)
#   RUNS              hyperfine runs for apolint and for the peers on the short
#                     draft (default: 20); peers on 1 MB get min(RUNS, 5)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }

target_dir=$(abspath "${CARGO_TARGET_DIR:-$root/target}")
APOLINT=$(abspath "${APOLINT:-$target_dir/release/apolint}")
BENCH_DIR=$(abspath "${BENCH_DIR:-$target_dir/bench-peers}")
RUNS=${RUNS:-20}
case $RUNS in '' | *[!0-9]* | 0 | 1) echo "RUNS must be a number >= 2, got '$RUNS'" >&2; exit 2 ;; esac

APOLINT_BASE=${APOLINT_BASE:+$(abspath "$APOLINT_BASE")}
if [[ -n $APOLINT_BASE && ! -x $APOLINT_BASE ]]; then
    echo "APOLINT_BASE is not an executable: $APOLINT_BASE" >&2
    exit 2
fi
if [[ ! -x $APOLINT ]]; then
    echo "apolint binary not found at $APOLINT" >&2
    echo "build it with: cargo build --release   (or set APOLINT=/path/to/apolint)" >&2
    exit 2
fi
mkdir -p "$BENCH_DIR"
log() { printf '== %s\n' "$*" >&2; }

# --- peers and hyperfine, from the package registries -----------------------
has_candidate() { # apt has an installable version of package $1
    local policy
    policy=$(apt-cache policy "$1" 2>/dev/null)
    [[ $policy =~ Candidate:\ [0-9] ]]
}
apt_updated=0
apt_install() { # apt_install PACKAGE; runs apt-get update first only when apt has no candidate
    if ! has_candidate "$1" && [[ $apt_updated == 0 ]]; then
        apt-get update -qq
        apt_updated=1
    fi
    has_candidate "$1" || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

if ! command -v hyperfine >/dev/null; then
    log "installing hyperfine"
    # hyperfine 2.x needs a newer rustc than some toolchains have: fall back to 1.x.
    apt_install hyperfine || cargo install --locked hyperfine ||
        cargo install --locked hyperfine --version '^1.20'
fi
command -v hyperfine >/dev/null || { echo "hyperfine is not on PATH (~/.cargo/bin?)" >&2; exit 2; }

if ! command -v diction >/dev/null; then
    log "installing diction (Debian)"
    apt_install diction || { echo "no Debian package diction" >&2; exit 2; }
fi

venv=$BENCH_DIR/venv
if [[ ! -x $venv/bin/proselint ]]; then
    log "installing proselint (PyPI) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check proselint
fi

npm_dir=$BENCH_DIR/npm
if [[ ! -x $npm_dir/node_modules/.bin/write-good ]]; then
    log "installing write-good (npm) into $npm_dir"
    mkdir -p "$npm_dir"
    npm install --prefix "$npm_dir" --no-audit --no-fund --silent write-good >/dev/null
fi

PROSELINT=$venv/bin/proselint
WRITE_GOOD=$npm_dir/node_modules/.bin/write-good
DICTION=$(command -v diction)

# proselint >= 0.16 has subcommands (`proselint check FILE`); older ones take
# FILE. 0.16 stops linting after max_errors (default 1000) findings, which
# would cut its work on 1 MB short: lift the cap with a config file.
proselint_help=$("$PROSELINT" --help 2>&1 || true)
if grep -Eq '^[[:space:]]+check\b' <<<"$proselint_help"; then
    mkdir -p "$BENCH_DIR/proselint"
    echo '{"max_errors": 1000000000}' >"$BENCH_DIR/proselint/config.json"
    proselint_cmd=("$PROSELINT" check --config "$BENCH_DIR/proselint/config.json")
else
    proselint_cmd=("$PROSELINT")
fi

# --- inputs -----------------------------------------------------------------
log "generating inputs in $BENCH_DIR"
python3 - "$root/corpus" "$BENCH_DIR" <<'PY'
import pathlib, re, sys
corpus, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
# Closing formulas (the whole line, trailing ",.!" stripped): this line and
# everything after it are the sign-off and signature, not reply text.
CLOSINGS = {
    "best", "best regards", "kind regards", "warm regards", "warmest regards",
    "regards", "with best regards", "with kind regards", "best wishes",
    "all the best", "sincerely", "yours sincerely", "yours faithfully",
    "yours truly", "thanks", "many thanks", "thank you", "thanks again",
    "cheers", "take care",
    "с уважением", "с наилучшими пожеланиями", "с наилучшими", "всего доброго",
    "всего хорошего", "хорошего дня", "хорошего вечера", "спасибо",
    "спасибо за обращение", "с благодарностью", "до связи",
}
# Starts of a quoted previous message (apolint masks from such a line to the
# end of the file): "On … wrote:", "… написал(а):", "-----Original Message-----",
# an Outlook "From:"/"От:" block, "12.09.2026, 08:41, Name <mail>:".
QUOTE_HEADER = re.compile(
    r"""(?ix)^\s*(?:
        on\s.{4,200}\swrote:\s*$
      | .{0,200}\s(?:написал|написала|написал\(а\)|пишет|wrote):\s*$
      | -{2,}\s*(?:original\s+message|forwarded\s+message|исходное\s+сообщение
                  |пересылаемое\s+сообщение|перенаправленное\s+сообщение)\s*-*\s*$
      | (?:from|от):\s.{1,200}$
      | \d{1,2}[./]\d{1,2}[./]\d{2,4},?\s+(?:в\s+)?\d{1,2}:\d{2},?\s.{1,200}:\s*$
    )""")

def is_closing(line):
    t = line.strip().rstrip(",.!").strip().lower()
    # "С уважением / Kind regards": every part a closing formula.
    parts = [p.strip() for p in t.split("/")]
    return bool(t) and all(p in CLOSINGS for p in parts)

def is_signature_line(line):
    t = line.strip()
    return (len(t) <= 60 and len(t.split()) <= 6 and "://" not in t
            and not re.search(r"[.!?…:;)»\"')\]}%>]$", t))

def reply_text(text):
    kept = []
    for line in text.splitlines():
        if line.rstrip() == "--" or QUOTE_HEADER.match(line) or is_closing(line):
            break  # signature delimiter, quoted thread or sign-off: drop the rest
        if line.lstrip().startswith(">"):
            continue  # a quoted line of the customer's message
        kept.append(line)
    # A signature without a closing formula ("Ida, Player Support",
    # "AirNord Customer Relations", "Светлана"): short trailing lines that
    # do not end a sentence.
    while kept and (not kept[-1].strip() or is_signature_line(kept[-1])):
        kept.pop()
    return "\n".join(kept).strip("\n") + "\n"

for lang in ("en", "ru"):
    drafts = [reply_text(f.read_text(encoding="utf-8"))
              for f in sorted((corpus / lang / "drafts").glob("*.txt"))]
    drafts = [d for d in drafts if d.strip()]
    parts, size = [], 0
    while size < 1_000_000:
        for d in drafts:
            parts.append(d)
            size += len(d.encode()) + 1
            if size >= 1_000_000:
                break
    (out / f"{lang}-1mb.txt").write_text("\n".join(parts), encoding="utf-8")
# The short draft: en-a123 (602 B), on which all four tools find something;
# else the first English draft (sorted) of 400-800 bytes.
short = corpus / "en" / "drafts" / "en-a123.txt"
if not short.is_file():
    short = next(f for f in sorted((corpus / "en" / "drafts").glob("*.txt"))
                 if 400 <= f.stat().st_size <= 800)
(out / "short.txt").write_bytes(short.read_bytes())
(out / "short.source").write_text(short.name + "\n")
PY

# --- smoke test: each tool runs once on the short draft and says something ----
for tool in apolint proselint diction write-good; do
    case $tool in
        apolint) cmd=("$APOLINT" check --no-config --format short) ;;
        proselint) cmd=("${proselint_cmd[@]}") ;;
        diction) cmd=("$DICTION") ;;
        write-good) cmd=("$WRITE_GOOD") ;;
    esac
    out=$("${cmd[@]}" "$BENCH_DIR/short.txt" 2>"$BENCH_DIR/smoke.err" || true)
    if [[ -z $out ]]; then
        if [[ -s $BENCH_DIR/smoke.err ]]; then
            echo "$tool failed on $BENCH_DIR/short.txt:" >&2
            cat "$BENCH_DIR/smoke.err" >&2
            exit 2
        fi
        log "warning: $tool printed nothing on the short draft"
    else
        log "$tool on the short draft: $(wc -l <<<"$out") line(s) of output"
    fi
done
rm -f "$BENCH_DIR/smoke.err"

# --- timing -------------------------------------------------------------------
q() { printf '%q' "$1"; } # hyperfine -N splits commands with shell-words
hf() { # hf NAME RUNS WARMUP COMMAND...: one hyperfine comparison, JSON into $BENCH_DIR/NAME.json
    local name=$1 runs=$2 warmup=$3
    shift 3
    log "hyperfine $name ($runs runs)"
    hyperfine -N --ignore-failure --output=null --style=none \
        --warmup "$warmup" --runs "$runs" \
        --export-json "$BENCH_DIR/$name.json" "$@" >/dev/null 2>"$BENCH_DIR/$name.log"
    # Exit status 1 (findings) is expected; pass on hyperfine's other warnings.
    grep -v -e 'Ignoring non-zero exit code' -e '^[[:space:]]*$' "$BENCH_DIR/$name.log" >&2 || true
}
slow_runs=$(( RUNS < 5 ? RUNS : 5 ))

rm -f "$BENCH_DIR"/*.json "$BENCH_DIR"/*.log
a=$(q "$APOLINT")
hf version "$(( RUNS * 2 ))" 3 -n "apolint --version" "$a --version"
if [[ -n $APOLINT_BASE ]]; then
    b=$(q "$APOLINT_BASE")
    hf version.base "$(( RUNS * 2 ))" 3 -n "base --version" "$b --version"
fi
for input in en-1mb ru-1mb short; do
    f=$(q "$BENCH_DIR/$input.txt")
    hf "$input.apolint" "$RUNS" 2 \
        -n "apolint --format json" "$a check --no-config --format json $f" \
        -n "apolint --format short" "$a check --no-config --format short $f" \
        -n "apolint (human)" "$a check --no-config --color never $f"
    if [[ -n $APOLINT_BASE ]]; then
        hf "$input.base" "$RUNS" 2 \
            -n "base --format json" "$b check --no-config --format json $f" \
            -n "base --format short" "$b check --no-config --format short $f" \
            -n "base (human)" "$b check --no-config --color never $f"
    fi
    if [[ $input == short ]]; then
        r_prose=$RUNS r_diction=$RUNS r_wg=$RUNS
    else
        r_prose=$slow_runs r_diction=$slow_runs r_wg=$slow_runs
    fi
    pcmd=""
    for w in "${proselint_cmd[@]}"; do pcmd+="$(q "$w") "; done
    hf "$input.proselint" "$r_prose" 1 -n "proselint" "$pcmd$f"
    hf "$input.diction" "$r_diction" 1 -n "diction" "$(q "$DICTION") $f"
    hf "$input.write-good" "$r_wg" 1 -n "write-good" "$(q "$WRITE_GOOD") $f"
done

# --- report -------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
versions="apolint $("$APOLINT" --version | awk '{print $NF}')"
versions+=", proselint $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("proselint"))')"
versions+=", diction $(dpkg-query -W -f '${Version}' diction 2>/dev/null || echo '?')"
versions+=", write-good $(node -p 'require(process.argv[1]).version' "$npm_dir/node_modules/write-good/package.json")"
versions+=", $(hyperfine --version)"
header="$(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc), ${cpu:-unknown CPU}; $versions"
python3 - "$BENCH_DIR" "$header" "$(cat "$BENCH_DIR/short.source")" <<'PY'
import json, pathlib, sys
bench, header, short_name = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3].strip()

def results(name):
    path = bench / f"{name}.json"
    if not path.exists():  # the optional base build's rows
        return []
    return json.loads(path.read_text())["results"]

print(f"Peer benchmark: {header}\n")
print("| input | tool | mean ± sd (ms) | median (ms) | runs | exit | ratio vs apolint json |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")

def exits(r):
    return ",".join(str(c) for c in sorted(set(r.get("exit_codes") or [])))

inputs = {
    "en-1mb": f"EN 1 MB ({(bench / 'en-1mb.txt').stat().st_size:,} B)",
    "ru-1mb": f"RU 1 MB ({(bench / 'ru-1mb.txt').stat().st_size:,} B)",
    "short": f"short draft ({short_name}, {(bench / 'short.txt').stat().st_size} B)",
}
for key, label in inputs.items():
    rows = [r for tool in ("apolint", "base", "proselint", "diction", "write-good")
            for r in results(f"{key}.{tool}")]
    base = next(r["mean"] for r in rows if r["command"] == "apolint --format json")
    for r in rows:
        ratio = r["mean"] / base
        ratio = f"{ratio:.2f}×" if ratio < 10 else f"{ratio:,.0f}×"
        print(f"| {label} | {r['command']} | {r['mean'] * 1e3:,.1f} ± {r['stddev'] * 1e3:,.1f}"
              f" | {r['median'] * 1e3:,.1f} | {len(r['times'])} | {exits(r)} | {ratio} |")
for r in results("version") + results("version.base"):
    print(f"| – | {r['command']} | {r['mean'] * 1e3:,.2f} ± {r['stddev'] * 1e3:,.2f}"
          f" | {r['median'] * 1e3:,.2f} | {len(r['times'])} | {exits(r)} | – |")
print("\nratio: tool mean / apolint --format json mean on the same input (> 1: slower)."
      " median: of the runs; on a shared VM a few slow runs move the mean more than it."
      " exit: exit codes seen (apolint 1 = findings at the failing severity, proselint 1 = findings,"
      " write-good = number of suggestions mod 256).")
print(f"Hyperfine JSON: {bench}/*.json")
PY
