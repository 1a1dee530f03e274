//! `apolint rules` and `apolint explain`: the loaded rules, listed or one
//! of them explained.

use std::process::ExitCode;

use clap::ValueEnum;
use serde::Serialize;

use apolint_core::output::{self, DocStyle};
use apolint_core::rules::diagnostics::closest;
use apolint_core::Rule;

use super::{ConfigArgs, Failure};

/// `apolint rules` options.
#[derive(clap::Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: RulesFormat,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

/// `apolint explain` options.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// A rule id (ru.cliche.prinosim-izvineniya), or a category (cliche)
    /// or id prefix (ru.cliche) to list its rules.
    rule: String,
    #[command(flatten)]
    config: ConfigArgs,
}

/// One rule in `apolint rules --format json`.
#[derive(Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    category: &'static str,
    severity: &'static str,
    kind: &'static str,
    message: &'a str,
    explanation: &'a str,
    suggestions: &'a [String],
    source: &'a str,
    fixes: Vec<FixJson<'a>>,
}

#[derive(Serialize)]
struct FixJson<'a> {
    #[serde(rename = "match")]
    matched: &'a str,
    replacement: &'a str,
}

impl<'a> RuleJson<'a> {
    fn new(r: &'a Rule) -> Self {
        RuleJson {
            id: &r.id,
            category: r.category.name(),
            severity: r.severity.name(),
            kind: r.kind.name(),
            message: &r.message,
            explanation: &r.explanation,
            suggestions: &r.suggestions,
            source: &r.source,
            fixes: r
                .fixes
                .iter()
                .map(|(k, v)| FixJson {
                    matched: k,
                    replacement: v,
                })
                .collect(),
        }
    }
}

/// Runs `apolint rules`.
pub fn list(args: &RulesArgs) -> Result<ExitCode, Failure> {
    let linter = args.config.linter()?;
    let mut out = String::new();
    match args.format {
        RulesFormat::Text => {
            for r in linter.rules() {
                out.push_str(&format!(
                    "{:<48} {:<20} {:<8} {}\n",
                    r.id,
                    r.category.name(),
                    r.severity.name(),
                    r.message
                ));
            }
            out.push_str(&format!("{} rules\n", linter.rules().len()));
        }
        RulesFormat::Json => {
            let rules: Vec<RuleJson<'_>> = linter.rules().iter().map(RuleJson::new).collect();
            out = serde_json::to_string_pretty(&rules).unwrap_or_default();
            out.push('\n');
        }
        RulesFormat::Markdown => out = output::rules_markdown(linter.rules()),
    }
    super::write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `apolint explain`.
pub fn explain(args: &ExplainArgs) -> Result<ExitCode, Failure> {
    let linter = args.config.linter()?;
    let id = args.rule.as_str();
    let Some(r) = linter.rules().iter().find(|r| r.id == id) else {
        // A category ("cliche") or an id prefix ("ru.cliche") lists its rules.
        let group = output::rules_in_group(linter.rules(), id);
        if !group.is_empty() {
            let mut out = String::new();
            for r in &group {
                out.push_str(&format!(
                    "{:<48} {:<8} {}\n",
                    r.id,
                    r.severity.name(),
                    r.message
                ));
            }
            out.push_str(&format!(
                "{} rule{} in `{id}`; `apolint explain RULE_ID` explains one.\n",
                group.len(),
                if group.len() == 1 { "" } else { "s" }
            ));
            super::write_stdout(out.as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
        let names = linter
            .rules()
            .iter()
            .map(|r| r.id.as_str())
            .chain(apolint_core::Category::ALL.iter().map(|c| c.name()));
        let hint = closest(id, names).map_or_else(
            || " (run `apolint rules` to list them)".to_owned(),
            |c| format!("; did you mean `{c}`?"),
        );
        return Err(Failure::Message(format!(
            "unknown rule, category or id prefix `{id}`{hint}"
        )));
    };
    let out = format!(
        "{}\n  category: {}\n  severity: {}\n  kind:     {}\n  source:   {}\n\n{}\n\n{}",
        r.id,
        r.category,
        r.severity,
        r.kind.name(),
        r.source,
        r.message,
        output::explain(r, DocStyle::Terminal)
    );
    super::write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
