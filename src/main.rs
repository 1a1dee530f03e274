//! The `apolint` command line: argument parsing and dispatch. Each command
//! is a small module under [`cmd`] over the library crates; what two
//! commands share (config loading, output, error reporting) lives in
//! [`cmd`] itself.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

use cmd::Failure;

// mimalloc: `audit` checks replies on every core and allocates per reply;
// with glibc's allocator 100 MB took 2.64 s against 2.42 s (2026-12-05).
// A short check is ~0.2 ms slower with it than with glibc's (more pages
// touched at start), a price the audit and 1 MB runs repay.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A linter for customer-facing apology messages in Russian and English.
///
/// Reads a support agent's draft reply and flags what makes customers
/// angrier: stock clichés, passive aggression, blame-shifting, non-apologies,
/// impossible promises, officialese, unfilled placeholders, a promise with no
/// deadline, an admitted fault with no compensation.
#[derive(Parser)]
#[command(name = "apolint", version, about, long_about, propagate_version = true)]
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
    Check(cmd::check::CheckArgs),
    /// List the loaded rules.
    Rules(cmd::rules::RulesArgs),
    /// Measure precision and recall on the labelled corpus.
    ///
    /// Exit status 1 when overall precision < 0.95, recall < 0.90, or a
    /// category (with 5+ drafts) below 0.85 on either.
    Eval(cmd::eval::EvalArgs),
    /// Pre-send hook: one JSON request on stdin, the verdict on stdout.
    ///
    /// Request: {"text": "…", "customer_name": "…", "language": "auto|ru|en",
    /// "channel": "email|chat|…", "ticket_id": "…"}. Answer: {"verdict":
    /// "send|warn|block", "findings": […], "elapsed_us": N}. The policy is
    /// `[verdict]` in apolint.toml.
    ///
    /// Exit status: 0 send, 1 warn, 3 block, 2 error (bad request or config).
    Hook(cmd::hook::HookArgs),
    /// Audit a help-desk export: what the whole team sends.
    ///
    /// Reads JSON Lines (.jsonl/.ndjson, or - for stdin), CSV (.csv, with a
    /// header row), folders of draft files or one draft file (.txt, .md,
    /// .html, .eml), on all cores, in bounded memory; writes a JSON summary
    /// and, with --html, a self-contained report. Unreadable records are
    /// counted and listed, never dropped silently; a run whose records are
    /// mostly unreadable (more bad records than replies) fails with exit 2
    /// and writes nothing.
    Audit(cmd::audit::AuditArgs),
    /// Run the pre-send HTTP service (and the browser playground at /).
    ///
    /// POST /v1/check, POST /v1/check/batch, GET /v1/rules, GET /healthz,
    /// GET /metrics.
    /// The bearer token, if any, comes from --token-file or APOLINT_TOKEN.
    Serve(cmd::serve::ServeArgs),
    /// Run the language server on stdin/stdout (for editors).
    ///
    /// Publishes findings as diagnostics while you type, with quick fixes
    /// and "disable this rule" actions; see the README for editor set-up.
    Lsp,
    /// Explain one rule, with its examples.
    Explain(cmd::rules::ExplainArgs),
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
    let result = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Rules(args) => cmd::rules::list(&args),
        Command::Eval(args) => cmd::eval::run(&args),
        Command::Hook(args) => cmd::hook::run(&args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Lsp => {
            if std::io::stdin().is_terminal() {
                eprintln!(
                    "apolint lsp: a language server speaks LSP on stdin/stdout; start it from your editor (README: \"In the editor\"). Ctrl-C to stop."
                );
            }
            match apolint_lsp::run() {
                Ok(()) => Ok(ExitCode::SUCCESS),
                // The protocol's exit code for `exit` without `shutdown`.
                Err(apolint_lsp::LspError::ExitWithoutShutdown) => Ok(ExitCode::from(1)),
                Err(e) => Err(Failure::from(e)),
            }
        }
        Command::Explain(args) => cmd::rules::explain(&args),
    };
    result.unwrap_or_else(|failure| {
        let color = std::io::stderr().is_terminal();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{}", failure.render(color));
        ExitCode::from(2)
    })
}
