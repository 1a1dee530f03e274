//! Compiles the built-in rule packs under `rules/` at build time.
//!
//! The rule loader's own modules are included here, so the packs go through
//! exactly the checks user rule files get; a broken built-in rule fails the
//! build with the same file:line:column error `apolint` would print. The
//! validated book is serialised for `src/builtin.rs` to decode at start-up.

#![allow(dead_code, unused_imports)]

#[path = "src/diagnostics.rs"]
mod diagnostics;
#[path = "src/normalize.rs"]
mod normalize;
#[path = "src/pattern.rs"]
mod pattern;
#[path = "src/rules.rs"]
mod rules;
#[path = "src/segment.rs"]
mod segment;
#[path = "src/vocab.rs"]
mod vocab;

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=rules");
    for m in [
        "diagnostics",
        "normalize",
        "pattern",
        "rules",
        "segment",
        "vocab",
    ] {
        println!("cargo:rerun-if-changed=src/{m}.rs");
    }
    let mut files = Vec::new();
    collect(&root.join("rules"), &mut files);
    files.sort();
    let mut sources = Vec::new();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        sources.push((name, text));
    }
    let book = rules::RuleBook::from_sources(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap_or_else(|errors| {
            let shown: Vec<String> = errors.iter().map(|e| e.render(false)).collect();
            panic!("the built-in rule packs have errors:\n{}", shown.join("\n"))
        });
    let bytes = postcard::to_stdvec(&book).expect("the rule book serialises");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("builtin_book.bin"), bytes).expect("write builtin_book.bin");
}
