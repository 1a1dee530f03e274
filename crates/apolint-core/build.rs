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

#[path = "src/quote_header_hint.rs"]
mod quote_header_hint;

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
    write("builtin_vocab.bin", engine.vocab().to_bytes());
    // The known given names, as a table read in place (`NameIndex`).
    let names =
        apolint_rules::vocab::VocabTable::of_words(book.names.iter().flatten().map(String::as_str));
    write("builtin_names.bin", names.to_bytes());
    write(
        "builtin_name_groups.bin",
        postcard::to_stdvec(&book.names).expect("the name groups serialise"),
    );
    // The members of each group of unfiltered regexes (dates, times,
    // amounts) as dense DFAs, one after another at 8-byte boundaries, with
    // their byte ranges; start-up reads them in place.
    let mut blob: Vec<u8> = Vec::new();
    let mut index: Vec<Vec<matcher::MemberTest>> = Vec::new();
    for group in engine.member_patterns() {
        let mut tests = Vec::new();
        for pattern in group {
            tests.push(match member_dfa(pattern) {
                Some(bytes) => {
                    blob.resize(blob.len().next_multiple_of(8), 0);
                    let start = blob.len();
                    blob.extend_from_slice(&bytes);
                    matcher::MemberTest::Dfa(start as u32, blob.len() as u32)
                }
                None => match match_prefixes(pattern) {
                    Some(prefixes) => matcher::MemberTest::Prefixes(prefixes),
                    None => matcher::MemberTest::None,
                },
            });
        }
        index.push(tests);
    }
    write("builtin_member_dfas.bin", blob);
    // The reply-header hint as a DFA: compiling it as a regex at the first
    // line that ends in a colon cost 1.8M instructions (issue #19).
    write(
        "builtin_quote_header_hint.bin",
        member_dfa(quote_header_hint::QUOTE_HEADER_HINT).expect("the header hint is a small DFA"),
    );
    write(
        "builtin_member_dfas_index.bin",
        postcard::to_stdvec(&index).expect("the DFA index serialises"),
    );
    write(
        "builtin_book.bin",
        postcard::to_stdvec(&book).expect("the rule book serialises"),
    );
    // The same book without what a check does not read
    // (`RuleBook::strip_for_checking`): what a check with the built-in
    // rules decodes next to the engine.
    let mut lean = book;
    lean.strip_for_checking();
    write(
        "builtin_book_lean.bin",
        postcard::to_stdvec(&lean).expect("the rule book serialises"),
    );
}

/// A regex as a forward dense DFA (little-endian bytes), with the syntax
/// the `regex` crate gives it; `None` if it is over 512 KB (one of the
/// amount patterns is: it keeps compiling lazily at run time).
fn member_dfa(pattern: &str) -> Option<Vec<u8>> {
    use regex_automata::dfa::{dense, StartKind};
    use regex_automata::nfa::thompson;
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Unanchored)
                // Minimised at build time: 715 KB -> 475 KB of DFAs, and
                // reading them in place validates every transition.
                .minimize(true)
                .dfa_size_limit(Some(512 << 10))
                .determinize_size_limit(Some(8 << 20)),
        )
        .syntax(regex_automata::util::syntax::Config::new().nest_limit(64))
        .thompson(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
        .build(pattern)
        .ok()?;
    let (bytes, pad) = dfa.to_bytes_little_endian();
    Some(bytes[pad..].to_vec())
}

/// Literals one of which starts every match of `pattern` (regex-syntax's
/// prefix extraction: finite only when each match must begin with one), if
/// there are such literals and none is empty.
fn match_prefixes(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::Extractor;
    let hir = regex_syntax::ParserBuilder::new()
        .nest_limit(64)
        .build()
        .parse(pattern)
        .ok()?;
    let seq = Extractor::new().extract(&hir);
    let literals = seq.literals()?;
    let prefixes: Vec<String> = literals
        .iter()
        .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
        .collect::<Option<_>>()?;
    (!prefixes.is_empty() && prefixes.iter().all(|p| !p.is_empty())).then_some(prefixes)
}
