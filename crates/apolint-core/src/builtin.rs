//! The built-in rule packs, compiled at build time.
//!
//! `build.rs` loads every file under the workspace's `rules/` with the same
//! loader users' rule files go through (so a broken built-in rule fails the
//! build with a pointed error), compiles the book into the matching engine
//! with the engine's own code, and stores the book, the engine, and the
//! book without its patterns in a compact binary form. A check with the
//! built-in rules decodes the engine and the lean book instead of decoding
//! every pattern and compiling them: that was most of a short
//! `apolint check` (issue #19).

use std::sync::Arc;

use apolint_rules::vocab::VocabTable;
use apolint_rules::{FileError, RuleBook};

use crate::matcher::Engine;

/// The serialised built-in book (postcard).
static BOOK: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_book.bin"));

/// The same book without what a check does not read ([`RuleBook::strip_for_checking`]).
static LEAN_BOOK: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_book_lean.bin"));

/// The engine compiled from [`BOOK`].
static ENGINE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_engine.bin"));

/// Bytes aligned for reading tables of `u32`s in place (DFAs, vocabulary
/// and name tables).
#[repr(C)]
struct Aligned<B: ?Sized> {
    _align: [u64; 0],
    bytes: B,
}

/// A file `build.rs` wrote into `OUT_DIR`, embedded [`Aligned`].
macro_rules! aligned_blob {
    ($file:literal) => {
        &Aligned {
            _align: [],
            bytes: *include_bytes!(concat!(env!("OUT_DIR"), "/", $file)),
        }
    };
}

/// The engine's vocabulary, read in place ([`apolint_rules::vocab::VocabTable::from_static`]).
static VOCAB: &Aligned<[u8]> = aligned_blob!("builtin_vocab.bin");

/// The built-in book's given names, as a table read in place.
static NAMES: &Aligned<[u8]> = aligned_blob!("builtin_names.bin");

/// The engine's regexes as dense DFAs (forward and reverse per regex).
static REGEX_DFAS: &Aligned<[u8]> = aligned_blob!("builtin_regex_dfas.bin");

/// The reply-header hint (`quote_header_hint`) as a dense DFA.
static QUOTE_HEADER_HINT: &Aligned<[u8]> = aligned_blob!("builtin_quote_header_hint.bin");

/// The reply-header hint's DFA, read in place (and validated: it is
/// small); `None` if it does not read, and then no line is ruled out.
pub fn quote_header_hint() -> Option<regex_automata::dfa::dense::DFA<&'static [u32]>> {
    regex_automata::dfa::dense::DFA::from_bytes(&QUOTE_HEADER_HINT.bytes)
        .ok()
        .map(|(dfa, _)| dfa)
}

/// Where each regex's DFAs are in [`REGEX_DFAS`], and each member test's.
static REGEX_DFAS_INDEX: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/builtin_regex_dfas_index.bin"));

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Vec<FileError>> {
    postcard::from_bytes(bytes).map_err(|e| unreadable(&format!("{what}: {e}")))
}

/// The error of a built-in blob that does not read back.
fn unreadable(what: &str) -> Vec<FileError> {
    vec![FileError::new(
        "built-in rules",
        &Arc::from(""),
        0..0,
        format!("cannot decode the built-in {what} (rebuild apolint)"),
    )]
}

/// The built-in packs.
pub fn book() -> Result<RuleBook, Vec<FileError>> {
    decode(BOOK, "rule book")
}

/// The built-in packs without what a check does not read (patterns, rule
/// documentation, name groups): only valid with [`engine`], which holds
/// the patterns compiled, [`names`] and [`name_groups`].
pub fn lean_book() -> Result<RuleBook, Vec<FileError>> {
    decode(LEAN_BOOK, "rule book")
}

/// The built-in book's name groups (postcard), which the lean book leaves out.
static NAME_GROUPS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/builtin_name_groups.bin"));

/// The built-in book's name groups.
pub fn name_groups() -> Result<Vec<Vec<String>>, Vec<FileError>> {
    decode(NAME_GROUPS, "name groups")
}

/// The given names of the built-in book's name groups, as a lookup table
/// (`NameIndex::builtin`).
pub fn names() -> Result<VocabTable, Vec<FileError>> {
    VocabTable::from_static(&NAMES.bytes).ok_or_else(|| unreadable("names"))
}

/// The engine compiled from [`book`] at build time, with its regex
/// groups' DFAs.
pub fn engine() -> Result<Engine, Vec<FileError>> {
    // The phrases' encodings are borrowed from ENGINE, not copied.
    let mut engine: Engine = crate::matcher::decode_lending(ENGINE, |blob| decode(blob, "engine"))?;
    let vocab = VocabTable::from_static(&VOCAB.bytes).ok_or_else(|| unreadable("vocabulary"))?;
    engine.set_vocab(vocab);
    let index: crate::matcher::RegexDfaIndex = decode(REGEX_DFAS_INDEX, "regex index")?;
    // SAFETY: REGEX_DFAS is what build.rs wrote with `to_bytes_*` for
    // this index.
    unsafe { engine.attach_regex_dfas(&REGEX_DFAS.bytes, &index) };
    Ok(engine)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    /// What a check decodes lacks the explanations and examples; the
    /// linter's rules have them back, the same as the full book's.
    #[test]
    fn the_built_in_linter_serves_the_documentation_the_lean_book_leaves_out() {
        let full = super::book().unwrap();
        let lean = super::lean_book().unwrap();
        assert!(lean
            .rules
            .iter()
            .all(|r| r.fire.is_empty() && r.quiet.is_empty() && r.explanation.is_empty()));
        let linter = crate::Linter::builtin().unwrap();
        assert!(linter.book().rules.iter().all(|r| r.fire.is_empty()));
        let rules = linter.rules();
        assert_eq!(rules.len(), full.rules.len());
        for (got, want) in rules.iter().zip(&full.rules) {
            assert_eq!(got.id, want.id);
            assert!(
                !got.fire.is_empty() && !got.explanation.is_empty(),
                "{}",
                got.id
            );
            assert_eq!(
                (&got.fire, &got.quiet),
                (&want.fire, &want.quiet),
                "{}",
                got.id
            );
            assert_eq!(
                (&got.message, &got.explanation),
                (&want.message, &want.explanation)
            );
        }
    }

    /// Each word of the stored vocabulary carries the prefixes its key
    /// lookup finds, in the same order (what a draft's tokens get).
    #[test]
    fn the_stored_vocabulary_gives_each_word_its_prefixes() {
        let engine = super::engine().unwrap();
        let vocab = engine.vocab();
        assert!(vocab.word_count() > 3000, "{}", vocab.word_count());
        let (mut with_prefixes, mut one_token) = (0, 0);
        for (word, id) in vocab.words() {
            let mut found = Vec::new();
            vocab.for_each_prefix(word, |p| found.push(p));
            // Words of several tokens ("e-mail") are never one token's text.
            let line = apolint_rules::segment::Line::tokenize(word, 0, word.len());
            if let [token] = &line.tokens[..] {
                let ids = vocab.resolve(word, std::slice::from_ref(token));
                assert_eq!(
                    (ids.words[0], ids.prefixes_of(0)),
                    (id, &found[..]),
                    "{word}"
                );
                with_prefixes += usize::from(!found.is_empty());
                one_token += 1;
            }
        }
        assert!(one_token * 10 > vocab.word_count() * 9, "{one_token}");
        assert!(with_prefixes > 100, "{with_prefixes}");
    }

    /// The stored table of given names is the one the groups make.
    #[test]
    fn the_stored_names_table_knows_every_built_in_name() {
        use apolint_rules::vocab::NO_WORD;
        let book = super::book().unwrap();
        assert_eq!(super::name_groups().unwrap(), book.names);
        assert!(super::lean_book().unwrap().names.is_empty());
        let stored = super::names().unwrap();
        let built = super::VocabTable::of_words(book.names.iter().flatten().map(String::as_str));
        assert!(stored.word_count() > 500, "{}", stored.word_count());
        assert_eq!(stored.word_count(), built.word_count());
        for name in book.names.iter().flatten() {
            assert_ne!(stored.word_id(name), NO_WORD, "{name}");
            assert_eq!(stored.word_id(name), built.word_id(name), "{name}");
        }
        for word in ["спасибо", "thanks", "", "мари"] {
            assert_eq!(stored.word_id(word), NO_WORD, "{word}");
        }
    }
}
