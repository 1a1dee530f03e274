//! Profiling aid: checks one draft file N times with the built-in rules, so
//! that an instruction count (`valgrind --tool=callgrind`) or `perf record`
//! isolates the engine from reading files and printing.
//! `cargo run --release --example profile_draft -- draft.txt 200`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a tool: fail loudly
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: profile_draft FILE [ROUNDS]");
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let draft = std::fs::read_to_string(path).expect("a UTF-8 draft");
    let linter = apolint_core::Linter::builtin().expect("rules");
    let opts = apolint_core::CheckOptions::default();
    let mut findings = 0;
    for _ in 0..rounds {
        findings += linter.check(&draft, &opts).findings.len();
    }
    println!("{rounds} rounds, {findings} findings");
}
