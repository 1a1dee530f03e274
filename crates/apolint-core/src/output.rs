//! Rendering findings: for people (ariadne, the draft's line with the span
//! underlined) and for programs (the contract's JSON).

use ariadne::{Color, Config, IndexType, Label, Report as AReport, ReportKind, Source};
use serde::Serialize;

use crate::{Finding, Language, Report, Severity};

/// One checked file, as the output stage sees it.
pub struct FileResult<'a> {
    /// The path as given (`-` for stdin).
    pub path: &'a str,
    /// The input text.
    pub text: &'a str,
    /// The result.
    pub report: &'a Report,
}

/// The contract's JSON document (`--format json`) written one file at a
/// time, so a run over a large folder never holds every report: the
/// pieces are exactly the bytes `serde_json::to_string_pretty` gives for
/// the whole `{"version": 1, "files": [...]}`.
pub struct JsonDocument;

impl JsonDocument {
    /// What comes before the first file.
    pub const START: &'static str = "{\n  \"version\": 1,\n  \"files\": [";

    /// File number `index` (from 0) of the run.
    pub fn entry(index: usize, result: &FileResult<'_>) -> String {
        let mut out = Vec::with_capacity(256 + 512 * result.report.findings.len());
        // Writing into a Vec cannot fail, and serde_json writes UTF-8.
        let _ = Self::write_entry(&mut out, index, result);
        String::from_utf8(out).unwrap_or_default()
    }

    /// File number `index` (from 0) of the run, serialised straight into
    /// `w` at its depth in the document (no intermediate string, no second
    /// pass to indent it).
    pub fn write_entry<W: std::io::Write>(
        w: &mut W,
        index: usize,
        result: &FileResult<'_>,
    ) -> std::io::Result<()> {
        w.write_all(if index == 0 { b"\n    " } else { b",\n    " })?;
        let formatter = NestedPretty {
            depth: 2,
            has_value: false,
        };
        let mut ser = serde_json::Serializer::with_formatter(w, formatter);
        FileJson::new(result)
            .serialize(&mut ser)
            .map_err(Into::into)
    }

    /// What comes after the last of `files` files.
    pub fn end(files: usize) -> &'static str {
        if files == 0 {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        }
    }
}

/// serde_json's pretty layout (two spaces a level) for a value nested two
/// levels deep in the document: what `to_string_pretty` of the whole
/// document prints for it. The same formatter calls as serde_json's
/// `PrettyFormatter`, starting at depth 2, with each indentation written
/// in one piece.
struct NestedPretty {
    depth: usize,
    has_value: bool,
}

impl NestedPretty {
    /// Opens an array or object (`bracket`), one level deeper.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// Closes it, on a line of its own when it held anything.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(bracket)
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        const SPACES: &[u8; 66] =
            b",\n                                                                ";
        let from = usize::from(!comma);
        let width = 2 * self.depth;
        match SPACES.get(from..2 + width) {
            Some(all) => w.write_all(all),
            None => {
                w.write_all(&SPACES[from..2])?;
                for _ in 0..self.depth {
                    w.write_all(b"  ")?;
                }
                Ok(())
            }
        }
    }
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// One file's entry of the contract's JSON (also one line of `jsonl`).
#[derive(Serialize)]
pub struct FileJson<'a> {
    /// The path as given (`-` for stdin).
    pub path: &'a str,
    /// The draft's dominant language.
    pub language: Language,
    /// Its findings, in the contract's shape.
    pub findings: &'a [Finding],
    /// `true` when findings were left out (more than
    /// [`crate::MAX_FINDINGS`]); absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// How many were left out; absent when none were.
    #[serde(skip_serializing_if = "is_zero")]
    pub findings_omitted: usize,
    /// The parts of a good reply it has and its score (replies to a
    /// complaint only; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structure: Option<&'a crate::Structure>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl<'a> FileJson<'a> {
    /// The entry for one result.
    pub fn new(r: &FileResult<'a>) -> Self {
        FileJson {
            path: r.path,
            language: r.report.language,
            findings: &r.report.findings,
            truncated: r.report.omitted > 0,
            findings_omitted: r.report.omitted,
            structure: r.report.structure.as_ref(),
        }
    }
}

/// From this many findings on, [`human`] draws them on two threads: a
/// finding's report is ~90 K instructions, so a thousand (a megabyte's
/// cap) were ~13 ms on one thread after the check (issue #19), while a
/// thread's start is tens of microseconds.
const PARALLEL_RENDER_FINDINGS: usize = 64;

/// What [`human`] draws each finding from: the file, its line starts,
/// and ariadne's line index of it, built on first use and shared.
struct HumanPage<'r, 'a> {
    result: &'r FileResult<'a>,
    color: bool,
    line_starts: Vec<usize>,
    /// Bytes of a leading byte-order mark, cut off what is shown.
    bom: usize,
    source: std::sync::OnceLock<Source<std::borrow::Cow<'a, str>>>,
}

impl HumanPage<'_, '_> {
    /// `findings` drawn one after another.
    fn render(&self, findings: &[Finding]) -> Vec<u8> {
        let mut out = Vec::new();
        let (result, color, bom) = (self.result, self.color, self.bom);
        let id = result.path;
        for f in findings {
            if let Some(excerpt) = long_line_excerpt(result.text, &self.line_starts, f) {
                // ariadne prints the whole line; on a megabyte-long line that
                // would repeat the megabyte per finding.
                out.extend_from_slice(one_line(result.path, f).as_bytes());
                out.extend_from_slice(format!("\n  | {excerpt}\n").as_bytes());
                continue;
            }
            // One vocabulary: the severity's name in the contract (`info`),
            // not ariadne's "Advice".
            let kind = match f.severity {
                Severity::Error => ReportKind::Error,
                Severity::Warning => ReportKind::Warning,
                Severity::Info => ReportKind::Custom("Info", Color::Cyan),
            };
            let color_of = match f.severity {
                Severity::Error => Color::Red,
                Severity::Warning => Color::Yellow,
                Severity::Info => Color::Cyan,
            };
            let range =
                f.span.start.saturating_sub(bom)..f.span.end.max(f.span.start).saturating_sub(bom);
            let mut report = AReport::build(kind, (id, range.clone()))
                .with_config(
                    Config::default()
                        .with_color(color)
                        .with_index_type(IndexType::Byte),
                )
                .with_code(&f.rule)
                .with_message(format!("{} [{}]", f.message, f.category))
                .with_label(
                    Label::new((id, range))
                        .with_message(f.category.name())
                        .with_color(color_of),
                );
            if let Some(fix) = &f.fix {
                let shown = if fix.is_empty() { "(delete)" } else { fix };
                report = report.with_help(format!("fix: replace with «{shown}»"));
            } else if let Some(s) = f.suggestions.first() {
                report =
                    report.with_help(format!("{} {s}", example_label(f, result.report.language)));
            }
            // Writing into a Vec cannot fail for I/O reasons; a rendering
            // failure falls back to the one-line form.
            let source = self
                .source
                .get_or_init(|| Source::from(printable(&result.text[bom..])));
            let mut one = Vec::new();
            if report.finish().write((id, source), &mut one).is_err() {
                out.extend_from_slice(one_line(result.path, f).as_bytes());
                out.push(b'\n');
            } else if color {
                out.append(&mut one);
            } else {
                // ariadne paints a custom kind ("Info") whatever its colour
                // setting: without colour, its SGR sequences are dropped.
                out.extend_from_slice(&strip_sgr(&one));
            }
        }
        out
    }
}

/// Human-readable findings for one file: each finding with its line of the
/// draft, the span underlined, the message and the first suggestion.
///
/// Linear in the draft: its line index (ariadne's [`Source`]) is built once
/// and shared by every finding's report. Built per finding, it made a
/// megabyte with a thousand findings take ten seconds (issue #19). Many
/// findings are drawn on two threads.
pub fn human(result: &FileResult<'_>, color: bool) -> String {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', result.text.as_bytes()).map(|i| i + 1))
        .collect();
    // A byte-order mark is not shown, and does not move the columns
    // ariadne counts: it is cut off and the spans shifted past it.
    let bom = if result.text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let page = HumanPage {
        result,
        color,
        line_starts,
        bom,
        source: std::sync::OnceLock::new(),
    };
    let findings = &result.report.findings;
    let mut out = if findings.len() >= PARALLEL_RENDER_FINDINGS {
        // Each finding is drawn on its own, so halves can be drawn on
        // two threads and joined in order.
        let (first, second) = findings.split_at(findings.len() / 2);
        std::thread::scope(|scope| {
            let later = crate::threads::spawn_beside(scope, || page.render(second));
            let mut out = page.render(first);
            match later.map(|thread| thread.join()) {
                Ok(Ok(mut rest)) => out.append(&mut rest),
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // No thread to be had: drawn here instead.
                Err(_) => out.append(&mut page.render(second)),
            }
            out
        })
    } else {
        page.render(findings)
    };
    if let Some(line) = omitted_line(result) {
        out.extend_from_slice(line.as_bytes());
    }
    if let Some(structure) = &result.report.structure {
        out.extend_from_slice(format!("{}: {}\n", result.path, structure.checklist()).as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` as a terminal may be given it: each control character but the
/// line ends and tabs becomes `?` (`¿` for a two-byte one), so that a draft
/// holding escape sequences cannot retitle, recolour or clear the
/// terminal it is shown in. Byte lengths are kept: the spans still fit.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    // Looked for by bytes first (a megabyte's characters one by one were
    // ~1 ms): the one-byte controls in blocks that vectorise, the
    // two-byte ones (C1: 0xC2 0x80-0x9F) at each 0xC2.
    let bytes = text.as_bytes();
    let one_byte = bytes.chunks(64).any(|block| {
        block.iter().fold(false, |found, &b| {
            found | (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')) | (b == 0x7f)
        })
    });
    let two_byte =
        || memchr::memchr_iter(0xc2, bytes).any(|i| matches!(bytes.get(i + 1), Some(0x80..=0x9f)));
    if !one_byte && !two_byte() {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            c if !unsafe_char(c) => c,
            c if c.len_utf8() == 1 => '?',
            _ => '¿',
        })
        .collect::<String>()
        .into()
}

/// `bytes` without ANSI SGR sequences (`ESC [ … m`).
fn strip_sgr(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let params = bytes[i + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';')
                .count();
            if bytes.get(i + 2 + params) == Some(&b'm') {
                i += 3 + params;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Applies the safe fixes of `findings` to `text`, the draft they were
/// found in: each finding's `fix` replaces exactly its span's text, as the
/// editor's quick fix does (one source of truth: [`Finding::fix`]). Fixes
/// are applied from the start; one that overlaps a fix already applied is
/// left for the next pass. Returns the fixed text and how many were applied.
pub fn apply_fixes(text: &str, findings: &[Finding]) -> (String, usize) {
    let mut fixes: Vec<(usize, usize, &str)> = findings
        .iter()
        .filter_map(|f| Some((f.span.start, f.span.end, f.fix.as_deref()?)))
        .filter(|&(s, e, _)| {
            s <= e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)
        })
        .collect();
    fixes.sort_by_key(|&(s, e, _)| (s, e));
    let mut out = String::with_capacity(text.len());
    let (mut at, mut applied) = (0, 0);
    for (s, e, replacement) in fixes {
        if s < at || text[s..e] == *replacement {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(replacement);
        at = e;
        applied += 1;
    }
    out.push_str(&text[at..]);
    (out, applied)
}

/// A unified diff (three lines of context) from `old` to `new`, both
/// headed with `path`; empty when they are equal. What `check --diff`
/// prints, and `patch -p0` applies.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let diff = similar::TextDiff::from_lines(old, new);
    // `patch` reads a header's name up to a tab: one with a space ends
    // with one, as `diff -u` writes it (`--- my replies/a b.txt\t…`).
    let name = if path.contains(char::is_whitespace) {
        format!("{path}\t")
    } else {
        path.to_owned()
    };
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&name, &name)
        .to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// How finding `f`'s suggestion is introduced: it is an example of better
/// wording, not a correction to paste (`e.g.`, «Например:»), in the
/// suggestion's language, which is its rule pack's (`ru.…`, `en.…`); a
/// rule of no pack's language is introduced in the draft's. In a mixed
/// draft an English rule's English example was introduced in Russian.
pub fn example_label(f: &Finding, draft: Language) -> &'static str {
    let language = if f.rule.starts_with("ru.") {
        Language::Ru
    } else if f.rule.starts_with("en.") {
        Language::En
    } else {
        draft
    };
    match language {
        Language::Ru => "Например:",
        Language::En | Language::Mixed => "e.g.",
    }
}

/// Lines longer than this are shown as an excerpt around the span.
const LONG_LINE: usize = 400;

fn long_line_excerpt(text: &str, line_starts: &[usize], f: &Finding) -> Option<String> {
    let start = f.span.start.min(text.len());
    let ls = line_starts
        .get(f.span.line.saturating_sub(1))
        .copied()
        .unwrap_or(0);
    let le = line_starts
        .get(f.span.line)
        .map_or(text.len(), |&n| n.saturating_sub(1));
    if le - ls <= LONG_LINE {
        return None;
    }
    let from =
        apolint_rules::diagnostics::floor_char_boundary(text, start.saturating_sub(60).max(ls));
    let to = apolint_rules::diagnostics::floor_char_boundary(text, (f.span.end + 60).min(le));
    let to = to.max(from);
    Some(format!(
        "{}{}{}",
        if from > ls { "…" } else { "" },
        // One line shown alone: a carriage return in it would send the
        // cursor back over its `path:line` prefix.
        printable(&text[from..to]).replace('\r', "?"),
        if to < le { "…" } else { "" }
    ))
}

/// `path:line:column: severity[rule] message`, grep-friendly.
pub fn one_line(path: &str, f: &Finding) -> String {
    format!(
        "{}:{}:{}: {}[{}] {}",
        path, f.span.line, f.span.column, f.severity, f.rule, f.message
    )
}

/// What a draft past [`crate::MAX_FINDINGS`] findings says of the ones
/// left out, in every format (`None` when none were): a team that reads
/// only the lines it gets must not take them for all there are.
pub fn omitted_note(r: &FileResult<'_>) -> Option<String> {
    (r.report.omitted > 0).then(|| {
        format!(
            "{} more findings not shown (at most {} per draft, the most severe kept)",
            r.report.omitted,
            crate::MAX_FINDINGS
        )
    })
}

/// The [`omitted_note`] as a line of the human and `short` outputs:
/// `path: note` (no line and column, so a parser of finding lines passes
/// over it).
fn omitted_line(r: &FileResult<'_>) -> Option<String> {
    omitted_note(r).map(|note| format!("{}: {note}\n", r.path))
}

/// `--format short`: [`one_line`] per finding, then the
/// [`omitted_note`] as `path: note`.
pub fn short(r: &FileResult<'_>) -> String {
    let mut out: String = r
        .report
        .findings
        .iter()
        .map(|f| one_line(r.path, f) + "\n")
        .collect();
    out.extend(omitted_line(r));
    out
}

/// Findings counted by severity over drafts checked one at a time, for
/// the closing summary line without keeping the reports.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Drafts counted.
    pub files: usize,
    counts: [usize; 3],
}

impl Totals {
    /// Counts one draft's findings.
    pub fn add(&mut self, report: &Report) {
        self.files += 1;
        for f in &report.findings {
            self.counts[f.severity as usize] += 1;
        }
    }

    /// The findings counted.
    pub fn findings(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The closing line: `No problems found in 2 drafts.`, or the counts.
    pub fn line(&self) -> String {
        let (files, counts) = (self.files, self.counts);
        let total: usize = counts.iter().sum();
        if total == 0 {
            format!(
                "No problems found in {files} draft{}.",
                if files == 1 { "" } else { "s" }
            )
        } else {
            format!(
                "{total} finding{} in {files} draft{}: {} error{}, {} warning{}, {} info.",
                if total == 1 { "" } else { "s" },
                if files == 1 { "" } else { "s" },
                counts[2],
                if counts[2] == 1 { "" } else { "s" },
                counts[1],
                if counts[1] == 1 { "" } else { "s" },
                counts[0],
            )
        }
    }
}

/// The level a severity has in SARIF and in GitHub's workflow commands
/// (`error`, `warning`; `info` is their `note` / `notice`).
fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Where each finding's span ends: 1-based line and the column just past
/// its last character (SARIF's exclusive `endColumn`), counted as the
/// span's start is (Unicode scalar values, a leading BOM not counted).
fn span_ends(text: &str, findings: &[Finding]) -> Vec<(usize, usize)> {
    let ends: Vec<usize> = findings
        .iter()
        .map(|f| f.span.end.max(f.span.start))
        .collect();
    crate::findings::line_cols(text, &ends)
}

/// A path as a SARIF `artifactLocation.uri`: a relative reference with
/// `/` separators (resolved by GitHub against the repository root), or a
/// `file://` URI for an absolute path; bytes outside RFC 3986's unreserved
/// set (and `/`) percent-encoded, Cyrillic names included.
pub fn path_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A SARIF 2.1.0 log (`--format sarif`) written one file at a time, like
/// [`JsonDocument`]: the rules' metadata first (`tool.driver.rules`, so
/// GitHub code scanning shows each rule's description and help), then
/// each file's results as it is checked, then the end.
#[derive(Debug, Default)]
pub struct SarifLog {
    rule_index: std::collections::HashMap<String, usize>,
    results: usize,
    /// One per draft whose findings were cut at [`crate::MAX_FINDINGS`]:
    /// the run's `toolExecutionNotifications`.
    notifications: Vec<serde_json::Value>,
}

/// The schema a SARIF log names (the OASIS 2.1.0 schema, as published on
/// schemastore.org).
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

impl SarifLog {
    /// Everything up to the first result: `rules` become
    /// `tool.driver.rules` (the first rule of an id wins when several
    /// configurations were loaded).
    pub fn start<'r>(&mut self, rules: impl IntoIterator<Item = &'r crate::Rule>) -> String {
        let mut described = Vec::new();
        for r in rules {
            if self.rule_index.contains_key(&r.id) {
                continue;
            }
            self.rule_index.insert(r.id.clone(), described.len());
            described.push(serde_json::json!({
                "id": r.id,
                "shortDescription": {"text": r.message},
                "fullDescription": {"text": r.explanation},
                "help": {
                    "text": explain(r, DocStyle::Terminal),
                    "markdown": explain(r, DocStyle::Markdown),
                },
                "defaultConfiguration": {"level": sarif_level(r.severity)},
                "properties": {"tags": [r.category.name()], "category": r.category.name()},
            }));
        }
        let driver = serde_json::json!({
            "name": "apolint",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": described,
        });
        let driver = serde_json::to_string(&driver).unwrap_or_default();
        format!(
            "{{\"$schema\":\"{SARIF_SCHEMA}\",\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{{\"driver\":{driver}}},\"columnKind\":\"unicodeCodePoints\",\"results\":["
        )
    }

    /// One file's results (empty for a clean file), each on a line of its
    /// own.
    pub fn file(&mut self, r: &FileResult<'_>) -> String {
        let uri = path_uri(r.path);
        let mut out = String::new();
        let ends = span_ends(r.text, &r.report.findings);
        for (f, &(end_line, end_column)) in r.report.findings.iter().zip(&ends) {
            let region = serde_json::json!({
                "startLine": f.span.line,
                "startColumn": f.span.column,
                "endLine": end_line,
                "endColumn": end_column,
                "snippet": {"text": r.text.get(f.span.start..f.span.end).unwrap_or("")},
            });
            let mut result = serde_json::json!({
                "ruleId": f.rule,
                "level": sarif_level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": region,
                }}],
                "properties": {"category": f.category.name(), "suggestions": f.suggestions},
            });
            if let Some(&i) = self.rule_index.get(f.rule.as_str()) {
                result["ruleIndex"] = i.into();
            }
            if let Some(fix) = &f.fix {
                let mut deleted = region.clone();
                if let Some(m) = deleted.as_object_mut() {
                    m.remove("snippet");
                }
                result["fixes"] = serde_json::json!([{
                    "description": {"text": format!("Replace with «{fix}»")},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": uri},
                        "replacements": [{"deletedRegion": deleted, "insertedContent": {"text": fix}}],
                    }],
                }]);
            }
            out.push_str(if self.results == 0 { "\n" } else { ",\n" });
            out.push_str(&serde_json::to_string(&result).unwrap_or_default());
            self.results += 1;
        }
        if let Some(note) = omitted_note(r) {
            self.notifications.push(serde_json::json!({
                "level": "warning",
                "message": {"text": note},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
            }));
        }
        out
    }

    /// What comes after the last result: the run's invocation with a
    /// notification per draft whose findings were cut, if any was.
    pub fn end(&self) -> String {
        if self.notifications.is_empty() {
            return "\n]}]}\n".to_owned();
        }
        let invocation = serde_json::json!([{
            "executionSuccessful": true,
            "toolExecutionNotifications": self.notifications,
        }]);
        format!(
            "\n],\"invocations\":{}}}]}}\n",
            serde_json::to_string(&invocation).unwrap_or_default()
        )
    }
}

/// GitHub Actions workflow commands (`--format github`), one per finding:
/// `::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`,
/// shown as annotations on the pull request's diff. Levels: `error`,
/// `warning`, and `notice` for `info`.
pub fn github(r: &FileResult<'_>) -> String {
    let mut out = String::new();
    let ends = span_ends(r.text, &r.report.findings);
    for (f, &(end_line, end_column)) in r.report.findings.iter().zip(&ends) {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = f.message.to_string();
        if let Some(fix) = &f.fix {
            message.push_str(&format!(" Fix: replace with «{fix}»."));
        } else if let Some(s) = f.suggestions.first() {
            message.push_str(&format!(" {} {s}", example_label(f, r.report.language)));
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={end_line},endColumn={end_column},title={}::{}\n",
            github_property(r.path),
            f.span.line,
            f.span.column,
            github_property(&format!("{} [{}]", f.rule, f.category)),
            github_data(&message),
        ));
    }
    if let Some(note) = omitted_note(r) {
        out.push_str(&format!(
            "::warning file={},title=apolint::{}\n",
            github_property(r.path),
            github_data(&note)
        ));
    }
    out
}

/// Escapes a workflow command's message (GitHub's `escapeData`): `%`,
/// CR and LF.
pub fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (GitHub's
/// `escapeProperty`): as a message, and `:` and `,` too.
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// How [`explain`] renders a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocStyle {
    /// Plain text for a terminal (`apolint explain`).
    Terminal,
    /// Markdown (the editor's hover).
    Markdown,
}

/// A rule explained: why it fires, what to write instead, its automatic
/// fix and its examples. `apolint explain` shows it after the rule's
/// header; the language server's hover after the finding's message.
pub fn explain(rule: &crate::Rule, style: DocStyle) -> String {
    let mut out = format!("{}\n", rule.explanation);
    let (instead, fixed, fired, quiet) = match style {
        DocStyle::Terminal => ("  • ", "  ", "  ✗ ", "  ✓ "),
        DocStyle::Markdown => ("- ", "- ", "- ✗ ", "- ✓ "),
    };
    let mut section = |title: &str, bullet: &str, items: &mut dyn Iterator<Item = String>| {
        let mut items = items.peekable();
        if items.peek().is_some() {
            out.push_str(&format!("\n{title}:\n"));
            for item in items {
                out.push_str(&format!("{bullet}{item}\n"));
            }
        }
    };
    section("Instead", instead, &mut rule.suggestions.iter().cloned());
    section(
        "Automatic fix (editors and `--format json` offer it)",
        fixed,
        &mut rule
            .fixes
            .iter()
            .map(|(from, to)| format!("«{from}» → «{to}»")),
    );
    section("Reported", fired, &mut rule.fire.iter().cloned());
    section("Not reported", quiet, &mut rule.quiet.iter().cloned());
    out
}

/// The rules of a category (`cliche`) or under an id prefix (`ru.cliche`,
/// `ru.cliche.`, `ru`), in their order; empty when `name` is neither.
pub fn rules_in_group<'r>(rules: &'r [crate::Rule], name: &str) -> Vec<&'r crate::Rule> {
    let prefix = name.trim_end_matches('.');
    if prefix.is_empty() {
        return Vec::new();
    }
    rules
        .iter()
        .filter(|r| {
            r.category.name() == prefix
                || r.id
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .collect()
}

/// The rules reference (`docs/rules.md`), generated from the loaded rules so
/// the documentation cannot drift from them: a summary table per category,
/// then each rule's explanation, suggestions and examples.
pub fn rules_markdown(rules: &[crate::Rule]) -> String {
    let mut out = String::from(
        "# apolint rules\n\nGenerated by `apolint rules --format markdown` from the rule files in `rules/`; \
         do not edit by hand (a test fails when it is out of date).\n",
    );
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for cat in crate::Category::ALL {
        let in_cat: Vec<&crate::Rule> = rules.iter().filter(|r| r.category == cat).collect();
        if in_cat.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## `{}` ({} rules)\n\n",
            cat.name(),
            in_cat.len()
        ));
        out.push_str("| id | severity | kind | message |\n|---|---|---|---|\n");
        for r in &in_cat {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                r.id,
                r.severity,
                r.kind.name(),
                cell(&r.message)
            ));
        }
        for r in &in_cat {
            out.push_str(&format!("\n### `{}`\n\n", r.id));
            out.push_str(&explain(r, DocStyle::Markdown));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckOptions, Linter};

    #[test]
    fn diff_headers_end_a_name_with_a_space_in_it_with_a_tab() {
        let diff = unified_diff("my replies/a b.txt", "Sorry!!!\n", "Sorry!\n");
        assert!(
            diff.starts_with("--- my replies/a b.txt\t\n+++ my replies/a b.txt\t\n@@ -1 +1 @@\n"),
            "{diff}"
        );
        let diff = unified_diff("macros/a.txt", "Sorry!!!\n", "Sorry!\n");
        assert!(
            diff.starts_with("--- macros/a.txt\n+++ macros/a.txt\n"),
            "{diff}"
        );
        assert_eq!(unified_diff("a b.txt", "same\n", "same\n"), "");
    }

    #[test]
    fn drafts_are_shown_without_their_control_characters() {
        assert!(matches!(
            printable("Hi «Anna»,\tline\r\n"),
            std::borrow::Cow::Borrowed(_)
        ));
        let text = "Sorry!!! \u{1b}]0;PWNED\u{7} \u{1b}[2J \u{9b}31m \u{7f}end";
        let shown = printable(text);
        assert_eq!(shown, "Sorry!!! ?]0;PWNED? ?[2J ¿31m ?end");
        assert_eq!(shown.len(), text.len(), "spans still fit");
        // Drawn by the renderer, a title-setting sequence reaches the
        // terminal as text, coloured or not.
        let linter = Linter::builtin().unwrap();
        let report = linter.check(text, &CheckOptions::default());
        assert!(!report.findings.is_empty());
        // A line long enough to be shown as an excerpt, with a carriage
        // return in it: no cursor sent back over the excerpt's prefix.
        let long = format!("{}{text}\rAll fine", "word ".repeat(400));
        let long_report = linter.check(&long, &CheckOptions::default());
        for (draft, report) in [(text, &report), (long.as_str(), &long_report)] {
            for color in [false, true] {
                let result = FileResult {
                    path: "d.txt",
                    text: draft,
                    report,
                };
                let out = human(&result, color);
                assert!(color || out.contains("?]0;PWNED?"), "{out}");
                assert!(!out.contains('\u{7}') && !out.contains('\u{9b}'), "{out}");
                assert!(!out.contains("\u{1b}]0;"), "{out}");
                assert!(!out.contains("\u{1b}[2J"), "{out}");
                assert!(!out.contains('\r'), "{out}");
            }
        }
    }

    #[test]
    fn human_output_is_the_same_with_one_shared_source() {
        // Findings across line breaks (LF, CRLF, U+2028: ariadne's own line
        // separators), several on one line, a long line shown as an excerpt.
        let linter = Linter::builtin().unwrap();
        let long = format!("{} Мы же вас предупреждали!!!", "слово ".repeat(100));
        let text = format!(
            "Hi Anna,\r\nWe apologize for any\ninconvenience caused.\u{2028}Мы же вас \
             предупреждали!!!\nПриносим свои\nизвинения за задержку 😀.\n{long}\n"
        );
        // Without the structure checklist, which follows the findings once.
        let report = Report {
            structure: None,
            ..linter.check(&text, &CheckOptions::default())
        };
        assert!(report.findings.len() >= 5, "{:?}", report.findings);
        assert!(report
            .findings
            .iter()
            .any(|f| text[f.span.start..f.span.end].contains('\n')));
        for color in [false, true] {
            let whole = human(
                &FileResult {
                    path: "d.txt",
                    text: &text,
                    report: &report,
                },
                color,
            );
            // One finding at a time: each call indexes the whole draft
            // itself, as every finding did before the index was shared.
            assert_eq!(whole, human_one_by_one(&text, &report, color));
            assert!(
                color || whole.contains(" 3 │ "),
                "a finding over lines 2-3: {whole}"
            );
        }
    }

    /// Past [`PARALLEL_RENDER_FINDINGS`], findings are drawn on two
    /// threads: the output is still each finding's report in order.
    #[test]
    fn many_findings_drawn_on_two_threads_read_as_one_by_one() {
        let linter = Linter::builtin().unwrap();
        let paragraph = "Мы же вас предупреждали!!! We apologize for any inconvenience.\n\n";
        let text = format!("\u{feff}{}", paragraph.repeat(60));
        let report = Report {
            structure: None,
            ..linter.check(&text, &CheckOptions::default())
        };
        assert!(
            report.findings.len() >= 2 * PARALLEL_RENDER_FINDINGS,
            "{} findings",
            report.findings.len()
        );
        for color in [false, true] {
            let whole = human(&file(&text, &report), color);
            let none = Report {
                findings: Vec::new(),
                ..report.clone()
            };
            let omitted = human(&file(&text, &none), color);
            let one_by_one = human_one_by_one(&text, &report, color);
            assert_eq!(whole, format!("{one_by_one}{omitted}"));
        }
    }

    fn file<'a>(text: &'a str, report: &'a Report) -> FileResult<'a> {
        FileResult {
            path: "d.txt",
            text,
            report,
        }
    }

    /// `report`'s findings drawn by [`human`] one at a time (no line of
    /// omitted findings), concatenated.
    fn human_one_by_one(text: &str, report: &Report, color: bool) -> String {
        report
            .findings
            .iter()
            .map(|f| {
                let single = Report {
                    findings: vec![f.clone()],
                    omitted: 0,
                    ..report.clone()
                };
                human(&file(text, &single), color)
            })
            .collect()
    }

    #[test]
    fn the_json_document_in_pieces_is_the_pretty_document() {
        let linter = Linter::builtin().unwrap();
        let texts = [
            "Приносим свои извинения!!!",
            "Thanks, all fixed.",
            "We apologize for any\ninconvenience.",
        ];
        let reports: Vec<Report> = texts
            .iter()
            .map(|t| linter.check(t, &CheckOptions::default()))
            .collect();
        for n in 0..=texts.len() {
            let results: Vec<FileResult<'_>> = (0..n)
                .map(|i| FileResult {
                    path: "d.txt",
                    text: texts[i],
                    report: &reports[i],
                })
                .collect();
            let mut pieces = JsonDocument::START.to_owned();
            for (i, r) in results.iter().enumerate() {
                pieces.push_str(&JsonDocument::entry(i, r));
            }
            pieces.push_str(JsonDocument::end(n));
            let files: Vec<FileJson<'_>> = results.iter().map(FileJson::new).collect();
            let whole = serde_json::to_string_pretty(&serde_json::json!({
                "version": 1,
                "files": files,
            }))
            .unwrap()
                + "\n";
            assert_eq!(pieces, whole, "{n} files");
        }
    }
}
