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
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"]")
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
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"}")
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
        }
    }
}

/// Human-readable findings for one file: each finding with its line of the
/// draft, the span underlined, the message and the first suggestion.
///
/// Linear in the draft: its line index (ariadne's [`Source`]) is built once
/// and shared by every finding's report. Built per finding, it made a
/// megabyte with a thousand findings take ten seconds (issue #19).
pub fn human(result: &FileResult<'_>, color: bool) -> String {
    let mut out = Vec::new();
    let id = result.path;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', result.text.as_bytes()).map(|i| i + 1))
        .collect();
    let mut source: Option<Source<&str>> = None;
    for f in &result.report.findings {
        if let Some(excerpt) = long_line_excerpt(result.text, &line_starts, f) {
            // ariadne prints the whole line; on a megabyte-long line that
            // would repeat the megabyte per finding.
            out.extend_from_slice(one_line(result.path, f).as_bytes());
            out.extend_from_slice(format!("\n  | {excerpt}\n").as_bytes());
            continue;
        }
        let kind = match f.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
            Severity::Info => ReportKind::Advice,
        };
        let color_of = match f.severity {
            Severity::Error => Color::Red,
            Severity::Warning => Color::Yellow,
            Severity::Info => Color::Cyan,
        };
        let range = f.span.start..f.span.end.max(f.span.start);
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
            report = report.with_help(format!("{} {s}", example_label(result.report.language)));
        }
        // Writing into a Vec cannot fail for I/O reasons; a rendering
        // failure falls back to the one-line form.
        if report
            .finish()
            .write(
                (
                    id,
                    &*source.get_or_insert_with(|| Source::from(result.text)),
                ),
                &mut out,
            )
            .is_err()
        {
            out.extend_from_slice(one_line(result.path, f).as_bytes());
            out.push(b'\n');
        }
    }
    if result.report.omitted > 0 {
        out.extend_from_slice(
            format!(
                "{}: {} more findings not shown (at most {} per draft, the most severe kept)\n",
                result.path,
                result.report.omitted,
                crate::MAX_FINDINGS
            )
            .as_bytes(),
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How a suggestion is introduced: it is an example of better wording,
/// not a correction to paste (`e.g.`, «Например:»), in the draft's
/// language.
pub fn example_label(language: Language) -> &'static str {
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
        &text[from..to],
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
    fn human_output_is_the_same_with_one_shared_source() {
        // Findings across line breaks (LF, CRLF, U+2028: ariadne's own line
        // separators), several on one line, a long line shown as an excerpt.
        let linter = Linter::builtin().unwrap();
        let long = format!("{} Мы же вас предупреждали!!!", "слово ".repeat(100));
        let text = format!(
            "Hi Anna,\r\nWe apologize for any\ninconvenience caused.\u{2028}Мы же вас \
             предупреждали!!!\nПриносим свои\nизвинения за задержку 😀.\n{long}\n"
        );
        let report = linter.check(&text, &CheckOptions::default());
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
            let one_by_one: String = report
                .findings
                .iter()
                .map(|f| {
                    let single = Report {
                        findings: vec![f.clone()],
                        ..report.clone()
                    };
                    human(
                        &FileResult {
                            path: "d.txt",
                            text: &text,
                            report: &single,
                        },
                        color,
                    )
                })
                .collect();
            assert_eq!(whole, one_by_one);
            assert!(
                color || whole.contains(" 3 │ "),
                "a finding over lines 2-3: {whole}"
            );
        }
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
