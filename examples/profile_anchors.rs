//! Profiling aid for issue #19: the same drafts checked with anchors found
//! by the interned vocabulary or by one Aho-Corasick pass.
//! `cargo run --release --example profile_anchors -- vocab|ac ROUNDS [FILE...]`
//! (no FILE: the 500 corpus drafts one by one). The first round builds the
//! automaton; run twice with different ROUNDS and subtract for the
//! per-round instruction count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a tool: fail loudly
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use apolint_core::{AnchorMode, CheckOptions, Linter};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = match args.next().as_deref() {
        Some("vocab") => AnchorMode::Vocab,
        Some("ac") => AnchorMode::Automaton,
        _ => panic!("usage: profile_anchors vocab|ac ROUNDS [FILE...]"),
    };
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let mut drafts: Vec<String> = args.map(|f| std::fs::read_to_string(f).unwrap()).collect();
    if drafts.is_empty() {
        for lang in ["ru", "en"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("corpus")
                .join(lang)
                .join("drafts");
            let files = apolint_core::files::draft_files(&dir).unwrap().files;
            drafts.extend(files.iter().map(|f| std::fs::read_to_string(f).unwrap()));
        }
    }
    let mut linter = Linter::builtin().expect("rules");
    linter.set_anchor_mode(mode);
    let opts = CheckOptions::default();
    let bytes: usize = drafts.iter().map(String::len).sum();
    let started = std::time::Instant::now();
    let mut findings = 0;
    for _ in 0..rounds {
        for d in &drafts {
            findings += linter.check(d, &opts).findings.len();
        }
    }
    let s = started.elapsed().as_secs_f64();
    eprintln!(
        "{mode:?}: {} drafts x {rounds}: {:.1} µs per draft, {:.1} MB/s, {findings} findings",
        drafts.len(),
        s * 1e6 / (drafts.len() * rounds) as f64,
        (bytes * rounds) as f64 / s / 1e6
    );
}
