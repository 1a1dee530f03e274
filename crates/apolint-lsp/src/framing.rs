//! The base protocol on stdio: `Content-Length` framed JSON-RPC messages,
//! read with bounds. lsp-server's own reader allocates whatever
//! `Content-Length` says before reading a byte (99999999999999 aborted the
//! process; 8000000000 took 1.8 GB in seconds) and reads header lines of
//! any length.
//!
//! Only broken framing ends the connection: a well-framed body that is not
//! JSON-RPC leaves the stream in step, so it reaches the server as an
//! [`UNREADABLE_METHOD`] notification to answer, and text that is not
//! UTF-8 is read with U+FFFD in place of the bad bytes.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender};
use lsp_server::{Connection, Message, Notification};
use serde_json::{json, Value};

/// Largest message accepted. A whole document travels in one
/// `didOpen`/`didChange`; 64 MiB is far beyond any reply being written.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Longest header line (`Content-Length: …`, `Content-Type: …`).
const MAX_HEADER_LINE: u64 = 4096;
/// Most header lines in one message.
const MAX_HEADERS: usize = 32;

/// Messages read ahead of the server, at most: while a long draft is
/// checked, the keystrokes typed meanwhile queue here and are then
/// handled in one batch, checked once (a rendezvous channel let the
/// server see one message at a time: 100 queued edits of a 2 MB draft
/// were 99 checks and 4.3 s).
const MAX_QUEUED_MESSAGES: usize = 1024;
/// Bytes of message bodies read ahead, at most (one message larger than
/// this is still read, alone).
const MAX_QUEUED_BYTES: usize = 2 * MAX_MESSAGE_BYTES;

/// The method of the notification that stands for a well-framed message
/// that could not be read (`params`: `error`, and the request's `id` when
/// one could be found), for the server to answer and carry on.
pub const UNREADABLE_METHOD: &str = "$/apolint/unreadableMessage";

/// One message read from the stream.
#[derive(Debug)]
pub struct Frame {
    /// The message, or an [`UNREADABLE_METHOD`] notification.
    pub message: Message,
    /// The first byte of the body that was not UTF-8, if any: the body
    /// was read with U+FFFD in place of such bytes.
    pub invalid_utf8_at: Option<usize>,
    /// The body's length, for the read-ahead budget.
    pub bytes: usize,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The notification standing for an unreadable body.
fn unreadable(error: String, id: Option<Value>) -> Message {
    Notification::new(
        UNREADABLE_METHOD.to_owned(),
        json!({ "error": error, "id": id }),
    )
    .into()
}

/// What a well-framed body holds: a message, or an [`UNREADABLE_METHOD`]
/// notification saying why not (with the request's id, if it has one).
fn parse_body(body: &str) -> Message {
    match serde_json::from_str::<Message>(body) {
        // The internal method is the reader's alone: a client's is refused.
        Ok(Message::Notification(n)) if n.method == UNREADABLE_METHOD => unreadable(
            format!("{UNREADABLE_METHOD} is apolint's own; not accepted from the editor"),
            None,
        ),
        Ok(message) => message,
        Err(e) => match serde_json::from_str::<Value>(body) {
            Ok(value) => {
                let id = value
                    .get("id")
                    .filter(|id| id.is_number() || id.is_string())
                    .cloned();
                unreadable(format!("not a JSON-RPC message: {e}"), id)
            }
            Err(e) => unreadable(format!("not JSON: {e}"), None),
        },
    }
}

/// Reads one message; `None` at a clean end of input (between messages).
/// An error is broken framing, after which the stream cannot be followed.
pub fn read_message(input: &mut impl BufRead) -> io::Result<Option<Frame>> {
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
    let (message, invalid_utf8_at) = match std::str::from_utf8(&body) {
        Ok(text) => (parse_body(text), None),
        Err(e) => (
            parse_body(&String::from_utf8_lossy(&body)),
            Some(e.valid_up_to()),
        ),
    };
    Ok(Some(Frame {
        message,
        invalid_utf8_at,
        bytes: size,
    }))
}

/// The reader and writer threads of a stdio connection.
pub struct IoThreads {
    reader: std::thread::JoinHandle<io::Result<()>>,
    writer: std::thread::JoinHandle<io::Result<()>>,
    /// Set when the server is done: a reader waiting for the server to
    /// take queued messages stops waiting.
    served: Arc<AtomicBool>,
}

impl IoThreads {
    /// Waits for the reader (whose error says what was unreadable) and
    /// the writer.
    pub fn join(self) -> io::Result<()> {
        self.served.store(true, Ordering::Release);
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
    let served = Arc::new(AtomicBool::new(false));
    let (reader, reader_rx) = spawn_reader(
        || io::BufReader::with_capacity(64 * 1024, io::stdin().lock()),
        Arc::clone(&served),
    )?;
    Ok((
        Connection {
            sender: writer_tx,
            receiver: reader_rx,
        },
        IoThreads {
            reader,
            writer,
            served,
        },
    ))
}

/// The reader thread: messages from the input `open` gives, read ahead of
/// the server up to the budget, until the end of input, `exit`, or broken
/// framing (the thread's error).
fn spawn_reader<R: BufRead>(
    open: impl FnOnce() -> R + Send + 'static,
    served: Arc<AtomicBool>,
) -> io::Result<(std::thread::JoinHandle<io::Result<()>>, Receiver<Message>)> {
    let (reader_tx, reader_rx) = bounded::<Message>(MAX_QUEUED_MESSAGES);
    let reader = std::thread::Builder::new()
        .name("apolint-lsp-reader".into())
        .spawn(move || {
            let mut input = open();
            let mut queue = ReadAhead::default();
            while let Some(frame) = read_message(&mut input)? {
                let exit = matches!(&frame.message, Message::Notification(n) if n.method == "exit");
                if let Some(at) = frame.invalid_utf8_at {
                    let warning = unreadable(
                        format!("the editor sent text that is not UTF-8 (byte {at} of a message); it was read with U+FFFD in place of the bad bytes, so positions in that document may be off"),
                        None,
                    );
                    if !queue.wait_for_room(0, &reader_tx, &served) || reader_tx.send(warning).is_err() {
                        break;
                    }
                }
                if !queue.wait_for_room(frame.bytes, &reader_tx, &served)
                    || reader_tx.send(frame.message).is_err()
                    || exit
                {
                    break;
                }
            }
            Ok(())
        })?;
    Ok((reader, reader_rx))
}

/// The sizes of the messages sent to the server and not yet taken, in
/// order: the channel says how many are still queued, so the oldest
/// others were taken.
#[derive(Default)]
struct ReadAhead {
    sizes: VecDeque<usize>,
    bytes: usize,
}

impl ReadAhead {
    /// Waits until a message of `size` bytes fits the budget (or nothing is
    /// queued), then counts it as queued; false when the server is done
    /// (`served`) before it fits: the message is not to be sent.
    fn wait_for_room(&mut self, size: usize, queue: &Sender<Message>, served: &AtomicBool) -> bool {
        loop {
            while self.sizes.len() > queue.len() {
                if let Some(taken) = self.sizes.pop_front() {
                    self.bytes -= taken;
                }
            }
            if self.bytes == 0 || self.bytes + size <= MAX_QUEUED_BYTES {
                break;
            }
            if served.load(Ordering::Acquire) {
                return false;
            }
            // Only past 128 MiB queued: the server is checking such text.
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.sizes.push_back(size);
        self.bytes += size;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> io::Result<Option<Message>> {
        read_message(&mut io::BufReader::new(bytes)).map(|f| f.map(|f| f.message))
    }

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn a_well_framed_body_that_is_not_a_message_is_told_not_fatal() {
        let cases: [(&[u8], Value); 4] = [
            (b"{abc}", Value::Null),
            (b"[1, 2]", Value::Null),
            (br#"{"jsonrpc": "2.0", "id": 7, "method": 5}"#, json!(7)),
            (br#"{"id": "x", "params": {}}"#, json!("x")),
        ];
        // A client cannot pose as the reader.
        let spoof = format!(
            r#"{{"jsonrpc":"2.0","method":"{UNREADABLE_METHOD}","params":{{"error":"hi","id":1}}}}"#
        );
        let Some(Message::Notification(n)) = read(&framed(spoof.as_bytes())).unwrap() else {
            panic!()
        };
        assert_eq!(n.params["id"], Value::Null);
        assert!(n.params["error"].as_str().unwrap().contains("not accepted"));
        for (body, id) in cases {
            let mut stream = framed(body);
            stream.extend(framed(br#"{"jsonrpc":"2.0","method":"exit"}"#));
            let mut input = io::BufReader::new(&stream[..]);
            let first = read_message(&mut input).unwrap().unwrap().message;
            let Message::Notification(n) = first else {
                panic!("{first:?}")
            };
            assert_eq!(n.method, UNREADABLE_METHOD);
            assert_eq!(n.params["id"], id, "{n:?}");
            assert!(n.params["error"].as_str().unwrap().starts_with("not "));
            // The stream is still in step.
            let next = read_message(&mut input).unwrap().unwrap().message;
            assert!(matches!(next, Message::Notification(n) if n.method == "exit"));
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_read_with_replacement_characters() {
        let body = b"{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"text\":\"a\xff\xfeb \xc3\"}}";
        let frame = read_message(&mut io::BufReader::new(&framed(body)[..]))
            .unwrap()
            .unwrap();
        assert_eq!(frame.invalid_utf8_at, Some(68));
        let Message::Notification(n) = frame.message else {
            panic!()
        };
        assert_eq!(n.params["text"], "a\u{fffd}\u{fffd}b \u{fffd}");
    }

    #[test]
    fn keystrokes_sent_while_the_server_is_busy_wait_for_it_together() {
        // 100 edits in the pipe while the server checks: all are read
        // ahead, so the server's next batch (and check) takes them at once.
        let mut burst = Vec::new();
        for v in 0..100 {
            let edit = format!(
                r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"file:///d.txt","version":{v}}},"contentChanges":[{{"text":"я"}}]}}}}"#
            );
            burst.extend(framed(edit.as_bytes()));
        }
        let served = Arc::new(AtomicBool::new(false));
        let (reader, rx) = spawn_reader(move || io::Cursor::new(burst), served).unwrap();
        // Polled, not joined: a reader that waits for the server would
        // hang the test rather than fail it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while rx.len() < 100 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(rx.len(), 100, "read ahead while the server is busy");
        drop(rx);
        reader.join().unwrap().unwrap();
    }

    #[test]
    fn read_ahead_counts_what_the_server_has_not_taken() {
        let (tx, rx) = bounded::<Message>(8);
        let mut queue = ReadAhead::default();
        let exit = || -> Message { Notification::new("exit".into(), Value::Null).into() };
        let running = AtomicBool::new(false);
        assert!(queue.wait_for_room(MAX_MESSAGE_BYTES, &tx, &running));
        tx.send(exit()).unwrap();
        assert!(queue.wait_for_room(MAX_MESSAGE_BYTES, &tx, &running));
        tx.send(exit()).unwrap();
        assert_eq!(queue.bytes, MAX_QUEUED_BYTES);
        // A third waits; with the server done, it gives up rather than spin.
        assert!(!queue.wait_for_room(MAX_MESSAGE_BYTES, &tx, &AtomicBool::new(true)));
        // Once the server takes one, it fits.
        rx.recv().unwrap();
        assert!(queue.wait_for_room(MAX_MESSAGE_BYTES, &tx, &running));
        assert_eq!((queue.sizes.len(), queue.bytes), (2, MAX_QUEUED_BYTES));
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
