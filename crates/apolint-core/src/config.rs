//! `apolint.toml`: project configuration, discovered upward from each
//! checked file's folder (stdin: the current directory) like ruff's
//! `pyproject.toml`.
//!
//! ```toml
//! fail_on = "warning"            # error | warning | info | never
//! languages = ["ru", "en"]       # which built-in packs to load
//! rule_dirs = ["team-rules"]     # extra rule packs (relative to this file)
//!
//! [rules]
//! disable = ["ru.hint.problema"]
//! enable = ["ru.hint.k-sozhaleniyu"]   # re-enable inside a disabled category
//!
//! [categories]
//! disable = ["hint"]
//!
//! [severity]                     # by rule id or by category
//! "ru.cliche.nam-ochen-zhal" = "info"
//! shouting = "error"
//!
//! [[phrase]]                     # company-banned phrases
//! pattern = "уважаемый клиент"
//! message = "Обращайтесь по имени."
//!
//! [verdict]                      # the pre-send hook's answer (serve, hook)
//! block = ["placeholder", "name-mismatch"]  # categories or rule ids that block
//! block_on = "never"             # or: any finding at/above this severity blocks
//! warn_on = "warning"            # findings at/above this ask the agent to confirm
//! [verdict.channel.chat]         # per channel (the request's `channel`)
//! warn_on = "error"
//!
//! [[require]]                    # what every draft must contain
//! id = "custom.require.ticket"
//! patterns = ["обращени* №", "ticket #"]
//! category = "hint"
//! message = "Укажите номер обращения."
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::structure::StructureConfig;
use crate::verdict::{FailOn, Policy, Selector, VerdictRules};
use apolint_rules::book::{Category, RuleBook, Severity};
use apolint_rules::diagnostics::{closest, from_toml, FileError};

/// The file name looked for.
pub const FILE_NAME: &str = "apolint.toml";

/// A loaded configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it was read from (`None`: defaults).
    pub path: Option<PathBuf>,
    /// The failing severity.
    pub fail_on: FailOn,
    /// Built-in languages to load (empty: all).
    pub languages: Vec<String>,
    /// Extra rule directories, resolved against the config's folder.
    pub rule_dirs: Vec<PathBuf>,
    /// `[structure]`: the checklist and score of replies to a complaint.
    pub structure: StructureConfig,
    raw: Option<RawConfig>,
    text: Option<Arc<str>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    languages: Vec<Spanned<String>>,
    #[serde(default)]
    rule_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    rules: RawToggles,
    #[serde(default)]
    categories: RawToggles,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    phrase: Vec<RawPhrase>,
    #[serde(default)]
    require: Vec<RawPhrase>,
    #[serde(default)]
    verdict: RawVerdict,
    #[serde(default)]
    structure: StructureConfig,
}

/// `[verdict]` and `[verdict.channel.NAME]`: how findings become send /
/// warn / block for the pre-send hook.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawVerdict {
    #[serde(default)]
    block: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    block_on: Option<Spanned<String>>,
    #[serde(default)]
    warn_on: Option<Spanned<String>>,
    #[serde(default)]
    channel: BTreeMap<String, RawVerdictRules>,
}

// The same three keys as `RawVerdict` (serde's `flatten` would lose
// `deny_unknown_fields`, which is what points at a misspelt key).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawVerdictRules {
    #[serde(default)]
    block: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    block_on: Option<Spanned<String>>,
    #[serde(default)]
    warn_on: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawToggles {
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    enable: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhrase {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    patterns: Vec<String>,
    message: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    suggestions: Vec<String>,
}

/// An absolute path with its `..` taken off lexically (`/a/b/../c` →
/// `/a/c`), so that looking upward from `../other/draft.txt` goes through
/// `other`'s ancestors, not the current directory's.
fn without_dot_dot(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Why the configuration a front end asked for could not be had.
#[derive(Debug)]
pub enum ConfigError {
    /// `--config FILE` names no file.
    NotFound(PathBuf),
    /// The file (or a rule file it names) has errors, each pointed at.
    Invalid(Vec<FileError>),
}

impl Config {
    /// The configuration a front end runs with: `explicit` (which must
    /// exist) if given, the defaults if `disabled`, else the
    /// `apolint.toml` found upward from `start`, else the defaults.
    pub fn resolve(
        explicit: Option<&Path>,
        disabled: bool,
        start: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        Config::load_located(Config::locate(explicit, disabled, start)?)
    }

    /// Which config file [`Config::resolve`] would read: `explicit` (which
    /// must exist), none if `disabled`, else the `apolint.toml` found
    /// upward from the folder `start`. `None`: the defaults.
    pub fn locate(
        explicit: Option<&Path>,
        disabled: bool,
        start: Option<&Path>,
    ) -> Result<Option<PathBuf>, ConfigError> {
        if disabled {
            return Ok(None);
        }
        Ok(match explicit {
            Some(p) if !p.is_file() => return Err(ConfigError::NotFound(p.to_path_buf())),
            Some(p) => Some(p.to_path_buf()),
            None => start.and_then(Config::discover),
        })
    }

    /// Reads the file [`Config::locate`] found (`None`: the defaults).
    pub fn load_located(path: Option<PathBuf>) -> Result<Config, ConfigError> {
        match path {
            Some(p) => Config::load(&p).map_err(ConfigError::Invalid),
            None => Ok(Config::default()),
        }
    }

    /// Looks for `apolint.toml` in `start` and its ancestors. A folder of
    /// that name is found too, to be refused by [`Config::load`]: skipped,
    /// it silently left the team's settings unapplied. (A pipe or socket
    /// of that name is not: reading it would block.)
    pub fn discover(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            // One `stat` per folder: asked as is_file then is_dir, a
            // folder without the file took two, per draft checked.
            .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() || m.is_dir()))
    }

    /// The folder a draft's configuration is looked for from: the folder of
    /// `file` (made absolute, so a relative `draft.txt` looks in the
    /// current directory and its ancestors), or `fallback` for a draft with
    /// no file (stdin, an untitled editor buffer). The command line and the
    /// language server both start here, so a draft is checked with the same
    /// `apolint.toml` whichever runs it.
    pub fn start_for(file: Option<&Path>, fallback: Option<&Path>) -> Option<PathBuf> {
        file.and_then(|f| std::path::absolute(f).ok())
            .map(|f| without_dot_dot(&f))
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .or_else(|| fallback.map(Path::to_path_buf))
    }

    /// The `apolint.toml` that applies to `file`: found upward from
    /// [`Config::start_for`], else upward from `fallback` (the current
    /// directory), as the contract has it: a draft outside the current
    /// folder's tree with no config of its own gets the current one.
    pub fn discover_for(file: Option<&Path>, fallback: Option<&Path>) -> Option<PathBuf> {
        let start = Config::start_for(file, fallback);
        let found = start.as_deref().and_then(Config::discover);
        match fallback {
            Some(f) if found.is_none() && start.as_deref() != Some(f) => Config::discover(f),
            _ => found,
        }
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config, Vec<FileError>> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            let why = if path.is_dir() {
                "is a folder, not a config file: rename it, or run with --no-config or --config FILE"
                    .to_owned()
            } else {
                format!("cannot read config: {e}")
            };
            vec![FileError::new(&name, &Arc::from(""), 0..0, why)]
        })?;
        Self::parse(&name, &text, path.parent())
    }

    /// Parses config text; `dir` resolves relative rule directories.
    pub fn parse(name: &str, text: &str, dir: Option<&Path>) -> Result<Config, Vec<FileError>> {
        // A byte-order mark (Windows editors write one) is not part of the
        // file's first line: columns are counted without it, as a draft's.
        let text = apolint_rules::without_bom(text);
        let shared: Arc<str> = Arc::from(text);
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| vec![from_toml(name, &shared, &e)])?;
        let mut errors = Vec::new();
        let fail_on = match &raw.fail_on {
            Some(f) => FailOn::parse(f.get_ref()).unwrap_or_else(|m| {
                errors.push(FileError::new(name, &shared, f.span(), m));
                FailOn::default()
            }),
            None => FailOn::default(),
        };
        for l in &raw.languages {
            if !matches!(l.get_ref().as_str(), "ru" | "en") {
                errors.push(FileError::new(
                    name,
                    &shared,
                    l.span(),
                    format!("unknown language `{}`; expected ru or en", l.get_ref()),
                ));
            }
        }
        let base = dir.map(Path::to_path_buf).unwrap_or_default();
        let rule_dirs: Vec<PathBuf> = raw
            .rule_dirs
            .iter()
            .map(|d| base.join(d.get_ref()))
            .collect();
        // A folder that is not there is this line's mistake, said here
        // with its place, not as an unreadable rule file at "1:1". (One
        // rule file named instead of a folder loads, as it always has.)
        for (d, path) in raw.rule_dirs.iter().zip(&rule_dirs) {
            if !path.exists() {
                errors.push(
                    FileError::new(
                        name,
                        &shared,
                        d.span(),
                        format!(
                            "rule folder `{}` does not exist ({})",
                            d.get_ref(),
                            path.display()
                        ),
                    )
                    .with_help(
                        "rule_dirs lists folders of rule files, relative to this config file: \
                         create it, or remove it from the list",
                    ),
                );
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            path: Some(PathBuf::from(name)),
            fail_on,
            languages: raw.languages.iter().map(|l| l.get_ref().clone()).collect(),
            rule_dirs,
            structure: raw.structure,
            raw: Some(raw),
            text: Some(shared),
        })
    }

    /// Applies the configuration to a rule book: extra dirs, inline phrases
    /// and requirements, enable/disable, severity overrides. Unknown rule ids
    /// and categories are errors that suggest the closest valid name.
    pub fn apply(&self, book: &mut RuleBook) -> Result<(), Vec<FileError>> {
        let mut errors = Vec::new();
        for dir in &self.rule_dirs {
            if let Err(mut e) = book.add_dir(dir) {
                errors.append(&mut e);
            }
        }
        let (Some(raw), Some(text)) = (&self.raw, &self.text) else {
            return if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            };
        };
        let name = self
            .path
            .as_ref()
            .map_or_else(|| FILE_NAME.to_owned(), |p| p.display().to_string());
        if let Err(mut e) = inline_rules(raw, &name, text, book) {
            errors.append(&mut e);
        }
        let ids: Vec<String> = book.rules.iter().map(|r| r.id.clone()).collect();
        let err = |v: &Spanned<String>, what: &str, valid: &[&str]| {
            let e = FileError::new(
                &name,
                text,
                v.span(),
                format!("unknown {what} `{}`", v.get_ref()),
            );
            match closest(v.get_ref(), valid.iter().copied()) {
                Some(c) => e.with_help(format!("did you mean `{c}`?")),
                None => e.with_help(format!(
                    "run `apolint rules` to list the valid {}",
                    match what {
                        "category" => "categories",
                        "rule id" => "rule ids",
                        _ => "rule ids and categories",
                    }
                )),
            }
        };
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let cat_names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
        let mut disabled_categories = Vec::new();
        for c in &raw.categories.disable {
            match c.get_ref().parse::<Category>() {
                Ok(cat) => disabled_categories.push(cat),
                Err(_) => errors.push(err(c, "category", &cat_names)),
            }
        }
        let mut enabled = Vec::new();
        for r in &raw.rules.enable {
            if ids.contains(r.get_ref()) {
                enabled.push(r.get_ref().clone());
            } else {
                errors.push(err(r, "rule id", &id_refs));
            }
        }
        let mut disabled = Vec::new();
        for r in &raw.rules.disable {
            if enabled.contains(r.get_ref()) {
                // Which one was meant cannot be guessed: enable won, silently.
                errors.push(
                    FileError::new(
                        &name,
                        text,
                        r.span(),
                        format!("rule `{}` is both enabled and disabled", r.get_ref()),
                    )
                    .with_help("keep it in one of `[rules] enable` and `[rules] disable`"),
                );
            } else if ids.contains(r.get_ref()) {
                disabled.push(r.get_ref().clone());
            } else {
                errors.push(err(r, "rule id", &id_refs));
            }
        }
        for (key, value) in &raw.severity {
            let sev = match value.get_ref().parse::<Severity>() {
                Ok(s) => s,
                Err(m) => {
                    errors.push(FileError::new(&name, text, value.span(), m));
                    continue;
                }
            };
            if let Ok(cat) = key.get_ref().parse::<Category>() {
                book.rules
                    .iter_mut()
                    .filter(|r| r.category == cat)
                    .for_each(|r| r.severity = sev);
            } else if let Some(rule) = book.rules.iter_mut().find(|r| r.id == *key.get_ref()) {
                rule.severity = sev;
            } else {
                let mut valid = id_refs.clone();
                valid.extend(&cat_names);
                errors.push(err(key, "rule id or category", &valid));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        book.rules.retain(|r| {
            enabled.contains(&r.id)
                || (!disabled.contains(&r.id) && !disabled_categories.contains(&r.category))
        });
        Ok(())
    }
}

impl Config {
    /// The verdict policy (`[verdict]`), checked against the final rule
    /// book: unknown categories, rule ids or severities are pointed errors.
    pub fn policy(&self, book: &RuleBook) -> Result<Policy, Vec<FileError>> {
        let mut policy = Policy::default();
        let (Some(raw), Some(text)) = (&self.raw, &self.text) else {
            return Ok(policy);
        };
        let name = self
            .path
            .as_ref()
            .map_or_else(|| FILE_NAME.to_owned(), |p| p.display().to_string());
        let mut errors = Vec::new();
        let ids: Vec<&str> = book.rules.iter().map(|r| r.id.as_str()).collect();
        let mut resolve = |raw: &RawVerdictRules, base: &VerdictRules| -> VerdictRules {
            let mut out = base.clone();
            if let Some(block) = &raw.block {
                out.block = block
                    .iter()
                    .filter_map(|b| match b.get_ref().parse::<Category>() {
                        Ok(c) => Some(Selector::Category(c)),
                        Err(_) if ids.contains(&b.get_ref().as_str()) => {
                            Some(Selector::Rule(b.get_ref().clone()))
                        }
                        Err(_) => {
                            let mut valid: Vec<&str> =
                                Category::ALL.iter().map(|c| c.name()).collect();
                            valid.extend(&ids);
                            let e = FileError::new(
                                &name,
                                text,
                                b.span(),
                                format!("unknown category or rule id `{}`", b.get_ref()),
                            );
                            errors.push(match closest(b.get_ref(), valid) {
                                Some(c) => e.with_help(format!("did you mean `{c}`?")),
                                None => e,
                            });
                            None
                        }
                    })
                    .collect();
            }
            for (field, target) in [
                (&raw.block_on, &mut out.block_on),
                (&raw.warn_on, &mut out.warn_on),
            ] {
                if let Some(v) = field {
                    match FailOn::parse(v.get_ref()) {
                        Ok(f) => *target = f,
                        Err(m) => errors.push(FileError::new(&name, text, v.span(), m)),
                    }
                }
            }
            out
        };
        let top = RawVerdictRules {
            block: raw.verdict.block.clone(),
            block_on: raw.verdict.block_on.clone(),
            warn_on: raw.verdict.warn_on.clone(),
        };
        policy.default = resolve(&top, &policy.default);
        for (channel, rules) in &raw.verdict.channel {
            let r = resolve(rules, &policy.default);
            policy.channels.insert(channel.clone(), r);
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(errors)
        }
    }
}

/// Turns `[[phrase]]` and `[[require]]` tables into rules by writing them
/// as a rule file and loading it: one loader, one set of checks.
fn inline_rules(
    raw: &RawConfig,
    name: &str,
    text: &Arc<str>,
    book: &mut RuleBook,
) -> Result<(), Vec<FileError>> {
    if raw.phrase.is_empty() && raw.require.is_empty() {
        return Ok(());
    }
    // A table with no pattern would be a rule that matches nothing, or a
    // requirement reported on every draft.
    let empty: Vec<FileError> = [("[[phrase]]", &raw.phrase), ("[[require]]", &raw.require)]
        .into_iter()
        .flat_map(|(table, list)| {
            list.iter()
                .enumerate()
                .filter(|(_, p)| all_patterns(p).iter().all(|s| s.trim().is_empty()))
                .map(move |(i, _)| {
                    let at = text.match_indices(table).nth(i).map_or(0, |(at, _)| at);
                    FileError::new(
                        name,
                        text,
                        at..at + table.len(),
                        format!("this {table} has no pattern"),
                    )
                    .with_help("give it `pattern = \"…\"` or `patterns = [\"…\"]`")
                })
        })
        .collect();
    if !empty.is_empty() {
        return Err(empty);
    }
    let mut doc = toml::Table::new();
    let mut rules = Vec::new();
    let mut lexicons = Vec::new();
    for (i, p) in raw.phrase.iter().enumerate() {
        let id =
            p.id.clone()
                .unwrap_or_else(|| format!("custom.phrase.{}", i + 1));
        let mut t = rule_table(p, id, "cliche", format!("Company phrase from {name}."));
        t.insert("patterns".into(), all_patterns(p).into());
        rules.push(toml::Value::Table(t));
    }
    for (i, p) in raw.require.iter().enumerate() {
        let id =
            p.id.clone()
                .unwrap_or_else(|| format!("custom.require.{}", i + 1));
        let lex = format!("require:{id}");
        let mut l = toml::Table::new();
        l.insert("name".into(), lex.clone().into());
        l.insert("patterns".into(), all_patterns(p).into());
        lexicons.push(toml::Value::Table(l));
        let mut t = rule_table(p, id, "hint", format!("Required by {name}."));
        t.insert("kind".into(), "absent".into());
        t.insert("unless".into(), vec![lex].into());
        rules.push(toml::Value::Table(t));
    }
    doc.insert("rule".into(), rules.into());
    doc.insert("lexicon".into(), lexicons.into());
    let generated = toml::to_string(&doc).unwrap_or_default();
    // Errors point into the generated text; say which config they came from.
    book.add_file(
        &format!("{name} (inline [[phrase]]/[[require]])"),
        &generated,
    )
    .map_err(|errs| {
        errs.into_iter()
            .map(|e| {
                // Point at the same snippet in the config the user wrote.
                let snippet = e.text.get(e.range.clone()).unwrap_or("");
                let at = if snippet.is_empty() {
                    None
                } else {
                    text.find(snippet)
                };
                let range = at.map_or(0..0, |a| a..a + snippet.len());
                FileError::new(name, text, range, e.message)
            })
            .collect()
    })
}

/// The keys every inline rule has, with defaults for what was left out.
fn rule_table(p: &RawPhrase, id: String, category: &str, explanation: String) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert("id".into(), id.into());
    t.insert(
        "category".into(),
        p.category.clone().unwrap_or_else(|| category.into()).into(),
    );
    t.insert(
        "severity".into(),
        p.severity
            .clone()
            .unwrap_or_else(|| "warning".into())
            .into(),
    );
    t.insert("message".into(), p.message.clone().into());
    t.insert("explanation".into(), explanation.into());
    t.insert("suggestions".into(), p.suggestions.clone().into());
    t
}

fn all_patterns(p: &RawPhrase) -> Vec<String> {
    p.pattern
        .iter()
        .cloned()
        .chain(p.patterns.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckOptions, Linter};

    fn linter(toml_text: &str) -> Result<Linter, Vec<FileError>> {
        let config = Config::parse("apolint.toml", toml_text, None)?;
        Linter::with_config(&config)
    }

    /// A contradiction or an empty table is a pointed error, not a guess:
    /// `enable` used to win silently over `disable`, and a requirement
    /// with no pattern was reported on every draft.
    #[test]
    fn contradictions_and_empty_tables_are_refused() {
        let Err(e) =
            linter("[rules]\nenable = [\"en.hint.problem\"]\ndisable = [\"en.hint.problem\"]\n")
        else {
            panic!("both enabled and disabled is refused");
        };
        assert!(
            e[0].message.contains("both enabled and disabled"),
            "{}",
            e[0].message
        );
        assert_eq!(e[0].line_col(), (3, 12));
        for table in ["[[require]]", "[[phrase]]"] {
            let text = format!("fail_on = \"error\"\n{table}\nmessage = \"m\"\npatterns = []\n");
            let Err(e) = linter(&text) else {
                panic!("{table} with no pattern is refused");
            };
            assert!(e[0].message.contains("has no pattern"), "{}", e[0].message);
            assert_eq!(e[0].line_col(), (2, 1));
        }
        let Err(e) = linter("[severity]\nzzqx = \"info\"\n") else {
            panic!("an unknown key is refused");
        };
        assert!(
            e[0].help
                .as_deref()
                .unwrap_or("")
                .contains("rule ids and categories"),
            "{:?}",
            e[0].help
        );
    }

    #[test]
    fn a_byte_order_mark_moves_no_column() {
        let plain = Config::parse("apolint.toml", "fail_on = \"warnin\"\n", None).unwrap_err();
        let marked =
            Config::parse("apolint.toml", "\u{feff}fail_on = \"warnin\"\n", None).unwrap_err();
        assert_eq!(plain[0].line_col(), (1, 11));
        assert_eq!(marked[0].line_col(), (1, 11));
        assert!(!marked[0].text.contains('\u{feff}'), "not shown");
        let ok = Config::parse("apolint.toml", "\u{feff}fail_on = \"warning\"\n", None).unwrap();
        assert_eq!(ok.fail_on, crate::FailOn::Warning);
    }

    #[test]
    fn a_folder_named_apolint_toml_is_found_and_refused() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a");
        std::fs::create_dir_all(dir.path().join(FILE_NAME)).unwrap();
        std::fs::create_dir_all(&nested).unwrap();
        let found = Config::discover(&nested).unwrap();
        assert_eq!(found, dir.path().join(FILE_NAME));
        let e = Config::load(&found).unwrap_err();
        assert!(e[0].message.starts_with("is a folder"), "{}", e[0].message);
    }

    #[test]
    fn structure_numbers_out_of_range_are_pointed_at_in_words() {
        for (text, at, want) in [
            (
                "[structure]\nwarn_below = 200\n",
                (2, 14),
                "from 0 to 100, got 200",
            ),
            (
                "[structure.weights]\nfix = 1000000000\n",
                (2, 7),
                "from 0 to 1000, got 1000000000",
            ),
            (
                "[structure.weights]\nfix = -5\n",
                (2, 7),
                "from 0 to 1000, got -5",
            ),
            (
                "[structure.penalties]\nerror = \"x\"\n",
                (2, 9),
                "a whole number from 0 to 100",
            ),
        ] {
            let e = Config::parse("apolint.toml", text, None).unwrap_err();
            assert_eq!(e[0].line_col(), at, "{text}");
            assert!(e[0].message.contains(want), "{}", e[0].message);
        }
        let ok = Config::parse(
            "apolint.toml",
            "[structure]\nwarn_below = 80\n[structure.weights]\nfix = 1000\n",
            None,
        )
        .unwrap();
        assert_eq!(ok.structure.warn_below, Some(80));
        assert_eq!(ok.structure.weights.fix, 1000);
    }

    #[test]
    fn verdict_policy_defaults_channels_and_errors() {
        use crate::Verdict;
        let check = |l: &Linter, text: &str, channel: Option<&str>| {
            let opts = CheckOptions {
                customer_name: Some("Мария".into()),
                ..CheckOptions::default()
            };
            l.verdict(&l.check(text, &opts), channel)
        };
        let default = linter("").unwrap();
        assert_eq!(
            check(&default, "Спасибо, деньги вернули сегодня.", None),
            Verdict::Send
        );
        assert_eq!(
            check(&default, "Приносим свои извинения.", None),
            Verdict::Warn
        );
        assert_eq!(
            check(&default, "Здравствуйте, {{name}}!", None),
            Verdict::Block
        );
        assert_eq!(
            check(&default, "Здравствуйте, Ольга!", None),
            Verdict::Block
        );
        // Info findings alone are sent.
        assert_eq!(
            check(
                &default,
                "Сейчас заказ на складе, он выйдет сегодня в 18:00.",
                None
            ),
            Verdict::Send
        );

        let l = linter(
            "[verdict]\nblock = [\"placeholder\", \"ru.cliche.prinosim-izvineniya\"]\n[verdict.channel.chat]\nwarn_on = \"never\"\nblock = []\n",
        )
        .unwrap();
        assert_eq!(check(&l, "Приносим свои извинения.", None), Verdict::Block);
        assert_eq!(
            check(&l, "Приносим свои извинения.", Some("email")),
            Verdict::Block
        );
        assert_eq!(
            check(&l, "Приносим свои извинения.", Some("chat")),
            Verdict::Send
        );
        // Name mismatch no longer listed: a warning-or-error finding warns.
        assert_eq!(check(&l, "Здравствуйте, Ольга!", None), Verdict::Warn);

        let text = "[verdict]\nblock = [\"placeholders\"]\nwarn_on = \"loud\"\n";
        let errors = linter(text).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0]
            .message
            .contains("unknown category or rule id `placeholders`"));
        assert_eq!(
            errors[0].help.as_deref(),
            Some("did you mean `placeholder`?")
        );
        assert_eq!(errors[0].line_col(), (2, 10));
        assert_eq!(errors[1].line_col(), (3, 11));
        let e = linter("[verdict.channel.chat]\nwarn = \"error\"\n").unwrap_err();
        assert!(
            e[0].message.contains("unknown field `warn`"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn require_reports_a_draft_that_lacks_the_element() {
        let l = linter(
            "[[require]]\nid = \"custom.require.ticket\"\npatterns = [\"обращени* №\", \"ticket #\"]\nmessage = \"Укажите номер обращения.\"\n",
        )
        .unwrap();
        let has = |t: &str| {
            l.check(t, &CheckOptions::default())
                .findings
                .iter()
                .any(|f| f.rule == "custom.require.ticket")
        };
        assert!(has("Заказ отправлен."));
        assert!(!has("По обращению № 123 заказ отправлен."));
        assert!(!has("Your ticket #123 is closed."));
    }

    #[test]
    fn severity_overrides_and_disables_apply() {
        let l = linter(
            "[severity]\ncliche = \"error\"\n[rules]\ndisable = [\"ru.cliche.nam-ochen-zhal\"]\n",
        )
        .unwrap();
        let r = l.check(
            "Приносим свои извинения. Нам очень жаль.",
            &CheckOptions::default(),
        );
        assert!(r
            .findings
            .iter()
            .any(|f| f.category == Category::Cliche && f.severity == Severity::Error));
        assert!(!r
            .findings
            .iter()
            .any(|f| f.rule == "ru.cliche.nam-ochen-zhal"));
    }

    #[test]
    fn unknown_rule_id_suggests_the_closest() {
        let text = "[rules]\ndisable = [\"ru.cliche.prinosim-izvinenia\"]\n";
        let errs = linter(text).unwrap_err();
        assert_eq!(
            errs[0].help.as_deref(),
            Some("did you mean `ru.cliche.prinosim-izvineniya`?")
        );
        assert_eq!(errs[0].line_col(), (2, 12));
    }

    #[test]
    fn bad_values_are_pointed_at() {
        let errs = Config::parse("apolint.toml", "fail_on = \"sometimes\"\n", None).unwrap_err();
        assert_eq!(errs[0].line_col(), (1, 11));
        let errs = Config::parse("apolint.toml", "languages = [\"de\"]\n", None).unwrap_err();
        assert!(errs[0].message.contains("unknown language"));
        let errs = Config::parse("apolint.toml", "unknown_key = 1\n", None).unwrap_err();
        assert!(
            errs[0].message.contains("unknown_key"),
            "{}",
            errs[0].message
        );
    }
}
