//! Rules as data: the TOML rule-pack format, its validation, and the
//! built-in packs compiled into the binary.
//!
//! Loading checks everything a rule author can get wrong (unknown keys,
//! categories, severities, pattern syntax, regexes, references to lexicons
//! that do not exist) and reports it as a [`FileError`] pointing at the
//! offending value.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostics::{closest, from_toml, FileError};
use crate::normalize::LineClass;
use crate::pattern::{self, Elem, Variant};

/// The contract's categories (`contract.md`), plus `hint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Category {
    /// Stock apology formulas.
    Cliche,
    /// Reproach under a polite surface.
    PassiveAggression,
    /// Blame pushed onto others.
    BlameShifting,
    /// Conditional or deflecting apologies.
    NonApology,
    /// Guarantees nobody can keep.
    ImpossiblePromise,
    /// Officialese.
    Bureaucratese,
    /// An apology from a faceless entity.
    Impersonal,
    /// More than one apology, or grovelling.
    OverApology,
    /// A promise with no time frame.
    MissingDeadline,
    /// A time frame that commits to nothing.
    VagueDeadline,
    /// Admitted fault, nothing offered.
    MissingCompensation,
    /// An unfilled template variable.
    Placeholder,
    /// The greeting names someone else.
    NameMismatch,
    /// Raised voice: `!!!`, capitals, emoji piles.
    Shouting,
    /// Low-severity wording hints.
    Hint,
}

impl Category {
    /// Every category, in contract order.
    pub const ALL: [Category; 15] = [
        Category::Cliche,
        Category::PassiveAggression,
        Category::BlameShifting,
        Category::NonApology,
        Category::ImpossiblePromise,
        Category::Bureaucratese,
        Category::Impersonal,
        Category::OverApology,
        Category::MissingDeadline,
        Category::VagueDeadline,
        Category::MissingCompensation,
        Category::Placeholder,
        Category::NameMismatch,
        Category::Shouting,
        Category::Hint,
    ];

    /// The contract name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Cliche => "cliche",
            Category::PassiveAggression => "passive-aggression",
            Category::BlameShifting => "blame-shifting",
            Category::NonApology => "non-apology",
            Category::ImpossiblePromise => "impossible-promise",
            Category::Bureaucratese => "bureaucratese",
            Category::Impersonal => "impersonal",
            Category::OverApology => "over-apology",
            Category::MissingDeadline => "missing-deadline",
            Category::VagueDeadline => "vague-deadline",
            Category::MissingCompensation => "missing-compensation",
            Category::Placeholder => "placeholder",
            Category::NameMismatch => "name-mismatch",
            Category::Shouting => "shouting",
            Category::Hint => "hint",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Category::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| unknown("category", s, Category::ALL.iter().map(|c| c.name())))
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    /// A wording hint.
    Info,
    /// Makes the customer angrier.
    Warning,
    /// The customer sees a broken template or the wrong name.
    Error,
}

impl Severity {
    /// The contract name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(unknown("severity", s, ["error", "warning", "info"])),
        }
    }
}

fn unknown<'a>(
    what: &str,
    value: &str,
    valid: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    match closest(value, valid.clone()) {
        Some(c) => format!("unknown {what} `{value}`; did you mean `{c}`?"),
        None => format!(
            "unknown {what} `{value}`; expected one of: {}",
            valid.into_iter().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The language a rule is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RuleLang {
    /// Russian drafts.
    Ru,
    /// English drafts.
    En,
    /// Any language (placeholders, shouting).
    Any,
}

impl RuleLang {
    /// The code used in rule ids and `--lang`.
    pub fn code(self) -> &'static str {
        match self {
            RuleLang::Ru => "ru",
            RuleLang::En => "en",
            RuleLang::Any => "any",
        }
    }
}

/// What the reply answers: the same words mean different things in a reply
/// to a complaint and in a thank-you for a five-star review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Situation {
    /// A complaint or a problem: the reply apologises or the customer is
    /// upset (or the caller says so, e.g. a review of 1-3 stars).
    Complaint,
    /// Neither: a question, a notice, an update.
    Neutral,
    /// Praise: a thank-you for a good review (or 5 stars).
    Positive,
}

impl Situation {
    /// Every situation.
    pub const ALL: [Situation; 3] = [
        Situation::Complaint,
        Situation::Neutral,
        Situation::Positive,
    ];

    /// Its name in rule files, requests and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Situation::Complaint => "complaint",
            Situation::Neutral => "neutral",
            Situation::Positive => "positive",
        }
    }
}

impl FromStr for Situation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Situation::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| unknown("situation", s, Situation::ALL.iter().map(|c| c.name())))
    }
}

/// Context that cancels or constrains a phrase match.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Context {
    /// Cancelled when one of these ends right before the match.
    pub unless_before: Vec<Vec<Elem>>,
    /// Cancelled when one of these starts right after the match.
    pub unless_after: Vec<Vec<Elem>>,
    /// Cancelled when one of these occurs anywhere on the same line.
    pub unless_sentence: Vec<Vec<Elem>>,
    /// Cancelled when one of these starts at a word inside the match,
    /// after its first: a gap that skipped a negation («деньги не
    /// вернутся», "we will not refund").
    pub unless_inside: Vec<Vec<Elem>>,
    /// The match must start a line, sentence or clause.
    pub clause_start: bool,
    /// Matches inside quotation marks count too.
    pub in_quotes: bool,
}

/// A regex, compiled when its rule file is loaded and, for the built-in
/// packs decoded at start-up, on first use.
///
/// Compiling the built-in regexes costs more than decoding every other rule
/// together, and most drafts never reach most of them; the build compiled
/// each once already (a broken one fails the build).
#[derive(Clone)]
pub struct LazyRegex {
    pattern: String,
    compiled: Arc<std::sync::OnceLock<Option<regex::Regex>>>,
}

impl fmt::Debug for LazyRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LazyRegex").field(&self.pattern).finish()
    }
}

/// Serialised as its pattern; compiled on first use after loading.
impl Serialize for LazyRegex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.pattern)
    }
}

impl<'de> Deserialize<'de> for LazyRegex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pattern = crate::fast_utf8::string(d)?;
        Ok(LazyRegex {
            pattern,
            compiled: Arc::new(std::sync::OnceLock::new()),
        })
    }
}

/// The most a rule's regex may compile to (the `regex` crate's
/// `size_limit`): a rule over it is an error at load time.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How deeply a rule's regex may nest groups and repeats.
pub const REGEX_NEST_LIMIT: u32 = 64;

impl LazyRegex {
    fn build(pattern: &str) -> Result<regex::Regex, regex::Error> {
        regex::RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(2 << 20)
            .nest_limit(REGEX_NEST_LIMIT)
            .build()
    }

    /// Compiles now, so a syntax error or a regex over the size limits is
    /// reported at load time, pointed at its file and line.
    fn new(pattern: &str) -> Result<LazyRegex, String> {
        let re = Self::build(pattern).map_err(|e| {
            let msg = e.to_string();
            msg.lines()
                .last()
                .unwrap_or("invalid regex")
                .trim()
                .to_owned()
        })?;
        let compiled = std::sync::OnceLock::new();
        let _ = compiled.set(Some(re));
        Ok(LazyRegex {
            pattern: pattern.to_owned(),
            compiled: Arc::new(compiled),
        })
    }

    /// The compiled regex; `None` if it exceeds the size limits (then the
    /// rule never matches; the test suite compiles every built-in regex).
    pub fn get(&self) -> Option<&regex::Regex> {
        self.compiled
            .get_or_init(|| Self::build(&self.pattern).ok())
            .as_ref()
    }

    /// The source pattern.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the regex was compiled (or found too big) already.
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }
}

/// A regex matcher's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegexSpec {
    /// The regex (compiled on first use).
    pub regex: LazyRegex,
    /// Literals that must occur on a line for the regex to run there.
    #[serde(deserialize_with = "crate::fast_utf8::strings")]
    pub prefilter: Vec<String>,
    /// Line classes that must hold for the regex to run on a line.
    pub classes: Vec<LineClass>,
    /// Run on the original case instead of the normalised text.
    pub case_sensitive: bool,
    /// The match must not touch a letter or digit on either side.
    pub word_boundary: bool,
    /// Matched texts (lowercase) never reported.
    pub allow: Vec<String>,
    /// Matches inside quotation marks are reported too (else they are the
    /// customer's words): an unfilled placeholder is one wherever it is.
    pub in_quotes: bool,
}

/// What a rule looks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum RuleKind {
    /// Token patterns.
    Phrase {
        /// Parsed patterns.
        /// Parsed patterns, as anchored variants.
        patterns: Vec<Variant>,
        /// Exceptions and constraints.
        context: Arc<Context>,
    },
    /// A regular expression.
    Regex(RegexSpec),
    /// Some lexicon matched and none of others did.
    Absent {
        /// Lexicons that make the rule relevant (empty: always).
        when: Vec<String>,
        /// Lexicons whose presence satisfies it.
        unless: Vec<String>,
    },
    /// A lexicon matched at least `min` times.
    Count {
        /// The lexicon.
        tag: String,
        /// How many matches trigger it.
        min: u32,
    },
    /// Lexicons that together, in one clause or sentence, make the problem
    /// ("a third party" + "failed"), unless another lexicon is there too
    /// ("our", "по нашей вине"). The finding covers the clause.
    Clause {
        /// Lexicons that must all match in the same clause.
        all: Vec<String>,
        /// Lexicons any of which, in that sentence, cancels the finding.
        unless: Vec<String>,
        /// A clause (between commas, dashes, colons and sentence ends) or
        /// the whole sentence.
        scope: Scope,
        /// The lexicons must match in the order of `all`.
        ordered: bool,
        /// At most this many words between the first and the last match.
        max_words: Option<u32>,
    },
    /// The name after a greeting is not the customer's.
    NameMismatch {
        /// The greeting lexicon.
        after: String,
        /// Titles and adjectives to skip between greeting and name.
        skip: Vec<String>,
    },
}

impl RuleKind {
    /// The name used in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::Phrase { .. } => "phrase",
            RuleKind::Regex(_) => "regex",
            RuleKind::Absent { .. } => "absent",
            RuleKind::Count { .. } => "count",
            RuleKind::Clause { .. } => "clause",
            RuleKind::NameMismatch { .. } => "name-mismatch",
        }
    }

    /// Whether the rule judges the whole draft rather than a phrase.
    pub fn is_document_level(&self) -> bool {
        matches!(
            self,
            RuleKind::Absent { .. } | RuleKind::Count { .. } | RuleKind::NameMismatch { .. }
        )
    }
}

/// Where a clause rule's lexicons must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Between clause marks: `,` `;` `:` `(` `)`, a spaced dash, a
    /// sentence end, a new block.
    Clause,
    /// Between sentence ends.
    Sentence,
}

/// A rule, as loaded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id (`ru.cliche.prinosim-izvineniya`).
    #[serde(deserialize_with = "crate::fast_utf8::string")]
    pub id: String,
    /// Its category.
    pub category: Category,
    /// Its severity (after configuration).
    pub severity: Severity,
    /// The language it is written for.
    pub lang: RuleLang,
    /// One line shown with each finding.
    #[serde(deserialize_with = "crate::fast_utf8::string")]
    pub message: String,
    /// Why it matters.
    #[serde(deserialize_with = "crate::fast_utf8::string")]
    pub explanation: String,
    /// Replacement texts or advice.
    #[serde(deserialize_with = "crate::fast_utf8::strings")]
    pub suggestions: Vec<String>,
    /// Machine-applicable fixes: matched text (normalised) → replacement;
    /// the key `*` applies to any match. Sorted by key.
    pub fixes: Vec<(String, String)>,
    /// Drafts it must report.
    pub fire: Vec<String>,
    /// Drafts it must not report.
    pub quiet: Vec<String>,
    /// Lexicons its matches count toward.
    #[serde(deserialize_with = "crate::fast_utf8::strings")]
    pub tags: Vec<String>,
    /// The situations the rule applies in (empty: every one).
    pub situations: Vec<Situation>,
    /// What it looks for.
    pub kind: RuleKind,
    /// The file it came from.
    #[serde(deserialize_with = "crate::fast_utf8::string")]
    pub source: String,
}

/// A named set of patterns that document-level rules reason about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lexicon {
    /// Its name (shared across languages).
    pub name: String,
    /// Token patterns.
    pub patterns: Vec<Variant>,
    /// Regexes.
    pub regexes: Vec<RegexSpec>,
    /// Context that cancels a pattern match ("давайте разберёмся" is an
    /// invitation, not a promise). Lexicon matches count inside quotes.
    pub context: Arc<Context>,
    /// The language its patterns are for: from `lang = "ru"`, else from the
    /// pack folder (`rules/ru/…`), else any. Patterns only match in
    /// sentences of that language (or mixed ones); regexes match anywhere.
    pub lang: RuleLang,
}

/// The lookup key of a fix: normalised, whitespace runs folded to one space.
pub fn fix_key(matched: &str) -> String {
    let mut key = String::new();
    push_fix_key(matched, &mut key);
    key
}

/// Appends [`fix_key`]`(matched)` to `out` (an audit keys a phrase by its
/// rule and this, in one string).
pub fn push_fix_key(matched: &str, out: &mut String) {
    let norm = crate::normalize::normalize(matched).text;
    out.reserve(norm.len());
    for (i, word) in norm.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

impl Rule {
    /// The replacement for `matched` (text as in the draft), if the rule
    /// has a fix for it. Keeps a capital first letter, or all capitals.
    pub fn fix_for(&self, matched: &str) -> Option<String> {
        if self.fixes.is_empty() {
            return None;
        }
        let any_key = || self.fixes.iter().find(|(k, _)| k == "*");
        // A rule whose only fix is `*` needs no key (normalising the match
        // for it was ~1% of an `audit`).
        let (_, with) = if self.fixes.iter().all(|(k, _)| k == "*") {
            any_key()
        } else {
            let key = fix_key(matched);
            self.fixes.iter().find(|(k, _)| *k == key).or_else(any_key)
        }?;
        let letters = || matched.chars().filter(|c| c.is_alphabetic());
        if letters().count() >= 2 && letters().all(char::is_uppercase) {
            return Some(with.to_uppercase());
        }
        match matched.chars().find(|c| c.is_alphabetic()) {
            Some(c) if c.is_uppercase() => {
                let mut chars = with.chars();
                Some(
                    chars
                        .next()
                        .map_or_else(String::new, |f| f.to_uppercase().chain(chars).collect()),
                )
            }
            _ => Some(with.clone()),
        }
    }
}

/// Everything loaded from rule files, before compilation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RuleBook {
    /// Rules, in load order.
    pub rules: Vec<Rule>,
    /// Lexicons, one entry per `[[lexicon]]` table (same names merge later).
    pub lexicons: Vec<Lexicon>,
    /// Groups of equivalent given names (lowercase, normalised).
    pub names: Vec<Vec<String>>,
    /// References to lexicons, checked once everything is loaded.
    #[serde(skip)]
    refs: Vec<LexiconRef>,
    /// Ids loaded so far (duplicates are errors).
    #[serde(skip)]
    ids: HashSet<String>,
}

#[derive(Debug, Clone)]
struct LexiconRef {
    name: String,
    file: String,
    text: Arc<str>,
    range: Range<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    lexicon: Vec<RawLexicon>,
    #[serde(default)]
    names: Vec<RawNames>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    category: Spanned<String>,
    severity: Spanned<String>,
    message: String,
    explanation: String,
    #[serde(default)]
    suggestions: Vec<String>,
    #[serde(default)]
    fixes: Option<Spanned<std::collections::BTreeMap<String, String>>>,
    #[serde(default)]
    fire: Vec<String>,
    #[serde(default)]
    quiet: Vec<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default)]
    situations: Vec<Spanned<String>>,
    #[serde(default)]
    patterns: Vec<Spanned<String>>,
    #[serde(default)]
    unless_before: Vec<Spanned<String>>,
    #[serde(default)]
    unless_after: Vec<Spanned<String>>,
    #[serde(default)]
    unless_sentence: Vec<Spanned<String>>,
    #[serde(default)]
    unless_inside: Vec<Spanned<String>>,
    #[serde(default)]
    clause_start: bool,
    #[serde(default)]
    in_quotes: bool,
    #[serde(default)]
    regex: Option<Spanned<String>>,
    #[serde(default)]
    prefilter: Vec<String>,
    #[serde(default)]
    prefilter_class: Vec<Spanned<String>>,
    #[serde(default)]
    case_sensitive: bool,
    #[serde(default)]
    word_boundary: bool,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    when: Vec<Spanned<String>>,
    #[serde(default)]
    unless: Vec<Spanned<String>>,
    #[serde(default)]
    tag: Option<Spanned<String>>,
    #[serde(default)]
    min: Option<Spanned<i64>>,
    #[serde(default)]
    after: Option<Spanned<String>>,
    #[serde(default)]
    skip: Vec<String>,
    #[serde(default)]
    all: Vec<Spanned<String>>,
    #[serde(default)]
    within: Option<Spanned<String>>,
    #[serde(default)]
    ordered: bool,
    #[serde(default)]
    max_words: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    name: Spanned<String>,
    #[serde(default)]
    patterns: Vec<Spanned<String>>,
    #[serde(default)]
    regex: Vec<Spanned<String>>,
    #[serde(default)]
    prefilter: Vec<String>,
    #[serde(default)]
    prefilter_class: Vec<Spanned<String>>,
    #[serde(default)]
    unless_before: Vec<Spanned<String>>,
    #[serde(default)]
    unless_after: Vec<Spanned<String>>,
    #[serde(default)]
    unless_sentence: Vec<Spanned<String>>,
    #[serde(default)]
    unless_inside: Vec<Spanned<String>>,
    #[serde(default)]
    lang: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    forms: Vec<String>,
}

/// Collects errors while loading one file.
struct FileCtx<'a> {
    file: &'a str,
    text: Arc<str>,
    errors: Vec<FileError>,
}

impl FileCtx<'_> {
    fn error(&mut self, range: Range<usize>, message: impl Into<String>) {
        self.errors
            .push(FileError::new(self.file, &self.text, range, message));
    }

    /// Parses a pattern, reporting syntax errors at their place inside the
    /// string value. A TOML string's span includes its opening quote; the
    /// offset into the pattern is exact for patterns without escapes.
    fn pattern(&mut self, p: &Spanned<String>) -> Option<Vec<Elem>> {
        match pattern::parse(p.get_ref()) {
            Ok(elems) => Some(elems),
            Err(e) => {
                let base = p.span().start + 1;
                self.error(
                    base + e.range.start..base + e.range.end,
                    format!("invalid pattern: {}", e.message),
                );
                None
            }
        }
    }

    /// Parses the context keys shared by rules and lexicons:
    /// `[unless_before, unless_after, unless_sentence, unless_inside]`.
    fn context(
        &mut self,
        unless: [&[Spanned<String>]; 4],
        clause_start: bool,
        in_quotes: bool,
    ) -> Arc<Context> {
        let [before, after, sentence, inside] = unless.map(|ps| {
            ps.iter()
                .filter_map(|p| self.pattern(p))
                .collect::<Vec<_>>()
        });
        Arc::new(Context {
            unless_before: before,
            unless_after: after,
            unless_sentence: sentence,
            unless_inside: inside,
            clause_start,
            in_quotes,
        })
    }

    /// Parses a pattern that must have an anchor, into its anchored variants.
    fn anchored(&mut self, p: &Spanned<String>) -> Option<Vec<Variant>> {
        let elems = self.pattern(p)?;
        match pattern::anchored_variants(&elems) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.error(p.span(), msg);
                None
            }
        }
    }

    fn regex(&mut self, r: &Spanned<String>, opts: &RegexOpts<'_>) -> Option<RegexSpec> {
        let regex = match LazyRegex::new(r.get_ref()) {
            Ok(re) => re,
            Err(msg) => {
                self.error(r.span(), format!("invalid regex: {msg}"));
                return None;
            }
        };
        let prefilter: Vec<String> = opts
            .prefilter
            .iter()
            .map(|p| crate::normalize::normalize(p).text)
            .collect();
        if prefilter.iter().any(String::is_empty) {
            self.error(r.span(), "a prefilter literal is empty");
            return None;
        }
        let mut classes = Vec::new();
        for c in opts.classes {
            match LineClass::ALL.iter().find(|k| k.name() == c.get_ref()) {
                Some(k) => classes.push(*k),
                None => {
                    let msg = unknown(
                        "prefilter class",
                        c.get_ref(),
                        LineClass::ALL.iter().map(|k| k.name()),
                    );
                    self.error(c.span(), msg);
                    return None;
                }
            }
        }
        if !prefilter.is_empty() && !classes.is_empty() {
            self.error(
                r.span(),
                "use either `prefilter` or `prefilter_class`, not both",
            );
            return None;
        }
        Some(RegexSpec {
            regex,
            prefilter,
            classes,
            case_sensitive: opts.case_sensitive,
            word_boundary: opts.word_boundary,
            allow: opts.allow.iter().map(|a| a.to_lowercase()).collect(),
            in_quotes: opts.in_quotes,
        })
    }
}

/// The settings that accompany a regex in a rule or lexicon.
struct RegexOpts<'a> {
    prefilter: &'a [String],
    classes: &'a [Spanned<String>],
    case_sensitive: bool,
    word_boundary: bool,
    allow: &'a [String],
    in_quotes: bool,
}

impl RuleBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads rule files given as `(name, contents)`, in order. The build
    /// script uses this to compile the built-in packs once, at build time.
    pub fn from_sources<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Vec<FileError>> {
        let mut book = Self::new();
        let mut errors = Vec::new();
        for (name, text) in files {
            if let Err(mut e) = book.add_file(name, text) {
                errors.append(&mut e);
            }
        }
        if let Err(mut e) = book.validate() {
            errors.append(&mut e);
        }
        if errors.is_empty() {
            Ok(book)
        } else {
            Err(errors)
        }
    }

    /// Adds every `*.toml` file under `dir` (sorted, recursively).
    pub fn add_dir(&mut self, dir: &std::path::Path) -> Result<(), Vec<FileError>> {
        let files = rule_files(dir).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        for f in files {
            let name = f.display().to_string();
            match std::fs::read_to_string(&f) {
                Ok(text) => {
                    if let Err(mut e) = self.add_file(&name, &text) {
                        errors.append(&mut e);
                    }
                }
                Err(e) => errors.push(io_error(&name, &e)),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Adds one rule file's rules, lexicons and names.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), Vec<FileError>> {
        // Columns are counted without a byte-order mark, as a draft's.
        let text = crate::without_bom(text);
        let shared: Arc<str> = Arc::from(text);
        let raw: RawFile = toml::from_str(text).map_err(|e| vec![from_toml(file, &shared, &e)])?;
        let mut ctx = FileCtx {
            file,
            text: shared,
            errors: Vec::new(),
        };
        let mut ids = std::mem::take(&mut self.ids);
        // A book decoded from the build (the built-in packs) comes without
        // its id set: a user's rule reusing a built-in id is a duplicate too.
        if ids.len() < self.rules.len() {
            ids.extend(self.rules.iter().map(|r| r.id.clone()));
        }
        for raw_rule in raw.rule {
            if let Some(rule) = self.load_rule(&mut ctx, raw_rule, &mut ids) {
                self.rules.push(rule);
            }
        }
        self.ids = ids;
        for lex in raw.lexicon {
            let patterns = lex
                .patterns
                .iter()
                .filter_map(|p| ctx.anchored(p))
                .flatten()
                .collect();
            let regexes = lex
                .regex
                .iter()
                .filter_map(|r| {
                    let opts = RegexOpts {
                        prefilter: &lex.prefilter,
                        classes: &lex.prefilter_class,
                        case_sensitive: false,
                        word_boundary: false,
                        allow: &[],
                        // Lexicon matches count inside quotes.
                        in_quotes: true,
                    };
                    ctx.regex(r, &opts)
                })
                .collect();
            if lex.name.get_ref().is_empty() {
                ctx.error(lex.name.span(), "a lexicon needs a name");
            }
            let context = ctx.context(
                [
                    &lex.unless_before,
                    &lex.unless_after,
                    &lex.unless_sentence,
                    &lex.unless_inside,
                ],
                false,
                true,
            );
            let folder_lang = if file.contains("/ru/") || file.starts_with("ru/") {
                RuleLang::Ru
            } else if file.contains("/en/") || file.starts_with("en/") {
                RuleLang::En
            } else {
                RuleLang::Any
            };
            let lang = match lex.lang.as_ref().map(|l| (l, l.get_ref().as_str())) {
                None => folder_lang,
                Some((_, "ru")) => RuleLang::Ru,
                Some((_, "en")) => RuleLang::En,
                Some((_, "any")) => RuleLang::Any,
                Some((l, other)) => {
                    ctx.error(
                        l.span(),
                        format!("unknown language `{other}`; expected ru, en or any"),
                    );
                    RuleLang::Any
                }
            };
            self.lexicons.push(Lexicon {
                name: lex.name.into_inner(),
                patterns,
                regexes,
                context,
                lang,
            });
        }
        for group in raw.names {
            let forms: Vec<String> = group
                .forms
                .iter()
                .map(|f| crate::normalize::normalize(f.trim()).text)
                .filter(|f| !f.is_empty())
                .collect();
            if forms.len() > 1 {
                self.names.push(forms);
            }
        }
        if ctx.errors.is_empty() {
            Ok(())
        } else {
            Err(ctx.errors)
        }
    }

    fn load_rule(
        &mut self,
        ctx: &mut FileCtx<'_>,
        raw: RawRule,
        ids: &mut HashSet<String>,
    ) -> Option<Rule> {
        let id = raw.id.get_ref().clone();
        let errors_before = ctx.errors.len();
        let valid_id = !id.is_empty()
            && id.split('.').count() >= 2
            && id.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
            });
        if !valid_id {
            ctx.error(
                raw.id.span(),
                format!(
                    "invalid rule id `{id}`: use `<lang>.<category>.<name>` in lowercase ASCII"
                ),
            );
        }
        if !ids.insert(id.clone()) {
            ctx.error(raw.id.span(), format!("duplicate rule id `{id}`"));
        }
        let lang = match id.split('.').next() {
            Some("ru") => RuleLang::Ru,
            Some("en") => RuleLang::En,
            _ => RuleLang::Any,
        };
        let category = raw
            .category
            .get_ref()
            .parse::<Category>()
            .map_err(|m| ctx.error(raw.category.span(), m))
            .ok();
        // The id names its category (`<lang>.<category>.<name>`): one that
        // names another (`ru.hint.x` of category `cliche`) is listed by
        // `explain ru.hint` under the wrong heading. A team's own second
        // part (`custom.phrase.1`) names no category and is free.
        if let (Some(cat), Some(named)) = (category, id.split('.').nth(1)) {
            if let Ok(other) = named.parse::<Category>() {
                if other != cat {
                    ctx.error(
                        raw.id.span(),
                        format!(
                            "rule id `{id}` names category `{}` but the rule's `category` is `{}`",
                            other.name(),
                            cat.name()
                        ),
                    );
                }
            }
        }
        let severity = raw
            .severity
            .get_ref()
            .parse::<Severity>()
            .map_err(|m| ctx.error(raw.severity.span(), m))
            .ok();
        let situations: Vec<Situation> = raw
            .situations
            .iter()
            .filter_map(|s| s.get_ref().parse().map_err(|m| ctx.error(s.span(), m)).ok())
            .collect();
        let kind_name = raw.kind.as_ref().map_or("phrase", |k| k.get_ref().as_str());
        let kind_span = raw.kind.as_ref().map_or(raw.id.span(), Spanned::span);
        let lex_ref = |name: &Spanned<String>, refs: &mut Vec<LexiconRef>| {
            refs.push(LexiconRef {
                name: name.get_ref().clone(),
                file: ctx.file.to_owned(),
                text: Arc::clone(&ctx.text),
                range: name.span(),
            });
            name.get_ref().clone()
        };
        let mut refs = Vec::new();
        let tags: Vec<String> = raw.tags.iter().map(|t| lex_ref(t, &mut refs)).collect();

        let kind = match kind_name {
            "phrase" => {
                if raw.patterns.is_empty() {
                    ctx.error(raw.id.span(), "a phrase rule needs `patterns`");
                }
                let patterns = raw
                    .patterns
                    .iter()
                    .filter_map(|p| ctx.anchored(p))
                    .flatten()
                    .collect();
                let context = ctx.context(
                    [
                        &raw.unless_before,
                        &raw.unless_after,
                        &raw.unless_sentence,
                        &raw.unless_inside,
                    ],
                    raw.clause_start,
                    raw.in_quotes,
                );
                Some(RuleKind::Phrase { patterns, context })
            }
            "regex" => match &raw.regex {
                None => {
                    ctx.error(kind_span, "a regex rule needs `regex`");
                    None
                }
                Some(r) => {
                    let opts = RegexOpts {
                        prefilter: &raw.prefilter,
                        classes: &raw.prefilter_class,
                        case_sensitive: raw.case_sensitive,
                        word_boundary: raw.word_boundary,
                        allow: &raw.allow,
                        in_quotes: raw.in_quotes,
                    };
                    ctx.regex(r, &opts).map(RuleKind::Regex)
                }
            },
            "absent" => Some(RuleKind::Absent {
                when: raw.when.iter().map(|w| lex_ref(w, &mut refs)).collect(),
                unless: raw.unless.iter().map(|w| lex_ref(w, &mut refs)).collect(),
            }),
            "count" => {
                let tag = raw.tag.as_ref().map(|t| lex_ref(t, &mut refs));
                let min = raw.min.as_ref().map_or(2, |m| *m.get_ref());
                if let Some(m) = &raw.min {
                    if !(1..=1000).contains(m.get_ref()) {
                        ctx.error(m.span(), "`min` must be between 1 and 1000");
                    }
                }
                match tag {
                    Some(tag) => Some(RuleKind::Count {
                        tag,
                        min: min.clamp(1, 1000) as u32,
                    }),
                    None => {
                        ctx.error(kind_span, "a count rule needs `tag` (the lexicon to count)");
                        None
                    }
                }
            }
            "clause" => {
                let all: Vec<String> = raw.all.iter().map(|a| lex_ref(a, &mut refs)).collect();
                let unless: Vec<String> =
                    raw.unless.iter().map(|u| lex_ref(u, &mut refs)).collect();
                if raw.all.is_empty() {
                    ctx.error(
                        kind_span,
                        "a clause rule needs `all` (the lexicons that must meet in one clause)",
                    );
                }
                if raw.all.len() > 8 {
                    ctx.error(
                        raw.all[8].span(),
                        "a clause rule takes at most 8 lexicons in `all`",
                    );
                }
                let scope = match raw
                    .within
                    .as_ref()
                    .map(|w| (w.get_ref().as_str(), w.span()))
                {
                    None | Some(("clause", _)) => Some(Scope::Clause),
                    Some(("sentence", _)) => Some(Scope::Sentence),
                    Some((other, span)) => {
                        ctx.error(span, unknown("scope", other, ["clause", "sentence"]));
                        None
                    }
                };
                let max_words = match &raw.max_words {
                    Some(m) if !(0..=50).contains(m.get_ref()) => {
                        ctx.error(m.span(), "`max_words` must be between 0 and 50");
                        None
                    }
                    Some(m) => Some(*m.get_ref() as u32),
                    None => None,
                };
                scope.map(|scope| RuleKind::Clause {
                    all,
                    unless,
                    scope,
                    ordered: raw.ordered,
                    max_words,
                })
            }
            "name-mismatch" => match raw.after.as_ref() {
                Some(a) => Some(RuleKind::NameMismatch {
                    after: lex_ref(a, &mut refs),
                    skip: raw
                        .skip
                        .iter()
                        .map(|s| crate::normalize::normalize(s).text)
                        .collect(),
                }),
                None => {
                    ctx.error(
                        kind_span,
                        "a name-mismatch rule needs `after` (the greeting lexicon)",
                    );
                    None
                }
            },
            other => {
                let msg = unknown(
                    "rule kind",
                    other,
                    [
                        "phrase",
                        "regex",
                        "absent",
                        "count",
                        "clause",
                        "name-mismatch",
                    ],
                );
                ctx.error(kind_span, msg);
                None
            }
        };
        let mut fixes = Vec::new();
        if let Some(table) = &raw.fixes {
            if kind
                .as_ref()
                .is_some_and(|k| !matches!(k, RuleKind::Phrase { .. } | RuleKind::Regex(_)))
            {
                ctx.error(
                    table.span(),
                    "`fixes` only apply to phrase and regex rules (a document-level or clause finding has no phrase to replace)",
                );
            }
            // Keys are compared with the matched text after normalisation
            // (lowercase, ё→е, single spaces), so they are stored that way.
            fixes = table
                .get_ref()
                .iter()
                .map(|(k, v)| (fix_key(k), v.clone()))
                .collect();
            fixes.sort();
        }
        self.refs.extend(refs);
        if ctx.errors.len() > errors_before {
            return None;
        }
        Some(Rule {
            id,
            category: category?,
            severity: severity?,
            lang,
            message: raw.message,
            explanation: raw.explanation,
            suggestions: raw.suggestions,
            fixes,
            fire: raw.fire,
            quiet: raw.quiet,
            tags,
            situations,
            kind: kind?,
            source: ctx.file.to_owned(),
        })
    }

    /// Checks cross-file references (lexicon names) once all files are in.
    pub fn validate(&self) -> Result<(), Vec<FileError>> {
        let known: HashSet<&str> = self.lexicons.iter().map(|l| l.name.as_str()).collect();
        let errors: Vec<FileError> = self
            .refs
            .iter()
            .filter(|r| !known.contains(r.name.as_str()))
            .map(|r| {
                let e = FileError::new(
                    &r.file,
                    &r.text,
                    r.range.clone(),
                    format!("unknown lexicon `{}`", r.name),
                );
                match closest(&r.name, known.iter().copied()) {
                    Some(c) => e.with_help(format!("did you mean `{c}`?")),
                    None => e.with_help("define it with a [[lexicon]] table"),
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Drops what a check does not read: phrase rules' patterns and
    /// contexts and lexicons' patterns and contexts (the compiled engine
    /// holds them; lexicon regexes, which a test compiles, stay), and the
    /// rules' explanations and `fire`/`quiet` examples (read by `explain`,
    /// hovers, SARIF's rule list and the rule tests, never by a check;
    /// two thirds of the book's text), and the name groups (stored apart,
    /// with a lookup table of their names). The built-in
    /// book is stored like this beside its compiled engine, so a check
    /// with the built-in rules does not decode what it never looks at.
    pub fn strip_for_checking(&mut self) {
        self.names = Vec::new();
        for rule in &mut self.rules {
            rule.explanation = String::new();
            rule.fire = Vec::new();
            rule.quiet = Vec::new();
            if let RuleKind::Phrase { patterns, context } = &mut rule.kind {
                *patterns = Vec::new();
                *context = Arc::default();
            }
        }
        for lex in &mut self.lexicons {
            lex.patterns = Vec::new();
            lex.context = Arc::default();
        }
    }

    /// Lexicon names and their merged contents, sorted by name.
    pub fn merged_lexicons(&self) -> BTreeMap<&str, Vec<&Lexicon>> {
        let mut m: BTreeMap<&str, Vec<&Lexicon>> = BTreeMap::new();
        for l in &self.lexicons {
            m.entry(l.name.as_str()).or_default().push(l);
        }
        m
    }

    /// Looks a rule up by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The rule files (`*.toml`) under `dir`, in path order. Symbolic links
/// are followed (a team may link a shared pack in), and a link that loops
/// back is an error instead of an endless walk.
pub fn rule_files(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, FileError> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = entry.map_err(|e| {
            let at = e.path().unwrap_or(dir).display().to_string();
            FileError::new(&at, &Arc::from(""), 0..0, format!("cannot read: {e}"))
        })?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "toml") {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

fn io_error(name: &str, e: &std::io::Error) -> FileError {
    FileError::new(name, &Arc::from(""), 0..0, format!("cannot read: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<RuleBook, Vec<FileError>> {
        let mut b = RuleBook::new();
        b.add_file("t.toml", text)?;
        b.validate()?;
        Ok(b)
    }

    const OK: &str = r#"
[[rule]]
id = "ru.cliche.x"
category = "cliche"
severity = "warning"
message = "m"
explanation = "e"
patterns = ["приносим извинения"]
fire = ["Приносим извинения"]
quiet = ["нет"]
"#;

    #[test]
    fn loads_a_valid_rule() {
        let b = load(OK).unwrap();
        assert_eq!(b.rules[0].lang, RuleLang::Ru);
        assert_eq!(b.rules[0].category, Category::Cliche);
    }

    #[test]
    fn a_fix_key_is_the_normalised_words_one_space_apart() {
        assert_eq!(
            fix_key("  Приносим\u{a0}\u{a0}ИЗВИНЕНИЯ\t\n за  «задержку» "),
            "приносим извинения за \"задержку\""
        );
        assert_eq!(fix_key(" \t "), "");
        // Appended after what the buffer holds (an audit's rule id).
        let mut key = String::from("rule\0");
        push_fix_key("We  APOLOGISE", &mut key);
        assert_eq!(key, "rule\0we apologise");
    }

    #[test]
    fn fixes_load_normalised_and_only_on_phrase_rules() {
        let text = OK.replace(
            "fire =",
            "fixes = { \"Приносим   Извинения\" = \"простите\" }\nfire =",
        );
        let b = load(&text).unwrap();
        assert_eq!(
            b.rules[0].fixes,
            vec![("приносим извинения".to_owned(), "простите".to_owned())]
        );
        assert_eq!(
            b.rules[0].fix_for("ПРИНОСИМ ИЗВИНЕНИЯ").as_deref(),
            Some("ПРОСТИТЕ")
        );
        assert_eq!(b.rules[0].fix_for("приносим наши извинения"), None);
        // `*` answers any match: alone, and where no exact key does.
        let star = |fixes: &str| {
            load(&OK.replace("fire =", &format!("fixes = {{ {fixes} }}\nfire =")))
                .unwrap()
                .rules
                .remove(0)
        };
        let only = star("\"*\" = \"простите\"");
        assert_eq!(
            only.fix_for("Приносим извинения").as_deref(),
            Some("Простите")
        );
        let both = star("\"*\" = \"простите\", \"приносим извинения\" = \"извините\"");
        assert_eq!(
            both.fix_for("приносим  извинения").as_deref(),
            Some("извините")
        );
        assert_eq!(
            both.fix_for("приносим наши извинения").as_deref(),
            Some("простите")
        );
        let doc = r#"
[[lexicon]]
name = "apology"
patterns = ["простите"]
[[rule]]
id = "ru.cliche.y"
category = "cliche"
severity = "warning"
message = "m"
explanation = "e"
kind = "count"
tag = "apology"
fixes = { "*" = "x" }
fire = ["a"]
quiet = ["b"]
"#;
        let e = &load(doc).unwrap_err()[0];
        assert!(e.message.contains("`fixes` only apply"), "{}", e.message);
        assert_eq!(&doc[e.range.clone()], "{ \"*\" = \"x\" }");
    }

    #[test]
    fn unknown_category_points_at_value_and_suggests() {
        let text = OK.replace("\"cliche\"", "\"clichee\"");
        let e = &load(&text).unwrap_err()[0];
        assert_eq!(&text[e.range.clone()], "\"clichee\"");
        assert!(e.message.contains("did you mean `cliche`"), "{}", e.message);
        assert_eq!(e.line_col(), (4, 12));
    }

    #[test]
    fn pattern_errors_point_inside_the_string() {
        let text = OK.replace("приносим извинения\"", "приносим [извинения\"");
        let e = &load(&text).unwrap_err()[0];
        assert!(e.message.contains("unclosed"), "{}", e.message);
        assert!(
            text[e.range.clone()].starts_with('['),
            "{:?}",
            &text[e.range.clone()]
        );
    }

    #[test]
    fn syntax_errors_and_unknown_keys_are_pointed() {
        let e = &load("[[rule]]\nid = \n").unwrap_err()[0];
        assert_eq!(e.line_col().0, 2);
        let text = OK.replace("patterns =", "patern =");
        let e = &load(&text).unwrap_err()[0];
        assert!(e.message.contains("patern"), "{}", e.message);
    }

    #[test]
    fn explosive_regex_is_rejected_at_load() {
        let text = OK.replace(
            "patterns = [\"приносим извинения\"]",
            "kind = \"regex\"\nregex = '(\\w{1000}){1000}'",
        );
        let e = &load(&text).unwrap_err()[0];
        assert!(e.message.contains("invalid regex"), "{}", e.message);
    }

    #[test]
    fn unknown_lexicon_reference_is_an_error() {
        let text = OK.replace(
            "patterns = [\"приносим извинения\"]",
            "kind = \"count\"\ntag = \"apologies\"",
        ) + "\n[[lexicon]]\nname = \"apology\"\npatterns = [\"извин*\"]\n";
        let e = &load(&text).unwrap_err()[0];
        assert!(e.message.contains("unknown lexicon"));
        assert_eq!(e.help.as_deref(), Some("did you mean `apology`?"));
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let text = format!("{OK}\n{OK}");
        assert!(load(&text).unwrap_err()[0].message.contains("duplicate"));
    }

    /// An id's category part must be the rule's category; a team's own
    /// second part, which names no category, is free.
    #[test]
    fn an_id_naming_another_category_is_rejected() {
        let text = OK.replace("ru.cliche.x", "ru.hint.x");
        let e = load(&text).unwrap_err();
        assert!(
            e[0].message.contains("names category `hint`"),
            "{}",
            e[0].message
        );
        assert!(load(&OK.replace("ru.cliche.x", "team.phrase.x")).is_ok());
    }
}
