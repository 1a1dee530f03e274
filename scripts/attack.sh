#!/usr/bin/env bash
# Replays the attacks of issue #17 against a release build, on loopback
# only, each bounded in time and count; prints per item "held" or "NOT held"
# with its figure. Exit status: the number of items not held (0: all held).
#   scripts/attack.sh                 # builds release first
#   APOLINT_BIN=/path/apolint scripts/attack.sh   # an existing binary
# Honours CARGO_TARGET_DIR. Run under `nice` on a shared machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
if [ -z "${APOLINT_BIN:-}" ]; then
  cargo build --release --quiet --manifest-path "$here/Cargo.toml"
  APOLINT_BIN=$target/release/apolint
fi
[ -x "$APOLINT_BIN" ] || { echo "attack.sh: no binary at $APOLINT_BIN (build failed?)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "attack.sh: python3 is needed" >&2; exit 2; }
export APOLINT_ROOT=$here
exec python3 - "$APOLINT_BIN" <<'PY'
import json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time, http.client

BIN = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="apolint-attack-")
# Its inputs (a 200 MB CSV field, 20 x 13 MB drafts) go with it.
import atexit
atexit.register(shutil.rmtree, WORK, True)
results = []

def report(item, held, figure):
    results.append(held)
    print(f"{item:<4} {'held' if held else 'NOT held':<9} {figure}", flush=True)

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

class Server:
    def __init__(self, *args, stderr=None, shell_tail=None):
        self.port = free_port()
        cmd = [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--no-config", "--workers", "2", *args]
        if shell_tail:
            self.proc = subprocess.Popen(" ".join(map(sh_quote, cmd)) + " " + shell_tail, shell=True,
                                         stdout=subprocess.DEVNULL, start_new_session=True)
        else:
            self.log = open(os.path.join(WORK, f"serve-{self.port}.log"), "w")
            self.proc = subprocess.Popen(cmd, stderr=self.log, stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close(); return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")
    def pid(self):
        if getattr(self, "log", None) is None:
            out = subprocess.run(["pgrep", "-s", str(self.proc.pid), "-x", "apolint"], capture_output=True, text=True).stdout.split()
            return int(out[0]) if out else None
        return self.proc.pid
    def hwm_mb(self):
        try:
            for l in open(f"/proc/{self.pid()}/status"):
                if l.startswith("VmHWM"): return int(l.split()[1]) // 1024
        except Exception: return -1
    def stop(self):
        try:
            if getattr(self, "log", None) is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()
        except ProcessLookupError: pass
        self.proc.wait()

def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def post(port, path, body, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request("POST", path, body=body, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data

def get(port, path, headers=None, timeout=10, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, headers=headers or {})
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data

def run_cli(args, stdin=b"", timeout=30, env=None):
    t = time.time()
    try:
        p = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, *args], input=stdin, capture_output=True, timeout=timeout, env=env)
        rss = int(p.stderr.strip().splitlines()[-1]) // 1024 if p.stderr.strip() else -1
        return p.returncode, time.time() - t, rss, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, time.time() - t, -1, b"", b""

def item(fn):
    try:
        fn()
    except Exception as e:
        report(fn.__name__.split("_")[1], False, f"attack failed: {type(e).__name__}: {e}")

# 1. One request with tens of thousands of findings; 8 at once.
def i_1():
    text = "мы же " * (874 * 1024 // len("мы же ".encode()))
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    s = Server()
    try:
        t = time.time(); status, data = post(s.port, "/v1/check", body, timeout=60); dt = time.time() - t
        a = json.loads(data)
        sizes = []
        def one():
            st, d = post(s.port, "/v1/check", body, timeout=60); sizes.append((st, len(d)))
        ts = [threading.Thread(target=one) for _ in range(8)]
        [x.start() for x in ts]; [x.join() for x in ts]
        hwm = s.hwm_mb()
        held = status == 200 and a.get("truncated") is True and len(data) <= 2 << 20 and hwm <= 400 and all(st == 200 for st, _ in sizes)
        report("1", held, f"{len(body)//1024} KB draft: status {status}, {len(a.get('findings', []))} findings + {a.get('findings_omitted', 0)} omitted, answer {len(data)//1024} KB in {dt:.2f} s; 9 requests, peak RSS {hwm} MB")
    finally:
        s.stop()

# 2. Quadratic HTML extraction: check on stdin and the service.
def i_2():
    draft = ("<p>" + "<a" * (512 * 1024)).encode()
    rc, dt, rss, _, _ = run_cli(["check", "--no-config", "-"], stdin=draft, timeout=60)
    s = Server("--max-body", str(2 << 20))
    try:
        t = time.time(); st, _ = post(s.port, "/v1/check", json.dumps({"text": draft.decode()}).encode(), timeout=60); dt2 = time.time() - t
    finally:
        s.stop()
    held = rc is not None and dt < 2 and dt2 < 2 and st == 200
    report("2", held, f"'<p>'+'<a'*512Ki (1 MiB): check {dt:.2f} s (exit {rc}, {rss} MB), serve {dt2:.2f} s (status {st})")

# 3. A closed stderr.
def i_3():
    s = Server(shell_tail="2>&1 | head -1 >/dev/null")
    try:
        time.sleep(0.3)
        ok = 0
        for k in range(50):
            try:
                st, _ = get(s.port, "/healthz") if k % 2 else post(s.port, "/v1/check", b'{"text":"hi"}')
                ok += st == 200
            except Exception:
                pass
        report("3", ok == 50, f"stderr closed (| head -1): {ok}/50 requests answered 200")
    finally:
        s.stop()

# 4. Slow headers and a connection cap.
def i_4():
    s = Server("--header-timeout-ms", "2000", "--max-connections", "100", "--drain-ms", "3000")
    try:
        slow = []
        for _ in range(150):
            c = socket.create_connection(("127.0.0.1", s.port)); c.sendall(b"POST /v1/check HTTP/1.1\r\n"); slow.append(c)
        t0 = time.time()
        def drip():
            while time.time() - t0 < 6:
                for c in slow:
                    try: c.sendall(b"X")
                    except OSError: pass
                time.sleep(0.5)
        th = threading.Thread(target=drip, daemon=True); th.start()
        t = time.time()
        try:
            st, _ = get(s.port, "/healthz", timeout=10)
        except Exception:
            st = None
        real = time.time() - t
        th.join()
        closed = 0
        for c in slow:
            c.settimeout(0.5)
            try:
                closed += c.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except OSError:
                pass
        # One more slow connection, then SIGTERM: the process must exit.
        c = socket.create_connection(("127.0.0.1", s.port)); c.sendall(b"GET /")
        time.sleep(0.2)
        t = time.time(); s.proc.send_signal(signal.SIGTERM)
        try:
            s.proc.wait(timeout=8); exit_s = time.time() - t
        except subprocess.TimeoutExpired:
            exit_s = None
        held = st == 200 and real < 6 and closed == 150 and exit_s is not None
        report("4", held, f"150 slow-header connections over a cap of 100: real client {st} in {real:.1f} s, {closed}/150 slow ones closed by the server, exit after SIGTERM with one open: {exit_s if exit_s is None else f'{exit_s:.1f} s'}")
    finally:
        s.stop()

# 5. SIGTERM under load: no request read and left unanswered.
def i_5():
    s = Server("--drain-ms", "5000")
    counts = {"ok": 0, "refused": 0, "lost": 0, "other": 0}
    lock = threading.Lock()
    body = json.dumps({"text": "Приносим извинения за задержку. " * 20}, ensure_ascii=False).encode()
    stop = time.time() + 4
    def worker():
        while time.time() < stop:
            try:
                c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            except OSError:
                with lock: counts["refused"] += 1
                time.sleep(0.01); continue
            try:
                c.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                data = b""
                while True:
                    b = c.recv(65536)
                    if not b: break
                    data += b
                key = "ok" if data.startswith(b"HTTP/1.1 200") else ("lost" if not data else "other")
            except OSError:
                key = "lost"
            finally:
                c.close()
            with lock: counts[key] += 1
    ts = [threading.Thread(target=worker) for _ in range(16)]
    [x.start() for x in ts]
    time.sleep(1.5)
    s.proc.send_signal(signal.SIGTERM)
    try:
        rc = s.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    [x.join() for x in ts]
    s.stop()
    held = counts["lost"] == 0 and counts["other"] == 0 and rc == 0
    report("5", held, f"SIGTERM under load (16 clients): {counts['ok']} answered, {counts['lost']} lost, {counts['other']} other, {counts['refused']} refused after close; exit {rc}")

# 6. Over-size body written whole before reading the answer.
def i_6():
    s = Server("--max-body", str(1 << 20))
    try:
        statuses = []
        for _ in range(5):
            body = b'{"text":"' + b"a" * (8 << 20) + b'"}'
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            try:
                c.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                data = c.recv(4096)
                statuses.append(data.split(b" ")[1].decode() if data else "closed")
            except OSError as e:
                statuses.append(type(e).__name__)
            finally:
                c.close()
        report("6", all(x == "413" for x in statuses), f"8 MiB upload over --max-body 1 MiB, body sent whole first: {', '.join(statuses)}")
    finally:
        s.stop()

# 7. The audit's outputs and inputs.
def i_7():
    d = tempfile.mkdtemp(dir=WORK)
    exp = os.path.join(d, "export.jsonl")
    with open(exp, "w") as f:
        for k in range(20): f.write(json.dumps({"text": "Приносим извинения.", "agent": f"a{k}"}, ensure_ascii=False) + "\n")
    real = os.path.join(d, "real.json"); open(real, "w").write("keep")
    link = os.path.join(d, "link.json"); os.symlink(real, link)
    fifo = os.path.join(d, "fifo.json"); os.mkfifo(fifo)
    rc1, _, _, _, _ = run_cli(["audit", "--quiet", "--no-config", exp, "--json", link], timeout=20)
    rc2, dt2, _, _, _ = run_cli(["audit", "--quiet", "--no-config", exp, "--json", fifo], timeout=20)
    kept = os.path.islink(link) and open(real).read() == "keep" and not os.path.isfile(fifo) and os.path.exists(fifo)
    folder = os.path.join(d, "drafts"); os.mkdir(folder)
    open(os.path.join(folder, "a.txt"), "w").write("Приносим извинения.")
    os.symlink("/dev/zero", os.path.join(folder, "x.txt")); os.mkfifo(os.path.join(folder, "y.txt"))
    rc3, dt3, rss3, _, _ = run_cli(["audit", "--quiet", "--no-config", folder, "--json", os.path.join(d, "o.json")], timeout=20)
    csv = os.path.join(d, "bad.csv")
    with open(csv, "w") as f:
        f.write("agent,text\n"); f.write('a,"unclosed\n')
        for k in range(2000): f.write(f"a{k},Приносим извинения за задержку.\n")
    rc4, _, _, _, err4 = run_cli(["audit", "--quiet", "--no-config", csv, "--json", os.path.join(d, "o2.json")], timeout=20)
    said4 = b"never closed" in err4 and not os.path.exists(os.path.join(d, "o2.json"))
    # Mostly unreadable JSON Lines: exit 2 and why.
    garbage = os.path.join(d, "garbage.jsonl")
    with open(garbage, "w") as f:
        f.write('{"text": "hi"}\n' + "not json\n" * 1000)
    rc5, _, _, _, err5 = run_cli(["audit", "--quiet", "--no-config", garbage], timeout=20)
    said5 = b"most of the input could not be read" in err5
    # 2 M distinct agents: bounded memory and summary.
    agents = os.path.join(d, "agents.jsonl")
    with open(agents, "w") as f:
        for k in range(2_000_000): f.write(f'{{"text":"ok","agent":"agent-{k}"}}\n')
    summ = os.path.join(d, "agents.json")
    rc6, dt6, rss6, _, _ = run_cli(["audit", "--quiet", "--no-config", agents, "--json", summ], timeout=300)
    size6 = os.path.getsize(summ) if os.path.exists(summ) else -1
    # One 200 MB CSV field.
    big = os.path.join(d, "big.csv")
    with open(big, "wb") as f:
        f.write(b'agent,text\na,"')
        chunk = ("Приносим извинения. " * 2000).encode()
        for _ in range(200 * (1 << 20) // len(chunk)): f.write(chunk)
        f.write('"\nb,Спасибо.\n'.encode())
    rc7, dt7, rss7, out7, _ = run_cli(["audit", "--quiet", "--no-config", big], timeout=300)
    try:
        s7 = json.loads(out7); got7 = (s7["replies"], s7["bad_records"])
    except Exception:
        got7 = None
    os.remove(big); os.remove(agents)
    held = (rc1 == 2 and rc2 == 2 and kept and rc3 == 0 and dt3 < 10 and rc4 == 2 and said4 and rc5 == 2 and said5
            and rc6 == 0 and rss6 < 500 and 0 < size6 < 2 << 20 and rc7 == 0 and rss7 < 200 and got7 == (1, 1))
    report("7", held, f"--json symlink: exit {rc1}, FIFO: exit {rc2}, targets untouched: {kept}; folder with /dev/zero link + FIFO: exit {rc3} in {dt3:.1f} s ({rss3} MB); "
                      f"unclosed CSV quote: exit {rc4}, said {said4}; 1000 of 1001 lines garbage: exit {rc5}, said {said5}; "
                      f"2 M distinct agents: exit {rc6}, {rss6} MB peak, summary {size6 // 1024} KB in {dt6:.1f} s; "
                      f"200 MB CSV field: exit {rc7}, {rss7} MB peak, (replies, bad) = {got7} in {dt7:.1f} s")

# 8. Configs that crash or hang every front end.
def i_8():
    d = tempfile.mkdtemp(dir=WORK)
    figs, held = [], True
    for name, pattern in [("30000 nested (", "(" * 30000 + "a" + ")" * 30000), ("12 ~8 gaps", " ~8 ".join(["мы"] * 12 + ["вы"]))]:
        cfg = os.path.join(d, "apolint.toml")
        open(cfg, "w").write(f'[[phrase]]\npattern = "{pattern}"\nmessage = "m"\n')
        rc, dt, _, _, err = run_cli(["check", "--config", cfg, "-"], stdin=b"\xd0\xbc\xd1\x8b " * 2000, timeout=30)
        figs.append(f"{name}: exit {rc} in {dt:.2f} s")
        held &= rc == 2 and dt < 5
    # The language server beside that config: diagnostics, no crash.
    open(os.path.join(d, "apolint.toml"), "w").write(f'[[phrase]]\npattern = "{"(" * 30000 + "a" + ")" * 30000}"\nmessage = "m"\n')
    msgs = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "rootUri": f"file://{d}"}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": f"file://{d}/a.txt", "languageId": "plaintext", "version": 1, "text": "мы же"}}},
            {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, {"jsonrpc": "2.0", "method": "exit"}]
    rc, dt, _, _, _ = run_cli(["lsp"], stdin=frame(msgs), timeout=30)
    figs.append(f"lsp beside it: exit {rc}")
    held &= rc == 0
    # rule_dirs with a symlink loop.
    rules = os.path.join(d, "rules"); os.mkdir(rules); os.symlink(rules, os.path.join(rules, "loop"))
    cfg = os.path.join(d, "loop.toml"); open(cfg, "w").write('rule_dirs = ["rules"]\n')
    rc, dt, _, _, _ = run_cli(["check", "--config", cfg, "-"], stdin=b"hi", timeout=30)
    figs.append(f"rule_dirs symlink loop: exit {rc} in {dt:.2f} s")
    held &= rc is not None and dt < 5
    report("8", held, "; ".join(figs))

def frame(msgs, raw=b""):
    out = b""
    for m in msgs:
        b = json.dumps(m).encode(); out += b"Content-Length: %d\r\n\r\n" % len(b) + b
    return out + raw

# 9. Language server framing.
def i_9():
    init = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
            {"jsonrpc": "2.0", "method": "initialized", "params": {}}]
    figs, held = [], True
    for n in ["99999999999999", "8000000000"]:
        rc, dt, rss, _, _ = run_cli(["lsp"], stdin=frame(init, b"Content-Length: " + n.encode() + b"\r\n\r\n{}"), timeout=30)
        figs.append(f"Content-Length {n}: exit {rc}, {rss} MB, {dt:.2f} s")
        held &= rc == 2 and rss < 200
    rc, _, _, _, _ = run_cli(["lsp"], stdin=frame(init + [{"jsonrpc": "2.0", "method": "exit"}]), timeout=30)
    figs.append(f"exit without shutdown: exit {rc}")
    held &= rc == 1
    neg = init + [{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///tmp/a.txt", "languageId": "plaintext", "version": 1, "text": "hi"}}},
                  {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///tmp/a.txt", "version": 2}, "contentChanges": [{"range": {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 1}}, "text": "x"}]}},
                  {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, {"jsonrpc": "2.0", "method": "exit"}]
    rc, _, _, out, _ = run_cli(["lsp"], stdin=frame(neg), timeout=30)
    reported = b"window/showMessage" in out and b"invalid params" in out
    figs.append(f"negative position: {'reported' if reported else 'silent'}")
    held &= reported
    report("9", held, "; ".join(figs))

# 10. The smaller items.
def i_10():
    figs, held = [], True
    p = subprocess.run([BIN, "check", "--no-config", "--format", "jsonl"], input=b'{"text":"hi"}\n\n{"text":"hi"}\n', capture_output=True, timeout=20)
    n = len(p.stdout.splitlines()); figs.append(f"jsonl 3 lines -> {n} answers"); held &= n == 3
    tok = os.path.join(WORK, "token"); open(tok, "w").write("s3cret")
    s = Server("--token-file", tok, "--max-concurrent", "1")
    try:
        st, _ = post(s.port, "/v1/check/batch", b'{"drafts":[{"text":"hi"}],"extra":1}', {"Authorization": "Bearer s3cret"})
        figs.append(f"batch unknown key {st}"); held &= st == 400
        st, b = get(s.port, "/v1/check", method="GET", headers={"Authorization": "Bearer s3cret"})
        figs.append(f"405 body {len(b)} B"); held &= st == 405 and len(b) > 0
        st, _ = post(s.port, "/v1/check", b'{"text":"hi"}', {"Authorization": "bearer s3cret"})
        figs.append(f"lowercase bearer {st}"); held &= st == 200
        st, _ = post(s.port, "/v1/check", b'{"text":"hi"}', {"Authorization": "Bearer s3cret", "Content-Type": "text/plain"})
        figs.append(f"text/plain {st}"); held &= st == 415
        # /healthz while the one permit is held by a slow upload.
        c = socket.create_connection(("127.0.0.1", s.port))
        c.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(0.3)
        st, _ = get(s.port, "/healthz"); figs.append(f"healthz at max-concurrent {st}"); held &= st == 200
        c.close()
    finally:
        s.stop()
    # UTF-16 without a BOM: exit 2 with a pointed message.
    le = "We are sorry for the delay.".encode("utf-16-le")
    rc, _, _, out, err = run_cli(["check", "--no-config", "-"], stdin=le, timeout=20)
    figs.append(f"UTF-16 without BOM: exit {rc}"); held &= rc == 2 and b"without a byte-order mark" in err and not out
    # UTF-16 spans: offsets into the decoded UTF-8 text (as the README says).
    text = "Приносим свои извинения."
    bom16 = b"\xff\xfe" + text.encode("utf-16-le")
    rc, _, _, out, _ = run_cli(["check", "--no-config", "--format", "json", "-"], stdin=bom16, timeout=20)
    spans = [f["span"] for f in json.loads(out)["files"][0]["findings"]] if out else []
    ok = bool(spans) and all(text.encode()[sp["start"]:sp["end"]].decode(errors="strict") for sp in spans)
    figs.append(f"UTF-16 spans into decoded text: {ok}"); held &= ok
    # Duplicate keys in a batch.
    s = Server()
    try:
        st, b = post(s.port, "/v1/check/batch", b'{"drafts":[{"text":"a","text":"b"}]}')
        named = json.loads(b).get("field") == "text"
        figs.append(f"batch duplicate key {st} naming it: {named}"); held &= st == 400 and named
    finally:
        s.stop()
    # check DIR: unreadable subfolder named, symlinks said, one draft at a time.
    d = tempfile.mkdtemp(dir=WORK)
    drafts = os.path.join(d, "drafts"); os.makedirs(os.path.join(drafts, "sub"))
    os.symlink("/dev/zero", os.path.join(drafts, "z.txt"))
    for k in range(20):
        open(os.path.join(drafts, f"f{k:02}.txt"), "w").write("Спасибо за ожидание. " * 350_000)  # ~13 MB each
    rc, dt, rss, out, err = run_cli(["check", "--no-config", "--format", "short", drafts], timeout=300)
    said = b"skipping" in err and b"z.txt: a symbolic link" in err
    figs.append(f"check DIR of 20 x 13 MB: exit {rc}, {rss} MB peak in {dt:.1f} s, symlink said: {said}")
    held &= rc == 0 and rss < 250 and said
    os.chmod(os.path.join(drafts, "sub"), 0)
    if os.geteuid() != 0:
        rc, _, _, out, err = run_cli(["check", "--no-config", drafts], timeout=300)
        named = b"drafts/sub" in err
        figs.append(f"unreadable subfolder: exit {rc}, named: {named}"); held &= rc == 2 and named and not out
    else:
        figs.append("unreadable subfolder: not tried as root")
    os.chmod(os.path.join(drafts, "sub"), 0o755)
    shutil.rmtree(drafts)
    # JSONL export with a UTF-8 BOM; dates with month 13.
    exp = os.path.join(d, "bom.jsonl")
    open(exp, "wb").write(b"\xef\xbb\xbf" + b'{"text":"hi","date":"2026-13-01"}\n{"text":"ok","date":"2026-02-30"}\n')
    rc, _, _, out, _ = run_cli(["audit", "--quiet", "--no-config", exp], timeout=20)
    v = json.loads(out) if out else {}
    figs.append(f"BOM export: {v.get('replies')} replies, {v.get('bad_records')} bad; months {sorted(v.get('by_month', {}))}")
    held &= v.get("replies") == 2 and v.get("bad_records") == 0 and list(v.get("by_month", {})) == ["2026-02"]
    # synth-export.py --format csv --size-mb stops.
    t = time.time()
    here = os.environ.get("APOLINT_ROOT", ".")
    p = subprocess.run(["python3", os.path.join(here, "scripts/synth-export.py"), "--format", "csv", "--size-mb", "2", "--out", os.path.join(d, "s.csv")],
                       capture_output=True, timeout=60)
    size = os.path.getsize(os.path.join(d, "s.csv")) if os.path.exists(os.path.join(d, "s.csv")) else 0
    figs.append(f"synth-export csv --size-mb 2: {size / 1e6:.1f} MB in {time.time() - t:.1f} s"); held &= p.returncode == 0 and 1.9e6 < size < 2.2e6
    report("10", held, "; ".join(figs))

for f in [i_1, i_2, i_3, i_4, i_5, i_6, i_7, i_8, i_9, i_10]:
    item(f)
bad = results.count(False)
print(f"{len(results) - bad}/{len(results)} held", flush=True)
sys.exit(bad)
PY
