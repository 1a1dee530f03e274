//! Measuring the rule packs against labelled drafts.
//!
//! Two forms of labelled set are read:
//!
//! - the corpus: `corpus/<lang>/labels*.toml` lists drafts
//!   (`corpus/<lang>/drafts/…`) with the categories a support lead expects;
//! - JSON Lines, for a team's own archive: one `{"id", "text",
//!   "categories"}` per line, or texts (`{"id", "text"}`) and labels
//!   (`{"id", "categories", "evidence"}`) in two files joined by `id`; in
//!   a folder, `NAME.jsonl` + `NAME.labels.jsonl` pairs are joined and any
//!   other `NAME.jsonl` has its labels inline, `NAME` (e.g. `en`) naming
//!   the group in the tables.
//!
//! A draft counts once per category: a category is predicted when at least
//! one finding of that category at `warning` or `error` is reported. Hints
//! are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::{Category, CheckOptions, Linter, Severity};
use apolint_rules::diagnostics::{from_toml, FileError};

/// One labelled draft.
#[derive(Debug, Clone)]
pub struct LabelledDraft {
    /// Where the draft is: its file (corpus) or `file#id` (JSON Lines).
    pub name: String,
    /// Corpus language folder (`ru`, `en`).
    pub lang: String,
    /// The draft's text.
    pub text: String,
    /// Expected categories.
    pub expect: BTreeSet<Category>,
    /// Customer name, for name-mismatch.
    pub customer_name: Option<String>,
    /// The phrase the labeller saw for a category, where given.
    pub evidence: BTreeMap<Category, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelsFile {
    draft: Vec<RawLabel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    file: String,
    expect: Vec<toml::Spanned<String>>,
    #[serde(default)]
    customer_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    industry: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// Loads every `labels*.toml` under `root/<lang>/` whose file name contains
/// `only` (all of them when `only` is empty: `labels-a` selects one split).
pub fn load_corpus(root: &Path, only: &str) -> Result<Vec<LabelledDraft>, Vec<FileError>> {
    let mut drafts = Vec::new();
    let mut errors = Vec::new();
    let mut langs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| vec![io_err(root, &e)])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    langs.sort();
    for dir in langs {
        let lang = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut label_files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| vec![io_err(&dir, &e)])?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                name.starts_with("labels") && name.ends_with(".toml") && name.contains(only)
            })
            .collect();
        label_files.sort();
        for lf in label_files {
            let name = lf.display().to_string();
            let text = match std::fs::read_to_string(&lf) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(io_err(&lf, &e));
                    continue;
                }
            };
            let shared: Arc<str> = Arc::from(apolint_rules::without_bom(&text));
            let parsed: LabelsFile = match toml::from_str(&shared) {
                Ok(p) => p,
                Err(e) => {
                    errors.push(from_toml(&name, &shared, &e));
                    continue;
                }
            };
            for label in parsed.draft {
                let mut expect = BTreeSet::new();
                for c in &label.expect {
                    match expected_category(c.get_ref()) {
                        Ok(cat) => {
                            expect.insert(cat);
                        }
                        Err(m) => errors.push(FileError::new(&name, &shared, c.span(), m)),
                    }
                }
                let path = dir.join("drafts").join(&label.file);
                match std::fs::read_to_string(&path) {
                    Ok(text) => drafts.push(LabelledDraft {
                        name: path.display().to_string(),
                        lang: lang.clone(),
                        text,
                        expect,
                        customer_name: label.customer_name,
                        evidence: BTreeMap::new(),
                    }),
                    Err(e) => errors.push(io_err(&path, &e)),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(drafts)
    } else {
        Err(errors)
    }
}

/// Loads a labelled set from `path`: a corpus folder (see
/// [`load_corpus`]), a folder of JSON Lines sets (`NAME.jsonl` +
/// `NAME.labels.jsonl` pairs, or `NAME.jsonl` with the labels inline), or
/// one JSON Lines file — with the labels inline, or in `labels` (joined by
/// `id`) when given.
pub fn load(
    path: &Path,
    labels: Option<&Path>,
    only: &str,
) -> Result<Vec<LabelledDraft>, Vec<FileError>> {
    if let Some(labels) = labels {
        return load_jsonl(path, Some(labels), &group_of(path));
    }
    if !path.is_dir() {
        return load_jsonl(path, None, &group_of(path));
    }
    // Every JSON Lines file is measured: `NAME.labels.jsonl` with
    // `NAME.jsonl`, any other with its labels inline. (Only the pairs were
    // read, and a set labelled inline or a misnamed labels file beside
    // them was left out without a word.)
    let mut sets: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| vec![io_err(path, &e)])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            name.ends_with(".jsonl") && !name.starts_with('.')
        })
        .filter(|p| p.to_string_lossy().contains(only))
        .collect();
    if sets.is_empty() {
        return load_corpus(path, only);
    }
    sets.sort();
    let mut drafts = Vec::new();
    let mut errors = Vec::new();
    for set in &sets {
        let name = set.to_string_lossy();
        let loaded = match name.strip_suffix(".labels.jsonl") {
            Some(stem) => {
                let texts = PathBuf::from(format!("{stem}.jsonl"));
                load_jsonl(&texts, Some(set), &group_of(&texts))
            }
            None if set.with_extension("labels.jsonl").is_file() => continue,
            None => load_jsonl(set, None, &group_of(set)),
        };
        match loaded {
            Ok(mut d) => drafts.append(&mut d),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(drafts)
    } else {
        Err(errors)
    }
}

/// `en` for `…/en.jsonl` or `…/en.labels.jsonl`.
fn group_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split('.').next().unwrap_or_default().to_owned()
}

/// A parsed line with its file's text (for errors) and its byte range.
type JsonLine = (Arc<str>, std::ops::Range<usize>, JsonLabel);

/// One line of a labelled JSON Lines set (texts, labels, or both).
#[derive(Deserialize)]
#[serde(expecting = "a JSON object with an `id`, and a `text`, `categories` or both")]
struct JsonLabel {
    id: serde_json::Value,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    categories: Option<Vec<String>>,
    #[serde(default)]
    evidence: BTreeMap<String, String>,
    #[serde(default)]
    customer_name: Option<String>,
}

/// Reads `texts` (one JSON object per line with `id` and `text`) and the
/// categories inline or, with `labels`, from that file by `id`. Every
/// problem is a pointed error: bad JSON, an unknown category, a label with
/// no text, a text with no label.
fn load_jsonl(
    texts: &Path,
    labels: Option<&Path>,
    group: &str,
) -> Result<Vec<LabelledDraft>, Vec<FileError>> {
    let mut errors = Vec::new();
    // A file that cannot be read is the one error: joined with nothing,
    // every line of the other would be an error of its own.
    let text_lines = read_json_lines(texts, &mut errors);
    let label_lines = match labels {
        Some(l) => match read_json_lines(l, &mut errors) {
            Some(lines) => Some((l, lines)),
            None => return Err(errors),
        },
        None => None,
    };
    let Some(text_lines) = text_lines else {
        return Err(errors);
    };
    // Each label with the line it came from, to point at a label no draft
    // uses or an id labelled twice.
    type Labelled = (BTreeSet<Category>, BTreeMap<Category, String>);
    let mut by_id: BTreeMap<String, (Labelled, Arc<str>, std::ops::Range<usize>)> = BTreeMap::new();
    if let Some((file, lines)) = &label_lines {
        for (shared, span, line) in lines {
            let labelled = categories_of(file, shared, span.clone(), line, &mut errors);
            let key = id_key(&line.id);
            if by_id.contains_key(&key) {
                errors.push(FileError::new(
                    &file.display().to_string(),
                    shared,
                    span.clone(),
                    format!("id {key} is labelled twice; keep one label per draft"),
                ));
                continue;
            }
            by_id.insert(key, (labelled, Arc::clone(shared), span.clone()));
        }
    }
    let mut drafts = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (shared, span, line) in &text_lines {
        let key = id_key(&line.id);
        if !seen.insert(key.clone()) {
            errors.push(FileError::new(
                &texts.display().to_string(),
                shared,
                span.clone(),
                format!("id {key} is given twice; every draft needs its own id"),
            ));
            continue;
        }
        let name = format!("{}#{key}", texts.display());
        let Some(text) = line.text.clone() else {
            errors.push(FileError::new(
                &texts.display().to_string(),
                shared,
                span.clone(),
                "no `text` in this line".to_owned(),
            ));
            continue;
        };
        let (expect, evidence) = match &label_lines {
            Some((file, _)) => match by_id.remove(&key) {
                Some((l, _, _)) => l,
                None => {
                    errors.push(FileError::new(
                        &texts.display().to_string(),
                        shared,
                        span.clone(),
                        format!("no label for id {key} in {}", file.display()),
                    ));
                    continue;
                }
            },
            None if line.categories.is_none() => {
                errors.push(FileError::new(
                    &texts.display().to_string(),
                    shared,
                    span.clone(),
                    "no `categories` in this line (give the labels inline, or a labels file)"
                        .to_owned(),
                ));
                continue;
            }
            None => categories_of(texts, shared, span.clone(), line, &mut errors),
        };
        drafts.push(LabelledDraft {
            name,
            lang: group.to_owned(),
            text,
            expect,
            customer_name: line.customer_name.clone(),
            evidence,
        });
    }
    if let Some((file, _)) = &label_lines {
        for (key, (_, shared, span)) in &by_id {
            errors.push(FileError::new(
                &file.display().to_string(),
                shared,
                span.clone(),
                format!(
                    "a label for id {key}, which {} does not have",
                    texts.display()
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(drafts)
    } else {
        Err(errors)
    }
}

/// A line's expected categories (an unknown one is an error pointing at
/// the line) and the labeller's phrase per category.
fn categories_of(
    file: &Path,
    shared: &Arc<str>,
    span: std::ops::Range<usize>,
    line: &JsonLabel,
    errors: &mut Vec<FileError>,
) -> (BTreeSet<Category>, BTreeMap<Category, String>) {
    let mut expect = BTreeSet::new();
    for c in line.categories.iter().flatten() {
        match expected_category(c) {
            Ok(cat) => {
                expect.insert(cat);
            }
            Err(m) => errors.push(FileError::new(
                &file.display().to_string(),
                shared,
                span.clone(),
                m,
            )),
        }
    }
    let evidence = line
        .evidence
        .iter()
        .filter_map(|(c, phrase)| Some((c.parse::<Category>().ok()?, phrase.clone())))
        .collect();
    (expect, evidence)
}

/// A label's category. `hint` is refused: hints are not counted as
/// findings here (see the module's docs), so a draft labelled `hint` would
/// always be a miss.
fn expected_category(name: &str) -> Result<Category, String> {
    match name.parse::<Category>()? {
        Category::Hint => Err(
            "`hint` is not measured (hints are not counted as findings); label the categories a support lead would flag".to_owned(),
        ),
        c => Ok(c),
    }
}

/// An id as a join key: strings as they are, anything else as JSON.
fn id_key(id: &serde_json::Value) -> String {
    id.as_str().map_or_else(|| id.to_string(), str::to_owned)
}

/// Parses every non-blank line of a JSON Lines file; each bad line is an
/// error pointing at it. Each parsed line comes with its file's text (for
/// errors) and its byte range.
fn read_json_lines(path: &Path, errors: &mut Vec<FileError>) -> Option<Vec<JsonLine>> {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            errors.push(io_err(path, &e));
            return None;
        }
    };
    let shared: Arc<str> = Arc::from(apolint_rules::without_bom(&text));
    let text = &*shared;
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let span = start..start + line.trim_end().len();
        start += line.len();
        if line.trim().is_empty() {
            continue;
        }
        // A struct reads a JSON array too (`[1]` as `{"id": 1}`).
        if !line.trim_start().starts_with('{') {
            errors.push(FileError::new(
                &name,
                &shared,
                span,
                "not a labelled draft: expected a JSON object with an `id`, and a `text`, `categories` or both",
            ));
            continue;
        }
        match serde_json::from_str::<JsonLabel>(line) {
            Ok(l) => out.push((Arc::clone(&shared), span, l)),
            Err(e) => errors.push(FileError::new(
                &name,
                &shared,
                span,
                format!("not a labelled draft: {e}"),
            )),
        }
    }
    Some(out)
}

pub(crate) fn io_err(path: &Path, e: &std::io::Error) -> FileError {
    FileError::new(
        &path.display().to_string(),
        &Arc::from(""),
        0..0,
        format!("cannot read: {e}"),
    )
}

/// True/false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Predicted and expected.
    pub tp: usize,
    /// Predicted, not expected.
    pub fp: usize,
    /// Expected, not predicted.
    pub fn_: usize,
    /// Drafts that exercise the category (expected it).
    pub support: usize,
}

impl Counts {
    /// Precision, `None` when nothing was predicted.
    pub fn precision(&self) -> Option<f64> {
        let p = self.tp + self.fp;
        (p > 0).then(|| self.tp as f64 / p as f64)
    }

    /// Recall, `None` when nothing was expected.
    pub fn recall(&self) -> Option<f64> {
        let e = self.tp + self.fn_;
        (e > 0).then(|| self.tp as f64 / e as f64)
    }

    fn add(&mut self, o: &Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.support += o.support;
    }
}

/// A disagreement between the linter and the labels.
#[derive(Debug, Clone)]
pub struct Miss {
    /// The draft ([`LabelledDraft::name`]).
    pub draft: String,
    /// The category.
    pub category: Category,
    /// `true`: reported but not expected; `false`: expected but missed.
    pub false_positive: bool,
    /// For false positives: the rules and the text they matched; for false
    /// negatives: the labeller's phrase, if the labels give one (rule `""`).
    pub evidence: Vec<(String, String)>,
}

/// The result of an evaluation.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Per language, per category.
    pub by_lang: BTreeMap<String, BTreeMap<Category, Counts>>,
    /// Drafts per language, and how many of them are clean.
    pub drafts: BTreeMap<String, (usize, usize)>,
    /// Clean drafts (no expected category) that got a warning or error.
    pub false_alarms: BTreeMap<String, usize>,
    /// Every disagreement.
    pub misses: Vec<Miss>,
}

impl Evaluation {
    /// Counts per category over all languages.
    pub fn by_category(&self) -> BTreeMap<Category, Counts> {
        let mut all: BTreeMap<Category, Counts> = BTreeMap::new();
        for per in self.by_lang.values() {
            for (c, n) in per {
                all.entry(*c).or_default().add(n);
            }
        }
        all
    }

    /// Micro-averaged counts for one language (or all, with `None`).
    pub fn overall(&self, lang: Option<&str>) -> Counts {
        let mut total = Counts::default();
        for (l, per) in &self.by_lang {
            if lang.is_none_or(|x| x == l) {
                for n in per.values() {
                    total.add(n);
                }
            }
        }
        total
    }
}

/// Runs every draft through the linter and compares with its labels.
pub fn evaluate(linter: &Linter, drafts: &[LabelledDraft]) -> Evaluation {
    let mut ev = Evaluation::default();
    for d in drafts {
        let opts = CheckOptions {
            customer_name: d.customer_name.clone(),
            // Categories and spans are compared, never suggestions.
            suggestions_in_rule_order: true,
            ..CheckOptions::default()
        };
        let report = linter.check(&d.text, &opts);
        let reported: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning && f.category != Category::Hint)
            .collect();
        let predicted: BTreeSet<Category> = reported.iter().map(|f| f.category).collect();
        let entry = ev.drafts.entry(d.lang.clone()).or_default();
        entry.0 += 1;
        if d.expect.is_empty() {
            entry.1 += 1;
            if !predicted.is_empty() {
                *ev.false_alarms.entry(d.lang.clone()).or_default() += 1;
            }
        }
        let per = ev.by_lang.entry(d.lang.clone()).or_default();
        for cat in predicted.union(&d.expect) {
            let n = per.entry(*cat).or_default();
            let (p, e) = (predicted.contains(cat), d.expect.contains(cat));
            if e {
                n.support += 1;
            }
            match (p, e) {
                (true, true) => n.tp += 1,
                (true, false) => {
                    n.fp += 1;
                    let evidence = reported
                        .iter()
                        .filter(|f| f.category == *cat)
                        .map(|f| {
                            (
                                f.rule.to_string(),
                                d.text[f.span.start..f.span.end].chars().take(80).collect(),
                            )
                        })
                        .collect();
                    ev.misses.push(Miss {
                        draft: d.name.clone(),
                        category: *cat,
                        false_positive: true,
                        evidence,
                    });
                }
                (false, true) => {
                    n.fn_ += 1;
                    ev.misses.push(Miss {
                        draft: d.name.clone(),
                        category: *cat,
                        false_positive: false,
                        evidence: d
                            .evidence
                            .get(cat)
                            .map(|phrase| (String::new(), phrase.clone()))
                            .into_iter()
                            .collect(),
                    });
                }
                (false, false) => {}
            }
        }
    }
    ev
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "   –  ".to_owned(), |v| format!("{v:6.3}"))
}

/// The header of a counts table whose first column is `what`.
pub(crate) fn table_header(what: &str) -> String {
    format!(
        "{:<22} {:>7} {:>4} {:>4} {:>4} {:>9} {:>7}\n",
        what, "drafts", "tp", "fp", "fn", "precision", "recall"
    )
}

/// One row of a counts table: the drafts labelled, TP, FP, FN, precision
/// and recall.
pub(crate) fn table_row(name: &str, c: &Counts) -> String {
    format!(
        "{:<22} {:>7} {:>4} {:>4} {:>4} {:>9} {:>7}\n",
        name,
        c.support,
        c.tp,
        c.fp,
        c.fn_,
        pct(c.precision()),
        pct(c.recall())
    )
}

/// The evaluation as a table: per language and category, then overall,
/// then every miss.
pub fn render(ev: &Evaluation, list_misses: bool) -> String {
    let mut out = String::new();
    for (lang, per) in &ev.by_lang {
        let (n, clean) = ev.drafts.get(lang).copied().unwrap_or_default();
        let alarms = ev.false_alarms.get(lang).copied().unwrap_or(0);
        out.push_str(&format!(
            "\n== {lang}: {n} draft{}, {clean} clean ({alarms} of them got a finding) ==\n",
            if n == 1 { "" } else { "s" }
        ));
        out.push_str(&table_header("category"));
        for cat in Category::ALL {
            if let Some(c) = per.get(&cat) {
                out.push_str(&table_row(cat.name(), c));
            }
        }
        let o = ev.overall(Some(lang));
        out.push_str(&format!(
            "{:<22} {:>7} {:>4} {:>4} {:>4} {:>9} {:>7}\n",
            "overall",
            "",
            o.tp,
            o.fp,
            o.fn_,
            pct(o.precision()),
            pct(o.recall())
        ));
    }
    let o = ev.overall(None);
    out.push_str(&format!(
        "\n== all languages: precision {} recall {} (tp {} fp {} fn {}) ==\n",
        pct(o.precision()).trim(),
        pct(o.recall()).trim(),
        o.tp,
        o.fp,
        o.fn_
    ));
    if list_misses && !ev.misses.is_empty() {
        out.push_str("\nMisses:\n");
        for m in &ev.misses {
            if m.false_positive {
                let ev: Vec<String> = m
                    .evidence
                    .iter()
                    .map(|(r, t)| format!("{r} «{t}»"))
                    .collect();
                out.push_str(&format!(
                    "  FP {:<20} {} — {}\n",
                    m.category.name(),
                    m.draft,
                    ev.join("; ")
                ));
            } else {
                let expected = m
                    .evidence
                    .first()
                    .map_or(String::new(), |(_, t)| format!(" — expected «{t}»"));
                out.push_str(&format!(
                    "  FN {:<20} {}{expected}\n",
                    m.category.name(),
                    m.draft
                ));
            }
        }
    }
    out
}

/// Quality thresholds a corpus run must meet.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Overall precision.
    pub precision: f64,
    /// Overall recall.
    pub recall: f64,
    /// Precision and recall of every category with enough support.
    pub category: f64,
    /// A category is held to `category` once this many drafts exercise it.
    pub min_support: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            precision: 0.95,
            recall: 0.90,
            category: 0.85,
            min_support: 5,
        }
    }
}

/// Every way the evaluation falls short of the thresholds (empty: passes).
pub fn shortfalls(ev: &Evaluation, t: &Thresholds) -> Vec<String> {
    let mut out = Vec::new();
    let o = ev.overall(None);
    if let Some(p) = o.precision() {
        if p < t.precision {
            out.push(format!("overall precision {p:.3} < {}", t.precision));
        }
    }
    if let Some(r) = o.recall() {
        if r < t.recall {
            out.push(format!("overall recall {r:.3} < {}", t.recall));
        }
    }
    for (cat, c) in ev.by_category() {
        if c.support < t.min_support {
            continue;
        }
        if let Some(p) = c.precision() {
            if p < t.category {
                out.push(format!("{} precision {p:.3} < {}", cat.name(), t.category));
            }
        }
        if let Some(r) = c.recall() {
            if r < t.category {
                out.push(format!("{} recall {r:.3} < {}", cat.name(), t.category));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn json_lines_sets_inline_joined_and_in_folders() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let inline = write(
            d,
            "team.jsonl",
            "{\"id\": 1, \"text\": \"Приносим свои извинения.\", \"categories\": [\"cliche\"]}\n\n\
             {\"id\": 2, \"text\": \"Thanks, Anna!\", \"categories\": []}\n",
        );
        let drafts = load(&inline, None, "").unwrap();
        assert_eq!(drafts.len(), 2);
        assert_eq!(drafts[0].lang, "team");
        assert_eq!(drafts[0].name, format!("{}#1", inline.display()));
        assert!(drafts[0].expect.contains(&Category::Cliche));
        let linter = Linter::builtin().unwrap();
        let ev = evaluate(&linter, &drafts);
        assert_eq!(ev.overall(None).tp, 1);

        write(
            d,
            "en.jsonl",
            "{\"id\": \"a\", \"text\": \"Sorry for the trouble, it is fixed now.\"}\n",
        );
        write(
            d,
            "en.labels.jsonl",
            "{\"id\": \"a\", \"categories\": [\"cliche\"], \"evidence\": {\"cliche\": \"Sorry for the trouble\"}}\n",
        );
        // The folder: the pair joined, the other set with its labels inline.
        let drafts = load(d, None, "").unwrap();
        let langs: Vec<&str> = drafts.iter().map(|d| d.lang.as_str()).collect();
        assert_eq!(langs, ["en", "team", "team"]);
        assert_eq!(
            drafts[0].evidence[&Category::Cliche],
            "Sorry for the trouble"
        );
        let joined = load(&d.join("en.jsonl"), Some(&d.join("en.labels.jsonl")), "").unwrap();
        assert_eq!(joined[0].expect, drafts[0].expect);
    }

    #[test]
    fn a_folder_names_the_sets_it_cannot_measure() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "a.jsonl",
            "{\"id\": \"p1\", \"text\": \"Hello there.\"}\n",
        );
        // Misnamed: `.label.`, so neither is a pair.
        write(
            d,
            "a.label.jsonl",
            "{\"id\": \"p1\", \"categories\": [\"shouting\"]}\n",
        );
        let shown: Vec<String> = load(d, None, "")
            .unwrap_err()
            .iter()
            .map(|e| e.render(false))
            .collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].contains("a.jsonl:1:1: no `categories`"),
            "{shown:?}"
        );
        assert!(
            shown[1].contains("a.label.jsonl:1:1: no `text`"),
            "{shown:?}"
        );
    }

    #[test]
    fn a_hint_label_an_array_line_and_an_unreadable_labels_file_are_one_error_each() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let h = write(
            d,
            "h.jsonl",
            "{\"id\": 1, \"text\": \"Sorry for the wait.\", \"categories\": [\"hint\"]}\n[1]\n",
        );
        let shown: Vec<String> = load(&h, None, "")
            .unwrap_err()
            .iter()
            .map(|e| e.render(false))
            .collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        let has = |what: &str| shown.iter().any(|e| e.contains(what));
        assert!(has("h.jsonl:1:1: `hint` is not measured"), "{shown:?}");
        assert!(
            has("h.jsonl:2:1: not a labelled draft: expected a JSON object"),
            "{shown:?}"
        );
        let texts = write(
            d,
            "t.jsonl",
            &(1..=50)
                .map(|i| format!("{{\"id\": {i}, \"text\": \"x\"}}\n"))
                .collect::<String>(),
        );
        let errors = load(&texts, Some(&d.join("missing.jsonl")), "").unwrap_err();
        assert_eq!(errors.len(), 1, "not one per text line");
        assert!(
            errors[0].message.starts_with("cannot read"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn json_lines_errors_point_at_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let bad = write(
            d,
            "x.jsonl",
            "{\"id\": 1, \"text\": \"a\", \"categories\": [\"clichee\"]}\nnot json\n{\"id\": 3, \"text\": \"c\"}\n",
        );
        let errors = load(&bad, None, "").unwrap_err();
        let shown: Vec<String> = errors.iter().map(|e| e.render(false)).collect();
        assert_eq!(errors.len(), 3, "{shown:?}");
        let has =
            |line: &str, what: &str| shown.iter().any(|e| e.contains(line) && e.contains(what));
        assert!(has("x.jsonl:1:", "unknown category `clichee`"), "{shown:?}");
        assert!(has("x.jsonl:2:", "not a labelled draft"), "{shown:?}");
        assert!(has("x.jsonl:3:", "no `categories`"), "{shown:?}");
        let texts = write(d, "t.jsonl", "{\"id\": 1, \"text\": \"a\"}\n");
        let labels = write(d, "l.jsonl", "{\"id\": 2, \"categories\": []}\n");
        let errors = load(&texts, Some(&labels), "").unwrap_err();
        let shown: Vec<String> = errors.iter().map(|e| e.render(false)).collect();
        assert!(shown[0].contains("no label for id 1"), "{shown:?}");
        assert!(
            shown[1].contains("l.jsonl:1:1") && shown[1].contains("a label for id 2"),
            "{shown:?}"
        );
        // The label no draft uses is shown, not an empty line.
        assert!(shown[1].contains("\"categories\": []"), "{shown:?}");

        let texts = write(
            d,
            "t2.jsonl",
            "{\"id\": 1, \"text\": \"a\"}\n{\"id\": 1, \"text\": \"b\"}\n",
        );
        let labels = write(
            d,
            "l2.jsonl",
            "{\"id\": 1, \"categories\": []}\n{\"id\": 1, \"categories\": [\"cliche\"]}\n",
        );
        let errors = load(&texts, Some(&labels), "").unwrap_err();
        let shown: Vec<String> = errors.iter().map(|e| e.render(false)).collect();
        assert_eq!(errors.len(), 2, "{shown:?}");
        assert!(has_at(&shown, "l2.jsonl:2:", "labelled twice"), "{shown:?}");
        assert!(has_at(&shown, "t2.jsonl:2:", "given twice"), "{shown:?}");
    }

    fn has_at(shown: &[String], at: &str, what: &str) -> bool {
        shown.iter().any(|e| e.contains(at) && e.contains(what))
    }

    #[test]
    fn files_with_a_byte_order_mark_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "en.jsonl",
            "\u{feff}{\"id\": \"a\", \"text\": \"Sorry for any inconvenience!!!\"}\n",
        );
        write(
            d,
            "en.labels.jsonl",
            "\u{feff}{\"id\": \"a\", \"categories\": [\"cliche\", \"shouting\"]}\n",
        );
        let drafts = load(d, None, "").unwrap();
        assert_eq!(drafts[0].expect.len(), 2);
        let inline = write(
            d,
            "team.jsonl",
            "\u{feff}{\"id\": 1, \"text\": \"a\" \"categories\": []}\n",
        );
        let errors = load(&inline, None, "").unwrap_err();
        // Columns count from the first character the user sees.
        assert!(
            errors[0].render(false).contains("team.jsonl:1:"),
            "{:?}",
            errors[0].render(false)
        );
        assert!(!errors[0].text.contains('\u{feff}'));
    }
}
