//! Editor latency: from a keystroke's `didChange` leaving the editor to the
//! `publishDiagnostics` for that version arriving back, through the real
//! `apolint lsp` process over stdio, on a ~5 KB Russian and English draft.
//!
//! Run with `cargo bench --bench lsp`. Target (issue #4): median ≤ 5 ms.
//! Criterion's median is in target/criterion/lsp/didchange_to_diagnostics_5kb/new/estimates.json.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};

#[path = "../tests/support/lsp_client.rs"]
mod lsp_client;
use lsp_client::Client;

/// About 5 KB of corpus drafts, one after another.
fn draft_5kb() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut text = String::new();
    for (i, lang) in ["ru", "en"].iter().cycle().take(40).enumerate() {
        let f = root
            .join(lang)
            .join("drafts")
            .join(format!("{lang}-a{:03}.txt", i + 1));
        if let Ok(t) = std::fs::read_to_string(f) {
            text.push_str(&t);
            text.push('\n');
        }
        if text.len() >= 5 * 1024 {
            break;
        }
    }
    text
}

fn bench(c: &mut Criterion) {
    // Removed when the benchmark ends.
    let temp = tempfile::Builder::new()
        .prefix("apolint-lsp-bench-")
        .tempdir()
        .expect("temp dir");
    let dir = temp.path().canonicalize().expect("canonical temp dir");
    let text = draft_5kb();
    let lines = text.lines().count() as u64;
    let uri = format!("file://{}/draft.txt", dir.display());
    let mut client = Client::start(Path::new(env!("CARGO_BIN_EXE_apolint")), &dir);
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": format!("file://{}", dir.display()), "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}}),
    );
    let first = client.diagnostics(&uri);
    eprintln!(
        "draft: {} bytes, {lines} lines, {} diagnostics",
        text.len(),
        first.len()
    );
    let mut version = 1;
    // Each keystroke types one letter in the middle of the draft, then the
    // next one deletes it, so the text stays the same size.
    let mut keystroke = |client: &mut Client| -> Duration {
        version += 1;
        let line = lines / 2;
        let change = if version % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": "ж"})
        } else {
            json!({"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 1}}, "text": ""})
        };
        let start = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        let v = version;
        let m: Value = client.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == v
        });
        let elapsed = start.elapsed();
        assert!(m["params"]["diagnostics"].is_array());
        elapsed
    };
    let mut group = c.benchmark_group("lsp");
    group.bench_function("didchange_to_diagnostics_5kb", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| keystroke(&mut client)).sum())
    });
    group.finish();
    client.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
