#!/usr/bin/env bash
# The README's Spark recipe, run for real: PySpark (from PyPI, in a local
# virtual environment) streams a synthetic help-desk export through
# `apolint check --format jsonl` with RDD.pipe, in local[2] mode, and the
# answers are checked: one per reply, in the input order, each with its id.
#
#   scripts/spark-e2e.sh [RECORDS]        # default 100000
#
# Needs: a Java runtime 17+ for Spark (apt-get install -y default-jre-headless),
# python3 with venv, and PyPI for `pip install pyspark` on the first run.
# APOLINT_BIN runs an existing binary; else the release build is made
# (CARGO_TARGET_DIR honoured). The venv and the export live in
# $CARGO_TARGET_DIR/spark-e2e (default target/spark-e2e).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
records=${1:-100000}
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/spark-e2e
mkdir -p "$work"

if ! command -v java >/dev/null 2>&1; then
  echo "spark-e2e: no Java runtime: Spark needs Java 17 or newer (Debian: apt-get install -y default-jre-headless)" >&2
  exit 2
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then
  echo "spark-e2e: Java ${java_major:-?} found, PySpark 4 needs 17 or newer (apt-get install -y default-jre-headless)" >&2
  exit 2
fi

bin=${APOLINT_BIN:-$target/release/apolint}
if [ -z "${APOLINT_BIN:-}" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
fi
[ -x "$bin" ] || { echo "spark-e2e: no apolint binary at $bin" >&2; exit 2; }

venv=$work/venv
if ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  echo "spark-e2e: installing pyspark into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyspark
fi

export_file=$work/export-$records.jsonl
[ -s "$export_file" ] || python3 "$root/scripts/synth-export.py" --records "$records" --bad-rate 0 --out "$export_file"

# Spark stays on loopback (local mode needs no other address).
SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$venv/bin/python" PYSPARK_SUBMIT_ARGS="--driver-memory 2g pyspark-shell" \
  "$venv/bin/python" - "$export_file" "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" <<'PY'
import json, os, platform, shlex, sys, time
from pyspark.sql import SparkSession

path = sys.argv[1]
# PySpark's pipe starts the command with an empty environment (no PATH):
# name apolint by its absolute path, as the README's recipe does.
APOLINT = sys.argv[2]
t0 = time.monotonic()
spark = (SparkSession.builder.master("local[2]").appName("apolint-spark-e2e")
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         # ~4 MB splits: several partitions in input order, two at a time.
         .config("spark.sql.files.maxPartitionBytes", str(4 << 20))
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
started = time.monotonic()
spark_start_s = started - t0

# The README's recipe, as written there.
replies = spark.read.json(path).rdd
results = (replies.map(lambda r: json.dumps({"id": r.ticket, "text": r.text}, ensure_ascii=False))
                  .pipe(f"{shlex.quote(APOLINT)} check --format jsonl --no-config")
                  .map(json.loads))
flagged = results.filter(lambda a: a.get("findings")).count()
recipe_s = time.monotonic() - started

# Every answer back, in order, with its id.
started = time.monotonic()
got = results.map(lambda a: (a.get("id"), a.get("verdict"), "error" in a)).collect()
check_s = time.monotonic() - started
partitions = results.getNumPartitions()
spark.stop()

want = []
with open(path, encoding="utf-8") as f:
    for line in f:
        want.append(json.loads(line)["ticket"])
ids = [g[0] for g in got]
errors = sum(1 for g in got if g[2])
verdicts = {}
for g in got:
    verdicts[g[1]] = verdicts.get(g[1], 0) + 1
ok = ids == want and errors == 0
first_bad = next((i for i, (a, b) in enumerate(zip(ids, want)) if a != b), None)
print(f"replies: {len(want)}, answers: {len(got)}, in order with their ids: {'yes' if ids == want else 'NO'}"
      + (f" (first mismatch at {first_bad}: {ids[first_bad]} vs {want[first_bad]})" if first_bad is not None else ""))
print(f"answers with an error: {errors}; with findings: {flagged}; verdicts: "
      + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items(), key=lambda kv: str(kv[0]))))
print(f"Spark local[2], {partitions} partitions, pyspark {__import__('pyspark').__version__}, "
      f"{os.cpu_count()} cores, {platform.machine()}")
print(f"time: recipe (read + pipe + count) {recipe_s:.1f} s = {len(want) / recipe_s:,.0f} replies/s; "
      f"second pass (pipe + collect ids) {check_s:.1f} s; Spark start {spark_start_s:.1f} s".replace(",", " "))
sys.exit(0 if ok else 1)
PY
