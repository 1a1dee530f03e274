//! The `apolint` command line.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use apolint::output::{self, FileResult};

mod serve;

// mimalloc: loading the rule packs is allocation-heavy and runs on two
// threads; with glibc's allocator the second thread's fresh arena ate the
// gain (measured: 3.1 ms vs 1.5 ms to load the built-in rules).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use apolint::{
    CheckOptions, Config, FailOn, FileError, InputFormat, LanguageChoice, Linter, Report,
};

/// A linter for customer-facing apology messages in Russian and English.
///
/// Reads a support agent's draft reply and flags what makes customers
/// angrier: stock clichés, passive aggression, blame-shifting, non-apologies,
/// impossible promises, officialese, unfilled placeholders, a promise with no
/// deadline, an admitted fault with no compensation.
#[derive(Parser)]
#[command(name = "apolint", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check drafts (files, directories, or - for stdin).
    ///
    /// Exit status: 0 no finding at or above the failing severity, 1 at least
    /// one, 2 the run failed (bad option, unreadable file, invalid config).
    Check(CheckArgs),
    /// List the loaded rules.
    Rules(RulesArgs),
    /// Measure precision and recall on the labelled corpus.
    ///
    /// Exit status 1 when overall precision < 0.95, recall < 0.90, or a
    /// category (with 5+ drafts) below 0.85 on either.
    Eval {
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
        /// Config file (otherwise apolint.toml is discovered upward).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Pre-send hook: one JSON request on stdin, the verdict on stdout.
    ///
    /// Request: {"text": "…", "customer_name": "…", "language": "auto|ru|en",
    /// "channel": "email|chat|…", "ticket_id": "…"}. Answer: {"verdict":
    /// "send|warn|block", "findings": […], "elapsed_us": N}. The policy is
    /// `[verdict]` in apolint.toml.
    ///
    /// Exit status: 0 send, 1 warn, 3 block, 2 error (bad request or config).
    Hook {
        /// Config file (otherwise apolint.toml is discovered upward).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Ignore any apolint.toml.
        #[arg(long, conflicts_with = "config")]
        no_config: bool,
    },
    /// Audit a help-desk export: what the whole team sends.
    ///
    /// Reads JSON Lines (.jsonl/.ndjson, or - for stdin), CSV (.csv, with a
    /// header row) or folders of text files, on all cores, in bounded
    /// memory; writes a JSON summary and, with --html, a self-contained
    /// report. Unreadable records are counted and listed, never dropped
    /// silently, and never stop the run.
    Audit(AuditArgs),
    /// Run the pre-send HTTP service (and the browser playground at /).
    ///
    /// POST /v1/check, POST /v1/check/batch, GET /healthz, GET /metrics.
    /// The bearer token, if any, comes from --token-file or APOLINT_TOKEN.
    Serve(serve::ServeArgs),
    /// Run the language server on stdin/stdout (for editors).
    ///
    /// Publishes findings as diagnostics while you type, with quick fixes
    /// and "disable this rule" actions; see the README for editor set-up.
    Lsp,
    /// Explain one rule, with its examples.
    Explain {
        /// The rule id, e.g. ru.cliche.prinosim-izvineniya.
        rule: String,
        /// Config file (otherwise apolint.toml is discovered upward).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or directories to check; `-` or nothing reads stdin.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Language of the rules to apply; auto decides per sentence.
    #[arg(long, value_enum, default_value = "auto")]
    lang: Lang,
    /// The customer's name: enables the name-mismatch check.
    #[arg(long, value_name = "NAME")]
    customer_name: Option<String>,
    /// Config file (otherwise apolint.toml is discovered upward from the
    /// current directory).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore any apolint.toml.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Input format; auto goes by file extension (.md, .html), else plain.
    #[arg(long, value_enum, default_value = "auto")]
    input_format: InFormat,
    /// Fail (exit 1) on findings at or above this severity.
    #[arg(long, value_enum)]
    fail_on: Option<FailLevel>,
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

/// How drafts are read.
#[derive(Clone, Copy)]
struct ReadOptions {
    forced: Option<InputFormat>,
    max_bytes: u64,
    lossy: bool,
}

#[derive(clap::Args)]
struct AuditArgs {
    /// Exports to read: .jsonl/.ndjson/.json (JSON Lines), .csv, folders.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Field (JSONL) or column (CSV) with the reply text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,
    /// Field or column with the agent's name.
    #[arg(long, default_value = "agent", value_name = "NAME")]
    agent_field: String,
    /// Field or column with the channel.
    #[arg(long, default_value = "channel", value_name = "NAME")]
    channel_field: String,
    /// Field or column with the date (YYYY-MM-DD…, DD.MM.YYYY).
    #[arg(long, default_value = "date", value_name = "NAME")]
    date_field: String,
    /// Field or column with the ticket id.
    #[arg(long, default_value = "ticket", value_name = "NAME")]
    ticket_field: String,
    /// Field or column naming the canned response (macro) used.
    #[arg(long, default_value = "macro", value_name = "NAME")]
    macro_field: String,
    /// Field or column with the customer's name (enables name-mismatch).
    #[arg(long, default_value = "customer_name", value_name = "NAME")]
    customer_field: String,
    /// Write the JSON summary here (default, or `-`: stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the HTML report here (`-`: stdout, instead of the summary).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Title of the report.
    #[arg(long, default_value = "support replies")]
    title: String,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Config file (otherwise apolint.toml is discovered upward).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore any apolint.toml.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
}

#[derive(clap::Args)]
struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: RulesFormat,
    /// Config file (otherwise apolint.toml is discovered upward).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Findings with the draft's line and the span underlined.
    Human,
    /// The contract's JSON document.
    Json,
    /// One line per finding: path:line:col: severity[rule] message.
    Short,
    /// One JSON object per line: per file, or, on stdin, one answer per
    /// JSON request line ({"text": …}), flushed as soon as it is ready, so
    /// one process can serve many drafts.
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    Auto,
    Ru,
    En,
}

#[derive(Clone, Copy, ValueEnum)]
enum InFormat {
    Auto,
    Plain,
    Markdown,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailLevel {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A failed run: what to print on stderr. Exit status 2.
enum Failure {
    Files(Vec<FileError>),
    Message(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color = std::io::stderr().is_terminal();
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Rules(args) => list_rules(&args),
        Command::Hook { config, no_config } => hook(config.as_deref(), no_config),
        Command::Audit(args) => audit(args),
        Command::Serve(args) => load_config(args.config.as_deref(), args.no_config)
            .and_then(|c| linter(&c))
            .and_then(|l| serve::run(args, l).map_err(Failure::Message))
            .map(|()| ExitCode::SUCCESS),
        Command::Lsp => apolint::lsp::run()
            .map(|()| ExitCode::SUCCESS)
            .map_err(Failure::Message),
        Command::Explain { rule, config } => explain(&rule, config.as_deref()),
        Command::Eval {
            corpus,
            misses,
            labels,
            config,
        } => eval(&corpus, misses, &labels, config.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Files(errors)) => {
            let mut err = std::io::stderr().lock();
            for e in &errors {
                let _ = write!(err, "{}", e.render(color));
            }
            let _ = writeln!(
                err,
                "apolint: {} error{} in rule or config files; nothing was checked.",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            ExitCode::from(2)
        }
        Err(Failure::Message(m)) => {
            let _ = writeln!(std::io::stderr(), "apolint: {m}");
            ExitCode::from(2)
        }
    }
}

fn load_config(explicit: Option<&Path>, disabled: bool) -> Result<Config, Failure> {
    if disabled {
        return Ok(Config::default());
    }
    let path = match explicit {
        Some(p) => {
            if !p.is_file() {
                return Err(Failure::Message(format!(
                    "config file {} not found",
                    p.display()
                )));
            }
            Some(p.to_path_buf())
        }
        None => std::env::current_dir()
            .ok()
            .and_then(|d| Config::discover(&d)),
    };
    match path {
        Some(p) => Config::load(&p).map_err(Failure::Files),
        None => Ok(Config::default()),
    }
}

fn linter(config: &Config) -> Result<Linter, Failure> {
    Linter::with_config(config).map_err(Failure::Files)
}

/// A draft read from disk or stdin.
struct Input {
    path: String,
    text: String,
    format: Option<InputFormat>,
}

fn check(args: CheckArgs) -> Result<ExitCode, Failure> {
    let mut config = load_config(args.config.as_deref(), args.no_config)?;
    if let Some(f) = args.fail_on {
        config.fail_on = match f {
            FailLevel::Error => FailOn::Error,
            FailLevel::Warning => FailOn::Warning,
            FailLevel::Info => FailOn::Info,
            FailLevel::Never => FailOn::Never,
        };
    }
    let linter = linter(&config)?;
    let language = match args.lang {
        Lang::Auto => LanguageChoice::Auto,
        Lang::Ru => LanguageChoice::Ru,
        Lang::En => LanguageChoice::En,
    };
    let stdin_only = args.paths.iter().all(|p| p.as_os_str() == "-") && args.paths.len() <= 1;
    if matches!(args.format, Some(Format::Jsonl)) && stdin_only {
        return stream_requests(
            &linter,
            language,
            args.customer_name.as_deref(),
            args.max_file_size,
        );
    }
    let forced_format = match args.input_format {
        InFormat::Auto => None,
        InFormat::Plain => Some(InputFormat::Plain),
        InFormat::Markdown => Some(InputFormat::Markdown),
        InFormat::Html => Some(InputFormat::Html),
    };
    // Read everything first: a file that cannot be read fails the run before
    // anything is written to stdout.
    let read = ReadOptions {
        forced: forced_format,
        max_bytes: args.max_file_size,
        lossy: args.lossy,
    };
    let inputs = read_inputs(&args.paths, read)?;
    let reports: Vec<Report> = inputs
        .iter()
        .map(|i| {
            let opts = CheckOptions {
                format: i.format,
                language,
                customer_name: args.customer_name.clone(),
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
    let stdout_tty = std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Auto => stdout_tty && std::env::var_os("NO_COLOR").is_none(),
        ColorChoice::Always => true,
        ColorChoice::Never => false,
    };
    let mut text = String::new();
    match args.format.unwrap_or(Format::Human) {
        Format::Json => {
            text = serde_json::to_string_pretty(&output::json(&results)).unwrap_or_default();
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
                text.push_str(&output::file_json(r).to_string());
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
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(Failure::Message(format!("cannot write output: {e}")));
        }
    }
    let failed = reports.iter().any(|r| linter.fails(r));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `check --format jsonl` on stdin: one JSON request per line in, one JSON
/// answer per line out, in order, each flushed at once. A bad line gets an
/// error object (with its line number) and the stream goes on; the exit
/// status is then 2. A line longer than `max_line` (`--max-file-size`) is
/// such a bad line, read past without being held.
fn stream_requests(
    linter: &Linter,
    language: LanguageChoice,
    customer_name: Option<&str>,
    max_line: u64,
) -> Result<ExitCode, Failure> {
    use std::io::BufRead;
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut buf = Vec::new();
    let (mut line_no, mut failed, mut bad) = (0usize, false, false);
    let cannot_read = |e: std::io::Error| Failure::Message(format!("cannot read stdin: {e}"));
    loop {
        buf.clear();
        // Two bytes past the limit: a line of exactly the limit still fits
        // with its `\r\n`.
        let n = (&mut input)
            .take(max_line.saturating_add(2))
            .read_until(b'\n', &mut buf)
            .map_err(cannot_read)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let complete = buf.last() == Some(&b'\n');
        let content = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let too_long = content.len() as u64 > max_line;
        if too_long {
            buf.clear();
        }
        if too_long && !complete {
            // The rest of the line, up to and with its newline, unkept.
            loop {
                let chunk = input.fill_buf().map_err(cannot_read)?;
                if chunk.is_empty() {
                    break;
                }
                match memchr::memchr(b'\n', chunk) {
                    Some(i) => {
                        input.consume(i + 1);
                        break;
                    }
                    None => {
                        let all = chunk.len();
                        input.consume(all);
                    }
                }
            }
        }
        let answer = match std::str::from_utf8(&buf) {
            _ if too_long => Err(format!(
                "request longer than {max_line} bytes (--max-file-size); a reply is never this long"
            )),
            Err(e) => Err(format!(
                "invalid UTF-8 at byte {} of the line",
                e.valid_up_to()
            )),
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => apolint::CheckRequest::from_json(line)
                .map_err(|e| match e.position {
                    // The request is this one line: its column is enough.
                    Some((_, col)) => format!("column {col}: {}", e.message),
                    None => e.message,
                })
                .and_then(|req| {
                    let mut opts = req.options().map_err(|e| e.message)?;
                    if req.language.is_none() {
                        opts.language = language;
                    }
                    if opts.customer_name.is_none() {
                        opts.customer_name = customer_name.map(str::to_owned);
                    }
                    let report = linter.check(&req.text, &opts);
                    failed |= linter.fails(&report);
                    let mut v = serde_json::Map::new();
                    if let Some(id) = req.id {
                        v.insert("id".into(), id);
                    }
                    if let Some(t) = req.ticket_id {
                        v.insert("ticket_id".into(), t);
                    }
                    v.insert("line".into(), line_no.into());
                    v.insert("language".into(), report.language.code().into());
                    v.insert(
                        "findings".into(),
                        report.findings.iter().map(output::finding_json).collect(),
                    );
                    Ok(serde_json::Value::Object(v))
                }),
        };
        let v = answer.unwrap_or_else(|message| {
            bad = true;
            serde_json::json!({ "line": line_no, "error": message })
        });
        let written = writeln!(out, "{v}").and_then(|()| out.flush());
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                break;
            }
            return Err(Failure::Message(format!("cannot write output: {e}")));
        }
    }
    Ok(ExitCode::from(if bad {
        2
    } else if failed {
        1
    } else {
        0
    }))
}

fn audit(args: AuditArgs) -> Result<ExitCode, Failure> {
    use apolint::audit::{read_batches, summarize, Batch, Fields};
    let config = load_config(args.config.as_deref(), args.no_config)?;
    let linter = linter(&config)?;
    let fields = Fields {
        text: args.text_field.clone(),
        agent: Some(args.agent_field.clone()),
        channel: Some(args.channel_field.clone()),
        date: Some(args.date_field.clone()),
        ticket: Some(args.ticket_field.clone()),
        canned: Some(args.macro_field.clone()),
        customer: Some(args.customer_field.clone()),
    };
    for p in &args.inputs {
        if p.as_os_str() != "-" && !p.exists() {
            return Err(Failure::Message(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    let to_stdout = |p: &Option<PathBuf>| p.as_ref().is_none_or(|p| p.as_os_str() == "-");
    let html_to_stdout = args.html.as_ref().is_some_and(|p| p.as_os_str() == "-");
    if html_to_stdout && to_stdout(&args.json) {
        return Err(Failure::Message(
            "--html - and the JSON summary would both go to stdout: give --json a file".into(),
        ));
    }
    // An archive can take minutes: a report that cannot be written is
    // said before the run, not after it.
    for out in [&args.json, &args.html].into_iter().flatten() {
        if out.as_os_str() != "-" {
            check_writable(out)?;
        }
    }
    let total: u64 = args
        .inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    };
    let started = std::time::Instant::now();
    // A reader thread cuts the input into batches while the workers check
    // the previous ones; the bounded channel keeps memory flat.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
    let inputs = args.inputs.clone();
    let reader_fields = fields.clone();
    let reader = std::thread::spawn(move || -> Result<(), String> {
        for p in &inputs {
            read_batches(p, &reader_fields, |b| tx.send(b).is_ok())?;
        }
        Ok(())
    });
    let threads = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let summary = summarize(
        &linter,
        &fields,
        rx.into_iter(),
        threads,
        |bytes, so_far| {
            bar.inc(bytes);
            bar.set_message(format!("{} replies", so_far.replies));
        },
    );
    let read = reader
        .join()
        .map_err(|_| Failure::Message("the reader thread failed".into()))?;
    bar.finish_and_clear();
    read.map_err(Failure::Message)?;
    let elapsed = started.elapsed().as_secs_f64();
    let mut json = summary.to_json();
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "elapsed_seconds".into(),
            ((elapsed * 1000.0).round() / 1000.0).into(),
        );
    }
    let json_text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    if let Some(path) = &args.html {
        let page = apolint::audit::report::render(&summary, &args.title);
        if html_to_stdout {
            let _ = std::io::stdout().write_all(page.as_bytes());
        } else {
            write_atomically(path, page.as_bytes())?;
        }
    }
    if to_stdout(&args.json) {
        let _ = std::io::stdout().write_all(json_text.as_bytes());
    } else if let Some(path) = &args.json {
        write_atomically(path, json_text.as_bytes())?;
    }
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    eprintln!(
        "apolint audit: {} ({:.1} MB) in {:.1} s ({:.0} MB/s); {:.0}% with nothing to fix; {}{}",
        plural(summary.replies, "reply", "replies"),
        summary.bytes as f64 / 1e6,
        elapsed,
        total.max(summary.bytes) as f64 / 1e6 / elapsed.max(1e-9),
        if summary.replies == 0 {
            0.0
        } else {
            100.0 * summary.clean as f64 / summary.replies as f64
        },
        plural(summary.bad_records, "bad record", "bad records"),
        args.html
            .as_ref()
            .filter(|_| !html_to_stdout)
            .map_or(String::new(), |p| format!("; report: {}", p.display()))
    );
    Ok(ExitCode::SUCCESS)
}

/// Fails, saying why, if `path` could not be written: it names a folder,
/// its folder is missing, or a file cannot be created there.
fn check_writable(path: &Path) -> Result<(), Failure> {
    let fail = |why: String| Failure::Message(format!("cannot write {}: {why}", path.display()));
    let names_folder = path
        .as_os_str()
        .to_string_lossy()
        .ends_with(['/', std::path::MAIN_SEPARATOR]);
    if path.is_dir() || names_folder {
        return Err(fail("it is a folder; give a file name".into()));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(fail("its folder does not exist".into()));
    }
    // The same kind of file the result is written through, made and removed.
    let probe = parent.join(format!(".apolint-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(fail(format!("cannot create a file in its folder ({e})"))),
    }
}

/// Writes a file whole or not at all (a temporary file renamed into place).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let tmp = path.with_extension("apolint-tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Failure::Message(format!("cannot write {}: {e}", path.display()))
        })
}

/// The largest draft `check` reads by default and the largest request
/// `apolint hook` reads (the HTTP service has its own configurable cap).
const MAX_DRAFT_BYTES: u64 = 16 << 20;

fn hook(config: Option<&Path>, no_config: bool) -> Result<ExitCode, Failure> {
    let config = load_config(config, no_config)?;
    let linter = linter(&config)?;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_DRAFT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Message(format!("cannot read stdin: {e}")))?;
    let fail = |e: apolint::RequestError| {
        let _ = writeln!(std::io::stdout(), "{}", output::request_error_json(&e));
        Failure::Message(format!("bad request: {e}"))
    };
    if bytes.len() as u64 > MAX_DRAFT_BYTES {
        return Err(fail(apolint::RequestError {
            field: None,
            message: format!("request larger than {} MiB", MAX_DRAFT_BYTES >> 20),
            position: None,
        }));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(apolint::RequestError {
            field: None,
            message: format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            position: None,
        })
    })?;
    // As in the HTTP service: the time to parse and judge the request.
    let started = std::time::Instant::now();
    let request = apolint::CheckRequest::from_json(&text).map_err(fail)?;
    let options = request.options().map_err(fail)?;
    let report = linter.check(&request.text, &options);
    let verdict = linter.verdict(&report, request.channel.as_deref());
    let elapsed = started.elapsed().as_micros() as u64;
    let answer = output::verdict_json(&request, &report, verdict, elapsed);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{answer}").and_then(|()| out.flush());
    Ok(ExitCode::from(verdict.exit_code()))
}

/// Extensions of drafts picked up when recursing into a directory.
const DRAFT_EXTENSIONS: &[&str] = &["txt", "text", "md", "markdown", "html", "htm", "eml"];

fn read_inputs(paths: &[PathBuf], opts: ReadOptions) -> Result<Vec<Input>, Failure> {
    let stdin = || -> Result<Input, Failure> {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(opts.max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Message(format!("cannot read stdin: {e}")))?;
        check_size("-", bytes.len() as u64, opts.max_bytes)?;
        Ok(Input {
            path: "-".into(),
            text: decode("-", bytes, opts.lossy)?,
            format: opts.forced,
        })
    };
    if paths.is_empty() {
        return Ok(vec![stdin()?]);
    }
    let mut inputs = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            inputs.push(stdin()?);
        } else if p.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files).map_err(|e| {
                Failure::Message(format!("cannot read directory {}: {e}", p.display()))
            })?;
            files.sort();
            for f in files {
                let bytes = read_file(&f, opts.max_bytes)?;
                if looks_binary(&bytes) {
                    eprintln!("apolint: skipping {}: binary file", f.display());
                    continue;
                }
                let name = f.display().to_string();
                let text = decode(&name, bytes, opts.lossy)?;
                inputs.push(Input {
                    path: name,
                    text,
                    format: opts.forced.or_else(|| InputFormat::from_path(&f)),
                });
            }
        } else {
            let bytes = read_file(p, opts.max_bytes)?;
            let name = p.display().to_string();
            let text = decode(&name, bytes, opts.lossy)?;
            inputs.push(Input {
                path: name,
                text,
                format: opts.forced.or_else(|| InputFormat::from_path(p)),
            });
        }
    }
    Ok(inputs)
}

fn check_size(name: &str, len: u64, max: u64) -> Result<(), Failure> {
    if len > max {
        return Err(Failure::Message(format!(
            "{name}: larger than {max} bytes (--max-file-size); a reply is never this long — split the file, or raise the limit"
        )));
    }
    Ok(())
}

fn read_file(p: &Path, max: u64) -> Result<Vec<u8>, Failure> {
    let name = p.display().to_string();
    let cannot = |e: std::io::Error| Failure::Message(format!("cannot read {name}: {e}"));
    let file = std::fs::File::open(p).map_err(cannot)?;
    if let Ok(meta) = file.metadata() {
        check_size(&name, meta.len(), max)?;
    }
    // Read at most one byte past the cap: a file that grows while being
    // read (or a pipe given as a path) is still bounded.
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(cannot)?;
    check_size(&name, bytes.len() as u64, max)?;
    Ok(bytes)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| DRAFT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn looks_binary(bytes: &[u8]) -> bool {
    !has_utf16_bom(bytes) && bytes.iter().take(8192).any(|&b| b == 0)
}

fn has_utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// Decodes a draft: UTF-8 (a BOM is kept, so offsets stay those of the
/// bytes as read), or UTF-16 with a BOM. Anything else is an error that
/// names the file and the first bad byte.
fn decode(name: &str, bytes: Vec<u8>, lossy: bool) -> Result<String, Failure> {
    if has_utf16_bom(&bytes) {
        let le = bytes[0] == 0xFF;
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        return String::from_utf16(&units)
            .map_err(|_| Failure::Message(format!("{name}: invalid UTF-16 text")));
    }
    let e = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e,
    };
    let at = e.utf8_error().valid_up_to();
    if lossy {
        eprintln!("apolint: {name}: invalid UTF-8 from byte {at} replaced with U+FFFD (--lossy)");
        return Ok(String::from_utf8_lossy(e.as_bytes()).into_owned());
    }
    let (line, col) =
        apolint::diagnostics::line_col(std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or(""), at);
    Err(Failure::Message(format!(
        "{name}: invalid UTF-8 at byte {at} (line {line}, column {col}); apolint reads UTF-8 or UTF-16 with a BOM — convert the file (e.g. `iconv -f cp1251 -t utf-8`) or pass --lossy"
    )))
}

fn list_rules(args: &RulesArgs) -> Result<ExitCode, Failure> {
    let config = load_config(args.config.as_deref(), false)?;
    let linter = linter(&config)?;
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
            let v: Vec<_> = linter
                .rules()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "category": r.category.name(), "severity": r.severity.name(),
                        "kind": r.kind.name(), "message": r.message, "explanation": r.explanation,
                        "suggestions": r.suggestions, "source": r.source,
                        "fixes": r.fixes.iter().map(|(k, v)| serde_json::json!({"match": k, "replacement": v})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            out = serde_json::to_string_pretty(&v).unwrap_or_default();
            out.push('\n');
        }
        RulesFormat::Markdown => out = output::rules_markdown(linter.rules()),
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn eval(
    corpus: &Path,
    misses: bool,
    labels: &str,
    config: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let config = load_config(config, false)?;
    let linter = linter(&config)?;
    let drafts = apolint::eval::load_corpus(corpus, labels).map_err(Failure::Files)?;
    if drafts.is_empty() {
        return Err(Failure::Message(format!(
            "no labelled drafts under {}",
            corpus.display()
        )));
    }
    let ev = apolint::eval::evaluate(&linter, &drafts);
    let mut out = apolint::eval::render(&ev, misses);
    let short = apolint::eval::shortfalls(&ev, &apolint::eval::Thresholds::default());
    if short.is_empty() {
        out.push_str("\nAll thresholds met.\n");
    } else {
        out.push_str("\nBelow thresholds:\n");
        for s in &short {
            out.push_str(&format!("  {s}\n"));
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(if short.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn explain(id: &str, config: Option<&Path>) -> Result<ExitCode, Failure> {
    let config = load_config(config, false)?;
    let linter = linter(&config)?;
    let Some(r) = linter.rules().iter().find(|r| r.id == id) else {
        let hint = apolint::diagnostics::closest(id, linter.rules().iter().map(|r| r.id.as_str()))
            .map_or_else(
                || " (run `apolint rules` to list them)".to_owned(),
                |c| format!("; did you mean `{c}`?"),
            );
        return Err(Failure::Message(format!("unknown rule `{id}`{hint}")));
    };
    let mut out = format!(
        "{}\n  category: {}\n  severity: {}\n  kind:     {}\n  source:   {}\n\n{}\n\n{}\n",
        r.id,
        r.category,
        r.severity,
        r.kind.name(),
        r.source,
        r.message,
        r.explanation
    );
    if !r.suggestions.is_empty() {
        out.push_str("\nInstead:\n");
        for s in &r.suggestions {
            out.push_str(&format!("  • {s}\n"));
        }
    }
    if !r.fixes.is_empty() {
        out.push_str("\nAutomatic fix (editors and `--format json` offer it):\n");
        for (from, to) in &r.fixes {
            out.push_str(&format!("  «{from}» → «{to}»\n"));
        }
    }
    if !r.fire.is_empty() {
        out.push_str("\nReported:\n");
        for s in &r.fire {
            out.push_str(&format!("  ✗ {s}\n"));
        }
    }
    if !r.quiet.is_empty() {
        out.push_str("\nNot reported:\n");
        for s in &r.quiet {
            out.push_str(&format!("  ✓ {s}\n"));
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(ExitCode::SUCCESS)
}
