//! `apolint audit`: a whole archive of replies, summarised for a team lead.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use apolint_audit::{read_batches, summarize, Batch, Fields};

use super::{ConfigArgs, Failure};

/// `apolint audit` options.
#[derive(clap::Args)]
pub struct AuditArgs {
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
    /// Agents, and channels, listed by name (those with the most replies);
    /// the rest are folded into one "(other)" entry, so memory and the
    /// summary stay bounded on any export.
    #[arg(long, value_name = "N", default_value_t = apolint_audit::MAX_GROUPS)]
    max_groups: usize,
    /// Write the JSON summary here (default, or `-`: stdout; with
    /// `--html -` and no `--json`, the summary is not written).
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
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs `apolint audit`.
pub fn run(args: AuditArgs) -> Result<ExitCode, Failure> {
    let linter = args.config.linter()?;
    let fields = Fields {
        text: args.text_field.clone(),
        agent: Some(args.agent_field.clone()),
        channel: Some(args.channel_field.clone()),
        date: Some(args.date_field.clone()),
        ticket: Some(args.ticket_field.clone()),
        canned: Some(args.macro_field.clone()),
        customer: Some(args.customer_field.clone()),
        max_groups: args.max_groups.max(1),
    };
    for p in &args.inputs {
        if p.as_os_str() != "-" && !p.exists() {
            return Err(Failure::Message(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    let is_stdout = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.as_os_str() == "-");
    let html_to_stdout = is_stdout(&args.html);
    // The summary goes to stdout by default; `--html -` takes stdout
    // instead (as its help says), unless `--json -` asks for both.
    let json_to_stdout = is_stdout(&args.json) || (args.json.is_none() && !html_to_stdout);
    if html_to_stdout && is_stdout(&args.json) {
        return Err(Failure::Message(
            "--html - and --json - would both go to stdout: give one of them a file".into(),
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
    let reader = std::thread::spawn(move || -> Result<(), apolint_audit::AuditError> {
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
    read?;
    if let Some(why) = summary.mostly_unreadable() {
        return Err(Failure::Message(why));
    }
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
        let page = apolint_audit::report::render(&summary, &args.title);
        if html_to_stdout {
            super::write_stdout(page.as_bytes())?;
        } else {
            write_atomically(path, page.as_bytes())?;
        }
    }
    if json_to_stdout {
        super::write_stdout(json_text.as_bytes())?;
    } else if let Some(path) = &args.json {
        write_atomically(path, json_text.as_bytes())?;
    }
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    eprintln!(
        "apolint audit: {} ({:.1} MB) in {:.1} s ({:.0} MB/s); {:.0}% with nothing to fix; {}{}{}",
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
        if summary.empty == 0 {
            String::new()
        } else {
            format!(
                "; {} left out",
                plural(summary.empty, "empty reply", "empty replies")
            )
        },
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
    refuse_special(path)?;
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

/// Writes a file whole or not at all: a temporary file in the same folder,
/// persisted (renamed) into place once complete.
///
/// Only a regular file (or a new one) is written: a symlink, FIFO or
/// device at `path` is refused, never renamed over (`--json /dev/stdout`
/// as root replaced the device node with a file).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail =
        |e: std::io::Error| Failure::Message(format!("cannot write {}: {e}", path.display()));
    refuse_special(path)?;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".apolint-")
        .tempfile_in(folder)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Refuses an output path that exists and is not a regular file.
fn refuse_special(path: &Path) -> Result<(), Failure> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            let kind = if meta.file_type().is_symlink() {
                "a symbolic link"
            } else if meta.is_dir() {
                "a folder"
            } else {
                "not a regular file (a pipe or device)"
            };
            return Err(Failure::Message(format!(
                "cannot write {}: it is {kind}; name a regular file, or `-` for stdout",
                path.display()
            )));
        }
    }
    Ok(())
}
