//! `apolint check`: drafts from files, folders or stdin, findings in one of
//! four formats.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use apolint_core::files::{self, ReadError};
use apolint_core::output::{self, FileJson, FileResult, RunJson};
use apolint_core::{CheckOptions, FailOn, InputFormat, LanguageChoice, Report};

use super::{ConfigArgs, Failure, MAX_DRAFT_BYTES};

/// `apolint check` options.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Files or directories to check; `-` or nothing reads stdin.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Language of the rules to apply; auto decides per sentence.
    #[arg(long, value_parser = ["auto", "ru", "en"], default_value = "auto")]
    lang: String,
    /// The customer's name: enables the name-mismatch check.
    #[arg(long, value_name = "NAME")]
    customer_name: Option<String>,
    /// What the reply answers; auto infers it from the draft (an apology
    /// or a named problem: complaint; thanks for praise: positive).
    #[arg(long, value_parser = ["auto", "complaint", "neutral", "positive"], default_value = "auto")]
    situation: String,
    #[command(flatten)]
    config: ConfigArgs,
    /// Input format; auto goes by file extension (.md, .html), else plain.
    #[arg(long, value_parser = ["auto", "plain", "markdown", "html"], default_value = "auto")]
    input_format: String,
    /// Fail (exit 1) on findings at or above this severity.
    #[arg(long, value_parser = ["error", "warning", "info", "never"])]
    fail_on: Option<String>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Replace invalid UTF-8 with U+FFFD (noted on stderr) instead of
    /// failing; spans then refer to the repaired text.
    #[arg(long)]
    lossy: bool,
    /// Refuse drafts larger than this many bytes (exit 2), so that a stray
    /// 200 MB file cannot take the memory of a shared machine.
    #[arg(long, value_name = "BYTES", default_value_t = MAX_DRAFT_BYTES)]
    max_file_size: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Findings with the draft's line and the span underlined.
    Human,
    /// The contract's JSON document.
    Json,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Short,
    /// One JSON object per line: per file, or, on stdin, one answer per
    /// JSON request line ({"text": …}), flushed as soon as it is ready, so
    /// one process can serve many drafts.
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A draft read from disk or stdin.
struct Input {
    path: String,
    text: String,
    format: Option<InputFormat>,
}

/// Runs `apolint check`.
pub fn run(args: CheckArgs) -> Result<ExitCode, Failure> {
    let mut config = args.config.load()?;
    if let Some(f) = &args.fail_on {
        config.fail_on = FailOn::parse(f).map_err(Failure::Message)?;
    }
    let linter = super::linter(&config)?;
    let language: LanguageChoice = args.lang.parse().map_err(Failure::Message)?;
    let situation = match args.situation.as_str() {
        "auto" => None,
        s => Some(s.parse().map_err(Failure::Message)?),
    };
    let stdin_only = args.paths.iter().all(|p| p.as_os_str() == "-") && args.paths.len() <= 1;
    if matches!(args.format, Some(Format::Jsonl)) && stdin_only {
        let defaults = apolint_core::request::RequestDefaults {
            situation,
            language,
            customer_name: args.customer_name.clone(),
        };
        return super::stream::run(&linter, &defaults, args.max_file_size);
    }
    let forced = match args.input_format.as_str() {
        "auto" => None,
        f => Some(f.parse::<InputFormat>().map_err(Failure::Message)?),
    };
    // Read everything first: a file that cannot be read fails the run before
    // anything is written to stdout.
    let inputs = read_inputs(&args, forced)?;
    let reports: Vec<Report> = inputs
        .iter()
        .map(|i| {
            let opts = CheckOptions {
                format: i.format,
                language,
                customer_name: args.customer_name.clone(),
                situation,
            };
            linter.check(&i.text, &opts)
        })
        .collect();
    let results: Vec<FileResult<'_>> = inputs
        .iter()
        .zip(&reports)
        .map(|(i, r)| FileResult {
            path: &i.path,
            text: &i.text,
            report: r,
        })
        .collect();
    let color = match args.color {
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
        ColorChoice::Always => true,
        ColorChoice::Never => false,
    };
    let mut text = String::new();
    match args.format.unwrap_or(Format::Human) {
        Format::Json => {
            text = serde_json::to_string_pretty(&RunJson::new(&results)).unwrap_or_default();
            text.push('\n');
        }
        Format::Human => {
            for r in &results {
                text.push_str(&output::human(r, color));
            }
            text.push_str(&output::summary(&results));
            text.push('\n');
        }
        Format::Jsonl => {
            for r in &results {
                text.push_str(&serde_json::to_string(&FileJson::new(r)).unwrap_or_default());
                text.push('\n');
            }
        }
        Format::Short => {
            for r in &results {
                for f in &r.report.findings {
                    text.push_str(&output::one_line(r.path, f));
                    text.push('\n');
                }
            }
        }
    }
    super::write_stdout(text.as_bytes())?;
    let failed = reports.iter().any(|r| linter.fails(r));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads every draft named: stdin for `-` (or nothing), every draft file
/// under a folder (binary files skipped with a note), a file as it is.
fn read_inputs(args: &CheckArgs, forced: Option<InputFormat>) -> Result<Vec<Input>, Failure> {
    let stdin = || -> Result<Input, Failure> {
        let bytes = files::read_bounded(std::io::stdin(), "-", args.max_file_size).map_err(
            |e| match e {
                ReadError::Io { source, .. } => {
                    Failure::Message(format!("cannot read stdin: {source}"))
                }
                e => e.into(),
            },
        )?;
        let (text, repaired) = files::decode("-", bytes, args.lossy)?;
        note_repair("-", repaired);
        Ok(Input {
            path: "-".into(),
            text,
            format: forced,
        })
    };
    if args.paths.is_empty() {
        return Ok(vec![stdin()?]);
    }
    let read = |path: &std::path::Path, in_folder: bool| -> Result<Option<Input>, Failure> {
        let name = path.display().to_string();
        match files::read_draft(path, args.max_file_size, args.lossy) {
            Ok(d) => {
                note_repair(&name, d.repaired_from);
                Ok(Some(Input {
                    path: name,
                    text: d.text,
                    format: forced.or(d.format),
                }))
            }
            Err(ReadError::Binary { .. }) if in_folder => {
                eprintln!("apolint: skipping {name}: binary file");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    };
    let mut inputs = Vec::new();
    for p in &args.paths {
        if p.as_os_str() == "-" {
            inputs.push(stdin()?);
        } else if p.is_dir() {
            for f in files::draft_files(p)? {
                inputs.extend(read(&f, true)?);
            }
        } else {
            inputs.extend(read(p, false)?);
        }
    }
    Ok(inputs)
}

/// With `--lossy`, says on stderr where the repair began.
fn note_repair(name: &str, repaired_from: Option<usize>) {
    if let Some(at) = repaired_from {
        eprintln!("apolint: {name}: invalid UTF-8 from byte {at} replaced with U+FFFD (--lossy)");
    }
}
