//! `apolint eval`: precision and recall on a labelled set.

use std::path::PathBuf;
use std::process::ExitCode;

use apolint_core::eval::{self, Thresholds};
use apolint_core::eval_parts;

use super::{ConfigArgs, Failure};

/// `apolint eval` options.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The labelled set: a corpus folder (ru/, en/ with labels*.toml), a
    /// folder of NAME.jsonl + NAME.labels.jsonl pairs, a JSON Lines
    /// file of {"id", "text", "categories"}, or a `.toml` file of
    /// structure labels ([[draft]] file, complaint, parts): then the
    /// structure checklist is measured, part by part.
    // This text is `--help`'s too: `[[draft]]` stays as TOML writes it.
    #[allow(rustdoc::broken_intra_doc_links)]
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
    #[arg(long, default_value_t = Thresholds::default().precision, value_name = "P", value_parser = fraction)]
    min_precision: f64,
    /// Overall recall below this fails the run (exit 1).
    #[arg(long, default_value_t = Thresholds::default().recall, value_name = "R", value_parser = fraction)]
    min_recall: f64,
    /// Precision or recall of a category below this fails the run, once
    /// --min-support drafts are labelled with it.
    #[arg(long, default_value_t = Thresholds::default().category, value_name = "X", value_parser = fraction)]
    min_category: f64,
    /// Drafts a category needs before --min-category applies to it.
    #[arg(long, default_value_t = Thresholds::default().min_support, value_name = "N")]
    min_support: usize,
    /// Structure labels: precision or recall of a part below this fails
    /// the run, once --min-part-support drafts are labelled with it.
    #[arg(long, default_value_t = 0.85, value_name = "X", value_parser = fraction)]
    min_part: f64,
    /// Drafts a part needs before --min-part applies to it.
    #[arg(long, default_value_t = 20, value_name = "N")]
    min_part_support: usize,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs `apolint eval`.
pub fn run(args: &EvalArgs) -> Result<ExitCode, Failure> {
    // Said before the rules load: outside the repository, `apolint eval`
    // alone looks for a `corpus` folder that is not there.
    if !args.corpus.exists() {
        return Err(Failure::Message(format!(
            "{}: no such labelled set{}; give the path of a corpus folder, a JSON Lines \
             set or a structure labels file (`apolint eval --help`)",
            args.corpus.display(),
            if args.corpus.as_os_str() == "corpus" {
                " (`corpus`, the default, is the repository's own)"
            } else {
                ""
            }
        )));
    }
    let linter = args.config.linter()?;
    if args.corpus.extension().is_some_and(|e| e == "toml") {
        return run_parts(args, &linter);
    }
    let drafts = eval::load(&args.corpus, args.labels_from.as_deref(), &args.labels)
        .map_err(Failure::Files)?;
    if drafts.is_empty() {
        return Err(Failure::Message(format!(
            "no labelled drafts under {}",
            args.corpus.display()
        )));
    }
    let ev = eval::evaluate(&linter, &drafts);
    let out = eval::render(&ev, args.misses);
    let thresholds = Thresholds {
        precision: args.min_precision,
        recall: args.min_recall,
        category: args.min_category,
        min_support: args.min_support,
    };
    let short = eval::shortfalls(&ev, &thresholds);
    finish(out, &short)
}

/// `apolint eval LABELS.toml`: the structure checklist, part by part.
fn run_parts(args: &EvalArgs, linter: &apolint_core::Linter) -> Result<ExitCode, Failure> {
    let labels = eval_parts::load(&args.corpus).map_err(Failure::Files)?;
    if labels.is_empty() {
        return Err(Failure::Message(format!(
            "no [[draft]] in {}",
            args.corpus.display()
        )));
    }
    let ev = eval_parts::evaluate(linter, &labels);
    let out = eval_parts::render(&ev, args.misses);
    let short = eval_parts::shortfalls(&ev, args.min_part, args.min_part_support);
    finish(out, &short)
}

fn finish(mut out: String, short: &[String]) -> Result<ExitCode, Failure> {
    if short.is_empty() {
        out.push_str("\nAll thresholds met.\n");
    } else {
        out.push_str("\nBelow thresholds:\n");
        for s in short {
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

/// A share from 0 to 1: `--min-precision 85` (a percentage) or `1.5`
/// would fail every run.
fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        Ok(_) => Err("expected a share from 0 to 1, such as 0.85".into()),
        Err(e) => Err(e.to_string()),
    }
}
