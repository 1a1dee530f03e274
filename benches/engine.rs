//! Engine benchmarks: rule loading and compilation, one short draft, ~1 MB
//! of mixed drafts, and the whole `apolint check` process on one draft.
//!
//! Run with `cargo bench --bench engine` (`-- scaling` for the 1 KB /
//! 100 KB / 10 MB linear-scaling group only). Targets (issue #2): ≥ 100 MB/s on
//! the 1 MB input, ≤ 2 ms to load and compile all rules, ≤ 10 ms for the
//! whole process on one short draft.

use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};

use apolint::{CheckOptions, Linter};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

// The same allocator as the `apolint` binary, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A letter-length draft of about 1 KB mixing good and bad Russian and
/// English sentences.
const DRAFT_1KB: &str = "Здравствуйте, Мария!\n\nПриносим свои извинения за задержку заказа. \
Мы же вас предупреждали, что в праздники доставка идёт дольше: по вине курьерской службы \
посылка задержалась на складе. Мы вернём деньги за доставку в ближайшее время.\n\n\
Hi John, we apologize for any inconvenience. As I already mentioned, the courier failed \
to deliver on time due to circumstances beyond our control. We will send a replacement \
as soon as possible.\n\nСпасибо, что дождались ответа. Если что-то пойдёт не так, \
напишите мне напрямую — я на связи до конца дня.\n\n-- \nАнна, служба поддержки";

/// About 1 MB of drafts: the labelled corpus (500 realistic help-desk
/// replies, good and bad, both languages), repeated as separate
/// paragraphs. A fixed input, so rule sets can be compared on it.
fn mixed_megabyte() -> String {
    let mut drafts: Vec<String> = vec![DRAFT_1KB.to_owned()];
    for lang in ["ru", "en"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(lang)
            .join("drafts");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        drafts.extend(files.iter().filter_map(|f| std::fs::read_to_string(f).ok()));
    }
    let mut text = String::with_capacity(1 << 20);
    'fill: loop {
        for d in &drafts {
            if text.len() >= 1 << 20 {
                break 'fill;
            }
            text.push_str(d);
            text.push_str("\n\n");
        }
    }
    text
}

fn benches(c: &mut Criterion) {
    let linter = Linter::builtin().expect("built-in rules load");
    let opts = CheckOptions::default();

    c.bench_function("load_and_compile_rules", |b| {
        b.iter(|| black_box(Linter::builtin().expect("rules")))
    });

    let mut g = c.benchmark_group("check");
    g.throughput(Throughput::Bytes(DRAFT_1KB.len() as u64));
    g.bench_function("draft_1kb", |b| {
        b.iter(|| black_box(linter.check(black_box(DRAFT_1KB), &opts)))
    });
    let big = mixed_megabyte();
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.sample_size(30);
    g.bench_function("mixed_1mb", |b| {
        b.iter(|| black_box(linter.check(black_box(&big), &opts)))
    });
    g.finish();

    // Linear scaling (issue #6): the same drafts at 1 KB, 100 KB and 10 MB;
    // time per byte should stay flat (throughput within a small factor).
    let mut s = c.benchmark_group("scaling");
    for (name, size) in [
        ("1kb", 1usize << 10),
        ("100kb", 100 << 10),
        ("10mb", 10 << 20),
    ] {
        let mut text = String::with_capacity(size + 4096);
        while text.len() < size {
            text.push_str(&big[..big.len().min(size - text.len() + 4096)]);
        }
        let mut cut = size.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        s.throughput(Throughput::Bytes(text.len() as u64));
        s.sample_size(if size > 1 << 20 { 10 } else { 30 });
        s.bench_function(name, |b| {
            b.iter(|| black_box(linter.check(black_box(&text), &opts)))
        });
    }
    s.finish();

    let exe = env!("CARGO_BIN_EXE_apolint");
    let mut p = c.benchmark_group("process");
    p.sample_size(50);
    p.bench_function("check_short_draft", |b| {
        b.iter(|| {
            let mut child = Command::new(exe)
                .args(["check", "--no-config", "--format", "json", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn apolint");
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin
                    .write_all("Приносим свои извинения. Мы же вас предупреждали!!!".as_bytes());
            }
            black_box(child.wait().expect("wait"))
        })
    });
    p.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
