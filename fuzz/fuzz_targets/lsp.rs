//! The language server driven over an in-memory connection by a generated
//! editor session: opens, ranged and whole edits at arbitrary positions
//! (past line ends, inside surrogate pairs), code actions, hovers, closes,
//! and notifications with arbitrary JSON params. No panic, no hang, and the
//! session ends cleanly with shutdown/exit.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

#[derive(Arbitrary, Debug)]
enum Op {
    Open { doc: u8, text: String, markdown: bool },
    Edit { doc: u8, from: (u8, u16), to: (u8, u16), text: String },
    Replace { doc: u8, text: String },
    CodeAction { doc: u8, at: (u8, u16) },
    Hover { doc: u8, at: (u8, u16) },
    Close { doc: u8 },
    Raw { method: u8, params: String },
    Cancel { id: i32 },
}

#[derive(Arbitrary, Debug)]
struct Session {
    utf8: bool,
    ops: Vec<Op>,
}

const METHODS: &[&str] = &[
    "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose", "textDocument/didSave",
    "workspace/didChangeConfiguration", "workspace/didChangeWatchedFiles", "$/cancelRequest",
    "textDocument/codeAction", "textDocument/hover", "unknown/method",
];

fn uri(doc: u8) -> String {
    format!("file:///apolint-fuzz-nonexistent/d{}.txt", doc % 4)
}

fn pos((line, ch): (u8, u16)) -> Value {
    json!({"line": line % 16, "character": ch % 300})
}

fuzz_target!(|s: Session| {
    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || apolint_lsp::serve(server));
    let mut next = 0i32;
    let mut request = |client: &Connection, method: &str, params: Value| {
        next += 1;
        let id = RequestId::from(next);
        client.sender.send(Request::new(id.clone(), method.to_owned(), params).into()).ok();
        // Wait for the answer (diagnostics may come first); a hang is a bug.
        loop {
            match client.receiver.recv_timeout(Duration::from_secs(10)) {
                Ok(Message::Response(r)) if r.id == id => return,
                Ok(_) => {}
                Err(e) => panic!("no answer to {method}: {e}"),
            }
        }
    };
    let encodings = if s.utf8 { json!(["utf-8"]) } else { json!(["utf-16"]) };
    request(&client, "initialize", json!({"capabilities": {"general": {"positionEncodings": encodings}}}));
    let notify = |client: &Connection, method: &str, params: Value| {
        client.sender.send(Notification::new(method.to_owned(), params).into()).ok();
    };
    notify(&client, "initialized", json!({}));
    let mut versions = [0i32; 4];
    for op in s.ops.into_iter().take(64) {
        match op {
            Op::Open { doc, text, markdown } => {
                versions[(doc % 4) as usize] += 1;
                notify(&client, "textDocument/didOpen", json!({"textDocument": {
                    "uri": uri(doc), "languageId": if markdown { "markdown" } else { "plaintext" },
                    "version": versions[(doc % 4) as usize], "text": text}}));
            }
            Op::Edit { doc, from, to, text } => {
                versions[(doc % 4) as usize] += 1;
                notify(&client, "textDocument/didChange", json!({
                    "textDocument": {"uri": uri(doc), "version": versions[(doc % 4) as usize]},
                    "contentChanges": [{"range": {"start": pos(from), "end": pos(to)}, "text": text}]}));
            }
            Op::Replace { doc, text } => {
                versions[(doc % 4) as usize] += 1;
                notify(&client, "textDocument/didChange", json!({
                    "textDocument": {"uri": uri(doc), "version": versions[(doc % 4) as usize]},
                    "contentChanges": [{"text": text}]}));
            }
            Op::CodeAction { doc, at } => request(&client, "textDocument/codeAction", json!({
                "textDocument": {"uri": uri(doc)}, "range": {"start": pos(at), "end": pos(at)},
                "context": {"diagnostics": []}})),
            Op::Hover { doc, at } => request(&client, "textDocument/hover", json!({
                "textDocument": {"uri": uri(doc)}, "position": pos(at)})),
            Op::Close { doc } => notify(&client, "textDocument/didClose", json!({"textDocument": {"uri": uri(doc)}})),
            Op::Raw { method, params } => {
                let m = METHODS[method as usize % METHODS.len()];
                let params = serde_json::from_str(&params).unwrap_or(Value::String(params));
                if m.ends_with("codeAction") || m.ends_with("hover") || m == "unknown/method" {
                    request(&client, m, params);
                } else {
                    notify(&client, m, params);
                }
            }
            Op::Cancel { id } => notify(&client, "$/cancelRequest", json!({"id": id})),
        }
    }
    request(&client, "shutdown", Value::Null);
    notify(&client, "exit", Value::Null);
    drop(client);
    let result = handle.join().expect("server thread panicked");
    assert!(result.is_ok(), "{result:?}");
});
