//! `apolint hook`: one JSON request on stdin, the verdict on stdout, the
//! verdict as the exit status (0 send, 1 warn, 3 block, 2 error).

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Instant;

use apolint_core::files::{self, ReadError};
use apolint_core::request::{ErrorAnswer, RequestDefaults};
use apolint_core::{CheckRequest, RequestError};

use super::{ConfigArgs, Failure, MAX_DRAFT_BYTES};

/// `apolint hook` options.
#[derive(clap::Args)]
pub struct HookArgs {
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs `apolint hook`.
pub fn run(args: &HookArgs) -> Result<ExitCode, Failure> {
    let linter = args.config.linter()?;
    // A bad request is answered on stdout too, so the desk sees why.
    let fail = |e: RequestError| {
        let answer = serde_json::to_string(&ErrorAnswer::from(&e)).unwrap_or_default() + "\n";
        let _ = super::write_stdout(answer.as_bytes());
        Failure::Message(format!("bad request: {e}"))
    };
    let refuse = |message: String| {
        fail(RequestError {
            field: None,
            message,
            position: None,
        })
    };
    if std::io::stdin().is_terminal() {
        // Otherwise `apolint hook` typed alone looks like a hang.
        eprintln!(
            "apolint hook: reading one JSON request like {{\"text\": \"…\"}} from standard input (then Ctrl-D; Ctrl-C to stop)"
        );
    }
    let bytes = match files::read_stdin(MAX_DRAFT_BYTES) {
        Ok(b) => b,
        Err(ReadError::TooLarge { .. }) => {
            return Err(refuse(format!(
                "request larger than {} MiB",
                MAX_DRAFT_BYTES >> 20
            )))
        }
        Err(ReadError::Io { source, .. }) => {
            return Err(Failure::Message(format!("cannot read stdin: {source}")))
        }
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        refuse(format!(
            "invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(refuse(
            "no request on stdin: send one JSON object like {\"text\": \"…\"}".into(),
        ));
    }
    // As in the HTTP service: the time to parse and judge the request.
    let started = Instant::now();
    // A request saved by a Windows editor starts with a byte-order mark.
    let request = CheckRequest::from_json(apolint_core::rules::without_bom(&text)).map_err(fail)?;
    let answer = linter
        .judge(&request, &RequestDefaults::default(), started)
        .map_err(fail)?;
    let line = serde_json::to_string(&answer).unwrap_or_default() + "\n";
    // A verdict the desk cannot read is no verdict: exit 2, not its code,
    // a closed pipe included (elsewhere a reader that stops early is no
    // failure; here it could turn a block into a pass).
    super::write_stdout_strict(line.as_bytes())?;
    Ok(ExitCode::from(answer.verdict.exit_code()))
}
