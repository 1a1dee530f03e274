//! `apolint lsp` as an editor runs it: a real process spoken to over stdio
//! with real LSP messages (Content-Length framing, JSON-RPC), asserting the
//! exact diagnostic ranges the editor would draw.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

/// A language client driving one `apolint lsp` process.
struct Client {
    child: Child,
    to: ChildStdin,
    from: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for something else.
    backlog: Vec<Value>,
}

impl Client {
    fn start(cwd: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_apolint"))
            .arg("lsp")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn apolint lsp");
        let to = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut header = String::new();
                    if r.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(v) = header.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                r.read_exact(&mut body).expect("message body");
                let v: Value = serde_json::from_slice(&body).expect("server sent valid JSON");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            to,
            from: rx,
            next_id: 0,
            backlog: Vec::new(),
        }
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.to, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write");
        self.to.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        let m = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_raw(&m.to_string());
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let m = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(&m.to_string());
        self.wait_for(|m| m["id"] == id && m.get("method").is_none())
    }

    /// The next message (from the backlog first) matching `pred`.
    fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        loop {
            let m = self
                .from
                .recv_timeout(Duration::from_secs(20))
                .expect("server answered within 20 s");
            if pred(&m) {
                return m;
            }
            self.backlog.push(m);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r["error"].is_null(), "{r}");
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "apolint lsp exited with {status}");
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("apolint-lsp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir.canonicalize().expect("canonical temp dir")
}

fn file_uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn initialize(c: &mut Client, root: &Path, encodings: &[&str]) -> Value {
    let r = c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": file_uri(root),
            "capabilities": {
                "general": { "positionEncodings": encodings },
                "workspace": { "workspaceEdit": { "documentChanges": true, "resourceOperations": ["create"] } },
                "textDocument": { "publishDiagnostics": { "versionSupport": true } }
            },
            "initializationOptions": { "customerName": "Мария" }
        }),
    );
    c.notify("initialized", json!({}));
    r
}

/// (code, [start line, start char, end line, end char]) of each diagnostic.
fn ranges(diags: &[Value]) -> Vec<(String, [u64; 4])> {
    let mut v: Vec<(String, [u64; 4])> = diags
        .iter()
        .map(|d| {
            let r = &d["range"];
            let n = |v: &Value| v.as_u64().expect("number");
            (
                d["code"].as_str().expect("code").to_owned(),
                [
                    n(&r["start"]["line"]),
                    n(&r["start"]["character"]),
                    n(&r["end"]["line"]),
                    n(&r["end"]["character"]),
                ],
            )
        })
        .collect();
    v.sort();
    v
}

// Line 1 starts with an emoji (2 UTF-16 units, 4 bytes) so every range on it
// is off by one in code points and by three in bytes if counted wrong.
const DRAFT: &str = "Здравствуйте, Мария!\r\n😀 В настоящее время мы же вас предупреждали!!!\r\n";

#[test]
fn lsp_session_open_change_quick_fix_close_with_exact_utf16_ranges() {
    let dir = tempdir("session");
    let draft = dir.join("draft.txt");
    std::fs::write(&draft, DRAFT).expect("write draft");
    let uri = file_uri(&draft);
    let mut c = Client::start(&dir);
    let init = initialize(&mut c, &dir, &["utf-16"]);
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"],
        2
    );

    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": DRAFT}}),
    );
    let d = c.diagnostics(&uri);
    assert_eq!(
        ranges(&d),
        vec![
            ("any.shouting.exclamation-run".into(), [1, 44, 1, 47]),
            (
                "ru.bureaucratese.v-nastoyashchee-vremya".into(),
                [1, 3, 1, 20]
            ),
            (
                "ru.passive-aggression.zhe-posle-mestoimeniya".into(),
                [1, 21, 1, 26]
            ),
        ],
        "{d:#?}"
    );
    let shouting = d
        .iter()
        .find(|x| x["code"] == "any.shouting.exclamation-run")
        .expect("shouting");
    assert_eq!(shouting["severity"], 2);
    assert_eq!(shouting["source"], "apolint");
    assert_eq!(shouting["data"]["category"], "shouting");

    // Incremental edit: delete " же" (UTF-16 columns 23..26 of line 1).
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 1, "character": 23}, "end": {"line": 1, "character": 26}}, "text": ""}
        ]}),
    );
    let d = c.diagnostics(&uri);
    assert_eq!(
        ranges(&d),
        vec![
            ("any.shouting.exclamation-run".into(), [1, 41, 1, 44]),
            (
                "ru.bureaucratese.v-nastoyashchee-vremya".into(),
                [1, 3, 1, 20]
            ),
        ],
        "{d:#?}"
    );

    // Code actions at the cursor inside «В настоящее время».
    let r = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": 1, "character": 5}, "end": {"line": 1, "character": 5}},
               "context": {"diagnostics": []}}),
    );
    let actions = r["result"].as_array().expect("actions").clone();
    let fix = actions
        .iter()
        .find(|a| a["title"] == "apolint: replace with «Сейчас»")
        .unwrap_or_else(|| panic!("no quick fix in {actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    let edits = &fix["edit"]["changes"][&uri];
    assert_eq!(
        edits,
        &json!([{"range": {"start": {"line": 1, "character": 3}, "end": {"line": 1, "character": 20}}, "newText": "Сейчас"}])
    );
    let disable = actions
        .iter()
        .find(|a| {
            a["title"]
                == "apolint: disable rule ru.bureaucratese.v-nastoyashchee-vremya in apolint.toml"
        })
        .unwrap_or_else(|| panic!("no disable action in {actions:#?}"));
    let ops = disable["edit"]["documentChanges"]
        .as_array()
        .expect("document changes");
    assert_eq!(ops[0]["kind"], "create");
    assert_eq!(ops[0]["uri"], file_uri(&dir.join("apolint.toml")));
    assert_eq!(
        ops[1]["edits"][0]["newText"],
        "[rules]\ndisable = [\"ru.bureaucratese.v-nastoyashchee-vremya\"]\n"
    );

    // The editor applies the quick fix and sends it as a change.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": edits[0]["range"], "text": "Сейчас"}
        ]}),
    );
    let m = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
    });
    assert_eq!(m["params"]["version"], 3);
    let d = m["params"]["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        ranges(&d),
        vec![("any.shouting.exclamation-run".into(), [1, 30, 1, 33])],
        "{d:#?}"
    );

    // Hover on the shouting shows the rule's explanation.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 31}}),
    );
    let text = h["result"]["contents"]["value"]
        .as_str()
        .expect("hover markdown");
    assert!(text.contains("any.shouting.exclamation-run"), "{text}");
    assert_eq!(h["result"]["range"]["start"]["character"], 30);

    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());
    c.shutdown();
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let dir = tempdir("utf8");
    let uri = file_uri(&dir.join("draft.md"));
    let mut c = Client::start(&dir);
    let init = initialize(&mut c, &dir, &["utf-8", "utf-16"]);
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": DRAFT}}),
    );
    let d = c.diagnostics(&uri);
    // «😀 » is 5 bytes; «В настоящее время» is 32 bytes.
    assert!(
        ranges(&d).contains(&(
            "ru.bureaucratese.v-nastoyashchee-vremya".into(),
            [1, 5, 1, 37]
        )),
        "{d:#?}"
    );
    c.shutdown();
}

#[test]
fn broken_config_is_a_diagnostic_on_the_config_and_fixing_it_applies() {
    let dir = tempdir("config");
    let config = dir.join("apolint.toml");
    std::fs::write(
        &config,
        "[rules]\ndisable = [\"any.shouting.exclamation-rnu\"]\n",
    )
    .expect("write");
    let uri = file_uri(&dir.join("draft.txt"));
    let mut c = Client::start(&dir);
    initialize(&mut c, &dir, &[]);
    // Not a draft type: ignored (no diagnostics are published for it).
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": file_uri(&dir.join("main.rs")), "languageId": "rust", "version": 1, "text": "// Приносим свои извинения!!!"}}),
    );
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": "Спасибо!!!"}}),
    );
    let draft = c.diagnostics(&uri);
    assert_eq!(
        ranges(&draft),
        vec![("any.shouting.exclamation-run".into(), [0, 7, 0, 10])]
    );
    let conf = c.diagnostics(&file_uri(&config));
    assert_eq!(conf.len(), 1, "{conf:#?}");
    assert_eq!(conf[0]["severity"], 1);
    assert!(
        conf[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("exclamation-run"),
        "{conf:#?}"
    );
    assert_eq!(
        conf[0]["range"]["start"],
        json!({"line": 1, "character": 11})
    );

    // Malformed messages do not take the server down.
    c.send_raw(r#"{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"bogus": 1}}"#);
    let bad = c.request("textDocument/codeAction", json!({"nonsense": true}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");

    // Fix the config (a different size, so the change is seen even within
    // the file system's timestamp granularity) and save the draft.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(
        &config,
        "[rules]\ndisable = [\"any.shouting.exclamation-run\"]\n\n",
    )
    .expect("write");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&config), "type": 2}]}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(c.diagnostics(&file_uri(&config)), Vec::<Value>::new());
    assert!(
        c.backlog
            .iter()
            .all(|m| m["params"]["uri"] != file_uri(&dir.join("main.rs"))),
        "a non-draft document got diagnostics"
    );
    c.shutdown();
}
