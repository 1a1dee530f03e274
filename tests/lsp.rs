//! `apolint lsp` as an editor runs it: a real process spoken to over stdio
//! with real LSP messages (Content-Length framing, JSON-RPC), asserting the
//! exact diagnostic ranges the editor would draw.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

mod support {
    pub mod lsp_client;
    pub mod temp;
}
use support::lsp_client::Client;

fn start(cwd: &Path) -> Client {
    Client::start(Path::new(env!("CARGO_BIN_EXE_apolint")), cwd)
}

fn tempdir(name: &str) -> support::temp::TempDir {
    support::temp::TempDir::new(&format!("lsp-{name}"))
}

fn file_uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn initialize(c: &mut Client, root: &Path, encodings: &[&str]) -> Value {
    initialize_with(c, root, encodings, json!({ "customerName": "Мария" }))
}

fn initialize_with(c: &mut Client, root: &Path, encodings: &[&str], options: Value) -> Value {
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
            "initializationOptions": options
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
    let mut c = start(&dir);
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
    let mut c = start(&dir);
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
    let mut c = start(&dir);
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

    // Typing in the draft keeps the config's diagnostics up (they are
    // published again, never cleared, while the config is broken).
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "Спасибо!!! Ждём."}]}),
    );
    assert_eq!(c.diagnostics(&uri).len(), 1);
    assert_eq!(
        c.diagnostics(&file_uri(&config)).len(),
        1,
        "config diagnostics cleared while still broken"
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

/// A team's rule pack is read again when it changes, as `apolint.toml`
/// is: a new message shows at the next check, and a broken pack is a
/// diagnostic on the pack while the built-in rules go on.
#[test]
fn an_edited_rule_pack_is_read_again() {
    let dir = tempdir("pack-edit");
    std::fs::create_dir_all(dir.join("team")).expect("mkdir");
    std::fs::write(dir.join("apolint.toml"), "rule_dirs = [\"team\"]\n").expect("write");
    let pack = dir.join("team/p.toml");
    let rule = |message: &str| {
        format!(
            "[[rule]]\nid = \"team.cliche.zzqx\"\ncategory = \"cliche\"\nseverity = \"warning\"\n\
             message = \"{message}\"\nexplanation = \"e\"\npatterns = [\"zzqx\"]\n\
             fire = [\"zzqx\"]\nquiet = [\"zz\"]\n"
        )
    };
    std::fs::write(&pack, rule("first")).expect("write");
    let uri = file_uri(&dir.join("draft.txt"));
    let mut c = start(&dir);
    initialize(&mut c, &dir, &[]);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": "zzqx"}}),
    );
    let messages = |d: &[Value]| -> Vec<String> {
        d.iter()
            .map(|x| x["message"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(messages(&c.diagnostics(&uri)), ["first [cliche]"]);

    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&pack, rule("second, longer")).expect("write");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "zzqx."}]}),
    );
    assert_eq!(messages(&c.diagnostics(&uri)), ["second, longer [cliche]"]);

    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&pack, "[[rule]\nid = ").expect("write");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "zzqx!"}]}),
    );
    assert!(c.diagnostics(&uri).is_empty(), "the pack's rule is gone");
    let on_pack = c.diagnostics(&file_uri(&pack.canonicalize().expect("canonical")));
    assert_eq!(on_pack.len(), 1, "{on_pack:#?}");
    c.shutdown();
}

/// A document whose language id the settings switch off is no longer a
/// draft: its diagnostics are cleared, not left standing.
#[test]
fn switching_a_language_id_off_clears_its_diagnostics() {
    let dir = tempdir("language-ids");
    let uri = file_uri(&dir.join("draft.txt"));
    let mut c = start(&dir);
    initialize(&mut c, &dir, &[]);
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": "Простите!!! Мы всё исправим!!!"}}),
    );
    assert!(!c.diagnostics(&uri).is_empty());
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"apolint": {"languageIds": ["markdown"]}}}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());
    c.shutdown();
}

/// Settings the server cannot use are said, not dropped: an unknown key,
/// a wrong type, an unknown value. A name of the wrong type used to turn
/// the name check off without a word.
#[test]
fn settings_it_cannot_use_are_said() {
    let dir = tempdir("settings");
    let mut c = start(&dir);
    initialize(&mut c, &dir, &[]);
    let warned = |c: &mut Client, settings: Value, what: &str| {
        c.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": settings }),
        );
        let m = c.wait_for(|m| m["method"] == "window/showMessage");
        let text = m["params"]["message"].as_str().unwrap_or("").to_owned();
        assert!(text.contains(what), "{text}");
        assert_eq!(m["params"]["type"], 2, "a warning: {m}");
    };
    warned(
        &mut c,
        json!({"apolint": {"customerName": 42}}),
        "`customerName` must be a string",
    );
    warned(
        &mut c,
        json!({"apolint": {"languag": "en"}}),
        "unknown setting `languag`",
    );
    warned(
        &mut c,
        json!({"apolint": {"language": "de"}}),
        "unknown language `de`",
    );
    warned(
        &mut c,
        json!({"apolint": {"debounceMs": -5}}),
        "`debounceMs` must be a whole number",
    );
    // Another tool's settings, with nothing of apolint's, are not ours.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"otherTool": {"x": 1}}}),
    );
    warned(
        &mut c,
        json!({"apolint": {"situation": "angry"}}),
        "unknown situation `angry`",
    );
    c.shutdown();
}

/// Fast typing: a burst of keystrokes arrives at once. The server must end
/// on the newest text and publish versions in increasing order; with
/// `debounceMs` the whole burst costs exactly one check.
fn type_in_a_burst(debounce_ms: u64) -> Vec<u64> {
    let dir = tempdir(&format!("burst-{debounce_ms}"));
    let uri = file_uri(&dir.join("draft.txt"));
    let mut c = start(&dir);
    initialize_with(&mut c, &dir, &[], json!({ "debounceMs": debounce_ms }));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": ""}}),
    );
    assert_eq!(c.diagnostics(&uri), Vec::<Value>::new());
    let typed = "Мы же вас предупреждали!!! Приносим извинения";
    let mut burst = String::new();
    for (i, ch) in typed.chars().enumerate() {
        let m = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": i + 2},
            "contentChanges": [{"range": {"start": {"line": 0, "character": i}, "end": {"line": 0, "character": i}}, "text": ch.to_string()}]
        }})
        .to_string();
        burst.push_str(&format!("Content-Length: {}\r\n\r\n{}", m.len(), m));
    }
    c.send_bytes(burst.as_bytes());
    let last = typed.chars().count() as u64 + 1;
    let mut versions = Vec::new();
    let final_diags = loop {
        let m = c.wait_for(|m| m["method"] == "textDocument/publishDiagnostics");
        let v = m["params"]["version"].as_u64().expect("version");
        versions.push(v);
        if v == last {
            break m["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
    };
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let codes: Vec<String> = ranges(&final_diags).into_iter().map(|(c, _)| c).collect();
    assert!(
        codes.contains(&"ru.cliche.prinosim-izvineniya".to_owned()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"ru.passive-aggression.zhe-posle-mestoimeniya".to_owned()),
        "{codes:?}"
    );
    c.shutdown();
    versions
}

#[test]
fn a_burst_of_keystrokes_ends_on_the_newest_text() {
    let versions = type_in_a_burst(0);
    eprintln!("44 keystrokes in one burst → {} publishes", versions.len());
}

#[test]
fn with_debounce_a_burst_of_keystrokes_is_checked_once() {
    assert_eq!(type_in_a_burst(500), vec![46]);
}

/// A request cancelled while it is still queued is answered with
/// RequestCancelled (-32800) instead of being worked on; `languages`
/// restricts the rules to one language.
#[test]
fn queued_requests_can_be_cancelled_and_languages_option_applies() {
    let dir = tempdir("cancel");
    let uri = file_uri(&dir.join("draft.txt"));
    let mut c = start(&dir);
    // The debounce window holds the batch open, so the cancel is sure to
    // arrive while the request is still queued.
    initialize_with(
        &mut c,
        &dir,
        &[],
        json!({ "debounceMs": 300, "languages": ["en"] }),
    );
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
               "text": "Приносим свои извинения. We apologize for any inconvenience."}}),
    );
    let codes: Vec<String> = ranges(&c.diagnostics(&uri))
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(codes.iter().all(|c| !c.starts_with("ru.")), "{codes:?}");
    assert!(
        codes.iter().any(|c| c.starts_with("en.cliche.")),
        "{codes:?}"
    );
    let req = json!({"jsonrpc": "2.0", "id": 99, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": []}}})
    .to_string();
    let cancel =
        json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 99}}).to_string();
    c.send_bytes(
        format!(
            "Content-Length: {}\r\n\r\n{}Content-Length: {}\r\n\r\n{}",
            req.len(),
            req,
            cancel.len(),
            cancel
        )
        .as_bytes(),
    );
    let r = c.wait_for(|m| m["id"] == 99);
    assert_eq!(r["error"]["code"], -32800, "{r}");
    c.shutdown();
}

/// A client that sends garbage gets a clear error and exit status 2, not a
/// panic or a hang.
#[test]
fn garbage_on_stdin_ends_with_a_clear_error() {
    for (input, expect) in [
        (&b"garbage\r\n\r\n"[..], "malformed header"),
        // Allocated before reading: aborted the process, or took 1.8 GB.
        (
            &b"Content-Length: 99999999999999\r\n\r\n{}"[..],
            "over the limit",
        ),
    ] {
        let out = run_lsp_on(input);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expect), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// `apolint lsp` run on `input` as its whole stdin.
fn run_lsp_on(input: &[u8]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_apolint"))
        .arg("lsp")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(input)?;
            child.wait_with_output()
        })
        .expect("run apolint lsp")
}

/// `messages`, each framed with its `Content-Length`.
fn framed(messages: &[&str]) -> Vec<u8> {
    messages
        .iter()
        .map(|m| format!("Content-Length: {}\r\n\r\n{m}", m.len()))
        .collect::<String>()
        .into_bytes()
}

/// A well-framed message that is not JSON-RPC, or text that is not UTF-8
/// (Neovim sends a buffer's bad bytes as they are), is answered and the
/// session goes on: one such message used to end the server, and every
/// open buffer lost its diagnostics without a word.
#[test]
fn unreadable_messages_are_answered_and_the_session_goes_on() {
    let dir = tempdir("unreadable");
    let uri = file_uri(&dir.join("draft.txt"));
    let mut c = start(&dir);
    initialize(&mut c, &dir, &[]);
    let shown = |c: &mut Client, what: &str| {
        let m = c.wait_for(|m| {
            m["method"] == "window/showMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|t| t.contains(what))
        });
        assert_eq!(m["params"]["type"], 2, "a warning: {m}");
    };
    c.send_raw("{bad}");
    shown(&mut c, "not JSON");
    c.send_raw("[1, 2]");
    shown(&mut c, "not a JSON-RPC message");
    // With an id: the error goes back to that request.
    c.send_raw(r#"{"jsonrpc": "2.0", "id": 41, "method": 5}"#);
    let r = c.wait_for(|m| m["id"] == 41);
    assert_eq!(r["error"]["code"], -32600, "{r}");
    let open = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"{uri}","languageId":"plaintext","version":1,"text":"Hello Maria, \xff\xfe We apologize for any inconvenience caused!!!"}}}}}}"#
    );
    let mut body = open.into_bytes();
    let bad = body.iter().position(|&b| b == b'\\').expect("escape");
    body.splice(bad..bad + 8, [0xff, 0xfe]);
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend(body);
    c.send_bytes(&framed);
    shown(&mut c, "not UTF-8");
    let codes: Vec<String> = ranges(&c.diagnostics(&uri))
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    assert!(
        codes.contains(&"any.shouting.exclamation-run".to_owned()),
        "{codes:?}"
    );
    c.shutdown();
}

/// The lifecycle's edges, as the protocol has them: a second `initialize`
/// and a request after `shutdown` are refused (the server stays up for
/// `exit`); `exit` before `initialize` exits 1; a closed stdin after
/// `shutdown` is a clean end.
#[test]
fn lifecycle_edges_are_answered_as_the_protocol_asks() {
    let dir = tempdir("lifecycle");
    let mut c = start(&dir);
    initialize(&mut c, &dir, &[]);
    let again = c.request("initialize", json!({"capabilities": {}}));
    assert_eq!(again["error"]["code"], -32600, "{again}");
    let r = c.request("shutdown", Value::Null);
    assert!(r["error"].is_null(), "{r}");
    let late = c.request("textDocument/hover", json!({}));
    assert_eq!(late["error"]["code"], -32600, "{late}");
    c.exit_after_shutdown();

    let run = |messages: &[&str]| run_lsp_on(&framed(messages));
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    let out = run(&[r#"{"jsonrpc":"2.0","method":"exit"}"#]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[init, r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Garbage before `initialize`: logged, and nothing is sent before the
    // initialize result (the protocol forbids it); with an id, the
    // request gets "not initialized".
    let out = run(&["{bad}", r#"{"id": 7, "method": 5}"#, init]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.split("\r\n\r\n").nth(1).unwrap_or("");
    assert!(
        first.contains(r#""code":-32002"#) && first.contains(r#""id":7"#),
        "{stdout}"
    );
    assert!(!stdout.contains("showMessage"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not JSON"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `exit` without `shutdown` first: exit code 1, as the protocol asks.
#[test]
fn exit_without_shutdown_exits_1() {
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    let initialized = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
    let exit = r#"{"jsonrpc":"2.0","method":"exit"}"#;
    let out = run_lsp_on(&framed(&[init, initialized, exit]));
    assert_eq!(out.status.code(), Some(1));
}

/// Issue #18 in the editor: one information note at the draft's start
/// names the missing parts; none for a complete reply, none once
/// `[structure] editor = false`.
#[test]
fn structure_note_at_the_start_names_what_is_missing_and_can_be_switched_off() {
    let dir = tempdir("structure");
    let uri = file_uri(&dir.join("reply.txt"));
    // A fresh server (it reads apolint.toml anew) on a reply with no date.
    let diagnostics_of_reply = || {
        let mut c = start(&dir);
        initialize(&mut c, &dir, &["utf-16"]);
        c.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                "text": "Hi Sam,\n\nSorry your parcel arrived late. We will send a new one.\n"}}),
        );
        let d = c.diagnostics(&uri);
        c.shutdown();
        d
    };
    let d = diagnostics_of_reply();
    let note = d
        .iter()
        .find(|d| d["code"] == "structure")
        .unwrap_or_else(|| panic!("no structure note: {d:#?}"));
    assert_eq!(note["severity"], 3, "{note}");
    assert_eq!(note["range"]["start"], json!({"line": 0, "character": 0}));
    let message = note["message"].as_str().unwrap();
    assert!(
        message.contains("missing") && message.contains("deadline"),
        "{message}"
    );
    assert!(!message.contains("greeting"), "{message}");

    std::fs::write(dir.join("apolint.toml"), "[structure]\neditor = false\n").unwrap();
    let d = diagnostics_of_reply();
    assert!(d.iter().all(|d| d["code"] != "structure"), "{d:#?}");
}
