//! `apolint eval`: precision and recall on a labelled corpus.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{ConfigArgs, Failure};

/// `apolint eval` options.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The corpus folder (with ru/, en/ inside).
    #[arg(default_value = "corpus")]
    corpus: PathBuf,
    /// List every false positive and false negative.
    #[arg(long)]
    misses: bool,
    /// Only label files whose name contains this (e.g. `labels-a` for
    /// one split of the corpus).
    #[arg(long, default_value = "")]
    labels: String,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs `apolint eval`.
pub fn run(args: &EvalArgs) -> Result<ExitCode, Failure> {
    let (corpus, misses, labels) = (&args.corpus, args.misses, args.labels.as_str());
    let linter = args.config.linter()?;
    let drafts = apolint_core::eval::load_corpus(corpus, labels).map_err(Failure::Files)?;
    if drafts.is_empty() {
        return Err(Failure::Message(format!(
            "no labelled drafts under {}",
            corpus.display()
        )));
    }
    let ev = apolint_core::eval::evaluate(&linter, &drafts);
    let mut out = apolint_core::eval::render(&ev, misses);
    let short = apolint_core::eval::shortfalls(&ev, &apolint_core::eval::Thresholds::default());
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
