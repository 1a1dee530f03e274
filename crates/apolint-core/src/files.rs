//! Reading drafts from disk, the same way for every front end: which files
//! in a folder are drafts, reading one within a size limit, and decoding
//! it (UTF-8, or UTF-16 with a byte-order mark). `apolint check` and the
//! audit's folders of replies both go through here, so a draft reads the
//! same wherever it is checked.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::InputFormat;

/// Extensions of the files taken as drafts when a folder is read.
pub const DRAFT_EXTENSIONS: &[&str] = &["txt", "text", "md", "markdown", "html", "htm", "eml"];

/// Why a draft could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system refused (missing file, no permission…).
    Io {
        /// The path as given.
        name: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// Larger than the limit.
    TooLarge {
        /// The path as given.
        name: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// NUL bytes in its first 8 KiB and no UTF-16 byte-order mark.
    Binary {
        /// The path as given.
        name: String,
    },
    /// Not UTF-8 (and no UTF-16 byte-order mark).
    InvalidUtf8 {
        /// The path as given.
        name: String,
        /// Offset of the first bad byte.
        at: usize,
        /// 1-based line of that byte.
        line: usize,
        /// 1-based column of that byte, in characters.
        column: usize,
    },
    /// UTF-16 without a byte-order mark: one byte of each pair is mostly
    /// `0x00`-`0x08` (the high byte of Latin, Cyrillic… code units), which
    /// as UTF-8 would be control characters, never a reply.
    Utf16WithoutBom {
        /// The path as given.
        name: String,
        /// Little-endian (the high byte second).
        little_endian: bool,
    },
    /// A UTF-16 byte-order mark, then no valid UTF-16.
    InvalidUtf16 {
        /// The path as given.
        name: String,
    },
    /// A saved message (an `.eml`, or any draft that starts with a
    /// message's headers) whose body is not its text as written:
    /// base64 or quoted-printable, or several MIME parts.
    EncodedMail {
        /// The path as given.
        name: String,
        /// What the body is (`base64`, `quoted-printable`, `multipart/alternative`).
        body: String,
    },
    /// A folder could not be listed.
    Folder {
        /// The folder.
        name: String,
        /// What went wrong.
        source: walkdir::Error,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { name, source } => write!(f, "cannot read {name}: {source}"),
            ReadError::TooLarge { name, limit } => write!(
                f,
                "{name}: larger than {limit} bytes (--max-file-size); a reply is never this long — split the file, or raise the limit"
            ),
            ReadError::Binary { name } => write!(f, "{name}: binary file"),
            ReadError::InvalidUtf8 {
                name,
                at,
                line,
                column,
            } => write!(
                f,
                "{name}: invalid UTF-8 at byte {at} (line {line}, column {column}); apolint reads UTF-8 or UTF-16 with a BOM — convert the file (e.g. `iconv -f cp1251 -t utf-8`) or pass --lossy"
            ),
            ReadError::Utf16WithoutBom {
                name,
                little_endian,
            } => {
                let enc = if *little_endian { "UTF-16LE" } else { "UTF-16BE" };
                write!(
                    f,
                    "{name}: looks like {enc} without a byte-order mark; apolint reads UTF-8, or UTF-16 with a BOM — convert it (`iconv -f {enc} -t UTF-8`)"
                )
            }
            ReadError::InvalidUtf16 { name } => write!(f, "{name}: invalid UTF-16 text"),
            ReadError::EncodedMail { name, body } => write!(
                f,
                "{name}: the message's body is {body}, not its text as written, and would be checked as code; save the reply's text as .txt or .html (or the message with a plain 8-bit body)"
            ),
            ReadError::Folder { name, source } => match source.io_error() {
                Some(e) => write!(
                    f,
                    "cannot read folder {name}: {e}; fix its permissions, or check a folder without it"
                ),
                None => write!(f, "cannot read folder {name}: {source}"),
            },
        }
    }
}

impl std::error::Error for ReadError {}

/// A draft read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFile {
    /// The text, decoded.
    pub text: String,
    /// The format its name says (`.md`, `.html`…), if any.
    pub format: Option<InputFormat>,
    /// With `lossy`: the offset of the first invalid byte, replaced (with
    /// every later one) by U+FFFD.
    pub repaired_from: Option<usize>,
    /// Whether the file is UTF-16 (the text is its decoding, not its
    /// bytes): `--fix` does not write such a file back.
    pub utf16: bool,
}

/// The draft files under a folder, and the draft names skipped because
/// they are symbolic links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftFiles {
    /// Draft files, in path order.
    pub files: Vec<PathBuf>,
    /// Symbolic links with a draft's name, not followed (one to
    /// `/dev/zero` or a FIFO would never end), in path order.
    pub skipped_links: Vec<PathBuf>,
    /// Files left out for their extension (not hidden ones, nor `.toml`
    /// configuration and rules): a folder of extension-less macros must
    /// not pass for a folder of clean ones.
    pub skipped_other: usize,
    /// The first of them in path order.
    pub first_skipped: Option<PathBuf>,
}

/// The draft files under `dir`, in path order: files with a
/// [`DRAFT_EXTENSIONS`] extension, hidden files and folders left out,
/// symbolic links not followed (those with a draft's name and those to
/// a folder listed apart, for a note). A folder that
/// cannot be listed is named itself, not `dir`.
pub fn draft_files(dir: &Path) -> Result<DraftFiles, ReadError> {
    let mut found = DraftFiles::default();
    let walk = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walk {
        let entry = entry.map_err(|source| ReadError::Folder {
            name: source.path().unwrap_or(dir).display().to_string(),
            source,
        })?;
        // A link to a folder is noted as a draft's link is: the drafts
        // behind it are not checked, and saying nothing would let the
        // folder pass for clean.
        if entry.depth() > 0 && entry.path_is_symlink() && entry.path().is_dir() {
            found.skipped_links.push(entry.into_path());
            continue;
        }
        if !is_draft_name(entry.path()) {
            // Configuration and rule files (`.toml`) are a team's drafts'
            // neighbours, never drafts: not worth a note.
            let toml = entry.path().extension().is_some_and(|e| e == "toml");
            if entry.file_type().is_file() && !toml {
                found.skipped_other += 1;
                if found
                    .first_skipped
                    .as_ref()
                    .is_none_or(|first| entry.path() < first.as_path())
                {
                    found.first_skipped = Some(entry.path().to_owned());
                }
            }
            continue;
        }
        if entry.file_type().is_file() {
            found.files.push(entry.into_path());
        } else if entry.path_is_symlink() {
            found.skipped_links.push(entry.into_path());
        }
    }
    found.files.sort();
    found.skipped_links.sort();
    Ok(found)
}

/// Whether a file's extension is one of [`DRAFT_EXTENSIONS`].
pub fn is_draft_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| DRAFT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Reads and decodes one draft file of at most `max_bytes`, refusing
/// binary files. `lossy` replaces invalid UTF-8 instead of failing.
pub fn read_draft(path: &Path, max_bytes: u64, lossy: bool) -> Result<DraftFile, ReadError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        name: name.clone(),
        source,
    })?;
    // The size the file says it has (0 if it cannot say: a pipe).
    let expected = file.metadata().map_or(0, |meta| meta.len());
    if expected > max_bytes {
        return Err(ReadError::TooLarge {
            name,
            limit: max_bytes,
        });
    }
    let buffer = buffer_for(expected);
    let bytes = read_bounded_into(file, &name, max_bytes, buffer)?;
    refuse_utf16_without_bom(&name, &bytes)?;
    if looks_binary(&bytes) {
        return Err(ReadError::Binary { name });
    }
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let (text, repaired_from) = decode(&name, bytes, lossy)?;
    refuse_encoded_mail(&name, &text)?;
    Ok(DraftFile {
        text,
        format: InputFormat::from_path(path),
        repaired_from,
        utf16,
    })
}

/// Fails on a saved message (a draft that starts with a message's
/// headers, see [`crate::input::mail_headers`], whatever the file's name,
/// or on stdin) whose body is encoded (base64, quoted-printable) or in
/// several MIME parts: checked as it is, its text would be code, and "no
/// findings" would be a false all-clear.
pub fn refuse_encoded_mail(name: &str, text: &str) -> Result<(), ReadError> {
    let Some(headers) = crate::input::mail_headers(text) else {
        return Ok(());
    };
    let encoding = headers
        .transfer_encoding
        .map(str::to_ascii_lowercase)
        .filter(|e| e == "base64" || e == "quoted-printable");
    let multipart = headers
        .content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| t.starts_with("multipart/"));
    match encoding.or(multipart) {
        Some(body) => Err(ReadError::EncodedMail {
            name: name.to_owned(),
            body,
        }),
        None => Ok(()),
    }
}

/// Replaces the file at `path` with `text`, atomically: written to a
/// temporary file beside it, flushed to disk, given the old file's
/// permissions and renamed over it, so a reader (or a crash) sees the old
/// draft or the new one, never half of either. A symbolic link is
/// followed: its target is replaced, the link stays. A new file gets the
/// mode any program's new file gets (0666 less the umask), not the
/// temporary file's private 0600: a report is written to be shared.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let target = if path.is_symlink() {
        std::fs::canonicalize(path)?
    } else {
        path.to_path_buf()
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let old = std::fs::metadata(&target).ok();
    let mut builder = tempfile::Builder::new();
    builder.prefix(".apolint-");
    #[cfg(unix)]
    if old.is_none() {
        use std::os::unix::fs::PermissionsExt as _;
        // Masked by the umask at creation, as `open(2)` masks any mode.
        // Only for a new file: a file that exists keeps its mode, given to
        // the private (0600) temporary file before anything is written, so
        // a private draft's new text is never readable by others.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    if let Some(meta) = &old {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// The size of standard input when it is a regular file (`< draft.txt`):
/// `None` for a pipe, a terminal, or a platform this does not ask.
pub fn stdin_file_len() -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let meta = std::fs::File::from(fd).metadata().ok()?;
        meta.is_file().then_some(meta.len())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Reads standard input (at most `max_bytes`, as [`read_bounded`]).
/// A regular file is read into one buffer of its size, as
/// [`read_draft`] reads a named one.
pub fn read_stdin(max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let expected = stdin_file_len().unwrap_or(0).min(max_bytes);
    read_bounded_into(std::io::stdin(), "-", max_bytes, buffer_for(expected))
}

/// An empty buffer for reading a file of `expected` bytes whole: sized to
/// it (one byte more for `read_to_end`'s final probe). Grown by doubling,
/// reading 1 MB wrote 3 MB of fresh pages and was a third of a 1 MB
/// check's page faults (issue #19).
fn buffer_for(expected: u64) -> Vec<u8> {
    Vec::with_capacity(usize::try_from(expected).map_or(0, |n| n.saturating_add(1)))
}

/// Reads at most `max_bytes` from `reader` (one byte more tells that it is
/// larger: a file that grows while read, or a pipe, is still bounded).
pub fn read_bounded(reader: impl Read, name: &str, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    read_bounded_into(reader, name, max_bytes, Vec::new())
}

/// [`read_bounded`] into `bytes` (empty, with the capacity the caller
/// expects to need).
fn read_bounded_into(
    reader: impl Read,
    name: &str,
    max_bytes: u64,
    mut bytes: Vec<u8>,
) -> Result<Vec<u8>, ReadError> {
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            name: name.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge {
            name: name.to_owned(),
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

/// NUL bytes in the first 8 KiB, and no UTF-16 byte-order mark.
pub fn looks_binary(bytes: &[u8]) -> bool {
    !has_utf16_bom(bytes) && bytes.iter().take(8192).any(|&b| b == 0)
}

/// Fails on text that looks like UTF-16 without a byte-order mark: in its
/// first 8 KiB, at least half the bytes at one parity are `0x00`-`0x08`
/// (the high byte of a Latin, Cyrillic, Greek… code unit) and at most a
/// tenth of those at the other. As UTF-8 these are control characters, so
/// no real text is turned away; without this, `h\0i\0` read as garbage
/// with no finding.
pub fn refuse_utf16_without_bom(name: &str, bytes: &[u8]) -> Result<(), ReadError> {
    if has_utf16_bom(bytes) {
        return Ok(());
    }
    let sample = &bytes[..bytes.len().min(8192) & !1];
    // Two code units at least: `x\0y` is just binary.
    if sample.len() < 4 {
        return Ok(());
    }
    let high = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b <= 0x08)
            .count()
    };
    let (even, odd) = (high(0), high(1));
    let pairs = sample.len() / 2;
    let little_endian = odd >= even;
    let (most, least) = if little_endian {
        (odd, even)
    } else {
        (even, odd)
    };
    if most * 2 >= pairs && least * 10 <= most {
        return Err(ReadError::Utf16WithoutBom {
            name: name.to_owned(),
            little_endian,
        });
    }
    Ok(())
}

fn has_utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// Decodes a draft: UTF-8 (a BOM is kept, so offsets stay those of the
/// bytes as read), or UTF-16 with a BOM. With `lossy`, invalid UTF-8 is
/// replaced by U+FFFD and the first bad offset returned; without, it is an
/// error that names the file and the first bad byte.
pub fn decode(
    name: &str,
    bytes: Vec<u8>,
    lossy: bool,
) -> Result<(String, Option<usize>), ReadError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(name, rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(name, rest, u16::from_be_bytes);
    }
    refuse_utf16_without_bom(name, &bytes)?;
    let at = match simdutf8::compat::from_utf8(&bytes) {
        // SAFETY: simdutf8 has just validated `bytes` as UTF-8: its
        // `compat::from_utf8` is documented as a drop-in for
        // `std::str::from_utf8`, accepting exactly the same input (a
        // property test here compares the two).
        Ok(_) => return Ok((unsafe { String::from_utf8_unchecked(bytes) }, None)),
        Err(e) => e.valid_up_to(),
    };
    if lossy {
        return Ok((String::from_utf8_lossy(&bytes).into_owned(), Some(at)));
    }
    let (line, column) =
        apolint_rules::diagnostics::line_col(std::str::from_utf8(&bytes[..at]).unwrap_or(""), at);
    Err(ReadError::InvalidUtf8 {
        name: name.to_owned(),
        at,
        line,
        column,
    })
}

fn decode_utf16(
    name: &str,
    bytes: &[u8],
    unit: fn([u8; 2]) -> u16,
) -> Result<(String, Option<usize>), ReadError> {
    // An odd trailing byte is half a code unit: padded, it decodes to
    // nothing valid unless it completes a character.
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| unit([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    String::from_utf16(&units)
        .map(|t| (t, None))
        .map_err(|_| ReadError::InvalidUtf16 {
            name: name.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_with_an_encoded_body_is_refused_naming_its_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let head = "From: a@shop.example\nTo: b@example.com\nSubject: Re: order\n";
        let cases = [
            (
                "b64.eml",
                "Content-Transfer-Encoding: BASE64\n",
                Some("base64"),
            ),
            (
                "qp.eml",
                "Content-Transfer-Encoding: quoted-printable\n",
                Some("quoted-printable"),
            ),
            (
                "multi.eml",
                "Content-Type: multipart/alternative; boundary=x\n",
                Some("multipart/alternative"),
            ),
            ("plain.eml", "Content-Transfer-Encoding: 8bit\n", None),
            // The message is told by its headers, not by its name.
            (
                "b64.txt",
                "Content-Transfer-Encoding: base64\n",
                Some("base64"),
            ),
        ];
        for (name, header, refused) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("{head}{header}\nSorry=21=21=21\n")).unwrap();
            match (read_draft(&path, 1 << 20, false), refused) {
                (Err(ReadError::EncodedMail { body, .. }), Some(want)) => assert_eq!(body, want),
                (Ok(_), None) => {}
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn utf8_utf16_and_errors() {
        assert_eq!(decode("a", b"ok".to_vec(), false).unwrap().0, "ok");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Привет".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode("a", le, false).unwrap().0, "Привет");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Hi".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode("a", be, false).unwrap().0, "Hi");
        let bad = decode("d.txt", b"ab\ncd\xFF".to_vec(), false).unwrap_err();
        assert!(
            bad.to_string()
                .starts_with("d.txt: invalid UTF-8 at byte 5 (line 2, column 3)"),
            "{bad}"
        );
        let (text, at) = decode("d.txt", b"ab\xFFc".to_vec(), true).unwrap();
        assert_eq!((text.as_str(), at), ("ab\u{FFFD}c", Some(2)));
        assert!(looks_binary(b"a\0b"));
        assert!(!looks_binary(&[0xFF, 0xFE, b'a', 0]));
    }

    proptest::proptest! {
        /// The SIMD check behind the unchecked conversion accepts exactly
        /// what std does, at every length its vector loops split on.
        #[test]
        fn drafts_decode_exactly_when_std_accepts_their_utf8(
            text in "[a-z .,ёЁа-яА-Я€😀]{0,300}",
            corrupt in proptest::option::of((0usize..1200, proptest::sample::select(
                &[0x80u8, 0xA0, 0xBF, 0xC0, 0xC1, 0xD0, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF][..],
            ))),
        ) {
            let mut bytes = text.into_bytes();
            if let Some((at, b)) = corrupt {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = b;
                }
            }
            // What the unchecked conversion rests on, directly.
            proptest::prop_assert_eq!(
                simdutf8::compat::from_utf8(&bytes).map_err(|e| e.valid_up_to()).is_ok(),
                std::str::from_utf8(&bytes).is_ok()
            );
            proptest::prop_assert_eq!(
                simdutf8::compat::from_utf8(&bytes).err().map(|e| e.valid_up_to()),
                std::str::from_utf8(&bytes).err().map(|e| e.valid_up_to())
            );
            let std = std::str::from_utf8(&bytes).map(str::to_owned).map_err(|e| e.valid_up_to());
            let ours = decode("d.txt", bytes.clone(), false);
            match (std, ours) {
                (Ok(want), Ok((got, None))) => proptest::prop_assert_eq!(got, want),
                (Err(at), Err(e)) => proptest::prop_assert!(
                    e.to_string().contains(&format!("invalid UTF-8 at byte {at} ")),
                    "{}", e
                ),
                (std, ours) => proptest::prop_assert!(false, "std {:?}, decode {:?}", std, ours.map(|d| d.0)),
            }
        }
    }

    #[test]
    fn utf16_without_a_bom_is_refused_with_a_pointed_message() {
        for (text, le) in [
            ("Hello, we are sorry.", true),
            ("Приносим извинения за задержку.", false),
        ] {
            let bytes: Vec<u8> = text
                .encode_utf16()
                .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
                .collect();
            let e = decode("d.txt", bytes, false).unwrap_err();
            let enc = if le { "UTF-16LE" } else { "UTF-16BE" };
            assert!(
                e.to_string()
                    .contains(&format!("looks like {enc} without a byte-order mark")),
                "{e}"
            );
        }
        // Real UTF-8 text with a stray control byte is still text.
        assert!(decode("a", "Привет\u{1}, мир".as_bytes().to_vec(), false).is_ok());
        assert!(decode("a", b"a".to_vec(), false).is_ok());
    }

    #[test]
    fn folders_list_drafts_in_order_without_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for f in [
            "b.txt",
            "b/c.md",
            "a.HTML",
            ".hidden.txt",
            ".git/x.txt",
            "notes.pdf",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        let names: Vec<String> = draft_files(root)
            .unwrap()
            .files
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.HTML", "b/c.md", "b.txt"]);
    }

    #[test]
    fn read_draft_bounds_size_and_knows_the_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.md");
        std::fs::write(&p, "# Hi").unwrap();
        let d = read_draft(&p, 100, false).unwrap();
        assert_eq!(d.format, Some(InputFormat::Markdown));
        assert!(matches!(
            read_draft(&p, 3, false),
            Err(ReadError::TooLarge { limit: 3, .. })
        ));
        std::fs::write(&p, b"a\0b").unwrap();
        assert!(matches!(
            read_draft(&p, 100, false),
            Err(ReadError::Binary { .. })
        ));
    }
}
