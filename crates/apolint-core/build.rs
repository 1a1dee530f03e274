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

#[path = "src/digit_reach.rs"]
mod digit_reach;

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
    // Every regex as the forward and reverse dense DFAs that find its
    // matches, at 8-byte boundaries, with their byte ranges; start-up reads
    // them in place. The forward DFA of a member of a group of unfiltered
    // regexes (dates, times, amounts) is also its test for whether it
    // matches a line, and every line with a digit runs all of them: they
    // come first, side by side, so those tests touch few pages (laid out
    // between the reverse DFAs, they cost a short check 35 page faults).
    let mut blob: Vec<u8> = Vec::new();
    let mut store = |bytes: &[u8]| {
        blob.resize(blob.len().next_multiple_of(8), 0);
        let start = blob.len();
        blob.extend_from_slice(bytes);
        (start as u32, blob.len() as u32)
    };
    let patterns = engine.regex_patterns();
    let built: Vec<Option<(Vec<u8>, Vec<u8>)>> = patterns.iter().map(|p| span_dfas(p)).collect();
    let member_regexes = engine.member_regexes();
    let mut forward: Vec<Option<(u32, u32)>> = vec![None; patterns.len()];
    let members = member_regexes
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|&ri| match &built[ri] {
                    Some((bytes, _)) => {
                        let range = *forward[ri].get_or_insert_with(|| store(bytes));
                        matcher::MemberTest::Dfa(range.0, range.1)
                    }
                    None => match forward_dfa(patterns[ri]) {
                        Some(bytes) => {
                            let (start, end) = store(&bytes);
                            matcher::MemberTest::Dfa(start, end)
                        }
                        None => match match_prefixes(patterns[ri]) {
                            Some(prefixes) => matcher::MemberTest::Prefixes(prefixes),
                            None => matcher::MemberTest::None,
                        },
                    },
                })
                .collect()
        })
        .collect();
    // Per group, one set DFA of the members whose own "all matches" DFA
    // is small (see `matcher::MemberSetDfa`); a member whose DFA is too
    // big joins it as the prefixes one of which starts each of its
    // matches, the test it has on its own (`str::contains` of each, per
    // line, cost more than the whole set).
    let sets: Vec<Option<matcher::MemberSetDfa>> = member_regexes
        .iter()
        .map(|group| {
            let (mut members, mut joined) = (Vec::new(), Vec::new());
            for (k, &ri) in group.iter().enumerate() {
                let pattern = patterns[ri];
                let stand_in = if set_dfa(&[pattern], 1 << 20).is_some() {
                    pattern.to_owned()
                } else if let Some(part) = leading_part_with_digit(pattern) {
                    part
                } else if let Some(prefixes) = match_prefixes(pattern) {
                    let escaped: Vec<String> =
                        prefixes.iter().map(|p| regex_syntax::escape(p)).collect();
                    format!("(?:{})", escaped.join("|"))
                } else {
                    continue;
                };
                members.push(k as u32);
                joined.push(stand_in);
            }
            if members.len() < 2 {
                return None;
            }
            let joined: Vec<&str> = joined.iter().map(String::as_str).collect();
            let bytes = set_dfa(&joined, 8 << 20)?;
            Some(matcher::MemberSetDfa {
                dfa: store(&bytes),
                members,
                digit_windows: digit_reach::digit_bounds(&joined),
            })
        })
        .collect();
    let spans: Vec<Option<matcher::SpanAutomata>> = built
        .iter()
        .zip(&mut forward)
        .map(|(dfas, forward)| {
            let (fwd, rev) = dfas.as_ref()?;
            Some(matcher::SpanAutomata {
                forward: *forward.get_or_insert_with(|| store(fwd)),
                reverse: store(rev),
            })
        })
        .collect();
    // A regex too big for span DFAs keeps its forward and reverse NFAs,
    // which its light form and its lazy DFAs rebuild instead of compiling
    // (`matcher::LightRegex`, `matcher::StoredNfas`).
    let nfas: Vec<Option<matcher::SpanAutomata>> = built
        .iter()
        .zip(&patterns)
        .map(|(dfas, pattern)| {
            if dfas.is_some() {
                return None;
            }
            let (forward, reverse) = matcher::stored_nfas(pattern)?;
            Some(matcher::SpanAutomata {
                forward: store(&forward),
                reverse: store(&reverse),
            })
        })
        .collect();
    let index = matcher::RegexDfaIndex {
        spans,
        members,
        sets,
        nfas,
    };
    write("builtin_regex_dfas.bin", blob);
    // The reply-header hint as a DFA: compiling it as a regex at the first
    // line that ends in a colon cost 1.8M instructions (issue #19).
    write(
        "builtin_quote_header_hint.bin",
        forward_dfa(quote_header_hint::QUOTE_HEADER_HINT).expect("the header hint is a small DFA"),
    );
    write(
        "builtin_regex_dfas_index.bin",
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

/// The dense DFA settings of the stored regexes: the syntax the `regex`
/// crate gives them, no capture states, minimised (the member tests went
/// from 715 to 475 KB), and at most 512 KB each (a few placeholder and
/// amount patterns are over: they keep compiling at run time).
fn dense_config() -> regex_automata::dfa::dense::Config {
    regex_automata::dfa::dense::Config::new()
        .start_kind(regex_automata::dfa::StartKind::Unanchored)
        .minimize(true)
        .dfa_size_limit(Some(512 << 10))
        .determinize_size_limit(Some(8 << 20))
}

fn syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new().nest_limit(64)
}

fn thompson_config() -> regex_automata::nfa::thompson::Config {
    regex_automata::nfa::thompson::Config::new()
        .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
}

/// A regex as a forward dense DFA (little-endian bytes); `None` if it is
/// over the size limit or has what a DFA cannot match (a Unicode `\b`).
fn forward_dfa(pattern: &str) -> Option<Vec<u8>> {
    let dfa = regex_automata::dfa::dense::Builder::new()
        .configure(dense_config())
        .syntax(syntax_config())
        .thompson(thompson_config())
        .build(pattern)
        .ok()?;
    Some(dfa_bytes(&dfa))
}

/// `patterns` as one dense DFA that reports every pattern matching
/// somewhere (match kind "all", for overlapping searches), at most `limit`
/// bytes; `None` if it is bigger.
fn set_dfa(patterns: &[&str], limit: usize) -> Option<Vec<u8>> {
    let dfa = regex_automata::dfa::dense::Builder::new()
        .configure(
            dense_config()
                .match_kind(regex_automata::MatchKind::All)
                .dfa_size_limit(Some(limit))
                .determinize_size_limit(Some(4 * limit)),
        )
        .syntax(syntax_config())
        .thompson(thompson_config())
        .build_many(patterns)
        .ok()?;
    Some(dfa_bytes(&dfa))
}

/// A DFA's little-endian serialisation, without the alignment padding.
fn dfa_bytes(dfa: &regex_automata::dfa::dense::DFA<Vec<u32>>) -> Vec<u8> {
    let (bytes, pad) = dfa.to_bytes_little_endian();
    bytes[pad..].to_vec()
}

/// A regex as the forward and reverse dense DFAs of a
/// `regex_automata::dfa::regex::Regex` (little-endian bytes); `None` if
/// either is over the size limit or the pattern has what a DFA cannot
/// match (a Unicode `\b`).
fn span_dfas(pattern: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let regex = regex_automata::dfa::regex::Builder::new()
        .dense(dense_config())
        .syntax(syntax_config())
        .thompson(thompson_config())
        .build(pattern)
        .ok()?;
    Some((dfa_bytes(regex.forward()), dfa_bytes(regex.reverse())))
}

/// The longest leading part of `pattern`'s sequence whose "all
/// matches" DFA is small and every match of which holds an ASCII digit
/// ([`digit_reach`]), as a pattern: each match of `pattern` starts with
/// one of it, so it tells which lines the pattern may match, and the
/// set DFA it joins can walk only the bytes near digits. The amount
/// regex with `[^.!?\n]{0,40}` is such a part up to its digits.
fn leading_part_with_digit(pattern: &str) -> Option<String> {
    use regex_syntax::hir::{Hir, HirKind};
    let hir = digit_reach::parse(pattern)?;
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    (1..parts.len()).rev().find_map(|k| {
        let part = Hir::concat(parts[..k].to_vec());
        let text = part.to_string();
        (digit_reach::digit_bounds(&[&text]).is_some() && set_dfa(&[&text], 1 << 20).is_some())
            .then_some(text)
    })
}

/// Literals one of which starts every match of `pattern` (regex-syntax's
/// prefix extraction: finite only when each match must begin with one), if
/// there are such literals and none is empty.
fn match_prefixes(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::Extractor;
    let hir = digit_reach::parse(pattern)?;
    let seq = Extractor::new().extract(&hir);
    let literals = seq.literals()?;
    let prefixes: Vec<String> = literals
        .iter()
        .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
        .collect::<Option<_>>()?;
    (!prefixes.is_empty() && prefixes.iter().all(|p| !p.is_empty())).then_some(prefixes)
}
