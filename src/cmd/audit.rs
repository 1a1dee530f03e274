//! `apolint audit`: a whole archive of replies, summarised for a team lead.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use apolint_audit::{plural, read_batches, share_text, summarize, Batch, Fields};
use apolint_core::files;

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
    /// Field or column with the agent's name. [default: agent]
    #[arg(long, value_name = "NAME")]
    agent_field: Option<String>,
    /// Field or column with the channel. [default: channel]
    #[arg(long, value_name = "NAME")]
    channel_field: Option<String>,
    /// Field or column with the date (YYYY-MM-DD…, DD.MM.YYYY). [default: date]
    #[arg(long, value_name = "NAME")]
    date_field: Option<String>,
    /// Field or column with the ticket id. [default: ticket]
    #[arg(long, value_name = "NAME")]
    ticket_field: Option<String>,
    /// Field or column naming the canned response (macro) used. [default: macro]
    #[arg(long, value_name = "NAME")]
    macro_field: Option<String>,
    /// Field or column with the customer's name (enables name-mismatch). [default: customer_name]
    #[arg(long, value_name = "NAME")]
    customer_field: Option<String>,
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
    // The optional fields by option, in `Fields::names` order after the
    // text: one list for building the fields and for warning about them.
    let named = [
        ("--agent-field", &args.agent_field),
        ("--channel-field", &args.channel_field),
        ("--date-field", &args.date_field),
        ("--ticket-field", &args.ticket_field),
        ("--macro-field", &args.macro_field),
        ("--customer-field", &args.customer_field),
    ];
    let defaults = Fields::default();
    let default = defaults.names();
    let [agent, channel, date, ticket, canned, customer]: [Option<String>; 6] =
        std::array::from_fn(|i| named[i].1.clone().or(default[i + 1].map(str::to_owned)));
    let fields = Fields {
        text: args.text_field.clone(),
        agent,
        channel,
        date,
        ticket,
        canned,
        customer,
        max_groups: args.max_groups,
        // A field named on purpose must be there (a CSV without it is
        // refused); a default one may be missing.
        asked: named
            .iter()
            .filter_map(|&(option, given)| Some((option, given.clone()?)))
            .collect(),
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
    let outputs: Vec<(&str, &Path)> = [("--json", &args.json), ("--html", &args.html)]
        .into_iter()
        .filter_map(|(flag, p)| Some((flag, p.as_deref()?)))
        .filter(|(_, p)| p.as_os_str() != "-")
        .collect();
    refuse_overlaps(&args.inputs, &outputs)?;
    for &(_, out) in &outputs {
        check_writable(out)?;
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
    // A CSV without a column named on purpose is refused above; JSON
    // Lines records may each lack it, and then its section is empty.
    for ((option, name), found) in named.into_iter().zip(summary.fields_seen) {
        if let (Some(name), false, true) = (name, found, summary.replies > 0) {
            eprintln!(
                "apolint audit: warning: no reply has a usable `{name}` field ({option}); what it feeds is left out"
            );
        }
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
            write_report(path, &page)?;
        }
    }
    if json_to_stdout {
        super::write_stdout(json_text.as_bytes())?;
    } else if let Some(path) = &args.json {
        write_report(path, &json_text)?;
    }
    eprintln!(
        "apolint audit: {} ({:.1} MB) in {:.1} s ({:.0} MB/s); {} with nothing to fix; {}{}{}",
        plural(summary.replies, "reply", "replies"),
        summary.bytes as f64 / 1e6,
        elapsed,
        total.max(summary.bytes) as f64 / 1e6 / elapsed.max(1e-9),
        share_text(summary.clean, summary.replies),
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

/// Writes a report whole or not at all ([`files::write_atomically`]).
///
/// Only a regular file (or a new one) is written: a symlink, FIFO or
/// device at `path` is refused, never renamed over (`--json /dev/stdout`
/// as root replaced the device node with a file).
fn write_report(path: &Path, text: &str) -> Result<(), Failure> {
    refuse_special(path)?;
    files::write_atomically(path, text)
        .map_err(|e| Failure::Message(format!("cannot write {}: {e}", path.display())))
}

/// Fails if two of the files the audit reads and writes are one: a report
/// written over an export it read (the export lost), or the summary and
/// the report in one file (one of them lost).
fn refuse_overlaps(inputs: &[PathBuf], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    for (i, &(flag, out)) in outputs.iter().enumerate() {
        // `-` is standard input: the file it is redirected from, if any.
        if let Some(input) = inputs.iter().find(|p| {
            if p.as_os_str() == "-" {
                same_existing_file(Path::new("/dev/stdin"), out)
            } else {
                same_file(p, out)
            }
        }) {
            let input = if input.as_os_str() == "-" {
                "on standard input".to_owned()
            } else {
                input.display().to_string()
            };
            return Err(Failure::Message(format!(
                "{flag} {} would write over the export {input} that it reads: name another file",
                out.display(),
            )));
        }
        // A report in an audited folder is lost among the replies, or read
        // as one on the next run (an .html or .txt there is a reply).
        if let Some(folder) = inputs.iter().find(|p| inside_folder(out, p)) {
            return Err(Failure::Message(format!(
                "{flag} {} is inside the folder {} that is audited: write it elsewhere",
                out.display(),
                folder.display()
            )));
        }
        if let Some((other, _)) = outputs[..i].iter().find(|(_, o)| same_file(o, out)) {
            return Err(Failure::Message(format!(
                "{other} and {flag} both name {}: give each its own file",
                out.display()
            )));
        }
    }
    Ok(())
}

/// Whether `a` and `b` name one file: the same file if both exist (through
/// links, `./`, `..`), otherwise the same name in the same folder.
fn same_file(a: &Path, b: &Path) -> bool {
    if cfg!(unix) && a.exists() && b.exists() {
        return same_existing_file(a, b);
    }
    match (resolved(a), resolved(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Whether `a` and `b` exist and are one file (device and inode).
fn same_existing_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt as _;
        return (x.dev(), x.ino()) == (y.dev(), y.ino());
    }
    false
}

/// `p` with its folder made absolute and its links resolved (the file
/// itself need not exist).
fn resolved(p: &Path) -> Option<PathBuf> {
    let folder = match p.parent() {
        Some(f) if !f.as_os_str().is_empty() => f,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(folder).ok()?.join(p.file_name()?))
}

/// Whether the file `out` would be written inside the folder `folder`.
fn inside_folder(out: &Path, folder: &Path) -> bool {
    if !folder.is_dir() {
        return false;
    }
    match (resolved(out), std::fs::canonicalize(folder)) {
        (Some(out), Ok(folder)) => out.starts_with(folder),
        _ => false,
    }
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
