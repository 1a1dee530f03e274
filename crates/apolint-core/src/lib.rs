//! apolint's linter: a draft in, findings out.
//!
//! The pipeline has one module per stage; the rule data model and the
//! stages that rule files share (normalisation, segmentation, patterns)
//! live in [`apolint_rules`], re-exported here as [`rules`]:
//!
//! 1. [`input`]: the input as read → the agent's own words (markup, quotes,
//!    signatures masked; offsets kept).
//! 2. `rules::normalize`: → lowercase, folded text for matching, with an
//!    offset map back.
//! 3. `rules::segment`: words, sentences and language, per line.
//! 4. `matcher` (private): every word looked up once in the patterns'
//!    vocabulary to find the phrases anchored on it, each verified against
//!    its pattern; regexes run on the lines that hold one of their literals.
//! 5. [`findings`]: document-level rules, merging, spans in the original.
//!
//! Around it, the use cases every front end shares: [`files`] (reading and
//! decoding drafts), [`config`] (`apolint.toml` → a [`Linter`]),
//! [`request`] (a JSON request → an [`request::Answer`] with a
//! [`Verdict`]), [`output`] (renderings for people and programs), and
//! [`eval`] (precision and recall on a labelled corpus). No async runtime,
//! HTTP, LSP, CSV or terminal dependency: the front ends are crates of
//! their own.
//!
//! ```
//! use apolint_core::{CheckOptions, Linter};
//! let linter = Linter::builtin().expect("built-in rules load");
//! let report = linter.check("Приносим свои извинения за задержку.", &CheckOptions::default());
//! assert!(report.findings.iter().any(|f| f.category.name() == "cliche"));
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod builtin;
pub mod config;
// Read by `build.rs`; compiled here for its tests.
#[cfg(test)]
mod digit_reach;
pub mod eval;
pub mod eval_parts;
pub mod examples;
pub mod files;
pub mod findings;
pub mod input;
mod matcher;
pub mod output;
mod quote_header_hint;
pub mod request;
pub mod structure;
pub mod threads;
pub mod verdict;

pub use apolint_rules as rules;
use apolint_rules::normalize::Normalized;
pub use apolint_rules::{Category, FileError, Language, Rule, RuleBook, Severity, Situation};
pub use config::Config;
pub use findings::{Finding, SharedStr, Span};
pub use input::InputFormat;
#[doc(hidden)]
pub use matcher::AnchorMode;
pub use request::{CheckRequest, RequestError};
pub use structure::{Part, Structure, StructureConfig};
pub use verdict::{FailOn, Policy, Verdict};

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

/// `auto` (or empty), `ru` or `en`: the spelling of the command line, the
/// requests, `apolint.toml` and the language server's settings alike.
impl std::str::FromStr for LanguageChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" | "" => Ok(LanguageChoice::Auto),
            "ru" => Ok(LanguageChoice::Ru),
            "en" => Ok(LanguageChoice::En),
            other => Err(format!("expected auto, ru or en, got {other:?}")),
        }
    }
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
    /// What the reply answers (`None`: inferred from the draft).
    pub situation: Option<Situation>,
    /// Keep each finding's suggestions in their rule's order rather than
    /// put first the one that shares most words with the draft. For a
    /// caller that shows no suggestions (the audit, the evaluations): it
    /// then skips stemming the draft's words, ~2% of an audit's
    /// instructions (issue #19). The findings are otherwise the same.
    /// Drafts over 16 KB keep the rule's order either way.
    pub suggestions_in_rule_order: bool,
}

/// Most findings reported for one draft, by every front end (the
/// command line, the stream, `hook`, the service, the language server and
/// the audit). A real reply has a handful; a draft with thousands is a
/// paste accident or an attack, and listing them all would make one answer
/// tens of megabytes. Beyond the cap the most severe findings are kept
/// and [`Report::omitted`] counts the rest.
pub const MAX_FINDINGS: usize = 1000;

/// How many times [`Linter::fix`] checks and fixes a draft at most: a fix
/// that makes another fixable finding (rare) is picked up on the next
/// pass, and two rules that undo each other cannot loop.
pub const MAX_FIX_PASSES: usize = 10;

/// A draft with its safe fixes applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    /// The fixed text (the input when nothing was fixed).
    pub text: String,
    /// How many fixes were applied, over all passes.
    pub applied: usize,
    /// The findings that remain in the fixed text.
    pub report: Report,
}

/// The result of checking one draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Dominant language of the draft (or the forced one).
    pub language: Language,
    /// Findings, sorted by position; at most [`MAX_FINDINGS`].
    pub findings: Vec<Finding>,
    /// Findings left out because the draft had more than [`MAX_FINDINGS`]
    /// (the least severe ones, latest first); 0 normally.
    pub omitted: usize,
    /// The situation the rules were applied in: the caller's, or inferred.
    pub situation: Situation,
    /// Which parts of a good reply it has, and its score: replies to a
    /// complaint only.
    pub structure: Option<Structure>,
}

/// A compiled set of rules, ready to check drafts. Cheap to share across
/// threads (`&Linter` is all `check` needs).
#[derive(Debug)]
pub struct Linter {
    book: RuleBook,
    /// The rules with their explanations and `fire`/`quiet` examples, when
    /// `book` is the built-in one decoded without them: filled from the
    /// full built-in book on the first [`Linter::rules`] (`explain`,
    /// hovers, SARIF, `/rules`).
    documented: Option<std::sync::OnceLock<Vec<Rule>>>,
    engine: matcher::Engine,
    draft_rules: findings::DraftRules,
    names: findings::NameIndex,
    per_rule: findings::PerRuleCache,
    fail_on: FailOn,
    policy: Policy,
    structure: StructureConfig,
}

/// The draft-level rules of `book`, with `engine` told how many lexicon
/// matches they read (see [`matcher::TagBudget`]).
fn draft_rules(book: &RuleBook, engine: &mut matcher::Engine) -> findings::DraftRules {
    let rules = findings::DraftRules::new(&book.rules, &engine.tag_names);
    engine.set_tag_budget(rules.tag_budget(&book.rules, engine.tag_names.len()));
    rules
}

impl Linter {
    /// The built-in rule packs with default settings.
    pub fn builtin() -> Result<Linter, Vec<FileError>> {
        Self::with_config(&Config::default())
    }

    /// The built-in packs adjusted by a configuration.
    pub fn with_config(config: &Config) -> Result<Linter, Vec<FileError>> {
        // Most configurations keep the built-in rules as they are (they
        // change severities, verdicts, the checklist): then the engine
        // compiled at build time serves, next to the book without its
        // patterns. Anything that adds, drops or narrows rules compiles
        // the full book here.
        let (book, mut engine, lean) = match Self::configured_book(config, builtin::lean_book()?)? {
            (book, true) => (book, builtin::engine()?, true),
            (_, false) => {
                let (book, _) = Self::configured_book(config, builtin::book()?)?;
                let engine = matcher::Engine::compile(&book);
                (book, engine, false)
            }
        };
        book.validate()?;
        let policy = config.policy(&book)?;
        // The lean book has no name groups (the built-in ones are stored
        // apart): any it has now, rule files added.
        let names = match (lean, book.names.is_empty()) {
            (true, true) => findings::NameIndex::builtin(builtin::names()?),
            (true, false) => {
                let mut groups = builtin::name_groups()?;
                groups.extend(book.names.iter().cloned());
                findings::NameIndex::new(groups)
            }
            (false, _) => findings::NameIndex::new(book.names.clone()),
        };
        let linter = Linter {
            draft_rules: draft_rules(&book, &mut engine),
            names,
            per_rule: findings::PerRuleCache::default(),
            book,
            documented: lean.then(std::sync::OnceLock::new),
            engine,
            fail_on: config.fail_on,
            policy,
            structure: config.structure,
        };
        linter.run_pack_examples(config)?;
        Ok(linter)
    }

    /// Runs the examples of the rules a configuration's `rule_dirs` added
    /// (see [`examples`]): a pack whose rule misses its own `fire` example,
    /// fires on a `quiet` one or has a fix that keeps its match is an error
    /// in that pack, as the built-in packs' are in the test suite.
    fn run_pack_examples(&self, config: &Config) -> Result<(), Vec<FileError>> {
        if config.rule_dirs.is_empty() || self.documented.is_some() {
            return Ok(());
        }
        let from_packs = |r: &&Rule| {
            config
                .rule_dirs
                .iter()
                .any(|d| std::path::Path::new(&r.source).starts_with(d))
        };
        let packs: Vec<&Rule> = self.book.rules.iter().filter(from_packs).collect();
        let errors: Vec<FileError> = examples::failures(self, packs.iter().copied())
            .iter()
            .map(|f| {
                let source = packs
                    .iter()
                    .find(|r| r.id == f.rule)
                    .map_or("", |r| r.source.as_str());
                examples::file_error(f, source)
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// `builtin` with `config` applied, and whether its rules and lexicons
    /// are still exactly the built-in ones (same ids in the same order).
    fn configured_book(
        config: &Config,
        mut book: RuleBook,
    ) -> Result<(RuleBook, bool), Vec<FileError>> {
        let ids: Vec<String> = book.rules.iter().map(|r| r.id.clone()).collect();
        let lexicons = book.lexicons.len();
        // The settings are applied to every built-in rule first, so that
        // `disable = ["ru.…"]` with `languages = ["en"]` names a known rule
        // (and a user's rule cannot reuse a Russian id); then `languages`
        // drops the built-in packs not asked for, never a user's rules.
        config.apply(&mut book)?;
        if !config.languages.is_empty() {
            let builtin: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
            book.rules.retain(|r| {
                !builtin.contains(r.id.as_str())
                    || r.lang == apolint_rules::RuleLang::Any
                    || config.languages.iter().any(|l| l == r.lang.code())
            });
        }
        let unchanged = book.lexicons.len() == lexicons
            && book.rules.len() == ids.len()
            && book.rules.iter().zip(&ids).all(|(r, id)| r.id == *id);
        Ok((book, unchanged))
    }

    /// The linter for a config file (`None`: the built-in packs with
    /// default settings).
    pub fn from_config_file(path: Option<&std::path::Path>) -> Result<Linter, Vec<FileError>> {
        match path {
            Some(p) => Config::load(p).and_then(|c| Self::with_config(&c)),
            None => Self::builtin(),
        }
    }

    /// Compiles an already loaded and validated rule book.
    pub fn from_book(book: RuleBook, fail_on: FailOn) -> Linter {
        let mut engine = matcher::Engine::compile(&book);
        Linter {
            draft_rules: draft_rules(&book, &mut engine),
            names: findings::NameIndex::new(book.names.clone()),
            per_rule: findings::PerRuleCache::default(),
            book,
            documented: None,
            engine,
            fail_on,
            policy: Policy::default(),
            structure: StructureConfig::default(),
        }
    }

    /// The loaded rules, with their explanations and examples.
    pub fn rules(&self) -> &[Rule] {
        let Some(documented) = &self.documented else {
            return &self.book.rules;
        };
        documented.get_or_init(|| {
            let mut rules = self.book.rules.clone();
            // The full book decodes (a test decodes it); were it not to,
            // the rules would only lack their documentation.
            if let Ok(full) = builtin::book() {
                let by_id: std::collections::HashMap<&str, &Rule> =
                    full.rules.iter().map(|r| (r.id.as_str(), r)).collect();
                for rule in &mut rules {
                    if let Some(r) = by_id.get(rule.id.as_str()) {
                        rule.explanation.clone_from(&r.explanation);
                        rule.fire.clone_from(&r.fire);
                        rule.quiet.clone_from(&r.quiet);
                    }
                }
            }
            rules
        })
    }

    /// The loaded rule book (rules, lexicons, name groups). With the
    /// built-in rules it is the lean book: its rules lack their
    /// explanations and examples ([`Linter::rules`] has them) and it has
    /// only the name groups rule files added.
    pub fn book(&self) -> &RuleBook {
        &self.book
    }

    /// The configured failing severity.
    pub fn fail_on(&self) -> FailOn {
        self.fail_on
    }

    /// Chooses how the engine finds anchors: a benchmark and test hook
    /// (issue #19 compares the two on the same inputs).
    #[doc(hidden)]
    pub fn set_anchor_mode(&mut self, mode: matcher::AnchorMode) {
        self.engine.set_anchor_mode(mode);
    }

    /// Number of distinct anchors: words and prefixes phrases are anchored
    /// on, and the regexes' literals.
    pub fn anchor_count(&self) -> usize {
        self.engine.anchor_count()
    }

    /// Checks one draft.
    pub fn check(&self, input: &str, options: &CheckOptions) -> Report {
        let format = options.format.unwrap_or_else(|| InputFormat::sniff(input));
        if self.engine.may_share_scan(input.len()) {
            return self.check_large(input, options, format);
        }
        let (extracted, norm) = prepare(input, format, String::new);
        let forced = options.language.forced();
        let matches = self
            .engine
            .scan(&norm, &extracted.text, forced, &extracted.block_starts);
        self.report(input, options, &extracted, &norm, matches)
    }

    /// [`Linter::check`] of a draft large enough for its scan to be shared
    /// by two threads: the helper thread is started first, and waits while
    /// this one extracts and normalises the draft. Started at the scan, it
    /// began 0.2-3.3 ms late (a new thread waits on the busy core until
    /// the scheduler moves it, up to a tick later), a tenth of checking a
    /// megabyte; started first, it was woken 60-230 µs after the hand-over,
    /// and this thread steps onto the other CPU as it starts it
    /// ([`threads::spawn_beside`]: 200 paired runs of the 1 MB files, with
    /// the CLI's linter-building thread started so too, -2.4% English,
    /// -4.4% Russian; piped in, -4.2% and -4.1%).
    fn check_large(&self, input: &str, options: &CheckOptions, format: InputFormat) -> Report {
        let forced = options.language.forced();
        // Filled once the helper is running, but declared before the scope
        // so that it can borrow them.
        let prepared: std::sync::OnceLock<(input::Extracted<'_>, Normalized)> =
            std::sync::OnceLock::new();
        let shared: std::sync::OnceLock<Option<matcher::SharedScan<'_>>> =
            std::sync::OnceLock::new();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let (touched, buffers) = std::sync::mpsc::channel::<String>();
        let normalising = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            // Owned here, so that returning or unwinding from this closure
            // drops it: the helper's wait then ends with nothing to do.
            let go = go;
            let (shared_ref, normalising_ref) = (&shared, &normalising);
            // A thread the system refuses leaves its part to this one.
            let helper = threads::spawn_beside(scope, move || {
                // First the buffer that thread normalises into, its
                // pages touched here while that one extracts: it then
                // takes no page faults for it (~0.5 ms a megabyte, on
                // this thread instead; 300 paired runs of the 1 MB files,
                // this alone: -0.6% English, -0.2% Russian, at the noise;
                // touching the buffer of the masked copy too: +1.1%). Not
                // ready in time (this thread can start a millisecond
                // late), it is not waited for; started too late, not made.
                if !normalising_ref.load(std::sync::atomic::Ordering::Acquire) {
                    let _ = touched.send(touched_buffer(input.len()));
                }
                drop(touched);
                // Until the scan is ready, the regexes without
                // stored DFAs get ready (lazy DFAs built, a user's
                // regexes compiled), as the scan would have them.
                let mut ready = None;
                self.engine.ready_regexes_without_dfas(|| {
                    ready = match wait.try_recv() {
                        Ok(()) => Some(true),
                        Err(std::sync::mpsc::TryRecvError::Empty) => None,
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => Some(false),
                    };
                    ready.is_some()
                });
                match ready {
                    Some(go) => go.then_some(())?,
                    None => wait.recv().ok()?,
                }
                let shared = shared_ref.get()?.as_ref()?;
                Some(self.engine.scan_helper_part(shared))
            })
            .ok();
            let (extracted, norm) = prepared.get_or_init(|| {
                prepare(input, format, move || {
                    normalising_ref.store(true, std::sync::atomic::Ordering::Release);
                    // A buffer that comes later is dropped at once, with
                    // `buffers`.
                    buffers.try_recv().unwrap_or_default()
                })
            });
            let scan = shared.get_or_init(|| {
                self.engine.prepare_shared_scan(
                    norm,
                    &extracted.text,
                    forced,
                    &extracted.block_starts,
                )
            });
            let matches = match scan {
                Some(scan) => {
                    // The helper is waiting for this. Had it ended, the
                    // send would fail and its part be done here.
                    let _ = go.send(());
                    self.engine.finish_shared_scan(scan, || match helper {
                        Some(helper) => helper.join(),
                        None => Ok(None),
                    })
                }
                // Extracted too small to share (markup, mostly).
                None => {
                    drop(go);
                    self.engine.scan_on_one_thread(
                        norm,
                        &extracted.text,
                        forced,
                        &extracted.block_starts,
                    )
                }
            };
            self.report(input, options, extracted, norm, matches)
        })
    }

    /// The report on a draft from its scan's matches.
    fn report(
        &self,
        input: &str,
        options: &CheckOptions,
        extracted: &input::Extracted<'_>,
        norm: &Normalized,
        matches: matcher::Matches,
    ) -> Report {
        let forced = options.language.forced();
        let language =
            forced.unwrap_or_else(|| Language::dominant(norm.cyrillic_letters, norm.latin_letters));
        let draft = findings::Draft {
            input,
            extracted,
            norm,
            language,
            customer_name: options
                .customer_name
                .as_deref()
                .filter(|n| !n.trim().is_empty()),
            situation: options.situation,
            rank_suggestions: !options.suggestions_in_rule_order,
        };
        let compiled = findings::CompiledRules {
            rules: &self.book.rules,
            rule_tags: &self.engine.rule_tags,
            tag_names: &self.engine.tag_names,
            draft_rules: &self.draft_rules,
            names: &self.names,
            per_rule: &self.per_rule,
        };
        let findings::Built {
            findings,
            omitted,
            situation,
            parts,
        } = findings::build(&compiled, &draft, matches, MAX_FINDINGS);
        let structure = structure::assess(&parts, &findings, situation, &self.structure);
        Report {
            language,
            findings,
            omitted,
            situation,
            structure,
        }
    }

    /// Applies every safe fix to a draft, as `check --fix` does: the fixes
    /// of its findings ([`output::apply_fixes`]), then the draft checked
    /// again and the fixes of what that finds, until nothing changes (at
    /// most [`MAX_FIX_PASSES`] passes). A pass must leave fewer findings
    /// with a fix than it found: one that does not (a user's fix that
    /// brings back its own match, `kindly` → `kindly, kindly`) is undone
    /// and the fixing stops, so a bad fix cannot multiply the text. The
    /// report is of the fixed text.
    pub fn fix(&self, input: &str, options: &CheckOptions) -> Fixed {
        let fixable = |r: &Report| r.findings.iter().filter(|f| f.fix.is_some()).count();
        let mut text = input.to_owned();
        let mut applied = 0;
        let mut report = self.check(&text, options);
        for _ in 0..MAX_FIX_PASSES {
            let (fixed, n) = output::apply_fixes(&text, &report.findings);
            if n == 0 {
                break;
            }
            let after = self.check(&fixed, options);
            if fixable(&after) >= fixable(&report) {
                break;
            }
            applied += n;
            text = fixed;
            report = after;
        }
        Fixed {
            text,
            applied,
            report,
        }
    }

    /// The pre-send verdict on a report, by the configured policy: its
    /// findings, and its structure's score when `[structure] warn_below`
    /// is set.
    pub fn verdict(&self, report: &Report, channel: Option<&str>) -> Verdict {
        let by_findings = self.policy.verdict(&report.findings, channel);
        let low_score = match (self.structure.warn_below, &report.structure) {
            (Some(min), Some(s)) => s.score < min,
            _ => false,
        };
        if low_score {
            by_findings.max(Verdict::Warn)
        } else {
            by_findings
        }
    }

    /// The structure settings (`[structure]`).
    pub fn structure_config(&self) -> &StructureConfig {
        &self.structure
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

/// An empty buffer of `len` bytes' capacity, its memory written once so
/// that its pages are in place. Written with spaces, not zeros: the
/// optimiser turns an allocation filled with zeros (`vec![0; len]`, or
/// `resize(len, 0)` as here before) into a zeroed one, which the
/// allocator serves from fresh memory without writing a byte, so no page
/// was touched (perf record -e page-faults: none on the helper, all on
/// the thread that normalised; issue #19).
fn touched_buffer(len: usize) -> String {
    let mut bytes = Vec::with_capacity(len);
    bytes.resize(len, b' ');
    bytes.clear();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A draft's text as the engine reads it: extracted (markup and quotes
/// masked), then normalised into the buffer `buffer` gives once the draft
/// is extracted (see [`apolint_rules::normalize::normalize_into`]).
fn prepare(
    input: &str,
    format: InputFormat,
    buffer: impl FnOnce() -> String,
) -> (input::Extracted<'_>, Normalized) {
    let extracted = input::extract(input, format);
    let norm = apolint_rules::normalize::normalize_into(&extracted.text, buffer());
    (extracted, norm)
}

/// Drafts for tests that run over everything the repository holds.
#[cfg(test)]
pub(crate) mod test_corpus {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    /// Every draft the repository holds: the corpus, its samples, the two
    /// held-out sets (and `../shared/realworld` when it is there).
    pub(crate) fn all_drafts() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut drafts = Vec::new();
        let mut dirs = vec![root.join("corpus"), root.join("corpus-holdout")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "txt" || x == "md") {
                    drafts.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        for f in [
            root.join("holdout-2026-12/en.jsonl"),
            root.join("holdout-2026-12/ru.jsonl"),
            root.join("../shared/realworld/en.jsonl"),
            root.join("../shared/realworld/ru.jsonl"),
        ] {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            for l in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                drafts.push(v["text"].as_str().unwrap().to_owned());
            }
        }
        assert!(drafts.len() > 700, "{} drafts", drafts.len());
        drafts
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// "That was not our mistake" denies the fault the checklist's
    /// `responsibility` part looks for, and argues about blame; "that was
    /// our mistake" owns it. Found by trying the tool as a new user: the
    /// denial was read as taking responsibility, so the checklist then asked
    /// the reply for compensation.
    #[test]
    fn a_denied_fault_is_no_responsibility_taken() {
        let linter = Linter::builtin().unwrap();
        let options = CheckOptions::default();
        let reply = |middle: &str| {
            format!(
                "Hi Tom, I'm sorry your parcel arrived late. {middle} We will send a new one \
                 tomorrow by noon. Thanks for your patience. Anna"
            )
        };
        for denial in [
            "That was not our mistake.",
            "It wasn't our mistake.",
            "This is not really our fault.",
            "This was not entirely our fault.",
            "That was not at all our mistake.",
        ] {
            let report = linter.check(&reply(denial), &options);
            let structure = report.structure.as_ref().unwrap();
            assert!(!structure.part(Part::Responsibility).present, "{denial}");
            let has = |c| report.findings.iter().any(|f| f.category == c);
            assert!(
                has(rules::Category::BlameShifting),
                "{denial}: {:?}",
                report.findings
            );
            // No fault admitted, so nothing to compensate (domain.md).
            assert!(!has(rules::Category::MissingCompensation), "{denial}");
        }
        for admission in [
            "That was our mistake.",
            "Sorry, our mistake.",
            "That was entirely our fault.",
        ] {
            let report = linter.check(&reply(admission), &options);
            let structure = report.structure.as_ref().unwrap();
            assert!(structure.part(Part::Responsibility).present, "{admission}");
        }
    }

    /// The corpus drafts of `lang`, joined as one reply of at least
    /// `min_bytes`.
    fn joined_corpus(lang: &str, min_bytes: usize) -> String {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../corpus")
            .join(lang)
            .join("drafts");
        let files = files::draft_files(&dir).unwrap().files;
        // Without quoted threads and signatures: masked to the end of
        // the reply, they would leave little to check.
        let drafts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .filter(|d| {
                !d.lines().any(|l| {
                    l.starts_with(['>', '-'])
                        || ["wrote", "написал", "from:", "sent:"]
                            .iter()
                            .any(|w| l.to_lowercase().contains(w))
                })
            })
            .collect();
        let mut text = String::new();
        for d in drafts.iter().cycle() {
            if text.len() >= min_bytes {
                break;
            }
            text.push_str(d);
            text.push_str("\n\n");
        }
        text
    }

    /// The report of `input` with its scan on the calling thread alone.
    fn report_on_one_thread(linter: &Linter, input: &str, options: &CheckOptions) -> Report {
        let format = options.format.unwrap_or_else(|| InputFormat::sniff(input));
        let (extracted, norm) = prepare(input, format, String::new);
        let matches = linter.engine.scan_on_one_thread(
            &norm,
            &extracted.text,
            options.language.forced(),
            &extracted.block_starts,
        );
        linter.report(input, options, &extracted, &norm, matches)
    }

    #[test]
    fn a_large_draft_is_checked_on_two_threads_as_on_one() {
        let linter = Linter::builtin().unwrap();
        let options = CheckOptions::default();
        for lang in ["en", "ru"] {
            let draft = joined_corpus(lang, 300 << 10);
            assert!(linter.engine.may_share_scan(draft.len()));
            let shared = linter.check(&draft, &options);
            assert!(
                shared.findings.len() > 100,
                "{lang}: {}",
                shared.findings.len()
            );
            assert!(
                shared == report_on_one_thread(&linter, &draft, &options),
                "{lang}"
            );
        }
        // Markup that extracts to a short text: too small to share once
        // extracted, so the waiting helper is let go and the scan is done
        // on this thread.
        let html = format!(
            "<div>{}<p>We apologize for any inconvenience!!!</p></div>",
            "<span></span>".repeat(10_000)
        );
        assert!(linter.engine.may_share_scan(html.len()));
        let report = linter.check(&html, &options);
        assert!(!report.findings.is_empty());
        assert_eq!(report, report_on_one_thread(&linter, &html, &options));
    }
}
