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

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::{closest, from_toml, FileError};
use crate::pattern::{self, Elem};

/// The contract's categories (`contract.md`), plus `hint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// Context that cancels or constrains a phrase match.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Cancelled when one of these ends right before the match.
    pub unless_before: Vec<Vec<Elem>>,
    /// Cancelled when one of these starts right after the match.
    pub unless_after: Vec<Vec<Elem>>,
    /// Cancelled when one of these occurs anywhere on the same line.
    pub unless_sentence: Vec<Vec<Elem>>,
    /// The match must start a line, sentence or clause.
    pub clause_start: bool,
    /// Matches inside quotation marks count too.
    pub in_quotes: bool,
}

/// A regex matcher's settings.
#[derive(Debug, Clone)]
pub struct RegexSpec {
    /// The compiled regex.
    pub regex: regex::Regex,
    /// Literals that must occur on a line for the regex to run there.
    pub prefilter: Vec<String>,
    /// Run on the original case instead of the normalised text.
    pub case_sensitive: bool,
    /// The match must not touch a letter or digit on either side.
    pub word_boundary: bool,
    /// Matched texts (lowercase) never reported.
    pub allow: Vec<String>,
}

/// What a rule looks for.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// Token patterns.
    Phrase {
        /// Parsed patterns.
        patterns: Vec<Vec<Elem>>,
        /// Exceptions and constraints.
        context: Context,
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

/// A rule, as loaded.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id (`ru.cliche.prinosim-izvineniya`).
    pub id: String,
    /// Its category.
    pub category: Category,
    /// Its severity (after configuration).
    pub severity: Severity,
    /// The language it is written for.
    pub lang: RuleLang,
    /// One line shown with each finding.
    pub message: String,
    /// Why it matters.
    pub explanation: String,
    /// Replacement texts or advice.
    pub suggestions: Vec<String>,
    /// Drafts it must report.
    pub fire: Vec<String>,
    /// Drafts it must not report.
    pub quiet: Vec<String>,
    /// Lexicons its matches count toward.
    pub tags: Vec<String>,
    /// What it looks for.
    pub kind: RuleKind,
    /// The file it came from.
    pub source: String,
}

/// A named set of patterns that document-level rules reason about.
#[derive(Debug, Clone)]
pub struct Lexicon {
    /// Its name (shared across languages).
    pub name: String,
    /// Token patterns.
    pub patterns: Vec<Vec<Elem>>,
    /// Regexes.
    pub regexes: Vec<RegexSpec>,
}

/// Everything loaded from rule files, before compilation.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    /// Rules, in load order.
    pub rules: Vec<Rule>,
    /// Lexicons, one entry per `[[lexicon]]` table (same names merge later).
    pub lexicons: Vec<Lexicon>,
    /// Groups of equivalent given names (lowercase, normalised).
    pub names: Vec<Vec<String>>,
    /// References to lexicons, checked once everything is loaded.
    refs: Vec<LexiconRef>,
}

#[derive(Debug, Clone)]
struct LexiconRef {
    name: String,
    file: String,
    text: Arc<str>,
    range: Range<usize>,
}

/// The files of the built-in packs: `(path, contents)`.
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

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
    fire: Vec<String>,
    #[serde(default)]
    quiet: Vec<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default)]
    patterns: Vec<Spanned<String>>,
    #[serde(default)]
    unless_before: Vec<Spanned<String>>,
    #[serde(default)]
    unless_after: Vec<Spanned<String>>,
    #[serde(default)]
    unless_sentence: Vec<Spanned<String>>,
    #[serde(default)]
    clause_start: bool,
    #[serde(default)]
    in_quotes: bool,
    #[serde(default)]
    regex: Option<Spanned<String>>,
    #[serde(default)]
    prefilter: Vec<String>,
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
    fn pattern(&mut self, p: &Spanned<String>, need_anchor: bool) -> Option<Vec<Elem>> {
        let span = p.span();
        match pattern::parse(p.get_ref()) {
            Ok(elems) => {
                if need_anchor {
                    if let Err(msg) = pattern::anchored_variants(&elems) {
                        self.error(span, msg);
                        return None;
                    }
                }
                Some(elems)
            }
            Err(e) => {
                let base = span.start + 1;
                self.error(
                    base + e.range.start..base + e.range.end,
                    format!("invalid pattern: {}", e.message),
                );
                None
            }
        }
    }

    fn regex(
        &mut self,
        r: &Spanned<String>,
        prefilter: &[String],
        case_sensitive: bool,
        word_boundary: bool,
        allow: &[String],
    ) -> Option<RegexSpec> {
        let built = regex::RegexBuilder::new(r.get_ref())
            .size_limit(1 << 20)
            .dfa_size_limit(2 << 20)
            .nest_limit(64)
            .build();
        match built {
            Ok(regex) => {
                let prefilter: Vec<String> = prefilter
                    .iter()
                    .map(|p| {
                        if case_sensitive {
                            p.clone()
                        } else {
                            crate::normalize::normalize(p).text
                        }
                    })
                    .collect();
                if prefilter.iter().any(String::is_empty) {
                    self.error(r.span(), "a prefilter literal is empty");
                    return None;
                }
                Some(RegexSpec {
                    regex,
                    prefilter,
                    case_sensitive,
                    word_boundary,
                    allow: allow.iter().map(|a| a.to_lowercase()).collect(),
                })
            }
            Err(e) => {
                let msg = e.to_string();
                let last = msg
                    .lines()
                    .last()
                    .unwrap_or("invalid regex")
                    .trim()
                    .to_owned();
                self.error(r.span(), format!("invalid regex: {last}"));
                None
            }
        }
    }
}

impl RuleBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in packs.
    pub fn builtin() -> Result<Self, Vec<FileError>> {
        let mut book = Self::new();
        let mut errors = Vec::new();
        for (name, text) in BUILTIN {
            if let Err(mut e) = book.add_file(name, text) {
                errors.append(&mut e);
            }
        }
        if errors.is_empty() {
            Ok(book)
        } else {
            Err(errors)
        }
    }

    /// Adds every `*.toml` file under `dir` (sorted, recursively).
    pub fn add_dir(&mut self, dir: &std::path::Path) -> Result<(), Vec<FileError>> {
        let mut files = Vec::new();
        collect_toml(dir, &mut files)
            .map_err(|e| vec![io_error(&dir.display().to_string(), &e)])?;
        files.sort();
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
        let shared: Arc<str> = Arc::from(text);
        let raw: RawFile = toml::from_str(text).map_err(|e| vec![from_toml(file, &shared, &e)])?;
        let mut ctx = FileCtx {
            file,
            text: shared,
            errors: Vec::new(),
        };
        let mut ids: HashSet<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        for raw_rule in raw.rule {
            if let Some(rule) = self.load_rule(&mut ctx, raw_rule, &mut ids) {
                self.rules.push(rule);
            }
        }
        for lex in raw.lexicon {
            let patterns = lex
                .patterns
                .iter()
                .filter_map(|p| ctx.pattern(p, true))
                .collect();
            let regexes = lex
                .regex
                .iter()
                .filter_map(|r| ctx.regex(r, &lex.prefilter, false, false, &[]))
                .collect();
            if lex.name.get_ref().is_empty() {
                ctx.error(lex.name.span(), "a lexicon needs a name");
            }
            self.lexicons.push(Lexicon {
                name: lex.name.into_inner(),
                patterns,
                regexes,
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
        let severity = raw
            .severity
            .get_ref()
            .parse::<Severity>()
            .map_err(|m| ctx.error(raw.severity.span(), m))
            .ok();
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
                    .filter_map(|p| ctx.pattern(p, true))
                    .collect();
                let context = Context {
                    unless_before: raw
                        .unless_before
                        .iter()
                        .filter_map(|p| ctx.pattern(p, false))
                        .collect(),
                    unless_after: raw
                        .unless_after
                        .iter()
                        .filter_map(|p| ctx.pattern(p, false))
                        .collect(),
                    unless_sentence: raw
                        .unless_sentence
                        .iter()
                        .filter_map(|p| ctx.pattern(p, false))
                        .collect(),
                    clause_start: raw.clause_start,
                    in_quotes: raw.in_quotes,
                };
                Some(RuleKind::Phrase { patterns, context })
            }
            "regex" => match &raw.regex {
                None => {
                    ctx.error(kind_span, "a regex rule needs `regex`");
                    None
                }
                Some(r) => ctx
                    .regex(
                        r,
                        &raw.prefilter,
                        raw.case_sensitive,
                        raw.word_boundary,
                        &raw.allow,
                    )
                    .map(RuleKind::Regex),
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
                    ["phrase", "regex", "absent", "count", "name-mismatch"],
                );
                ctx.error(kind_span, msg);
                None
            }
        };
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
            fire: raw.fire,
            quiet: raw.quiet,
            tags,
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

fn collect_toml(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
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
}
