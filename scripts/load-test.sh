#!/usr/bin/env bash
# Load test of `apolint serve` on loopback with wrk (Debian's `wrk` package):
# realistic 0.5–2 KB drafts from the labelled corpus, both languages, sent
# round-robin as POST /v1/check at 64 connections. Prints throughput,
# latency percentiles and the count of failed (non-2xx or socket) requests.
#   apt-get install -y wrk      # once
#   scripts/load-test.sh [SECONDS] [CONNECTIONS]
# Targets (issue #5): ≥ 15,000 requests/s and p99 ≤ 5 ms at 64 connections.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-30}
conns=${2:-64}
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }
# APOLINT_BIN: an existing binary (e.g. an older build, for an A/B);
# otherwise a release build in $CARGO_TARGET_DIR (or target/).
bin=${APOLINT_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/apolint}
[ -n "${APOLINT_BIN:-}" ] || cargo build --release --quiet --manifest-path "$here/Cargo.toml"
[ -x "$bin" ] || { echo "load-test.sh: no binary at $bin (cargo build --release)" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

# Request bodies: corpus drafts of 0.5–2 KB as JSON, written into a Lua table.
python3 - "$here/corpus" "$work/requests.lua" <<'PY'
import json, pathlib, sys
root, out = pathlib.Path(sys.argv[1]), sys.argv[2]
bodies = []
for lang in ("ru", "en"):
    for f in sorted((root / lang / "drafts").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        if 500 <= len(text.encode()) <= 2048:
            bodies.append(json.dumps({"text": text, "customer_name": "Мария" if lang == "ru" else "Maria",
                                      "channel": "email", "ticket_id": f.stem}, ensure_ascii=False))
sizes = sorted(len(b.encode()) for b in bodies)
print(f"{len(bodies)} request bodies, {sizes[0]}–{sizes[-1]} bytes, median {sizes[len(sizes)//2]}", file=sys.stderr)
with open(out, "w", encoding="utf-8") as fh:
    fh.write("local bodies = {\n")
    for b in bodies:
        fh.write("[==[" + b + "]==],\n")
    fh.write("}\n")
    fh.write('''
local i = 0
local failed = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/v1/check", nil, bodies[i])
end
response = function(status, headers, body)
  if status ~= 200 then failed = failed + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests: %d in %.1f s = %.0f/s\\n", summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("failed: non-2xx %d, connect %d, read %d, write %d, timeout %d\\n",
    e.status, e.connect, e.read, e.write, e.timeout))
end
''')
PY

"$bin" serve --listen 127.0.0.1:18787 --no-config ${SERVE_ARGS:-} 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do grep -q listening "$work/serve.log" && break; sleep 0.1; done
head -1 "$work/serve.log"
echo "wrk: $conns connections, 2 threads, ${secs}s (after a 3 s warm-up)"
wrk -t2 -c"$conns" -d3s -s "$work/requests.lua" http://127.0.0.1:18787 >/dev/null
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/requests.lua" http://127.0.0.1:18787 | sed -n '/requests:/,$p'
