//! The whole labelled corpus plus generated hostile drafts through every
//! front end — `check` on files, the `jsonl` stream, `hook`, the HTTP
//! service and the language server — with no panic and only the exit codes
//! and statuses each protocol defines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

mod support {
    pub mod lsp_client;
    pub mod temp;
}

/// Drafts meant to break things, by name.
fn hostile() -> Vec<(String, String)> {
    let mut v: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("only-newlines", "\n\r\n\r".repeat(1000)),
        (
            "nul-and-controls",
            "\0\u{1}\u{7}\u{1b}[31m\u{7f}".repeat(500),
        ),
        ("zhe-100k", "же ".repeat(100_000)),
        ("my-zhe-storm", "мы же ".repeat(20_000)),
        ("no-spaces-200k", "приносимизвинения".repeat(12_000)),
        (
            "emoji-zwj",
            "👨\u{200D}👩\u{200D}👧\u{FE0F}👍🏽".repeat(5_000),
        ),
        (
            "rtl-bidi",
            "\u{202E}Приносим\u{202C} \u{200F}извинения\u{2066}!!".repeat(2_000),
        ),
        (
            "combining",
            "П\u{301}\u{308}р\u{301}иносим и\u{301}звинения ".repeat(3_000),
        ),
        ("braces", "{{".repeat(50_000)),
        ("exclamations", "!?".repeat(100_000)),
        ("greetings", "Здравствуйте, Ольга! Hi Bob, ".repeat(10_000)),
        (
            "html-nest",
            format!(
                "{}Приносим извинения{}",
                "<div>".repeat(5_000),
                "</div>".repeat(5_000)
            ),
        ),
        (
            "html-broken",
            "<p><b>Мы же <i>вас</p> &amp &#0; &#xFFFFFF; <!-- --".repeat(2_000),
        ),
        (
            "md-quotes",
            format!("{}Мы же вас предупреждали", ">".repeat(10_000)),
        ),
        ("md-fences", "```\nПриносим извинения\n".repeat(3_000)),
        ("quote-storm", "«\"'„“”’".repeat(20_000)),
        ("signature-only", "-- \n".repeat(5_000)),
        ("bom", "\u{FEFF}Приносим свои извинения!!!".into()),
        ("replacement", "\u{FFFD}".repeat(10_000)),
        ("max-scalar", "\u{10FFFF}".repeat(10_000)),
    ];
    v.push(("long-line-1mb", "а".repeat(400_000)));
    v.into_iter().map(|(n, t)| (n.to_owned(), t)).collect()
}

fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        "corpus/ru/drafts",
        "corpus/en/drafts",
        "corpus-holdout/ru/drafts",
        "corpus-holdout/en/drafts",
        "corpus/samples",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for f in files {
            if let Ok(t) = std::fs::read_to_string(&f) {
                out.push((f.display().to_string(), t));
            }
        }
    }
    assert!(out.len() >= 600, "corpus not found ({} drafts)", out.len());
    out
}

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_apolint")
}

fn no_panic(stderr: &[u8]) {
    let s = String::from_utf8_lossy(stderr);
    assert!(
        !s.contains("panicked") && !s.contains("RUST_BACKTRACE"),
        "{s}"
    );
}

#[test]
fn check_on_files_and_the_jsonl_stream() {
    let dir = support::temp::TempDir::new("frontends");
    let drafts: Vec<(String, String)> = hostile().into_iter().chain(corpus()).collect();
    for (i, (_, text)) in drafts.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:04}.txt")), text).expect("write draft");
    }
    let out = Command::new(exe())
        .args(["check", "--no-config", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("run check");
    no_panic(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let checked = doc["files"].as_array().map_or(0, Vec::len);
    // Files with NUL bytes are skipped as binary, with a notice.
    let skipped = String::from_utf8_lossy(&out.stderr)
        .matches("binary file")
        .count();
    assert_eq!(checked + skipped, drafts.len());
    assert_eq!(skipped, 1);

    let mut child = Command::new(exe())
        .args(["check", "--no-config", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let lines: Vec<String> = drafts
        .iter()
        .enumerate()
        .map(|(i, (_, t))| json!({"id": i, "text": t, "customer_name": "Мария"}).to_string())
        .collect();
    let writer = std::thread::spawn(move || {
        for l in lines {
            writeln!(stdin, "{l}").expect("write request");
        }
    });
    let mut answers = 0;
    for (i, line) in BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .enumerate()
    {
        let v: Value = serde_json::from_str(&line.expect("line")).expect("json answer");
        assert_eq!(v["id"], i, "answers in request order");
        assert!(v.get("error").is_none(), "{v}");
        answers += 1;
    }
    writer.join().expect("writer");
    let mut err = Vec::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_end(&mut err)
        .expect("stderr");
    no_panic(&err);
    assert_eq!(child.wait().expect("wait").code(), Some(1));
    assert_eq!(answers, drafts.len());
}

#[test]
fn hook_on_hostile_drafts() {
    for (name, text) in hostile() {
        let mut child = Command::new(exe())
            .args(["hook", "--no-config"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hook");
        let req = json!({"text": text, "customer_name": "Maria"}).to_string();
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(req.as_bytes());
        });
        let out = child.wait_with_output().expect("hook output");
        writer.join().expect("writer");
        no_panic(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 3)),
            "{name}: {:?}",
            out.status
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("verdict JSON");
        assert!(
            ["send", "warn", "block"].contains(&v["verdict"].as_str().unwrap_or("")),
            "{name}: {v}"
        );
    }
}

#[test]
fn server_and_language_server_on_everything() {
    let drafts: Vec<(String, String)> = hostile().into_iter().chain(corpus()).collect();

    // HTTP service: every draft answered 200 by one running server.
    let mut server = Command::new(exe())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-config",
            "--no-access-log",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let mut log = BufReader::new(server.stderr.take().expect("stderr"));
    let mut first = String::new();
    log.read_line(&mut first).expect("start line");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .expect("listening address")
        .to_owned();
    for (name, text) in &drafts {
        let body = json!({"text": text, "customer_name": "Мария", "channel": "chat"}).to_string();
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(
            s,
            "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("response");
        assert!(
            resp.starts_with("HTTP/1.1 200"),
            "{name}: {}",
            &resp[..resp.len().min(300)]
        );
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let status = server.wait().expect("server exit");
    let mut rest = Vec::new();
    let _ = log.read_to_end(&mut rest);
    no_panic(&rest);
    assert_eq!(status.code(), Some(0));

    // Language server: open every draft, get diagnostics for each.
    let dir = std::env::temp_dir();
    let mut c = support::lsp_client::Client::start(Path::new(exe()), &dir);
    let r = c.request("initialize", json!({"processId": null, "capabilities": {}, "initializationOptions": {"customerName": "Мария"}}));
    assert!(r["result"]["capabilities"].is_object());
    c.notify("initialized", json!({}));
    for (i, (_, text)) in drafts.iter().enumerate() {
        let uri = format!("file:///apolint-frontends-nonexistent/{i}.txt");
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}}),
        );
        let d = c.diagnostics(&uri);
        for diag in &d {
            assert!(diag["range"]["start"]["line"].as_u64().is_some(), "{diag}");
        }
        c.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
        c.diagnostics(&uri);
    }
    c.shutdown();
}
