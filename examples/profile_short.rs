//! Profiling aid: checks the corpus drafts (short replies) in a loop.
//! `cargo run --release --example profile_short -- 20` then perf.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let linter = apolint_core::Linter::builtin().expect("rules");
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let mut drafts = Vec::new();
    for lang in ["ru", "en"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(lang)
            .join("drafts");
        for e in std::fs::read_dir(dir).expect("corpus").flatten() {
            drafts.push(std::fs::read_to_string(e.path()).expect("draft"));
        }
    }
    let bytes: usize = drafts.iter().map(String::len).sum();
    let started = std::time::Instant::now();
    let mut findings = 0;
    for _ in 0..rounds {
        for d in &drafts {
            findings += linter
                .check(d, &apolint_core::CheckOptions::default())
                .findings
                .len();
        }
    }
    let s = started.elapsed().as_secs_f64();
    let joined = drafts.join("\n\n");
    let t = std::time::Instant::now();
    let mut jf = 0;
    for _ in 0..rounds {
        jf += linter
            .check(&joined, &apolint_core::CheckOptions::default())
            .findings
            .len();
    }
    eprintln!(
        "joined: {:.0} MB/s, {} findings",
        (joined.len() * rounds) as f64 / t.elapsed().as_secs_f64() / 1e6,
        jf
    );
    eprintln!(
        "{} drafts × {rounds}: {:.1} µs per draft, {:.0} MB/s, {findings} findings",
        drafts.len(),
        s * 1e6 / (drafts.len() * rounds) as f64,
        (bytes * rounds) as f64 / s / 1e6
    );
}
