//! A rule's own examples, run: each `fire` draft must produce a finding of
//! the rule, each `quiet` draft must not, and each fix applied to a `fire`
//! example must make its finding go away. The built-in packs are held to
//! this by the test suite; a team's packs (`rule_dirs`) when they load, so
//! that a pack whose rule matches nothing, or whose fix brings its own
//! match back (`kindly` → `kindly, kindly`, which `--fix` would repeat),
//! is refused with the example that shows it.

use std::ops::Range;
use std::sync::Arc;

use apolint_rules::book::{RuleKind, RuleLang};
use apolint_rules::{FileError, Rule};

use crate::{CheckOptions, Finding, Linter};

/// What is wrong with one rule's examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// The rule's id.
    pub rule: String,
    /// The example at fault, if the problem is one example's.
    pub example: Option<String>,
    /// What is wrong, in a sentence.
    pub problem: String,
}

/// The options a rule's examples are checked with: name-mismatch examples
/// are written for a customer called Мария / Maria.
pub fn options_for(rule: &Rule) -> CheckOptions {
    let customer_name = match (&rule.kind, rule.lang) {
        (RuleKind::NameMismatch { .. }, RuleLang::En) => Some("Maria".to_owned()),
        (RuleKind::NameMismatch { .. }, _) => Some("Мария".to_owned()),
        _ => None,
    };
    CheckOptions {
        customer_name,
        ..CheckOptions::default()
    }
}

/// Whether finding `f` is rule `id`'s: a rule folded into another of its
/// category on the same words (one finding per problem) still fired.
fn is_of(f: &Finding, id: &str) -> bool {
    f.rule == id || f.also.iter().any(|a| *a == id)
}

/// Runs the examples and fixes of `rules` with `linter`; an empty list
/// when every one does what it says.
pub fn failures<'r>(
    linter: &Linter,
    rules: impl IntoIterator<Item = &'r Rule>,
) -> Vec<ExampleFailure> {
    let mut out = Vec::new();
    for rule in rules {
        let fail = |example: Option<&str>, problem: String| ExampleFailure {
            rule: rule.id.clone(),
            example: example.map(str::to_owned),
            problem,
        };
        if rule.fire.is_empty() || rule.quiet.is_empty() {
            out.push(fail(
                None,
                "needs at least one `fire` and one `quiet` example".to_owned(),
            ));
        }
        let opts = options_for(rule);
        let mut fixed_any = false;
        for draft in &rule.fire {
            let report = linter.check(draft, &opts);
            if !report.findings.iter().any(|f| is_of(f, &rule.id)) {
                let got: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
                out.push(fail(
                    Some(draft),
                    format!("does not fire on its `fire` example (found: {got:?})"),
                ));
            }
            for f in report
                .findings
                .iter()
                .filter(|f| f.rule == rule.id.as_str())
            {
                let Some(fix) = &f.fix else { continue };
                fixed_any = true;
                let fixed = format!("{}{}{}", &draft[..f.span.start], fix, &draft[f.span.end..]);
                if linter
                    .check(&fixed, &opts)
                    .findings
                    .iter()
                    .any(|g| g.rule == rule.id.as_str())
                {
                    let matched = &draft[f.span.start..f.span.end];
                    out.push(fail(
                        Some(draft),
                        format!("its fix {matched:?} → {fix:?} leaves the finding in {fixed:?}"),
                    ));
                }
            }
        }
        if !rule.fixes.is_empty() && !fixed_any {
            out.push(fail(
                None,
                "no `fire` example gets one of its `fixes`".to_owned(),
            ));
        }
        for draft in &rule.quiet {
            let report = linter.check(draft, &opts);
            if let Some(f) = report.findings.iter().find(|f| is_of(f, &rule.id)) {
                let text = &draft[f.span.start..f.span.end];
                out.push(fail(
                    Some(draft),
                    format!("fires on its `quiet` example, at {text:?}"),
                ));
            }
        }
    }
    out
}

/// `failure` as an error in the rule file it came from, pointed at the
/// example (or the rule's id) when the file can be read.
pub fn file_error(failure: &ExampleFailure, source: &str) -> FileError {
    let text: Arc<str> = std::fs::read_to_string(source)
        .map(|t| Arc::from(apolint_rules::without_bom(&t)))
        .unwrap_or_else(|_| Arc::from(""));
    let range = locate(&text, &failure.rule, failure.example.as_deref()).unwrap_or(0..0);
    FileError::new(
        source,
        &text,
        range,
        format!("rule `{}` {}", failure.rule, failure.problem),
    )
    .with_help(
        "a rule's `fire` and `quiet` examples are run when its pack loads; see rules/README.md",
    )
}

/// Where rule `id`'s `example` (else its id) is written in `text`.
fn locate(text: &str, id: &str, example: Option<&str>) -> Option<Range<usize>> {
    let quoted = format!("\"{id}\"");
    let at = text.find(&quoted)?;
    let id_range = at + 1..at + quoted.len() - 1;
    let Some(example) = example else {
        return Some(id_range);
    };
    // The next rule's table ends the search: the same example may be
    // another rule's too.
    let end = text[at..].find("[[").map_or(text.len(), |i| at + i);
    Some(
        text[at..end]
            .find(example)
            .map_or(id_range, |i| at + i..at + i + example.len()),
    )
}
