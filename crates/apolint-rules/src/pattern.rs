//! The token pattern language of phrase rules, and its matcher.
//!
//! A pattern is a sequence of elements: words (`извинения`), word prefixes
//! (`извин*`), punctuation (`,`), groups of alternatives (`(a|b c)`),
//! optional groups (`[a|b]`) and bounded gaps (`~3`). Matching starts from an
//! anchor token (see `apolint_core`'s matcher) and walks outwards in both
//! directions, on the interned ids of the line's tokens ([`CElem`]).

use serde::{Deserialize, Serialize};

use crate::segment::{is_sentence_end, Token, TokenKind};
use crate::vocab::{TokenIds, Vocab, NO_WORD};

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Elem {
    /// A whole word.
    Word(String),
    /// A word starting with this prefix.
    Prefix(String),
    /// A punctuation token.
    Punct(String),
    /// One of several sequences; `optional` allows none.
    Group {
        /// The alternatives.
        alts: Vec<Vec<Elem>>,
        /// Whether the group may match nothing.
        optional: bool,
    },
    /// Up to this many words (or commas) of anything.
    Gap(u8),
}

/// A pattern syntax error: message and byte range within the pattern text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// What is wrong.
    pub message: String,
    /// Where, in bytes of the pattern string.
    pub range: std::ops::Range<usize>,
}

/// Splits pattern or draft text into word and punctuation pieces exactly as
/// the draft tokenizer does, so a literal in a pattern always lines up with
/// the tokens of the text it should match.
fn literal_pieces(text: &str) -> Vec<(bool, String)> {
    let line = crate::segment::Line::tokenize(text, 0, text.len());
    line.tokens
        .iter()
        .map(|t| (t.kind == TokenKind::Word, t.text(text).to_owned()))
        .collect()
}

/// Parses a pattern. The text is normalised first, so `Ещё` in a rule file
/// means the same as `еще`.
pub fn parse(pattern: &str) -> Result<Vec<Elem>, PatternError> {
    let mut p = Parser {
        src: pattern,
        pos: 0,
        depth: 0,
    };
    let seq = p.sequence(None)?;
    if seq.is_empty() {
        return Err(PatternError {
            message: "empty pattern".into(),
            range: 0..pattern.len(),
        });
    }
    let ways = ways(&seq);
    if ways > MAX_WAYS {
        return Err(PatternError {
            message: format!(
                "pattern too open: its gaps and groups allow {} ways to match from one anchor \
                 (at most {MAX_WAYS}); use fewer or shorter `~N` gaps and optional groups, \
                 or split it into several phrases",
                if ways == u64::MAX {
                    "billions of".to_owned()
                } else {
                    ways.to_string()
                }
            ),
            range: 0..pattern.len(),
        });
    }
    Ok(seq)
}

/// Deepest nesting of groups in a pattern. The parser and the matcher
/// recurse per level: unbounded, 30,000 `(` overflowed the stack of every
/// front end that loaded the rule.
pub const MAX_NESTING: usize = 8;

/// Most ways a pattern may match from one anchor position: the product of
/// its gaps' `n + 1` (a gap may skip 0 to n words) and of 2 per optional
/// group (taken or skipped), a group counting as its most open
/// alternative. The matcher backtracks through all of them on a miss, so
/// twelve `~8` gaps (9¹² ways) hung the language server; four `~8` gaps
/// (6,561) cost microseconds.
pub const MAX_WAYS: u64 = 10_000;

/// How many ways `seq` may match from one position (saturating).
fn ways(seq: &[Elem]) -> u64 {
    seq.iter().fold(1u64, |acc, e| {
        let w = match e {
            Elem::Gap(n) => u64::from(*n) + 1,
            Elem::Group { alts, optional } => alts
                .iter()
                .map(|a| ways(a))
                .max()
                .unwrap_or(1)
                .saturating_mul(if *optional { 2 } else { 1 }),
            _ => 1,
        };
        acc.saturating_mul(w)
    })
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Groups open around the current position.
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, message: impl Into<String>, start: usize) -> PatternError {
        PatternError {
            message: message.into(),
            range: start..self.pos.max(start + 1).min(self.src.len().max(start + 1)),
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    /// Parses elements until `close` (or the end when `close` is `None`);
    /// `|` ends the sequence too, when inside a group.
    fn sequence(&mut self, close: Option<char>) -> Result<Vec<Elem>, PatternError> {
        let mut seq = Vec::new();
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.pos += self.peek().map_or(1, char::len_utf8);
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                if let Some(close) = close {
                    return Err(self.err(format!("unclosed group: expected `{close}`"), start));
                }
                return Ok(seq);
            };
            match c {
                '|' | ')' | ']' if close.is_some() => return Ok(seq),
                '|' | ')' | ']' => {
                    self.pos += 1;
                    return Err(self.err(format!("unexpected `{c}` outside a group"), start));
                }
                '(' | '[' => {
                    self.pos += 1;
                    if self.depth >= MAX_NESTING {
                        return Err(self.err(
                            format!(
                                "groups nested more than {MAX_NESTING} deep; flatten the pattern \
                                 or split it into several phrases"
                            ),
                            start,
                        ));
                    }
                    self.depth += 1;
                    let optional = c == '[';
                    let want = if optional { ']' } else { ')' };
                    let mut alts = Vec::new();
                    loop {
                        let alt = self.sequence(Some(want)).map_err(|mut e| {
                            // Point an unclosed group at its opening bracket.
                            if e.message.starts_with("unclosed") {
                                e.range = start..start + 1;
                            }
                            e
                        })?;
                        if alt.is_empty() {
                            return Err(self.err("empty alternative", start));
                        }
                        alts.push(alt);
                        match self.peek() {
                            Some('|') => self.pos += 1,
                            Some(x) if x == want => {
                                self.pos += 1;
                                break;
                            }
                            Some(x) => {
                                self.pos += x.len_utf8();
                                return Err(self
                                    .err(format!("expected `|` or `{want}`, found `{x}`"), start));
                            }
                            None => {
                                return Err(PatternError {
                                    message: format!("unclosed group: expected `{want}`"),
                                    range: start..start + 1,
                                })
                            }
                        }
                    }
                    self.depth -= 1;
                    seq.push(Elem::Group { alts, optional });
                }
                '~' => {
                    self.pos += 1;
                    let digits: String = self.src[self.pos..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    self.pos += digits.len();
                    let n: u8 = digits
                        .parse()
                        .map_err(|_| self.err("`~` needs a word count, e.g. `~3`", start))?;
                    if !(1..=8).contains(&n) {
                        return Err(self.err("a gap is 1 to 8 words", start));
                    }
                    seq.push(Elem::Gap(n));
                }
                _ => {
                    // A literal runs to the next space or syntax character.
                    let end = self.src[self.pos..]
                        .find(|ch: char| {
                            matches!(ch, '(' | ')' | '[' | ']' | '|' | '~' | ' ' | '\t' | '\n')
                                || ch.is_whitespace()
                        })
                        .map_or(self.src.len(), |p| self.pos + p);
                    let raw = &self.src[self.pos..end];
                    self.pos = end;
                    let (body, prefix) = match raw.strip_suffix('*') {
                        Some(b) if !b.is_empty() => (b, true),
                        _ => (raw, false),
                    };
                    // Most literals are one lowercase word: skip normalising
                    // and segmenting those (it dominates rule loading).
                    let simple = !body.is_empty()
                        && body
                            .chars()
                            .all(|c| matches!(c, 'a'..='z' | '0'..='9' | 'а'..='я'));
                    let pieces = if simple {
                        vec![(true, body.to_owned())]
                    } else {
                        literal_pieces(&crate::normalize::normalize(body).text)
                    };
                    if pieces.is_empty() {
                        return Err(
                            self.err(format!("`{raw}` is not a word or punctuation"), start)
                        );
                    }
                    let n = pieces.len();
                    for (k, (is_word, text)) in pieces.into_iter().enumerate() {
                        seq.push(match (is_word, prefix && k + 1 == n) {
                            (true, true) => Elem::Prefix(text),
                            (true, false) => Elem::Word(text),
                            (false, false) => Elem::Punct(text),
                            (false, true) => {
                                return Err(self.err("`*` must follow letters", start));
                            }
                        });
                    }
                }
            }
        }
    }
}

/// A word or prefix a pattern can be anchored on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The normalised text to find.
    pub text: String,
    /// Whether it is a prefix (only the start must be a word boundary).
    pub prefix: bool,
}

/// A pattern variant with a top-level anchor element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The elements.
    pub elems: std::sync::Arc<[Elem]>,
    /// Index of the anchor element in `elems`.
    pub anchor: usize,
    /// The literals that anchor it (one per alternative of the anchor).
    pub anchors: Vec<Anchor>,
}

/// Splits a pattern into variants that each have an anchor element at the
/// top level: `(index of the anchor element, its literals)`. Top-level groups
/// with no anchor of their own are expanded into one variant per alternative.
pub fn anchored_variants(seq: &[Elem]) -> Result<Vec<Variant>, String> {
    let mut out = Vec::new();
    let mut work = vec![seq.to_vec()];
    while let Some(seq) = work.pop() {
        if out.len() + work.len() > 256 {
            return Err("pattern expands to more than 256 variants".into());
        }
        if let Some((idx, anchors)) = best_anchor(&seq) {
            out.push(Variant {
                elems: seq.into(),
                anchor: idx,
                anchors,
            });
            continue;
        }
        // Expand the first mandatory group into its alternatives.
        let Some(g) = seq.iter().position(|e| {
            matches!(
                e,
                Elem::Group {
                    optional: false,
                    ..
                }
            )
        }) else {
            return Err(
                "pattern has no mandatory word to anchor on (every word is optional or a gap)"
                    .into(),
            );
        };
        let Elem::Group { alts, .. } = &seq[g] else {
            continue;
        };
        for alt in alts {
            let mut v = seq[..g].to_vec();
            v.extend(alt.iter().cloned());
            v.extend(seq[g + 1..].iter().cloned());
            work.push(v);
        }
    }
    Ok(out)
}

/// The best top-level anchor: a mandatory word or prefix, or a mandatory
/// group whose alternatives are all single words. Longer literals are rarer,
/// so the anchor with the longest shortest literal wins.
fn best_anchor(seq: &[Elem]) -> Option<(usize, Vec<Anchor>)> {
    let mut best: Option<(usize, Vec<Anchor>, usize)> = None;
    for (i, e) in seq.iter().enumerate() {
        let anchors = match e {
            Elem::Word(w) => vec![Anchor {
                text: w.clone(),
                prefix: false,
            }],
            Elem::Prefix(w) => vec![Anchor {
                text: w.clone(),
                prefix: true,
            }],
            Elem::Group {
                alts,
                optional: false,
            } => {
                let mut v = Vec::new();
                for alt in alts {
                    match alt.as_slice() {
                        [Elem::Word(w)] => v.push(Anchor {
                            text: w.clone(),
                            prefix: false,
                        }),
                        [Elem::Prefix(w)] => v.push(Anchor {
                            text: w.clone(),
                            prefix: true,
                        }),
                        _ => {
                            v.clear();
                            break;
                        }
                    }
                }
                if v.is_empty() {
                    continue;
                }
                v
            }
            _ => continue,
        };
        let score = anchors
            .iter()
            .map(|a| a.text.chars().count())
            .min()
            .unwrap_or(0);
        if best.as_ref().is_none_or(|b| score > b.2) {
            best = Some((i, anchors, score));
        }
    }
    best.map(|(i, a, _)| (i, a))
}

/// The literal elements one of which the first token matched by `elems`
/// (walking in `dir`) must match, or `None` when no such short list exists
/// (the sequence can be empty, or starts with a gap). A cheap test that
/// rejects most anchor hits before the backtracking walk.
pub fn first_literals(elems: &[Elem], dir: Dir) -> Option<Vec<&Elem>> {
    let (first, rest) = match dir {
        Dir::Forward => elems.split_first()?,
        Dir::Backward => elems.split_last()?,
    };
    match first {
        Elem::Word(_) | Elem::Prefix(_) | Elem::Punct(_) => Some(vec![first]),
        Elem::Gap(_) => None,
        Elem::Group { alts, optional } => {
            let mut out = Vec::new();
            for alt in alts {
                out.extend(first_literals(alt, dir)?);
            }
            if *optional {
                out.extend(first_literals(rest, dir)?);
            }
            (out.len() <= 64).then_some(out)
        }
    }
}

/// Direction of a walk over tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dir {
    /// Towards the end of the line.
    Forward,
    /// Towards its start.
    Backward,
}

/// A pattern element with its words interned in a [`Vocab`]: what the
/// engine matches against a line's [`TokenIds`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CElem {
    /// A whole word (word id).
    Word(u32),
    /// A word starting with a prefix (prefix id).
    Prefix(u32),
    /// A punctuation token.
    Punct(Box<str>),
    /// A group whose alternatives are each one word, prefix or punctuation
    /// mark: one set test instead of a walk per alternative (they all
    /// continue at the same token). `optional` allows none.
    OneOf(Box<TokenSet>, bool),
    /// One of several sequences; `optional` allows none.
    Group {
        /// The alternatives.
        alts: Box<[Box<[CElem]>]>,
        /// Whether the group may match nothing.
        optional: bool,
        /// The tokens an alternative can start with, in the direction the
        /// group is walked (see [`GroupHeads`]).
        heads: Option<Box<GroupHeads>>,
    },
    /// Up to this many words (or commas) of anything.
    Gap(u8),
}

/// The tokens a group's alternatives can start with in the direction it
/// is walked (their [`first_literals`], as a phrase's anchor has for its
/// neighbours): a token outside the set starts none of them, and one set
/// test replaces a test per alternative. A group of
/// twenty negations behind a gap was tested alternative by alternative at
/// each gap length, on each anchor it followed (issue #19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupHeads {
    /// The direction the set is for: walking forward, the alternatives'
    /// first tokens; backward, their last.
    dir: Dir,
    set: TokenSet,
}

impl GroupHeads {
    /// Groups with fewer alternatives get no heads: testing their few
    /// heads one by one costs little more than the set test, and every
    /// set is decoded at start-up with its phrase (+20k instructions for a
    /// short draft with sets on all groups).
    const MIN_ALTS: usize = 4;

    /// The heads of `alts` walked in `dir`: each alternative's
    /// [`first_literals`]; `None` if one has none.
    fn of(alts: &[Vec<Elem>], dir: Dir, vocab: &mut Vocab) -> Option<GroupHeads> {
        if alts.len() < Self::MIN_ALTS {
            return None;
        }
        let mut literals = Vec::new();
        for alt in alts {
            literals.extend(first_literals(alt, dir)?);
        }
        Some(GroupHeads {
            dir,
            set: TokenSet::of_refs(literals, vocab)?,
        })
    }
}

/// A set of single-token alternatives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// Word ids, sorted.
    words: Box<[u32]>,
    /// Bit `id % 64` of each word id: a word whose bit is clear is not in
    /// `words`, known without a search. Most tests are of words a set does
    /// not have (the word before an anchor, the start of a group).
    word_bits: u64,
    /// Prefix ids, sorted.
    prefixes: Box<[u32]>,
    /// Punctuation texts.
    puncts: Box<[Box<str>]>,
}

impl TokenSet {
    /// The set of `elems`, if each is a word, prefix or punctuation mark.
    pub fn of(elems: &[Elem], vocab: &mut Vocab) -> Option<TokenSet> {
        Self::of_refs(elems, vocab)
    }

    /// [`TokenSet::of`] over borrowed elements (compiling a group needs no
    /// copies of its words).
    pub fn of_refs<'e>(
        elems: impl IntoIterator<Item = &'e Elem>,
        vocab: &mut Vocab,
    ) -> Option<TokenSet> {
        let (mut words, mut prefixes, mut puncts) = (Vec::new(), Vec::new(), Vec::new());
        for e in elems {
            match e {
                Elem::Word(w) => words.push(vocab.word(w)),
                Elem::Prefix(p) => prefixes.push(vocab.prefix(p)),
                Elem::Punct(p) => puncts.push(p.as_str().into()),
                Elem::Group { .. } | Elem::Gap(_) => return None,
            }
        }
        Some(TokenSet::new(words, prefixes, puncts))
    }

    /// The set of these words, prefixes and marks, in any order and with
    /// repeats.
    fn new(mut words: Vec<u32>, mut prefixes: Vec<u32>, mut puncts: Vec<Box<str>>) -> TokenSet {
        words.sort_unstable();
        words.dedup();
        prefixes.sort_unstable();
        prefixes.dedup();
        puncts.sort_unstable();
        puncts.dedup();
        TokenSet {
            word_bits: word_bits(&words),
            words: words.into(),
            prefixes: prefixes.into(),
            puncts: puncts.into(),
        }
    }

    /// The set's word bits ([`TokenSet::word_bit`] of each word), if it
    /// holds words only: a token whose word bit is not among them is not
    /// in the set. `None` for a set with prefixes or punctuation marks.
    pub fn word_filter(&self) -> Option<u64> {
        (self.prefixes.is_empty() && self.puncts.is_empty()).then_some(self.word_bits)
    }

    /// The bit of word id `w` in [`TokenSet::word_filter`] (ids share bits).
    #[inline]
    pub fn word_bit(w: u32) -> u64 {
        word_bit(w)
    }

    /// Whether word id `w` (maybe [`NO_WORD`]) is one of the set's.
    #[inline]
    fn has_word(&self, w: u32) -> bool {
        self.word_bits & word_bit(w) != 0 && w != NO_WORD && contains(&self.words, w)
    }

    #[inline]
    fn matches(&self, m: &Matcher<'_>, i: usize) -> bool {
        if self.has_word(m.ids.words[i]) {
            return true;
        }
        if !self.prefixes.is_empty()
            && m.ids
                .prefixes_of(i)
                .iter()
                .any(|&p| contains(&self.prefixes, p))
        {
            return true;
        }
        !self.puncts.is_empty() && {
            let t = &m.tokens[i];
            t.kind == TokenKind::Punct && self.puncts.iter().any(|p| **p == *t.text(m.norm))
        }
    }
}

#[inline]
fn word_bit(w: u32) -> u64 {
    1 << (w % 64)
}

fn word_bits(words: &[u32]) -> u64 {
    words.iter().fold(0, |bits, &w| bits | word_bit(w))
}

#[inline]
fn contains(sorted: &[u32], x: u32) -> bool {
    if sorted.len() <= 8 {
        sorted.contains(&x)
    } else {
        sorted.binary_search(&x).is_ok()
    }
}

/// Interns a parsed pattern's words, for walks in `dir` (`None`: the
/// elements are only tested where they stand, as an anchor is).
pub fn compile(elems: &[Elem], dir: Option<Dir>, vocab: &mut Vocab) -> Box<[CElem]> {
    elems.iter().map(|e| compile_elem(e, dir, vocab)).collect()
}

/// Interns an anchored pattern ([`Variant`]): what is before its anchor
/// is walked backward from it, what is after, forward.
pub fn compile_anchored(elems: &[Elem], anchor: usize, vocab: &mut Vocab) -> Box<[CElem]> {
    let mut out = Vec::with_capacity(elems.len());
    out.extend(compile(&elems[..anchor], Some(Dir::Backward), vocab));
    out.extend(compile(&elems[anchor..=anchor], None, vocab));
    out.extend(compile(&elems[anchor + 1..], Some(Dir::Forward), vocab));
    out.into()
}

fn compile_elem(e: &Elem, dir: Option<Dir>, vocab: &mut Vocab) -> CElem {
    match e {
        Elem::Word(w) => CElem::Word(vocab.word(w)),
        Elem::Prefix(p) => CElem::Prefix(vocab.prefix(p)),
        Elem::Punct(p) => CElem::Punct(p.as_str().into()),
        Elem::Gap(n) => CElem::Gap(*n),
        Elem::Group { alts, optional } => {
            fn single(a: &[Elem]) -> Option<&Elem> {
                match a {
                    [one @ (Elem::Word(_) | Elem::Prefix(_) | Elem::Punct(_))] => Some(one),
                    _ => None,
                }
            }
            let set = if alts.iter().all(|a| single(a).is_some()) {
                TokenSet::of_refs(alts.iter().filter_map(|a| single(a)), vocab)
            } else {
                None
            };
            match set {
                Some(set) => CElem::OneOf(Box::new(set), *optional),
                None => {
                    // The alternatives first: their words keep the ids
                    // they get in the order the pattern names them.
                    let compiled = alts.iter().map(|a| compile(a, dir, vocab)).collect();
                    CElem::Group {
                        alts: compiled,
                        optional: *optional,
                        heads: dir
                            .and_then(|d| GroupHeads::of(alts, d, vocab))
                            .map(Box::new),
                    }
                }
            }
        }
    }
}

/// Token-level matcher over one line.
pub struct Matcher<'t> {
    /// The normalised text the tokens point into.
    pub norm: &'t str,
    /// The line's tokens.
    pub tokens: &'t [Token],
    /// Their ids in the patterns' vocabulary.
    pub ids: &'t TokenIds,
}

impl Matcher<'_> {
    /// Whether the token at `idx` (which may be out of the line) is in `set`.
    pub fn token_in(&self, set: &TokenSet, idx: isize) -> bool {
        self.token_index(idx).is_some_and(|i| set.matches(self, i))
    }

    /// `pos` as a token index, if it is one of the line's (walks step to -1
    /// and past the end).
    #[inline]
    fn token_index(&self, pos: isize) -> Option<usize> {
        usize::try_from(pos).ok().filter(|&i| i < self.tokens.len())
    }

    /// Whether a single-token element (or a group of them) matches token `i`.
    #[inline]
    fn elem_matches_token(&self, e: &CElem, i: usize) -> bool {
        match e {
            CElem::Word(w) => self.ids.words[i] == *w,
            CElem::Prefix(p) => self.ids.prefixes_of(i).contains(p),
            CElem::Punct(p) => {
                let t = &self.tokens[i];
                t.kind == TokenKind::Punct && *t.text(self.norm) == **p
            }
            CElem::OneOf(set, _) => set.matches(self, i),
            CElem::Group { alts, .. } => alts
                .iter()
                .any(|a| a.len() == 1 && self.elem_matches_token(&a[0], i)),
            CElem::Gap(_) => false,
        }
    }

    /// Matches `elems` walking in `dir` from token index `pos` (the next token
    /// to consume; may be -1 or `len` at the ends). Calls `done` with the
    /// position after the match; stops at the first `done` that returns true.
    pub fn walk(
        &self,
        elems: &[CElem],
        dir: Dir,
        pos: isize,
        done: &mut dyn FnMut(isize) -> bool,
    ) -> bool {
        let (first, rest) = match dir {
            Dir::Forward => match elems.split_first() {
                Some((f, r)) => (f, r),
                None => return done(pos),
            },
            Dir::Backward => match elems.split_last() {
                Some((f, r)) => (f, r),
                None => return done(pos),
            },
        };
        let step: isize = if dir == Dir::Forward { 1 } else { -1 };
        let index = |p: isize| self.token_index(p);
        match first {
            CElem::Group {
                alts,
                optional,
                heads,
            } => {
                // No alternative starts here: only skipping the group can
                // match.
                if !self.may_start_group(heads.as_deref(), dir, pos) {
                    return *optional && self.walk(rest, dir, pos, done);
                }
                for alt in alts.iter() {
                    // An alternative whose first token cannot be here is
                    // skipped without a walk (see `may_start`).
                    if !self.may_start(alt, dir, pos) {
                        continue;
                    }
                    let found = self.walk(alt, dir, pos, &mut |after| {
                        self.walk(rest, dir, after, done)
                    });
                    if found {
                        return true;
                    }
                }
                *optional && self.walk(rest, dir, pos, done)
            }
            CElem::OneOf(set, optional) => {
                if index(pos).is_some_and(|i| set.matches(self, i))
                    && self.walk(rest, dir, pos + step, done)
                {
                    return true;
                }
                *optional && self.walk(rest, dir, pos, done)
            }
            CElem::Gap(n) => {
                let mut p = pos;
                for skipped in 0..=*n {
                    if self.may_start(rest, dir, p) && self.walk(rest, dir, p, done) {
                        return true;
                    }
                    if skipped == *n {
                        break;
                    }
                    match index(p).map(|i| &self.tokens[i]) {
                        Some(t) if t.kind == TokenKind::Word || t.text(self.norm) == "," => {
                            p += step
                        }
                        _ => break,
                    }
                }
                false
            }
            lit => match index(pos) {
                Some(i) if self.elem_matches_token(lit, i) => {
                    self.walk(rest, dir, pos + step, done)
                }
                _ => false,
            },
        }
    }

    /// Whether a walk of `elems` in `dir` from `pos` can get past its first
    /// element: false only when that element is one token (a word, prefix,
    /// punctuation mark or set that is not optional) which the token at
    /// `pos` is not, or a group none of whose [`GroupHeads`] it is. Asked
    /// before walking each alternative of a group and each length of a
    /// gap, it skips what the walk would reject, without the call: groups
    /// of twenty phrasings behind a gap, each tried at every gap length,
    /// were most of the walking (issue #19). Asked before every step it
    /// cost more than it saved.
    #[inline]
    fn may_start(&self, elems: &[CElem], dir: Dir, pos: isize) -> bool {
        let first = match dir {
            Dir::Forward => elems.first(),
            Dir::Backward => elems.last(),
        };
        match first {
            Some(
                e @ (CElem::Word(_) | CElem::Prefix(_) | CElem::Punct(_) | CElem::OneOf(_, false)),
            ) => self
                .token_index(pos)
                .is_some_and(|i| self.elem_matches_token(e, i)),
            Some(CElem::Group {
                optional: false,
                heads,
                ..
            }) => self.may_start_group(heads.as_deref(), dir, pos),
            _ => true,
        }
    }

    /// Whether some alternative of a group with `heads` may start at
    /// `pos`, walking in `dir`: false only when the heads are known for
    /// that direction and the token at `pos` is none of them.
    #[inline]
    fn may_start_group(&self, heads: Option<&GroupHeads>, dir: Dir, pos: isize) -> bool {
        match heads {
            Some(h) if h.dir == dir => self
                .token_index(pos)
                .is_some_and(|i| h.set.matches(self, i)),
            _ => true,
        }
    }

    /// Whether `elems` match the tokens right before `pos` (ending at `pos - 1`).
    pub fn matches_before(&self, elems: &[CElem], pos: usize) -> bool {
        self.walk(elems, Dir::Backward, pos as isize - 1, &mut |_| true)
    }

    /// Whether the token at `pos` may start a match of `elems`: false when
    /// their first element is known and the token is not it. A cheap test
    /// before [`Matcher::matches_at`] where most tokens start no match.
    #[inline]
    pub fn may_start_at(&self, elems: &[CElem], pos: usize) -> bool {
        self.may_start(elems, Dir::Forward, pos as isize)
    }

    /// Whether `elems` match the tokens starting right at `pos`.
    pub fn matches_at(&self, elems: &[CElem], pos: usize) -> bool {
        self.walk(elems, Dir::Forward, pos as isize, &mut |_| true)
    }

    /// Matches a whole anchored pattern around the token at `at`, where its
    /// element `anchor` must match: returns the first and last token index
    /// of the match.
    pub fn match_around(
        &self,
        elems: &[CElem],
        anchor: usize,
        at: usize,
    ) -> Option<(usize, usize)> {
        if !self.elem_matches_token(&elems[anchor], at) {
            return None;
        }
        self.match_around_hit(elems, anchor, at)
    }

    /// [`Matcher::match_around`] at a token known to match element
    /// `anchor`: a hit of the engine's anchor index, found by the token's
    /// word or prefix id, which is one of that element's. Testing the
    /// element again was 1.7% of checking the 1 MB English peer file
    /// (issue #19).
    pub fn match_around_hit(
        &self,
        elems: &[CElem],
        anchor: usize,
        at: usize,
    ) -> Option<(usize, usize)> {
        debug_assert!(
            self.elem_matches_token(&elems[anchor], at),
            "token {at} is no hit of anchor element {anchor}"
        );
        // What follows the anchor is matched first and once: it starts at
        // `at + 1` whatever the part before matched, so its first match is
        // the one any match of the part before is paired with (walking it
        // again for each way the part before matches found nothing new).
        // Each side's leading single tokens, which leave no choice, are
        // stepped over without the recursive walk (most phrases are
        // mostly such tokens, and a walk call costs ~35 instructions of
        // entry and exit alone, issue #19).
        let end = self.first_match_end(&elems[anchor + 1..], Dir::Forward, at as isize + 1)?;
        let start = self.first_match_end(&elems[..anchor], Dir::Backward, at as isize - 1)?;
        Some(((start + 1) as usize, (end - 1) as usize))
    }

    /// Where the first match of `elems` walked in `dir` from `pos` ends
    /// (the position after it), if there is one.
    #[inline]
    fn first_match_end(&self, elems: &[CElem], dir: Dir, pos: isize) -> Option<isize> {
        let (rest, from) = self.step_fixed(elems, dir, pos)?;
        if rest.is_empty() {
            return Some(from);
        }
        let mut end = None;
        self.walk(rest, dir, from, &mut |p| {
            end = Some(p);
            true
        });
        end
    }

    /// Steps over the leading elements of `elems` (in walk order) that are
    /// one token each and not optional, from `pos`: the elements left and
    /// the position after the last one stepped over; `None` if one of them
    /// does not match (then no walk of `elems` from `pos` matches).
    #[inline]
    fn step_fixed<'e>(
        &self,
        mut elems: &'e [CElem],
        dir: Dir,
        mut pos: isize,
    ) -> Option<(&'e [CElem], isize)> {
        loop {
            let (first, rest) = match dir {
                Dir::Forward => elems.split_first(),
                Dir::Backward => elems.split_last(),
            }
            .map_or((None, elems), |(f, r)| (Some(f), r));
            match first {
                Some(
                    e @ (CElem::Word(_)
                    | CElem::Prefix(_)
                    | CElem::Punct(_)
                    | CElem::OneOf(_, false)),
                ) => {
                    let i = self.token_index(pos)?;
                    if !self.elem_matches_token(e, i) {
                        return None;
                    }
                    elems = rest;
                    pos += if dir == Dir::Forward { 1 } else { -1 };
                }
                _ => return Some((elems, pos)),
            }
        }
    }

    /// Whether the token at `idx` starts a line, a sentence or a clause.
    pub fn at_clause_start(&self, idx: usize) -> bool {
        match idx.checked_sub(1).and_then(|p| self.tokens.get(p)) {
            None => true,
            Some(prev) => {
                prev.kind == TokenKind::Punct && {
                    let p = prev.text(self.norm);
                    is_sentence_end(p) || matches!(p, "," | ":" | "-" | "(" | "\"" | ")")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Line;

    fn find(pattern: &str, text: &str) -> Option<String> {
        let elems = parse(pattern).unwrap();
        let norm = crate::normalize::normalize(text).text;
        let line = Line::tokenize(&norm, 0, norm.len());
        let mut vocab = Vocab::default();
        let variants: Vec<(Box<[CElem]>, usize)> = anchored_variants(&elems)
            .unwrap()
            .into_iter()
            .map(|v| (compile_anchored(&v.elems, v.anchor, &mut vocab), v.anchor))
            .collect();
        let ids = vocab.freeze().resolve(&norm, &line.tokens);
        let m = Matcher {
            norm: &norm,
            tokens: &line.tokens,
            ids: &ids,
        };
        for (elems, anchor) in &variants {
            for at in 0..line.tokens.len() {
                if let Some((a, b)) = m.match_around(elems, *anchor, at) {
                    return Some(
                        norm[line.tokens[a].start as usize..line.tokens[b].end as usize].to_owned(),
                    );
                }
            }
        }
        None
    }

    #[test]
    fn optional_words_and_alternatives() {
        let p = "(приносим|приношу) [вам] [свои|наши] [искренние|глубочайшие] извинения";
        assert_eq!(
            find(p, "Приносим извинения."),
            Some("приносим извинения".into())
        );
        assert_eq!(
            find(p, "Приношу вам свои искренние извинения!"),
            Some("приношу вам свои искренние извинения".into())
        );
        assert_eq!(find(p, "Приносим вам заказ"), None);
    }

    #[test]
    fn prefixes_gaps_and_punctuation() {
        assert_eq!(
            find(
                "извин* ~1 за ~2 неудобств*",
                "Извините нас за все доставленные неудобства"
            ),
            Some("извините нас за все доставленные неудобства".into())
        );
        assert_eq!(
            find("sorry , but", "We are sorry, but no."),
            Some("sorry, but".into())
        );
        assert_eq!(
            find("вообще-то", "Вообще-то всё работает"),
            Some("вообще-то".into())
        );
        // A gap never crosses the end of a sentence.
        assert_eq!(find("мы ~3 вернем", "Мы виноваты. Вернём"), None);
    }

    /// Groups of multi-word phrasings on either side of a gap: each
    /// alternative is tried at each gap length, and the ones whose first
    /// word is not there are skipped without changing what is found.
    #[test]
    fn groups_behind_gaps_match_at_every_gap_length_and_either_side() {
        let before = "(sorry|we apologize|please accept) ~2 (delay|late shipment)";
        assert_eq!(
            find(before, "Please accept our sincere delay"),
            Some("please accept our sincere delay".into())
        );
        assert_eq!(
            find(before, "We apologize for the late shipment"),
            Some("we apologize for the late shipment".into())
        );
        assert_eq!(find(before, "We apologize for the very long delay"), None);
        assert_eq!(find(before, "We apologise for the delay"), None);
        let after = "refund ~3 (in full|within [the] week|soon)";
        assert_eq!(
            find(after, "a refund will arrive within the week"),
            Some("refund will arrive within the week".into())
        );
        assert_eq!(find(after, "the refund soon"), Some("refund soon".into()));
        assert_eq!(find(after, "refund it back to you in a week"), None);
    }

    /// Words of the generated patterns and drafts: few, so that patterns
    /// and drafts meet often.
    const WORDS: [&str; 10] = [
        "we", "are", "sorry", "did", "not", "never", "the", "delay", "refund", "soon",
    ];

    /// A generated pattern element: its text, and the pieces of drafts
    /// that match it (a word, each alternative of a group).
    fn pattern_elem() -> impl proptest::strategy::Strategy<Value = (String, Vec<String>)> {
        use proptest::prelude::*;
        let word =
            proptest::sample::select(&WORDS[..]).prop_map(|w| (w.to_owned(), vec![w.to_owned()]));
        // An alternative's words, one of which may be optional: `[we|the]`.
        let alt_word = prop_oneof![
            4 => proptest::sample::select(&WORDS[..]).prop_map(str::to_owned),
            1 => (proptest::sample::select(&WORDS[..]), proptest::sample::select(&WORDS[..]))
                .prop_map(|(a, b)| format!("[{a}|{b}]")),
        ];
        let alt = proptest::collection::vec(alt_word, 1..3).prop_map(|ws| ws.join(" "));
        let group =
            (proptest::collection::vec(alt, 1..8), any::<bool>()).prop_map(|(alts, optional)| {
                let (open, close) = if optional { ("[", "]") } else { ("(", ")") };
                // A draft piece: the alternative with the first word of each
                // optional set.
                let pieces = alts
                    .iter()
                    .map(|a| {
                        a.split(' ')
                            .map(|w| w.trim_start_matches('[').split('|').next().unwrap_or(w))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                (format!("{open}{}{close}", alts.join("|")), pieces)
            });
        prop_oneof![
            2 => word,
            4 => group,
            1 => (1u8..4).prop_map(|n| (format!("~{n}"), vec!["the".to_owned()])),
            1 => Just(("del*".to_owned(), vec!["delayed".to_owned()])),
            1 => Just((",".to_owned(), vec![",".to_owned()])),
        ]
    }

    /// A pattern, and a draft made of its pieces and of other words.
    fn pattern_and_draft() -> impl proptest::strategy::Strategy<Value = (String, String)> {
        use proptest::prelude::*;
        proptest::collection::vec(pattern_elem(), 1..6).prop_flat_map(|elems| {
            let pattern = elems
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let mut pieces: Vec<String> = elems.into_iter().flat_map(|(_, p)| p).collect();
            pieces.extend(["not", "soon", ".", ","].map(str::to_owned));
            let draft = proptest::collection::vec(proptest::sample::select(pieces), 0..12)
                .prop_map(|p| p.join(" "));
            (Just(pattern), draft)
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// A group's heads only skip walks that would fail: every match,
        /// and every miss, is the same as with no heads at all. And
        /// stepping over single tokens and matching what follows the
        /// anchor once give the matches of the walk as it was.
        #[test]
        fn group_heads_and_stepping_change_no_match((pattern, norm) in pattern_and_draft()) {
            let Ok(elems) = parse(&pattern) else { return Ok(()) };
            let Ok(variants) = anchored_variants(&elems) else { return Ok(()) };
            let line = Line::tokenize(&norm, 0, norm.len());
            let mut vocab = Vocab::default();
            let compiled: Vec<_> = variants
                .iter()
                .map(|v| {
                    let with = compile_anchored(&v.elems, v.anchor, &mut vocab);
                    let without = compile(&v.elems, None, &mut vocab);
                    (with, without, v.anchor)
                })
                .collect();
            let ids = vocab.freeze().resolve(&norm, &line.tokens);
            let m = Matcher { norm: &norm, tokens: &line.tokens, ids: &ids };
            for (with, without, anchor) in &compiled {
                for at in 0..line.tokens.len() {
                    let found = m.match_around(with, *anchor, at);
                    proptest::prop_assert_eq!(found, m.match_around(without, *anchor, at));
                    // The walk as it was: the part before, then for each of
                    // its matches the part after, first pair wins.
                    let mut want = None;
                    if m.elem_matches_token(&with[*anchor], at) {
                        m.walk(&with[..*anchor], Dir::Backward, at as isize - 1, &mut |b| {
                            m.walk(&with[*anchor + 1..], Dir::Forward, at as isize + 1, &mut |f| {
                                want = Some(((b + 1) as usize, (f - 1) as usize));
                                true
                            })
                        });
                    }
                    proptest::prop_assert_eq!(found, want, "{} at {}", pattern, at);
                }
            }
        }
    }

    /// A word id is in a set exactly when it is one of its ids, whatever
    /// ids share its bit of the 64-bit summary; `NO_WORD` (bit 63) never is.
    #[test]
    fn token_sets_hold_their_word_ids_only() {
        let set = TokenSet::new(vec![63, 5, 64 * 9 + 5, 63], vec![], vec![]);
        assert_eq!(&*set.words, [5, 63, 581]);
        for (w, held) in [
            (63, true),
            (5, true),
            (581, true),
            (127, false),
            (69, false),
        ] {
            assert_eq!(set.has_word(w), held, "{w}");
        }
        assert!(!set.has_word(NO_WORD));
        let with_last = TokenSet::new(vec![NO_WORD - 64, 1], vec![], vec![]);
        assert!(with_last.has_word(NO_WORD - 64) && !with_last.has_word(NO_WORD));
    }

    /// Heads made for one direction are not used when the group is walked
    /// the other way: backward, `(we are|…)` starts with `are`, not `we`.
    #[test]
    fn group_heads_apply_only_to_the_direction_they_were_made_for() {
        let elems = parse("(we are|i am|they are|you are)").unwrap();
        let mut vocab = Vocab::default();
        let backward = compile(&elems, Some(Dir::Backward), &mut vocab);
        assert!(matches!(&backward[0], CElem::Group { heads: Some(_), .. }));
        let norm = "we are";
        let line = Line::tokenize(norm, 0, norm.len());
        let ids = vocab.freeze().resolve(norm, &line.tokens);
        let m = Matcher {
            norm,
            tokens: &line.tokens,
            ids: &ids,
        };
        assert!(m.matches_at(&backward, 0));
        assert!(m.matches_before(&backward, 2));
    }

    /// Groups of four or more alternatives get heads in the direction they
    /// are walked, and none at the anchor.
    #[test]
    fn groups_get_heads_for_the_side_of_the_anchor_they_are_on() {
        let elems =
            parse("(we are|i am|they|you) ~2 sorry (for|about it|over|because of) (so much|a)")
                .unwrap();
        let mut vocab = Vocab::default();
        let compiled = compile_anchored(&elems, 2, &mut vocab);
        let dir_of = |e: &CElem| match e {
            CElem::Group { heads, .. } => heads.as_ref().map(|h| h.dir),
            _ => None,
        };
        assert_eq!(dir_of(&compiled[0]), Some(Dir::Backward));
        assert_eq!(dir_of(&compiled[3]), Some(Dir::Forward));
        // Two alternatives are tested one by one.
        assert!(matches!(&compiled[4], CElem::Group { heads: None, .. }));
        let anchored_on_group = compile_anchored(&elems, 0, &mut vocab);
        assert_eq!(dir_of(&anchored_on_group[0]), None);
    }

    #[test]
    fn patterns_are_normalised_like_drafts() {
        assert_eq!(find("Ещё раз", "еще раз"), Some("еще раз".into()));
    }

    #[test]
    fn nesting_and_open_patterns_are_bounded() {
        // 30,000 nested groups overflowed the stack; now a pointed error.
        let deep = format!("{}a{}", "(".repeat(30_000), ")".repeat(30_000));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested more than"), "{}", e.message);
        assert!(parse(&format!("{}a{}", "(".repeat(8), ")".repeat(8))).is_ok());
        // Twelve `~8` gaps: 9^12 ways to backtrack through on a miss.
        let gaps = vec!["мы"; 13].join(" ~8 ");
        let e = parse(&gaps).unwrap_err();
        assert!(e.message.contains("too open"), "{}", e.message);
        assert!(parse(&["мы"; 5].join(" ~8 ")).is_ok());
        let optional = format!("{} мы", "[a] ".repeat(20));
        assert!(parse(&optional).is_err());
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let e = parse("приносим [свои извинения").unwrap_err();
        assert!(e.message.contains("unclosed"), "{e:?}");
        assert!(parse("a ~0 b").is_err());
        assert!(parse("a ) b").is_err());
        assert!(parse("[a|]").is_err());
        assert!(anchored_variants(&parse("[a] ~2 [b]").unwrap()).is_err());
    }

    #[test]
    fn top_level_groups_expand_when_they_have_no_anchor() {
        let v = anchored_variants(&parse("(мы же|это же)").unwrap()).unwrap();
        assert_eq!(v.len(), 2);
    }
}
