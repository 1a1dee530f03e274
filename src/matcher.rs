//! Stage 4: matches.
//!
//! One Aho-Corasick automaton holds the anchor literal of every phrase
//! pattern and the prefilter literals of every regex. A single overlapping
//! pass over the normalised draft yields candidate hits; a hit whose edges
//! are not word boundaries is dropped on the spot, the rest are verified
//! against their full pattern on the tokens of their line (tokenized once,
//! lazily), and regexes run only on lines where their prefilter hit.

use std::collections::HashMap;
use std::sync::Arc;

use aho_corasick::automaton::Automaton;
use aho_corasick::{nfa, Anchored, MatchKind};

use crate::normalize::Normalized;
use crate::pattern::{first_literals, Dir, Elem, Matcher, Variant};
use crate::rules::{Context, RegexSpec, RuleBook, RuleKind, RuleLang};
use crate::segment::{Language, Line};

/// Who a match belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// A reporting rule (index into the rule book).
    Rule(u32),
    /// A lexicon (tag id).
    Tag(u32),
}

/// A verified match, in normalised-text offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMatch {
    /// Whose match it is.
    pub owner: Owner,
    /// Start offset in the normalised text.
    pub start: u32,
    /// End offset in the normalised text.
    pub end: u32,
    /// Language of the sentence it is in.
    pub lang: Language,
}

#[derive(Debug)]
struct Phrase {
    owner: Owner,
    elems: std::sync::Arc<[Elem]>,
    anchor: usize,
    /// What the tokens right before and after the anchor must match, when
    /// that is a short list (see [`crate::pattern::first_literals`]).
    left: Option<Box<[Elem]>>,
    right: Option<Box<[Elem]>>,
    /// Index into `Engine::contexts` (lexicon patterns have none).
    context: Option<usize>,
    lang: RuleLang,
}

#[derive(Debug)]
struct RegexRule {
    owner: Owner,
    spec: RegexSpec,
    lang: RuleLang,
}

/// Regexes with no literal prefilter that run on the same lines of the same
/// text (same classes, same case sensitivity). A line is first tried against
/// all of them at once with a [`regex::RegexSet`], and only the members that
/// match there run to find their spans: most lines with a digit hold no
/// date, time or amount, and one set pass costs about what one regex does.
#[derive(Debug)]
struct UnfilteredGroup {
    classes: Vec<crate::rules::LineClass>,
    case_sensitive: bool,
    members: Vec<u32>,
    /// Built on first use, like the member regexes; `None` if over the size
    /// limits, and then every member runs.
    set: std::sync::OnceLock<Option<regex::RegexSet>>,
}

impl UnfilteredGroup {
    fn set(&self, regexes: &[RegexRule]) -> Option<&regex::RegexSet> {
        self.set
            .get_or_init(|| {
                if self.members.len() < 2 {
                    return None;
                }
                regex::RegexSetBuilder::new(
                    self.members
                        .iter()
                        .map(|&ri| regexes[ri as usize].spec.regex.as_str()),
                )
                .size_limit(4 << 20)
                .dfa_size_limit(4 << 20)
                .nest_limit(64)
                .build()
                .ok()
            })
            .as_ref()
    }
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Phrase { idx: u32, prefix: bool },
    Regex(u32),
}

/// The compiled form of a rule book: the automaton and everything hanging
/// off its hits.
#[derive(Debug)]
pub struct Engine {
    ac: Option<Anchors>,
    targets: Vec<Vec<Target>>,
    phrases: Vec<Phrase>,
    regexes: Vec<RegexRule>,
    /// Regexes with no literal prefilter, grouped by the line classes they
    /// need: run once over the whole draft, or over the lines of their
    /// classes.
    unfiltered: Vec<UnfilteredGroup>,
    contexts: Vec<Arc<Context>>,
    /// Lexicon names, indexed by tag id.
    pub tag_names: Vec<String>,
    /// Tag ids each rule's matches also count toward.
    pub rule_tags: Vec<Vec<u32>>,
    /// The automaton's literals, in pattern-id order.
    pub literals: Vec<String>,
}

/// The anchor automaton, kept as its concrete type so that the scan loop
/// ([`Anchors::for_each_hit`]) is compiled for it, with no dynamic dispatch
/// or iterator state per byte (the library's overlapping iterator cost ~20%
/// more per byte, measured).
#[derive(Debug, Clone)]
pub enum Anchors {
    /// The default: quick to build.
    Nfa(nfa::contiguous::NFA),
    /// Fallback when the contiguous NFA cannot hold the literals.
    SparseNfa(nfa::noncontiguous::NFA),
}

impl Anchors {
    /// Calls `f(start, end, literal)` for every occurrence of every literal
    /// in `hay`, overlapping ones included, in order of their ends.
    pub fn for_each_hit(&self, hay: &[u8], f: impl FnMut(usize, usize, usize)) {
        match self {
            Anchors::Nfa(a) => hits(a, hay, f),
            Anchors::SparseNfa(a) => hits(a, hay, f),
        }
    }
}

/// The overlapping search of `aho-corasick`'s `try_find_overlapping_fwd`,
/// without its resumable state: every match state reports every literal
/// ending there (`MatchKind::Standard` keeps suffix matches). The start
/// state is never a match state because no literal is empty.
#[inline(always)]
fn hits<A: Automaton>(a: &A, hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
    let Ok(mut sid) = a.start_state(Anchored::No) else {
        return;
    };
    for (i, &b) in hay.iter().enumerate() {
        sid = a.next_state(Anchored::No, sid, b);
        if a.is_special(sid) {
            if a.is_dead(sid) {
                return;
            }
            for k in 0..a.match_len(sid) {
                let pid = a.match_pattern(sid, k);
                f(i + 1 - a.pattern_len(pid), i + 1, pid.as_usize());
            }
        }
    }
}

/// Builds the anchor automaton.
///
/// A contiguous NFA builds in a quarter of a DFA's time for our ~1600
/// anchors (2 ms against 8.5 ms), which is what a one-draft run pays for,
/// and with the loop below a DFA scanned no faster in whole checks (audit
/// of 100 MB: 2.4 s either way); a prefilter costs 30% of the build and
/// gains nothing with this many patterns (measured: benches/ and the issue
/// #2 note).
pub fn build_automaton<P: AsRef<[u8]>>(literals: &[P]) -> Option<Anchors> {
    if literals.is_empty() {
        return None;
    }
    nfa::contiguous::NFA::builder()
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        // Dense transitions for the first four bytes of every literal (two
        // by default): 9% faster scanning, same build time, 0.46 MB.
        .dense_depth(4)
        .build(literals)
        .map(Anchors::Nfa)
        .or_else(|_| {
            nfa::noncontiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(literals)
                .map(Anchors::SparseNfa)
        })
        .ok()
}

impl Engine {
    /// Compiles a validated rule book.
    pub fn compile(book: &RuleBook) -> Engine {
        Self::compile_with(book, None)
    }

    /// Compiles a rule book, using `prebuilt` — an automaton built (e.g. on
    /// another thread, while the book was being decoded) from the literal
    /// list given with it — when that list is exactly this book's.
    pub fn compile_with(book: &RuleBook, prebuilt: Option<(&[&str], Option<Anchors>)>) -> Engine {
        let lexicons = book.merged_lexicons();
        let tag_names: Vec<String> = lexicons.keys().map(|s| (*s).to_owned()).collect();
        let tag_id: HashMap<&str, u32> = tag_names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i as u32))
            .collect();
        let mut e = Engine {
            ac: None,
            targets: Vec::new(),
            phrases: Vec::new(),
            regexes: Vec::new(),
            unfiltered: Vec::new(),
            contexts: Vec::new(),
            tag_names: tag_names.clone(),
            rule_tags: Vec::new(),
            literals: Vec::new(),
        };
        let mut anchors: HashMap<String, u32> = HashMap::new();
        let mut literals: Vec<String> = Vec::new();
        let mut add_anchor = |text: &str, target: Target, targets: &mut Vec<Vec<Target>>| {
            // The loaders reject empty literals; [`hits`] relies on there
            // being none (it never looks at the start state).
            if text.is_empty() {
                return;
            }
            let id = match anchors.get(text) {
                Some(&id) => id,
                None => {
                    let id = literals.len() as u32;
                    literals.push(text.to_owned());
                    targets.push(Vec::new());
                    anchors.insert(text.to_owned(), id);
                    id
                }
            };
            targets[id as usize].push(target);
        };
        let mut add_phrases = |e: &mut Engine,
                               owner: Owner,
                               patterns: &[Variant],
                               context: Option<usize>,
                               lang: RuleLang| {
            {
                for Variant {
                    elems,
                    anchor,
                    anchors: lits,
                } in patterns.iter().cloned()
                {
                    let idx = e.phrases.len() as u32;
                    let left = first_literals(&elems[..anchor], Dir::Backward).map(Into::into);
                    let right = first_literals(&elems[anchor + 1..], Dir::Forward).map(Into::into);
                    e.phrases.push(Phrase {
                        owner,
                        elems,
                        anchor,
                        left,
                        right,
                        context,
                        lang,
                    });
                    for lit in lits {
                        add_anchor(
                            &lit.text,
                            Target::Phrase {
                                idx,
                                prefix: lit.prefix,
                            },
                            &mut e.targets,
                        );
                    }
                }
            }
        };
        let mut regex_specs: Vec<(Owner, RegexSpec, RuleLang)> = Vec::new();
        for (i, rule) in book.rules.iter().enumerate() {
            let owner = Owner::Rule(i as u32);
            e.rule_tags.push(
                rule.tags
                    .iter()
                    .filter_map(|t| tag_id.get(t.as_str()).copied())
                    .collect(),
            );
            match &rule.kind {
                RuleKind::Phrase { patterns, context } => {
                    e.contexts.push(Arc::clone(context));
                    let ctx = e.contexts.len() - 1;
                    add_phrases(&mut e, owner, patterns, Some(ctx), rule.lang);
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
                {
                    None
                } else {
                    e.contexts.push(Arc::clone(c));
                    Some(e.contexts.len() - 1)
                };
                add_phrases(&mut e, owner, &lex.patterns, ctx, lex.lang);
                for spec in &lex.regexes {
                    regex_specs.push((owner, spec.clone(), RuleLang::Any));
                }
            }
        }
        for (owner, spec, lang) in regex_specs {
            let idx = e.regexes.len() as u32;
            if spec.prefilter.is_empty() {
                let mut classes = spec.classes.clone();
                classes.sort_unstable_by_key(|c| *c as usize);
                classes.dedup();
                match e
                    .unfiltered
                    .iter_mut()
                    .find(|g| g.classes == classes && g.case_sensitive == spec.case_sensitive)
                {
                    Some(g) => g.members.push(idx),
                    None => e.unfiltered.push(UnfilteredGroup {
                        classes,
                        case_sensitive: spec.case_sensitive,
                        members: vec![idx],
                        set: std::sync::OnceLock::new(),
                    }),
                }
            }
            for lit in &spec.prefilter {
                // Case-sensitive regexes run on original text, but their
                // prefilter is found in the normalised text.
                let lit = crate::normalize::normalize(lit).text;
                add_anchor(&lit, Target::Regex(idx), &mut e.targets);
            }
            e.regexes.push(RegexRule { owner, spec, lang });
        }
        e.ac = match prebuilt {
            Some((lits, ac))
                if lits.len() == literals.len()
                    && lits.iter().zip(&literals).all(|(a, b)| a == b) =>
            {
                ac
            }
            _ => build_automaton(&literals),
        };
        e.literals = literals;
        e
    }

    /// Number of distinct literals in the automaton.
    pub fn anchor_count(&self) -> usize {
        self.targets.len()
    }

    /// Finds every verified match in a normalised draft. `cased` is the text
    /// before normalisation (for case-sensitive regexes); `forced` is the
    /// language the caller imposed, if any.
    pub fn scan(&self, norm: &Normalized, cased: &str, forced: Option<Language>) -> Vec<RawMatch> {
        let text = norm.text.as_str();
        let draft = DraftText {
            norm,
            cased,
            forced,
        };
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        // The line around the current hit, and its tokens once a phrase
        // hit there survives the boundary check. Hits arrive in text order,
        // so each line is delimited and tokenized at most once.
        let mut bounds = (usize::MAX, usize::MAX);
        let mut line: Option<Line> = None;
        let mut regex_done_at: Vec<usize> = vec![usize::MAX; self.regexes.len()];
        if let Some(ac) = &self.ac {
            ac.for_each_hit(bytes, |start, end, literal| {
                if !(bounds.0..=bounds.1).contains(&start) {
                    bounds = line_bounds(bytes, start);
                    line = None;
                }
                // Word edges, decided once per hit and only if a phrase asks.
                let mut edges: Option<(bool, bool)> = None;
                for target in &self.targets[literal] {
                    match *target {
                        Target::Regex(ri) => {
                            if regex_done_at[ri as usize] != bounds.0 {
                                regex_done_at[ri as usize] = bounds.0;
                                self.run_regex(ri, &draft, bounds.0, bounds.1, &mut out);
                            }
                        }
                        Target::Phrase { idx, prefix } => {
                            let (starts, ends) = *edges.get_or_insert_with(|| {
                                let starts = word_start(text, start);
                                (starts, starts && word_end(text, end))
                            });
                            if !starts || (!prefix && !ends) {
                                continue;
                            }
                            let line = line
                                .get_or_insert_with(|| Line::tokenize(text, bounds.0, bounds.1));
                            self.verify(idx, line, text, start, forced, &mut out);
                        }
                    }
                }
            });
        }
        for group in &self.unfiltered {
            if group.classes.is_empty() {
                self.run_group(group, &draft, 0, text.len(), &mut out);
                continue;
            }
            // Run on the lines that have any of the classes, once each.
            let mut lines: Vec<u32> = group
                .classes
                .iter()
                .flat_map(|c| norm.lines_with(*c).iter().copied())
                .collect();
            if group.classes.len() > 1 {
                lines.sort_unstable();
                lines.dedup();
            }
            for ls in lines {
                let (ls, le) = line_bounds(bytes, ls as usize);
                self.run_group(group, &draft, ls, le, &mut out);
            }
        }
        out
    }

    fn verify(
        &self,
        idx: u32,
        line: &Line,
        text: &str,
        start: usize,
        forced: Option<Language>,
        out: &mut Vec<RawMatch>,
    ) {
        let phrase = &self.phrases[idx as usize];
        let Some(at) = line.token_starting_at(start) else {
            return;
        };
        let m = Matcher {
            norm: text,
            tokens: &line.tokens,
        };
        if phrase
            .left
            .as_ref()
            .is_some_and(|l| !m.token_matches_any(l, at as isize - 1))
            || phrase
                .right
                .as_ref()
                .is_some_and(|r| !m.token_matches_any(r, at as isize + 1))
        {
            return;
        }
        let Some((a, b)) = m.match_around(&phrase.elems, phrase.anchor, at) else {
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
            if !ctx.unless_sentence.is_empty() {
                let (from, to) = line.sentence_window(text, a);
                if ctx
                    .unless_sentence
                    .iter()
                    .any(|p| (from..to).any(|i| m.matches_at(p, i)))
                {
                    return;
                }
            }
        }
        let lang = forced.unwrap_or_else(|| line.sentence_language(text, a));
        if !lang_allows(phrase.lang, lang) {
            return;
        }
        out.push(RawMatch {
            owner: phrase.owner,
            start: line.tokens[a].start,
            end: line.tokens[b].end,
            lang,
        });
    }

    /// Runs the members of `group` that match somewhere in `[ls, le)`.
    fn run_group(
        &self,
        group: &UnfilteredGroup,
        draft: &DraftText<'_>,
        ls: usize,
        le: usize,
        out: &mut Vec<RawMatch>,
    ) {
        let Some(set) = group.set(&self.regexes) else {
            for &ri in &group.members {
                self.run_regex(ri, draft, ls, le, out);
            }
            return;
        };
        let (hay, _) = draft.line(group.case_sensitive, ls, le);
        for k in set.matches(hay).iter() {
            self.run_regex(group.members[k], draft, ls, le, out);
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
        let Some(regex) = spec.regex.get() else {
            return;
        };
        for m in regex.find_iter(hay) {
            if m.is_empty() {
                continue;
            }
            if spec.word_boundary && (!word_start(hay, m.start()) || !word_end(hay, m.end())) {
                continue;
            }
            if !spec.allow.is_empty() && spec.allow.iter().any(|a| *a == m.as_str().to_lowercase())
            {
                continue;
            }
            let (mut s, mut e) = (base + m.start(), base + m.end());
            if spec.case_sensitive {
                s = norm.map.to_derived(s);
                e = norm.map.to_derived(e);
            }
            // Like phrase rules, reporting regexes skip the customer's words
            // quoted inside the agent's sentence («…!!!»).
            if matches!(rule.owner, Owner::Rule(_)) && inside_quotes(&norm.text, s) {
                continue;
            }
            let lang = forced.unwrap_or(Language::Mixed);
            if !lang_allows(rule.lang, lang) {
                continue;
            }
            out.push(RawMatch {
                owner: rule.owner,
                start: s as u32,
                end: e as u32,
                lang,
            });
        }
    }
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
    let start = bytes[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let end = bytes[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| pos + p);
    (start, end)
}

/// Whether `pos` is inside a pair of quotation marks on its line (quotes
/// are folded to `"` by normalisation). Looks back at most 2 KB, so a
/// megabyte-long line stays linear.
fn inside_quotes(norm: &str, pos: usize) -> bool {
    let bytes = &norm.as_bytes()[..pos.min(norm.len())];
    let from = bytes.len().saturating_sub(2048);
    bytes[from..]
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n')
        .filter(|&&b| b == b'"')
        .count()
        % 2
        == 1
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
