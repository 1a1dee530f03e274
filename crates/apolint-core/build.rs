//! Compiles the built-in rule packs under the workspace's `rules/` at build
//! time, with `apolint-rules`' loader: the packs go through exactly the
//! checks user rule files get, and a broken built-in rule fails the build
//! with the same file:line:column error `apolint` would print. The
//! validated book is serialised for `src/builtin.rs` to decode at start-up.

use std::path::PathBuf;

use apolint_rules::RuleBook;

// The engine's own source: the engine compiled here is the one
// `Engine::compile` would build at start-up, by construction. Only
// `compile` and serialisation are used here.
#[allow(dead_code, unreachable_pub)]
#[path = "src/matcher.rs"]
mod matcher;

#[allow(clippy::expect_used, clippy::panic)] // a build script reports by panicking
fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    // Rule files are named relative to the workspace root (`rules/ru/…`),
    // as users see them in errors and in `apolint rules`.
    let root = manifest.join("../..");
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed={}", rules.display());
    let files =
        apolint_rules::book::rule_files(&rules).unwrap_or_else(|e| panic!("{}", e.render(false)));
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
    let book = RuleBook::from_sources(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap_or_else(|errors| {
            let shown: Vec<String> = errors.iter().map(|e| e.render(false)).collect();
            panic!("the built-in rule packs have errors:\n{}", shown.join("\n"))
        });
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let write = |name: &str, bytes: Vec<u8>| {
        std::fs::write(out_dir.join(name), bytes).unwrap_or_else(|e| panic!("write {name}: {e}"))
    };
    let engine = matcher::Engine::compile(&book);
    write(
        "builtin_engine.bin",
        postcard::to_stdvec(&engine).expect("the engine serialises"),
    );
    write(
        "builtin_book.bin",
        postcard::to_stdvec(&book).expect("the rule book serialises"),
    );
    // The same book without what only the engine reads (phrase patterns
    // and contexts, lexicon patterns): what a check with the built-in
    // rules decodes next to the engine.
    let mut lean = book;
    lean.strip_patterns();
    write(
        "builtin_book_lean.bin",
        postcard::to_stdvec(&lean).expect("the rule book serialises"),
    );
}
