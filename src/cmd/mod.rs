//! One module per command, and what they share: the config flags, how a
//! failed run is reported (exit status 2), writing to stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

use apolint_core::config::ConfigError;
use apolint_core::files::ReadError;
use apolint_core::{Config, FileError, Linter};

pub mod audit;
pub mod check;
pub mod eval;
pub mod hook;
pub mod rules;
pub mod serve;
pub mod stream;

/// A failed run: what to print on stderr. Exit status 2.
pub enum Failure {
    /// Errors in the files a run loads before it checks anything (rule,
    /// config or label files), each pointed at.
    Files(Vec<FileError>),
    /// Anything else, in one sentence.
    Message(String),
}

/// File errors printed before the count of the rest.
const FILE_ERRORS_SHOWN: usize = 20;

impl Failure {
    /// The text for stderr.
    pub fn render(&self, color: bool) -> String {
        match self {
            Failure::Files(errors) => {
                // The first ones say what is wrong; a file of 10,000 bad
                // lines would otherwise bury them.
                let mut out: String = errors
                    .iter()
                    .take(FILE_ERRORS_SHOWN)
                    .map(|e| e.render(color))
                    .collect();
                let more = errors.len().saturating_sub(FILE_ERRORS_SHOWN);
                out.push_str(&format!(
                    "apolint: {} error{} in the files {}; nothing was checked.\n",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    if more == 0 {
                        "above".to_owned()
                    } else {
                        format!("({more} not shown: fix the ones above first)")
                    }
                ));
                out
            }
            Failure::Message(m) => format!("apolint: {m}\n"),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::NotFound(p) if p.is_dir() => Failure::Message(format!(
                "--config {} is a folder; name the config file in it (e.g. {})",
                p.display(),
                p.join("apolint.toml").display()
            )),
            ConfigError::NotFound(p) => {
                Failure::Message(format!("config file {} not found", p.display()))
            }
            ConfigError::Invalid(errors) => Failure::Files(errors),
        }
    }
}

/// Errors of the other layers are reported in their own words.
macro_rules! failure_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Failure {
            fn from(e: $error) -> Self {
                Failure::Message(e.to_string())
            }
        }
    )*};
}

failure_from!(
    ReadError,
    apolint_audit::AuditError,
    apolint_lsp::LspError,
    apolint_server::ServeError
);

/// `--config FILE` / `--no-config`, shared by every command that lints.
#[derive(clap::Args, Debug, Clone)]
pub struct ConfigArgs {
    /// Config file to use (otherwise apolint.toml is discovered: by
    /// `check`, upward from each file's folder; for stdin and by the other
    /// commands, upward from the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any apolint.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

impl ConfigArgs {
    /// The configuration these flags select.
    pub fn load(&self) -> Result<Config, Failure> {
        let cwd = std::env::current_dir().ok();
        Ok(Config::resolve(
            self.config.as_deref(),
            self.no_config,
            cwd.as_deref(),
        )?)
    }

    /// The linter these flags select.
    pub fn linter(&self) -> Result<Linter, Failure> {
        linter(&self.load()?)
    }

    /// The config file these flags select for a draft at `file` (`None`:
    /// stdin, looked for from the current directory); `None` when the
    /// defaults apply.
    pub fn locate_for(&self, file: Option<&Path>) -> Result<Option<PathBuf>, Failure> {
        if self.config.is_some() || self.no_config {
            return Ok(Config::locate(
                self.config.as_deref(),
                self.no_config,
                None,
            )?);
        }
        // The draft's folder, else the current directory: the search the
        // language server makes too.
        let cwd = std::env::current_dir().ok();
        Ok(Config::discover_for(file, cwd.as_deref()))
    }

    /// The configuration of the file [`ConfigArgs::locate_for`] found.
    pub fn load_located(&self, path: Option<PathBuf>) -> Result<Config, Failure> {
        Ok(Config::load_located(path)?)
    }

    /// The configuration the defaults, or the file named, select, and from
    /// where a first draft at `file` would take it: for `serve`'s start-up
    /// line and `check -v`.
    pub fn describe(&self, path: Option<&Path>) -> String {
        match path {
            Some(p) if self.config.is_some() => format!("config {} (--config)", p.display()),
            Some(p) => format!("config {}", p.display()),
            None if self.no_config => "no config (--no-config)".to_owned(),
            None => format!(
                "no {} found, built-in defaults",
                apolint_core::config::FILE_NAME
            ),
        }
    }
}

/// Compiles the rules a configuration selects.
pub fn linter(config: &Config) -> Result<Linter, Failure> {
    Linter::with_config(config).map_err(Failure::Files)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    output_written(write_all_to_stdout(bytes))
}

/// Writes `bytes` to stdout and flushes it, where any failure to write is
/// one, a closed pipe included: for an answer a caller acts on (the hook's
/// verdict), where output lost could turn a block into a pass.
pub fn write_stdout_strict(bytes: &[u8]) -> Result<(), Failure> {
    write_all_to_stdout(bytes).map_err(cannot_write)
}

fn write_all_to_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush())
}

/// Lets `write` write to stdout through a buffer, then flushes it: a report
/// serialised straight to stdout, with no string of it all in between to
/// grow and check as UTF-8 again (for the 1,000 findings of the Russian
/// 1 MB peer file, 3.1 M of its 160.8 M instructions, issue #19). Errors
/// as [`write_stdout`]'s.
pub fn write_stdout_with(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    output_written(write(&mut out).and_then(|()| out.flush()))
}

/// What a write to stdout comes to: a closed pipe is no failure.
fn output_written(written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(cannot_write(e)),
        _ => Ok(()),
    }
}

/// The failure of a write to stdout.
pub fn cannot_write(e: std::io::Error) -> Failure {
    Failure::Message(format!("cannot write output: {e}"))
}

/// The largest draft `check` reads by default and the largest request
/// `apolint hook` reads (the HTTP service has its own configurable cap).
pub const MAX_DRAFT_BYTES: u64 = 16 << 20;
