//! Stage 4: matches.
//!
//! Phrase patterns are anchored on one word (or prefix) each. Every word of
//! a line is looked up once in the patterns' vocabulary ([`apolint_rules::vocab`]);
//! a word some phrase is anchored on has that phrase verified around it,
//! on the interned ids of the line's tokens. Regexes run only on lines
//! where one of their literals occurs (found by its rarest byte) or, for those
//! with none, on the lines of their character classes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use apolint_rules::book::{Context, RegexSpec, RuleBook, RuleKind, RuleLang};
use apolint_rules::normalize::Normalized;
use apolint_rules::pattern::{
    compile, compile_anchored, first_literals, CElem, Dir, Elem, Matcher, TokenSet, Variant,
};
use apolint_rules::segment::{is_sentence_end, script_of, Language, Line, Script, SENTENCE_WINDOW};
use apolint_rules::vocab::{TokenIds, Vocab, VocabTable, NO_WORD};

/// How a member of a regex group is ruled out on a line before its regex
/// is compiled, as `build.rs` stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum MemberTest {
    /// A forward dense DFA: the byte range of it in the blob.
    Dfa(u32, u32),
    /// Every match starts with one of these (the DFA would be too big).
    Prefixes(Vec<String>),
    /// Nothing known: the member always runs.
    None,
}

/// A regex as the two automata that find its matches' spans (the forward
/// one finds where a match ends, the reverse one where it starts): byte
/// ranges of the blob `build.rs` writes. [`RegexDfaIndex`] says which kind
/// each holds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SpanAutomata {
    /// The forward automaton (unanchored).
    pub forward: (u32, u32),
    /// The reverse automaton.
    pub reverse: (u32, u32),
}

/// What `build.rs` stores beside the blob of DFAs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegexDfaIndex {
    /// Per regex, in [`Engine::regex_patterns`] order: its span DFAs, if
    /// both are under the size limit (dense; the forward one
    /// leftmost-first, also the member test; the reverse one anchored).
    pub spans: Vec<Option<SpanAutomata>>,
    /// Per group of regexes with no literals, per member: how the member is
    /// ruled out on a line ([`Engine::member_regexes`] order).
    pub members: Vec<Vec<MemberTest>>,
    /// Per group: one dense DFA telling which of most of its members match
    /// a line, if it could be built.
    pub sets: Vec<Option<MemberSetDfa>>,
    /// Per regex, in [`Engine::regex_patterns`] order: for one without span
    /// DFAs, its forward and reverse NFAs ([`encode_nfa`]; the forward one
    /// with implicit captures, the reverse one without, shrunk:
    /// [`stored_nfas`]), so that its light form and its lazy DFAs
    /// are rebuilt rather than compiled.
    pub nfas: Vec<Option<SpanAutomata>>,
}

/// One dense DFA (match kind "all", searched for overlapping matches) of
/// the members of a group whose own such DFAs are small: which of them
/// match a line, in one pass, with nothing to compile at run time. A
/// member whose DFA is too big is in it as its [`MemberTest::Prefixes`]
/// (found: it may match). The
/// lazy [`MemberSet`] of the built-in date, time and amount regexes spent
/// more on building its states (1,973 of them, 20 M instructions) than on
/// searching the 680 KB of digit lines of the 1 MB English peer file; of
/// its 21 members, the one with `[^.!?\n]{0,40}` alone makes a dense DFA
/// over 256 MB, and the other 20 make one of ~1 MB (issue #19).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberSetDfa {
    /// The DFA: a byte range of the blob.
    pub dfa: (u32, u32),
    /// The group's members (their indexes in it, ascending) it tests, in
    /// pattern order.
    pub members: Vec<u32>,
    /// If every match of every pattern holds an ASCII digit, how far
    /// matches reach from their digits (`build.rs` reads it from the
    /// patterns' syntax): the DFA then walks only the bytes near a
    /// line's digits ([`digit_windows`]).
    pub digit_windows: Option<DigitWindows>,
}

/// How far the matches of a set of regexes reach from their digits: each
/// holds an ASCII digit, at most `before` other bytes before its first,
/// `after` after its last, and `between` between two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitWindows {
    /// The most bytes before a match's first digit.
    pub before: u32,
    /// The most bytes after a match's last digit.
    pub after: u32,
    /// The most bytes between two digits of a match.
    pub between: u32,
}

/// Who a match belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Owner {
    /// A reporting rule (index into the rule book).
    Rule(u32),
    /// A lexicon (tag id).
    Tag(u32),
}

/// An [`Owner`] in one number, ordered as the owners are: a rule's index,
/// or a lexicon's with the top bit set. It keeps a [`RawMatch`] at 16
/// bytes instead of 20; a megabyte's ~60,000 matches are copied three
/// times into fresh memory on the way to the findings (issue #19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PackedOwner(u32);

impl PackedOwner {
    const TAG: u32 = 1 << 31;

    /// The owner.
    #[inline]
    pub fn get(self) -> Owner {
        if self.0 & Self::TAG == 0 {
            Owner::Rule(self.0)
        } else {
            Owner::Tag(self.0 & !Self::TAG)
        }
    }
}

impl From<Owner> for PackedOwner {
    /// Rule and lexicon indexes are below 2^31: the packs' owners are
    /// counted in thousands.
    #[inline]
    fn from(owner: Owner) -> PackedOwner {
        match owner {
            Owner::Rule(r) => {
                debug_assert!(r < Self::TAG, "rule index {r} past 2^31");
                PackedOwner(r & !Self::TAG)
            }
            Owner::Tag(t) => {
                debug_assert!(t < Self::TAG, "lexicon index {t} past 2^31");
                PackedOwner(t | Self::TAG)
            }
        }
    }
}

/// A verified match, in normalised-text offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMatch {
    /// Whose match it is.
    pub owner: PackedOwner,
    /// Start offset in the normalised text.
    pub start: u32,
    /// End offset in the normalised text.
    pub end: u32,
    /// Language of the sentence it is in.
    pub lang: Language,
}

// The point of [`PackedOwner`].
const _: () = assert!(std::mem::size_of::<RawMatch>() == 16);

/// A scan's verified matches in scan order, kept in the parts the scan
/// made them in: joining the ~70 parts of a 1 MB draft's shared scan into
/// one vector took 0.44 ms on the thread the findings wait for (issue #19).
#[derive(Debug, Clone, Default)]
pub struct Matches {
    parts: Vec<Vec<RawMatch>>,
}

impl Matches {
    /// The matches, in scan order.
    pub fn iter(&self) -> impl Iterator<Item = &RawMatch> + Clone {
        self.parts.iter().flatten()
    }

    /// How many matches there are.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// Matches made in these parts, in this order.
    pub fn from_parts(parts: Vec<Vec<RawMatch>>) -> Self {
        Matches { parts }
    }
}

impl From<Vec<RawMatch>> for Matches {
    fn from(matches: Vec<RawMatch>) -> Self {
        Matches {
            parts: vec![matches],
        }
    }
}

/// The same matches in the same order, however they are split in parts.
impl PartialEq for Matches {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Matches {}

#[derive(Debug, Serialize, Deserialize)]
struct RegexRule {
    owner: Owner,
    spec: RegexSpec,
    lang: RuleLang,
    /// The built-in regexes' DFAs, compiled at build time; `None` for
    /// user rules (which compile `spec.regex`) and regexes too big for
    /// them (which have `nfas`).
    #[serde(skip)]
    dfas: Option<SpanRegex>,
    /// Without DFAs: a cheaper form of `spec.regex` for a few lines.
    #[serde(skip)]
    light: LightRegex,
    /// The built-in ones without DFAs: their NFAs, as [`encode_nfa`] wrote
    /// them at build time, for the light form and the lazy DFAs.
    #[serde(skip)]
    nfas: Option<StoredNfas>,
}

impl RegexRule {
    /// The spans of the matches in `hay` (as `regex::Regex::find_iter`
    /// gives them) from a form that compiles nothing: the stored DFAs; or
    /// the lazy DFAs once built, the light form until then while its
    /// budget lasts; `None` when the full regex must answer, as it does
    /// every line once compiled (after a line the lazy DFAs gave up on:
    /// text dense with near-placeholders, where trying them first on each
    /// line cost a 500 KB file of such text 13% more instructions).
    fn spans_uncompiled(&self, hay: &str) -> Option<Vec<(usize, usize)>> {
        match (&self.dfas, &self.nfas) {
            (Some(dfas), _) => dfas.find_all(hay),
            (None, _) if self.spec.regex.is_compiled() => None,
            (None, Some(nfas)) if nfas.has_lazy_dfas() => nfas.find_all_lazily(hay),
            (None, Some(nfas)) => self
                .light
                .find_all(&self.spec, Some(nfas), hay)
                .or_else(|| nfas.find_all_lazily(hay)),
            (None, None) => self.light.find_all(&self.spec, None, hay),
        }
    }
}

/// A regex without stored DFAs, compiled only as far as finding its
/// spans in a few lines needs: its forward NFA, searched by the bounded
/// backtracker or the PikeVM. The `regex` crate also builds a reverse NFA
/// and lazy DFAs, which pay for themselves over many lines: a short reply
/// with a `[` compiled the bracket placeholder regex that way for 2.7M
/// instructions and ~190 fresh pages, 0.7 ms of a 2.9 ms check (issue
/// #19). A built-in regex's NFA is not compiled either but rebuilt from
/// the states `build.rs` stored ([`decode_nfa`]): compiling it spent most
/// of its 1.5M instructions on the UTF-8 ranges of classes such as
/// `[^.!?\n]` in each of their 40 copies, and ~100 fresh pages on the
/// compiler's cache of them. Past [`LIGHT_REGEX_MAX_BYTES`] of lines (in
/// a process), a built-in regex's lazy DFAs serve ([`StoredNfas`]), and
/// a user's full regex; so they do once built or compiled (a large
/// draft's helper readies them while the draft is normalised, and a
/// draft of [`LAZY_DFAS_DRAFT_BYTES`] builds the lazy DFAs first).
#[derive(Debug, Default)]
struct LightRegex {
    searchers: std::sync::OnceLock<Option<NfaSearchers>>,
    searched: std::sync::atomic::AtomicUsize,
}

/// How many bytes of lines a [`LightRegex`] searches (in a process)
/// before the lazy DFAs of a built-in regex, or the full regex of a
/// user's, take over: a long reply's worth, as for the member tests (an
/// audit pays the light form's slower searches of this much once).
const LIGHT_REGEX_MAX_BYTES: usize = 16 * 1024;

/// Drafts from this many bytes on have the lazy DFAs of the built-in
/// regexes without stored DFAs built before their scan, and skip the
/// light form ([`StoredNfas`]): the backtracker searches ~100
/// instructions a byte, the lazy DFAs a few once warm, and warming the
/// five costs ~1.7M instructions. One core, in instructions: a 128 KB
/// English draft 31.3M light first, 32.1M lazy; 256 KB 57.1M and 56.1M;
/// 1 MB 183.9M and 177.5M (issue #19). A draft shared by two threads has
/// them built on the helper while it is normalised.
const LAZY_DFAS_DRAFT_BYTES: usize = 192 * 1024;

impl LightRegex {
    /// The spans of `spec`'s regex in `hay` (as `regex::Regex::find_iter`
    /// gives them), from its NFA (`stored`, else compiled) while this
    /// form's budget lasts and the full regex is not compiled; `None` when
    /// the lazy DFAs or the full regex should answer (or the NFA does not
    /// build: every rule's regex passed the full build when its rules were
    /// loaded, and this NFA, with no capture groups to count, is never the
    /// bigger).
    fn find_all(
        &self,
        spec: &RegexSpec,
        stored: Option<&StoredNfas>,
        hay: &str,
    ) -> Option<Vec<(usize, usize)>> {
        use std::sync::atomic::Ordering;
        if spec.regex.is_compiled() {
            return None;
        }
        let before = self.searched.fetch_add(hay.len(), Ordering::Relaxed);
        if before + hay.len() > LIGHT_REGEX_MAX_BYTES {
            return None;
        }
        let searchers = self
            .searchers
            .get_or_init(|| {
                stored
                    .and_then(StoredNfas::forward_nfa)
                    .or_else(|| compile_light_nfa(spec.regex.as_str()))
                    .and_then(NfaSearchers::new)
            })
            .as_ref()?;
        Some(searchers.find_all(hay))
    }
}

/// The two searchers of a forward NFA: the bounded backtracker, and the
/// PikeVM for a line past the backtracker's limit.
#[derive(Debug)]
struct NfaSearchers {
    backtracker: regex_automata::nfa::thompson::backtrack::BoundedBacktracker,
    pikevm: regex_automata::nfa::thompson::pikevm::PikeVM,
}

impl NfaSearchers {
    fn new(nfa: regex_automata::nfa::thompson::NFA) -> Option<NfaSearchers> {
        use regex_automata::nfa::thompson::{backtrack::BoundedBacktracker, pikevm::PikeVM};
        Some(NfaSearchers {
            backtracker: BoundedBacktracker::new_from_nfa(nfa.clone()).ok()?,
            pikevm: PikeVM::new_from_nfa(nfa).ok()?,
        })
    }

    /// The spans of the matches in `hay`, as `regex::Regex::find_iter`
    /// gives them.
    fn find_all(&self, hay: &str) -> Vec<(usize, usize)> {
        let span = |m: regex_automata::Match| (m.start(), m.end());
        if hay.len() <= self.backtracker.max_haystack_len() {
            let mut cache = self.backtracker.create_cache();
            let found: Result<Vec<_>, _> = self
                .backtracker
                .try_find_iter(&mut cache, hay)
                .map(|m| m.map(span))
                .collect();
            if let Ok(found) = found {
                return found;
            }
        }
        let mut cache = self.pikevm.create_cache();
        self.pikevm.find_iter(&mut cache, hay).map(span).collect()
    }
}

/// A built-in regex without stored DFAs: its forward and reverse NFAs as
/// `build.rs` stored them, rebuilt on first use. The forward one serves
/// the light form ([`LightRegex`]); past it, both make the forward and
/// reverse lazy DFAs (regex-automata's hybrid) that the `regex` crate
/// would search the regex with, built from these NFAs instead of from its
/// pattern. Compiling the five such patterns (placeholders, a fee, an
/// amount) was ~9M instructions and ~200 fresh pages, the first
/// 2.4-2.6 ms of a 1 MB check's helper thread, or a part of its scan
/// when the helper started late (issue #19).
#[derive(Debug)]
struct StoredNfas {
    forward: &'static [u8],
    reverse: &'static [u8],
    /// The forward NFA, rebuilt once for both forms; `None` if it does not
    /// decode.
    forward_nfa: std::sync::OnceLock<Option<regex_automata::nfa::thompson::NFA>>,
    /// Built on first use; `None` if an NFA fails to decode or a lazy DFA
    /// to build (then the full regex serves). Boxed, as `SpanRegex`'s
    /// DFAs: inline, the two lazy DFAs (~1.5 KB) in each of the engine's
    /// regexes made a short check 13-16 page faults more.
    lazy_dfas: std::sync::OnceLock<Option<Box<LazyDfas>>>,
}

/// The lazy DFAs of [`StoredNfas`]: the regex and the caches its
/// searches fill.
#[derive(Debug)]
struct LazyDfas {
    regex: regex_automata::hybrid::regex::Regex,
    caches: CachePool<regex_automata::hybrid::regex::Cache>,
}

/// Caches of a lazy DFA (its states), reused across drafts and threads:
/// taken out for a search, put back after it.
#[derive(Debug)]
struct CachePool<C>(std::sync::Mutex<Vec<C>>);

impl<C> CachePool<C> {
    fn new() -> CachePool<C> {
        CachePool(std::sync::Mutex::new(Vec::new()))
    }

    /// `search` with a cache taken from the pool (or made by `new`).
    fn with<R>(&self, new: impl FnOnce() -> C, search: impl FnOnce(&mut C) -> R) -> R {
        let taken = self.0.lock().ok().and_then(|mut c| c.pop());
        let mut cache = taken.unwrap_or_else(new);
        let found = search(&mut cache);
        if let Ok(mut caches) = self.0.lock() {
            caches.push(cache);
        }
        found
    }
}

impl StoredNfas {
    fn new(forward: &'static [u8], reverse: &'static [u8]) -> StoredNfas {
        StoredNfas {
            forward,
            reverse,
            forward_nfa: std::sync::OnceLock::new(),
            lazy_dfas: std::sync::OnceLock::new(),
        }
    }

    /// Whether the lazy DFAs were tried (built, or failed to build).
    fn has_lazy_dfas(&self) -> bool {
        self.lazy_dfas.get().is_some()
    }

    /// The forward NFA (a clone shares its states).
    fn forward_nfa(&self) -> Option<regex_automata::nfa::thompson::NFA> {
        self.forward_nfa
            .get_or_init(|| decode_nfa(self.forward))
            .clone()
    }

    /// The lazy DFAs, built on first use from the two NFAs (which must be
    /// a forward and a reverse one); `None` if either does not decode or
    /// a DFA does not build (a Unicode word boundary, which a lazy DFA
    /// cannot match: none of the stored ones has one).
    fn lazy_dfas(&self) -> Option<&LazyDfas> {
        self.lazy_dfas
            .get_or_init(|| {
                use regex_automata::hybrid::{dfa::DFA, regex::Regex};
                let (forward, reverse) = (self.forward_nfa()?, decode_nfa(self.reverse)?);
                if forward.is_reverse() || !reverse.is_reverse() {
                    return None;
                }
                // Give up on a line (and let the full regex search it)
                // rather than clear the cache over and over, as the
                // `regex` crate's lazy DFAs do.
                let config = DFA::config()
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10));
                let forward = DFA::builder()
                    .configure(config.clone())
                    .build_from_nfa(forward)
                    .ok()?;
                // The reverse one finds where a match starts: the
                // leftmost start, of all the matches ending there.
                let reverse = DFA::builder()
                    .configure(config.match_kind(regex_automata::MatchKind::All))
                    .build_from_nfa(reverse)
                    .ok()?;
                Some(Box::new(LazyDfas {
                    regex: Regex::builder().build_from_dfas(forward, reverse),
                    caches: CachePool::new(),
                }))
            })
            .as_deref()
    }

    /// The spans of the matches in `hay` by the lazy DFAs, as
    /// `regex::Regex::find_iter` gives them (leftmost-first, the same
    /// steps over empty matches); `None` if they cannot answer.
    fn find_all_lazily(&self, hay: &str) -> Option<Vec<(usize, usize)>> {
        let built = self.lazy_dfas()?;
        built.caches.with(
            || built.regex.create_cache(),
            |cache| {
                let mut searcher =
                    regex_automata::util::iter::Searcher::new(regex_automata::Input::new(hay));
                let mut spans = Vec::new();
                // A search fails only when it gives up (see `lazy_dfas`).
                while let Some(m) = searcher
                    .try_advance(|input| built.regex.try_search(cache, input))
                    .ok()?
                {
                    spans.push((m.start(), m.end()));
                }
                Some(spans)
            },
        )
    }
}

/// A regex searched with the dense DFAs `build.rs` compiled, read in place
/// from the binary. Compiling a date, time or amount regex at its first
/// match was 1.1M instructions, and a short reply with a date and an
/// amount compiled a few: 29% of checking it (issue #19).
#[derive(Debug)]
struct SpanRegex {
    forward: &'static [u8],
    reverse: &'static [u8],
    /// Decoded on first use; `None` if a DFA failed to decode. Boxed: a
    /// decoded pair is ~900 bytes, and inline in each of the engine's
    /// regexes it made the engine 30 KB more heap to fill at start-up.
    regex: std::sync::OnceLock<Option<Box<DfaRegex>>>,
}

type DfaRegex = regex_automata::dfa::regex::Regex<StoredDfa>;

/// Reads a DFA that [`Engine::attach_regex_dfas`] was given, without
/// validating its transitions: checking them at every start was 0.75M
/// instructions, a sixth of a short check with a digit (issue #19).
fn read_stored_dfa(bytes: &'static [u8]) -> Option<StoredDfa> {
    // SAFETY: `bytes` is a range of the blob `attach_regex_dfas` was given,
    // which its caller guarantees is a DFA serialised by this crate's
    // regex-automata (`build.rs`, one version in Cargo.lock); a test reads
    // every stored one with the checked `from_bytes`.
    unsafe { StoredDfa::from_bytes_unchecked(bytes) }
        .ok()
        .map(|(dfa, _)| dfa)
}

impl SpanRegex {
    fn get(&self) -> Option<&DfaRegex> {
        self.regex
            .get_or_init(|| {
                let forward = read_stored_dfa(self.forward)?;
                let reverse = read_stored_dfa(self.reverse)?;
                Some(Box::new(
                    regex_automata::dfa::regex::Regex::builder().build_from_dfas(forward, reverse),
                ))
            })
            .as_deref()
    }

    /// The spans of the matches in `hay`, as `regex::Regex::find_iter`
    /// gives them (both are leftmost-first and step over empty matches the
    /// same way); `None` if the DFAs cannot answer.
    fn find_all(&self, hay: &str) -> Option<Vec<(usize, usize)>> {
        let regex = self.get()?;
        let mut searcher =
            regex_automata::util::iter::Searcher::new(regex_automata::Input::new(hay));
        let mut spans = Vec::new();
        // No DFA here has quit bytes or word-boundary heuristics, so a
        // search does not fail; if one did, the caller runs the regex.
        while let Some(m) = searcher.try_advance(|input| regex.try_search(input)).ok()? {
            spans.push((m.start(), m.end()));
        }
        Some(spans)
    }
}

/// Regexes with no literal prefilter that run on the same lines of the same
/// text (same classes, same case sensitivity). A line is first tried against
/// all of them at once with a [`MemberSet`], and only the members that
/// match there run to find their spans: most lines with a digit hold no
/// date, time or amount, and one set pass costs about what one regex does.
#[derive(Debug, Serialize, Deserialize)]
struct UnfilteredGroup {
    classes: Vec<apolint_rules::normalize::LineClass>,
    case_sensitive: bool,
    members: Vec<u32>,
    /// Built on first use, like the member regexes; `None` if over the size
    /// limits, and then every member runs.
    #[serde(skip)]
    set: std::sync::OnceLock<Option<MemberSet>>,
    /// The members as dense DFAs compiled at build time (built-in rules
    /// only): they answer what the set answers without compiling anything.
    #[serde(skip)]
    dfas: Option<MemberDfas>,
    /// Bytes the member tests have searched so far, in this process.
    #[serde(skip)]
    tested_bytes: std::sync::atomic::AtomicUsize,
}

/// The member tests search a line once per member, the set once for all:
/// past this many bytes (in a draft, or in a process) the set is built and
/// serves from then on, its compiling paid for.
const MEMBER_TESTS_MAX_BYTES: usize = 16 * 1024;

impl UnfilteredGroup {
    /// The member tests to use on `bytes` of lines, or `None` for the set.
    fn tests_for(&self, bytes: usize) -> Option<&MemberDfas> {
        use std::sync::atomic::Ordering;
        let tests = self.dfas.as_ref()?;
        // One pass of the stored set and the few tests of the members it
        // lacks: nothing to compile, whatever the size.
        if tests.set.is_some() {
            return Some(tests);
        }
        if self.set.get().is_some() || bytes > MEMBER_TESTS_MAX_BYTES {
            return None;
        }
        let before = self.tested_bytes.fetch_add(bytes, Ordering::Relaxed);
        (before + bytes <= MEMBER_TESTS_MAX_BYTES).then_some(tests)
    }

    fn set(&self, regexes: &[RegexRule]) -> Option<&MemberSet> {
        self.set
            .get_or_init(|| {
                if self.members.len() < 2 {
                    return None;
                }
                MemberSet::new(
                    self.members
                        .iter()
                        .map(|&ri| regexes[ri as usize].spec.regex.as_str()),
                )
            })
            .as_ref()
    }
}

/// Which of a group's regexes match somewhere in a line: what
/// [`regex::RegexSet::matches`] answers, from a forward lazy DFA alone.
/// A `RegexSet` also compiles a reverse automaton and capture states it
/// never uses for that question: building one for the date, time and
/// amount regexes was 16.7 M instructions, half of a short check of a
/// draft with a digit in it (issue #19); this is a third of that.
#[derive(Debug)]
struct MemberSet {
    dfa: regex_automata::hybrid::dfa::DFA,
    caches: CachePool<regex_automata::hybrid::dfa::Cache>,
}

impl MemberSet {
    /// The set of `patterns`, with the limits the engine's regexes have;
    /// `None` if it cannot be built.
    fn new<'p>(patterns: impl Iterator<Item = &'p str>) -> Option<MemberSet> {
        use regex_automata::hybrid::dfa::DFA;
        use regex_automata::nfa::thompson;
        let patterns: Vec<&str> = patterns.collect();
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(regex_automata::MatchKind::All)
                    .cache_capacity(4 << 20)
                    // Give up (and run every member) rather than search on
                    // with a cache cleared over and over.
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10)),
            )
            .syntax(regex_automata::util::syntax::Config::new().nest_limit(64))
            .thompson(
                thompson::Config::new()
                    .which_captures(thompson::WhichCaptures::None)
                    .nfa_size_limit(Some(4 << 20)),
            )
            .build_many(&patterns)
            .ok()?;
        Some(MemberSet {
            dfa,
            caches: CachePool::new(),
        })
    }

    /// The indexes of the members that match somewhere in `hay`, in
    /// order; `None` if the search gave up (then every member must run).
    fn matches(&self, hay: &str) -> Option<Vec<usize>> {
        let mut found = regex_automata::PatternSet::new(self.dfa.pattern_len());
        let searched = self.caches.with(
            || self.dfa.create_cache(),
            |cache| {
                self.dfa.try_which_overlapping_matches(
                    cache,
                    &regex_automata::Input::new(hay),
                    &mut found,
                )
            },
        );
        searched.ok()?;
        Some(found.iter().map(|p| p.as_usize()).collect())
    }
}

/// Which members of a group match somewhere in a line, from dense DFAs
/// compiled at build time and read in place from the binary: one
/// [`MemberSetDfa`] for most members if it could be built, else one
/// forward DFA per member. Compiling the lazy [`MemberSet`] of the date,
/// time and amount regexes was over a third of checking a short draft
/// with a digit in it, and building its states a third of its search of a
/// megabyte (issue #19). The regexes are still compiled (lazily, per
/// member) for the spans of the members that match.
#[derive(Debug)]
struct MemberDfas {
    /// Per member: its DFA (a byte range of `blob`), else the prefixes
    /// one of which starts every match, else nothing (the member always
    /// runs, as it does when its range is not in `blob`).
    tests: Vec<MemberTest>,
    /// The DFAs' bytes, 8-byte aligned, in the binary.
    blob: &'static [u8],
    /// The DFAs, decoded on first use; `None` if one failed to (then the
    /// lazy set answers instead).
    dfas: std::sync::OnceLock<Option<Vec<Option<StoredDfa>>>>,
    /// The set DFA of most members, if stored: those members' own tests
    /// are not run.
    set: Option<MemberSetDfa>,
    /// Per member, whether `set` has it.
    in_set: Vec<bool>,
    /// `set`'s DFA, decoded on first use.
    set_dfa: std::sync::OnceLock<Option<StoredDfa>>,
}

/// A dense DFA `build.rs` stored, read in place from the binary: a member
/// test, or half of a [`SpanRegex`].
type StoredDfa = regex_automata::dfa::dense::DFA<&'static [u32]>;

impl MemberDfas {
    /// The indexes of the members that may match somewhere in `hay` (each
    /// that matches, each in the set as its prefixes whose prefix is
    /// there, and each with no test), in order; `None` if the DFAs cannot
    /// be used.
    fn matches(&self, hay: &str) -> Option<Vec<usize>> {
        use regex_automata::dfa::Automaton;
        let dfas = self
            .dfas
            .get_or_init(|| {
                self.tests
                    .iter()
                    .map(|t| match t {
                        MemberTest::Dfa(s, e) => match self.blob.get(*s as usize..*e as usize) {
                            Some(b) => read_stored_dfa(b).map(Some),
                            None => Some(None),
                        },
                        MemberTest::Prefixes(_) | MemberTest::None => Some(None),
                    })
                    .collect()
            })
            .as_ref()?;
        let input = regex_automata::Input::new(hay);
        let mut in_set_found = vec![false; self.tests.len()];
        if let Some(set) = &self.set {
            // A DFA with fewer patterns than the set names would leave
            // members unfound: it is not used (the lazy set answers).
            let dfa = self
                .set_dfa
                .get_or_init(|| {
                    let (s, e) = set.dfa;
                    read_stored_dfa(self.blob.get(s as usize..e as usize)?)
                        .filter(|dfa| dfa.pattern_len() == set.members.len())
                })
                .as_ref()?;
            let mut patterns = regex_automata::PatternSet::new(dfa.pattern_len());
            patterns_in_line(dfa, hay.as_bytes(), set.digit_windows, &mut patterns).ok()?;
            for p in patterns.iter() {
                let k = *set.members.get(p.as_usize())? as usize;
                *in_set_found.get_mut(k)? = true;
            }
        }
        let mut found = Vec::new();
        for (k, (dfa, test)) in dfas.iter().zip(&self.tests).enumerate() {
            if self.in_set.get(k) == Some(&true) {
                if in_set_found[k] {
                    found.push(k);
                }
                continue;
            }
            let may_match = match (dfa, test) {
                (Some(dfa), _) => !matches!(dfa.try_search_fwd(&input), Ok(None)),
                (None, MemberTest::Prefixes(prefixes)) => {
                    prefixes.iter().any(|p| hay.contains(p.as_str()))
                }
                (None, _) => true,
            };
            if may_match {
                found.push(k);
            }
        }
        Some(found)
    }
}

/// Every pattern of `dfa` that matches in `line`, into `found`: walked
/// over the whole line, or with `digit_windows` (every match holds a
/// digit and reaches so far from its digits) only near its digits.
fn patterns_in_line(
    dfa: &StoredDfa,
    line: &[u8],
    digit_windows: Option<DigitWindows>,
    found: &mut regex_automata::PatternSet,
) -> Result<(), regex_automata::MatchError> {
    let Some(reach) = digit_windows else {
        return which_patterns_match(dfa, line, 0..line.len(), found);
    };
    for window in self::digit_windows(line, reach) {
        which_patterns_match(dfa, line, window, found)?;
        if found.is_full() {
            break;
        }
    }
    Ok(())
}

/// Every pattern of `dfa` with a match inside `within` (a range of
/// `hay`, whose bytes around it are the match's context, as the library's
/// searches of a range see them), into `found`: what
/// `try_which_overlapping_matches` answers for a DFA built with match
/// kind "all", from one walk of its transitions that notes the patterns
/// of each match state it enters. The library's overlapping search
/// returns to its caller at every match and starts again, and lines with
/// dates and amounts match often: it took 16 instructions a byte of them,
/// two fifths of the date and amount regexes' time (issue #19). A quit
/// byte (the stored DFAs have none) is an error, as it is to the library.
fn which_patterns_match(
    dfa: &StoredDfa,
    hay: &[u8],
    within: std::ops::Range<usize>,
    found: &mut regex_automata::PatternSet,
) -> Result<(), regex_automata::MatchError> {
    use regex_automata::dfa::Automaton;
    let note = |sid, found: &mut regex_automata::PatternSet| {
        for i in 0..dfa.match_len(sid) {
            found.insert(dfa.match_pattern(sid, i));
        }
    };
    let end = within.end;
    let mut sid =
        dfa.start_state_forward(&regex_automata::Input::new(hay).range(within.clone()))?;
    let mut bytes = hay[within].iter();
    while let Some(&byte) = bytes.next() {
        sid = dfa.next_state(sid, byte);
        if dfa.is_special_state(sid) {
            if dfa.is_match_state(sid) {
                note(sid, found);
                if found.is_full() {
                    return Ok(());
                }
            } else if dfa.is_dead_state(sid) {
                return Ok(());
            } else if dfa.is_quit_state(sid) {
                let at = end - bytes.len() - 1;
                return Err(regex_automata::MatchError::quit(byte, at));
            }
            // Start and accelerated states need nothing: the walk takes
            // every byte.
        }
    }
    // Matches show one byte late: the byte after the range (as the
    // library's search feeds it), or the end of the text.
    sid = match hay.get(end) {
        Some(&byte) => {
            let next = dfa.next_state(sid, byte);
            if dfa.is_quit_state(next) {
                return Err(regex_automata::MatchError::quit(byte, end));
            }
            next
        }
        None => dfa.next_eoi_state(sid),
    };
    if dfa.is_match_state(sid) {
        note(sid, found);
    }
    Ok(())
}

/// The stretches of `hay` that a match reaching `reach` from its digits
/// can lie in, in order: from `before` bytes before a run of ASCII
/// digits to `after` bytes after it, joined with the next run's where
/// the two meet or the runs are at most `between` bytes apart. A match
/// lies inside one: it starts at most `before` bytes before the run of
/// its first digit, ends at most `after` after the run of its last, and
/// the runs it holds are at most `between` apart. For the built-in set
/// (25, 26 and 7 bytes) this is 41% (English) and 27% (Russian) of the
/// bytes of the 1 MB peer files' lines with a digit, and the walk of its
/// ~1 MB DFA waits on memory at every byte (issue #19).
fn digit_windows(
    hay: &[u8],
    reach: DigitWindows,
) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let (before, after) = (reach.before as usize, reach.after as usize);
    // The gap from a run's end to the next run's start that joins them.
    let join = (reach.between as usize).max(before + after);
    let mut at = 0;
    std::iter::from_fn(move || {
        let first = first_digit(hay.get(at..)?).map(|p| at + p)?;
        let start = first.saturating_sub(before);
        let mut from = first;
        let (end, next) = loop {
            let run_end = from
                + hay[from..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .unwrap_or(hay.len() - from);
            let look_to = (run_end + join + 1).min(hay.len());
            match first_digit(&hay[run_end..look_to]) {
                Some(p) => from = run_end + p,
                // No digit before `look_to`, which is past `end`
                // (`join` is at least `after`): the next search starts there.
                None => break ((run_end + after).min(hay.len()), look_to),
            }
        };
        at = next;
        Some(start..end)
    })
}

/// Where the first ASCII digit of `bytes` is, eight bytes at a time:
/// most of a line is letters, and a byte at a time this search cost more
/// than the walk it saved.
fn first_digit(bytes: &[u8]) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // Per byte, bit 7 of: at least `0`, past `9`, and (kept clear by
        // the mask) no carry into the next byte; bytes from 0x80 are out.
        let low = x & !HIGH;
        let from_zero = low + 0x5050_5050_5050_5050;
        let past_nine = low + 0x4646_4646_4646_4646;
        let digits = from_zero & !past_nine & !x & HIGH;
        if digits != 0 {
            return Some(at + digits.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| at + p)
}

/// The two NFAs `build.rs` stores for a regex too big for stored DFAs
/// ([`StoredNfas`]), encoded ([`encode_nfa`]): the forward one as its
/// light form searches it ([`compile_light_nfa`]) and the reverse one its
/// lazy DFAs start matches with ([`compile_reverse_nfa`]); `None` if
/// either does not build.
#[allow(dead_code)] // by build.rs, which includes this file, and tests
pub fn stored_nfas(pattern: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    Some((
        encode_nfa(&compile_light_nfa(pattern)?)?,
        encode_nfa(&compile_reverse_nfa(pattern)?)?,
    ))
}

/// The forward NFA of `pattern` as a [`LightRegex`] searches it (implicit
/// captures, the rules' syntax and size limits).
fn compile_light_nfa(pattern: &str) -> Option<regex_automata::nfa::thompson::NFA> {
    use regex_automata::nfa::thompson::{Config, WhichCaptures};
    compile_nfa(
        pattern,
        Config::new().which_captures(WhichCaptures::Implicit),
    )
}

/// The reverse NFA of `pattern`, from which its lazy DFAs
/// ([`StoredNfas`]) find where matches start: no
/// captures (as the `regex` crate builds its reverse lazy DFA from), and
/// shrunk, which matches the same and has a quarter to a half of the
/// states (the placeholder regex: 585 instead of 2,085), so that it is
/// rebuilt and determinised for less.
fn compile_reverse_nfa(pattern: &str) -> Option<regex_automata::nfa::thompson::NFA> {
    use regex_automata::nfa::thompson::{Config, WhichCaptures};
    compile_nfa(
        pattern,
        Config::new()
            .which_captures(WhichCaptures::None)
            .reverse(true)
            .shrink(true),
    )
}

/// `pattern` as an NFA under `config`, with the rules' syntax and size
/// limits.
fn compile_nfa(
    pattern: &str,
    config: regex_automata::nfa::thompson::Config,
) -> Option<regex_automata::nfa::thompson::NFA> {
    use apolint_rules::book::{REGEX_NEST_LIMIT, REGEX_SIZE_LIMIT};
    regex_automata::nfa::thompson::Compiler::new()
        .syntax(regex_automata::util::syntax::Config::new().nest_limit(REGEX_NEST_LIMIT))
        .configure(config.nfa_size_limit(Some(REGEX_SIZE_LIMIT)))
        .build(pattern)
        .ok()
}

/// A regex's NFA in the form [`decode_nfa`] reads: its states in order as
/// little-endian `u32`s (a kind, then its fields), after its start states,
/// whether it is UTF-8 and whether it is reversed. `None` for an NFA of
/// more than one pattern.
#[allow(dead_code)] // by build.rs, which includes this file, and tests
pub fn encode_nfa(nfa: &regex_automata::nfa::thompson::NFA) -> Option<Vec<u8>> {
    use regex_automata::nfa::thompson::State;
    use regex_automata::PatternID;
    if nfa.pattern_len() != 1 {
        return None;
    }
    let mut w: Vec<u32> = vec![
        nfa.states().len() as u32,
        nfa.start_anchored().as_u32(),
        nfa.start_unanchored().as_u32(),
        nfa.start_pattern(PatternID::ZERO)?.as_u32(),
        u32::from(nfa.is_utf8()),
        u32::from(nfa.is_reverse()),
    ];
    let range = |w: &mut Vec<u32>, t: &regex_automata::nfa::thompson::Transition| {
        w.extend([u32::from(t.start), u32::from(t.end), t.next.as_u32()]);
    };
    for state in nfa.states() {
        match state {
            State::ByteRange { trans } => {
                w.push(0);
                range(&mut w, trans);
            }
            State::Sparse(sparse) => {
                w.extend([1, sparse.transitions.len() as u32]);
                for t in sparse.transitions.iter() {
                    range(&mut w, t);
                }
            }
            State::Look { look, next } => w.extend([2, look.as_repr(), next.as_u32()]),
            State::Union { alternates } => {
                w.extend([3, alternates.len() as u32]);
                w.extend(alternates.iter().map(|a| a.as_u32()));
            }
            State::BinaryUnion { alt1, alt2 } => w.extend([4, alt1.as_u32(), alt2.as_u32()]),
            State::Capture {
                next,
                group_index,
                slot,
                ..
            } => w.extend([5, next.as_u32(), group_index.as_u32(), slot.as_u32()]),
            State::Fail => w.push(6),
            State::Match { .. } => w.push(7),
            State::Dense(_) => return None,
        }
    }
    Some(w.iter().flat_map(|n| n.to_le_bytes()).collect())
}

/// The NFA [`encode_nfa`] wrote, rebuilt state by state; `None` if
/// `bytes` are not one. It checks the structure (ids in range, the kinds
/// and counts the encoder writes, captures in order), so that damage is
/// refused rather than a panic or a loop in the builder; it cannot tell
/// whether the states match what they should (a byte range that splits a
/// character would give spans that do), which is why only the binary's
/// own blob, tested against the compiled NFAs, is decoded.
fn decode_nfa(bytes: &[u8]) -> Option<regex_automata::nfa::thompson::NFA> {
    use regex_automata::nfa::thompson::{Builder, Transition};
    use regex_automata::util::look::Look;
    use regex_automata::util::primitives::StateID;
    if bytes.len() % 4 != 0 {
        return None;
    }
    let mut words = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let mut next = || words.next();
    let states = next()?;
    // An id past the states would make the builder index out of bounds.
    let id = |n: u32| (n < states).then(|| StateID::new(n as usize).ok())?;
    let trans = |next: &mut dyn FnMut() -> Option<u32>| -> Option<Transition> {
        let t = Transition {
            start: u8::try_from(next()?).ok()?,
            end: u8::try_from(next()?).ok()?,
            next: id(next()?)?,
        };
        (t.start <= t.end).then_some(t)
    };
    let (anchored, unanchored, pattern) = (next()?, next()?, next()?);
    let flag = |n: u32| match n {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    };
    let (utf8, reverse) = (flag(next()?)?, flag(next()?)?);
    let mut b = Builder::new();
    let mut capture_started = false;
    b.set_utf8(utf8);
    b.set_reverse(reverse);
    b.start_pattern().ok()?;
    for _ in 0..states {
        let added = match next()? {
            0 => b.add_range(trans(&mut next)?),
            // The encoder writes a sparse state of two or more ranges and
            // a union of three or more alternates: a one-alternate union
            // the builder would remove (and one pointing at itself would
            // send it round for ever), shifting every id after it.
            1 => {
                let n = next()?;
                if n < 2 {
                    return None;
                }
                let ts: Option<Vec<Transition>> = (0..n).map(|_| trans(&mut next)).collect();
                let ts = ts?;
                // Ascending and apart, as the searchers expect.
                if ts.windows(2).any(|w| w[0].end >= w[1].start) {
                    return None;
                }
                b.add_sparse(ts)
            }
            2 => {
                let look = Look::from_repr(next()?)?;
                b.add_look(id(next()?)?, look)
            }
            3 => {
                let n = next()?;
                if n < 3 {
                    return None;
                }
                let alts: Option<Vec<StateID>> = (0..n).map(|_| id(next()?)).collect();
                b.add_union(alts?)
            }
            4 => {
                let (a1, a2) = (id(next()?)?, id(next()?)?);
                b.add_union(vec![a1, a2])
            }
            5 => {
                // Implicit captures only: the match's start (slot 0), then
                // its end (slot 1); an end before a start would make the
                // builder panic.
                let (to, group, slot) = (id(next()?)?, next()?, next()?);
                match (group, slot) {
                    (0, 0) => {
                        capture_started = true;
                        b.add_capture_start(to, 0, None)
                    }
                    (0, 1) if capture_started => b.add_capture_end(to, 0),
                    _ => return None,
                }
            }
            6 => b.add_fail(),
            7 => b.add_match(),
            _ => return None,
        };
        added.ok()?;
    }
    b.finish_pattern(id(pattern)?).ok()?;
    if next().is_some() {
        return None;
    }
    b.build(id(anchored)?, id(unanchored)?).ok()
}

/// A phrase pattern variant, compiled.
#[derive(Debug, Serialize, Deserialize)]
struct Phrase {
    owner: Owner,
    elems: Box<[CElem]>,
    anchor: usize,
    /// What the tokens right before and after the anchor must be, when that
    /// is a short list (see [`apolint_rules::pattern::first_literals`]).
    left: Option<TokenSet>,
    right: Option<TokenSet>,
    /// Index into `Engine::contexts` (lexicon patterns have none).
    context: Option<usize>,
    lang: RuleLang,
    /// The script of every token a match of the phrase can start with
    /// (`Other` when they differ or are not words): in a paragraph of that
    /// script alone, it tells the match's sentence language before the
    /// walk (see [`TagBudget`]).
    first_script: Script,
}

/// The script of the first word of every match of `elems`, when only
/// marks that end no sentence can come before it (`'` in "we'll"), fewer
/// than a sentence window holds: that word is then in the sentence window
/// of the match's first token, and in a paragraph of its script alone
/// that window has its language. `Other` when the first words' scripts
/// differ, are not letters, or may come after a gap or a sentence's end.
fn first_script(elems: &[Elem]) -> Script {
    match lead(elems, None) {
        Some((script, marks)) if marks < SENTENCE_WINDOW => script,
        _ => Script::Other,
    }
}

/// How the matches of a sequence start: the script of the first word and
/// the most marks (that end no sentence) before it; `None` when unknown.
type Lead = Option<(Script, usize)>;

/// The [`Lead`] of `elems` followed by a sequence whose lead is `next`:
/// folded from the end, each element once (each alternative of a group
/// reuses what follows the group), so a pattern costs linear time and
/// recursion only as deep as its groups nest.
fn lead(elems: &[Elem], next: Lead) -> Lead {
    elems.iter().rev().fold(next, |next, e| match e {
        Elem::Word(w) | Elem::Prefix(w) => {
            Some((w.chars().next().map_or(Script::Other, script_of), 0))
        }
        Elem::Punct(p) if !is_sentence_end(p) => next.map(|(s, n)| (s, n + 1)),
        Elem::Punct(_) | Elem::Gap(_) => None,
        Elem::Group { alts, optional } => {
            let mut leads = alts
                .iter()
                .map(|alt| lead(alt, next))
                .chain(optional.then_some(next));
            let first = leads.next().flatten()?;
            leads.try_fold(first, |(s, n), l| match l {
                Some((t, m)) if t == s => Some((s, n.max(m))),
                _ => None,
            })
        }
    })
}

/// The engine's phrases. A compiled engine has them all; a decoded one
/// (the built-in engine, at start-up) keeps each phrase's encoding and
/// decodes it the first time a draft has its anchor: a short draft reaches
/// a tenth of them, and decoding every phrase was two thirds of decoding
/// the engine (issue #19).
#[derive(Debug)]
struct Phrases {
    /// Boxed: a cell is then 16 bytes, not a phrase's 160, and the cells
    /// of the ~90% of phrases a short draft never reaches cost 19 KB of
    /// zeroed heap instead of 188 KB.
    cells: Box<[std::sync::OnceLock<Box<Phrase>>]>,
    /// Postcard encodings of the phrases, back to back (empty for a
    /// compiled engine): phrase `i` is `encoded[offsets[i]..offsets[i + 1]]`.
    /// Borrowed from the binary when the built-in engine is decoded
    /// ([`decode_lending`]): copying its ~120 KB at every start was ~30
    /// fresh pages and ~5% of a short check's instructions.
    encoded: std::borrow::Cow<'static, [u8]>,
    offsets: Box<[u32]>,
}

impl From<Vec<Phrase>> for Phrases {
    fn from(phrases: Vec<Phrase>) -> Phrases {
        Phrases {
            cells: phrases
                .into_iter()
                .map(|p| std::sync::OnceLock::from(Box::new(p)))
                .collect(),
            encoded: std::borrow::Cow::Borrowed(&[]),
            offsets: Box::default(),
        }
    }
}

impl Phrases {
    /// Phrase `i`, decoded now if it was not yet; `None` if `i` is out of
    /// range or its encoding does not decode (a test decodes every one).
    #[inline]
    fn get(&self, i: usize) -> Option<&Phrase> {
        let cell = self.cells.get(i)?;
        if let Some(phrase) = cell.get() {
            return Some(phrase);
        }
        let (start, end) = (*self.offsets.get(i)?, *self.offsets.get(i + 1)?);
        let bytes = self.encoded.get(start as usize..end as usize)?;
        let phrase: Phrase = postcard::from_bytes(bytes).ok()?;
        Some(cell.get_or_init(|| Box::new(phrase)))
    }

    fn len(&self) -> usize {
        self.cells.len()
    }
}

/// Stored as every phrase's encoding and where each starts.
impl Serialize for Phrases {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut encoded = Vec::new();
        let mut offsets = vec![0u32];
        for i in 0..self.len() {
            let phrase = self
                .get(i)
                .ok_or_else(|| S::Error::custom(format!("phrase {i} does not decode")))?;
            encoded = postcard::to_extend(phrase, encoded).map_err(S::Error::custom)?;
            offsets.push(encoded.len() as u32);
        }
        StoredPhrases(std::borrow::Cow::Owned(encoded), offsets).serialize(s)
    }
}

/// The phrases as stored: their encodings back to back (one byte string,
/// lent by the blob when decoded from the binary), then where each starts.
#[derive(Serialize, Deserialize)]
struct StoredPhrases(
    #[serde(serialize_with = "byte_string", deserialize_with = "lent_bytes")]
    std::borrow::Cow<'static, [u8]>,
    #[serde(with = "u32s_as_bytes")] Vec<u32>,
);

/// Bytes stored as one byte string (one copy), not as a sequence of
/// numbers (a call per byte).
#[allow(clippy::ptr_arg)] // `serialize_with` hands over the field's own type.
fn byte_string<S: serde::Serializer>(
    bytes: &std::borrow::Cow<'static, [u8]>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes)
}

/// Reads a byte string with `read`, from the deserializer's own bytes when
/// it lends them (postcard reading a static blob does): no copy to read
/// numbers or records out of it.
fn read_byte_string<'de, D, T>(
    d: D,
    read: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Visitor<F>(F);
    impl<T, F: FnOnce(&[u8]) -> Result<T, String>> serde::de::Visitor<'_> for Visitor<F> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a byte string")
        }
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<T, E> {
            (self.0)(v).map_err(E::custom)
        }
    }
    d.deserialize_bytes(Visitor(read))
}

thread_local! {
    /// The static blob this thread is decoding, if any ([`decode_lending`]).
    static LENDER: std::cell::Cell<Option<&'static [u8]>> = const { std::cell::Cell::new(None) };
}

/// Runs `decode` on `blob` so that the byte strings it reads that lie
/// inside `blob` (the phrases' encodings) are borrowed from it, not
/// copied: postcard hands a visitor slices of its input, and a slice at
/// the same address and length as a range of `blob` is that range.
pub(crate) fn decode_lending<T>(blob: &'static [u8], decode: impl FnOnce(&'static [u8]) -> T) -> T {
    /// Puts back the lender before this one however `decode` ends, a
    /// panic included (a nested call leaves the outer blob lent).
    struct Reset(Option<&'static [u8]>);
    impl Drop for Reset {
        fn drop(&mut self) {
            LENDER.with(|l| l.set(self.0));
        }
    }
    let _reset = Reset(LENDER.with(|l| l.replace(Some(blob))));
    decode(blob)
}

/// `bytes` borrowed from the blob being decoded when they lie inside it
/// ([`decode_lending`]), else copied.
fn lent(bytes: &[u8]) -> std::borrow::Cow<'static, [u8]> {
    // The range of the blob at `bytes`' offset from its start, if the
    // blob holds that many bytes there, is the memory `bytes` is.
    let inside = LENDER.with(|l| l.get()).and_then(|blob| {
        let start = (bytes.as_ptr() as usize).checked_sub(blob.as_ptr() as usize)?;
        blob.get(start..start.checked_add(bytes.len())?)
    });
    inside.map_or_else(
        || std::borrow::Cow::Owned(bytes.to_vec()),
        std::borrow::Cow::Borrowed,
    )
}

/// A byte string, lent by the blob being decoded when it can be ([`lent`]).
fn lent_bytes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::borrow::Cow<'static, [u8]>, D::Error> {
    read_byte_string(d, |bytes| Ok(lent(bytes)))
}

impl<'de> Deserialize<'de> for Phrases {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Phrases, D::Error> {
        use serde::de::Error;
        let StoredPhrases(encoded, offsets) = Deserialize::deserialize(d)?;
        let len = offsets.len().saturating_sub(1);
        if offsets
            .last()
            .is_some_and(|&end| end as usize != encoded.len())
        {
            return Err(D::Error::custom(
                "phrase offsets do not cover the encodings",
            ));
        }
        Ok(Phrases {
            cells: (0..len).map(|_| std::sync::OnceLock::new()).collect(),
            encoded,
            offsets: offsets.into_boxed_slice(),
        })
    }
}

/// A phrase rule's (or lexicon's) context, compiled.
#[derive(Debug, Serialize, Deserialize)]
struct CompiledContext {
    unless_before: Vec<Box<[CElem]>>,
    unless_after: Vec<Box<[CElem]>>,
    unless_sentence: Vec<Box<[CElem]>>,
    unless_inside: Vec<Box<[CElem]>>,
    /// The tokens one of which every `unless_sentence` pattern starts with
    /// (their [`first_literals`]), if each has such a list: a token of the
    /// sentence outside the set starts none of them. Testing each pattern
    /// at each token of a sentence was 4% of checking a 1 KB reply
    /// (issue #19).
    sentence_heads: Option<TokenSet>,
    clause_start: bool,
    in_quotes: bool,
}

impl CompiledContext {
    fn new(c: &Context, vocab: &mut Vocab) -> CompiledContext {
        let all = |ps: &[Vec<Elem>], dir: Dir, vocab: &mut Vocab| -> Vec<Box<[CElem]>> {
            ps.iter().map(|p| compile(p, Some(dir), vocab)).collect()
        };
        let unless_before = all(&c.unless_before, Dir::Backward, vocab);
        let unless_after = all(&c.unless_after, Dir::Forward, vocab);
        let unless_sentence = all(&c.unless_sentence, Dir::Forward, vocab);
        let unless_inside = all(&c.unless_inside, Dir::Forward, vocab);
        // After the patterns: their words are interned by now, so the
        // heads add none and the vocabulary's ids keep their order.
        let sentence_heads = c
            .unless_sentence
            .iter()
            .map(|p| first_literals(p, Dir::Forward))
            .collect::<Option<Vec<_>>>()
            .filter(|heads| !heads.is_empty())
            .and_then(|heads| TokenSet::of_refs(heads.into_iter().flatten(), vocab));
        CompiledContext {
            unless_before,
            unless_after,
            unless_sentence,
            unless_inside,
            sentence_heads,
            clause_start: c.clause_start,
            in_quotes: c.in_quotes,
        }
    }
}

/// The phrases anchored on each word (or prefix) id, as one flat list.
#[derive(Debug, Default, Serialize, Deserialize)]
struct AnchorIndex {
    /// Id `i`'s phrases are `phrases[start[i]..start[i + 1]]`.
    #[serde(with = "u32s_as_bytes")]
    start: Vec<u32>,
    #[serde(with = "u32s_as_bytes")]
    phrases: Vec<u32>,
}

/// A list of numbers stored as one byte string of little-endian words: the
/// built-in anchor indexes hold ~8,700, and serde decoding each as a number
/// (postcard's variable-length integers, one visitor call each) was ~5% of
/// a short check's start-up (issue #19).
mod u32s_as_bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(nums: &[u32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = nums.iter().flat_map(|n| n.to_le_bytes()).collect();
        s.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
        super::read_byte_string(d, |bytes| {
            let words = bytes.chunks_exact(4);
            if !words.remainder().is_empty() {
                return Err("a list of numbers is not whole 4-byte words".to_owned());
            }
            Ok(words
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .collect())
        })
    }
}

impl AnchorIndex {
    /// From `(id, phrase)` pairs over ids `0..ids`.
    fn new(ids: usize, mut pairs: Vec<(u32, u32)>) -> AnchorIndex {
        pairs.sort_by_key(|&(id, _)| id);
        let mut start = Vec::with_capacity(ids + 1);
        let mut k = 0;
        for id in 0..=ids {
            start.push(k as u32);
            while k < pairs.len() && pairs[k].0 as usize == id {
                k += 1;
            }
        }
        AnchorIndex {
            start,
            phrases: pairs.into_iter().map(|(_, p)| p).collect(),
        }
    }

    /// The phrases anchored on `id`.
    #[inline]
    fn of(&self, id: u32) -> &[u32] {
        let id = id as usize;
        match (self.start.get(id), self.start.get(id + 1)) {
            // A stored index that lies (starts out of order or past the
            // list) anchors nothing rather than panicking mid-check.
            (Some(&a), Some(&b)) => self.phrases.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Number of ids with at least one phrase.
    fn anchored(&self) -> usize {
        self.start.windows(2).filter(|w| w[1] > w[0]).count()
    }
}

/// What the anchor loop tests of a phrase before fetching it, one small
/// record per phrase in one array: the phrase's left and right token sets
/// as the word bits of [`TokenSet::word_filter`], and the lexicon budget's
/// key (the phrase's lexicon and the script its matches start in).
///
/// A hit whose neighbour's bit is clear is rejected without fetching the
/// phrase. On the 1 MB English peer file three anchor hits in four are
/// rejected by their neighbours (`you`, `the`, `for` anchor phrases that
/// need a rarer word next); gating them cut its check by 4.6% of its
/// instructions (issue #19). A side with no set, or with a set that is
/// more than words, is [`NeighbourGate::OPEN`]: `Engine::verify` tests it.
///
/// Of the hits the neighbours let through, the lexicon budget turns down
/// more than half (54,000 of 97,000 on the same file): read from the
/// phrase, its key was a fifth of the anchor loop's first-level cache
/// misses (a simulated 32 KB cache), the phrase being a pointer away and
/// decoded on first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NeighbourGate {
    left: u64,
    right: u64,
    /// The lexicon the phrase's matches count toward
    /// ([`NeighbourGate::NO_LEXICON`] for a rule's phrase).
    lexicon: u32,
    /// [`Phrase::first_script`].
    first_script: Script,
}

/// The gates of the engine's phrases, by phrase index (1,173 built in),
/// stored as one byte string of little-endian records: serde decoding each
/// word as a number cost ~60 instructions a gate at start-up. Kept per
/// anchor (4,285 of them) the gates cost a check of a short draft 0.27 M
/// instructions to decode, a tenth of it.
#[derive(Debug, Default)]
struct NeighbourGates(Vec<NeighbourGate>);

impl NeighbourGates {
    /// Bytes of a stored gate: two words, the lexicon, the script.
    const RECORD: usize = 8 + 8 + 4 + 1;

    /// How a gate's script is stored: one byte.
    fn script_code(script: Script) -> u8 {
        match script {
            Script::Cyrillic => 0,
            Script::Latin => 1,
            Script::Other => 2,
        }
    }

    /// The gate of phrase `p` (open and with no lexicon if there is none:
    /// there is no such phrase either).
    #[inline]
    fn of(&self, p: u32) -> NeighbourGate {
        self.0.get(p as usize).copied().unwrap_or(NeighbourGate {
            left: NeighbourGate::OPEN,
            right: NeighbourGate::OPEN,
            lexicon: NeighbourGate::NO_LEXICON,
            first_script: Script::Other,
        })
    }
}

impl Serialize for NeighbourGates {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(self.0.len() * Self::RECORD);
        for g in &self.0 {
            bytes.extend_from_slice(&g.left.to_le_bytes());
            bytes.extend_from_slice(&g.right.to_le_bytes());
            bytes.extend_from_slice(&g.lexicon.to_le_bytes());
            bytes.push(Self::script_code(g.first_script));
        }
        s.serialize_bytes(&bytes)
    }
}

impl<'de> Deserialize<'de> for NeighbourGates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NeighbourGates, D::Error> {
        read_byte_string(d, |bytes| {
            let records = bytes.chunks_exact(Self::RECORD);
            if !records.remainder().is_empty() {
                return Err(format!(
                    "neighbour gates are not whole {}-byte records",
                    Self::RECORD
                ));
            }
            let mut gates = Vec::with_capacity(bytes.len() / Self::RECORD);
            for g in records {
                // Whole records (`chunks_exact`): the conversion cannot fail.
                let &[l0, l1, l2, l3, l4, l5, l6, l7, r0, r1, r2, r3, r4, r5, r6, r7, x0, x1, x2, x3, script] =
                    <&[u8; Self::RECORD]>::try_from(g).map_err(|e| e.to_string())?;
                let first_script = [Script::Cyrillic, Script::Latin, Script::Other]
                    .into_iter()
                    .find(|&s| Self::script_code(s) == script)
                    .ok_or_else(|| format!("a neighbour gate names script {script}"))?;
                gates.push(NeighbourGate {
                    left: u64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7]),
                    right: u64::from_le_bytes([r0, r1, r2, r3, r4, r5, r6, r7]),
                    lexicon: u32::from_le_bytes([x0, x1, x2, x3]),
                    first_script,
                });
            }
            Ok(NeighbourGates(gates))
        })
    }
}

impl NeighbourGate {
    /// A side the gate lets through whatever the neighbour is.
    const OPEN: u64 = u64::MAX;

    /// The `lexicon` of a phrase that counts toward none (a rule's): no
    /// lexicon has this index.
    const NO_LEXICON: u32 = u32::MAX;

    fn of(phrase: &Phrase) -> NeighbourGate {
        let side = |set: &Option<TokenSet>| {
            set.as_ref()
                .and_then(TokenSet::word_filter)
                .unwrap_or(Self::OPEN)
        };
        NeighbourGate {
            left: side(&phrase.left),
            right: side(&phrase.right),
            lexicon: match phrase.owner {
                Owner::Tag(t) => t,
                Owner::Rule(_) => Self::NO_LEXICON,
            },
            first_script: phrase.first_script,
        }
    }

    /// Whether the phrase may match between neighbours whose word bits
    /// ([`TokenSet::word_bit`], 0 for none) are `left` and `right`.
    #[inline]
    fn admits(self, left: u64, right: u64) -> bool {
        (self.left == Self::OPEN || self.left & left != 0)
            && (self.right == Self::OPEN || self.right & right != 0)
    }
}

/// How the engine finds the words and prefixes phrases are anchored on.
///
/// The engine uses [`AnchorMode::Vocab`]; the automaton is kept so the two
/// can be measured against each other on the same drafts (issue #19,
/// `examples/profile_anchors.rs`) and is tested to give the same findings.
/// Measured on the corpus and the 1 MB peer inputs, the automaton costs
/// 8-29% more instructions per draft than the vocabulary, whatever its
/// kind, and its DFA takes ~100 M instructions (~25 ms) to build: over 99%
/// of the bytes of a reply are in a paragraph holding some anchor (one in
/// six words is one: `the`, `you`, `we`, `мы`, greetings), so the pass
/// skips no tokenizing and only adds its own cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorMode {
    /// Every paragraph is tokenized and each of its words looked up in
    /// the interned vocabulary.
    Vocab,
    /// One Aho-Corasick pass over the normalised draft finds every anchor
    /// occurrence at a word edge; only paragraphs holding one are
    /// tokenized, looked up and verified.
    Automaton,
}

impl AnchorMode {
    /// What [`Engine::compile`] chooses (and a decoded engine starts with).
    fn default_mode() -> AnchorMode {
        AnchorMode::Vocab
    }
}

/// Every anchor literal (word or prefix) in one Aho-Corasick automaton.
#[derive(Debug)]
struct AnchorFinder {
    ac: aho_corasick::AhoCorasick,
    /// Per pattern: a whole word (needs a word edge after it), else a prefix.
    whole: Vec<bool>,
}

/// The compiled form of a rule book: the vocabulary, the phrases anchored
/// on its words, and the regexes with the finder of their literals.
#[derive(Debug, Serialize, Deserialize)]
pub struct Engine {
    /// Not serialised: the built-in engine's vocabulary is stored as the
    /// table [`VocabTable::from_static`] reads in place ([`Engine::set_vocab`]).
    #[serde(skip)]
    vocab: VocabTable,
    #[serde(skip, default = "AnchorMode::default_mode")]
    anchor_mode: AnchorMode,
    /// Built on first use in [`AnchorMode::Automaton`].
    #[serde(skip)]
    anchor_finder: std::sync::OnceLock<Option<AnchorFinder>>,
    word_anchors: AnchorIndex,
    prefix_anchors: AnchorIndex,
    /// The [`NeighbourGate`] of each phrase.
    gates: NeighbourGates,
    phrases: Phrases,
    regexes: Vec<RegexRule>,
    /// The literals (normalised) of the regexes that have some.
    #[serde(with = "literal_finder_as_literals")]
    regex_literals: Option<LiteralFinder>,
    /// The regexes each literal triggers, by literal id.
    regex_targets: Vec<Vec<u32>>,
    /// Regexes with no literal prefilter, grouped by the line classes they
    /// need: run once over the whole draft, or over the lines of their
    /// classes.
    unfiltered: Vec<UnfilteredGroup>,
    contexts: Vec<CompiledContext>,
    /// Lexicon names, indexed by tag id: in name order.
    pub tag_names: Vec<String>,
    /// Tag ids each rule's matches also count toward.
    pub rule_tags: Vec<Vec<u32>>,
    /// Per tag id, where the lexicon's matches come from (see
    /// [`TagBudget`]).
    tag_sources: Vec<TagSources>,
    /// How many matches of each lexicon the findings stage reads; set by
    /// the linter ([`Engine::set_tag_budget`]), none until then.
    #[serde(skip)]
    tag_budget: TagBudget,
}

/// How many matches of each lexicon the findings stage reads, by the
/// language of the match ([`TagBudget::ALL`]: every one). A lexicon that
/// only says whether a reply greets, promises or offers something needs
/// its first match or first few, not the thousands a long draft has:
/// verifying lexicon phrases was two thirds of the phrase verification
/// of the 1 MB English peer file (issue #19).
///
/// A scan stops verifying a lexicon's phrases in a paragraph when that
/// many of the paragraphs it finished before hold a match of the lexicon
/// in the language the phrase's match would have. Phrases match within a
/// paragraph and most regexes within a line, so each of those paragraphs
/// keeps a match of its own in the report (the one its matches merge
/// into), before any the scan skips: a skipped match could change none of
/// the first so many. A lexicon that a regex run over the whole draft
/// feeds is never budgeted: its match may span paragraphs.
///
/// The language is known before the walk only in a paragraph of one
/// script (Latin tokens, or Cyrillic, and no others) for a phrase whose
/// first token is in it, or when the caller forced one: a sentence of
/// such a paragraph with a letter is of that language. Other matches in
/// it are `Mixed` (a regex's, a sentence's with no letter), which every
/// rule reads, so a paragraph counts for every rule reading its script's
/// language. The rules that do not read that language need their own
/// count too when the lexicon may have `Mixed` matches (see
/// [`TagSources`]): of overlapping matches the findings stage keeps the
/// first, and the skipped one might have hidden a `Mixed` one they read.
/// Regex passes keep their own count ([`RegexTagCounts`]).
#[derive(Debug, Clone, Default)]
pub struct TagBudget {
    /// Per tag id and sentence language (English, Russian), the matches
    /// read by the rules that read that language's matches…
    reads: Box<[[u32; 2]]>,
    /// …and by the rules that do not.
    others: Box<[[u32; 2]]>,
}

impl TagBudget {
    /// Every match is needed.
    pub const ALL: u32 = u32::MAX;

    /// A budget for `tags` lexicons that needs none of their matches yet.
    pub fn none_of(tags: usize) -> TagBudget {
        TagBudget {
            reads: vec![[0; 2]; tags].into(),
            others: vec![[0; 2]; tags].into(),
        }
    }

    /// Notes that the first `count` matches of tag `t` are read in the
    /// sentences a rule of language `lang` applies to (`None`: all).
    pub fn read(&mut self, t: u32, lang: Option<RuleLang>, count: u32) {
        let t = t as usize;
        if t >= self.reads.len() {
            return;
        }
        for (slot, sentence) in BUDGET_LANGUAGES.into_iter().enumerate() {
            let need = if lang.is_none_or(|l| lang_allows(l, sentence)) {
                &mut self.reads[t][slot]
            } else {
                &mut self.others[t][slot]
            };
            *need = (*need).max(count);
        }
    }

    /// The matches of tag `t` read by the rules that read `lang`'s
    /// sentences (all, for a tag or a language it does not know).
    pub fn need(&self, t: u32, lang: Language) -> u32 {
        Self::of(&self.reads, t, lang)
    }

    /// The matches of tag `t` read by the rules that do not read `lang`'s
    /// sentences (all, for a tag or a language it does not know).
    pub fn need_elsewhere(&self, t: u32, lang: Language) -> u32 {
        Self::of(&self.others, t, lang)
    }

    /// Tag `t`'s entry for `lang` in `table` (all, if it has none).
    fn of(table: &[[u32; 2]], t: u32, lang: Language) -> u32 {
        match (table.get(t as usize), lang_slot(lang)) {
            (Some(n), Some(i)) => n[i],
            _ => TagBudget::ALL,
        }
    }

    /// This budget for lexicons whose matches come from `sources` (by tag
    /// id): one fed by a regex over the whole draft needs all its matches,
    /// and the rules that do not read a script-bound lexicon's language
    /// see none of its matches there, so they need none.
    fn bounded_by(mut self, sources: &[TagSources]) -> TagBudget {
        for ((reads, others), source) in self
            .reads
            .iter_mut()
            .zip(self.others.iter_mut())
            .zip(sources)
        {
            match source {
                TagSources::AcrossParagraphs => *reads = [TagBudget::ALL; 2],
                TagSources::ScriptBound => *others = [0; 2],
                TagSources::MaybeMixed => {}
            }
        }
        self
    }
}

/// Where a lexicon's matches come from, as far as a [`TagBudget`] is
/// concerned (a rule's matches count toward the lexicons it is tagged
/// with). Ordered: a lexicon is what its least tidy source makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum TagSources {
    /// Phrases that each start on a word: in a paragraph of one script,
    /// every match has that script's language.
    ScriptBound,
    /// Also regexes run line by line, rules, or phrases that start on a
    /// digit or a mark: some matches may be `Mixed`.
    MaybeMixed,
    /// Also a regex run over the whole draft, whose match may span
    /// paragraphs (and merge matches the scan counted apart): never
    /// budgeted.
    AcrossParagraphs,
}

/// Drafts shorter than this are scanned without a [`TagBudget`]: a reply
/// has a few paragraphs, and counting them cost a short check 0.5% more
/// instructions (an audit 0.8%) for nothing to skip.
const BUDGET_MIN_BYTES: usize = 16 * 1024;

/// The sentence languages a [`TagBudget`] counts for, in its pairs' order.
const BUDGET_LANGUAGES: [Language; 2] = [Language::En, Language::Ru];

/// The index of `lang` in a [`TagBudget`]'s pairs.
fn lang_slot(lang: Language) -> Option<usize> {
    BUDGET_LANGUAGES.iter().position(|&l| l == lang)
}

/// A scan's count of the paragraphs it finished that hold a match of each
/// lexicon, by language (see [`TagBudget`]).
struct TagCounts<'b> {
    budget: &'b TagBudget,
    /// Per tag id, `[english, russian]` paragraphs.
    found: Vec<[u32; 2]>,
    /// Per tag id, the last paragraph counted (its number plus one).
    last: Vec<u32>,
    paragraphs: u32,
}

impl<'b> TagCounts<'b> {
    /// Counts for a scan that uses `budget` if `on` (else skips nothing).
    fn new(budget: &'b TagBudget, on: bool) -> TagCounts<'b> {
        let tags = if on { budget.reads.len() } else { 0 };
        TagCounts {
            budget,
            found: vec![[0; 2]; tags],
            last: vec![0; tags],
            paragraphs: 0,
        }
    }

    /// Whether the scan uses a budget.
    fn on(&self) -> bool {
        !self.found.is_empty()
    }

    /// Counts the lexicon matches `found` of a paragraph whose matches are
    /// all of language `lang` or `Mixed` (see [`ParagraphLanguage`]).
    fn add_paragraph(&mut self, lang: Option<Language>, matches: &[RawMatch]) {
        if !self.on() {
            return;
        }
        self.paragraphs += 1;
        let Some(slot) = lang.and_then(lang_slot) else {
            return;
        };
        for m in matches {
            if let Owner::Tag(t) = m.owner.get() {
                let t = t as usize;
                if t < self.last.len() && self.last[t] != self.paragraphs {
                    self.last[t] = self.paragraphs;
                    self.found[t][slot] += 1;
                }
            }
        }
    }

    /// Whether the findings stage needs no more matches of tag `t` in
    /// `lang`'s sentences, in a paragraph of `paragraph`.
    fn enough(&self, t: u32, lang: Language, paragraph: ParagraphLanguage) -> bool {
        let (Some(found), Some(i)) = (self.found.get(t as usize), lang_slot(lang)) else {
            return false;
        };
        if found[i] < self.budget.need(t, lang) {
            return false;
        }
        // Where the caller forced the language, the rules reading another
        // one see no match at all (a script-bound lexicon's budget needs
        // none for them already, see `TagBudget::bounded_by`).
        matches!(paragraph, ParagraphLanguage::Forced(_))
            || found[1 - i] >= self.budget.need_elsewhere(t, lang)
    }
}

/// A regex pass's count of the paragraphs in which each lexicon's regexes
/// matched (see [`TagBudget`]). A pass runs each regex line by line in
/// order: once that many paragraphs before a line hold a match of a
/// lexicon, the findings stage reads none of its matches in later ones,
/// as long as every rule that reads the lexicon reads every language (of
/// overlapping matches the findings stage keeps the first, which may be
/// a phrase's in one language) and no regex over the whole draft feeds
/// it. Paragraphs are told apart by a blank line between them (the scan
/// also breaks them where a block opens: that only makes more).
struct RegexTagCounts<'b> {
    budget: &'b TagBudget,
    /// Off for a pass over the whole draft at once.
    on: bool,
    /// Per tag id: paragraphs with a match, and the last of them (by
    /// number); empty until a lexicon's regex runs.
    tags: Vec<(u32, Option<u32>)>,
    /// The paragraph of the line the pass is at, and where that line
    /// starts.
    paragraph: u32,
    at: usize,
}

impl<'b> RegexTagCounts<'b> {
    fn new(budget: &'b TagBudget, on: bool) -> RegexTagCounts<'b> {
        RegexTagCounts {
            budget,
            on,
            tags: Vec::new(),
            paragraph: 0,
            at: 0,
        }
    }

    /// Moves on to the line starting at `ls` (lines come in order).
    fn go_to(&mut self, ls: usize, text: &[u8]) {
        // Only a pass that may stop early reads the paragraph: a reply
        // below `BUDGET_MIN_BYTES` (all of an audit's) skips the count.
        if !self.on || ls <= self.at {
            return;
        }
        let Some(between) = text.get(self.at..ls) else {
            return;
        };
        // A line that starts after `at` and ends before `ls` is blank when
        // its leading spaces run up to its end: no search for that end.
        for p in memchr::memchr_iter(b'\n', between) {
            let start = self.at + p + 1;
            let rest = &text[start..ls];
            let spaces = rest.iter().take_while(|&&b| is_blank_byte(b)).count();
            if start < ls && rest.get(spaces).is_none_or(|&b| b == b'\n') {
                self.paragraph += 1;
            }
        }
        self.at = ls;
    }

    /// The matches of tag `t` the findings stage reads, if the pass may
    /// stop running its regexes (see [`RegexTagCounts`]).
    fn need(&self, t: u32) -> Option<u32> {
        // A lexicon fed by a regex over the whole draft needs all its
        // matches (`TagBudget::bounded_by`).
        let i = t as usize;
        let bounded = self.on && self.budget.others.get(i) == Some(&[0, 0]);
        let [en, ru] = *self.budget.reads.get(i)?;
        let need = en.max(ru);
        (bounded && need != TagBudget::ALL).then_some(need)
    }

    /// Whether the paragraphs before the current line hold enough matches
    /// of tag `t`.
    fn enough(&self, t: u32) -> bool {
        let Some(need) = self.need(t) else {
            return false;
        };
        let (found, last) = self.tags.get(t as usize).copied().unwrap_or_default();
        need == 0 || (found >= need && last.is_some_and(|l| l < self.paragraph))
    }

    /// Notes a match of tag `t` on the current line.
    fn add(&mut self, t: u32) {
        if self.need(t).is_none() {
            return;
        }
        if self.tags.is_empty() {
            self.tags = vec![(0, None); self.budget.reads.len()];
        }
        let Some((found, last)) = self.tags.get_mut(t as usize) else {
            return;
        };
        if *last != Some(self.paragraph) {
            *found += 1;
            *last = Some(self.paragraph);
        }
    }
}

/// Whether a line (without its `\n`) is blank: spaces, tabs and `\r` at
/// most. The scan's paragraphs end at such lines, and a regex pass tells
/// paragraphs apart by them.
fn is_blank_line(line: &[u8]) -> bool {
    line.iter().copied().all(is_blank_byte)
}

/// A byte a blank line may hold ([`is_blank_line`]).
fn is_blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

/// What a paragraph tells about the language of its matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParagraphLanguage {
    /// The caller forced one for every sentence.
    Forced(Language),
    /// Its words are Latin (or Cyrillic) alone: a match that starts on
    /// such a word is English (or Russian); others may be `Mixed`.
    Script(Language),
    /// Both scripts, or neither.
    Unknown,
}

impl ParagraphLanguage {
    fn of(line: &Line, forced: Option<Language>) -> ParagraphLanguage {
        if let Some(l) = forced {
            return ParagraphLanguage::Forced(l);
        }
        // Or-ed without a branch: a `match` per token took 6.5% of the
        // anchor loop's time on the 1 MB English peer file (perf, in
        // process), its branch on each token's script mispredicted.
        let (mut latin, mut cyrillic) = (false, false);
        for t in &line.tokens {
            latin |= t.script == Script::Latin;
            cyrillic |= t.script == Script::Cyrillic;
        }
        match (latin, cyrillic) {
            (true, false) => ParagraphLanguage::Script(Language::En),
            (false, true) => ParagraphLanguage::Script(Language::Ru),
            _ => ParagraphLanguage::Unknown,
        }
    }

    /// The language every match found in the paragraph counts for.
    fn of_matches(self) -> Option<Language> {
        match self {
            ParagraphLanguage::Forced(l) | ParagraphLanguage::Script(l) => Some(l),
            ParagraphLanguage::Unknown => None,
        }
    }

    /// The language of a match of a phrase whose first token is in
    /// `first`, if known before the walk.
    fn of_phrase(self, first: Script) -> Option<Language> {
        match (self, first) {
            (ParagraphLanguage::Forced(l), _) => Some(l),
            (ParagraphLanguage::Script(Language::En), Script::Latin) => Some(Language::En),
            (ParagraphLanguage::Script(Language::Ru), Script::Cyrillic) => Some(Language::Ru),
            _ => None,
        }
    }
}

/// What [`Engine::verify`] knows of the paragraph it verifies in.
#[derive(Clone, Copy)]
struct InParagraph<'c> {
    language: ParagraphLanguage,
    /// To skip lexicon phrases whose matches no report would read.
    counts: &'c TagCounts<'c>,
}

/// Finds the regexes' literals (`{{`, `%`, `!!`, ` ,`, `хх`…): each literal
/// is keyed by its rarest byte in prose, the text is scanned for key bytes
/// (one table lookup per byte, no state to carry), and the literal is
/// compared where its key occurs; in a mostly Latin draft a literal keyed
/// on a common letter is searched for whole instead
/// ([`LiteralFinder::whole`]). An Aho-Corasick automaton (its prefilter
/// included) spent a tenth of a check here, as a space starts ` ,` and
/// `x`/`х` start the `xx` placeholders: its state changed on most bytes.
#[derive(Debug)]
struct LiteralFinder {
    /// The literals' key bytes, ascending, once each.
    keys: Vec<u8>,
    /// Per key byte: `(literal, offset of the key in it)`.
    by_key: Vec<Vec<(u32, u32)>>,
    literals: Vec<Box<[u8]>>,
    /// The literals keyed on a common Latin letter, each with a search for
    /// it whole ([`memchr::memmem`], which tests a
    /// pair of its bytes 32 positions at a time): in a mostly Latin draft
    /// they are searched for so, not compared at every occurrence of their
    /// key. Keyed on `g` and `p`, `regrets`, `charged` and `pologises`
    /// were 28,000 of the English peer file's 41,000 key hits (issue #19);
    /// in a Russian draft those letters are rare and a search per literal
    /// cost more than the few hits.
    whole: Vec<(u32, memchr::memmem::Finder<'static>)>,
    /// `keys` without the key bytes of the `whole` literals.
    keys_but_whole: Vec<u8>,
}

/// Literals keyed on a Latin letter that ranks this high in [`prose_rank`]
/// (`p` and the letters more common than it) are [`LiteralFinder::whole`].
const WHOLE_LITERAL_RANK: u8 = 135;

/// A [`LiteralFinder`] is stored as its literals and rebuilt from them:
/// its key table is quicker to rebuild than to decode.
mod literal_finder_as_literals {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::LiteralFinder;

    pub fn serialize<S: Serializer>(f: &Option<LiteralFinder>, s: S) -> Result<S::Ok, S::Error> {
        let literals: Option<Vec<String>> = f.as_ref().map(|f| {
            f.literals
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect()
        });
        literals.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LiteralFinder>, D::Error> {
        let literals: Option<Vec<String>> = Option::deserialize(d)?;
        Ok(literals.and_then(|l| LiteralFinder::new(&l)))
    }
}

impl LiteralFinder {
    fn new(literals: &[String]) -> Option<LiteralFinder> {
        if literals.is_empty() {
            return None;
        }
        let mut f = LiteralFinder {
            keys: Vec::new(),
            by_key: vec![Vec::new(); 256],
            literals: literals.iter().map(|l| l.as_bytes().into()).collect(),
            whole: Vec::new(),
            keys_but_whole: Vec::new(),
        };
        for (id, lit) in literals.iter().enumerate() {
            let Some((offset, &key)) = lit
                .as_bytes()
                .iter()
                .enumerate()
                .min_by_key(|&(_, &b)| prose_rank(b))
            else {
                continue;
            };
            // Every literal on a key byte is `whole` or none is (the test
            // is of the byte alone), so the key path of a mostly Latin
            // draft meets no `whole` literal and finds nothing twice.
            if key.is_ascii_lowercase() && prose_rank(key) >= WHOLE_LITERAL_RANK {
                let finder = memchr::memmem::Finder::new(lit.as_bytes()).into_owned();
                f.whole.push((id as u32, finder));
            } else {
                f.keys_but_whole.push(key);
            }
            f.keys.push(key);
            f.by_key[key as usize].push((id as u32, offset as u32));
        }
        f.keys.sort_unstable();
        f.keys.dedup();
        f.keys_but_whole.sort_unstable();
        f.keys_but_whole.dedup();
        Some(f)
    }

    /// Every occurrence of every literal, overlapping ones included:
    /// `(start, literal)`, by start. `mostly_latin`: the draft has more
    /// Latin letters than Cyrillic ones (see [`LiteralFinder::whole`]).
    fn hits(&self, hay: &[u8], mostly_latin: bool) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut check = |pos: usize| {
            for &(id, offset) in &self.by_key[hay[pos] as usize] {
                let Some(start) = pos.checked_sub(offset as usize) else {
                    continue;
                };
                if hay[start..].starts_with(&self.literals[id as usize]) {
                    out.push((start as u32, id));
                }
            }
        };
        // One vectorised pass per three key bytes (13 keys for the
        // built-in literals): a byte-by-byte pass with a table test was 11
        // instructions a byte of the draft, a pass per key 13 passes
        // (issue #19).
        let (keys, whole): (&[u8], &[_]) = if mostly_latin {
            (&self.keys_but_whole, &self.whole)
        } else {
            (&self.keys, &[])
        };
        for three in keys.chunks(3) {
            match *three {
                [a, b, c] => memchr::memchr3_iter(a, b, c, hay).for_each(&mut check),
                [a, b] => memchr::memchr2_iter(a, b, hay).for_each(&mut check),
                [a] => memchr::memchr_iter(a, hay).for_each(&mut check),
                // `chunks(3)` gives one to three.
                _ => {}
            }
        }
        for (id, finder) in whole {
            // From the byte after each occurrence: occurrences may overlap
            // (`xx` in `xxx`), which `find_iter` would skip.
            let mut at = 0;
            while let Some(found) = hay.get(at..).and_then(|rest| finder.find(rest)) {
                out.push(((at + found) as u32, *id));
                at += found + 1;
            }
        }
        out.sort_unstable();
        out
    }
}

/// How common a byte is in reply text (lower: rarer), to pick each
/// literal's key byte: spaces and letters (Latin by English frequency,
/// Cyrillic's two bytes) are common, punctuation and symbols rare.
fn prose_rank(b: u8) -> u8 {
    const LETTERS_BY_FREQUENCY: &[u8] = b"zqjxkvbpygfwmucldrhsnioate";
    match b {
        b' ' | b'\n' | 0xD0 | 0xD1 => 255,
        b'a'..=b'z' => {
            let i = LETTERS_BY_FREQUENCY
                .iter()
                .position(|&l| l == b)
                .unwrap_or(0);
            100 + 5 * i as u8
        }
        b'A'..=b'Z' => prose_rank(b.to_ascii_lowercase()),
        0x80..=0xBF => 200,
        b'0'..=b'9' => 90,
        b'.' | b',' => 80,
        _ => 10,
    }
}

/// Per tag id, where the lexicon's matches come from.
fn tag_sources(
    tags: usize,
    phrases: &[Phrase],
    regexes: &[RegexRule],
    rule_tags: &[Vec<u32>],
) -> Vec<TagSources> {
    let mut sources = vec![TagSources::ScriptBound; tags];
    let mut note = |owner: Owner, source: TagSources| {
        let own;
        let tags = match owner {
            Owner::Tag(t) => {
                own = [t];
                &own[..]
            }
            Owner::Rule(r) => rule_tags.get(r as usize).map_or(&[][..], Vec::as_slice),
        };
        for &t in tags {
            if let Some(s) = sources.get_mut(t as usize) {
                *s = (*s).max(source);
            }
        }
    };
    for p in phrases {
        let words = p.first_script != Script::Other && matches!(p.owner, Owner::Tag(_));
        let source = if words {
            TagSources::ScriptBound
        } else {
            TagSources::MaybeMixed
        };
        note(p.owner, source);
    }
    for r in regexes {
        // Regexes with neither literals nor line classes run on the whole
        // draft (`Engine::scan_unfiltered_regexes`).
        let whole_draft = r.spec.prefilter.is_empty() && r.spec.classes.is_empty();
        let source = if whole_draft {
            TagSources::AcrossParagraphs
        } else {
            TagSources::MaybeMixed
        };
        note(r.owner, source);
    }
    sources
}

impl Engine {
    /// Compiles a validated rule book.
    pub fn compile(book: &RuleBook) -> Engine {
        let lexicons = book.merged_lexicons();
        let tag_names: Vec<String> = lexicons.keys().map(|s| (*s).to_owned()).collect();
        let tag_id: HashMap<&str, u32> = tag_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i as u32))
            .collect();
        let mut vocab = Vocab::default();
        let mut phrases: Vec<Phrase> = Vec::new();
        let mut contexts: Vec<CompiledContext> = Vec::new();
        let mut rule_tags = Vec::new();
        // (word or prefix id, phrase index)
        let mut word_pairs: Vec<(u32, u32)> = Vec::new();
        let mut prefix_pairs: Vec<(u32, u32)> = Vec::new();
        let mut add_phrases = |vocab: &mut Vocab,
                               owner: Owner,
                               patterns: &[Variant],
                               context: Option<usize>,
                               lang: RuleLang| {
            for v in patterns {
                let idx = phrases.len() as u32;
                let before = &v.elems[..v.anchor];
                let after = &v.elems[v.anchor + 1..];
                let left =
                    first_literals(before, Dir::Backward).and_then(|l| TokenSet::of_refs(l, vocab));
                let right =
                    first_literals(after, Dir::Forward).and_then(|l| TokenSet::of_refs(l, vocab));
                phrases.push(Phrase {
                    owner,
                    elems: compile_anchored(&v.elems, v.anchor, vocab),
                    anchor: v.anchor,
                    left,
                    right,
                    context,
                    lang,
                    first_script: first_script(&v.elems),
                });
                for lit in &v.anchors {
                    // The loaders reject empty literals; no token is empty.
                    if lit.text.is_empty() {
                        continue;
                    }
                    if lit.prefix {
                        prefix_pairs.push((vocab.prefix(&lit.text), idx));
                    } else {
                        word_pairs.push((vocab.word(&lit.text), idx));
                    }
                }
            }
        };
        let mut regex_specs: Vec<(Owner, RegexSpec, RuleLang)> = Vec::new();
        for (i, rule) in book.rules.iter().enumerate() {
            let owner = Owner::Rule(i as u32);
            rule_tags.push(
                rule.tags
                    .iter()
                    .filter_map(|t| tag_id.get(t.as_str()).copied())
                    .collect(),
            );
            match &rule.kind {
                RuleKind::Phrase { patterns, context } => {
                    contexts.push(CompiledContext::new(context, &mut vocab));
                    let ctx = contexts.len() - 1;
                    add_phrases(&mut vocab, owner, patterns, Some(ctx), rule.lang);
                }
                RuleKind::Regex(spec) => regex_specs.push((owner, spec.clone(), rule.lang)),
                _ => {}
            }
        }
        for (name, parts) in &lexicons {
            let owner = Owner::Tag(tag_id[name]);
            for lex in parts {
                let c = &lex.context;
                let ctx = if c.unless_before.is_empty()
                    && c.unless_after.is_empty()
                    && c.unless_sentence.is_empty()
                    && c.unless_inside.is_empty()
                {
                    None
                } else {
                    contexts.push(CompiledContext::new(c, &mut vocab));
                    Some(contexts.len() - 1)
                };
                add_phrases(&mut vocab, owner, &lex.patterns, ctx, lex.lang);
                for spec in &lex.regexes {
                    regex_specs.push((owner, spec.clone(), RuleLang::Any));
                }
            }
        }
        let gates = NeighbourGates(phrases.iter().map(NeighbourGate::of).collect());
        let mut regexes: Vec<RegexRule> = Vec::new();
        let mut unfiltered: Vec<UnfilteredGroup> = Vec::new();
        let mut literal_ids: HashMap<String, usize> = HashMap::new();
        let mut regex_literals: Vec<String> = Vec::new();
        let mut regex_targets: Vec<Vec<u32>> = Vec::new();
        for (owner, spec, lang) in regex_specs {
            let idx = regexes.len() as u32;
            if spec.prefilter.is_empty() {
                let mut classes = spec.classes.clone();
                classes.sort_unstable_by_key(|c| *c as usize);
                classes.dedup();
                match unfiltered
                    .iter_mut()
                    .find(|g| g.classes == classes && g.case_sensitive == spec.case_sensitive)
                {
                    Some(g) => g.members.push(idx),
                    None => unfiltered.push(UnfilteredGroup {
                        classes,
                        case_sensitive: spec.case_sensitive,
                        members: vec![idx],
                        set: std::sync::OnceLock::new(),
                        dfas: None,
                        tested_bytes: std::sync::atomic::AtomicUsize::new(0),
                    }),
                }
            }
            for lit in &spec.prefilter {
                // Case-sensitive regexes run on original text, but their
                // prefilter is found in the normalised text.
                let lit = apolint_rules::normalize::normalize(lit).text;
                if lit.is_empty() {
                    continue;
                }
                let id = *literal_ids.entry(lit.clone()).or_insert_with(|| {
                    regex_literals.push(lit);
                    regex_targets.push(Vec::new());
                    regex_targets.len() - 1
                });
                regex_targets[id].push(idx);
            }
            regexes.push(RegexRule {
                owner,
                spec,
                lang,
                dfas: None,
                light: LightRegex::default(),
                nfas: None,
            });
        }
        let tag_sources = tag_sources(tag_names.len(), &phrases, &regexes, &rule_tags);
        Engine {
            anchor_mode: AnchorMode::Vocab,
            anchor_finder: std::sync::OnceLock::new(),
            word_anchors: AnchorIndex::new(vocab.word_count(), word_pairs),
            prefix_anchors: AnchorIndex::new(vocab.prefix_count(), prefix_pairs),
            gates,
            vocab: vocab.freeze(),
            phrases: Phrases::from(phrases),
            regexes,
            regex_literals: LiteralFinder::new(&regex_literals),
            regex_targets,
            unfiltered,
            contexts,
            tag_names,
            rule_tags,
            tag_sources,
            tag_budget: TagBudget::default(),
        }
    }

    /// The lexicon counts for a scan of a draft of `len` bytes.
    fn tag_counts(&self, len: usize) -> TagCounts<'_> {
        TagCounts::new(&self.tag_budget, len >= BUDGET_MIN_BYTES)
    }

    /// The lexicon counts for a regex pass over a draft of `len` bytes,
    /// line by line (`false`: at once, which counts nothing).
    fn regex_tag_counts(&self, len: usize, by_line: bool) -> RegexTagCounts<'_> {
        RegexTagCounts::new(&self.tag_budget, by_line && len >= BUDGET_MIN_BYTES)
    }

    /// How many matches of each lexicon the scan must find (see
    /// [`TagBudget`]); the default finds every one.
    pub fn set_tag_budget(&mut self, budget: TagBudget) {
        self.tag_budget = budget.bounded_by(&self.tag_sources);
    }

    /// Chooses how anchors are found (for measuring one against the other).
    pub fn set_anchor_mode(&mut self, mode: AnchorMode) {
        self.anchor_mode = mode;
    }

    /// The vocabulary, for `build.rs` to store apart from the engine.
    #[allow(dead_code)] // by build.rs, which includes this file
    pub fn vocab(&self) -> &VocabTable {
        &self.vocab
    }

    /// Gives a decoded engine its vocabulary (not serialised with it).
    pub fn set_vocab(&mut self, vocab: VocabTable) {
        self.vocab = vocab;
    }

    /// Every regex's pattern, in the order [`RegexDfaIndex::spans`] follows.
    #[allow(dead_code)] // by build.rs, which includes this file, and tests
    pub fn regex_patterns(&self) -> Vec<&str> {
        self.regexes.iter().map(|r| r.spec.regex.as_str()).collect()
    }

    /// The regex index of each member of each group of regexes with no
    /// literal prefilter, in group and member order: the shape of
    /// [`RegexDfaIndex::members`].
    #[allow(dead_code)] // by build.rs, which includes this file, and tests
    pub fn member_regexes(&self) -> Vec<Vec<usize>> {
        self.unfiltered
            .iter()
            .map(|g| g.members.iter().map(|&ri| ri as usize).collect())
            .collect()
    }

    /// Gives the regexes the DFAs `build.rs` compiled: their span DFAs,
    /// their groups' member tests and set DFAs, as byte ranges of `blob`.
    /// An index whose shape does not match this engine's regexes (or
    /// groups) is left out.
    ///
    /// # Safety
    ///
    /// Each range of `blob` that `index` names must be a dense DFA that
    /// this crate's regex-automata wrote with `to_bytes_*` (as `build.rs`
    /// does): they are read without validating their transitions.
    ///
    /// For the answers to be right (not for memory safety), each pair of
    /// [`RegexDfaIndex::spans`] must be the forward and reverse DFA of one
    /// `regex_automata::dfa::regex::Regex` built from that regex's own
    /// pattern: a mismatched pair finds other spans, or panics in
    /// regex-automata's check that the reverse search matches. So must
    /// each pair of [`RegexDfaIndex::nfas`] be the NFAs of that regex's
    /// pattern ([`stored_nfas`]): their lazy DFAs check the
    /// same.
    pub unsafe fn attach_regex_dfas(&mut self, blob: &'static [u8], index: &RegexDfaIndex) {
        let range = |(s, e): (u32, u32)| blob.get(s as usize..e as usize);
        if index.nfas.len() == self.regexes.len() {
            for (rule, nfas) in self.regexes.iter_mut().zip(&index.nfas) {
                let Some(nfas) = nfas else { continue };
                if let (Some(forward), Some(reverse)) = (range(nfas.forward), range(nfas.reverse)) {
                    rule.nfas = Some(StoredNfas::new(forward, reverse));
                }
            }
        }
        if index.spans.len() == self.regexes.len() {
            for (rule, spans) in self.regexes.iter_mut().zip(&index.spans) {
                let Some(spans) = spans else { continue };
                if let (Some(forward), Some(reverse)) = (range(spans.forward), range(spans.reverse))
                {
                    rule.dfas = Some(SpanRegex {
                        forward,
                        reverse,
                        regex: std::sync::OnceLock::new(),
                    });
                }
            }
        }
        if index.members.len() != self.unfiltered.len() {
            return;
        }
        for (g, (group, tests)) in self.unfiltered.iter_mut().zip(&index.members).enumerate() {
            if tests.len() != group.members.len() {
                continue;
            }
            // A set naming members out of order or past the group's is
            // left out: its answers could not be mapped back.
            let set = index.sets.get(g).cloned().flatten().filter(|set| {
                set.members.windows(2).all(|w| w[0] < w[1])
                    && set
                        .members
                        .last()
                        .is_some_and(|&k| (k as usize) < tests.len())
            });
            let mut in_set = vec![false; tests.len()];
            for &k in set.iter().flat_map(|set| &set.members) {
                in_set[k as usize] = true;
            }
            group.dfas = Some(MemberDfas {
                tests: tests.clone(),
                blob,
                dfas: std::sync::OnceLock::new(),
                set,
                in_set,
                set_dfa: std::sync::OnceLock::new(),
            });
        }
    }

    fn anchor_finder(&self) -> Option<&AnchorFinder> {
        self.anchor_finder
            .get_or_init(|| {
                let mut patterns: Vec<&str> = Vec::new();
                let mut whole = Vec::new();
                for (w, id) in self.vocab.words() {
                    if !self.word_anchors.of(id).is_empty() {
                        patterns.push(w);
                        whole.push(true);
                    }
                }
                for id in 0..self.vocab.prefix_count() as u32 {
                    if !self.prefix_anchors.of(id).is_empty() {
                        patterns.push(self.vocab.prefix_text(id));
                        whole.push(false);
                    }
                }
                // Measured (issue #19) against the contiguous and
                // non-contiguous NFAs, with and without the prefilter, and
                // non-overlapping: the DFA is the fastest of them per draft.
                // Overlapping iteration is needed, as an anchor at a word
                // edge can overlap another that is not (`don` in `don't`).
                let ac = aho_corasick::AhoCorasick::builder()
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .match_kind(aho_corasick::MatchKind::Standard)
                    .build(&patterns)
                    .ok()?;
                Some(AnchorFinder { ac, whole })
            })
            .as_ref()
    }

    /// Start offsets, in order, of the anchor occurrences at a word edge.
    fn anchor_candidates(&self, text: &str) -> Option<Vec<u32>> {
        let finder = self.anchor_finder()?;
        let mut out = Vec::new();
        for m in finder.ac.find_overlapping_iter(text) {
            let (s, e) = (m.start(), m.end());
            if !word_start(text, s) {
                continue;
            }
            if finder.whole[m.pattern().as_usize()] && !word_end(text, e) {
                continue;
            }
            if out.last().is_none_or(|&l| l as usize != s) {
                out.push(s as u32);
            }
        }
        // Overlapping matches are reported by end offset.
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// Number of distinct anchors: words and prefixes that phrases are
    /// anchored on, and regex literals.
    pub fn anchor_count(&self) -> usize {
        self.word_anchors.anchored() + self.prefix_anchors.anchored() + self.regex_targets.len()
    }

    /// Finds every verified match in a normalised draft. `cased` is the text
    /// before normalisation (for case-sensitive regexes); `forced` is the
    /// language the caller imposed, if any; `block_starts` are the offsets
    /// in `cased` of the lines that open a new block (see
    /// [`crate::input::Extracted::block_starts`]).
    pub fn scan(
        &self,
        norm: &Normalized,
        cased: &str,
        forced: Option<Language>,
        block_starts: &[usize],
    ) -> Matches {
        match self.prepare_shared_scan(norm, cased, forced, block_starts) {
            Some(shared) => std::thread::scope(|scope| {
                // A thread the system refuses leaves its part to this one.
                let helper = std::thread::Builder::new()
                    .spawn_scoped(scope, || self.scan_helper_part(&shared))
                    .ok();
                self.finish_shared_scan(&shared, || match helper {
                    Some(helper) => helper.join().map(Some),
                    None => Ok(None),
                })
            }),
            None => self.scan_on_one_thread(norm, cased, forced, block_starts),
        }
    }

    /// [`Engine::scan`] on the calling thread alone, however large the
    /// draft.
    pub fn scan_on_one_thread(
        &self,
        norm: &Normalized,
        cased: &str,
        forced: Option<Language>,
        block_starts: &[usize],
    ) -> Matches {
        let draft = DraftText {
            norm,
            cased,
            forced,
        };
        // Replies hold about a match per 16 bytes: sized once, not grown
        // four or five times from empty (capped: a pasted log holds few).
        let mut out = Vec::with_capacity((norm.text.len() / 16).min(4096));
        self.scan_literal_regexes(&draft, &mut out);
        let mut counts = self.tag_counts(norm.text.len());
        let whole = 0..norm.text.len();
        self.scan_paragraphs(norm, forced, block_starts, whole, &mut counts, &mut out);
        self.scan_unfiltered_regexes(&draft, &mut out);
        Matches::from(out)
    }

    /// Whether a draft of `len` bytes may have its scan shared by two
    /// threads ([`Engine::prepare_shared_scan`]): a caller that knows so before
    /// normalising can start the helper thread early.
    pub fn may_share_scan(&self, len: usize) -> bool {
        // Asked once: on Linux the answer reads the cgroup's CPU quota.
        static TWO_CORES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        self.anchor_mode == AnchorMode::Vocab
            && len >= PARALLEL_SCAN_BYTES
            && *TWO_CORES
                .get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2))
    }

    /// The scan of a large draft (an archive pasted as one reply, the 1 MB
    /// peer benchmark) shared by two threads, or `None` if it is scanned on
    /// one: a helper thread runs the regexes
    /// ([`Engine::scan_helper_part`]), then both take stretches of
    /// paragraphs in turn (each from a blank line, where the sequential
    /// walk starts a paragraph anyway), and [`Engine::finish_shared_scan`]
    /// joins the parts in the order one thread makes them, so the matches
    /// are the same. Arguments as for [`Engine::scan`].
    pub fn prepare_shared_scan<'a>(
        &self,
        norm: &'a Normalized,
        cased: &'a str,
        forced: Option<Language>,
        block_starts: &'a [usize],
    ) -> Option<SharedScan<'a>> {
        if !self.may_share_scan(norm.text.len()) {
            return None;
        }
        let bounds = paragraph_stretches(norm.text.as_bytes(), SCAN_STRETCH_BYTES);
        Some(SharedScan::new(
            DraftText {
                norm,
                cased,
                forced,
            },
            block_starts,
            bounds,
        ))
    }

    /// Readies the regexes that have no stored DFAs, one by one, until
    /// `stop` says to: the helper of a shared scan does this while the
    /// draft is being extracted and normalised, when it would otherwise
    /// wait. A built-in one builds its lazy DFAs from its stored NFAs; a
    /// user's regex compiles (~1.8M instructions for a placeholder
    /// pattern: compiled during the scan, the built-in ones were 4% of the
    /// 1 MB English peer file's instructions, on the helper's way, issue
    /// #19).
    pub fn ready_regexes_without_dfas(&self, mut stop: impl FnMut() -> bool) {
        for rule in self.regexes.iter().filter(|r| r.dfas.is_none()) {
            if stop() {
                return;
            }
            match &rule.nfas {
                Some(nfas) => {
                    let _ = nfas.lazy_dfas();
                }
                None => {
                    let _ = rule.spec.regex.get();
                }
            }
        }
    }

    /// The helper thread's part of a shared scan: the regexes, then
    /// stretches of paragraphs while any are left.
    pub fn scan_helper_part(&self, shared: &SharedScan<'_>) -> HelperPart {
        let (mut literal, mut unfiltered) = (Vec::new(), Vec::new());
        self.scan_literal_regexes(&shared.draft, &mut literal);
        self.scan_unfiltered_regexes(&shared.draft, &mut unfiltered);
        HelperPart {
            literal,
            stretches: self.take_stretches(shared),
            unfiltered,
        }
    }

    /// The calling thread's part of a shared scan (stretches of paragraphs
    /// while any are left), joined with the helper's, which `helper` waits
    /// for: its panic is resumed here, and if it did not run (`None`),
    /// this thread does its part.
    pub fn finish_shared_scan(
        &self,
        shared: &SharedScan<'_>,
        helper: impl FnOnce() -> std::thread::Result<Option<HelperPart>>,
    ) -> Matches {
        let mine = self.take_stretches(shared);
        let theirs = match helper() {
            Ok(Some(part)) => part,
            Ok(None) => self.scan_helper_part(shared),
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let HelperPart {
            literal,
            stretches,
            unfiltered,
        } = theirs;
        let mut found: Vec<(usize, Vec<RawMatch>)> = mine;
        found.extend(stretches);
        found.sort_unstable_by_key(|&(i, _)| i);
        let mut parts = Vec::with_capacity(found.len() + 2);
        parts.push(literal);
        parts.extend(found.into_iter().map(|(_, f)| f));
        parts.push(unfiltered);
        Matches::from_parts(parts)
    }

    /// Scans stretches of a shared scan, whichever is next, until none is
    /// left: how much of the scan the regexes are depends on the text (a
    /// third of it in Russian, a fifth in English), so a fixed split left
    /// one thread waiting.
    fn take_stretches(&self, shared: &SharedScan<'_>) -> Vec<(usize, Vec<RawMatch>)> {
        use std::sync::atomic::Ordering;
        let SharedScan {
            draft,
            block_starts,
            bounds,
            next,
        } = shared;
        let stretches = bounds.len().saturating_sub(1);
        let mut done: Vec<(usize, Vec<RawMatch>)> = Vec::new();
        // Kept from stretch to stretch: a thread takes them in order, so
        // the paragraphs it counted come before the ones it scans next.
        let mut counts = self.tag_counts(draft.norm.text.len());
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= stretches {
                return done;
            }
            let mut found = Vec::new();
            self.scan_paragraphs(
                draft.norm,
                draft.forced,
                block_starts,
                bounds[i]..bounds[i + 1],
                &mut counts,
                &mut found,
            );
            done.push((i, found));
        }
    }

    /// Runs each regex that has literals on the lines holding one of them.
    fn scan_literal_regexes(&self, draft: &DraftText<'_>, out: &mut Vec<RawMatch>) {
        let Some(finder) = &self.regex_literals else {
            return;
        };
        let bytes = draft.norm.text.as_bytes();
        if bytes.len() >= LAZY_DFAS_DRAFT_BYTES {
            for nfas in self.regexes.iter().filter_map(|r| r.nfas.as_ref()) {
                let _ = nfas.lazy_dfas();
            }
        }
        // Each regex runs at most once per line, however many of its
        // literals the line holds (`{{` holds `{` too).
        let mut regex_done_at: Vec<usize> = vec![usize::MAX; self.regexes.len()];
        let mut bounds = (usize::MAX, usize::MAX);
        let mut counts = self.regex_tag_counts(bytes.len(), true);
        let norm = draft.norm;
        let mostly_latin = norm.latin_letters > norm.cyrillic_letters;
        for (start, literal) in finder.hits(bytes, mostly_latin) {
            let start = start as usize;
            if !(bounds.0..=bounds.1).contains(&start) {
                bounds = line_bounds(bytes, start);
            }
            for &ri in &self.regex_targets[literal as usize] {
                if regex_done_at[ri as usize] != bounds.0 {
                    regex_done_at[ri as usize] = bounds.0;
                    let (ls, le) = bounds;
                    self.run_regex_in_budget(ri, draft, ls, le, &mut counts, out);
                }
            }
        }
    }

    /// Runs the regexes with no literals, group by group: over the whole
    /// draft, or over the lines of their classes.
    fn scan_unfiltered_regexes(&self, draft: &DraftText<'_>, out: &mut Vec<RawMatch>) {
        let norm = draft.norm;
        let bytes = norm.text.as_bytes();
        for group in &self.unfiltered {
            let lines: Vec<(usize, usize)> = if group.classes.is_empty() {
                vec![(0, bytes.len())]
            } else {
                // The lines that have any of the classes, once each.
                let mut starts: Vec<u32> = group
                    .classes
                    .iter()
                    .flat_map(|c| norm.lines_with(*c).iter().copied())
                    .collect();
                if group.classes.len() > 1 {
                    starts.sort_unstable();
                    starts.dedup();
                }
                starts
                    .into_iter()
                    .map(|ls| line_bounds(bytes, ls as usize))
                    .collect()
            };
            let tests = group.tests_for(lines.iter().map(|(ls, le)| le - ls).sum());
            let mut counts = self.regex_tag_counts(bytes.len(), !group.classes.is_empty());
            for line in lines {
                self.run_group(group, tests, draft, line, &mut counts, out);
            }
        }
    }

    /// Scans the paragraphs of `norm` from offset `from` to `to` (both
    /// paragraph starts, or the end): a phrase may run on across a line break inside a paragraph
    /// (hard-wrapped mail, a soft break, `<br>`), never across a blank line
    /// or into a new block. The buffers are reused from paragraph to
    /// paragraph.
    fn scan_paragraphs(
        &self,
        norm: &Normalized,
        forced: Option<Language>,
        block_starts: &[usize],
        stretch: std::ops::Range<usize>,
        counts: &mut TagCounts<'_>,
        out: &mut Vec<RawMatch>,
    ) {
        let (from, to) = (stretch.start, stretch.end);
        let text = norm.text.as_str();
        let bytes = text.as_bytes();
        let mut line = Line::default();
        let mut ids = TokenIds::default();
        let line_end =
            |ls: usize| memchr::memchr(b'\n', &bytes[ls..]).map_or(bytes.len(), |p| ls + p);
        let blank = |ls: usize, le: usize| is_blank_line(&bytes[ls..le]);
        let opens_block = |ls: usize| block_starts.binary_search(&norm.map.to_source(ls)).is_ok();
        // A blank line (masked quotes and signatures are blank) is scanned
        // once: the look-ahead that found it hands it over.
        let mut known_blank: Option<usize> = None;
        let candidates = match self.anchor_mode {
            AnchorMode::Vocab => None,
            AnchorMode::Automaton => self.anchor_candidates(text),
        };
        let mut next_candidate = 0;
        let mut ls = from;
        while ls < to {
            if let Some(c) = &candidates {
                if next_candidate >= c.len() {
                    break;
                }
            }
            let mut le = line_end(ls);
            if known_blank != Some(ls) && !blank(ls, le) {
                while le < bytes.len() {
                    let next = le + 1;
                    let next_end = line_end(next);
                    if blank(next, next_end) {
                        known_blank = Some(next);
                        break;
                    }
                    if opens_block(next) {
                        break;
                    }
                    le = next_end;
                }
            }
            if let Some(c) = &candidates {
                while c.get(next_candidate).is_some_and(|&p| (p as usize) < ls) {
                    next_candidate += 1;
                }
                if c.get(next_candidate).is_none_or(|&p| p as usize >= le) {
                    ls = le + 1;
                    continue;
                }
            }
            line.retokenize(text, ls, le);
            if !line.tokens.is_empty() {
                self.vocab.resolve_into(text, &line.tokens, &mut ids);
                // The scripts are looked at only to count (the forced
                // language is kept in any case: `verify` reads it here).
                let language = match forced {
                    Some(l) => ParagraphLanguage::Forced(l),
                    None if counts.on() => ParagraphLanguage::of(&line, None),
                    None => ParagraphLanguage::Unknown,
                };
                let before = out.len();
                let paragraph = InParagraph { language, counts };
                self.scan_line(text, &line, &ids, paragraph, out);
                counts.add_paragraph(language.of_matches(), &out[before..]);
            }
            ls = le + 1;
        }
    }

    /// Verifies the phrases anchored on each word of one tokenized
    /// paragraph.
    fn scan_line(
        &self,
        text: &str,
        line: &Line,
        ids: &TokenIds,
        paragraph: InParagraph<'_>,
        out: &mut Vec<RawMatch>,
    ) {
        let m = Matcher {
            norm: text,
            tokens: &line.tokens,
            ids,
        };
        for (i, t) in line.tokens.iter().enumerate() {
            // `NO_WORD` is past every id, so it has no phrases.
            let exact = self.word_anchors.of(ids.words[i]);
            let prefixes = ids.prefixes_of(i);
            if exact.is_empty() && prefixes.is_empty() {
                continue;
            }
            // A word token can start right after a letter of a script that
            // does not join with it (`カabc`); anchors need a word edge.
            // The fast tokenizer's tokens have one (testing it was 1% of a
            // megabyte's check).
            let (s, e) = (t.start as usize, t.end as usize);
            debug_assert!(!line.words_at_edges || (word_start(text, s) && word_end(text, e)));
            if !line.words_at_edges && !word_start(text, s) {
                continue;
            }
            let (left, right) = neighbour_bits(ids, i);
            if !exact.is_empty() && (line.words_at_edges || word_end(text, e)) {
                for &p in exact {
                    let gate = self.gates.of(p);
                    if gate.admits(left, right) {
                        self.verify(p, gate, &m, line, i, paragraph, out);
                    }
                }
            }
            for &pid in prefixes {
                for &p in self.prefix_anchors.of(pid) {
                    let gate = self.gates.of(p);
                    if gate.admits(left, right) {
                        self.verify(p, gate, &m, line, i, paragraph, out);
                    }
                }
            }
        }
    }

    /// Verifies phrase `idx` (whose gate is `gate`) anchored on token `at`,
    /// unless its lexicon has enough matches: inlined into the anchor loop,
    /// so that this test, which turns down more than half the hits of a
    /// large draft (54,000 of 97,000 on the English peer file), costs no
    /// call of the walk's frame and no fetch of the phrase.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn verify(
        &self,
        idx: u32,
        gate: NeighbourGate,
        m: &Matcher<'_>,
        line: &Line,
        at: usize,
        paragraph: InParagraph<'_>,
        out: &mut Vec<RawMatch>,
    ) {
        if gate.lexicon != NeighbourGate::NO_LEXICON {
            let lang = paragraph.language.of_phrase(gate.first_script);
            if lang.is_some_and(|l| paragraph.counts.enough(gate.lexicon, l, paragraph.language)) {
                return;
            }
        }
        let Some(phrase) = self.phrases.get(idx as usize) else {
            return;
        };
        self.verify_around(phrase, m, line, at, paragraph, out);
    }

    /// [`Engine::verify`] past the budget: the neighbours, the walk, the
    /// context, the sentence's language.
    #[inline(never)]
    fn verify_around(
        &self,
        phrase: &Phrase,
        m: &Matcher<'_>,
        line: &Line,
        at: usize,
        paragraph: InParagraph<'_>,
        out: &mut Vec<RawMatch>,
    ) {
        let text = m.norm;
        if phrase
            .left
            .as_ref()
            .is_some_and(|l| !m.token_in(l, at as isize - 1))
            || phrase
                .right
                .as_ref()
                .is_some_and(|r| !m.token_in(r, at as isize + 1))
        {
            return;
        }
        let Some((a, b)) = m.match_around_hit(&phrase.elems, phrase.anchor, at) else {
            return;
        };
        if let Some(ci) = phrase.context {
            let ctx = &self.contexts[ci];
            if !ctx.in_quotes && line.tokens[a].in_quotes {
                return;
            }
            if ctx.clause_start && !m.at_clause_start(a) {
                return;
            }
            if ctx.unless_before.iter().any(|p| m.matches_before(p, a)) {
                return;
            }
            if ctx.unless_after.iter().any(|p| m.matches_at(p, b + 1)) {
                return;
            }
            if (a + 1..=b).any(|i| {
                ctx.unless_inside
                    .iter()
                    .any(|p| m.may_start_at(p, i) && m.matches_at(p, i))
            }) {
                return;
            }
            if !ctx.unless_sentence.is_empty() {
                let (from, to) = line.sentence_window(text, a);
                let heads = ctx.sentence_heads.as_ref();
                if (from..to).any(|i| {
                    heads.is_none_or(|h| m.token_in(h, i as isize))
                        && ctx
                            .unless_sentence
                            .iter()
                            .any(|p| m.may_start_at(p, i) && m.matches_at(p, i))
                }) {
                    return;
                }
            }
        }
        let lang = match paragraph.language {
            ParagraphLanguage::Forced(l) => l,
            _ => line.sentence_language(text, a),
        };
        if !lang_allows(phrase.lang, lang) {
            return;
        }
        out.push(RawMatch {
            owner: phrase.owner.into(),
            start: line.tokens[a].start,
            end: line.tokens[b].end,
            lang,
        });
    }

    /// Runs the members of `group` that match somewhere in `[ls, le)`.
    fn run_group(
        &self,
        group: &UnfilteredGroup,
        tests: Option<&MemberDfas>,
        draft: &DraftText<'_>,
        (ls, le): (usize, usize),
        counts: &mut RegexTagCounts<'_>,
        out: &mut Vec<RawMatch>,
    ) {
        let (hay, _) = draft.line(group.case_sensitive, ls, le);
        let matching = match tests.and_then(|tests| tests.matches(hay)) {
            Some(matching) => Some(matching),
            None => group.set(&self.regexes).and_then(|set| set.matches(hay)),
        };
        let Some(matching) = matching else {
            for &ri in &group.members {
                self.run_regex_in_budget(ri, draft, ls, le, counts, out);
            }
            return;
        };
        for k in matching {
            self.run_regex_in_budget(group.members[k], draft, ls, le, counts, out);
        }
    }

    /// [`Engine::run_regex`], unless it feeds a lexicon the findings
    /// stage has read enough of (see [`RegexTagCounts`]).
    fn run_regex_in_budget(
        &self,
        ri: u32,
        draft: &DraftText<'_>,
        ls: usize,
        le: usize,
        counts: &mut RegexTagCounts<'_>,
        out: &mut Vec<RawMatch>,
    ) {
        let Owner::Tag(t) = self.regexes[ri as usize].owner else {
            self.run_regex(ri, draft, ls, le, out);
            return;
        };
        counts.go_to(ls, draft.norm.text.as_bytes());
        if counts.enough(t) {
            return;
        }
        let before = out.len();
        self.run_regex(ri, draft, ls, le, out);
        if out.len() > before {
            counts.add(t);
        }
    }

    fn run_regex(
        &self,
        ri: u32,
        draft: &DraftText<'_>,
        ls: usize,
        le: usize,
        out: &mut Vec<RawMatch>,
    ) {
        let rule = &self.regexes[ri as usize];
        let spec = &rule.spec;
        let (norm, forced) = (draft.norm, draft.forced);
        let (hay, base) = draft.line(spec.case_sensitive, ls, le);
        let spans = match rule.spans_uncompiled(hay) {
            Some(spans) => spans,
            None => match spec.regex.get() {
                Some(regex) => regex.find_iter(hay).map(|m| (m.start(), m.end())).collect(),
                None => return,
            },
        };
        // The quotations of [ls, le), found on the first match that asks.
        let mut quotations: Option<Vec<(usize, usize)>> = None;
        for (start, end) in spans {
            if start == end {
                continue;
            }
            if spec.word_boundary && (!word_start(hay, start) || !word_end(hay, end)) {
                continue;
            }
            // Lowercased once for the whole list (the shouting rule allows
            // some thirty abbreviations: lowercasing the match for each was
            // ~1% of an audit, issue #19).
            if !spec.allow.is_empty() {
                let found = hay[start..end].to_lowercase();
                if spec.allow.contains(&found) {
                    continue;
                }
            }
            let (mut s, mut e) = (base + start, base + end);
            if spec.case_sensitive {
                s = norm.map.to_derived(s);
                e = norm.map.to_derived(e);
            }
            // Like phrase rules, reporting regexes skip the customer's words
            // quoted inside the agent's sentence («…!!!»), unless the rule
            // says a match counts anywhere (placeholders).
            if matches!(rule.owner, Owner::Rule(_)) && !spec.in_quotes {
                let pairs = quotations.get_or_insert_with(|| quotations_of(&norm.text, ls, le));
                if inside_quotes(pairs, s) {
                    continue;
                }
            }
            let lang = forced.unwrap_or(Language::Mixed);
            if !lang_allows(rule.lang, lang) {
                continue;
            }
            out.push(RawMatch {
                owner: rule.owner.into(),
                start: s as u32,
                end: e as u32,
                lang,
            });
        }
    }
}

/// One large draft's scan shared by two threads ([`Engine::prepare_shared_scan`]):
/// the draft, its stretches of paragraphs, and which is next.
pub struct SharedScan<'a> {
    draft: DraftText<'a>,
    block_starts: &'a [usize],
    /// Where the stretches start, and where the last ends.
    bounds: Vec<usize>,
    next: std::sync::atomic::AtomicUsize,
}

impl<'a> SharedScan<'a> {
    fn new(draft: DraftText<'a>, block_starts: &'a [usize], bounds: Vec<usize>) -> Self {
        SharedScan {
            draft,
            block_starts,
            bounds,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

/// What the helper thread of a shared scan found
/// ([`Engine::scan_helper_part`]).
pub struct HelperPart {
    literal: Vec<RawMatch>,
    stretches: Vec<(usize, Vec<RawMatch>)>,
    unfiltered: Vec<RawMatch>,
}

/// The draft as the regexes see it.
struct DraftText<'a> {
    norm: &'a Normalized,
    /// The text before normalisation, for case-sensitive regexes.
    cased: &'a str,
    /// The language the caller imposed, if any.
    forced: Option<Language>,
}

impl DraftText<'_> {
    /// The normalised line `[ls, le)`, or for case-sensitive regexes the
    /// same line before normalisation; with its start offset in that text.
    fn line(&self, case_sensitive: bool, ls: usize, le: usize) -> (&str, usize) {
        if case_sensitive {
            let (cs, ce) = (self.norm.map.to_source(ls), self.norm.map.to_source(le));
            (self.cased.get(cs..ce).unwrap_or(""), cs)
        } else {
            (&self.norm.text[ls..le], ls)
        }
    }
}

/// The word bits ([`TokenSet::word_bit`]) of the words before and after
/// token `i`, for [`NeighbourGate::admits`]: 0 past the line's ends and
/// for a token that is no word of the patterns.
#[inline]
fn neighbour_bits(ids: &TokenIds, i: usize) -> (u64, u64) {
    let bit = |j: usize| {
        ids.words
            .get(j)
            .filter(|&&w| w != NO_WORD)
            .map_or(0, |&w| TokenSet::word_bit(w))
    };
    (i.checked_sub(1).map_or(0, bit), bit(i + 1))
}

/// Whether a rule written for `rule` may report in a sentence of `sentence`.
/// Mixed sentences accept both languages.
pub fn lang_allows(rule: RuleLang, sentence: Language) -> bool {
    matches!(
        (rule, sentence),
        (RuleLang::Any, _)
            | (_, Language::Mixed)
            | (RuleLang::Ru, Language::Ru)
            | (RuleLang::En, Language::En)
    )
}

/// The line around byte `pos`: `(start, end)` excluding the `\n`.
pub fn line_bounds(bytes: &[u8], pos: usize) -> (usize, usize) {
    // `memchr`, not a byte loop: the regexes look up the line of every
    // literal hit and of every line with a digit, ~1.4 MB of a 1 MB
    // English draft at 7 instructions a byte (issue #19).
    let start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |p| pos + p);
    (start, end)
}

/// Drafts from this many bytes on have their paragraphs scanned on two
/// threads: below it a thread's start (tens of microseconds) is a large
/// share of the scan, and replies in an archive (audit) are far smaller
/// and already spread over the cores.
const PARALLEL_SCAN_BYTES: usize = 64 * 1024;

/// About how many bytes of paragraphs a thread takes at a time when two
/// share a scan: small enough that neither waits long for the other at
/// the end (a stretch is ~3M instructions), large enough that taking one
/// costs nothing next to scanning it.
const SCAN_STRETCH_BYTES: usize = 16 * 1024;

/// Where stretches of about `size` bytes of paragraphs start, each (after
/// the first) at a paragraph start (see [`paragraph_start_after`]),
/// followed by the end of `bytes`: stretch `i` is `bounds[i]..bounds[i + 1]`.
fn paragraph_stretches(bytes: &[u8], size: usize) -> Vec<usize> {
    let mut bounds = vec![0];
    while let Some(start) = paragraph_start_after(bytes, bounds[bounds.len() - 1] + size) {
        bounds.push(start);
    }
    bounds.push(bytes.len());
    bounds
}

/// The start of the first line at or after `pos` that follows a blank line
/// (spaces, tabs or `\r` only), if it is not the end: a place where the
/// paragraph walk of [`Engine::scan`] starts a paragraph whatever came
/// before, so scanning from there gives the same matches.
fn paragraph_start_after(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut ls = line_bounds(bytes, pos.min(bytes.len())).0;
    while ls < bytes.len() {
        let le = memchr::memchr(b'\n', &bytes[ls..]).map_or(bytes.len(), |p| ls + p);
        if le + 1 < bytes.len()
            && bytes[ls..le]
                .iter()
                .all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
        {
            return Some(le + 1);
        }
        ls = le + 1;
    }
    None
}

/// The quotations of `norm[ls..le]` as (open, close) offsets in `norm`,
/// paired line by line as the tokens' flags are
/// ([`apolint_rules::segment::for_each_quotation_by_line`]: quotes are
/// folded to `"` by normalisation; a stray quote or an inch mark quotes
/// nothing). Once per searched stretch, so a line of many matches and
/// quotes stays linear.
fn quotations_of(norm: &str, ls: usize, le: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    apolint_rules::segment::for_each_quotation_by_line(&norm.as_bytes()[ls..le], |o, c| {
        pairs.push((ls + o, ls + c));
    });
    pairs
}

/// Whether `pos` is inside one of `pairs` (sorted, disjoint).
fn inside_quotes(pairs: &[(usize, usize)], pos: usize) -> bool {
    let before = pairs.partition_point(|&(open, _)| open < pos);
    before > 0 && pairs[before - 1].1 > pos
}

fn word_start(text: &str, pos: usize) -> bool {
    !text[..pos]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
}

fn word_end(text: &str, pos: usize) -> bool {
    !text[pos..]
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_corpus::all_drafts;

    /// Bytes written as one byte string, to craft stored forms.
    struct EncodedBytes(Vec<u8>);

    impl Serialize for EncodedBytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }

    /// Every `(start, literal)` by brute force, by start.
    fn naive(literals: &[String], hay: &[u8]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for start in 0..hay.len() {
            for (id, l) in literals.iter().enumerate() {
                if hay[start..].starts_with(l.as_bytes()) {
                    out.push((start as u32, id as u32));
                }
            }
        }
        out
    }

    #[test]
    fn literal_finder_finds_every_overlapping_occurrence() {
        let literals: Vec<String> = [
            "{{", "{", "{$", "${", " ,", "!!", "!", "хх", "xх", "___", "regrets", "$", "gag", "g",
        ]
        .map(String::from)
        .to_vec();
        let finder = LiteralFinder::new(&literals).unwrap();
        // Every string of up to 5 characters over an alphabet that holds
        // each literal's characters (but `regrets`) and one outside them all.
        let alphabet = ["{", "$", " ", ",", "!", "х", "x", "_", "a"];
        let mut strings = vec!["regrets!".to_owned(), "rregrets".to_owned()];
        let mut last = vec![String::new()];
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(last.iter().cloned());
        }
        assert_eq!(
            strings.len(),
            2 + (1..=5).map(|n| 9usize.pow(n)).sum::<usize>()
        );
        // Literals searched for whole in a mostly Latin draft (keyed on a
        // common letter), overlapping themselves and each other, one a
        // single letter that others hold (found once each all the same).
        assert_eq!(finder.whole.len(), 3, "regrets, gag, g");
        strings.extend(["gagag", "gaggag", "regretsgagag", "xгагgag"].map(String::from));
        for s in &strings {
            for mostly_latin in [false, true] {
                assert_eq!(
                    finder.hits(s.as_bytes(), mostly_latin),
                    naive(&literals, s.as_bytes()),
                    "{s:?}, mostly Latin: {mostly_latin}"
                );
            }
        }
    }

    /// The starts of the tokens the vocabulary lookup takes as anchors
    /// (those `scan_line` verifies phrases on), line by line.
    fn vocab_anchor_starts(engine: &Engine, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for (line, ids) in tokenized_lines(engine, text) {
            for (i, t) in line.tokens.iter().enumerate() {
                let (s, e) = (t.start as usize, t.end as usize);
                if !word_start(text, s) {
                    continue;
                }
                let exact = !engine.word_anchors.of(ids.words[i]).is_empty() && word_end(text, e);
                let prefix = ids
                    .prefixes_of(i)
                    .iter()
                    .any(|&p| !engine.prefix_anchors.of(p).is_empty());
                if exact || prefix {
                    out.push(t.start);
                }
            }
        }
        out
    }

    /// The lines of `text` (split at every line break), tokenized, with
    /// their ids in `engine`'s vocabulary.
    fn tokenized_lines(engine: &Engine, text: &str) -> Vec<(Line, TokenIds)> {
        let mut ls = 0;
        text.split('\n')
            .map(|line_text| {
                let le = ls + line_text.len();
                let line = Line::tokenize(text, ls, le);
                let ids = engine.vocab.resolve(text, &line.tokens);
                ls = le + 1;
                (line, ids)
            })
            .collect()
    }

    /// The [`TagBudget`] only stops the scan from finding lexicon matches
    /// no report reads: every draft, and drafts joined into long ones
    /// (where lexicons match far more often than the findings stage
    /// reads), get the same report with and without it, whatever the
    /// language option and with a customer's name (which makes the
    /// name-mismatch rules read greetings).
    #[test]
    fn the_tag_budget_changes_no_report() {
        use crate::{CheckOptions, LanguageChoice, Linter};
        let budgeted = Linter::builtin().unwrap();
        let mut unbudgeted = Linter::builtin().unwrap();
        unbudgeted.engine.set_tag_budget(TagBudget::default());
        let drafts = these_and_all_drafts(&[
            "Hi Anna,\n\nsorry!!! Hi Bob, hello Anna.\n\nHi Bob!\n\nHi Bob! We will fix it.",
            "Hi Bob\n\nЗдравствуйте, Иван! Hi Bob\n\nЗдравствуйте, Пётр!\n\n!!! ... !!!",
            "Приносим извинения. Приносим извинения.\n\nИзвините! Извините!\n\nSorry. Sorry.",
            "Great!!!\nGreat!!!\nWow!!\n\nSuper!!!\n \nWe will fix it in 2 days!!!\n\nThanks!!!",
            "Refund in 3 days.\nRefund within 24 hours.\n\t\nВернём за 3 дня!!\n\nby 5 May",
        ]);
        let mut long: Vec<String> = drafts.chunks(25).map(|c| c.join("\n\n")).collect();
        long.extend(drafts.chunks(7).map(|c| c.join("\n")));
        long.push(drafts.join("\n\n"));
        let options = [
            CheckOptions::default(),
            CheckOptions {
                customer_name: Some("Anna".into()),
                ..CheckOptions::default()
            },
            CheckOptions {
                language: LanguageChoice::En,
                ..CheckOptions::default()
            },
            CheckOptions {
                language: LanguageChoice::Ru,
                customer_name: Some("Иван".into()),
                ..CheckOptions::default()
            },
        ];
        let (mut found, mut fewer) = (0, 0);
        for draft in drafts.iter().chain(&long) {
            for opts in &options {
                let report = budgeted.check(draft, opts);
                assert_eq!(report, unbudgeted.check(draft, opts), "{draft:?} {opts:?}");
                found += report.findings.len();
            }
            let norm = apolint_rules::normalize::normalize(draft);
            let tags = |linter: &Linter| {
                let m = linter.engine.scan_on_one_thread(&norm, draft, None, &[]);
                m.iter()
                    .filter(|m| matches!(m.owner.get(), Owner::Tag(_)))
                    .count()
            };
            let (all, kept) = (tags(&unbudgeted), tags(&budgeted));
            assert!(kept <= all, "{draft:?}: {kept} > {all}");
            fewer += all - kept;
        }
        // ~9,900 from the repository's drafts alone, more with ../shared.
        assert!(found > 8_000, "{found} findings");
        // The budget did cut (8,867 lexicon matches fewer when written,
        // with ../shared; ~4,600 from the repository's drafts alone).
        assert!(fewer > 3_000, "{fewer} lexicon matches not looked for");
    }

    /// The built-in packs and `extra`, with and without the lexicon budget.
    fn linters_with(extra: &str) -> (crate::Linter, crate::Linter) {
        let linter = || {
            let mut book = crate::builtin::book().unwrap();
            book.add_file("extra.toml", extra).unwrap();
            book.validate().unwrap();
            crate::Linter::from_book(book, crate::FailOn::default())
        };
        let mut unbudgeted = linter();
        unbudgeted.engine.set_tag_budget(TagBudget::default());
        (linter(), unbudgeted)
    }

    /// Rule packs can feed a lexicon in ways the built-in ones do not:
    /// a regex run over the whole draft (its match may span paragraphs and
    /// merge matches counted apart), and a rule of one language reading a
    /// lexicon whose `Mixed` regex matches a skipped phrase match would
    /// have hidden. Large drafts are checked several times: their scan is
    /// shared by two threads, and the report must not depend on which
    /// took which stretch.
    #[test]
    fn the_tag_budget_holds_for_lexicons_that_rule_packs_feed() {
        use crate::CheckOptions;
        let named = CheckOptions {
            customer_name: Some("Anna".into()),
            ..CheckOptions::default()
        };
        let greeting_regex = r#"
[[lexicon]]
name = "greeting"
lang = "en"
patterns = []
regex = ['dear\s+dear']
"#;
        let deadline_reader = r#"
[[rule]]
id = "ru.custom.deadline-seen"
kind = "absent"
category = "missing-deadline"
severity = "warning"
message = "Срок назван."
explanation = "Проверка бюджета лексиконов."
when = ["deadline"]
"#;
        let two_amounts = r#"
[[lexicon]]
name = "amount-named"
patterns = []
regex = ['[0-9]+ (?:usd|eur)']
prefilter_class = ["digit"]

[[rule]]
id = "any.custom.two-amounts"
kind = "count"
category = "shouting"
severity = "warning"
message = "Two amounts."
explanation = "A test of the lexicon budget."
tag = "amount-named"
min = 2

[[rule]]
id = "en.custom.amount-seen"
kind = "absent"
category = "missing-deadline"
severity = "warning"
message = "An amount in English."
explanation = "A test of the lexicon budget."
when = ["amount-named"]
"#;
        let deadline_across = r#"
[[rule]]
id = "en.custom.wait-wait"
kind = "regex"
category = "missing-deadline"
severity = "info"
message = "Waits."
explanation = "A test of the lexicon budget."
tags = ["deadline"]
regex = 'wait\s+wait'

[[rule]]
id = "any.custom.two-deadlines"
kind = "count"
category = "missing-deadline"
severity = "warning"
message = "Two deadlines."
explanation = "A test of the lexicon budget."
tag = "deadline"
min = 2
"#;
        // A regex over the whole draft that joins the exclamation marks of
        // two paragraphs into one match, for a lexicon every rule reads in
        // every language (three make a shouting reply).
        let bridged_marks = r#"
[[lexicon]]
name = "exclamation"
patterns = []
regex = ['a!\s+b!']
"#;
        let padding = "Thanks for your patience with us today.\n\n".repeat(2_000);
        let amounts =
            "Refund 5 usd.\r\n\r\nRefund 6 usd.\n \t\r\nRefund 7 eur.\n\u{a0}\nRefund 8 usd.\n";
        let cases = [
            (
                greeting_regex,
                format!("{}Hi Bob, we will look into it.\n", "Dear\n\n".repeat(8)),
            ),
            (
                deadline_reader,
                "We will fix it tomorrow.\n\nIt will arrive within 24 hours.\n".to_owned(),
            ),
            (
                deadline_reader,
                format!("We will fix it tomorrow.\n\n{padding}It will arrive within 24 hours.\n"),
            ),
            (two_amounts, amounts.to_owned()),
            (
                bridged_marks,
                format!("We ship a!\n\nb!\n\nc!\n\nd!\n\ne!\n\n{padding}"),
            ),
            (
                two_amounts,
                format!("Привет.\n\n{amounts}{padding}{amounts}"),
            ),
            (
                deadline_across,
                "We will wait\n\nwait for it. It arrives tomorrow.\n\nBy Friday.\n".to_owned(),
            ),
            (
                deadline_across,
                format!("We fix it tomorrow. wait\n\n{padding}wait until Friday, in 3 days.\n"),
            ),
        ];
        for (extra, draft) in &cases {
            let (budgeted, unbudgeted) = linters_with(extra);
            let expected = unbudgeted.check(draft, &named);
            for _ in 0..20 {
                assert_eq!(budgeted.check(draft, &named), expected, "{extra}");
            }
        }
    }

    #[test]
    fn a_regex_pass_tells_paragraphs_apart_by_blank_lines() {
        let text = b"one\n\ntwo\ntwo b\n \t\r\nthree\r\n\r\nfour\n  five\n \nsix";
        let budget = TagBudget::default();
        let mut counts = RegexTagCounts::new(&budget, true);
        let mut paragraph_at = |line: &[u8]| {
            let ls = text.windows(line.len()).position(|x| x == line).unwrap();
            counts.go_to(ls, text);
            counts.paragraph
        };
        assert_eq!(paragraph_at(b"one"), 0);
        assert_eq!(paragraph_at(b"two\n"), 1);
        assert_eq!(paragraph_at(b"two b"), 1);
        assert_eq!(paragraph_at(b"three"), 2);
        assert_eq!(paragraph_at(b"four"), 3);
        // Passed over: a line of spaces then words, then a blank one.
        assert_eq!(paragraph_at(b"six"), 4);
        assert!(is_blank_line(b" \t\r") && is_blank_line(b"") && !is_blank_line(b"\xc2\xa0"));
    }

    /// The amounts the deadline lexicon's regexes find ("in 3 days": no
    /// phrase of it matches a digit) stop being looked for once the
    /// findings stage has the first: the regexes run on the first
    /// paragraphs only.
    #[test]
    fn lexicon_regexes_stop_once_read() {
        let budgeted = crate::Linter::builtin().unwrap();
        let mut unbudgeted = crate::Linter::builtin().unwrap();
        unbudgeted.engine.set_tag_budget(TagBudget::default());
        let deadline = budgeted
            .engine
            .tag_names
            .iter()
            .position(|n| n == "deadline")
            .unwrap() as u32;
        let draft = "We will refund you in 3 days.\n\n".repeat(600);
        let norm = apolint_rules::normalize::normalize(&draft);
        let deadlines = |linter: &crate::Linter| {
            let m = linter.engine.scan_on_one_thread(&norm, &draft, None, &[]);
            m.iter()
                .filter(|m| m.owner.get() == Owner::Tag(deadline))
                .count()
        };
        assert_eq!(deadlines(&unbudgeted), 600);
        assert!(deadlines(&budgeted) <= 2, "{}", deadlines(&budgeted));
    }

    #[test]
    fn a_phrase_starts_in_the_script_of_its_first_word() {
        let script = |p: &str| first_script(&apolint_rules::pattern::parse(p).unwrap());
        assert_eq!(script("(we|i) will"), Script::Latin);
        // The mark of "we'll" ends no sentence: "ll" is in the same one.
        assert_eq!(script("(will|'ll) give"), Script::Latin);
        assert_eq!(script("[the] delay"), Script::Latin);
        assert_eq!(script(", our fault"), Script::Latin);
        assert_eq!(script("приносим [свои] извинения"), Script::Cyrillic);
        // Words of both scripts, a digit, a gap, a sentence's end first.
        assert_eq!(script("(sorry|извините)"), Script::Other);
        assert_eq!(script("24 hours"), Script::Other);
        assert_eq!(script("~2 sorry"), Script::Other);
        assert_eq!(script(". sorry"), Script::Other);
        assert_eq!(script("[.] sorry"), Script::Other);
        // The first word must be within a sentence window of the first
        // token; many groups of marks cost linear time.
        assert_eq!(script(&format!("{}sorry", ", ".repeat(63))), Script::Latin);
        assert_eq!(script(&format!("{}sorry", ", ".repeat(64))), Script::Other);
        assert_eq!(
            script(&format!("{}sorry", "(,|:|-) ".repeat(40))),
            Script::Latin
        );
        // With the built-in packs, "promise" (which has a "'ll" phrase)
        // is bound to the script of its paragraph.
        let linter = crate::Linter::builtin().unwrap();
        let engine = &linter.engine;
        let promise = engine
            .tag_names
            .iter()
            .position(|n| n == "promise")
            .unwrap();
        assert_eq!(engine.tag_sources[promise], TagSources::ScriptBound);
    }

    #[test]
    fn regexes_without_dfas_get_ready_until_told_to_stop() {
        // The built-in ones build lazy DFAs from their stored NFAs and
        // compile nothing; a user's (the same patterns, loaded from a rule
        // file: no stored NFAs) compile.
        let builtin = crate::Linter::builtin().unwrap().engine;
        let users = Engine::compile(&crate::builtin::book().unwrap());
        for (engine, stored) in [(&builtin, true), (&users, false)] {
            let lazy = || engine.regexes.iter().filter(|r| r.dfas.is_none());
            let ready = || {
                lazy()
                    .filter(|r| match &r.nfas {
                        Some(nfas) => {
                            matches!(nfas.lazy_dfas.get(), Some(Some(_)))
                                && !r.spec.regex.is_compiled()
                        }
                        None => r.spec.regex.is_compiled(),
                    })
                    .count()
            };
            assert!(
                lazy().count() >= 3 && lazy().all(|r| r.nfas.is_some() == stored),
                "{} regexes without DFAs",
                lazy().count()
            );
            assert_eq!(ready(), 0);
            let mut asked = 0;
            engine.ready_regexes_without_dfas(|| {
                asked += 1;
                asked > 2
            });
            assert_eq!(ready(), 2);
            engine.ready_regexes_without_dfas(|| false);
            assert_eq!(ready(), lazy().count());
        }
    }

    #[test]
    fn the_budget_reads_every_match_of_clause_lexicons_and_few_of_others() {
        let linter = crate::Linter::builtin().unwrap();
        let engine = &linter.engine;
        let id = |name: &str| engine.tag_names.iter().position(|n| n == name).unwrap() as u32;
        let need = |name: &str, lang| engine.tag_budget.need(id(name), lang);
        // A clause (apology + excuse) can be anywhere.
        assert_eq!(need("apology", Language::En), TagBudget::ALL);
        assert_eq!(need("third-party", Language::Ru), TagBudget::ALL);
        // The first few greetings are checked against the customer's name.
        assert_eq!(need("greeting", Language::Ru), 8);
        // "Promises without a date" looks at the first promise.
        assert_eq!(need("promise", Language::En), 1);
        // Three exclamation marks make a shouting reply.
        assert_eq!(need("exclamation", Language::Ru), 3);
        // A language the budget does not know needs everything.
        assert_eq!(need("promise", Language::Mixed), TagBudget::ALL);
    }

    /// `edge_cases`, then [`all_drafts`].
    fn these_and_all_drafts(edge_cases: &[&str]) -> Vec<String> {
        let mut drafts: Vec<String> = edge_cases.iter().map(|&d| d.to_owned()).collect();
        drafts.extend(all_drafts());
        drafts
    }

    #[test]
    fn the_automaton_finds_every_anchor_the_vocabulary_does() {
        let linter = crate::Linter::builtin().unwrap();
        let engine = &linter.engine;
        let edge_cases = these_and_all_drafts(&[
            "don't, dont; don 'don' извините-извините извинения",
            "カabc sorryy sorry! мы,мы.мы же вас предупреждали",
            "Hi Bob\nthe the\n\nИЗВИНИТЕ ёлки, приносим свои извинения",
        ]);
        let (mut anchors, mut candidates) = (0, 0);
        for draft in &edge_cases {
            let extracted = crate::input::extract(draft, crate::InputFormat::sniff(draft));
            let norm = apolint_rules::normalize::normalize(&extracted.text);
            let from_vocab = vocab_anchor_starts(engine, &norm.text);
            let from_ac = engine.anchor_candidates(&norm.text).unwrap();
            // Every anchor the lookup finds is found by the pass (the pass
            // also finds some that tokenizing rejects: `don` in `don't`).
            let mut k = 0;
            for s in &from_vocab {
                while from_ac.get(k).is_some_and(|c| c < s) {
                    k += 1;
                }
                assert_eq!(from_ac.get(k), Some(s), "{draft:?}");
            }
            anchors += from_vocab.len();
            candidates += from_ac.len();
        }
        assert!(anchors > 10_000, "{anchors} anchors");
        assert!(candidates >= anchors);
    }

    #[test]
    fn neighbour_gates_reject_only_hits_the_neighbour_sets_reject() {
        let linter = crate::Linter::builtin().unwrap();
        let engine = &linter.engine;
        let drafts = these_and_all_drafts(&[
            "sorry. sorry you the you, you\n«you» you... we you we",
            "извините, извините нас мы приносим свои извинения за",
        ]);
        let (mut rejected, mut admitted) = (0, 0);
        for draft in &drafts {
            let norm = apolint_rules::normalize::normalize(draft);
            let text = norm.text.as_str();
            for (line, ids) in tokenized_lines(engine, text) {
                let line_text = &text[line.start..line.end];
                let m = Matcher {
                    norm: text,
                    tokens: &line.tokens,
                    ids: &ids,
                };
                for i in 0..line.tokens.len() {
                    let (left, right) = neighbour_bits(&ids, i);
                    let mut hits = vec![engine.word_anchors.of(ids.words[i])];
                    hits.extend(
                        ids.prefixes_of(i)
                            .iter()
                            .map(|&p| engine.prefix_anchors.of(p)),
                    );
                    for found in hits {
                        for &p in found {
                            let gate = engine.gates.of(p);
                            let phrase = engine.phrases.get(p as usize).unwrap();
                            let sets_admit = phrase
                                .left
                                .as_ref()
                                .is_none_or(|l| m.token_in(l, i as isize - 1))
                                && phrase
                                    .right
                                    .as_ref()
                                    .is_none_or(|r| m.token_in(r, i as isize + 1));
                            if gate.admits(left, right) {
                                admitted += 1;
                            } else {
                                assert!(!sets_admit, "phrase {p} at token {i} of {line_text:?}");
                                rejected += 1;
                            }
                        }
                    }
                }
            }
        }
        // The gates do reject: over half the hits here (34,633 of 55,410).
        assert!(
            rejected > 20_000 && admitted > 10_000,
            "{rejected} rejected, {admitted} admitted"
        );
    }

    #[test]
    fn both_anchor_modes_give_the_same_reports() {
        let vocab = crate::Linter::builtin().unwrap();
        let mut ac = crate::Linter::builtin().unwrap();
        ac.set_anchor_mode(AnchorMode::Automaton);
        let opts = crate::CheckOptions::default();
        for draft in all_drafts() {
            assert_eq!(
                vocab.check(&draft, &opts),
                ac.check(&draft, &opts),
                "{draft:?}"
            );
        }
    }

    /// A context's `unless_sentence` patterns start only with tokens of its
    /// heads: every built-in one has them, every token of every test draft
    /// where one of its patterns matches is in them, and a sentence with
    /// one of its patterns still cancels a match, one without none does.
    #[test]
    fn unless_sentence_patterns_are_looked_for_at_their_heads_only() {
        let engine = crate::builtin::engine().unwrap();
        let with: Vec<&CompiledContext> = engine
            .contexts
            .iter()
            .filter(|c| !c.unless_sentence.is_empty())
            .collect();
        assert!(with.len() >= 10, "{} contexts", with.len());
        assert!(with.iter().all(|c| c.sentence_heads.is_some()));
        let mut starts = 0;
        for draft in all_drafts() {
            let text = apolint_rules::normalize::normalize(&draft).text;
            for (line, ids) in tokenized_lines(&engine, &text) {
                let m = Matcher {
                    norm: &text,
                    tokens: &line.tokens,
                    ids: &ids,
                };
                for ctx in &with {
                    let Some(heads) = &ctx.sentence_heads else {
                        continue;
                    };
                    for i in 0..line.tokens.len() {
                        if ctx.unless_sentence.iter().any(|p| m.matches_at(p, i)) {
                            assert!(m.token_in(heads, i as isize), "{draft:?} at token {i}");
                            starts += 1;
                        }
                    }
                }
            }
        }
        assert!(starts > 500, "{starts} pattern starts");
        let linter = crate::Linter::builtin().unwrap();
        let rules = |text: &str| -> Vec<String> {
            let r = linter.check(text, &crate::CheckOptions::default());
            r.findings.iter().map(|f| f.rule.to_string()).collect()
        };
        let blamed = "Your parcel is late due to our courier partner.";
        assert!(
            rules(blamed).iter().any(|r| r.contains("blame")),
            "{:?}",
            rules(blamed)
        );
        for owned in [
            "Your parcel is late due to our courier partner: our mistake.",
            "Your parcel is late due to our courier partner, my error.",
        ] {
            assert!(
                !rules(owned).iter().any(|r| r.contains("blame")),
                "{owned}: {:?}",
                rules(owned)
            );
        }
    }

    /// The built-in engine's phrase encodings are the binary's bytes, not
    /// a copy; bytes from elsewhere are copied, and a decode that panics
    /// leaves nothing lent to the next.
    #[test]
    fn the_built_in_phrases_are_borrowed_from_the_binary() {
        let engine = crate::builtin::engine().unwrap();
        assert!(engine.phrases.encoded.len() > 10_000);
        assert!(matches!(
            engine.phrases.encoded,
            std::borrow::Cow::Borrowed(_)
        ));
        static BLOB: [u8; 8] = *b"abcdefgh";
        let heap = b"cde".to_vec();
        let (inside, outside) = decode_lending(&BLOB, |blob| (lent(&blob[2..5]), lent(&heap)));
        assert!(matches!(inside, std::borrow::Cow::Borrowed(b"cde")));
        assert!(matches!(outside, std::borrow::Cow::Owned(ref v) if v == b"cde"));
        // Nested: the outer blob is lent again once the inner decode ends.
        static INNER: [u8; 4] = *b"wxyz";
        let after_inner = decode_lending(&BLOB, |blob| {
            let inner = decode_lending(&INNER, |b| lent(&b[1..3]));
            assert!(matches!(inner, std::borrow::Cow::Borrowed(b"xy")));
            lent(&blob[..3])
        });
        assert!(matches!(after_inner, std::borrow::Cow::Borrowed(b"abc")));
        let panicked = std::panic::catch_unwind(|| decode_lending(&BLOB, |_| panic!("corrupt")));
        assert!(panicked.is_err());
        assert!(matches!(lent(&BLOB[..2]), std::borrow::Cow::Owned(_)));
        // Decoded from a copy of the blob, the phrases are copied and read
        // the same.
        let copy: Engine = postcard::from_bytes(&postcard::to_allocvec(&engine).unwrap()).unwrap();
        assert!(matches!(copy.phrases.encoded, std::borrow::Cow::Owned(_)));
        assert_eq!(copy.phrases.encoded, engine.phrases.encoded);
    }

    #[test]
    fn the_engine_compiled_at_build_time_matches_what_compile_builds() {
        let book = crate::builtin::book().unwrap();
        let compiled = Engine::compile(&book);
        let decoded = crate::builtin::engine().unwrap();
        assert_eq!(decoded.tag_names, compiled.tag_names);
        assert_eq!(decoded.rule_tags, compiled.rule_tags);
        assert_eq!(decoded.phrases.len(), compiled.phrases.len());
        assert_eq!(decoded.gates.0, compiled.gates.0);
        for (got, want) in [
            (&decoded.word_anchors, &compiled.word_anchors),
            (&decoded.prefix_anchors, &compiled.prefix_anchors),
        ] {
            assert_eq!((&got.start, &got.phrases), (&want.start, &want.phrases));
        }
        assert!(decoded.word_anchors.phrases.len() > 1000);
        // Stored numbers that are not whole words are refused.
        let five = (EncodedBytes(vec![0; 5]), EncodedBytes(Vec::new()));
        let bytes = postcard::to_allocvec(&five).unwrap();
        assert!(postcard::from_bytes::<AnchorIndex>(&bytes).is_err());
        let eight = (
            EncodedBytes(vec![1, 0, 0, 0, 2, 0, 0, 0]),
            EncodedBytes(Vec::new()),
        );
        let index: AnchorIndex =
            postcard::from_bytes(&postcard::to_allocvec(&eight).unwrap()).unwrap();
        assert_eq!((index.start, index.phrases), (vec![1, 2], vec![]));
        for i in 0..decoded.phrases.len() {
            let phrase = decoded.phrases.get(i);
            assert!(phrase.is_some(), "phrase {i} does not decode");
            // The budget's key in the gate is the phrase's own.
            let (gate, phrase) = (decoded.gates.of(i as u32), phrase.unwrap());
            let lexicon = match phrase.owner {
                Owner::Tag(t) => t,
                Owner::Rule(_) => NeighbourGate::NO_LEXICON,
            };
            assert_eq!(
                (gate.lexicon, gate.first_script),
                (lexicon, phrase.first_script)
            );
        }
        assert!(decoded
            .gates
            .0
            .iter()
            .any(|g| g.lexicon != NeighbourGate::NO_LEXICON));
        assert!(decoded
            .gates
            .0
            .iter()
            .any(|g| g.first_script == Script::Cyrillic));
        // A gate naming no script is refused, not read as some script.
        let mut bytes = postcard::to_allocvec(&compiled.gates).unwrap();
        let last = bytes.len() - 1;
        bytes[last] = 3;
        let err = postcard::from_bytes::<NeighbourGates>(&bytes).unwrap_err();
        assert!(matches!(err, postcard::Error::SerdeDeCustom), "{err:?}");
        assert_eq!(decoded.anchor_count(), compiled.anchor_count());
        let mut matches = 0;
        for draft in all_drafts() {
            let extracted = crate::input::extract(&draft, crate::InputFormat::sniff(&draft));
            let norm = apolint_rules::normalize::normalize(&extracted.text);
            let found = decoded.scan(&norm, &extracted.text, None, &extracted.block_starts);
            assert_eq!(
                found,
                compiled.scan(&norm, &extracted.text, None, &extracted.block_starts),
                "{draft:?}"
            );
            matches += found.len();
        }
        assert!(matches > 1000, "{matches} matches");
    }

    /// Lines with dates, times, amounts, caps and emoji, then every line of
    /// every draft as written and normalised: what the regex groups see.
    fn regex_test_lines() -> Vec<String> {
        let mut lines: Vec<String> = [
            "в 10:00-12:00, до 18.00, с 9 до 14, 3 марта, в течение 2-3 дней",
            "by 5pm on Friday, within 24 hours, on the 3rd, $10 credit, 15% off",
            "we added you $10 to cover the fee, and credited 5 for the delay",
            "ПОЧЕМУ ТАК ДОЛГО?! 😡😡 ٣ ١٢:٣٠ 12:30 🙏",
            // The longest reaches from a digit (the digit windows' bound).
            "за в течение 10 - 12 календарных дней, в течении 3\u{3000}-\u{3000}5 рабочих",
            "within 10 - 12 business minutes, in 3-5 working weeks",
            "we added you $ 10.50 for the inconvenience, credit you 15 % off",
            "and by the 21st of september, before 11.30 p.m. or 9 a.m.",
        ]
        .map(String::from)
        .to_vec();
        for draft in all_drafts() {
            let norm = apolint_rules::normalize::normalize(&draft);
            lines.extend(norm.text.lines().map(String::from));
            lines.extend(draft.lines().map(String::from));
        }
        lines
    }

    #[test]
    fn member_dfas_rule_out_only_members_that_do_not_match() {
        let engine = crate::builtin::engine().unwrap();
        let lines = regex_test_lines();
        let (mut groups, mut dfas, mut sets, mut prefixes, mut matched) = (0, 0, 0, 0, 0);
        for group in &engine.unfiltered {
            let Some(tests) = &group.dfas else {
                continue;
            };
            groups += 1;
            // What start-up reads unchecked passes the checked reader.
            for test in &tests.tests {
                if let MemberTest::Dfa(start, end) = test {
                    let bytes = &tests.blob[*start as usize..*end as usize];
                    assert!(StoredDfa::from_bytes(bytes).is_ok(), "DFA at {start}");
                    dfas += 1;
                }
            }
            if let Some(set) = &tests.set {
                let bytes = &tests.blob[set.dfa.0 as usize..set.dfa.1 as usize];
                assert!(
                    StoredDfa::from_bytes(bytes).is_ok(),
                    "set DFA at {}",
                    set.dfa.0
                );
                sets += 1;
            }
            prefixes += tests
                .tests
                .iter()
                .filter(|t| matches!(t, MemberTest::Prefixes(_)))
                .count();
            for line in &lines {
                let found = tests.matches(line).expect("the DFAs decode");
                for (k, &ri) in group.members.iter().enumerate() {
                    let regex = engine.regexes[ri as usize].spec.regex.get().unwrap();
                    let is_match = regex.is_match(line);
                    matched += usize::from(is_match);
                    if is_match || matches!(tests.tests[k], MemberTest::Dfa(..)) {
                        assert_eq!(
                            found.contains(&k),
                            is_match,
                            "{} on {line:?}",
                            regex.as_str()
                        );
                    }
                }
            }
        }
        // The date/time/amount groups (en, ru) and the caps and emoji ones,
        // one amount regex too big for a DFA and ruled out by its prefixes;
        // the date/time/amount regexes answered by one set DFA (which the
        // assertions above hold to the same answers).
        assert!(
            groups >= 3 && dfas >= 20 && prefixes >= 1 && sets >= 1,
            "{groups} {dfas} {sets} {prefixes}"
        );
        assert!(matched > 100, "{matched} matches");
    }

    /// The next of a xorshift sequence: test inputs that are arbitrary
    /// but the same at every run.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn set_walk_finds_the_patterns_the_overlapping_search_finds() {
        use regex_automata::dfa::Automaton;
        let engine = crate::builtin::engine().unwrap();
        let mut lines = regex_test_lines();
        lines.push("a -12:30xy".to_owned());
        // Bytes the lines lack and non-UTF-8 too: a pseudo-random
        // mix of digits, separators, letters of both scripts and stray bytes.
        let pieces: [&[u8]; 15] = [
            // Long runs of letters, so that windows have edges.
            b"qwertyuiop asdfghjkl zxcvbnm qwertyuiop ",
            b"1",
            b"12",
            b":",
            b".",
            b" ",
            b"-",
            b"$",
            b"%",
            "в ".as_bytes(),
            b"pm",
            b"in ",
            "дней".as_bytes(),
            b"\xD0",
            b"\xFF",
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut random: Vec<Vec<u8>> = Vec::new();
        for _ in 0..20_000 {
            let mut line = Vec::new();
            for _ in 0..(state % 12) {
                let r = xorshift(&mut state);
                line.extend_from_slice(pieces[(r % pieces.len() as u64) as usize]);
            }
            random.push(line);
        }
        lines.push(String::new());
        let (mut sets, mut windowed, mut found_any) = (0, 0, 0);
        for group in &engine.unfiltered {
            let Some(set) = group
                .dfas
                .as_ref()
                .and_then(|t| t.set.as_ref().map(|s| (t, s)))
            else {
                continue;
            };
            let (tests, set) = set;
            let dfa = read_stored_dfa(&tests.blob[set.dfa.0 as usize..set.dfa.1 as usize]).unwrap();
            sets += 1;
            windowed += usize::from(set.digit_windows.is_some());
            let hays = lines
                .iter()
                .map(|l| l.as_bytes())
                .chain(random.iter().map(Vec::as_slice));
            for line in hays {
                // A range walked with the text around it as context, as
                // the library searches one.
                for _ in 0..3 {
                    let a = (xorshift(&mut state) % (line.len() as u64 + 1)) as usize;
                    let b = (xorshift(&mut state) % (line.len() as u64 + 1)) as usize;
                    let range = a.min(b)..a.max(b);
                    let mut want = regex_automata::PatternSet::new(dfa.pattern_len());
                    let input = regex_automata::Input::new(line).range(range.clone());
                    let want = dfa
                        .try_which_overlapping_matches(&input, &mut want)
                        .map(|()| want.iter().collect::<Vec<_>>());
                    let mut got = regex_automata::PatternSet::new(dfa.pattern_len());
                    let got = which_patterns_match(&dfa, line, range.clone(), &mut got)
                        .map(|()| got.iter().collect::<Vec<_>>());
                    assert_eq!(got, want, "{:?} {range:?}", String::from_utf8_lossy(line));
                }
                // The line, and the lines its first and last few bytes
                // cut give (such as ` -12:30x` from `a -12:30xy`, where
                // what comes before the time decides whether it is one).
                let cuts = (0..line.len().min(8))
                    .map(|k| &line[k..])
                    .chain((1..line.len().min(8)).map(|k| &line[..line.len() - k]));
                for hay in cuts {
                    let mut want = regex_automata::PatternSet::new(dfa.pattern_len());
                    let want = dfa
                        .try_which_overlapping_matches(&regex_automata::Input::new(hay), &mut want)
                        .map(|()| want.iter().collect::<Vec<_>>());
                    let mut got = regex_automata::PatternSet::new(dfa.pattern_len());
                    let got = which_patterns_match(&dfa, hay, 0..hay.len(), &mut got)
                        .map(|()| got.iter().collect::<Vec<_>>());
                    assert_eq!(got, want, "{:?}", String::from_utf8_lossy(hay));
                    // Only the bytes near digits walked: the same answer.
                    if set.digit_windows.is_some() {
                        let mut near = regex_automata::PatternSet::new(dfa.pattern_len());
                        let near = patterns_in_line(&dfa, hay, set.digit_windows, &mut near)
                            .map(|()| near.iter().collect::<Vec<_>>());
                        assert_eq!(near, want, "{:?}", String::from_utf8_lossy(hay));
                    }
                    found_any += usize::from(got.is_ok_and(|g| !g.is_empty()));
                }
            }
        }
        assert!(
            sets >= 1 && windowed >= 1 && found_any > 500,
            "{sets} sets ({windowed} walked near digits), {found_any} lines matched"
        );
    }

    #[test]
    fn first_digit_is_found_in_any_byte() {
        for len in 0..20 {
            for at in 0..=len {
                for fill in [b'a', b'/', b':', 0x80, 0xB0, 0xB9, 0xFF, 0x2F, 0x3A] {
                    let mut bytes = vec![fill; len];
                    let want = (at < len).then_some(at);
                    if let Some(at) = want {
                        bytes[at] = b'0' + (at % 10) as u8;
                    }
                    assert_eq!(first_digit(&bytes), want, "{bytes:?}");
                }
            }
        }
        for b in 0..=255u8 {
            let bytes = [b'x', b'x', b'x', b, b'x', b'x', b'x', b'x', b'x'];
            assert_eq!(first_digit(&bytes), b.is_ascii_digit().then_some(3), "{b}");
        }
    }

    #[test]
    fn digit_windows_hold_every_match_reaching_so_far_from_digits() {
        let reach = |before, after, between| DigitWindows {
            before,
            after,
            between,
        };
        let windows = |hay: &[u8], r| digit_windows(hay, r).collect::<Vec<_>>();
        let hay = b"ab 12 cdefghijklmnop 3 qrstuvwxyz 45 x";
        assert_eq!(windows(hay, reach(2, 2, 0)), [1..7, 19..24, 32..38]);
        assert_eq!(windows(hay, reach(1, 3, 0)), [2..8, 20..25, 33..38]);
        // Runs whose stretches meet, or that are `between` apart, join.
        assert_eq!(windows(b"1abcd2", reach(2, 2, 0)), vec![0..6]);
        assert_eq!(windows(b"1abcde2", reach(2, 2, 0)), [0..3, 4..7]);
        assert_eq!(windows(b"xx1abcdefg2xx", reach(1, 1, 7)), vec![1..12]);
        assert_eq!(windows(b"xx1abcdefgh2xx", reach(1, 1, 7)), [1..4, 10..13]);
        assert!(windows(b"no digits", reach(5, 5, 5)).is_empty());
        assert!(windows(b"", reach(5, 5, 5)).is_empty());
        // Against what the set walk relies on, on every short text of
        // digits and letters: each stretch with a digit that reaches no
        // further is inside one window, and windows are apart, in order.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2_000 {
            let len = (xorshift(&mut state) % 24) as usize;
            let hay: Vec<u8> = (0..len)
                .map(|_| {
                    if xorshift(&mut state) % 4 == 0 {
                        b'7'
                    } else {
                        b'x'
                    }
                })
                .collect();
            for (before, after, between) in [(0, 0, 0), (2, 1, 0), (1, 3, 5), (3, 3, 2), (0, 2, 9)]
            {
                let r = reach(before, after, between);
                let got = windows(&hay, r);
                for pair in got.windows(2) {
                    assert!(pair[0].end < pair[1].start, "{hay:?} {got:?}");
                }
                for s in 0..len {
                    for e in s + 1..=len {
                        let part = &hay[s..e];
                        let Some(first) = part.iter().position(u8::is_ascii_digit) else {
                            continue;
                        };
                        let last = part.iter().rposition(u8::is_ascii_digit).unwrap_or(first);
                        let widest_gap = part[first..=last]
                            .split(u8::is_ascii_digit)
                            .map(<[u8]>::len)
                            .max()
                            .unwrap_or(0);
                        if first <= before as usize
                            && part.len() - 1 - last <= after as usize
                            && widest_gap <= between as usize
                        {
                            assert!(
                                got.iter().any(|w| w.start <= s && e <= w.end),
                                "{:?} {s}..{e} {r:?}: {got:?}",
                                String::from_utf8_lossy(&hay)
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn light_regexes_and_lazy_dfas_find_the_spans_the_regexes_find() {
        let engine = crate::builtin::engine().unwrap();
        let lines = regex_test_lines();
        // Every built-in regex (those with DFAs too: a user's copy of one
        // has none) and the syntax users write: flags, Unicode classes and
        // word boundaries, lazy repeats, empty matches.
        let mut patterns: Vec<&str> = engine
            .regexes
            .iter()
            .map(|r| r.spec.regex.as_str())
            .collect();
        patterns.extend([
            r"(?i)\bsorry\b",
            r"\w+ly\b",
            r"(?m)^\s*(?:hi|привет)\b",
            r"[а-яё]{3,}?",
            r"x*",
            r"\p{Lu}{2,}",
            // A match whose start a reverse search of the first kind
            // would put too late (`b` of `ab`).
            r"(?:b|ab)",
        ]);
        let (mut light_only, mut spans, mut lazy_spans) = (0, 0, 0);
        for pattern in patterns {
            // The built-in ones as their rules compile them (limits and
            // all), the others as a rule file's would be.
            let full = match engine
                .regexes
                .iter()
                .find(|r| r.spec.regex.as_str() == pattern)
            {
                Some(r) => r.spec.regex.get().unwrap().clone(),
                None => regex::RegexBuilder::new(pattern)
                    .size_limit(apolint_rules::book::REGEX_SIZE_LIMIT)
                    .nest_limit(apolint_rules::book::REGEX_NEST_LIMIT)
                    .build()
                    .unwrap(),
            };
            // Both light forms: compiled (a user's rule) and rebuilt from
            // its encoded NFA (a built-in one).
            let compiled = NfaSearchers::new(compile_light_nfa(pattern).expect(pattern)).unwrap();
            let (encoded, encoded_reverse) = stored_nfas(pattern).expect(pattern);
            // Decoding gives back the compiled NFA, state for state.
            let (decoded, original) = (
                decode_nfa(&encoded).expect(pattern),
                compile_light_nfa(pattern).unwrap(),
            );
            assert_eq!(format!("{decoded:?}"), format!("{original:?}"), "{pattern}");
            assert_eq!(
                (
                    decoded.is_utf8(),
                    decoded.has_empty(),
                    decoded.look_set_any()
                ),
                (
                    original.is_utf8(),
                    original.has_empty(),
                    original.look_set_any()
                ),
                "{pattern}"
            );
            let rebuilt = NfaSearchers::new(decoded.clone()).expect(pattern);
            // The reverse NFA decodes as compiled too, and the lazy DFAs
            // build from the two, unless the pattern has a Unicode word
            // boundary (a lazy DFA is not built for one).
            let (decoded_reverse, original_reverse) = (
                decode_nfa(&encoded_reverse).expect(pattern),
                compile_reverse_nfa(pattern).unwrap(),
            );
            assert_eq!(
                format!("{decoded_reverse:?}"),
                format!("{original_reverse:?}"),
                "{pattern}"
            );
            assert!(decoded_reverse.is_reverse() && !decoded.is_reverse());
            let flags = |n: &regex_automata::nfa::thompson::NFA| {
                (
                    n.is_utf8(),
                    n.has_empty(),
                    n.look_set_any(),
                    n.start_pattern(regex_automata::PatternID::ZERO),
                    n.start_anchored(),
                    n.start_unanchored(),
                )
            };
            assert_eq!(
                flags(&decoded_reverse),
                flags(&original_reverse),
                "{pattern}"
            );
            assert_eq!(flags(&decoded), flags(&original), "{pattern}");
            let stored = StoredNfas::new(
                Box::leak(encoded.clone().into_boxed_slice()),
                Box::leak(encoded_reverse.clone().into_boxed_slice()),
            );
            let lazy = stored.lazy_dfas().is_some();
            assert_eq!(
                lazy,
                !original.look_set_any().contains_word_unicode(),
                "{pattern}"
            );
            if let Some(rule) = engine
                .regexes
                .iter()
                .find(|r| r.spec.regex.as_str() == pattern && r.dfas.is_none())
            {
                // The binary stores those NFAs, and they make lazy DFAs.
                let stored = rule.nfas.as_ref().map(|n| (n.forward, n.reverse));
                assert_eq!(
                    stored,
                    Some((&encoded[..], &encoded_reverse[..])),
                    "{pattern}"
                );
                assert!(lazy, "{pattern}");
                light_only += 1;
            }
            for line in &lines {
                let want: Vec<(usize, usize)> =
                    full.find_iter(line).map(|m| (m.start(), m.end())).collect();
                assert_eq!(compiled.find_all(line), want, "{pattern} on {line:?}");
                assert_eq!(rebuilt.find_all(line), want, "{pattern} on {line:?}");
                if lazy {
                    let got = stored.find_all_lazily(line);
                    assert_eq!(got.as_ref(), Some(&want), "{pattern} on {line:?}");
                    lazy_spans += want.len();
                }
                spans += want.len();
            }
        }
        // The placeholder and fee regexes too big for stored DFAs.
        assert!(
            light_only >= 4 && spans > 1000 && lazy_spans > 1000,
            "{light_only} {spans} {lazy_spans}"
        );
    }

    #[test]
    fn a_damaged_nfa_encoding_is_refused_not_a_panic() {
        let pattern = r"\[[^\]\n]{0,5}(?:name|имя)\]";
        // A forward NFA with captures, a reverse one shrunk and without.
        let (forward, reverse) = stored_nfas(pattern).unwrap();
        for encoded in [forward.clone(), reverse.clone()] {
            assert!(decode_nfa(&encoded).is_some());
            // Every cut, and every word set to values past the states, to
            // the kinds' range, and to zero.
            for cut in 0..encoded.len() {
                let _ = decode_nfa(&encoded[..cut]);
            }
            assert!(decode_nfa(&encoded[..encoded.len() - 4]).is_none());
            for at in (0..encoded.len()).step_by(4) {
                for value in [0u32, 7, 8, 255, 256, 100_000, u32::MAX] {
                    let mut damaged = encoded.clone();
                    damaged[at..at + 4].copy_from_slice(&value.to_le_bytes());
                    let _ = decode_nfa(&damaged);
                }
            }
        }
        // Two forward NFAs (or two reverse ones) make no lazy DFAs.
        let leak = |b: &Vec<u8>| -> &'static [u8] { Box::leak(b.clone().into_boxed_slice()) };
        assert!(StoredNfas::new(leak(&forward), leak(&reverse))
            .lazy_dfas()
            .is_some());
        assert!(StoredNfas::new(leak(&forward), leak(&forward))
            .lazy_dfas()
            .is_none());
        assert!(StoredNfas::new(leak(&reverse), leak(&reverse))
            .lazy_dfas()
            .is_none());
        // One-alternate unions, pointing at themselves or at each other,
        // which the builder would follow round for ever.
        for words in [
            vec![2u32, 1, 1, 1, 1, 0, 3, 1, 0, 7],
            vec![3, 0, 0, 0, 1, 0, 3, 1, 1, 3, 1, 0, 7],
        ] {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            assert!(decode_nfa(&bytes).is_none());
        }
        // Words of small values in random order: kinds, ids and bytes that
        // each look plausible.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut words = vec![12u32, 0, 0, 0, 1, (state % 2) as u32];
            for _ in 0..(state % 40) {
                words.push((xorshift(&mut state) % 14) as u32);
            }
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let _ = decode_nfa(&bytes);
        }
    }

    #[test]
    fn a_light_regex_gives_way_to_the_lazy_dfas_or_the_full_regex() {
        use std::sync::atomic::Ordering;
        let engine = crate::builtin::engine().unwrap();
        let rule = engine
            .regexes
            .iter()
            .find(|r| r.dfas.is_none() && r.spec.regex.as_str().starts_with(r"\["))
            .expect("the bracket placeholder regex has no stored DFAs");
        let nfas = rule.nfas.as_ref().unwrap();
        let line = "hello [customer name], your order is late";
        let searched = || rule.light.searched.load(Ordering::Relaxed);
        // A few lines: the light form answers, nothing else is built.
        assert_eq!(rule.spans_uncompiled(line), Some(vec![(6, 21)]));
        assert_eq!(searched(), line.len());
        assert!(!rule.spec.regex.is_compiled() && !nfas.has_lazy_dfas());
        // Past its budget the lazy DFAs answer...
        let long = format!("{}{line}", "x".repeat(LIGHT_REGEX_MAX_BYTES));
        let at = LIGHT_REGEX_MAX_BYTES;
        assert_eq!(rule.spans_uncompiled(&long), Some(vec![(at + 6, at + 21)]));
        assert!(matches!(nfas.lazy_dfas.get(), Some(Some(_))));
        // ...and, once built, every line goes to them, not the light form.
        let before = searched();
        assert_eq!(rule.spans_uncompiled(line), Some(vec![(6, 21)]));
        assert_eq!(searched(), before);
        assert!(!rule.spec.regex.is_compiled());
        // A user's regex (no stored NFAs) leaves its lines to the full
        // regex once that is compiled.
        let users = LightRegex::default();
        assert_eq!(users.find_all(&rule.spec, None, line), Some(vec![(6, 21)]));
        assert!(rule.spec.regex.get().is_some());
        assert_eq!(users.find_all(&rule.spec, None, line), None);
        // So does a built-in one once compiled (after a line its lazy DFAs
        // gave up on), built lazy DFAs or not.
        assert!(nfas.has_lazy_dfas());
        assert_eq!(rule.spans_uncompiled(line), None);
    }

    #[test]
    fn a_linter_is_shared_across_threads_and_unwinding() {
        // The caches the regexes' searches keep (a service checks on many
        // threads, and may catch a panic around a check).
        fn shared<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
        shared::<crate::Linter>();
        shared::<Engine>();
    }

    #[test]
    fn a_draft_past_the_lazy_dfa_size_skips_the_light_form() {
        use std::sync::atomic::Ordering;
        let line = "hello [customer name], order {order_number} is late\n";
        for (copies, lazy) in [(20, false), (LAZY_DFAS_DRAFT_BYTES / line.len() + 1, true)] {
            let engine = crate::builtin::engine().unwrap();
            let draft = line.repeat(copies);
            let norm = apolint_rules::normalize::normalize(&draft);
            assert_eq!(norm.text.len() >= LAZY_DFAS_DRAFT_BYTES, lazy);
            let matches = engine.scan_on_one_thread(&norm, &draft, None, &[]);
            for rule in engine.regexes.iter().filter(|r| r.dfas.is_none()) {
                let pattern = rule.spec.regex.as_str();
                assert_eq!(
                    rule.nfas.as_ref().unwrap().has_lazy_dfas(),
                    lazy,
                    "{pattern}"
                );
                assert!(!rule.spec.regex.is_compiled(), "{pattern}");
                let searched = rule.light.searched.load(Ordering::Relaxed);
                if lazy {
                    assert_eq!(searched, 0, "{pattern}");
                }
            }
            // The bracket placeholder in every copy, found by the light
            // form in the small draft.
            let brackets = engine
                .regexes
                .iter()
                .find(|r| r.dfas.is_none() && r.spec.regex.as_str().starts_with(r"\["))
                .unwrap();
            let found = matches
                .iter()
                .filter(|m| m.owner.get() == brackets.owner)
                .count();
            assert_eq!(found, copies);
            assert_eq!(brackets.light.searched.load(Ordering::Relaxed) > 0, !lazy);
        }
    }

    #[test]
    fn a_large_draft_searches_with_lazy_dfas_and_compiles_no_regex() {
        let linter = crate::Linter::builtin().unwrap();
        let reply = "Hello [customer name], we are sorry about order {order_number}. \
                     We added you $10 credit as an apology and charged you a late fee due to the courier.\n\n";
        let large = reply.repeat(LAZY_DFAS_DRAFT_BYTES / reply.len() + 1);
        let options = crate::CheckOptions::default();
        // The same report as the rules compiled at start-up give, whose
        // regexes compile (as a user's do).
        let compiled = crate::Linter::from_book(crate::builtin::book().unwrap(), linter.fail_on());
        let report = linter.check(&large, &options);
        assert_eq!(report, compiled.check(&large, &options));
        // Each of the regexes without stored DFAs found its matches.
        let found = |id: &str| report.findings.iter().filter(|f| &*f.rule == id).count();
        for id in [
            "any.placeholder.square-brackets",
            "any.placeholder.single-braces",
        ] {
            assert!(found(id) > 100, "{id}: {}", found(id));
        }
        let without_dfas = || linter.engine.regexes.iter().filter(|r| r.dfas.is_none());
        for rule in without_dfas() {
            let pattern = rule.spec.regex.as_str();
            assert!(!rule.spec.regex.is_compiled(), "{pattern}");
            assert!(rule.nfas.as_ref().unwrap().has_lazy_dfas(), "{pattern}");
        }
        // A short reply needs no lazy DFAs: its light forms answer.
        let small = crate::Linter::builtin().unwrap();
        assert_eq!(
            small.check(reply, &options),
            compiled.check(reply, &options)
        );
        for rule in small.engine.regexes.iter().filter(|r| r.dfas.is_none()) {
            assert!(!rule.nfas.as_ref().unwrap().has_lazy_dfas());
        }
    }

    #[test]
    fn span_dfas_find_the_spans_the_regexes_find() {
        let engine = crate::builtin::engine().unwrap();
        let lines = regex_test_lines();
        let (mut with_dfas, mut spans) = (0, 0);
        for rule in &engine.regexes {
            let Some(dfas) = &rule.dfas else { continue };
            with_dfas += 1;
            // What start-up reads unchecked passes the checked reader.
            assert!(StoredDfa::from_bytes(dfas.forward).is_ok());
            assert!(StoredDfa::from_bytes(dfas.reverse).is_ok());
            let regex = rule.spec.regex.get().unwrap();
            for line in &lines {
                let want: Vec<(usize, usize)> = regex
                    .find_iter(line)
                    .map(|m| (m.start(), m.end()))
                    .collect();
                let got = dfas.find_all(line).expect("the DFAs search");
                assert_eq!(got, want, "{} on {line:?}", regex.as_str());
                spans += want.len();
            }
        }
        // All but the few regexes over the DFA size limit; matches of each
        // kind (placeholders, shouting, emoji, dates, times, amounts).
        assert!(
            with_dfas * 5 >= engine.regexes.len() * 4,
            "{with_dfas} of {}",
            engine.regexes.len()
        );
        assert!(spans > 1000, "{spans} spans");
    }

    #[test]
    fn a_large_draft_scanned_on_two_threads_gives_the_matches_of_one() {
        let mut linter = crate::Linter::builtin().unwrap();
        // With a lexicon budget the matches depend on where stretches
        // fall (a thread skips what its own earlier paragraphs hold); that
        // the reports do not is checked by `the_tag_budget_changes_no_report`.
        linter.engine.set_tag_budget(TagBudget::default());
        let engine = &linter.engine;
        // Every draft's reply text (quotes and signatures masked, as a
        // check sees it), one after another: ~1 MB with matches of every
        // kind, regexes on digit lines included.
        // Repeated until large enough: without ../shared the repository's
        // drafts alone come to a little less.
        let (mut cased, mut block_starts) = (String::new(), Vec::new());
        let drafts = all_drafts();
        while cased.len() < 4 * PARALLEL_SCAN_BYTES {
            for draft in &drafts {
                let extracted = crate::input::extract(draft, crate::InputFormat::sniff(draft));
                block_starts.extend(extracted.block_starts.iter().map(|b| b + cased.len()));
                cased.push_str(&extracted.text);
                cased.push_str("\n\n");
            }
        }
        assert!(
            cased.len() >= 4 * PARALLEL_SCAN_BYTES,
            "{} bytes",
            cased.len()
        );
        let norm = apolint_rules::normalize::normalize(&cased);
        for forced in [None, Some(Language::Ru)] {
            let one = engine.scan_on_one_thread(&norm, &cased, forced, &block_starts);
            assert!(one.len() > 1000, "{} matches", one.len());
            // The split scan() chooses, and splits all over the draft.
            assert_eq!(engine.scan(&norm, &cased, forced, &block_starts), one);
            let shared_in = |size: usize| {
                let bounds = paragraph_stretches(norm.text.as_bytes(), size);
                assert!(bounds.windows(2).all(|w| w[0] < w[1]), "{bounds:?}");
                SharedScan::new(
                    DraftText {
                        norm: &norm,
                        cased: &cased,
                        forced,
                    },
                    &block_starts,
                    bounds,
                )
            };
            for size in [1, 700, 20_000, 300_000, 2 * cased.len()] {
                let shared = shared_in(size);
                let split = std::thread::scope(|scope| {
                    let helper = scope.spawn(|| engine.scan_helper_part(&shared));
                    engine.finish_shared_scan(&shared, || helper.join().map(Some))
                });
                assert_eq!(split, one, "stretches of {size} bytes");
                // A helper that never ran leaves its part to the caller.
                let shared = shared_in(size);
                assert_eq!(
                    engine.finish_shared_scan(&shared, || Ok(None)),
                    one,
                    "stretches of {size} bytes, no helper"
                );
            }
        }
    }

    #[test]
    fn paragraph_starts_follow_a_blank_line() {
        let text = b"one\ntwo\n \t\nthree\n\nfour";
        assert_eq!(paragraph_start_after(text, 0), Some(11));
        assert_eq!(paragraph_start_after(text, 11), Some(18));
        assert_eq!(paragraph_start_after(text, 18), None);
        assert_eq!(paragraph_start_after(b"no blank line\n", 0), None);
        assert_eq!(paragraph_start_after(b"ends blank\n\n", 0), None);
    }

    #[test]
    fn member_sets_answer_what_regex_sets_answer() {
        let linter = crate::Linter::builtin().unwrap();
        let engine = &linter.engine;
        let lines = regex_test_lines();
        let mut sets = 0;
        for group in &engine.unfiltered {
            let Some(set) = group.set(&engine.regexes) else {
                continue;
            };
            sets += 1;
            let reference = regex::RegexSetBuilder::new(
                group
                    .members
                    .iter()
                    .map(|&ri| engine.regexes[ri as usize].spec.regex.as_str()),
            )
            .size_limit(4 << 20)
            .dfa_size_limit(4 << 20)
            .nest_limit(64)
            .build()
            .unwrap();
            let mut matched = 0;
            for line in &lines {
                let want: Vec<usize> = reference.matches(line).into_iter().collect();
                assert_eq!(set.matches(line).unwrap(), want, "{line:?}");
                matched += usize::from(!want.is_empty());
            }
            assert!(matched > 0);
        }
        assert!(sets >= 1, "{sets} member sets");
    }

    #[test]
    fn packed_owners_keep_the_owners_and_their_order() {
        let owners = [
            Owner::Rule(0),
            Owner::Rule(1),
            Owner::Rule((1 << 31) - 1),
            Owner::Tag(0),
            Owner::Tag(7),
            Owner::Tag((1 << 31) - 1),
        ];
        for a in owners {
            assert_eq!(PackedOwner::from(a).get(), a);
            for b in owners {
                assert_eq!(
                    PackedOwner::from(a).cmp(&PackedOwner::from(b)),
                    a.cmp(&b),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn literal_keys_are_the_rare_bytes() {
        let literals: Vec<String> = [" ,", "хх", "pologizes", "{{"].map(String::from).to_vec();
        let f = LiteralFinder::new(&literals).unwrap();
        assert_eq!(f.keys, [b',', b'z', b'{', 0x85]);
    }
}
