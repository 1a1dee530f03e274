//! `apolint check`: drafts from files, folders or stdin, findings in one of
//! four formats.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use apolint_core::files::{self, ReadError};
use apolint_core::output::{self, FileJson, FileResult, JsonDocument};
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
    /// With `--lossy`: where the repair began.
    repaired_from: Option<usize>,
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
    // Two passes: every draft is read and decoded first and dropped (only
    // its path kept), so a file that cannot be read fails the run (exit 2)
    // before anything is written to stdout; then each is read again,
    // checked and printed in turn, so memory holds one draft at a time
    // however large the folder. (A file changed between the passes can
    // still fail in the second: then the output stops there, exit 2.)
    let sources = list_inputs(&args, forced)?;
    let color = match args.color {
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
        ColorChoice::Always => true,
        ColorChoice::Never => false,
    };
    let format = args.format.unwrap_or(Format::Human);
    let mut totals = output::Totals::default();
    let mut failed = false;
    if let Format::Json = format {
        super::write_stdout(JsonDocument::START.as_bytes())?;
    }
    for (k, source) in sources.into_iter().enumerate() {
        let input = match source {
            Source::Read(input) => input,
            Source::File(path) => read_file(&args, forced, &path, false)?.ok_or_else(|| {
                Failure::Message(format!("{}: changed while read", path.display()))
            })?,
        };
        let opts = CheckOptions {
            format: input.format,
            language,
            customer_name: args.customer_name.clone(),
            situation,
        };
        let report: Report = linter.check(&input.text, &opts);
        failed |= linter.fails(&report);
        totals.add(&report);
        let r = FileResult {
            path: &input.path,
            text: &input.text,
            report: &report,
        };
        let text = match format {
            Format::Json => JsonDocument::entry(k, &r),
            Format::Human => output::human(&r, color),
            Format::Jsonl => serde_json::to_string(&FileJson::new(&r)).unwrap_or_default() + "\n",
            Format::Short => r
                .report
                .findings
                .iter()
                .map(|f| output::one_line(r.path, f) + "\n")
                .collect(),
        };
        super::write_stdout(text.as_bytes())?;
    }
    match format {
        Format::Json => super::write_stdout(JsonDocument::end(totals.files).as_bytes())?,
        Format::Human => super::write_stdout((totals.line() + "\n").as_bytes())?,
        Format::Jsonl | Format::Short => {}
    }
    // The process ends here: freeing the compiled rules one allocation at
    // a time was a tenth of a short check's instructions (#19).
    std::mem::forget(linter);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A draft to check: read already (stdin, which cannot be read twice), or
/// a file read and validated once, read again when its turn comes.
enum Source {
    Read(Input),
    File(PathBuf),
}

/// The drafts named, each validated (read, decoded, dropped): stdin for
/// `-` (or nothing), every draft file under a folder (binary files and
/// symbolic links skipped with a note), a file as it is.
fn list_inputs(args: &CheckArgs, forced: Option<InputFormat>) -> Result<Vec<Source>, Failure> {
    let stdin = || -> Result<Source, Failure> {
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
        Ok(Source::Read(Input {
            path: "-".into(),
            text,
            format: forced,
            repaired_from: None,
        }))
    };
    if args.paths.is_empty() {
        return Ok(vec![stdin()?]);
    }
    let mut sources = Vec::new();
    let validate = |sources: &mut Vec<Source>,
                    path: &std::path::Path,
                    in_folder: bool|
     -> Result<(), Failure> {
        if let Some(input) = read_file(args, forced, path, in_folder)? {
            if let Some(at) = input.repaired_from {
                note_repair(&input.path, Some(at));
            }
            sources.push(Source::File(path.to_owned()));
        }
        Ok(())
    };
    for p in &args.paths {
        if p.as_os_str() == "-" {
            // Kept in order: stdin is read here, once.
            let s = stdin()?;
            sources.push(s);
        } else if p.is_dir() {
            let found = files::draft_files(p)?;
            for link in &found.skipped_links {
                eprintln!(
                    "apolint: skipping {}: a symbolic link (not followed in a folder; name it to check it)",
                    link.display()
                );
            }
            for f in &found.files {
                validate(&mut sources, f, true)?;
            }
        } else {
            validate(&mut sources, p, false)?;
        }
    }
    Ok(sources)
}

/// A draft read from disk and decoded; `None` for a binary file in a
/// folder (skipped with a note).
fn read_file(
    args: &CheckArgs,
    forced: Option<InputFormat>,
    path: &std::path::Path,
    in_folder: bool,
) -> Result<Option<Input>, Failure> {
    let name = path.display().to_string();
    match files::read_draft(path, args.max_file_size, args.lossy) {
        Ok(d) => Ok(Some(Input {
            path: name,
            text: d.text,
            format: forced.or(d.format),
            repaired_from: d.repaired_from,
        })),
        Err(ReadError::Binary { .. }) if in_folder => {
            eprintln!("apolint: skipping {name}: binary file");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// With `--lossy`, says on stderr where the repair began.
fn note_repair(name: &str, repaired_from: Option<usize>) {
    if let Some(at) = repaired_from {
        eprintln!("apolint: {name}: invalid UTF-8 from byte {at} replaced with U+FFFD (--lossy)");
    }
}
