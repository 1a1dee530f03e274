//! `apolint check`: drafts from files, folders or stdin, findings in one of
//! four formats.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use apolint_core::files::{self, ReadError};
use apolint_core::output::{self, FileJson, FileResult, JsonDocument};
use apolint_core::{CheckOptions, FailOn, InputFormat, LanguageChoice, Linter, Report};

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
    /// Apply every safe fix in place (atomically: a file is replaced whole
    /// or not at all) and report what remains; on stdin, print the fixed
    /// draft on stdout and what remains on stderr. Exit status: what
    /// remains.
    #[arg(long)]
    fix: bool,
    /// Print the fixes as a unified diff instead of writing them (so not
    /// with `--fix`); exit status: what would remain.
    #[arg(long, conflicts_with_all = ["format", "fix"])]
    diff: bool,
    /// Say on stderr which config each draft is checked with.
    #[arg(short, long)]
    verbose: bool,
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
    /// SARIF 2.1.0, with the rules' descriptions (GitHub code scanning,
    /// other SARIF viewers).
    Sarif,
    /// GitHub Actions workflow commands: annotations on a pull request.
    Github,
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
    /// Decoded from UTF-16.
    utf16: bool,
}

impl Input {
    /// Why `--fix` must not write this draft back, if it must not: its
    /// text is not its bytes.
    fn not_writable(&self) -> Option<&'static str> {
        if self.utf16 {
            Some("a UTF-16 file is not rewritten (convert it to UTF-8 first)")
        } else if self.repaired_from.is_some() {
            Some("its invalid UTF-8 was replaced for checking (--lossy); writing it back would lose those bytes")
        } else {
            None
        }
    }
}

/// Runs `apolint check`.
pub fn run(args: CheckArgs) -> Result<ExitCode, Failure> {
    let fail_on = match &args.fail_on {
        Some(f) => Some(FailOn::parse(f).map_err(Failure::Message)?),
        None => None,
    };
    let language: LanguageChoice = args.lang.parse().map_err(Failure::Message)?;
    let situation = match args.situation.as_str() {
        "auto" => None,
        s => Some(s.parse().map_err(Failure::Message)?),
    };
    let stdin_only = args.paths.iter().all(|p| p.as_os_str() == "-") && args.paths.len() <= 1;
    if args.paths.is_empty() && std::io::stdin().is_terminal() {
        // Otherwise `apolint check` typed alone looks like a hang.
        eprintln!(
            "apolint: no file named: reading the draft from standard input (type or paste it, then Ctrl-D; Ctrl-C to stop)"
        );
    }
    let fixing = args.fix || args.diff;
    if fixing && args.paths.len() > 1 && args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err(Failure::Message(
            "--fix prints stdin's fixed draft on stdout: fix stdin alone, or name the files".into(),
        ));
    }
    if fixing && matches!(args.format, Some(Format::Jsonl)) && stdin_only {
        return Err(Failure::Message(
            "--fix and --diff work on drafts, not on the JSON Lines stream".into(),
        ));
    }
    // The fixed draft takes stdout, and what remains goes to stderr in the
    // short form: another format asked for would be silently ignored.
    if args.fix && !args.diff && stdin_only {
        if let Some(f) = args.format.filter(|f| !matches!(f, Format::Short)) {
            return Err(Failure::Message(format!(
                "--fix on stdin prints the fixed draft on stdout and what remains on stderr as --format short; --format {} cannot apply: drop it, or use --diff",
                f.to_possible_value().map_or_else(String::new, |v| v.get_name().to_owned())
            )));
        }
    }
    if matches!(args.format, Some(Format::Jsonl)) && stdin_only {
        let mut linters = Linters::default();
        let key = linters.add(&args, None, fail_on, "-")?;
        let linter = linters.take(&key)?;
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
    // Two passes: every draft is read and decoded first, so a file that
    // cannot be read fails the run (exit 2) before anything is written to
    // stdout; then each is checked and printed in turn. The drafts
    // validated first are kept up to `KEEP_VALIDATED_BYTES` in all; the
    // rest are dropped (only their paths kept) and read again in their
    // turn, so a large folder holds one draft at a time past that. (A
    // file changed between the passes can still fail in the second: then
    // the output stops there, exit 2.)
    // Each draft is checked with the apolint.toml found upward from its
    // own folder: every config is loaded (and a broken one fails the run)
    // before anything is printed.
    let (sources, mut linters) = read_and_load(&args, forced, fail_on)?;
    let mut keys = Vec::with_capacity(sources.len());
    for source in &sources {
        let (file, name) = match source {
            Source::Read(input) => (None, input.path.clone()),
            Source::Kept(path, _) | Source::File(path) => {
                (Some(path.as_path()), path.display().to_string())
            }
        };
        keys.push(linters.add(&args, file, fail_on, &name)?);
    }
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
    let mut sarif = output::SarifLog::default();
    let (mut fixes, mut fixed_drafts) = (0, 0);
    // What goes on stdout: the findings in the chosen format; with --diff
    // the diffs alone; with --fix on stdin the fixed draft alone.
    let fixed_stdin = args.fix && !args.diff && stdin_only;
    let report_findings = !args.diff && !fixed_stdin;
    if report_findings {
        match format {
            Format::Json => super::write_stdout(JsonDocument::START.as_bytes())?,
            Format::Sarif => {
                let start = sarif.start(linters.by_config.values().flat_map(|l| l.rules()));
                super::write_stdout(start.as_bytes())?
            }
            _ => {}
        }
    }
    for (k, (source, key)) in sources.into_iter().zip(&keys).enumerate() {
        let linter = linters.get(key)?;
        let input = match source {
            Source::Read(input) | Source::Kept(_, input) => input,
            Source::File(path) => read_file(&args, forced, &path, false)?.ok_or_else(|| {
                Failure::Message(format!("{}: changed while read", path.display()))
            })?,
        };
        let opts = CheckOptions {
            format: input.format,
            language,
            customer_name: args.customer_name.clone(),
            situation,
            suggestions_in_rule_order: false,
        };
        let (report, text): (Report, String) = if fixing {
            let fixed = linter.fix(&input.text, &opts);
            let changed = fixed.applied > 0;
            if changed {
                fixes += fixed.applied;
                fixed_drafts += 1;
            }
            if args.diff {
                let diff = output::unified_diff(&input.path, &input.text, &fixed.text);
                super::write_stdout(diff.as_bytes())?;
                (fixed.report, fixed.text)
            } else if fixed_stdin {
                super::write_stdout(fixed.text.as_bytes())?;
                // What remains, as `--format short` lists it (with its
                // note when findings were cut at the cap).
                let remaining = output::FileResult {
                    path: &input.path,
                    text: &fixed.text,
                    report: &fixed.report,
                };
                eprint!("{}", output::short(&remaining));
                (fixed.report, fixed.text)
            } else if !changed {
                (fixed.report, fixed.text)
            } else if let Some(why) = input.not_writable() {
                eprintln!("apolint: {}: not fixed: {why}", input.path);
                fixes -= fixed.applied;
                fixed_drafts -= 1;
                (linter.check(&input.text, &opts), input.text)
            } else {
                files::write_atomically(std::path::Path::new(&input.path), &fixed.text).map_err(
                    |e| Failure::Message(format!("{}: cannot write the fixes: {e}", input.path)),
                )?;
                (fixed.report, fixed.text)
            }
        } else {
            (linter.check(&input.text, &opts), input.text)
        };
        failed |= linter.fails(&report);
        totals.add(&report);
        if !report_findings {
            continue;
        }
        let r = FileResult {
            path: &input.path,
            text: &text,
            report: &report,
        };
        let text = match format {
            Format::Json => {
                super::write_stdout_with(|out| JsonDocument::write_entry(out, k, &r))?;
                continue;
            }
            Format::Jsonl => {
                super::write_stdout_with(|out| {
                    serde_json::to_writer(&mut *out, &FileJson::new(&r))?;
                    out.write_all(b"\n")
                })?;
                continue;
            }
            Format::Sarif => sarif.file(&r),
            Format::Github => output::github(&r),
            Format::Human => output::human(&r, color),
            Format::Short => output::short(&r),
        };
        super::write_stdout(text.as_bytes())?;
    }
    if report_findings {
        match format {
            Format::Json => super::write_stdout(JsonDocument::end(totals.files).as_bytes())?,
            Format::Sarif => super::write_stdout(sarif.end().as_bytes())?,
            Format::Human => super::write_stdout((totals.line() + "\n").as_bytes())?,
            Format::Jsonl | Format::Short | Format::Github => {}
        }
    }
    if fixing {
        let would = if args.diff { "would " } else { "" };
        let remain = match totals.findings() {
            0 if args.diff => "nothing would remain".to_owned(),
            0 => "nothing remains".to_owned(),
            1 if args.diff => "1 finding would remain".to_owned(),
            1 => "1 finding remains".to_owned(),
            n => format!("{n} findings {would}remain"),
        };
        eprintln!(
            "apolint: {} {fixes} finding{} in {fixed_drafts} draft{}; {remain}.",
            if args.diff { "would fix" } else { "fixed" },
            if fixes == 1 { "" } else { "s" },
            if fixed_drafts == 1 { "" } else { "s" },
        );
    }
    // The process ends here: freeing the compiled rules one allocation at
    // a time was a tenth of a short check's instructions (#19).
    std::mem::forget(linters);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The linters of a run, one per config file (`None`: the defaults).
#[derive(Default)]
struct Linters {
    by_config: HashMap<Option<PathBuf>, Linter>,
    /// A draft whose config was found already (the large file
    /// [`read_and_load`] built a linter for), and that config.
    located: Option<(PathBuf, Option<PathBuf>)>,
}

impl Linters {
    /// Finds the config for a draft at `file` (`None`: stdin), builds its
    /// linter unless built already, and returns its key. With `-v`, says
    /// which config `name` is checked with.
    fn add(
        &mut self,
        args: &CheckArgs,
        file: Option<&Path>,
        fail_on: Option<FailOn>,
        name: &str,
    ) -> Result<Option<PathBuf>, Failure> {
        let key = match (&self.located, file) {
            (Some((known, key)), Some(file)) if known == file => key.clone(),
            _ => args.config.locate_for(file)?,
        };
        say_config(args, name, &key);
        self.build(args, &key, fail_on)?;
        Ok(key)
    }

    /// Builds the linter of config `key` unless built already.
    fn build(
        &mut self,
        args: &CheckArgs,
        key: &Option<PathBuf>,
        fail_on: Option<FailOn>,
    ) -> Result<(), Failure> {
        if !self.by_config.contains_key(key) {
            let mut config = args.config.load_located(key.clone())?;
            if let Some(f) = fail_on {
                config.fail_on = f;
            }
            self.by_config.insert(key.clone(), super::linter(&config)?);
        }
        Ok(())
    }

    fn get(&self, key: &Option<PathBuf>) -> Result<&Linter, Failure> {
        self.by_config
            .get(key)
            .ok_or_else(|| Failure::Message("internal error: config not loaded".into()))
    }

    fn take(&mut self, key: &Option<PathBuf>) -> Result<Linter, Failure> {
        self.by_config
            .remove(key)
            .ok_or_else(|| Failure::Message("internal error: config not loaded".into()))
    }
}

/// A draft this large, named alone or redirected to stdin from a file, is
/// read while its linter is built on a second thread: each is ~1 ms for a
/// 1 MB file (issue #19). A short draft is read in microseconds, less
/// than starting a thread costs. The thread is started with
/// [`apolint_core::threads::spawn_beside`]: started plainly, it shared
/// this thread's CPU (200 paired runs of the 1 MB files against both
/// started so: +5.9% English, +10% Russian).
const LOAD_WHILE_READING_BYTES: u64 = 256 << 10;

/// The drafts named ([`list_inputs`]) and, for a single large file (or
/// stdin redirected from one), its linter, built meanwhile on a second
/// thread; otherwise no linter yet.
/// A read that fails is reported before a config that fails, as when
/// one follows the other.
fn read_and_load(
    args: &CheckArgs,
    forced: Option<InputFormat>,
    fail_on: Option<FailOn>,
) -> Result<(Vec<Source>, Linters), Failure> {
    // The large draft: a file named alone (`Some(path)`), or standard
    // input redirected from a file (`None`, the config found as for stdin).
    let large: Option<Option<&Path>> = match args.paths.as_slice() {
        [path] if path.as_os_str() != "-" => std::fs::metadata(path)
            .is_ok_and(|m| m.is_file() && m.len() >= LOAD_WHILE_READING_BYTES)
            .then_some(Some(path.as_path())),
        [] | [_] => files::stdin_file_len()
            .is_some_and(|n| n >= LOAD_WHILE_READING_BYTES)
            .then_some(None),
        _ => None,
    };
    let Some(file) = large else {
        return Ok((list_inputs(args, forced)?, Linters::default()));
    };
    // Finding the config is a few `stat`s; building its linter is the
    // part worth a thread.
    let located = args.config.locate_for(file);
    let (sources, built) = std::thread::scope(|scope| {
        let building = located.as_ref().ok().map(|key| {
            apolint_core::threads::spawn_beside(scope, move || {
                let mut linters = Linters::default();
                linters.build(args, key, fail_on).map(|()| linters)
            })
        });
        let sources = list_inputs(args, forced);
        let built = match building {
            Some(Ok(thread)) => Some(
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            ),
            // No thread: the loop that follows builds it.
            _ => None,
        };
        (sources, built)
    });
    let (sources, key) = (sources?, located?);
    match built {
        Some(Err(failure)) => {
            // As the loop would have said before failing.
            let name = file.map_or_else(|| "-".to_owned(), |f| f.display().to_string());
            say_config(args, &name, &key);
            Err(failure)
        }
        Some(Ok(mut linters)) => {
            linters.located = file.map(|f| (f.to_path_buf(), key));
            Ok((sources, linters))
        }
        None => Ok((sources, Linters::default())),
    }
}

/// With `-v`, says which config draft `name` is checked with.
fn say_config(args: &CheckArgs, name: &str, key: &Option<PathBuf>) {
    if args.verbose {
        eprintln!("apolint: {name}: {}", args.config.describe(key.as_deref()));
    }
}

/// A draft to check: read already (stdin, which cannot be read twice), a
/// file read and validated and kept, or a file read and validated once,
/// read again when its turn comes.
enum Source {
    Read(Input),
    Kept(PathBuf, Input),
    File(PathBuf),
}

/// Drafts validated up to this many bytes in all are kept for checking
/// instead of read again: reading and decoding a 1 MB file twice was a
/// tenth of checking it (issue #19), and a folder past this still holds one
/// draft at a time. Not with `--fix` writing files: each is then read just
/// before it is fixed, so a file named twice, or edited meanwhile, is
/// fixed from what it holds then.
const KEEP_VALIDATED_BYTES: usize = 64 << 20;

/// The drafts named, each validated (read and decoded; kept, or dropped
/// past [`KEEP_VALIDATED_BYTES`]): stdin for `-` (or nothing), every draft
/// file under a folder (binary files and symbolic links skipped with a
/// note), a file as it is.
fn list_inputs(args: &CheckArgs, forced: Option<InputFormat>) -> Result<Vec<Source>, Failure> {
    let stdin = || -> Result<Source, Failure> {
        let bytes = files::read_stdin(args.max_file_size).map_err(|e| match e {
            ReadError::Io { source, .. } => {
                Failure::Message(format!("cannot read stdin: {source}"))
            }
            e => e.into(),
        })?;
        let (text, repaired) = files::decode("-", bytes, args.lossy)?;
        files::refuse_encoded_mail("-", &text)?;
        note_repair("-", repaired);
        Ok(Source::Read(Input {
            path: "-".into(),
            text,
            format: forced,
            repaired_from: None,
            utf16: false,
        }))
    };
    if args.paths.is_empty() {
        return Ok(vec![stdin()?]);
    }
    let mut sources = Vec::new();
    let writes_fixes = args.fix && !args.diff;
    let mut kept_bytes = 0;
    let mut validate = |sources: &mut Vec<Source>,
                        path: &std::path::Path,
                        in_folder: bool|
     -> Result<(), Failure> {
        if let Some(input) = read_file(args, forced, path, in_folder)? {
            if let Some(at) = input.repaired_from {
                note_repair(&input.path, Some(at));
            }
            kept_bytes += input.text.len();
            if !writes_fixes && kept_bytes <= KEEP_VALIDATED_BYTES {
                sources.push(Source::Kept(path.to_owned(), input));
            } else {
                sources.push(Source::File(path.to_owned()));
            }
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
            if let Some(first) = &found.first_skipped {
                eprintln!(
                    "apolint: {}: skipped {} without a draft's extension (.{}), such as {}; name a file to check it",
                    p.display(),
                    match found.skipped_other {
                        1 => "1 file".to_owned(),
                        n => format!("{n} files"),
                    },
                    files::DRAFT_EXTENSIONS.join(", ."),
                    first.display()
                );
            }
            if found.files.is_empty() && found.skipped_links.is_empty() {
                eprintln!("apolint: {}: no drafts in this folder", p.display());
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
            utf16: d.utf16,
        })),
        Err(ReadError::Binary { .. }) if in_folder => {
            eprintln!("apolint: skipping {name}: binary file");
            Ok(None)
        }
        // Named alone it fails the run (exit 2); in a folder it is one
        // draft that cannot be checked, said as a binary file is.
        Err(e @ ReadError::EncodedMail { .. }) if in_folder => {
            eprintln!("apolint: skipping {e}");
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
