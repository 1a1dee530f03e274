//! Precision and recall of the structure checklist: which parts of a good
//! reply apolint finds, against a support lead's labels.
//!
//! Labels are TOML, one table per draft; `file` is relative to the labels
//! file's folder:
//!
//! ```toml
//! [[draft]]
//! file = "../en/drafts/en-a001.txt"
//! complaint = true
//! parts = ["greeting", "apology", "fix"]
//! evidence = { greeting = "Hi Sam,", apology = "We apologize" }
//! ```
//!
//! Parts are measured on the drafts labelled `complaint = true`, checked as
//! replies to a complaint; whether apolint itself takes a draft for one is
//! counted apart (the `complaint` row: whether apolint assessed the
//! structure at all).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::eval::{table_header, table_row, Counts};
use crate::structure::Part;
use crate::{CheckOptions, Linter};
use apolint_rules::book::Situation;
use apolint_rules::diagnostics::{from_toml, FileError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabels {
    #[serde(default)]
    draft: Vec<RawDraft>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDraft {
    file: String,
    complaint: bool,
    #[serde(default)]
    parts: Vec<String>,
    #[serde(default)]
    evidence: BTreeMap<String, String>,
    #[serde(default)]
    customer_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)] // the labeller's own words, for people
    note: Option<String>,
}

/// A labelled draft is a reply, not a log: larger files are refused.
const MAX_DRAFT_BYTES: u64 = 1 << 20;

/// One draft with its labelled parts.
#[derive(Debug, Clone)]
pub struct PartsLabel {
    /// Where the draft is.
    pub path: PathBuf,
    /// The draft.
    pub text: String,
    /// Whether it replies to a complaint.
    pub complaint: bool,
    /// The parts it has.
    pub parts: Vec<Part>,
    /// The labeller's phrase per part.
    pub evidence: BTreeMap<Part, String>,
    /// The customer's name, when known.
    pub customer_name: Option<String>,
}

/// Loads a labels file; every unknown part name or unreadable draft is a
/// pointed error.
pub fn load(path: &Path) -> Result<Vec<PartsLabel>, Vec<FileError>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![crate::eval::io_err(path, &e)])?;
    let shared: Arc<str> = Arc::from(apolint_rules::without_bom(&text));
    let raw: RawLabels =
        toml::from_str(&shared).map_err(|e| vec![from_toml(&name, &shared, &e)])?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for d in raw.draft {
        let mut bad = |m: String| errors.push(FileError::new(&name, &shared, 0..0, m));
        let parts: Vec<Part> = d
            .parts
            .iter()
            .filter_map(|p| p.parse().map_err(|e| bad(format!("{}: {e}", d.file))).ok())
            .collect();
        let evidence = d
            .evidence
            .into_iter()
            .filter_map(|(p, t)| Some((p.parse::<Part>().ok()?, t)))
            .collect();
        let draft_path = base.join(&d.file);
        match crate::files::read_draft(&draft_path, MAX_DRAFT_BYTES, false) {
            Ok(file) => out.push(PartsLabel {
                path: draft_path,
                text: file.text,
                complaint: d.complaint,
                parts,
                evidence,
                customer_name: d.customer_name,
            }),
            Err(e) => bad(format!("{}: {e}", d.file)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A disagreement on one part of one draft.
#[derive(Debug, Clone)]
pub struct PartMiss {
    /// The draft.
    pub draft: PathBuf,
    /// The part.
    pub part: Part,
    /// `true`: found but not labelled; `false`: labelled but not found.
    pub false_positive: bool,
    /// What apolint matched (false positive) or the labeller's phrase.
    pub text: String,
}

/// The result: counts per part, and for telling complaints apart.
#[derive(Debug, Clone, Default)]
pub struct PartsEvaluation {
    /// Per part, over the drafts labelled as replies to a complaint.
    pub parts: BTreeMap<Part, Counts>,
    /// apolint's situation against the `complaint` labels.
    pub complaint: Counts,
    /// Labelled drafts, and how many reply to a complaint.
    pub drafts: (usize, usize),
    /// Every disagreement on a part.
    pub misses: Vec<PartMiss>,
}

/// Checks every labelled draft and compares the parts found.
pub fn evaluate(linter: &Linter, labels: &[PartsLabel]) -> PartsEvaluation {
    let mut ev = PartsEvaluation {
        drafts: (labels.len(), labels.iter().filter(|l| l.complaint).count()),
        ..PartsEvaluation::default()
    };
    for l in labels {
        let inferred = linter.check(
            &l.text,
            &CheckOptions {
                customer_name: l.customer_name.clone(),
                // Only the structure is read, never suggestions.
                suggestions_in_rule_order: true,
                ..CheckOptions::default()
            },
        );
        let said = inferred.structure.is_some();
        let c = &mut ev.complaint;
        match (said, l.complaint) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, true) => c.fn_ += 1,
            (false, false) => {}
        }
        c.support += usize::from(l.complaint);
        if !l.complaint {
            continue;
        }
        let report = linter.check(
            &l.text,
            &CheckOptions {
                customer_name: l.customer_name.clone(),
                situation: Some(Situation::Complaint),
                suggestions_in_rule_order: true,
                ..CheckOptions::default()
            },
        );
        let Some(structure) = report.structure else {
            continue;
        };
        for p in Part::ALL {
            let found = structure.part(p);
            let labelled = l.parts.contains(&p);
            let counts = ev.parts.entry(p).or_default();
            counts.support += usize::from(labelled);
            let text = match (found.present, labelled) {
                (true, true) => {
                    counts.tp += 1;
                    continue;
                }
                (false, false) => continue,
                (true, false) => {
                    counts.fp += 1;
                    found
                        .span
                        .and_then(|s| l.text.get(s.start..s.end))
                        .unwrap_or_default()
                        .to_owned()
                }
                (false, true) => {
                    counts.fn_ += 1;
                    l.evidence.get(&p).cloned().unwrap_or_default()
                }
            };
            ev.misses.push(PartMiss {
                draft: l.path.clone(),
                part: p,
                false_positive: found.present,
                text,
            });
        }
    }
    ev
}

/// The per-part table, then (with `list_misses`) every disagreement.
pub fn render(ev: &PartsEvaluation, list_misses: bool) -> String {
    let (n, complaints) = ev.drafts;
    let mut out = format!("\n== structure: {n} drafts, {complaints} replies to a complaint ==\n");
    out.push_str(&table_header("part"));
    for (p, c) in &ev.parts {
        out.push_str(&table_row(p.name(), c));
    }
    out.push_str(&table_row("(complaint or not)", &ev.complaint));
    if list_misses && !ev.misses.is_empty() {
        out.push_str("\nMisses:\n");
        for m in &ev.misses {
            let (kind, what) = if m.false_positive {
                ("FP", "found")
            } else {
                ("FN", "expected")
            };
            out.push_str(&format!(
                "  {kind} {:<16} {} — {what} «{}»\n",
                m.part.name(),
                m.draft.display(),
                m.text.replace('\n', " ")
            ));
        }
    }
    out
}

/// Parts whose precision or recall is below `min` once `support` drafts
/// are labelled with them (empty: passes).
pub fn shortfalls(ev: &PartsEvaluation, min: f64, support: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (p, c) in &ev.parts {
        if c.support < support {
            continue;
        }
        for (what, v) in [("precision", c.precision()), ("recall", c.recall())] {
            if let Some(v) = v.filter(|v| *v < min) {
                out.push(format!("{} {what} {v:.3} < {min}", p.name()));
            }
        }
    }
    out
}
