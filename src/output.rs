//! Rendering findings: for people (ariadne, the draft's line with the span
//! underlined) and for programs (the contract's JSON).

use ariadne::{Color, Config, IndexType, Label, Report as AReport, ReportKind, Source};
use serde_json::{json, Value};

use crate::{Finding, Report, Severity};

/// One checked file, as the output stage sees it.
pub struct FileResult<'a> {
    /// The path as given (`-` for stdin).
    pub path: &'a str,
    /// The input text.
    pub text: &'a str,
    /// The result.
    pub report: &'a Report,
}

/// The contract's JSON document for a run.
pub fn json(results: &[FileResult<'_>]) -> Value {
    json!({
        "version": 1,
        "files": results.iter().map(file_json).collect::<Vec<_>>(),
    })
}

/// One file's entry of the contract's JSON (also one line of `jsonl`).
pub fn file_json(r: &FileResult<'_>) -> Value {
    json!({
        "path": r.path,
        "language": r.report.language.code(),
        "findings": r.report.findings.iter().map(finding_json).collect::<Vec<_>>(),
    })
}

/// The pre-send answer for one request (`apolint hook`, `apolint serve`):
/// the verdict, the contract's findings, and the request's own ids echoed.
pub fn verdict_json(
    request: &crate::CheckRequest,
    report: &Report,
    verdict: crate::Verdict,
    elapsed_us: u64,
) -> Value {
    let mut v = serde_json::Map::new();
    if let Some(id) = &request.id {
        v.insert("id".into(), id.clone());
    }
    if let Some(t) = &request.ticket_id {
        v.insert("ticket_id".into(), t.clone());
    }
    v.insert("verdict".into(), verdict.name().into());
    v.insert("language".into(), report.language.code().into());
    v.insert(
        "findings".into(),
        report.findings.iter().map(finding_json).collect(),
    );
    v.insert("elapsed_us".into(), elapsed_us.into());
    Value::Object(v)
}

/// A request error as JSON: `{"error": "...", "field": "..."}`.
pub fn request_error_json(e: &crate::RequestError) -> Value {
    let mut v = json!({ "error": e.to_string() });
    if let (Some(f), Some(obj)) = (&e.field, v.as_object_mut()) {
        obj.insert("field".into(), f.clone().into());
    }
    v
}

/// One finding as contract JSON.
pub fn finding_json(f: &Finding) -> Value {
    let mut v = json!({
        "rule": f.rule,
        "category": f.category.name(),
        "severity": f.severity.name(),
        "message": f.message,
        "span": {
            "start": f.span.start,
            "end": f.span.end,
            "line": f.span.line,
            "column": f.span.column,
        },
        "suggestions": f.suggestions,
    });
    // Only findings with a machine-applicable fix carry the field, so the
    // contract's documented shape stays exactly as it was for the rest.
    if let (Some(fix), Some(obj)) = (&f.fix, v.as_object_mut()) {
        obj.insert("fix".into(), json!({ "replacement": fix }));
    }
    v
}

/// Human-readable findings for one file: each finding with its line of the
/// draft, the span underlined, the message and the first suggestion.
pub fn human(result: &FileResult<'_>, color: bool) -> String {
    let mut out = Vec::new();
    let id = result.path;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(result.text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
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
            report = report.with_help(s);
        }
        // Writing into a Vec cannot fail for I/O reasons; a rendering
        // failure falls back to the one-line form.
        if report
            .finish()
            .write((id, Source::from(result.text)), &mut out)
            .is_err()
        {
            out.extend_from_slice(one_line(result.path, f).as_bytes());
            out.push(b'\n');
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    let from = crate::diagnostics::floor_char_boundary(text, start.saturating_sub(60).max(ls));
    let to = crate::diagnostics::floor_char_boundary(text, (f.span.end + 60).min(le));
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

/// A closing summary line: counts by severity.
pub fn summary(results: &[FileResult<'_>]) -> String {
    let mut counts = [0usize; 3];
    for r in results {
        for f in &r.report.findings {
            counts[f.severity as usize] += 1;
        }
    }
    let files = results.len();
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
            out.push_str(&format!("\n### `{}`\n\n{}\n", r.id, r.explanation.trim()));
            if !r.suggestions.is_empty() {
                out.push_str("\nInstead:\n");
                for s in &r.suggestions {
                    out.push_str(&format!("- {}\n", s.trim()));
                }
            }
            if !r.fixes.is_empty() {
                let shown: Vec<String> = r
                    .fixes
                    .iter()
                    .map(|(from, to)| format!("«{from}» → «{to}»"))
                    .collect();
                out.push_str(&format!("\nAutomatic fix: {}\n", cell(&shown.join(", "))));
            }
            if let Some(f) = r.fire.first() {
                out.push_str(&format!("\nReported: {}\n", cell(f)));
            }
            if let Some(q) = r.quiet.first() {
                out.push_str(&format!("\nNot reported: {}\n", cell(q)));
            }
        }
    }
    out
}
