//! `check --format jsonl` on stdin: one JSON request per line in, one JSON
//! answer per line out, in order, each flushed at once — the contract of
//! Spark's `RDD.pipe` and `parallel --pipe`.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use apolint_core::request::{ErrorAnswer, RequestDefaults};
use apolint_core::{CheckRequest, Linter};

use super::Failure;

/// Answers requests until stdin ends. A bad line gets an error object
/// (with its line number) and the stream goes on; the exit status is then
/// 2, else 1 if a draft failed, else 0. A line longer than `max_line`
/// (`--max-file-size`) is such a bad line, read past without being held.
pub fn run(
    linter: &Linter,
    defaults: &RequestDefaults,
    max_line: u64,
) -> Result<ExitCode, Failure> {
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut buf = Vec::new();
    let (mut line_no, mut failed, mut bad) = (0usize, false, false);
    let cannot_read = |e: std::io::Error| Failure::Message(format!("cannot read stdin: {e}"));
    let unjudged = |error: String| ErrorAnswer {
        error,
        ..ErrorAnswer::default()
    };
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
            skip_rest_of_line(&mut input).map_err(cannot_read)?;
        }
        // A byte-order mark before a request (an export saved on Windows,
        // or several such joined with `cat`) is no part of it, as for a
        // draft.
        let line_bytes = buf.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&buf[..]);
        let answer = match std::str::from_utf8(line_bytes) {
            _ if too_long => Err(unjudged(format!(
                "request longer than {max_line} bytes (--max-file-size); a reply is never this long"
            ))),
            Err(e) => Err(unjudged(format!(
                "invalid UTF-8 at byte {} of the line",
                e.valid_up_to() + (buf.len() - line_bytes.len())
            ))),
            // One line, one answer: a blank line is an error answered in
            // place, so a caller pairing answers with lines stays in step.
            Ok(line) if line.trim().is_empty() => Err(unjudged(
                "empty line; expected one JSON request per line, e.g. {\"text\": \"…\"}".into(),
            )),
            Ok(line) => CheckRequest::from_json(line)
                .and_then(|request| linter.judge(&request, defaults, Instant::now()))
                .map_err(|e| {
                    let error = match e.position {
                        // The request is this one line: its column is enough.
                        Some((_, col)) => format!("column {col}: {}", e.message),
                        None => e.message,
                    };
                    ErrorAnswer {
                        field: e.field,
                        ..unjudged(error)
                    }
                    .echoing(line)
                }),
        }
        .map_err(|e| ErrorAnswer {
            line: Some(line_no),
            ..e
        });
        let text = match answer {
            Ok(mut a) => {
                failed |= a
                    .findings
                    .iter()
                    .any(|f| linter.fail_on().fails(f.severity));
                a.line = Some(line_no);
                // Reproducible output: the same input gives the same bytes.
                a.elapsed_us = None;
                serde_json::to_string(&a)
            }
            Err(error) => {
                bad = true;
                serde_json::to_string(&error)
            }
        }
        .unwrap_or_default();
        let written = writeln!(out, "{text}").and_then(|()| out.flush());
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                break;
            }
            return Err(super::cannot_write(e));
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

/// Consumes input up to and with the next newline, holding none of it.
fn skip_rest_of_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', chunk) {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let all = chunk.len();
                input.consume(all);
            }
        }
    }
}
