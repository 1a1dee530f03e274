//! The base protocol on stdio: `Content-Length` framed JSON-RPC messages,
//! read with bounds. lsp-server's own reader allocates whatever
//! `Content-Length` says before reading a byte (99999999999999 aborted the
//! process; 8000000000 took 1.8 GB in seconds) and reads header lines of
//! any length.

use std::io::{self, BufRead, Read, Write};

use crossbeam_channel::{bounded, Receiver, Sender};
use lsp_server::{Connection, Message};

/// Largest message accepted. A whole document travels in one
/// `didOpen`/`didChange`; 64 MiB is far beyond any reply being written.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Longest header line (`Content-Length: …`, `Content-Type: …`).
const MAX_HEADER_LINE: u64 = 4096;
/// Most header lines in one message.
const MAX_HEADERS: usize = 32;

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Reads one message; `None` at a clean end of input (between messages).
pub fn read_message(input: &mut impl BufRead) -> io::Result<Option<Message>> {
    let mut size: Option<usize> = None;
    let mut line = Vec::new();
    for n in 0.. {
        if n > MAX_HEADERS {
            return Err(invalid(format!(
                "more than {MAX_HEADERS} header lines in one message"
            )));
        }
        line.clear();
        let read = input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            if n == 0 {
                return Ok(None);
            }
            return Err(invalid("input ended inside a message header".into()));
        }
        let Some(text) = line.strip_suffix(b"\r\n") else {
            return Err(invalid(format!(
                "malformed header line {:?} (each ends with \\r\\n, at most {MAX_HEADER_LINE} bytes)",
                String::from_utf8_lossy(&line[..line.len().min(80)])
            )));
        };
        if text.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(text);
        let Some((name, value)) = text.split_once(':') else {
            return Err(invalid(format!("malformed header {text:?}")));
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            let value = value.trim();
            let n: u64 = value
                .parse()
                .map_err(|_| invalid(format!("Content-Length {value:?} is not a number")))?;
            if n > MAX_MESSAGE_BYTES as u64 {
                return Err(invalid(format!(
                    "Content-Length {n} is over the limit of {MAX_MESSAGE_BYTES} bytes"
                )));
            }
            size = Some(n as usize);
        }
    }
    let size = size.ok_or_else(|| invalid("message without Content-Length".into()))?;
    let mut body = Vec::new();
    let got = input.by_ref().take(size as u64).read_to_end(&mut body)?;
    if got < size {
        return Err(invalid(format!(
            "input ended after {got} of the {size} bytes the message announced"
        )));
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| invalid(format!("malformed LSP payload: {e}")))
}

/// The reader and writer threads of a stdio connection.
pub struct IoThreads {
    reader: std::thread::JoinHandle<io::Result<()>>,
    writer: std::thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for the reader (whose error says what was unreadable) and
    /// the writer.
    pub fn join(self) -> io::Result<()> {
        let read = self
            .reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("reader thread panicked")));
        // The writer ends when every sender is dropped.
        let wrote = self
            .writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")));
        read.and(wrote)
    }
}

/// A connection over stdin/stdout with bounded framing.
pub fn stdio() -> io::Result<(Connection, IoThreads)> {
    let (writer_tx, writer_rx): (Sender<Message>, Receiver<Message>) = bounded(0);
    let writer = std::thread::Builder::new()
        .name("apolint-lsp-writer".into())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for message in writer_rx {
                message.write(&mut out)?;
                out.flush()?;
            }
            Ok(())
        })?;
    let (reader_tx, reader_rx) = bounded::<Message>(0);
    let reader = std::thread::Builder::new()
        .name("apolint-lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = io::BufReader::with_capacity(64 * 1024, stdin.lock());
            while let Some(message) = read_message(&mut input)? {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if reader_tx.send(message).is_err() || exit {
                    break;
                }
            }
            Ok(())
        })?;
    Ok((
        Connection {
            sender: writer_tx,
            receiver: reader_rx,
        },
        IoThreads { reader, writer },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> io::Result<Option<Message>> {
        read_message(&mut io::BufReader::new(bytes))
    }

    #[test]
    fn huge_content_length_is_refused_before_allocating() {
        for n in ["99999999999999", "8000000000", "67108865"] {
            let e = read(format!("Content-Length: {n}\r\n\r\n{{}}").as_bytes()).unwrap_err();
            assert!(e.to_string().contains("over the limit"), "{e}");
        }
        let e = read(b"Content-Length: 18446744073709551616\r\n\r\n").unwrap_err();
        assert!(e.to_string().contains("not a number"), "{e}");
    }

    #[test]
    fn endless_header_lines_and_short_bodies_are_errors() {
        let long = vec![b'a'; 100_000];
        assert!(read(&long).is_err());
        let e = read(b"Content-Length: 10\r\n\r\n{}").unwrap_err();
        assert!(e.to_string().contains("ended after 2 of the 10"), "{e}");
        assert!(read(b"").unwrap().is_none());
    }

    #[test]
    fn a_message_round_trips() {
        let body = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        let m = read(framed.as_bytes()).unwrap().unwrap();
        assert!(matches!(m, Message::Notification(n) if n.method == "exit"));
    }
}
