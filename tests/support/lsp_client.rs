//! A minimal language client for `apolint lsp`, shared by the end-to-end
//! test and the latency benchmark: Content-Length framing, JSON-RPC ids,
//! a reader thread so that no wait can hang forever.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

/// A language client driving one `apolint lsp` process.
pub struct Client {
    child: Child,
    to: ChildStdin,
    from: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for something else.
    pub backlog: Vec<Value>,
}

impl Client {
    pub fn start(exe: &Path, cwd: &Path) -> Client {
        let mut child = Command::new(exe)
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

    /// Writes bytes as they are (several framed messages at once, say).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.to.write_all(bytes).expect("write");
        self.to.flush().expect("flush");
    }

    pub fn send_raw(&mut self, body: &str) {
        write!(self.to, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write");
        self.to.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let m = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_raw(&m.to_string());
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let m = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(&m.to_string());
        self.wait_for(|m| m["id"] == id && m.get("method").is_none())
    }

    /// The next message (from the backlog first) matching `pred`.
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
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
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r["error"].is_null(), "{r}");
        self.exit_after_shutdown();
    }

    /// Sends `exit` (after a `shutdown` already answered) and expects the
    /// server to end cleanly.
    pub fn exit_after_shutdown(mut self) {
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "apolint lsp exited with {status}");
    }
}
