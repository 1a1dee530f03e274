//! Timing aid for issue #19: two builds of a command, run one after the
//! other in pairs (A B, then B A, …), and the difference within each pair.
//!
//! `cargo run --release --example paired_runs -- PAIRS BIN_A BIN_B [ARGS...]`
//!
//! On a shared VM whose speed drifts by 20% over minutes, means of separate
//! runs cannot tell builds 2% apart; the median of paired differences
//! can, since both runs of a pair see the same machine. Output goes to
//! /dev/null; the environment variable `PAIRED_B_ENV=NAME=VALUE` is set for
//! B only (to try a runtime setting against the same binary), and
//! `PAIRED_STDIN=FILE` is read by both on standard input (a draft piped in
//! is checked without a file to read beside the rules).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a tool: fail loudly

use std::process::{Command, Stdio};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pairs, a, b, rest @ ..] = &args[..] else {
        panic!("usage: paired_runs PAIRS BIN_A BIN_B [ARGS...]");
    };
    let pairs: usize = pairs.parse().expect("PAIRS is a number");
    let b_env = std::env::var("PAIRED_B_ENV").ok();
    let stdin = std::env::var_os("PAIRED_STDIN");
    let run = |bin: &str, env: Option<&str>| {
        let mut cmd = Command::new(bin);
        cmd.args(rest).stdout(Stdio::null()).stderr(Stdio::null());
        if let Some(file) = &stdin {
            cmd.stdin(std::fs::File::open(file).expect("PAIRED_STDIN opens"));
        }
        if let Some((name, value)) = env.and_then(|e| e.split_once('=')) {
            cmd.env(name, value);
        }
        let start = Instant::now();
        cmd.status().expect("the command runs");
        start.elapsed().as_secs_f64() * 1e3
    };
    let (mut ta, mut tb, mut diff) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        let (x, y) = if i % 2 == 0 {
            let x = run(a, None);
            (x, run(b, b_env.as_deref()))
        } else {
            let y = run(b, b_env.as_deref());
            (run(a, None), y)
        };
        ta.push(x);
        tb.push(y);
        diff.push(y - x);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let quartiles = |v: &Vec<f64>| (v[v.len() / 4], v[3 * v.len() / 4]);
    let (ma, mb, md) = (median(&mut ta), median(&mut tb), median(&mut diff));
    let (q1, q3) = quartiles(&diff);
    println!(
        "{pairs} pairs: A median {ma:.3} ms, B median {mb:.3} ms; B - A median {md:+.3} ms ({:+.1}%), quartiles {q1:+.3} / {q3:+.3} ms",
        100.0 * md / ma
    );
}
