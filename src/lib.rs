//! apolint: a fast linter for customer-facing apology messages.
//!
//! The pipeline has one module per stage:
//!
//! 1. [`input`]: the input as read → the agent's own words (markup, quotes,
//!    signatures masked; offsets kept).
//! 2. [`normalize`]: → lowercase, folded text for matching, with an
//!    [`normalize::OffsetMap`] back.
//! 3. [`segment`]: words, sentences and language, per line.
//! 4. [`matcher`]: every word looked up once in the patterns' vocabulary
//!    ([`vocab`]) to find the phrases anchored on it, each verified against
//!    its pattern; regexes run on the lines that hold one of their literals.
//! 5. [`findings`]: document-level rules, merging, spans in the original.
//!
//! [`output`] renders findings for people (ariadne) and programs (JSON).
//! Rules are data ([`rules`]), configured by `apolint.toml` ([`config`]).
//! Every front end (CLI, language server, HTTP hook) calls [`Linter::check`];
//! the language server lives here ([`lsp`]) so that it can be driven over
//! an in-memory connection by tests and the fuzzer.
//!
//! ```
//! use apolint::{CheckOptions, Linter};
//! let linter = Linter::builtin().expect("built-in rules load");
//! let report = linter.check("Приносим свои извинения за задержку.", &CheckOptions::default());
//! assert!(report.findings.iter().any(|f| f.category.name() == "cliche"));
//! ```

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![warn(missing_docs)]

pub mod audit;
mod builtin;
pub mod config;
pub mod diagnostics;
pub mod eval;
pub mod findings;
pub mod input;
pub mod lsp;
pub mod matcher;
pub mod normalize;
pub mod output;
pub mod pattern;
pub mod request;
pub mod rules;
pub mod segment;
pub mod verdict;
pub mod vocab;

pub use config::{Config, FailOn};
pub use diagnostics::FileError;
pub use findings::{Finding, Span};
pub use input::InputFormat;
pub use request::{CheckRequest, RequestError};
pub use rules::{Category, Rule, RuleBook, Severity};
pub use segment::Language;
pub use verdict::{Policy, Verdict};

/// Which language's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LanguageChoice {
    /// Decided per sentence from the text.
    #[default]
    Auto,
    /// Russian only.
    Ru,
    /// English only.
    En,
}

impl LanguageChoice {
    fn forced(self) -> Option<Language> {
        match self {
            LanguageChoice::Auto => None,
            LanguageChoice::Ru => Some(Language::Ru),
            LanguageChoice::En => Some(Language::En),
        }
    }
}

/// Options for checking one draft.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The draft's format (`None`: plain text, or HTML if it looks like it).
    pub format: Option<InputFormat>,
    /// Language handling.
    pub language: LanguageChoice,
    /// The customer's name: enables `name-mismatch`.
    pub customer_name: Option<String>,
}

/// The result of checking one draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Dominant language of the draft (or the forced one).
    pub language: Language,
    /// Findings, sorted by position.
    pub findings: Vec<Finding>,
}

/// A compiled set of rules, ready to check drafts. Cheap to share across
/// threads (`&Linter` is all `check` needs).
#[derive(Debug)]
pub struct Linter {
    book: RuleBook,
    engine: matcher::Engine,
    names: findings::NameIndex,
    fail_on: FailOn,
    policy: Policy,
}

impl Linter {
    /// The built-in rule packs with default settings.
    pub fn builtin() -> Result<Linter, Vec<FileError>> {
        Self::with_config(&Config::default())
    }

    /// The built-in packs adjusted by a configuration.
    pub fn with_config(config: &Config) -> Result<Linter, Vec<FileError>> {
        let mut book = RuleBook::builtin()?;
        if !config.languages.is_empty() {
            book.rules.retain(|r| {
                r.lang == rules::RuleLang::Any
                    || config.languages.iter().any(|l| l == r.lang.code())
            });
        }
        config.apply(&mut book)?;
        book.validate()?;
        let policy = config.policy(&book)?;
        let engine = matcher::Engine::compile(&book);
        Ok(Linter {
            names: findings::NameIndex::new(book.names.clone()),
            book,
            engine,
            fail_on: config.fail_on,
            policy,
        })
    }

    /// Compiles an already loaded and validated rule book.
    pub fn from_book(book: RuleBook, fail_on: FailOn) -> Linter {
        let engine = matcher::Engine::compile(&book);
        Linter {
            names: findings::NameIndex::new(book.names.clone()),
            book,
            engine,
            fail_on,
            policy: Policy::default(),
        }
    }

    /// The loaded rules.
    pub fn rules(&self) -> &[Rule] {
        &self.book.rules
    }

    /// The loaded rule book (rules, lexicons, name groups).
    pub fn book(&self) -> &RuleBook {
        &self.book
    }

    /// The configured failing severity.
    pub fn fail_on(&self) -> FailOn {
        self.fail_on
    }

    /// Number of distinct anchors: words and prefixes phrases are anchored
    /// on, and the regexes' literals.
    pub fn anchor_count(&self) -> usize {
        self.engine.anchor_count()
    }

    /// Checks one draft.
    pub fn check(&self, input: &str, options: &CheckOptions) -> Report {
        let format = options.format.unwrap_or_else(|| InputFormat::sniff(input));
        let extracted = input::extract(input, format);
        let norm = normalize::normalize(&extracted.text);
        let forced = options.language.forced();
        let matches = self.engine.scan(&norm, &extracted.text, forced);
        let draft = findings::Draft {
            input,
            extracted: &extracted,
            norm: &norm,
            customer_name: options
                .customer_name
                .as_deref()
                .filter(|n| !n.trim().is_empty()),
        };
        let findings = findings::build(
            &self.book.rules,
            &self.engine.rule_tags,
            &self.engine.tag_names,
            &self.names,
            &draft,
            matches,
        );
        let language =
            forced.unwrap_or_else(|| Language::dominant(norm.cyrillic_letters, norm.latin_letters));
        Report { language, findings }
    }

    /// The pre-send verdict on a report, by the configured policy.
    pub fn verdict(&self, report: &Report, channel: Option<&str>) -> Verdict {
        self.policy.verdict(&report.findings, channel)
    }

    /// The configured verdict policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether a report fails the run at the configured severity.
    pub fn fails(&self, report: &Report) -> bool {
        report
            .findings
            .iter()
            .any(|f| self.fail_on.fails(f.severity))
    }
}
