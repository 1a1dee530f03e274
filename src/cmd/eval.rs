//! `apolint eval`: precision and recall on a labelled set.

use std::path::PathBuf;
use std::process::ExitCode;

use apolint_core::eval::{self, Thresholds};

use super::{ConfigArgs, Failure};

/// `apolint eval` options.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The labelled set: a corpus folder (ru/, en/ with labels*.toml), a
    /// folder of NAME.jsonl + NAME.labels.jsonl pairs, or a JSON Lines
    /// file of {"id", "text", "categories"}.
    #[arg(default_value = "corpus")]
    corpus: PathBuf,
    /// Labels for a JSON Lines file of texts, joined by `id`:
    /// {"id", "categories", "evidence"} per line.
    #[arg(long, value_name = "FILE")]
    labels_from: Option<PathBuf>,
    /// List every false positive and false negative, with the phrase that
    /// fired or was expected.
    #[arg(long)]
    misses: bool,
    /// Only label files whose name contains this (e.g. `labels-a` for
    /// one split of the corpus, `en` for one language of a JSONL folder).
    #[arg(long, default_value = "")]
    labels: String,
    /// Overall precision below this fails the run (exit 1).
    #[arg(long, default_value_t = Thresholds::default().precision, value_name = "P")]
    min_precision: f64,
    /// Overall recall below this fails the run (exit 1).
    #[arg(long, default_value_t = Thresholds::default().recall, value_name = "R")]
    min_recall: f64,
    /// Precision or recall of a category below this fails the run, once
    /// --min-support drafts are labelled with it.
    #[arg(long, default_value_t = Thresholds::default().category, value_name = "X")]
    min_category: f64,
    /// Drafts a category needs before --min-category applies to it.
    #[arg(long, default_value_t = Thresholds::default().min_support, value_name = "N")]
    min_support: usize,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs `apolint eval`.
pub fn run(args: &EvalArgs) -> Result<ExitCode, Failure> {
    let linter = args.config.linter()?;
    let drafts = eval::load(&args.corpus, args.labels_from.as_deref(), &args.labels)
        .map_err(Failure::Files)?;
    if drafts.is_empty() {
        return Err(Failure::Message(format!(
            "no labelled drafts under {}",
            args.corpus.display()
        )));
    }
    let ev = eval::evaluate(&linter, &drafts);
    let mut out = eval::render(&ev, args.misses);
    let thresholds = Thresholds {
        precision: args.min_precision,
        recall: args.min_recall,
        category: args.min_category,
        min_support: args.min_support,
    };
    let short = eval::shortfalls(&ev, &thresholds);
    if short.is_empty() {
        out.push_str("\nAll thresholds met.\n");
    } else {
        out.push_str("\nBelow thresholds:\n");
        for s in &short {
            out.push_str(&format!("  {s}\n"));
        }
    }
    super::write_stdout(out.as_bytes())?;
    Ok(if short.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
