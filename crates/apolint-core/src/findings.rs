//! Stage 5: findings.
//!
//! Turns verified matches into what the user sees: duplicate and overlapping
//! matches of one rule merged, document-level rules (`absent`, `count`,
//! `name-mismatch`) evaluated over lexicon matches, spans mapped back to the
//! original input with line and column.

use crate::input::Extracted;
use crate::matcher::{lang_allows, line_bounds, Matches, Owner, RawMatch, TagBudget};
use crate::structure::{Part, PartsFound};
use apolint_rules::book::{Category, Rule, RuleKind, RuleLang, Scope, Severity, Situation};
use apolint_rules::diagnostics::floor_char_boundary;
use apolint_rules::normalize::Normalized;
use apolint_rules::segment::{sentence_containing, Language, Line, Token, TokenKind};
use apolint_rules::vocab::VocabTable;

/// Where a finding is, in the input exactly as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset past the end.
    pub end: usize,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column of the start, in Unicode scalar values.
    pub column: usize,
}

/// Text the findings of one rule share (its id, its message, a
/// suggestion): cloning it copies a pointer. Each of a 1 MB draft's ~6,000
/// findings had copies of its rule's strings: ~36,000 allocations and
/// ~2.4 MB of fresh memory on the thread the output waits for (issue #19).
/// It reads as a `str` (`&*text`, `text.as_str()`, comparisons with `str`
/// and `String`) and serialises as one.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(std::sync::Arc<str>);

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> Self {
        SharedStr(text.into())
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        SharedStr(text.into())
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> Self {
        text.0.to_string()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == *other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl serde::Serialize for SharedStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// One problem found in a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's stable id.
    pub rule: SharedStr,
    /// Its category.
    pub category: Category,
    /// Its severity (after configuration).
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: SharedStr,
    /// Where.
    pub span: Span,
    /// Replacement texts or rewording advice.
    pub suggestions: Vec<SharedStr>,
    /// A replacement for exactly the span's text that removes the problem
    /// (from the rule's `fixes`), safe to apply without reading further.
    pub fix: Option<String>,
    /// Rules of the same category that matched the same words and were
    /// folded into this finding (one finding per problem). Not part of the
    /// JSON contract.
    pub also: Vec<SharedStr>,
}

/// The contract's JSON shape: names for category and severity, and `fix`
/// only where there is one, so the documented shape stays as it was for
/// every other finding.
impl serde::Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;

        #[derive(serde::Serialize)]
        struct Fix<'a> {
            replacement: &'a str,
        }
        let mut st = s.serialize_struct("Finding", 6 + usize::from(self.fix.is_some()))?;
        st.serialize_field("rule", &self.rule)?;
        st.serialize_field("category", self.category.name())?;
        st.serialize_field("severity", self.severity.name())?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("span", &self.span)?;
        st.serialize_field("suggestions", &self.suggestions)?;
        if let Some(fix) = &self.fix {
            st.serialize_field("fix", &Fix { replacement: fix })?;
        }
        st.end()
    }
}

/// What the findings stage needs of the compiled rules.
#[derive(Clone, Copy)]
pub struct CompiledRules<'a> {
    /// The rules, by index.
    pub rules: &'a [Rule],
    /// Lexicon (tag) ids each rule's matches also count toward.
    pub rule_tags: &'a [Vec<u32>],
    /// Lexicon names, by tag id.
    pub tag_names: &'a [String],
    /// The draft-level rules, their lexicons resolved to tag ids.
    pub draft_rules: &'a DraftRules,
    /// Known given names, for name-mismatch.
    pub names: &'a NameIndex,
    /// What the findings of each rule share.
    pub per_rule: &'a PerRuleCache,
}

/// The rules judged on the whole draft (absent, count, clause,
/// name-mismatch), with the lexicons they name resolved to tag ids once,
/// when the linter is built. Finding each name among the lexicons' names
/// for every draft cost more than the rest of the findings stage on a
/// short draft (issue #19).
#[derive(Debug, Default)]
pub struct DraftRules {
    rules: Box<[DraftRule]>,
    named: NamedTags,
}

/// The lexicons the findings stage asks about itself, as tag ids.
#[derive(Debug, Default)]
struct NamedTags {
    /// An apology or a complaint: the reply answers a complaint.
    complaint: Box<[u32]>,
    /// Praise: with no complaint, the reply answers a good review.
    praise: Box<[u32]>,
    /// A named failure or an owned fault: the reply answers a problem.
    problem: Box<[u32]>,
    /// Something already done or completed.
    done: Box<[u32]>,
    /// Per part of a good reply, in [`Part::ALL`] order, its lexicons.
    parts: [Box<[u32]>; Part::ALL.len()],
}

/// One draft-level rule, ready to judge a draft.
#[derive(Debug)]
struct DraftRule {
    /// Index in the rules.
    rule: u32,
    kind: DraftKind,
}

/// A draft-level rule's kind with its lexicons as tag ids. A name no
/// lexicon has never matches: it is left out (and a rule that needs it,
/// dropped).
#[derive(Debug)]
enum DraftKind {
    Absent {
        when: Box<[u32]>,
        /// The rule named no `when` lexicon: it applies to every draft.
        always: bool,
        unless: Box<[u32]>,
    },
    Count {
        tag: u32,
        min: u32,
    },
    NameMismatch {
        after: u32,
        skip: Box<[String]>,
    },
    Clause {
        all: Box<[u32]>,
        unless: Box<[u32]>,
        scope: Scope,
        ordered: bool,
        max_words: Option<u32>,
    },
}

impl DraftRules {
    /// Resolves the lexicon names of the draft-level `rules`; `tag_names`
    /// are the lexicons' names by tag id.
    pub fn new(rules: &[Rule], tag_names: &[String]) -> DraftRules {
        // Names are found by binary search: the engine numbers lexicons in
        // name order (see `Engine::tag_names`). Checked here, once, as a
        // name out of order would silently drop its rules.
        assert!(tag_names.is_sorted(), "lexicon names out of order");
        let id = |name: &str| tag_id(tag_names, name);
        let all_ids = |names: &[String]| tag_ids(tag_names, names.iter().map(String::as_str));
        let rules = rules
            .iter()
            .enumerate()
            .filter_map(|(rule, r)| {
                let kind = match &r.kind {
                    RuleKind::Absent { when, unless } => DraftKind::Absent {
                        when: all_ids(when),
                        always: when.is_empty(),
                        unless: all_ids(unless),
                    },
                    RuleKind::Count { tag, min } => DraftKind::Count {
                        tag: id(tag)?,
                        min: *min,
                    },
                    RuleKind::NameMismatch { after, skip } => DraftKind::NameMismatch {
                        after: id(after)?,
                        skip: skip.clone().into(),
                    },
                    RuleKind::Clause {
                        all,
                        unless,
                        scope,
                        ordered,
                        max_words,
                    } => DraftKind::Clause {
                        all: all.iter().map(|n| id(n)).collect::<Option<_>>()?,
                        unless: all_ids(unless),
                        scope: *scope,
                        ordered: *ordered,
                        max_words: *max_words,
                    },
                    RuleKind::Phrase { .. } | RuleKind::Regex(_) => return None,
                };
                Some(DraftRule {
                    rule: rule as u32,
                    kind,
                })
            })
            .collect();
        let named_ids = |names: &[&str]| tag_ids(tag_names, names.iter().copied());
        let named = NamedTags {
            complaint: named_ids(&["apology", "complaint"]),
            praise: named_ids(&["praise"]),
            problem: named_ids(&["acknowledgement", "fault"]),
            done: named_ids(&["done", "completed"]),
            parts: Part::ALL.map(|p| named_ids(p.lexicons())),
        };
        DraftRules { rules, named }
    }

    /// How many matches of each of the `tags` lexicons [`build`] reads,
    /// by language, these rules being of `rules`: the scan need not find
    /// the others (see the engine's `TagBudget`). Every reading of a
    /// lexicon in [`build`] and in `parts_found` is listed here, and a
    /// test checks that the budget changes no report.
    pub fn tag_budget(&self, rules: &[Rule], tags: usize) -> TagBudget {
        let mut budget = TagBudget::none_of(tags);
        let mut read = |t: u32, lang: Option<RuleLang>, count: u32| budget.read(t, lang, count);
        for DraftRule { rule, kind } in self.rules.iter() {
            // A rule reads the lexicons' matches in its language's
            // sentences (and `Mixed` ones).
            let lang = rules.get(*rule as usize).map(|r| r.lang);
            match kind {
                DraftKind::Absent { when, unless, .. } => {
                    when.iter().for_each(|&t| read(t, lang, 1));
                    unless.iter().for_each(|&t| read(t, None, 1));
                }
                DraftKind::Count { tag, min } => read(*tag, lang, *min),
                DraftKind::NameMismatch { after, .. } => read(*after, lang, GREETINGS_READ as u32),
                // Every clause counts: all matches.
                DraftKind::Clause { all, unless, .. } => all
                    .iter()
                    .chain(unless.iter())
                    .for_each(|&t| read(t, None, TagBudget::ALL)),
            }
        }
        let NamedTags {
            complaint,
            praise,
            problem,
            done,
            parts,
        } = &self.named;
        [complaint, praise, problem, done]
            .into_iter()
            .chain(parts.iter())
            .flat_map(|ids| ids.iter())
            .for_each(|&t| read(t, None, 1));
        budget
    }
}

/// The greetings a name-mismatch rule looks at: a real greeting is one of
/// the first few, and bounding the count keeps a pathological draft linear.
const GREETINGS_READ: usize = 8;

/// The tag id of lexicon `name`; `tag_names` are sorted.
fn tag_id(tag_names: &[String], name: &str) -> Option<u32> {
    tag_names
        .binary_search_by(|n| n.as_str().cmp(name))
        .ok()
        .map(|i| i as u32)
}

/// The tag ids of the lexicons among `names`.
fn tag_ids<'n>(tag_names: &[String], names: impl Iterator<Item = &'n str>) -> Box<[u32]> {
    names.filter_map(|n| tag_id(tag_names, n)).collect()
}

/// Whether any of the lexicons `ids` matched (`tags`: matches by tag id).
fn any_matched(tags: &TagMatches, ids: &[u32]) -> bool {
    ids.iter().any(|&t| !tags.of(t).is_empty())
}

/// A draft's lexicon matches by tag id, in one buffer: a vector per
/// lexicon (~70, each growing from empty) was ~7 allocations per reply of
/// an `audit` (issue #19).
struct TagMatches {
    /// Tag `t`'s matches are `matches[starts[t]..starts[t + 1]]`, sorted
    /// by start and end, none starting before the end of the one before.
    matches: Vec<RawMatch>,
    starts: Vec<usize>,
}

impl TagMatches {
    /// The lexicon matches among `merged` (grouped by owner, each owner's
    /// in order): a lexicon's own, and those of the rules that count
    /// toward it (`rule_tags`).
    fn new(merged: &[RawMatch], rule_tags: &[Vec<u32>], tags: usize) -> TagMatches {
        let (mut matches, mut starts) = group_by_bucket(
            || merged.iter(),
            tags,
            |m| {
                let (own, via): (Option<u32>, &[u32]) = match m.owner.get() {
                    Owner::Tag(t) => (Some(t), &[]),
                    Owner::Rule(r) => (None, &rule_tags[r as usize]),
                };
                own.into_iter()
                    .chain(via.iter().copied())
                    .map(|t| t as usize)
            },
        );
        // Each tag's run sorted (stably: a rule's matches join its own),
        // and compacted in place to the matches that start after the end
        // of the last one kept.
        let mut kept = 0;
        for t in 0..tags {
            let (from, to) = (starts[t], starts[t + 1]);
            matches[from..to].sort_by_key(|m| (m.start, m.end));
            starts[t] = kept;
            let mut last_end = None;
            for i in from..to {
                let m = matches[i];
                if last_end.is_some_and(|end| m.start < end) {
                    continue;
                }
                last_end = Some(m.end);
                matches[kept] = m;
                kept += 1;
            }
        }
        starts[tags] = kept;
        matches.truncate(kept);
        TagMatches { matches, starts }
    }

    /// Tag `t`'s matches.
    fn of(&self, t: u32) -> &[RawMatch] {
        let t = t as usize;
        &self.matches[self.starts[t]..self.starts[t + 1]]
    }
}

/// Everything the findings stage needs to know about one draft.
pub struct Draft<'a> {
    /// The input as read.
    pub input: &'a str,
    /// The agent's words (markup and quotes masked).
    pub extracted: &'a Extracted<'a>,
    /// The normalised text.
    pub norm: &'a Normalized,
    /// Its dominant language (or the one the caller forced): the
    /// language-neutral rules speak it.
    pub language: Language,
    /// The customer's name, for name-mismatch.
    pub customer_name: Option<&'a str>,
    /// The situation the caller gave (`None`: inferred from the draft).
    pub situation: Option<Situation>,
    /// Whether each finding's suggestions are ranked by the draft's words,
    /// or kept in their rule's order
    /// ([`CheckOptions::suggestions_in_rule_order`](crate::CheckOptions::suggestions_in_rule_order)).
    pub rank_suggestions: bool,
}

impl Draft<'_> {
    /// Maps a normalised offset to an input offset.
    fn to_input(&self, norm_pos: usize) -> usize {
        let ex = self.norm.map.to_source(norm_pos);
        floor_char_boundary(self.input, self.extracted.map.to_source(ex))
    }

    /// The UAX #29 sentence (of the cased text) containing normalised
    /// position `pos`, as an input byte range.
    fn sentence_at(&self, pos: usize) -> (usize, usize) {
        let (ls, le) = line_bounds(self.norm.text.as_bytes(), pos.min(self.norm.text.len()));
        let (xs, xe) = (self.norm.map.to_source(ls), self.norm.map.to_source(le));
        let x = self.norm.map.to_source(pos);
        let text = &self.extracted.text[xs..xe];
        let (s, e) =
            sentence_containing(text, x.saturating_sub(xs)).unwrap_or((0, text.trim_end().len()));
        let start = floor_char_boundary(self.input, self.extracted.map.to_source(xs + s));
        let end = floor_char_boundary(self.input, self.extracted.map.to_source(xs + e));
        (start, end.max(start))
    }

    /// The input from `start` to `end` if it is the agent's words as
    /// written, with nothing masked or decoded inside: a fix replaces the
    /// span whole, and one across markup (`В [настоящее время](…)`,
    /// `<b>В настоящее</b> время`) would delete a tag or a link's
    /// bracket. Such a finding is reported without a fix.
    fn fixable(&self, start: usize, end: usize) -> Option<&str> {
        let written = self.input.get(start..end)?;
        let map = &self.extracted.map;
        let seen = self
            .extracted
            .text
            .get(map.to_derived(start)..map.to_derived(end))?;
        (seen == written).then_some(written)
    }

    /// Where the draft starts, for a finding about the whole draft (a
    /// `[[require]]` with nothing to anchor on): its first word, as an
    /// input byte range, so the terminal underlines one word and the
    /// editor marks one place rather than the whole document. Empty at
    /// the start of the text when the draft has no word.
    fn start(&self) -> (usize, usize) {
        let t = &self.extracted.text;
        let lead = t.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        let s = t.len() - lead.len();
        let word = lead
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
            .map_or(lead.len(), |(i, _)| i);
        // A draft that opens with punctuation ("— Да, …", "!!!") still gets
        // one character underlined.
        let e = if word == 0 {
            lead.chars().next().map_or(0, char::len_utf8)
        } else {
            word
        };
        let start = floor_char_boundary(self.input, self.extracted.map.to_source(s));
        let end = floor_char_boundary(self.input, self.extracted.map.to_source(s + e));
        (start, end.max(start))
    }
}

/// One match per stretch of text per owner: overlapping matches of the
/// same owner (two patterns of one rule, a prefix inside a phrase) merge.
/// The result is sorted by owner, then start; among matches of an owner
/// that start together the longest comes first, and among equal ones the
/// scan's order is kept (a rule's regex and phrase may match the same words
/// with different sentence languages; the first one stays).
///
/// Owners are dense (rule and lexicon indexes), so many matches are
/// counted into one bucket per owner, in scan order, and each bucket (few
/// matches, mostly in order already) is sorted by itself, stably; the
/// merge then compacts the buckets in place. Sorting packed 128-bit
/// keys of all 60,000 matches of a 1 MB draft was 9.2M instructions and
/// two more buffers of 16 bytes per match (issue #19).
fn merge_overlapping(matches: &Matches) -> Vec<RawMatch> {
    let count = matches.len();
    // Rules first, then lexicons, each by index: `Owner`'s order.
    let (rules, tags) = matches
        .iter()
        .fold((0, 0), |(rules, tags), m| match m.owner.get() {
            Owner::Rule(r) => (rules.max(r as usize + 1), tags),
            Owner::Tag(t) => (rules, tags.max(t as usize + 1)),
        });
    let bucket = |o: Owner| match o {
        Owner::Rule(r) => r as usize,
        Owner::Tag(t) => rules + t as usize,
    };
    let buckets = rules + tags;
    // Buckets pay off for many matches over few owners. A short draft
    // (a few matches, owner ids up to ~2,000) or sparse ids are sorted
    // instead: zeroing and walking a bucket per owner would cost more.
    if buckets > MAX_BUCKETS_PER_MATCH * count {
        let mut all: Vec<RawMatch> = matches.iter().copied().collect();
        if count >= 1 << 31 {
            all.sort_by_key(|m| (m.owner, m.start, std::cmp::Reverse(m.end)));
            return merge_sorted(all);
        }
        // The stable sort by (owner, start, end reversed) as one unstable
        // sort of packed keys that end in the scan position: a key per
        // match, compared in one instruction pair, and no two equal. The
        // stable sort of a 1 KB reply's ~100 matches was 3% of its check.
        // Bits: 127 a lexicon's, 95..127 the owner's index, 63..95 the
        // start, 31..63 the end reversed, 0..31 the position.
        let mut keys: Vec<u128> = all
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let (lexicon, index) = match m.owner.get() {
                    Owner::Rule(r) => (0, r),
                    Owner::Tag(t) => (1, t),
                };
                lexicon << 127
                    | u128::from(index) << 95
                    | u128::from(m.start) << 63
                    | u128::from(u32::MAX - m.end) << 31
                    | i as u128
            })
            .collect();
        keys.sort_unstable();
        let position = |k: u128| (k & ((1 << 31) - 1)) as usize;
        return merge_sorted(keys.into_iter().map(|k| all[position(k)]).collect());
    }
    let (mut sorted, starts) = group_by_bucket(
        || matches.iter(),
        buckets,
        |m| std::iter::once(bucket(m.owner.get())),
    );
    for b in 0..buckets {
        sorted[starts[b]..starts[b + 1]].sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    }
    merge_sorted(sorted)
}

/// `items` grouped by bucket, by counting: each item goes to every bucket
/// `buckets_of` names (below `buckets`), in `items`' order within a
/// bucket. Returns them with the start of each bucket and the end of the
/// last (`buckets + 1` offsets).
fn group_by_bucket<'a, T: Copy + 'a, I: Iterator<Item = &'a T>, B: Iterator<Item = usize>>(
    items: impl Fn() -> I,
    buckets: usize,
    buckets_of: impl Fn(&T) -> B,
) -> (Vec<T>, Vec<usize>) {
    let mut starts = vec![0usize; buckets + 1];
    for item in items() {
        buckets_of(item).for_each(|b| starts[b + 1] += 1);
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let Some(&first) = items().next() else {
        return (Vec::new(), starts);
    };
    let mut grouped = vec![first; starts[buckets]];
    let mut next = starts.clone();
    for item in items() {
        buckets_of(item).for_each(|b| {
            grouped[next[b]] = *item;
            next[b] += 1;
        });
    }
    (grouped, starts)
}

/// Buckets [`merge_overlapping`] counts into at most, per match (the
/// built-in packs have ~2,000 owners; a 1 MB draft 60,000 matches).
const MAX_BUCKETS_PER_MATCH: usize = 4;

/// Merges overlapping matches of one owner in `sorted` (see
/// [`merge_overlapping`]), in place: the write position never passes the
/// read position.
fn merge_sorted(mut sorted: Vec<RawMatch>) -> Vec<RawMatch> {
    let mut kept: usize = 0;
    for read in 0..sorted.len() {
        let m = sorted[read];
        match kept.checked_sub(1).map(|last| &mut sorted[last]) {
            Some(last) if last.owner == m.owner && m.start < last.end => {
                last.end = last.end.max(m.end)
            }
            _ => {
                sorted[kept] = m;
                kept += 1;
            }
        }
    }
    sorted.truncate(kept);
    sorted
}

/// Drafts from this many bytes on have their rule matches mapped to the
/// input in the order of the text ([`build`]): a draft this size no
/// longer stays in a core's cache (1 MB here) beside the engine's
/// tables, and the sort cost a reply of an audit more than it saved
/// (the 2 MB audit +0.2% instructions; EN 1 MB json -1.3%, RU -2.6% in
/// 300 paired runs, issue #19).
const SORT_RULE_MATCHES_BYTES: usize = 256 * 1024;

/// Builds the findings of a draft from its verified matches.
pub fn build(book: &CompiledRules<'_>, draft: &Draft<'_>, matches: Matches, max: usize) -> Built {
    let CompiledRules {
        rules,
        rule_tags,
        tag_names,
        draft_rules,
        names,
        per_rule,
    } = *book;
    // One finding per stretch of text per rule.
    let merged = merge_overlapping(&matches);
    drop(matches);
    let tags = TagMatches::new(&merged, rule_tags, tag_names.len());
    // (rule, input start, input end), from the normalised positions.
    let mut out: Vec<(usize, usize, usize)> = merged
        .iter()
        .filter_map(|m| match m.owner.get() {
            Owner::Tag(_) => None,
            Owner::Rule(r) => Some((r as usize, m.start as usize, m.end as usize)),
        })
        .collect();
    // A large draft's mapped in the order of the text, not of the rules:
    // mapping a position to the input reads the input there, and a
    // megabyte's matches read rule by rule jumped about a megabyte that
    // was no longer in cache (perf: most of `build`'s time, on that
    // read). The order is the sort's below, whatever it is here.
    if draft.input.len() >= SORT_RULE_MATCHES_BYTES {
        out.sort_unstable_by_key(|&(r, s, e)| (s, e, r));
    }
    for (_, s, e) in &mut out {
        (*s, *e) = (draft.to_input(*s), draft.to_input(*e));
    }
    let named = &draft_rules.named;
    let any = |ids: &[u32]| any_matched(&tags, ids);
    for DraftRule { rule: r, kind } in draft_rules.rules.iter() {
        let r = *r as usize;
        let lang = rules[r].lang;
        let allowed = |m: &&RawMatch| lang_allows(lang, m.lang);
        let of = |t: u32| tags.of(t);
        match kind {
            DraftKind::Absent {
                when,
                always,
                unless,
            } => {
                if any(unless) {
                    continue;
                }
                let trigger = when
                    .iter()
                    .filter_map(|&w| of(w).iter().find(allowed))
                    .min_by_key(|m| m.start);
                match trigger {
                    Some(m) => {
                        let (s, e) = draft.sentence_at(m.start as usize);
                        out.push((r, s, e));
                    }
                    None if *always => {
                        let (s, e) = draft.start();
                        out.push((r, s, e));
                    }
                    None => {}
                }
            }
            DraftKind::Count { tag: t, min } => {
                if let Some(m) = of(*t).iter().filter(allowed).nth(*min as usize - 1) {
                    let (s, e) = draft.sentence_at(m.start as usize);
                    out.push((r, s, e));
                }
            }
            DraftKind::NameMismatch { after, skip } => {
                let Some(customer) = draft.customer_name else {
                    continue;
                };
                // A company ("ООО Ромашка", "Acme Inc.") is greeted through
                // its contact person, whose name the company's is not.
                if is_organisation(customer) {
                    continue;
                }
                for m in of(*after).iter().filter(allowed).take(GREETINGS_READ) {
                    if let Some((s, e)) = addressee_mismatch(draft, m, skip, customer, names) {
                        out.push((r, s, e));
                    }
                }
            }
            DraftKind::Clause {
                all,
                unless,
                scope,
                ordered,
                max_words,
            } => {
                // A clause needs a match of each lexicon.
                if all.iter().any(|&t| of(t).is_empty()) {
                    continue;
                }
                let lexicons: Vec<&[RawMatch]> = all.iter().map(|&t| of(t)).collect();
                let cancels: Vec<&[RawMatch]> = unless.iter().map(|&t| of(t)).collect();
                let clause = ClauseMatch {
                    lexicons: &lexicons,
                    cancels: &cancels,
                    allowed: &|m: &RawMatch| lang_allows(lang, m.lang),
                    ordered: *ordered,
                    max_words: *max_words,
                };
                let mut last_end = 0;
                for (s, e) in clause.find(draft, *scope) {
                    // One finding per clause, however many times it matches.
                    if s >= last_end {
                        out.push((r, draft.to_input(s), draft.to_input(e)));
                        last_end = e;
                    }
                }
            }
        }
    }
    // Unless the caller said: an apology or a named problem make it a
    // reply to a complaint; praise thanked for, with neither, a reply to a
    // good review; anything else is neutral.
    let situation = draft.situation.unwrap_or_else(|| {
        if any(&named.complaint) {
            Situation::Complaint
        } else if any(&named.praise) {
            Situation::Positive
        } else {
            Situation::Neutral
        }
    });
    // Rules meant for other situations (warmth in a thank-you is not
    // shouting) have no say in this one.
    out.retain(|&(r, _, _)| {
        rules[r].situations.is_empty() || rules[r].situations.contains(&situation)
    });
    out.sort_unstable_by_key(|&(r, s, e)| (s, e, r));
    out.dedup();
    let mut out = one_per_problem(rules, out);
    // The cap applies before any finding is materialised (each has its
    // own line, column and list of suggestions; they copied their rule's
    // strings too when 87,000 of them took ~60 MB per request).
    let omitted = keep_most_severe(&mut out, max, |f| rules[f.rule].severity);
    let mut cursor = LineCursor::new(draft.input);
    let fitting = if draft.rank_suggestions {
        SuggestionFit::new(draft.norm, rules, per_rule, out.iter().map(|f| f.rule))
    } else {
        SuggestionFit::keeping_rule_order(rules, per_rule)
    };
    let mut findings: Vec<Finding> = out
        .into_iter()
        .map(
            |Folded {
                 rule: r,
                 start,
                 end,
                 also,
                 fix_from,
             }| {
                let rule = &rules[r];
                // The kept rule's fix, else a folded one's over its wider
                // span (the finding then covers what the fix replaces).
                let own_fix = draft.fixable(start, end).and_then(|t| rule.fix_for(t));
                let (start, end, fix) = match (own_fix, fix_from) {
                    (None, Some((f, fs, fe))) => {
                        match draft.fixable(fs, fe).and_then(|t| rules[f].fix_for(t)) {
                            Some(fix) => (fs, fe, Some(fix)),
                            None => (start, end, None),
                        }
                    }
                    (own, _) => (start, end, own),
                };
                let texts = per_rule.texts(rules, r);
                let (message, suggestions) = texts.in_language(draft.language);
                let (line, column) = cursor.line_col(start);
                let mut suggestions = suggestions.to_vec();
                fitting.order(r, &mut suggestions);
                Finding {
                    rule: texts.id.clone(),
                    category: rule.category,
                    severity: rule.severity,
                    message: message.clone(),
                    span: Span {
                        start,
                        end,
                        line,
                        column,
                    },
                    suggestions,
                    fix,
                    also: also
                        .into_iter()
                        .map(|a| per_rule.texts(rules, a).id.clone())
                        .collect(),
                }
            },
        )
        .collect();
    findings.sort_by(|a, b| {
        (a.span.start, a.span.end, &a.rule).cmp(&(b.span.start, b.span.end, &b.rule))
    });
    findings.dedup_by(|b, a| a.rule == b.rule && a.span == b.span);
    // A reply that names what went wrong or owns a fault answers a
    // problem, apology or not ("Your parcel left the depot late; it arrives
    // tomorrow."): its structure is assessed too.
    let parts = if situation == Situation::Complaint || any(&named.problem) {
        parts_found(draft, &tags, named, &findings, names)
    } else {
        PartsFound::default()
    };
    Built {
        findings,
        omitted,
        situation,
        parts,
    }
}

/// Where each part of a good reply first shows (see [`crate::structure`]).
fn parts_found(
    draft: &Draft<'_>,
    tags: &TagMatches,
    named: &NamedTags,
    findings: &[Finding],
    names: &NameIndex,
) -> PartsFound {
    let mut found = PartsFound {
        problem: true,
        done: any_matched(tags, &named.done),
        words: word_starts(draft.norm.text.as_bytes()),
        ..PartsFound::default()
    };
    // Each part's first lexicon match, looked up once.
    // Part `p` is `Part::ALL[p as usize]` (a test checks it).
    let matched: [Option<(usize, usize)>; Part::ALL.len()] = Part::ALL.map(|p| {
        let m = named.parts[p as usize]
            .iter()
            .filter_map(|&t| tags.of(t).first())
            .min_by_key(|m| m.start)?;
        Some((
            draft.to_input(m.start as usize),
            draft.to_input(m.end as usize),
        ))
    });
    let first_of = |p: Part| matched[p as usize];
    let present = |p: Part| first_of(p).is_some();
    let mut first: Vec<(usize, usize, usize)> = Part::ALL
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| {
            let span = match p {
                // Blaming someone is a (bad) way of explaining why.
                Part::Cause => first_of(p)
                    .into_iter()
                    .chain(
                        findings
                            .iter()
                            .find(|f| f.category == Category::BlameShifting)
                            .map(|f| (f.span.start, f.span.end)),
                    )
                    .min(),
                // A date only counts for a fix, and a refund or a gift is
                // compensation only for a failure the reply names.
                Part::Deadline if !present(Part::Fix) => None,
                Part::Compensation
                    if !present(Part::Acknowledgement) && !present(Part::Responsibility) =>
                {
                    None
                }
                // A personal sign-off ("Best, Tom") closes on a person; it
                // is looked for only when the words did not show a closing.
                Part::Closing => first_of(p)
                    .or_else(|| crate::input::sign_off_line(draft.input, |w| names.is_known(w))),
                _ => first_of(p),
            }?;
            Some((span.0, span.1, i))
        })
        .collect();
    first.sort_unstable();
    let mut cursor = LineCursor::new(draft.input);
    for (start, end, i) in first {
        let (line, column) = cursor.line_col(start);
        found.spans[i] = Some(Span {
            start,
            end,
            line,
            column,
        });
    }
    found
}

/// What the findings stage gives back for one draft.
pub struct Built {
    /// The findings, sorted by position.
    pub findings: Vec<Finding>,
    /// Findings left out by the cap.
    pub omitted: usize,
    /// The situation the rules were applied in.
    pub situation: Situation,
    /// The parts of a good reply found (replies to a complaint only).
    pub parts: PartsFound,
}

/// Keeps at most `max` of `items` (in their order), the most severe first
/// and the earliest among equals; returns how many were dropped.
///
/// In one pass, without moving the items twice through two sorts (2.7 M
/// instructions of the 1 MB English peer file's findings stage, issue
/// #19): the kept are every item more severe than the `max`-th most severe
/// one, then the first items of its severity.
fn keep_most_severe<T>(items: &mut Vec<T>, max: usize, severity: impl Fn(&T) -> Severity) -> usize {
    let total = items.len();
    if total <= max {
        return 0;
    }
    let mut severities: Vec<Severity> = items.iter().map(&severity).collect();
    severities.sort_unstable_by(|a, b| b.cmp(a));
    let Some(&cut) = max.checked_sub(1).and_then(|last| severities.get(last)) else {
        items.clear();
        return total;
    };
    let mut at_cut = max - severities.iter().take_while(|&&s| s > cut).count();
    items.retain(|t| match severity(t).cmp(&cut) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal if at_cut > 0 => {
            at_cut -= 1;
            true
        }
        _ => false,
    });
    total - max
}

/// A clause rule's lexicon matches, and how they must meet.
struct ClauseMatch<'m> {
    /// Per lexicon of `all`, its matches (sorted by start).
    lexicons: &'m [&'m [RawMatch]],
    /// Matches of the `unless` lexicons (looked for in the sentence).
    cancels: &'m [&'m [RawMatch]],
    allowed: &'m dyn Fn(&RawMatch) -> bool,
    ordered: bool,
    max_words: Option<u32>,
}

/// How far a clause or sentence is looked for around a match: bounds the
/// work per match, so a draft without punctuation stays linear.
const CLAUSE_WINDOW: usize = 600;

impl ClauseMatch<'_> {
    /// The clauses (normalised offsets, trimmed) where every lexicon
    /// matches, in order if asked, close enough if asked, and no `unless`
    /// lexicon does.
    fn find(&self, draft: &Draft<'_>, scope: Scope) -> Vec<(usize, usize)> {
        let Some((first, rest)) = self.lexicons.split_first() else {
            return Vec::new();
        };
        if rest.iter().any(|lex| lex.is_empty()) {
            return Vec::new();
        }
        // With `max_words`, the other lexicons can only be that many words
        // away (a generous 24 bytes a word, punctuation included).
        let reach = self.max_words.map_or(CLAUSE_WINDOW, |w| {
            ((w as usize + 2) * 24).min(CLAUSE_WINDOW)
        });
        let mut found = Vec::new();
        for m in first.iter().filter(|m| (self.allowed)(m)) {
            // Bounds are looked for only when every other lexicon matched
            // near enough to be in the same clause.
            let near = |lex: &&[RawMatch]| {
                let from = (m.start as usize).saturating_sub(reach);
                within(lex, from, m.end as usize + reach).next().is_some()
            };
            if !rest.iter().all(near) {
                continue;
            }
            let (cs, ce) = clause_bounds(draft, m.start as usize, scope);
            if (m.end as usize) > ce {
                continue;
            }
            let mut lo = m.start as usize;
            let mut hi = m.end as usize;
            let mut after = m.end as usize;
            let mut spans = vec![(m.start as usize, m.end as usize)];
            let all_there = rest.iter().all(|lex| {
                let from = if self.ordered { after } else { cs };
                let hit = within(lex, from, ce).find(|x| (self.allowed)(x));
                if let Some(x) = hit {
                    lo = lo.min(x.start as usize);
                    hi = hi.max(x.end as usize);
                    after = x.end as usize;
                    spans.push((x.start as usize, x.end as usize));
                }
                hit.is_some()
            });
            if !all_there {
                continue;
            }
            if let Some(max) = self.max_words {
                let text = &draft.norm.text[lo..hi];
                let matched: usize = spans
                    .iter()
                    .map(|&(s, e)| word_count(&draft.norm.text[s..e]))
                    .sum();
                if word_count(text).saturating_sub(matched) > max as usize {
                    continue;
                }
            }
            // Owning up anywhere in the sentence ("the courier failed, and
            // that's on us") cancels it, not only in the clause.
            let (ss, se) = if scope == Scope::Sentence {
                (cs, ce)
            } else {
                clause_bounds(draft, m.start as usize, Scope::Sentence)
            };
            let cancelled = self
                .cancels
                .iter()
                .any(|lex| within(lex, ss, se).any(|x| (self.allowed)(x)));
            if !cancelled {
                found.push((cs, ce));
            }
        }
        found
    }
}

/// The matches of a lexicon that lie wholly in `[from, to)`.
fn within(lex: &[RawMatch], from: usize, to: usize) -> impl Iterator<Item = &RawMatch> {
    let i = lex.partition_point(|m| (m.start as usize) < from);
    lex[i..]
        .iter()
        .take_while(move |m| (m.start as usize) < to)
        .filter(move |m| (m.end as usize) <= to)
}

fn word_count(text: &str) -> usize {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .count()
}

/// `char::is_alphanumeric` with the two scripts of the packs answered
/// without the Unicode table lookup (it was a tenth of a Russian draft's
/// check).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else if ('\u{0410}'..='\u{044F}').contains(&c) || c == 'ё' || c == 'Ё' {
        true
    } else {
        c.is_alphanumeric()
    }
}

/// Whether normalised byte `i` bounds a clause (or, for
/// [`Scope::Sentence`], a sentence): see [`clause_bounds`].
fn clause_boundary(draft: &Draft<'_>, i: usize, scope: Scope) -> bool {
    let b = draft.norm.text.as_bytes();
    match b[i] {
        b'!' | b'?' => true,
        // "I understand; however, …" is one sentence for a non-apology.
        b';' => scope == Scope::Clause,
        b'.' => {
            !(i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        }
        b'\n' => {
            let next = i + 1;
            let rest = &b[next..];
            let blank = rest
                .iter()
                .take(CLAUSE_WINDOW)
                .take_while(|&&c| c != b'\n')
                .all(|c| b" \t\r".contains(c));
            blank
                || draft
                    .extracted
                    .block_starts
                    .binary_search(&draft.norm.map.to_source(next))
                    .is_ok()
        }
        b',' | b':' | b'(' | b')' if scope == Scope::Clause => true,
        b'-' if scope == Scope::Clause => {
            i > 0 && b[i - 1] == b' ' && b.get(i + 1).is_some_and(|&c| c == b' ')
        }
        // `…` is the only boundary outside ASCII: test its lead byte
        // first, most bytes are not boundaries.
        0xE2 => b[i..].starts_with("…".as_bytes()),
        _ => false,
    }
}

/// The clause (or sentence) of normalised position `pos`: back and forth
/// to the nearest boundary, at most [`CLAUSE_WINDOW`] bytes each way, the
/// whitespace at either end trimmed. Sentence ends (`.` not between
/// digits, `!`, `?`, `…`), a blank line and a line that opens a block
/// bound both; `;`, `,`, `:`, brackets and a spaced dash (`—` is folded
/// to `-`) bound a clause.
fn clause_bounds(draft: &Draft<'_>, pos: usize, scope: Scope) -> (usize, usize) {
    let text = draft.norm.text.as_str();
    let b = text.as_bytes();
    let pos = pos.min(b.len());
    let lo_limit = pos.saturating_sub(CLAUSE_WINDOW);
    let mut start = pos;
    // Bytes not in `MAY_BOUND_CLAUSE` are passed over by a look-up, not a
    // call: calling at every byte was a tenth of checking a 1 KB reply
    // (issue #19); eight bytes none of which may bound are passed over at
    // once (`none_may_bound`), most of a clause's words.
    'back: while start > lo_limit {
        if start - lo_limit >= 8 && none_may_bound(&b[start - 8..start]) {
            start -= 8;
            continue;
        }
        let stop = start.saturating_sub(8).max(lo_limit);
        while start > stop {
            let i = start - 1;
            if MAY_BOUND_CLAUSE[usize::from(b[i])] && clause_boundary(draft, i, scope) {
                break 'back;
            }
            start = i;
        }
    }
    let hi_limit = (pos + CLAUSE_WINDOW).min(b.len());
    let mut end = pos;
    'forth: while end < hi_limit {
        if hi_limit - end >= 8 && none_may_bound(&b[end..end + 8]) {
            end += 8;
            continue;
        }
        let stop = (end + 8).min(hi_limit);
        while end < stop {
            if MAY_BOUND_CLAUSE[usize::from(b[end])] && clause_boundary(draft, end, scope) {
                break 'forth;
            }
            end += 1;
        }
    }
    let start = floor_char_boundary(text, start);
    let end = floor_char_boundary(text, end);
    let clause = &text[start..end];
    let lead = clause.len() - clause.trim_start().len();
    let trail = clause.len() - clause.trim_end().len();
    (start + lead, (end - trail).max(start + lead))
}

/// Whether none of `eight` bytes is in [`MAY_BOUND_CLAUSE`], tested at
/// once: those bytes are all below `0x40` but `0xE2`, so eight with no
/// byte below `0x40` but spaces and no `0xE2` bound nothing (digits and
/// quotes send their eight to the byte-by-byte test).
#[inline]
fn none_may_bound(eight: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let Ok(eight) = <[u8; 8]>::try_from(eight) else {
        return false;
    };
    let x = u64::from_le_bytes(eight);
    // The high bit of each byte equal to `c` (exact: no carry between
    // bytes).
    let equal = |c: u8| {
        let y = x ^ (ONES * u64::from(c));
        !(((y & !HIGH) + !HIGH) | y | !HIGH)
    };
    // The high bit of each byte below 0x40: its bits 7 and 6 clear.
    let below_40 = !x & (!x << 1) & HIGH;
    ((below_40 & !equal(b' ')) | equal(0xE2)) == 0
}

/// The bytes [`clause_boundary`] can say yes to: every byte its `match`
/// does not send to `false` outright.
const MAY_BOUND_CLAUSE: [bool; 256] = {
    let mut t = [false; 256];
    let bytes = b"!?;.\n,:()-\xE2";
    let mut k = 0;
    while k < bytes.len() {
        t[bytes[k] as usize] = true;
        k += 1;
    }
    t
};

/// One finding per problem: of the phrase and regex findings of one
/// category whose spans overlap (two rules of a pack, or two packs, on the
/// same words), the one with the higher severity stands for all, and of
/// equals the one with the wider span. Findings about the whole draft or a
/// sentence (`absent`, `count`, `name-mismatch`) are not about words and
/// stay. `out` is `(rule, start, end)` sorted by start.
fn one_per_problem(rules: &[Rule], out: Vec<(usize, usize, usize)>) -> Vec<Folded> {
    let local = |r: usize| {
        matches!(
            rules[r].kind,
            RuleKind::Phrase { .. } | RuleKind::Regex(_) | RuleKind::Clause { .. }
        )
    };
    let mut kept: Vec<Folded> = Vec::with_capacity(out.len());
    // Per category, the index in `kept` of its last local finding.
    let mut last: [Option<usize>; Category::ALL.len()] = [None; Category::ALL.len()];
    // A folded rule with fixes whose match covers the kept one's: its fix
    // stands in when the kept rule has none («на данный момент» → «сейчас»
    // was lost under «данный»).
    let covering_fix = |r: usize, (s, e): (usize, usize), kept: &Folded| {
        (!rules[r].fixes.is_empty() && s <= kept.start && kept.end <= e).then_some((r, s, e))
    };
    for (r, s, e) in out {
        let folded = Folded {
            rule: r,
            start: s,
            end: e,
            also: Vec::new(),
            fix_from: None,
        };
        if !local(r) {
            kept.push(folded);
            continue;
        }
        let slot = &mut last[rules[r].category as usize];
        if let Some(k) = *slot {
            let prev = &mut kept[k];
            if s < prev.end.max(prev.start + 1) {
                let (sev, prev_sev) = (rules[r].severity, rules[prev.rule].severity);
                if sev > prev_sev || (sev == prev_sev && e - s > prev.end - prev.start) {
                    let mut also = std::mem::take(&mut prev.also);
                    also.push(prev.rule);
                    let fix_from = covering_fix(prev.rule, (prev.start, prev.end), &folded)
                        .or(prev.fix_from.filter(|&(_, fs, fe)| fs <= s && e <= fe));
                    *prev = Folded {
                        also,
                        fix_from,
                        ..folded
                    };
                } else {
                    prev.also.push(r);
                    if prev.fix_from.is_none() {
                        prev.fix_from = covering_fix(r, (s, e), prev);
                    }
                }
                continue;
            }
        }
        *slot = Some(kept.len());
        kept.push(folded);
    }
    kept
}

/// A finding before it is rendered: its rule, its input span, and the rules
/// folded into it.
struct Folded {
    rule: usize,
    start: usize,
    end: usize,
    also: Vec<usize>,
    /// A folded rule with fixes, and its span, which covers this one's.
    fix_from: Option<(usize, usize, usize)>,
}

/// A language-neutral rule's text is written `English / Русский`; the
/// reader gets the part in the draft's language (both when the draft is
/// mixed). The Russian part starts at the first ` / ` right after which
/// (an opening quote aside) comes a Cyrillic letter, so a ` / ` inside the
/// English part (`{$…} / ${…}`) stays where it is.
fn in_language(text: &str, lang: RuleLang, language: Language) -> &str {
    if lang != RuleLang::Any || language == Language::Mixed {
        return text;
    }
    let split = text.match_indices(" / ").find(|(i, _)| {
        text[i + 3..]
            .trim_start_matches(['«', '"', '\'', '('])
            .chars()
            .next()
            .is_some_and(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё'))
    });
    match (split, language) {
        (Some((i, _)), Language::Ru) => &text[i + 3..],
        (Some((i, _)), _) => &text[..i],
        (None, _) => text,
    }
}

/// What the findings of each rule share, made once per linter and rule on
/// the first draft that needs it: a short `apolint check` makes it for the
/// rules that fired, not for all of them.
#[derive(Debug, Default)]
pub struct PerRuleCache(std::sync::OnceLock<Vec<RuleCache>>);

/// [`PerRuleCache`]'s entry for one rule.
#[derive(Debug, Default)]
struct RuleCache {
    /// Per suggestion, the distinct word stems it has, so that ordering
    /// suggestions costs a draft only set lookups.
    stems: std::sync::OnceLock<SuggestionStems>,
    texts: std::sync::OnceLock<RuleTexts>,
}

/// A rule's id, and its message and suggestions in each language of a
/// draft ([`in_language`]), as its findings carry them.
#[derive(Debug)]
struct RuleTexts {
    id: SharedStr,
    /// For a Russian, an English and a mixed draft.
    by_language: [(SharedStr, Vec<SharedStr>); 3],
}

impl RuleTexts {
    fn new(rule: &Rule) -> RuleTexts {
        // Most rules are written in one language: their three variants
        // are the same texts, shared.
        let mut made: Vec<SharedStr> = Vec::new();
        let mut share = |text: &str| match made.iter().find(|m| **m == *text) {
            Some(m) => m.clone(),
            None => {
                let m = SharedStr::from(text);
                made.push(m.clone());
                m
            }
        };
        let by_language = [Language::Ru, Language::En, Language::Mixed].map(|l| {
            let message = share(in_language(&rule.message, rule.lang, l));
            let suggestions = rule
                .suggestions
                .iter()
                .map(|s| share(in_language(s, rule.lang, l)))
                .collect();
            (message, suggestions)
        });
        RuleTexts {
            id: SharedStr::from(rule.id.as_str()),
            by_language,
        }
    }

    /// The message and suggestions for a draft in `language`.
    fn in_language(&self, language: Language) -> (&SharedStr, &[SharedStr]) {
        let (message, suggestions) = &self.by_language[match language {
            Language::Ru => 0,
            Language::En => 1,
            Language::Mixed => 2,
        }];
        (message, suggestions)
    }
}

impl PerRuleCache {
    /// One entry per rule of `rules`: always the same rules, the linter's
    /// (a cache belongs to one linter, whose rules do not change).
    fn entries(&self, rules: &[Rule]) -> &[RuleCache] {
        let entries = self
            .0
            .get_or_init(|| rules.iter().map(|_| RuleCache::default()).collect());
        debug_assert_eq!(entries.len(), rules.len(), "a cache of other rules");
        entries
    }

    /// Rule `rule`'s texts.
    fn texts<'s>(&'s self, rules: &[Rule], rule: usize) -> &'s RuleTexts {
        self.entries(rules)[rule]
            .texts
            .get_or_init(|| RuleTexts::new(&rules[rule]))
    }

    /// The stems of rule `rule`'s suggestions.
    fn stems<'s>(&'s self, rules: &[Rule], rule: usize) -> &'s SuggestionStems {
        let r = &rules[rule];
        self.entries(rules)[rule].stems.get_or_init(|| {
            let per: Vec<Vec<u128>> = r
                .suggestions
                .iter()
                .map(|s| {
                    let mut stems = stem_keys(&apolint_rules::normalize::normalize(s).text);
                    stems.sort_unstable();
                    stems.dedup();
                    stems
                })
                .collect();
            let mut filter = StemFilter::EMPTY;
            per.iter().flatten().for_each(|&k| filter.insert(k));
            SuggestionStems { per, filter }
        })
    }
}

/// A rule's suggestions' stems, as stem keys ([`for_each_stem_key`]).
#[derive(Debug)]
struct SuggestionStems {
    /// Per suggestion, its distinct stems, sorted.
    per: Vec<Vec<u128>>,
    /// All of them, as a filter.
    filter: StemFilter,
}

/// A set of stem keys ([`for_each_stem_key`]) as 1,024 bits, one per
/// key (keys share bits): a key whose bit is clear is not in the set. A
/// reply's findings have a few dozen suggestion stems, so most of its
/// words are turned down by a bit test.
#[derive(Debug, Clone, Copy)]
struct StemFilter([u64; 16]);

impl StemFilter {
    const EMPTY: StemFilter = StemFilter([0; 16]);

    /// The word and bit of `key`, from all of its bytes.
    #[inline]
    fn slot(key: u128) -> (usize, u64) {
        let folded = (key >> 64) as u64 ^ key as u64;
        let bit = folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54;
        ((bit >> 6) as usize, 1 << (bit & 63))
    }

    fn insert(&mut self, key: u128) {
        let (word, bit) = Self::slot(key);
        self.0[word] |= bit;
    }

    #[inline]
    fn may_contain(&self, key: u128) -> bool {
        let (word, bit) = Self::slot(key);
        self.0[word] & bit != 0
    }

    fn union(&mut self, other: &StemFilter) {
        for (w, o) in self.0.iter_mut().zip(other.0) {
            *w |= o;
        }
    }
}

/// Orders a rule's suggestions so that the one closest to what the draft
/// is about comes first: suggestions are examples, and an agent
/// apologising for a late delivery is better served by an example about a
/// delay than by one about a wrong size. Closeness is the number of the
/// draft's word stems (first five letters of words of four or more) a
/// suggestion shares; ties keep the rule's order.
struct SuggestionFit<'a> {
    rules: &'a [Rule],
    index: &'a PerRuleCache,
    /// The draft's stems, as stem keys ([`for_each_stem_key`]), sorted,
    /// that may be those of a suggestion of one of its findings' rules
    /// (see [`StemFilter`]): all that the ranking asks of the draft.
    /// Keeping and sorting all of its stems was a tenth of checking a 1 KB
    /// reply (issue #19).
    present: Vec<u128>,
}

/// Drafts longer than this keep the rule's order of suggestions: the
/// closeness test stems every word of the draft, which is cheap
/// for a reply and pointless for a pasted log.
const FIT_MAX_BYTES: usize = 16 << 10;

impl<'a> SuggestionFit<'a> {
    /// For the findings of `rules[r]` for each `r` of `found`.
    fn new(
        norm: &Normalized,
        rules: &'a [Rule],
        index: &'a PerRuleCache,
        found: impl Iterator<Item = usize>,
    ) -> Self {
        let mut fit = Self::keeping_rule_order(rules, index);
        if norm.text.len() > FIT_MAX_BYTES {
            return fit;
        }
        let mut filter = StemFilter::EMPTY;
        let mut any = false;
        for r in found {
            if rules.get(r).is_some_and(|rule| rule.suggestions.len() >= 2) {
                filter.union(&index.stems(rules, r).filter);
                any = true;
            }
        }
        if !any {
            return fit;
        }
        // The draft's stems that may be a suggestion's: all that are, and
        // a few that share their bits (no suggestion counts those).
        for_each_stem_key(&norm.text, |key| {
            if filter.may_contain(key) {
                fit.present.push(key);
            }
        });
        fit.present.sort_unstable();
        fit.present.dedup();
        fit
    }

    /// The fit that keeps every rule's order of suggestions.
    fn keeping_rule_order(rules: &'a [Rule], index: &'a PerRuleCache) -> Self {
        SuggestionFit {
            rules,
            index,
            present: Vec::new(),
        }
    }

    /// Reorders `suggestions` (rule `rule`'s, in its order), for a draft
    /// of up to [`FIT_MAX_BYTES`] (longer ones found no stems).
    fn order<T>(&self, rule: usize, suggestions: &mut Vec<T>) {
        if suggestions.len() < 2 || self.present.is_empty() {
            return;
        }
        let per = &self.index.stems(self.rules, rule).per;
        if per.len() != suggestions.len() {
            return;
        }
        let draft = &self.present;
        let mut ranked: Vec<(std::cmp::Reverse<usize>, usize)> = per
            .iter()
            .enumerate()
            .map(|(i, stems)| {
                let shared = stems
                    .iter()
                    .filter(|&&w| draft.binary_search(&w).is_ok())
                    .count();
                (std::cmp::Reverse(shared), i)
            })
            .collect();
        if ranked.windows(2).all(|w| w[0] <= w[1]) {
            return;
        }
        ranked.sort_unstable();
        let mut taken: Vec<Option<T>> = suggestions.drain(..).map(Some).collect();
        suggestions.extend(ranked.into_iter().filter_map(|(_, i)| taken[i].take()));
    }
}

/// The stem keys of the words of normalised text, in order (see
/// [`for_each_stem_key`]).
fn stem_keys(text: &str) -> Vec<u128> {
    let mut keys = Vec::new();
    for_each_stem_key(text, |k| keys.push(k));
    keys
}

/// Calls `f` with the stem key of each word of normalised text, in order,
/// in one pass over its bytes. A word is a run of ASCII letters and digits
/// and non-ASCII bytes (quotes and dashes are ASCII once normalised); its
/// stem, its first five characters if it has four or more; its key, the
/// stem's bytes big-endian, zero-padded to 16 (stems longer than 16 bytes
/// have none), so that stems sort and compare as numbers. The tests hold
/// it to the char-by-char chain `words(text).filter_map(stem)
/// .filter_map(stem_key)`, which was a ninth of checking a 1 KB reply
/// (issue #19).
fn for_each_stem_key(text: &str, mut f: impl FnMut(u128)) {
    let b = text.as_bytes();
    let mut at = 0;
    while at < b.len() {
        if !WORD_BYTE[usize::from(b[at])] {
            at += 1;
            continue;
        }
        // A word from `start`: its characters counted (by their first
        // bytes) up to the sixth, whose start `cut` ends the stem.
        let start = at;
        let mut chars = 0;
        let mut cut = None;
        while let Some(&c) = b.get(at).filter(|&&c| WORD_BYTE[usize::from(c)]) {
            if c & 0xC0 != 0x80 {
                if chars == 5 {
                    cut = Some(at - start);
                    break;
                }
                chars += 1;
            }
            at += 1;
        }
        // Past the stem, only the word's end is looked for.
        if cut.is_some() {
            while b.get(at).is_some_and(|&c| WORD_BYTE[usize::from(c)]) {
                at += 1;
            }
        }
        let word = &b[start..at];
        let cut = cut.unwrap_or(word.len());
        if chars < 4 || cut > 16 {
            continue;
        }
        // As `stem_key`: the bytes big-endian, zero-padded on the right;
        // read as the 16 bytes from the stem's start, the ones past it
        // masked off (`cut` is 4 or more).
        let padding = 8 * (16 - cut as u32);
        f(
            match b
                .get(start..start + 16)
                .and_then(|w| <[u8; 16]>::try_from(w).ok())
            {
                Some(window) => u128::from_be_bytes(window) & (u128::MAX << padding),
                None => {
                    word[..cut]
                        .iter()
                        .fold(0u128, |k, &c| k << 8 | u128::from(c))
                        << padding
                }
            },
        );
    }
}

/// The bytes of a word, as [`for_each_stem_key`] splits them: ASCII
/// letters and digits and every byte of a non-ASCII character.
const WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = c >= 0x80 || (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    t
};

/// The words of normalised text: runs of ASCII letters and digits and of
/// non-ASCII characters (letters, in normalised text: its quotes and dashes
/// are ASCII). Splitting on bytes keeps Unicode tables out of a per-draft
/// loop.
#[cfg(test)]
fn words(norm: &str) -> impl Iterator<Item = &str> {
    norm.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// How many words a normalised text has, as [`for_each_stem_key`] splits
/// them (ASCII punctuation and spaces between), counted over bytes: the
/// bytes of a word whose byte before is none (byte by byte it was 11.8 M
/// instructions for a megabyte, counted by [`count_pairs`] 2.3 M, on the
/// thread every other one waits for; issue #19).
fn word_starts(text: &[u8]) -> usize {
    /// 1 for a byte of a word (a letter, a digit, any non-ASCII byte).
    #[inline(always)]
    fn word(b: u8) -> u8 {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        u8::from((b >= 0x80) | letter | digit)
    }
    let Some(&first) = text.first() else {
        return 0;
    };
    // Each byte after the first with the byte before it.
    let (before, after) = (&text[..text.len() - 1], &text[1..]);
    usize::from(word(first)) + count_pairs(after, before, |a, p| word(a) & !word(p) & 1)
}

/// How many bytes of `bytes` `pred` holds for ([`count_pairs`]): a byte
/// at a time, the columns of a 1 KB reply's findings were 3% of its check
/// (issue #19).
#[inline(always)]
fn count_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    count_pairs(bytes, bytes, |b, _| u8::from(pred(b)))
}

/// How many `i` `pred(a[i], b[i])` (0 or 1) counts, over the length of the
/// shorter, summed 32 at a time into per-lane byte counters, which the
/// compiler turns into vector instructions.
#[inline(always)]
fn count_pairs(a: &[u8], b: &[u8], pred: impl Fn(u8, u8) -> u8) -> usize {
    const LANES: usize = 32;
    let sum = |lanes: &[u8; LANES]| lanes.iter().map(|&l| usize::from(l)).sum::<usize>();
    let (mut a_blocks, mut b_blocks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let mut lanes = [0u8; LANES];
    let (mut count, mut filled) = (0, 0u8);
    for (x, y) in (&mut a_blocks).zip(&mut b_blocks) {
        for i in 0..LANES {
            lanes[i] += pred(x[i], y[i]);
        }
        filled += 1;
        // A lane counts at most one per block: emptied before it overflows.
        if filled == u8::MAX {
            count += sum(&lanes);
            lanes = [0; LANES];
            filled = 0;
        }
    }
    let rest = a_blocks.remainder().iter().zip(b_blocks.remainder());
    count + sum(&lanes) + rest.map(|(&x, &y)| usize::from(pred(x, y))).sum::<usize>()
}

/// A stem's bytes as one comparable number (stems of up to 16 bytes: five
/// Latin or Cyrillic letters always fit), so that a draft's stems sort and
/// compare without string comparisons.
#[cfg(test)]
fn stem_key(stem: &str) -> Option<u128> {
    let b = stem.as_bytes();
    if b.len() > 16 {
        return None;
    }
    let mut key = [0u8; 16];
    key[..b.len()].copy_from_slice(b);
    Some(u128::from_be_bytes(key))
}

/// The first five letters of a word of four or more, else nothing.
#[cfg(test)]
fn stem(word: &str) -> Option<&str> {
    // Characters counted by their first bytes (not continuation bytes).
    let mut chars = 0;
    let mut cut = word.len();
    for (i, &b) in word.as_bytes().iter().enumerate() {
        if b & 0xC0 != 0x80 {
            if chars == 5 {
                cut = i;
                break;
            }
            chars += 1;
        }
    }
    (chars >= 4).then(|| &word[..cut])
}

/// Legal forms that mark a customer name as a company's (compared
/// lowercased, dots and quotes stripped).
const LEGAL_FORMS: &[&str] = &[
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "нко",
    "ано",
    "ип",
    "гк",
    "тоо",
    "уп",
    "муп",
    "гуп",
    "фгуп",
    "inc",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "corp",
    "corporation",
    "co",
    "company",
    "llp",
    "plc",
    "ag",
    "sa",
    "bv",
    "oy",
    "ab",
    "srl",
    "sro",
    "pty",
    "lp",
];

/// Whether a customer name is a company's: it has a legal form ("ООО
/// Ромашка", "Acme Inc.", "Globex LLC") or is quoted as a company name is
/// («Ромашка», "Acme").
pub fn is_organisation(name: &str) -> bool {
    let t = name.trim();
    if t.starts_with(['«', '"', '“', '„']) {
        return true;
    }
    t.split(|c: char| c.is_whitespace() || c == ',' || c == '«' || c == '»' || c == '"')
        .map(|w| {
            w.chars()
                .filter(|c| !matches!(c, '.' | '\'' | '(' | ')'))
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .any(|w| LEGAL_FORMS.contains(&w.as_str()))
}

/// Checks the name after one greeting; returns the name's input span when
/// it is not the customer's.
fn addressee_mismatch(
    draft: &Draft<'_>,
    greeting: &RawMatch,
    skip: &[String],
    customer: &str,
    names: &NameIndex,
) -> Option<(usize, usize)> {
    let norm = draft.norm.text.as_str();
    let (line_start, le) = line_bounds(norm.as_bytes(), greeting.start as usize);
    let t = name_after(draft, greeting, skip, le).or_else(|| {
        // Before the greeting any capitalised word can open a line
        // ("Коллеги, добрый день"), so only a known given name counts.
        name_before(draft, greeting, line_start).filter(|t| names.is_known_normalized(t.text(norm)))
    })?;
    let written = t.text(norm);
    let customer_norm = apolint_rules::normalize::normalize(customer).text;
    // Equal, the same name in the other script ("Anna" / "Анна"), or forms
    // of one name ("Маша" / "Мария", "Bob" / "Robert").
    let same = |a: &str, b: &str| a == b || names.same(a, b);
    let matches_customer = customer_norm
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(|w| same(w, written));
    if matches_customer {
        None
    } else {
        Some((
            draft.to_input(t.start as usize),
            draft.to_input(t.end as usize),
        ))
    }
}

/// The name groups (diminutives, nicknames, spellings) indexed by
/// skeleton, built on first use: only drafts with a customer name and a
/// greeting need it, so start-up does not pay for it. The set of known
/// names is built apart from the skeletons: finding a sign-off asks only
/// whether a word is a name, on most drafts, and transliterating every
/// name into its skeleton was most of the cost (issue #19).
#[derive(Debug, Default)]
pub struct NameIndex {
    /// The groups: given, or the built-in ones decoded on first need (the
    /// sign-off only asks `known`; the skeletons are for greetings).
    groups: std::sync::OnceLock<Vec<Vec<String>>>,
    /// Every name as written in the groups (normalised), as a lookup
    /// table: the built-in one is read in place from the binary
    /// ([`NameIndex::builtin`]), others are built on first use.
    known: std::sync::OnceLock<VocabTable>,
    /// Skeleton → the groups it belongs to.
    by_skeleton: std::sync::OnceLock<std::collections::HashMap<String, Vec<u32>>>,
}

impl NameIndex {
    /// An index over name groups (not built until needed).
    pub fn new(groups: Vec<Vec<String>>) -> NameIndex {
        NameIndex {
            groups: std::sync::OnceLock::from(groups),
            known: std::sync::OnceLock::new(),
            by_skeleton: std::sync::OnceLock::new(),
        }
    }

    /// The index of the built-in name groups: their names are the table
    /// `build.rs` stored ([`VocabTable::of_words`] of them: hashing 700
    /// names was a tenth of a short check, issue #19), the groups are
    /// decoded only when a greeting's name is compared.
    pub fn builtin(known: VocabTable) -> NameIndex {
        NameIndex {
            groups: std::sync::OnceLock::new(),
            known: std::sync::OnceLock::from(known),
            by_skeleton: std::sync::OnceLock::new(),
        }
    }

    fn groups(&self) -> &[Vec<String>] {
        // The built-in groups decode (a test decodes them); were they not
        // to, names would only go unrecognised.
        self.groups
            .get_or_init(|| crate::builtin::name_groups().unwrap_or_default())
    }

    /// Whether `word` is a known given name (any case, `ё` as `е`).
    fn is_known(&self, word: &str) -> bool {
        let folded = apolint_rules::normalize::normalize(word).text;
        self.is_known_normalized(folded.trim())
    }

    /// Whether `word`, already normalised, is a known given name.
    fn is_known_normalized(&self, word: &str) -> bool {
        let known = self.known.get_or_init(|| {
            VocabTable::of_words(self.groups().iter().flatten().map(String::as_str))
        });
        known.word_id(word) != apolint_rules::vocab::NO_WORD
    }

    fn by_skeleton(&self) -> &std::collections::HashMap<String, Vec<u32>> {
        self.by_skeleton.get_or_init(|| {
            let mut by_skeleton: std::collections::HashMap<String, Vec<u32>> =
                std::collections::HashMap::new();
            for (i, g) in self.groups().iter().enumerate() {
                for n in g {
                    let groups = by_skeleton.entry(name_skeleton(n)).or_default();
                    if groups.last() != Some(&(i as u32)) {
                        groups.push(i as u32);
                    }
                }
            }
            by_skeleton
        })
    }

    /// The same name in either script, or forms of one name.
    fn same(&self, a: &str, b: &str) -> bool {
        let (sa, sb) = (name_skeleton(a), name_skeleton(b));
        sa == sb || {
            let by_skeleton = self.by_skeleton();
            match (by_skeleton.get(&sa), by_skeleton.get(&sb)) {
                (Some(ga), Some(gb)) => ga.iter().any(|g| gb.contains(g)),
                _ => false,
            }
        }
    }
}

/// A name reduced to a script-independent skeleton: Cyrillic transliterated,
/// then the spellings transliteration varies on folded (`y`/`j`→`i`,
/// `kh`→`h`, `iya`→`ia`), so Юлия, Yulia, Yuliya and Julia agree.
fn name_skeleton(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let t = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' | 'ы' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' => "",
            'ю' => "yu",
            'я' => "ya",
            _ => {
                out.push(c);
                continue;
            }
        };
        out.push_str(t);
    }
    out.replace("iya", "ia")
        .replace("kh", "h")
        .replace(['y', 'j'], "i")
}

/// The capitalised word right after a greeting ("Здравствуйте, Юлия"),
/// skipping a comma or dash, titles ("уважаемая", "Mr") and a title's
/// abbreviation dot — but not a sentence's full stop: "Здравствуйте.
/// Извините…" names nobody.
fn name_after(
    draft: &Draft<'_>,
    greeting: &RawMatch,
    skip: &[String],
    line_end: usize,
) -> Option<Token> {
    let norm = draft.norm.text.as_str();
    // The name is within a few words of the greeting: tokenize just that.
    let ls = greeting.start as usize;
    let le = apolint_rules::diagnostics::floor_char_boundary(
        norm,
        line_end.min(greeting.end as usize + 256),
    );
    let line = Line::tokenize(norm, ls, le);
    let mut i = line.tokens.partition_point(|t| t.end <= greeting.end);
    let mut after_title = false;
    while let Some(t) = line.tokens.get(i) {
        let text = t.text(norm);
        let skip_punct = t.kind == TokenKind::Punct
            && (matches!(text, "," | "-") || (text == "." && after_title));
        let title = t.kind == TokenKind::Word && skip.iter().any(|s| s == text);
        if !(skip_punct || title) {
            break;
        }
        after_title = title;
        i += 1;
    }
    let t = *line.tokens.get(i).filter(|t| t.kind == TokenKind::Word)?;
    is_capitalised(draft, &t).then_some(t)
}

/// The capitalised word that opens the line before a greeting, followed by
/// a comma ("Юлия, добрый день").
fn name_before(draft: &Draft<'_>, greeting: &RawMatch, line_start: usize) -> Option<Token> {
    let norm = draft.norm.text.as_str();
    let ls = line_start.max((greeting.start as usize).saturating_sub(64));
    let ls = apolint_rules::diagnostics::floor_char_boundary(norm, ls);
    let line = Line::tokenize(norm, ls, greeting.start as usize);
    match line.tokens.as_slice() {
        [name, comma]
            if ls == line_start && name.kind == TokenKind::Word && comma.text(norm) == "," =>
        {
            is_capitalised(draft, name).then_some(*name)
        }
        _ => None,
    }
}

/// Whether a token is capitalised in the draft as written (names are).
fn is_capitalised(draft: &Draft<'_>, t: &Token) -> bool {
    let cased_pos = draft.norm.map.to_source(t.start as usize);
    draft
        .extracted
        .text
        .get(cased_pos..)
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_uppercase)
}

/// 1-based line and column (in Unicode scalar values, a leading
/// byte-order mark not counted) of byte `offset` of `text`: how spans'
/// `line` and `column` are counted, for renderings that also need where a
/// span ends.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineCursor::new(text).line_col(offset)
}

/// [`line_col`] of each of `offsets`, in their order, in one forward
/// pass over `text` (the offsets sorted first): a line and column looked
/// up from the start of the text for each finding's end made SARIF and
/// GitHub output of a megabyte quadratic (issue #19).
pub fn line_cols(text: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_unstable_by_key(|&i| offsets[i]);
    let mut cursor = LineCursor::new(text);
    let mut out = vec![(1, 1); offsets.len()];
    for i in order {
        out[i] = cursor.line_col(offsets[i]);
    }
    out
}

/// 1-based line and column of increasing offsets in one forward pass, so
/// many findings on one long line cost linear time.
struct LineCursor<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    column: usize,
}

impl<'a> LineCursor<'a> {
    fn new(text: &'a str) -> Self {
        LineCursor {
            text,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn line_col(&mut self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset);
        if offset < self.offset {
            // Offsets come sorted; restart rather than fail if they do not.
            *self = LineCursor::new(self.text);
        }
        let mut from = self.offset;
        if from == 0 && self.text.starts_with('\u{feff}') && offset >= 3 {
            // A byte-order mark is not a character of the first line:
            // editors hide it, and the first word is at column 1.
            from = 3;
        }
        // Bytes, not chars: newlines found with memchr, and a column is the
        // count of bytes that start a character (not UTF-8 continuations).
        let gap = &self.text.as_bytes()[from..offset];
        let chars = |b: &[u8]| count_bytes(b, |b| b & 0xC0 != 0x80);
        match memchr::memrchr(b'\n', gap) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', gap).count();
                self.column = 1 + chars(&gap[last + 1..]);
            }
            None => self.column += chars(gap),
        }
        self.offset = offset;
        (self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::{
        clause_boundary, clause_bounds, keep_most_severe, merge_overlapping, merge_sorted,
        name_skeleton, stem, stem_key, stem_keys, word_starts, words, Draft, TagMatches,
        CLAUSE_WINDOW,
    };
    use apolint_rules::book::Scope;
    use apolint_rules::book::Severity;

    /// What `keep_most_severe` kept before it was one pass: ranked by
    /// severity then position, cut to `max`, back in position order.
    fn kept_by_sorting(items: &[(usize, Severity)], max: usize) -> Vec<(usize, Severity)> {
        let mut ranked = items.to_vec();
        ranked.sort_by_key(|&(i, s)| (std::cmp::Reverse(s), i));
        ranked.truncate(max);
        ranked.sort_by_key(|&(i, _)| i);
        ranked
    }

    #[test]
    fn the_cap_keeps_the_most_severe_and_the_earliest_among_equals() {
        use Severity::{Error, Info, Warning};
        let levels = [Info, Warning, Error];
        // Every list of up to 7 severities, and every cap from 0 past its
        // length; then longer mixes.
        let mut lists: Vec<Vec<Severity>> = Vec::new();
        for len in 0..=7u32 {
            for code in 0..3usize.pow(len) {
                let mut c = code;
                lists.push(
                    (0..len)
                        .map(|_| {
                            let s = levels[c % 3];
                            c /= 3;
                            s
                        })
                        .collect(),
                );
            }
        }
        for n in [50, 333, 1000] {
            lists.push((0..n).map(|i| levels[(i * 7 + i / 5) % 3]).collect());
        }
        for list in &lists {
            let items: Vec<(usize, Severity)> = list.iter().copied().enumerate().collect();
            let caps =
                (0..=list.len().min(12) + 1).chain([list.len() / 2, list.len().saturating_sub(1)]);
            for max in caps {
                let mut kept = items.clone();
                let omitted = keep_most_severe(&mut kept, max, |&(_, s)| s);
                assert_eq!(kept, kept_by_sorting(&items, max), "{list:?}, max {max}");
                assert_eq!(omitted, items.len().saturating_sub(max));
            }
        }
    }
    use crate::matcher::{Matches, Owner, RawMatch};
    use apolint_rules::segment::Language;

    /// Owners of both kinds with the largest ids a match can carry
    /// (2^31 - 1, see `PackedOwner`), and offsets at the u32 limits.
    const OWNERS: [Owner; 6] = [
        Owner::Rule(0),
        Owner::Rule(7),
        Owner::Rule((1 << 31) - 1),
        Owner::Tag(0),
        Owner::Tag(3),
        Owner::Tag((1 << 31) - 1),
    ];
    const OFFSETS: [u32; 6] = [0, 1, 5, 6, u32::MAX - 1, u32::MAX];
    const LANGS: [Language; 3] = [Language::Ru, Language::En, Language::Mixed];

    /// Every draft-level rule of the built-in book keeps its lexicons, as
    /// the ids of lexicons with the same names; a name no lexicon has is
    /// dropped, and a clause needing one is dropped whole.
    #[test]
    fn draft_rules_resolve_lexicon_names_to_their_tag_ids() {
        use super::{DraftKind, DraftRules, Part};
        use apolint_rules::book::RuleKind;
        let mut book = crate::builtin::book().unwrap();
        let engine = crate::matcher::Engine::compile(&book);
        let names = &engine.tag_names;
        let named = |ids: &[u32]| -> Vec<&str> {
            ids.iter().map(|&i| names[i as usize].as_str()).collect()
        };
        let resolved = DraftRules::new(&book.rules, names);
        let draft_level = book
            .rules
            .iter()
            .filter(|r| !matches!(r.kind, RuleKind::Phrase { .. } | RuleKind::Regex(_)))
            .count();
        assert_eq!(resolved.rules.len(), draft_level);
        for dr in resolved.rules.iter() {
            match (&dr.kind, &book.rules[dr.rule as usize].kind) {
                (
                    DraftKind::Absent {
                        when: w,
                        always,
                        unless: u,
                    },
                    RuleKind::Absent { when, unless },
                ) => {
                    assert_eq!(named(w), *when);
                    assert_eq!(named(u), *unless);
                    assert_eq!(*always, when.is_empty());
                }
                (DraftKind::Count { tag: t, min: m }, RuleKind::Count { tag, min }) => {
                    assert_eq!((names[*t as usize].as_str(), m), (tag.as_str(), min))
                }
                (
                    DraftKind::NameMismatch { after: a, skip: s },
                    RuleKind::NameMismatch { after, skip },
                ) => {
                    assert_eq!(names[*a as usize], *after);
                    assert_eq!(**s, **skip);
                }
                (
                    DraftKind::Clause {
                        all: a,
                        unless: u,
                        scope: s,
                        ordered: o,
                        max_words: w,
                    },
                    RuleKind::Clause {
                        all,
                        unless,
                        scope,
                        ordered,
                        max_words,
                    },
                ) => {
                    assert_eq!(named(a), *all);
                    assert_eq!(named(u), *unless);
                    assert_eq!((s, o, w), (scope, ordered, max_words));
                }
                (l, k) => panic!("{l:?} resolved from {}", k.name()),
            }
        }
        // The findings stage reads part `p`'s lexicons at `p as usize`.
        for (i, p) in Part::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i, "{p:?}");
        }
        for (p, ids) in Part::ALL.iter().zip(&resolved.named.parts) {
            assert_eq!(named(ids), p.lexicons());
        }
        assert_eq!(named(&resolved.named.complaint), ["apology", "complaint"]);
        assert_eq!(named(&resolved.named.problem), ["acknowledgement", "fault"]);

        // Names no lexicon has.
        let clause = book
            .rules
            .iter()
            .position(|r| matches!(r.kind, RuleKind::Clause { .. }))
            .unwrap();
        let absent = book
            .rules
            .iter()
            .position(|r| matches!(&r.kind, RuleKind::Absent { when, .. } if !when.is_empty()))
            .unwrap();
        if let RuleKind::Clause { all, .. } = &mut book.rules[clause].kind {
            all.push("no-such-lexicon".into());
        }
        if let RuleKind::Absent { when, .. } = &mut book.rules[absent].kind {
            *when = vec!["no-such-lexicon".into()];
        }
        let resolved = DraftRules::new(&book.rules, names);
        assert_eq!(resolved.rules.len(), draft_level - 1);
        assert!(resolved.rules.iter().all(|dr| dr.rule as usize != clause));
        let absent = resolved
            .rules
            .iter()
            .find(|dr| dr.rule as usize == absent)
            .unwrap();
        assert!(matches!(
            &absent.kind,
            DraftKind::Absent { when, always: false, .. } if when.is_empty()
        ));
    }

    #[test]
    fn stem_keys_of_every_corpus_draft_are_those_of_its_words() {
        let mut keys = 0;
        for draft in drafts_and_boundaries() {
            let text = apolint_rules::normalize::normalize(&draft).text;
            let chained: Vec<u128> = words(&text).filter_map(stem).filter_map(stem_key).collect();
            assert_eq!(stem_keys(&text), chained, "{draft:?}");
            keys += chained.len();
        }
        // Words of four characters or more; a stem over 16 bytes (five
        // 4-byte characters, or four and one more byte) is left out.
        assert_eq!(
            stem_keys("abc abcd 😀😀😀😀 😀😀😀😀😀 😀😀😀😀a"),
            [stem_key("abcd").unwrap(), stem_key("😀😀😀😀").unwrap()]
        );
        assert!(keys > 10_000, "{keys} keys");
    }

    #[test]
    fn line_cols_are_line_col_of_each_offset_in_any_order() {
        // Offsets out of order, repeated, at line ends and inside
        // multi-byte characters; a leading BOM.
        let text = "\u{feff}Здравствуйте, Анна!\n\nWe're sorry 😀 — it's late.\r\nЁж\n";
        let mut offsets: Vec<usize> = (0..=text.len()).rev().collect();
        offsets.extend([5, 0, text.len(), 3, 3, 40]);
        let each: Vec<(usize, usize)> = offsets.iter().map(|&o| super::line_col(text, o)).collect();
        assert_eq!(super::line_cols(text, &offsets), each);
        assert_eq!(each.last(), Some(&super::line_col(text, 40)));
        assert!(super::line_cols(text, &[]).is_empty());
    }

    #[test]
    fn count_bytes_counts_across_blocks_and_counter_resets() {
        // Lengths around a 32-byte block and around 255 blocks (a lane's
        // counter emptied), over text with multi-byte characters.
        let text = "ab вгд ё😀. ".repeat(2_000);
        for len in [
            0, 1, 31, 32, 33, 95, 8_159, 8_160, 8_161, 8_192, 8_193, 16_320, 16_321,
        ] {
            let b = &text.as_bytes()[..len];
            let starts = b.iter().filter(|&&c| c & 0xC0 != 0x80).count();
            assert_eq!(super::count_bytes(b, |c| c & 0xC0 != 0x80), starts, "{len}");
            assert_eq!(
                super::count_bytes(b, |c| c == b' '),
                b.iter().filter(|&&c| c == b' ').count()
            );
        }
    }

    #[test]
    fn word_starts_count_across_blocks_and_counter_resets() {
        // Words cut between 32-byte blocks, and counters emptied after
        // 255 blocks, count once.
        for len in [31, 32, 33, 8_159, 8_160, 8_161, 8_193, 200_000] {
            // A word in every other byte fills the same lanes block after
            // block, up to the reset.
            for unit in ["ab, цд ёж 12 ", "a "] {
                let text: String = unit.chars().cycle().take(len).collect();
                assert_eq!(word_starts(text.as_bytes()), words(&text).count(), "{len}");
            }
        }
    }

    /// Every draft the repository holds, a line with every kind of clause
    /// and sentence boundary, and a clause longer than the window each
    /// way (so that the window's limits, not the text's ends, stop the
    /// walk).
    fn drafts_and_boundaries() -> Vec<String> {
        let mut drafts = crate::test_corpus::all_drafts();
        drafts.push(
            "Sorry. 1.5 kg! Why? Yes; no, maybe: (now) or - later — soon… end\n\n\
             - a list\n> quoted\nИзвините, пожалуйста… «вот» 2.0!"
                .to_owned(),
        );
        drafts.push("word ".repeat(300));
        drafts
    }

    /// Eight bytes are passed over at once only if none of them may bound
    /// a clause, whichever byte stands where (pairs too: no carry from one
    /// byte's test reaches the next); letters and spaces are.
    #[test]
    fn eight_bytes_are_passed_over_only_if_none_may_bound() {
        use super::{none_may_bound, MAY_BOUND_CLAUSE};
        for v in 0..=255u8 {
            for at in 0..8 {
                let mut eight = *b"abcdefgh";
                eight[at] = v;
                let may = MAY_BOUND_CLAUSE[usize::from(v)];
                if may {
                    assert!(!none_may_bound(&eight), "{v:#x} at {at}");
                }
                if v == b' ' || (v >= 0x40 && v != 0xE2) {
                    assert!(none_may_bound(&eight), "{v:#x} at {at}");
                }
            }
            for w in 0..=255u8 {
                let mut eight = [b'x'; 8];
                eight[3] = v;
                eight[4] = w;
                if MAY_BOUND_CLAUSE[usize::from(v)] || MAY_BOUND_CLAUSE[usize::from(w)] {
                    assert!(!none_may_bound(&eight), "{v:#x} {w:#x}");
                }
            }
        }
        assert!(none_may_bound("прин".as_bytes()));
        assert!(!none_may_bound(b"ab, cdef"));
        assert!(!none_may_bound(b"abcdefg"), "seven bytes are not eight");
    }

    #[test]
    fn clause_bounds_skip_only_bytes_that_bound_nothing() {
        // The bounds as they were found before bytes were ruled out by
        // the table: `clause_boundary` asked at every byte.
        let reference = |draft: &Draft<'_>, pos: usize, scope: Scope| {
            let text = draft.norm.text.as_str();
            let pos = pos.min(text.len());
            let mut start = pos;
            while start > pos.saturating_sub(CLAUSE_WINDOW)
                && !clause_boundary(draft, start - 1, scope)
            {
                start -= 1;
            }
            let mut end = pos;
            while end < (pos + CLAUSE_WINDOW).min(text.len()) && !clause_boundary(draft, end, scope)
            {
                end += 1;
            }
            let start = super::floor_char_boundary(text, start);
            let end = super::floor_char_boundary(text, end);
            let clause = &text[start..end];
            let lead = clause.len() - clause.trim_start().len();
            let trail = clause.len() - clause.trim_end().len();
            (start + lead, (end - trail).max(start + lead))
        };
        let mut boundaries = 0;
        for input in drafts_and_boundaries() {
            let extracted = crate::input::extract(&input, crate::InputFormat::sniff(&input));
            let norm = apolint_rules::normalize::normalize(&extracted.text);
            let draft = Draft {
                input: &input,
                extracted: &extracted,
                norm: &norm,
                language: apolint_rules::segment::Language::Mixed,
                customer_name: None,
                situation: None,
                rank_suggestions: true,
            };
            for pos in (0..=norm.text.len()).filter(|&p| norm.text.is_char_boundary(p)) {
                for scope in [Scope::Clause, Scope::Sentence] {
                    assert_eq!(
                        clause_bounds(&draft, pos, scope),
                        reference(&draft, pos, scope),
                        "{pos} {scope:?} in {input:?}"
                    );
                }
            }
            boundaries += (0..norm.text.len())
                .filter(|&i| clause_boundary(&draft, i, Scope::Clause))
                .count();
        }
        assert!(boundaries > 3_000, "{boundaries} boundaries");
    }

    /// A shared string formats, compares and hashes as its `str`.
    #[test]
    fn shared_strings_read_as_their_text() {
        use super::SharedStr;
        let id = SharedStr::from("en.cliche.x");
        assert_eq!(
            format!("[{id:>13}] {id:?}"),
            "[  en.cliche.x] \"en.cliche.x\""
        );
        assert_eq!(id, "en.cliche.x");
        assert_eq!("en.cliche.x", id);
        assert_eq!(id, String::from("en.cliche.x"));
        let set: std::collections::HashSet<SharedStr> = [id.clone()].into();
        assert!(set.contains("en.cliche.x"));
        let mut sorted = vec![SharedStr::from("b"), SharedStr::from("a")];
        sorted.sort();
        assert_eq!(sorted, ["a", "b"]);
        assert_eq!(String::from(id), "en.cliche.x");
    }

    /// Suggestions kept in their rule's order change nothing else: for
    /// every draft of the corpus the report is the ranked one but for the
    /// order of each finding's suggestions, which is their rule's (in the
    /// draft's language), and some drafts do rank them otherwise.
    #[test]
    fn suggestions_in_rule_order_change_only_their_order() {
        let linter = crate::Linter::builtin().unwrap();
        let ranked_options = crate::CheckOptions::default();
        let plain_options = crate::CheckOptions {
            suggestions_in_rule_order: true,
            ..crate::CheckOptions::default()
        };
        let (mut findings, mut reordered) = (0, 0);
        for draft in drafts_and_boundaries() {
            let mut ranked = linter.check(&draft, &ranked_options);
            let plain = linter.check(&draft, &plain_options);
            assert_eq!(ranked.findings.len(), plain.findings.len(), "{draft}");
            for (r, p) in ranked.findings.iter_mut().zip(&plain.findings) {
                let rule = linter
                    .book
                    .rules
                    .iter()
                    .position(|rule| rule.id == *p.rule)
                    .unwrap();
                let texts = linter.per_rule.texts(&linter.book.rules, rule);
                assert_eq!(
                    p.suggestions,
                    texts.in_language(plain.language).1,
                    "{draft}"
                );
                let (mut a, mut b) = (r.suggestions.clone(), p.suggestions.clone());
                a.sort();
                b.sort();
                assert_eq!(a, b, "{draft}");
                findings += 1;
                reordered += usize::from(r.suggestions != p.suggestions);
                r.suggestions.clone_from(&p.suggestions);
            }
            assert_eq!(ranked, plain, "{draft}");
        }
        assert!(
            findings > 500 && reordered > 20,
            "{reordered} of {findings} reordered"
        );
    }

    /// The ranking from the draft's stems a filter let through is the
    /// ranking from all of its stems, for every draft of the corpus and
    /// every built-in rule with a choice of suggestions.
    #[test]
    fn suggestions_rank_as_by_all_of_the_drafts_stems() {
        use super::{PerRuleCache, SuggestionFit};
        let book = crate::builtin::book().unwrap();
        let rules = &book.rules;
        let cache = PerRuleCache::default();
        let choices: Vec<usize> = (0..rules.len())
            .filter(|&r| rules[r].suggestions.len() >= 2)
            .collect();
        assert!(choices.len() > 30, "{} rules", choices.len());
        let (mut moved, mut drafts) = (0, 0);
        for draft in drafts_and_boundaries() {
            let norm = apolint_rules::normalize::normalize(&draft);
            if norm.text.len() > super::FIT_MAX_BYTES {
                continue;
            }
            drafts += 1;
            let mut all = stem_keys(&norm.text);
            all.sort_unstable();
            all.dedup();
            // Each rule alone, and all of them at once (a filter of many
            // rules' stems lets more words through).
            let together = SuggestionFit::new(&norm, rules, &cache, choices.iter().copied());
            for &r in &choices {
                let alone = SuggestionFit::new(&norm, rules, &cache, std::iter::once(r));
                let per = &cache.stems(rules, r).per;
                let mut want: Vec<(std::cmp::Reverse<usize>, usize)> = per
                    .iter()
                    .enumerate()
                    .map(|(i, stems)| {
                        let shared = stems.iter().filter(|k| all.binary_search(k).is_ok());
                        (std::cmp::Reverse(shared.count()), i)
                    })
                    .collect();
                want.sort();
                let want: Vec<usize> = want.into_iter().map(|(_, i)| i).collect();
                moved += usize::from(want.first() != Some(&0));
                for fit in [&alone, &together] {
                    let mut got: Vec<usize> = (0..per.len()).collect();
                    fit.order(r, &mut got);
                    assert_eq!(got, want, "{} in {draft:?}", rules[r].id);
                }
            }
        }
        assert!(
            drafts > 400 && moved > 1_000,
            "{drafts} drafts, {moved} moved"
        );
    }

    /// Each rule's shared texts are what its findings carried as copies:
    /// the id, and the message and suggestions in the draft's language.
    #[test]
    fn rule_texts_are_the_rules_texts_in_each_language() {
        use super::{in_language, RuleTexts};
        let book = crate::builtin::book().unwrap();
        let mut bilingual = 0;
        for rule in &book.rules {
            let texts = RuleTexts::new(rule);
            assert_eq!(texts.id, rule.id);
            for l in LANGS {
                let (message, suggestions) = texts.in_language(l);
                assert_eq!(
                    *message,
                    in_language(&rule.message, rule.lang, l),
                    "{}",
                    rule.id
                );
                let want: Vec<&str> = rule
                    .suggestions
                    .iter()
                    .map(|s| in_language(s, rule.lang, l))
                    .collect();
                let got: Vec<&str> = suggestions.iter().map(|s| s.as_str()).collect();
                assert_eq!(got, want, "{}", rule.id);
            }
            // The same text in two languages is one string, shared.
            let (ru, _) = texts.in_language(Language::Ru);
            let (en, _) = texts.in_language(Language::En);
            if ru == en {
                assert!(std::ptr::eq(ru.as_str(), en.as_str()), "{}", rule.id);
            } else {
                bilingual += 1;
            }
        }
        assert!(bilingual > 0, "no rule has a message in two languages");
    }

    /// The lexicon matches by tag, as a vector per tag gave them: each
    /// tag's own matches and those of the rules that count toward it,
    /// sorted, and only those starting at or after the end of the last one
    /// kept.
    fn tag_matches_by_vectors(
        merged: &[RawMatch],
        rule_tags: &[Vec<u32>],
        tags: usize,
    ) -> Vec<Vec<RawMatch>> {
        let mut by_tag = vec![Vec::new(); tags];
        for m in merged {
            match m.owner.get() {
                Owner::Tag(t) => by_tag[t as usize].push(*m),
                Owner::Rule(r) => {
                    for &t in &rule_tags[r as usize] {
                        by_tag[t as usize].push(*m);
                    }
                }
            }
        }
        for t in &mut by_tag {
            t.sort_by_key(|m: &RawMatch| (m.start, m.end));
            t.dedup_by(|b, a| b.start < a.end);
        }
        by_tag
    }

    proptest::proptest! {
        #[test]
        fn tag_matches_agree_with_a_vector_per_tag(
            parts in proptest::collection::vec(
                (0u32..8, 0u32..40, 0u32..6, proptest::sample::select(&LANGS[..])),
                0..80,
            )
        ) {
            // Owners 0-3 are rules, 4-7 tags 0-3; rules 1 and 3 count
            // toward tags (3 toward two), as rules with `tags` do.
            let rule_tags: Vec<Vec<u32>> = vec![vec![], vec![2], vec![], vec![0, 2]];
            let matches: Vec<RawMatch> = parts
                .into_iter()
                .map(|(o, start, len, lang)| RawMatch {
                    owner: if o < 4 { Owner::Rule(o) } else { Owner::Tag(o - 4) }.into(),
                    start,
                    end: start + len,
                    lang,
                })
                .collect();
            let merged = merge_overlapping(&Matches::from(matches));
            let flat = TagMatches::new(&merged, &rule_tags, 4);
            let want = tag_matches_by_vectors(&merged, &rule_tags, 4);
            for (t, want) in want.iter().enumerate() {
                proptest::prop_assert_eq!(flat.of(t as u32), &want[..], "tag {}", t);
            }
        }

        #[test]
        fn stem_keys_are_the_keys_of_the_stems_of_the_words(
            text in "[a-zA-Z0-9 .,!?\\-\n\t\"'«»ёЁа-яА-Я€😀ß]{0,300}"
        ) {
            let chained: Vec<u128> =
                words(&text).filter_map(stem).filter_map(stem_key).collect();
            proptest::prop_assert_eq!(stem_keys(&text), chained);
        }

        #[test]
        fn word_starts_count_the_words_that_words_splits(
            text in "[a-zA-Z0-9 .,!?\\-\n\t\"'«»ёЁа-яА-Я€😀]{0,300}"
        ) {
            proptest::prop_assert_eq!(word_starts(text.as_bytes()), words(&text).count());
        }

        #[test]
        fn merging_agrees_with_the_stable_tuple_sort(
            parts in proptest::collection::vec(
                (
                    proptest::sample::select(&OWNERS[..]),
                    proptest::sample::select(&OFFSETS[..]),
                    proptest::sample::select(&OFFSETS[..]),
                    proptest::sample::select(&LANGS[..]),
                ),
                0..60,
            )
        ) {
            // Few distinct values: equal (owner, start, end) with different
            // languages are common, and their scan order must survive.
            let matches: Vec<RawMatch> = parts
                .into_iter()
                .map(|(owner, a, b, lang)| RawMatch {
                    owner: owner.into(),
                    start: a.min(b),
                    end: a.max(b),
                    lang,
                })
                .collect();
            let mut sorted = matches.clone();
            sorted.sort_by_key(|m| (m.owner, m.start, std::cmp::Reverse(m.end)));
            let mut expected: Vec<RawMatch> = Vec::new();
            for m in sorted {
                match expected.last_mut() {
                    Some(last) if last.owner == m.owner && m.start < last.end => {
                        last.end = last.end.max(m.end)
                    }
                    _ => expected.push(m),
                }
            }
            // Split in parts as a shared scan makes them, or in one.
            let third = matches.len() / 3;
            let parts = Matches::from_parts(vec![
                matches[..third].to_vec(),
                Vec::new(),
                matches[third..].to_vec(),
            ]);
            proptest::prop_assert_eq!(merge_overlapping(&parts), expected.clone());
            let matches_in_one = Matches::from(matches.clone());
            proptest::prop_assert_eq!(merge_overlapping(&matches_in_one), expected.clone());
            // Dense owners, as the engine gives them, take the buckets.
            let dense = |o: Owner| match o {
                Owner::Rule(r) => Owner::Rule(r.min(9)),
                Owner::Tag(t) => Owner::Tag(t.min(9)),
            };
            let matches: Vec<RawMatch> =
                matches.iter().map(|m| RawMatch { owner: dense(m.owner.get()).into(), ..*m }).collect();
            let mut sorted = matches.clone();
            sorted.sort_by_key(|m| (m.owner, m.start, std::cmp::Reverse(m.end)));
            proptest::prop_assert_eq!(
                merge_overlapping(&Matches::from(matches)),
                merge_sorted(sorted)
            );
        }
    }

    #[test]
    fn names_agree_across_scripts_and_spellings() {
        for (a, b) in [
            ("анна", "anna"),
            ("петрова", "petrova"),
            ("юлия", "yulia"),
            ("юлия", "julia"),
            ("юлия", "yuliya"),
            ("михаил", "mikhail"),
        ] {
            assert_eq!(name_skeleton(a), name_skeleton(b), "{a} / {b}");
        }
        assert_ne!(name_skeleton("анна"), name_skeleton("anya"));
        assert_ne!(name_skeleton("евгений"), name_skeleton("евгения"));
    }
}
