//! Stage 1: from the input as read to the agent's own words.
//!
//! Markup, code, URLs, e-mail addresses, quoted thread material and the
//! signature are not the agent's reply and are never linted. Extraction keeps
//! every remaining character where it was whenever it can (masked bytes become
//! spaces, line breaks stay), and records an [`OffsetMap`] where it cannot
//! (HTML entities and tags), so every finding still points into the original
//! input.

use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;

use apolint_rules::normalize::OffsetMap;

/// The format of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InputFormat {
    /// Plain text (also e-mail bodies).
    #[default]
    Plain,
    /// CommonMark Markdown.
    Markdown,
    /// HTML, as rich-text help-desk editors send it.
    Html,
}

/// `plain` (or `text`), `markdown` (or `md`) or `html`, as the command
/// line and requests spell them.
impl std::str::FromStr for InputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "plain" | "text" => Ok(InputFormat::Plain),
            "markdown" | "md" => Ok(InputFormat::Markdown),
            "html" => Ok(InputFormat::Html),
            other => Err(format!("expected plain, markdown or html, got {other:?}")),
        }
    }
}

impl InputFormat {
    /// Picks the format from a file name's extension; `None` when it says
    /// nothing (the caller then sniffs or defaults to plain text).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" | "mdown" | "mkd" => Some(Self::Markdown),
            "html" | "htm" | "xhtml" => Some(Self::Html),
            "txt" | "text" | "eml" => Some(Self::Plain),
            _ => None,
        }
    }

    /// Guesses the format of text with no name (stdin): HTML if it looks
    /// like markup, plain text otherwise.
    pub fn sniff(text: &str) -> Self {
        // Runs on every draft without a name: compare in place, no copy.
        let head = text.trim_start().as_bytes();
        let tagged = [
            "<!doctype",
            "<html",
            "<p>",
            "<p ",
            "<div",
            "<body",
            "<br",
            "<span",
        ];
        if tagged.iter().any(|t| {
            head.get(..t.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(t.as_bytes()))
        }) {
            Self::Html
        } else {
            Self::Plain
        }
    }
}

/// The agent's words, ready for normalisation.
#[derive(Debug, Clone)]
pub struct Extracted<'a> {
    /// The text with everything that must not be linted masked out: the
    /// input itself when plain text has nothing to mask (most replies, and
    /// a copy of a megabyte with its page faults was ~0.5 ms, issue #19).
    pub text: Cow<'a, str>,
    /// Maps offsets in `text` back to the input.
    pub map: OffsetMap,
    /// Offsets in `text` of the lines that open a new block although the
    /// line before is not blank: a list item, a heading, a quote, a table
    /// row, an HTML block element. A phrase runs on across a line break
    /// inside a paragraph (hard-wrapped mail, Markdown soft breaks, `<br>`),
    /// never into one of these, nor across a blank line. Sorted.
    pub block_starts: Vec<usize>,
}

/// Extracts the lintable text of `input` in the given format.
pub fn extract(input: &str, format: InputFormat) -> Extracted<'_> {
    let (text, map, block_starts) = match format {
        InputFormat::Plain => (
            Cow::Borrowed(input),
            OffsetMap::identity(),
            marked_block_starts(input),
        ),
        // Markdown's markup is masked in place: the markers are read from
        // the input, at the same offsets.
        InputFormat::Markdown => (
            extract_markdown(input).into(),
            OffsetMap::identity(),
            marked_block_starts(input),
        ),
        InputFormat::Html => {
            let (text, map, starts) = extract_html(input);
            (text.into(), map, starts)
        }
    };
    // Masks are found first and applied in one copy (none when there is
    // nothing to mask): building the result
    // from slices of valid text needs no UTF-8 re-validation (which showed
    // in profiles) and no `unsafe`.
    let mut masks = Masks::default();
    if format != InputFormat::Html {
        // A saved message (`.eml`, or one piped in) starts with its
        // headers: addresses, dates and ids, not the agent's words.
        if let Some(headers) = mail_headers(&text) {
            masks.add(0, headers.end);
        }
    }
    mask_thread_and_signature(&text, &mut masks);
    mask_urls_and_emails(&text, &mut masks);
    mask_leading_handles(&text, &mut masks);
    Extracted {
        text: masks.apply(text),
        map,
        block_starts,
    }
}

/// The header block a saved e-mail message starts with (RFC 5322):
/// header lines (`Name: value`, or a folded line that starts with a space
/// or tab) from the first line to a blank one, among them a `From`,
/// `To`, `Subject` or `Date`. A draft that opens with a line such as
/// `Order: 123`, or that is header-like lines to its end, has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailHeaders<'t> {
    /// Where the block ends: the start of the blank line after it.
    pub end: usize,
    /// The `Content-Transfer-Encoding` header's value, trimmed, if any.
    pub transfer_encoding: Option<&'t str>,
    /// The `Content-Type` header's value, trimmed, if any.
    pub content_type: Option<&'t str>,
}

/// The header block `text` starts with, if it is a message's (see
/// [`MailHeaders`]).
pub fn mail_headers(text: &str) -> Option<MailHeaders<'_>> {
    let full = text.len();
    let text = apolint_rules::without_bom(text);
    let bom = full - text.len();
    let bytes = text.as_bytes();
    // Cheap refusal first: most drafts do not start with a header name.
    let first_colon = memchr::memchr(b':', &bytes[..bytes.len().min(80)])?;
    let is_name = |name: &[u8]| {
        !name.is_empty()
            && name[0].is_ascii_alphabetic()
            && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !is_name(&bytes[..first_colon]) {
        return None;
    }
    let (mut at, mut addressed, mut lines) = (0, false, 0);
    let (mut transfer_encoding, mut content_type) = (None, None);
    // The blank line before the body ends a message's headers: a short
    // draft of `Word: …` lines to its end ("To: Anna\nNote: we apologise
    // …") is no message, and masked whole it would report nothing.
    let ended = loop {
        if at >= bytes.len() {
            break false;
        }
        let end = memchr_newline(bytes, at);
        let line = text[at..end].trim_end_matches('\r');
        if line.is_empty() {
            break true;
        }
        if line.starts_with([' ', '\t']) {
            // A folded continuation of the header before.
            if lines == 0 {
                return None;
            }
        } else {
            let (name, value) = line.split_once(':')?;
            if !is_name(name.as_bytes()) {
                return None;
            }
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "from" | "to" | "subject" | "date" => addressed = true,
                "content-transfer-encoding" => transfer_encoding = Some(value),
                "content-type" => content_type = Some(value),
                _ => {}
            }
            lines += 1;
        }
        at = end + 1;
    };
    (addressed && lines >= 2 && ended).then_some(MailHeaders {
        end: bom + at,
        transfer_encoding,
        content_type,
    })
}

/// The lines of plain text (or Markdown source) that open a block by
/// their first character: a list bullet or number (`-`, `*`, `•`, `1.`,
/// `2)`), a quote (`>`), a heading (`#`), a table row (`|`), or any other
/// symbol a line can start with (`✅`, `—`). A line that starts with a
/// letter, a digit that is no list number, or an opening quote or
/// bracket continues the paragraph.
fn marked_block_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    for nl in memchr::memchr_iter(b'\n', bytes) {
        let ls = nl + 1;
        let Some(off) = bytes[ls..].iter().position(|&b| b != b' ' && b != b'\t') else {
            break;
        };
        let first = bytes[ls + off];
        // Most lines start with a letter: decided on one byte.
        if first.is_ascii_alphabetic() || matches!(first, b'"' | b'\'' | b'(' | b'\r' | b'\n') {
            continue;
        }
        let line = &text[ls + off..];
        let continues = if first.is_ascii_digit() {
            let after = line.trim_start_matches(|c: char| c.is_ascii_digit());
            !(after.starts_with(". ") || after.starts_with(") "))
        } else {
            line.chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '«' | '„' | '“'))
        };
        if !continues {
            starts.push(ls);
        }
    }
    starts
}

/// Byte ranges to blank out, collected before any is applied.
#[derive(Debug, Default)]
struct Masks(Vec<(usize, usize)>);

impl Masks {
    fn add(&mut self, start: usize, end: usize) {
        if start < end {
            self.0.push((start, end));
        }
    }

    /// The parts of `0..len` not covered by a mask, in order.
    fn unmasked(&self, len: usize) -> Vec<(usize, usize)> {
        let mut ranges = self.0.clone();
        ranges.sort_unstable();
        let mut out = Vec::new();
        let mut pos = 0;
        for (s, e) in ranges {
            if s > pos {
                out.push((pos, s.min(len)));
            }
            pos = pos.max(e);
        }
        if pos < len {
            out.push((pos, len));
        }
        out
    }

    /// `text` with every masked byte replaced by a space, line breaks kept,
    /// so offsets and lines stay where they were. A range that does not
    /// fall on character boundaries (none should) is widened to them;
    /// `text` itself when there is nothing to mask.
    fn apply(mut self, text: Cow<'_, str>) -> Cow<'_, str> {
        if self.0.is_empty() {
            return text;
        }
        self.0.sort_unstable();
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (mut s, mut e) in self.0 {
            s = s.max(pos).min(text.len());
            e = e.min(text.len());
            while !text.is_char_boundary(s) {
                s -= 1;
            }
            while !text.is_char_boundary(e) {
                e += 1;
            }
            if e <= s {
                continue;
            }
            out.push_str(&text[pos..s]);
            out.extend(bytes[s..e].iter().map(|&b| match b {
                b'\n' | b'\r' => b as char,
                _ => ' ',
            }));
            pos = e;
        }
        out.push_str(&text[pos..]);
        Cow::Owned(out)
    }
}

/// Replaces `text[range]` by spaces, keeping line breaks, so offsets and
/// lines stay where they were.
fn mask(bytes: &mut [u8], start: usize, end: usize) {
    for b in &mut bytes[start..end] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// Whether `line` may be a reply header: false when it lacks every word
/// [`crate::quote_header_hint::QUOTE_HEADER_HINT`] lists, which every line
/// `QUOTE_HEADER` (the tests' reference regex) matches has. A reply with
/// one line ending in a colon ("Here is what happened:") compiled the
/// header regex for it (27M instructions, 8 ms, before its parts were
/// split; issue #19). The hint is a DFA `build.rs` stored.
fn may_be_quote_header(line: &str) -> bool {
    use regex_automata::dfa::Automaton;
    static HINT: OnceLock<Option<regex_automata::dfa::dense::DFA<&'static [u32]>>> =
        OnceLock::new();
    match HINT.get_or_init(crate::builtin::quote_header_hint) {
        Some(dfa) => !matches!(
            dfa.try_search_fwd(&regex_automata::Input::new(line)),
            Ok(None)
        ),
        None => true,
    }
}

/// What a reply header looks like, as one regex: the reference that
/// [`matches_quote_header`] answers for (a test compares the two on every
/// corpus line and on generated ones).
#[cfg(test)]
const QUOTE_HEADER: &str = r"(?ix)^\s*(?:
    on\s.{4,200}\swrote:\s*$
  | .{0,200}\s(?:написал|написала|написал\(а\)|пишет|wrote):\s*$
  | -{2,}\s*(?:original\s+message|forwarded\s+message|исходное\s+сообщение|пересылаемое\s+сообщение|перенаправленное\s+сообщение)\s*-{0,}\s*$
  | (?:from|от):\s.{1,200}$
  | \d{1,2}[./]\d{1,2}[./]\d{2,4},?\s+(?:в\s+)?\d{1,2}:\d{2},?\s.{1,200}:\s*$
)";

// The parts of `QUOTE_HEADER` around its bounded runs of any character
// (`.{4,200}`, `.{0,200}`, `.{1,200}`). Compiled as one regex, those runs
// are ~8,000 NFA states, 27M instructions (8 ms) at the first reply
// header, and a reply that quotes the thread has one (issue #19). Each run
// sits between parts that fix where it starts and ends, so its length is
// counted in code instead; the words stay in regexes, which fold case as
// `(?i)` does (`ſ` for `s`, the old Cyrillic letter forms), each compiled
// only when a line gets to it.

/// A part of `QUOTE_HEADER`, compiled at its first use; `None` only if
/// it failed to, which a test rules out.
type HeaderPart = LazyLock<Option<Regex>>;

/// `on ` after the leading white space (first branch).
static HEADER_ON: HeaderPart = LazyLock::new(|| Regex::new(r"(?i)^\s*on\s").ok());
/// ` wrote:` at the end (first branch).
static HEADER_WROTE: HeaderPart = LazyLock::new(|| Regex::new(r"(?i)\swrote:\s*$").ok());
/// ` написал(а):`, ` пишет:`, ` wrote:`… at the end (second branch).
static HEADER_SAYS: HeaderPart =
    LazyLock::new(|| Regex::new(r"(?i)\s(?:написал|написала|написал\(а\)|пишет|wrote):\s*$").ok());
/// A forwarded or original message separator line (third branch).
static HEADER_SEPARATOR: HeaderPart = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*-{2,}\s*(?:original\s+message|forwarded\s+message|исходное\s+сообщение|пересылаемое\s+сообщение|перенаправленное\s+сообщение)\s*-*\s*$",
    )
    .ok()
});
/// `From: ` or `От: ` after the leading white space (fourth branch).
static HEADER_FROM: HeaderPart = LazyLock::new(|| Regex::new(r"(?i)^\s*(?:from|от):\s").ok());
/// A date and a time after the leading white space, then a space (fifth
/// branch).
static HEADER_DATE: HeaderPart = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\d{1,2}[./]\d{1,2}[./]\d{2,4},?\s+(?:в\s+)?\d{1,2}:\d{2},?\s").ok()
});

/// The leftmost match of `part` in `line`.
fn find_part<'h>(part: &HeaderPart, line: &'h str) -> Option<regex::Match<'h>> {
    part.as_ref()?.find(line)
}

/// Whether `line` (no `\n` in it) is what `QUOTE_HEADER` (the tests'
/// reference regex) matches.
fn matches_quote_header(line: &str) -> bool {
    let chars = |s: &str| s.chars().count();
    let body = line.trim_start();
    // What each branch needs first, a superset of what its regex takes
    // (a case variant of a letter is that letter or not ASCII), so that
    // a part is compiled only for lines that may need it.
    let first = body.chars().next().unwrap_or('\n');
    let may_start = |ascii: char| first.eq_ignore_ascii_case(&ascii) || !first.is_ascii();
    // The runs end where the line's last word and colon do: the colon is
    // its last character but white space.
    let colon = line
        .trim_end()
        .len()
        .checked_sub(1)
        .filter(|&i| line.as_bytes()[i] == b':');
    // on <4 to 200 characters> wrote:
    let on_wrote = || {
        colon.is_some()
            && may_start('o')
            && find_part(&HEADER_ON, line).is_some_and(|on| {
                find_part(&HEADER_WROTE, line).is_some_and(|wrote| {
                    line.get(on.end()..wrote.start())
                        .is_some_and(|run| (4..=200).contains(&chars(run)))
                })
            })
    };
    // <0 to 200 characters, after as much leading white space as needed>
    // написал(а):
    let says = || {
        colon.is_some()
            && find_part(&HEADER_SAYS, line).is_some_and(|says| {
                let before = chars(&line[..says.start()]);
                let leading = chars(&line[..line.len() - body.len()]);
                before - leading.min(before) <= 200
            })
    };
    let separator = || first == '-' && find_part(&HEADER_SEPARATOR, line).is_some();
    // From: <1 to 200 characters to the end>
    let from = || {
        may_start('f')
            && find_part(&HEADER_FROM, line)
                .is_some_and(|from| (1..=200).contains(&chars(&line[from.end()..])))
    };
    // 23.11.2026, 10:04, <1 to 200 characters>:
    let date = || {
        let Some(colon) = colon else { return false };
        first.is_numeric()
            && find_part(&HEADER_DATE, line).is_some_and(|date| {
                line.get(date.end()..colon)
                    .is_some_and(|run| (1..=200).contains(&chars(run)))
            })
    };
    on_wrote() || says() || separator() || from() || date()
}

/// Masks quoted e-mail material and the signature:
/// - lines starting with `>` (after optional spaces);
/// - everything from a reply header ("On … wrote:", "… написал(а):",
///   "-----Original Message-----", an Outlook "From:" block) to the end;
/// - everything after a signature delimiter line (`-- `).
fn mask_thread_and_signature(text: &str, masks: &mut Masks) {
    let bytes = text.as_bytes();
    {
        let mut line_start = 0;
        while line_start < bytes.len() {
            let line_end = memchr_newline(bytes, line_start);
            let line = &bytes[line_start..line_end];
            let trimmed = trim_ascii_start(line);
            if trimmed.first() == Some(&b'>') {
                masks.add(line_start, line_end);
            } else if is_quote_header(text, line_start, line_end) {
                masks.add(line_start, bytes.len());
                return;
            } else if is_signature_delimiter(line) || is_sign_off(text, line_start, line_end) {
                // The signature is not prose, but an unfilled template slot
                // in it ("{{agent_name}}") is still shown to the customer;
                // a quoted thread after it is masked whole. A postscript or
                // a sentence after the name ("P.S. …") is the agent's
                // text again, and is checked.
                let mut sig_end = line_end;
                let mut quoted = false;
                while sig_end < bytes.len() {
                    let next_end = memchr_newline(bytes, sig_end + 1);
                    let from = (sig_end + 1).min(bytes.len());
                    let l = &bytes[from..next_end];
                    if trim_ascii_start(l).first() == Some(&b'>')
                        || is_quote_header(text, from, next_end)
                    {
                        quoted = true;
                        break;
                    }
                    if text
                        .get(from..next_end)
                        .is_some_and(is_prose_after_signature)
                    {
                        break;
                    }
                    sig_end = next_end;
                }
                mask_keeping_placeholders(bytes, line_start, sig_end, masks);
                if quoted || sig_end >= bytes.len() {
                    masks.add(sig_end, bytes.len());
                    return;
                }
                line_start = sig_end + 1;
                continue;
            }
            line_start = line_end + 1;
        }
    }
}

/// Masks `bytes[start..end]` except bracketed template slots (`{…}`, `[…]`,
/// `%…%`, `<…>` of up to 60 bytes on one line), which placeholder rules must
/// still see.
fn mask_keeping_placeholders(bytes: &[u8], start: usize, end: usize, masks: &mut Masks) {
    let end = end.min(bytes.len());
    let mut i = start;
    let mut masked_from = start;
    while i < end {
        let close = match bytes[i] {
            b'{' => Some(b'}'),
            b'[' => Some(b']'),
            b'%' => Some(b'%'),
            b'<' => Some(b'>'),
            _ => None,
        };
        if let Some(close) = close {
            let limit = (i + 61).min(end);
            if let Some(p) = bytes[i + 1..limit]
                .iter()
                .position(|&b| b == close || b == b'\n')
            {
                let j = i + 1 + p;
                if bytes[j] == close {
                    // Keep the braces of `{{…}}` too.
                    let mut stop = j + 1;
                    while stop < end && bytes[stop] == close {
                        stop += 1;
                    }
                    masks.add(masked_from, i);
                    i = stop;
                    masked_from = stop;
                    continue;
                }
            }
        }
        i += 1;
    }
    masks.add(masked_from, end);
}

/// A list of lowercase phrases, with the set of their lengths in bytes
/// (a bit each) for [`Phrases::may_lowercase_to_one`].
struct Phrases {
    list: &'static [&'static str],
    lengths: u64,
}

impl Phrases {
    /// The list and its lengths. A phrase of 64 bytes or more, or with a
    /// character other than `a`–`z`, a space, `а`–`я` and `ё`, does not
    /// compile: [`Phrases::may_lowercase_to_one`] is right only for these.
    const fn new(list: &'static [&'static str]) -> Phrases {
        let mut lengths = 0u64;
        let mut i = 0;
        while i < list.len() {
            let b = list[i].as_bytes();
            assert!(b.len() < 64, "a phrase of 64 bytes or more");
            let mut k = 0;
            while k < b.len() {
                // а–п are D0 B0–BF, р–я D1 80–8F, ё D1 91.
                let two = k + 1 < b.len();
                let step = match b[k] {
                    b'a'..=b'z' | b' ' => 1,
                    0xD0 if two && b[k + 1] >= 0xB0 && b[k + 1] <= 0xBF => 2,
                    0xD1 if two && (b[k + 1] <= 0x8F || b[k + 1] == 0x91) && b[k + 1] >= 0x80 => 2,
                    _ => 0,
                };
                assert!(
                    step > 0,
                    "a phrase with a character other than a-z, space, а-я, ё"
                );
                k += step;
            }
            lengths |= 1 << b.len();
            i += 1;
        }
        Phrases { list, lengths }
    }

    /// Whether `text` lowercased may be one of the phrases (lowercase ASCII
    /// and Russian letters and spaces, as every list here is): false only
    /// when no phrase is as long in bytes. Every character that lowercases
    /// into such letters keeps its length in bytes but the Kelvin sign (a
    /// test goes through every character), so a line of another length
    /// needs no lowercased copy: building one for each short line was most
    /// of the cost of looking for sign-offs (issue #19).
    fn may_lowercase_to_one(&self, text: &str) -> bool {
        (text.len() < 64 && (self.lengths >> text.len()) & 1 == 1) || text.contains('\u{212A}')
    }

    /// Whether `text` lowercased is one of the phrases.
    fn has_lowercased(&self, text: &str) -> bool {
        if text.is_ascii() {
            // Lowercased a byte at a time: compared without a copy (a
            // phrase is lowercase, and a Russian one matches no ASCII).
            return self.list.iter().any(|p| p.eq_ignore_ascii_case(text));
        }
        self.may_lowercase_to_one(text) && self.list.contains(&text.to_lowercase().as_str())
    }
}

/// Closing formulas that start a signature block.
const SIGN_OFFS: Phrases = Phrases::new(&[
    "с уважением",
    "с наилучшими пожеланиями",
    "всего доброго",
    "всего хорошего",
    "хорошего дня",
    "best regards",
    "kind regards",
    "warm regards",
    "regards",
    "best wishes",
    "sincerely",
    "yours sincerely",
    "yours faithfully",
    "cheers",
]);

/// Closing formulas that end a reply on a person ([`sign_off_line`]),
/// besides [`SIGN_OFFS`].
const MORE_SIGN_OFFS: Phrases = Phrases::new(&[
    "best",
    "thanks",
    "thank you",
    "many thanks",
    "спасибо",
    "всего доброго",
]);

/// Words of a team or a department, not of a person ([`sign_off_line`]).
const TEAM_WORDS: Phrases = Phrases::new(&[
    "the",
    "team",
    "support",
    "service",
    "services",
    "care",
    "customer",
    "relations",
    "desk",
    "department",
    "команда",
    "поддержка",
    "служба",
    "отдел",
    "магазин",
]);

/// A sign-off line ("С уважением," / "Best regards,") followed by at most
/// four short lines to the end: the signature, not the reply.
fn is_sign_off(text: &str, start: usize, end: usize) -> bool {
    // Lines end at `\n`, so this slice needs no UTF-8 re-validation (which
    // showed in profiles: this runs on every line).
    let Some(line) = text.get(start..end) else {
        return false;
    };
    let bytes = text.as_bytes();
    let t = line.trim().trim_end_matches([',', '.', '!']).trim();
    if t.is_empty() || t.len() > 64 {
        return false;
    }
    if !SIGN_OFFS.has_lowercased(t) {
        return false;
    }
    let rest = &bytes[(end + 1).min(bytes.len())..];
    // At most four short lines may follow; looking at five is enough to
    // know (collecting every line to the end made each sign-off cost the
    // rest of the draft: quadratic on long inputs).
    let lines: Vec<&[u8]> = rest
        .split(|&b| b == b'\n')
        .filter(|l| !trim_ascii_start(l).is_empty())
        .take(5)
        .collect();
    lines.len() <= 4 && lines.iter().all(|l| l.len() <= 120)
}

/// A personal sign-off near the end, for the structure checklist: the
/// input span of the closing formula followed by a person ("Best,⏎Tom",
/// «С уважением,⏎Анна») or of a last line naming one ("Owen, HomeNest
/// Support", "-Jen"). A team or a brand is not a person ("The SoundBox
/// Team", "FreshCart Support", "VoloAir"); `is_name` says whether a word is
/// a known given name. The rules never see these lines; the checklist does.
pub(crate) fn sign_off_line(input: &str, is_name: impl Fn(&str) -> bool) -> Option<(usize, usize)> {
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut start = 0;
    for line in input.split_inclusive('\n') {
        let t = line.trim();
        // The reply ends where the quoted thread starts.
        if t.starts_with('>') || is_quote_header(input, start, start + line.trim_end().len()) {
            break;
        }
        if !t.is_empty() {
            lines.push((start + (line.len() - line.trim_start().len()), t));
        }
        start += line.len();
    }
    fn words(t: &str) -> Vec<&str> {
        t.trim_start_matches(['-', '—', '–', '~', '^'])
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .collect()
    }
    // A person: a known name, or one or two capitalised words that are not
    // a team word or a brand written in CamelCase.
    let is_person = |t: &str| -> bool {
        let ws = words(t);
        let Some(first) = ws.first() else {
            return false;
        };
        if ws.iter().take(2).any(|w| is_name(w)) {
            return true;
        }
        // Capitalised (the team words are looked for in every word below).
        let capitalised = |w: &str| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().skip(1).all(char::is_lowercase)
        };
        ws.len() <= 2 && capitalised(first) && ws.iter().all(|w| !TEAM_WORDS.has_lowercased(w))
    };
    let tail = &lines[lines.len().saturating_sub(4)..];
    for (k, &(at, t)) in tail.iter().enumerate() {
        // Closing formulas are short: a longer line is not one.
        if t.len() > 48 {
            continue;
        }
        let formula = t.trim_end_matches([',', '.', '!']).trim();
        if SIGN_OFFS.has_lowercased(formula) || MORE_SIGN_OFFS.has_lowercased(formula) {
            let &(_, next) = tail.get(k + 1)?;
            return is_person(next).then_some((at, at + t.len()));
        }
    }
    if lines.len() < 2 {
        return None;
    }
    let &(at, last) = lines.last()?;
    // A phone number to call: "тел. 8 800 555-01-23", "+44 20 7946 0018".
    let digits = last.chars().filter(char::is_ascii_digit).count();
    if digits >= 7 && digits * 2 >= last.chars().filter(|c| !c.is_whitespace()).count() - 4 {
        return Some((at, at + last.len()));
    }
    if last.ends_with(['.', '!', '?', ':']) || last.chars().count() > 60 {
        return None;
    }
    // "Вероника, «ТурЭксперт»", "Диспетчер Галина, УК": a name (after a
    // role), a comma, a role or a company.
    let name_and_role = last.split_once(',').is_some_and(|(w, _)| {
        let ws: Vec<&str> = w.split_whitespace().collect();
        (1..=2).contains(&ws.len())
            && ws.iter().all(|w| {
                w.chars().count() <= 14
                    && w.chars().next().is_some_and(char::is_uppercase)
                    && w.chars().all(char::is_alphabetic)
            })
    });
    (name_and_role || (last.split_whitespace().count() <= 3 && is_person(last)))
        .then_some((at, at + last.len()))
}

/// A line after a sign-off that is the agent's text, not the signature: a
/// postscript ("P.S.", "PS:", "P.P.S.", "П.С.", "ПС"), or a sentence that
/// exclaims or asks (a name, a title, a phone number or an address does
/// neither).
fn is_prose_after_signature(line: &str) -> bool {
    let t = line.trim();
    let lower: String = t
        .chars()
        .take(8)
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let postscript = ["p.p.s", "p.s.", "ps:", "ps.", "п.п.с", "п.с.", "пс:", "пс."]
        .iter()
        .any(|p| lower.starts_with(p))
        || ["ps ", "пс "].iter().any(|p| {
            t.get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p) || head.to_lowercase() == *p)
        });
    let words = t.split_whitespace().count();
    postscript || (words >= 3 && t.ends_with(['!', '?']))
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |p| from + p)
}

fn trim_ascii_start(line: &[u8]) -> &[u8] {
    let skip = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    &line[skip..]
}

fn is_signature_delimiter(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line == b"-- " || line == b"--"
}

fn is_quote_header(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let line = &bytes[start..end];
    let trimmed = trim_ascii_start(line);
    let cheap = trimmed.ends_with(b":")
        || trimmed.ends_with(b":\r")
        || trimmed.starts_with(b"--")
        || trimmed.starts_with(b"From:")
        || trimmed.starts_with("От:".as_bytes());
    if !cheap {
        return false;
    }
    let Some(line) = text.get(start..end) else {
        return false;
    };
    if !may_be_quote_header(line) || !matches_quote_header(line) {
        return false;
    }
    // "From:"/"От:" alone is too weak (a sentence may start "От: …"); an
    // Outlook header block has a "Sent:"/"Отправлено:" line right after.
    let t = line.trim_start();
    if t.starts_with("From:") || t.starts_with("От:") {
        let rest = &bytes[end.min(bytes.len())..];
        let next: Vec<&[u8]> = rest.split(|&b| b == b'\n').take(4).collect();
        return next.iter().any(|l| {
            let l = trim_ascii_start(l);
            l.starts_with(b"Sent:")
                || l.starts_with(b"Date:")
                || l.starts_with("Отправлено:".as_bytes())
                || l.starts_with("Дата:".as_bytes())
        });
    }
    true
}

/// Masks URLs and e-mail addresses: they are not prose, and a URL full of
/// words would otherwise produce findings nobody can fix.
fn mask_urls_and_emails(text: &str, masks: &mut Masks) {
    if !text.contains("://") && !text.contains("www.") && !text.contains('@') {
        return;
    }
    // Only the parts not masked already are searched, each as if blanks
    // surrounded it (which is what the masked bytes around it become).
    for (from, to) in masks.unmasked(text.len()) {
        let bytes = &text.as_bytes()[from..to];
        let is_url_char = |b: u8| !b.is_ascii_whitespace() && !matches!(b, b'<' | b'>' | b'"');
        let mut candidates = UrlOrEmailStarts::new(bytes);
        let mut i = 0;
        while i < bytes.len() {
            // Only where a URL prefix or an `@` is can anything start: the
            // searches jump to the next one (testing every byte made this a
            // tenth of a 1 MB check, and stepping to every `h`, `w` and `f`
            // still cost 7 instructions a byte, #19).
            match candidates.next_from(i) {
                Some(next) => i = next,
                None => break,
            }
            let rest = &bytes[i..];
            let starts_url = URL_PREFIXES.iter().any(|p| rest.starts_with(p));
            let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            if starts_url && at_word_start {
                let mut end = i;
                while end < bytes.len() && is_url_char(bytes[end]) {
                    end += 1;
                }
                // Trailing punctuation belongs to the sentence, not the URL.
                while end > i
                    && matches!(
                        bytes[end - 1],
                        b'.' | b',' | b')' | b'!' | b'?' | b';' | b':'
                    )
                {
                    end -= 1;
                }
                masks.add(from + i, from + end);
                i = end.max(i + 1);
                continue;
            }
            if bytes[i] == b'@' {
                let mut start = i;
                while start > 0 && is_email_char(bytes[start - 1]) {
                    start -= 1;
                }
                let mut end = i + 1;
                while end < bytes.len() && is_email_char(bytes[end]) {
                    end += 1;
                }
                while end > i + 1 && bytes[end - 1] == b'.' {
                    end -= 1;
                }
                let domain = &bytes[i + 1..end];
                if start < i && domain.contains(&b'.') {
                    masks.add(from + start, from + end);
                }
                i = end.max(i + 1);
                continue;
            }
            i += 1;
        }
    }
}

/// What a URL starts with (`mask_urls_and_emails` also wants it at a word
/// start); an e-mail address is found from its `@`.
const URL_PREFIXES: [&[u8]; 4] = [b"http://", b"https://", b"www.", b"ftp://"];

/// The positions where a URL prefix or an `@` occurs, in order, each
/// needle searched for with memchr's vectorised search and its next
/// occurrence kept, so the text is scanned once per needle whatever the
/// positions asked from.
struct UrlOrEmailStarts<'h> {
    hay: &'h [u8],
    finders: [memchr::memmem::Finder<'static>; 4],
    /// Per needle (the prefixes, then `@`): its first occurrence at or
    /// after the last position asked from, `None` once there is none.
    next: [Option<usize>; 5],
}

impl<'h> UrlOrEmailStarts<'h> {
    fn new(hay: &'h [u8]) -> Self {
        let finders = URL_PREFIXES.map(memchr::memmem::Finder::new);
        let next = [
            finders[0].find(hay),
            finders[1].find(hay),
            finders[2].find(hay),
            finders[3].find(hay),
            memchr::memchr(b'@', hay),
        ];
        UrlOrEmailStarts { hay, finders, next }
    }

    /// The first position at or after `from` where a URL prefix or an `@`
    /// occurs.
    fn next_from(&mut self, from: usize) -> Option<usize> {
        let rest = self.hay.get(from..)?;
        for (k, next) in self.next.iter_mut().enumerate() {
            if next.is_some_and(|p| p < from) {
                *next = match self.finders.get(k) {
                    Some(finder) => finder.find(rest),
                    None => memchr::memchr(b'@', rest),
                }
                .map(|p| from + p);
            }
        }
        self.next.iter().flatten().min().copied()
    }
}

/// Masks the social-media handles a line opens with (`@115713 @AcmeHelp
/// Kindly DM us…`): they address the message, and the words after them
/// start its first sentence, as rules such as `clause_start` expect. A
/// handle inside a sentence ("write to @AcmeHelp") is left as it is.
fn mask_leading_handles(text: &str, masks: &mut Masks) {
    let bytes = text.as_bytes();
    let is_handle_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // Linear in the text: each line's prefix is scanned once, and a line
    // stops being searched at its first byte that is not a blank or a handle.
    let mut scanned_to = 0; // where the search for '\n' left off
    let mut prefix_end = 0; // this line's blanks and handles end here
    let mut line_closed = false;
    for at in memchr::memchr_iter(b'@', bytes) {
        if let Some(nl) = memchr::memrchr(b'\n', &bytes[scanned_to..at]) {
            prefix_end = scanned_to + nl + 1;
            line_closed = false;
        }
        scanned_to = at;
        if line_closed {
            continue;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_handle_char(bytes[end]) {
            end += 1;
        }
        let blank_before = bytes[prefix_end..at]
            .iter()
            .all(|&b| matches!(b, b' ' | b'\t'));
        let ends_cleanly = bytes.get(end).is_none_or(|&b| {
            b.is_ascii_whitespace() || matches!(b, b',' | b':' | b';' | b'!' | b'?' | b')')
        });
        if blank_before && end > at + 1 && ends_cleanly {
            masks.add(at, end);
            prefix_end = end;
        } else {
            line_closed = true;
        }
    }
}

fn is_email_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+')
}

/// Markdown: keeps only text events outside block quotes, code and raw HTML.
fn extract_markdown(input: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut keep = vec![false; input.len()];
    let mut quote_depth = 0usize;
    let mut in_code = false;
    let parser = Parser::new_ext(
        input,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    );
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth = quote_depth.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(_) if quote_depth == 0 && !in_code => {
                for k in &mut keep[range.start.min(input.len())..range.end.min(input.len())] {
                    *k = true;
                }
            }
            _ => {}
        }
    }
    // Code blocks, inline code, HTML and link destinations never appear as
    // Text events outside their containers' own text, so they stay masked.
    let mut out: Vec<u8> = input.as_bytes().to_vec();
    let mut i = 0;
    while i < out.len() {
        if !keep[i] {
            // Mask whole characters: find this char's length from its lead byte.
            let len = utf8_len(out[i]);
            let end = (i + len).min(out.len());
            if !keep[i..end].iter().any(|&k| k) {
                mask(&mut out, i, end);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Block-level tags: they end a line of text.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "body",
    "html",
];
/// Tags whose whole content is not the agent's prose.
const SKIP_CONTENT_TAGS: &[&str] = &[
    "script",
    "style",
    "blockquote",
    "pre",
    "code",
    "head",
    "title",
];
/// Class or id markers of a signature or a quoted previous message in mail
/// clients' HTML; everything from such an element on is not the reply.
/// The browser extension keeps a copy (`extension/content.js`).
const THREAD_MARKERS: &[&str] = &[
    "signature",
    "gmail_quote",
    "yahoo_quoted",
    "divrplyfwdmsg",
    "moz-cite-prefix",
    "protonmail_quote",
    "zendesk_quote",
    "freshdesk_quote",
];

/// HTML: text outside tags, with entities decoded, skipping the content of
/// `script`, `style`, `blockquote`, `pre`, `code` and quoted-thread blocks.
fn extract_html(input: &str) -> (String, OffsetMap, Vec<usize>) {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut map = OffsetMap::identity();
    let mut block_starts = Vec::new();
    let mut i = 0;
    // (tag name, depth) of a skip-content element we are inside.
    let mut skipping: Option<(String, usize)> = None;
    let mut tag_ends = TagEnds::new(bytes);
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'<' {
            if input[i..].starts_with("<!--") {
                let end = input[i + 4..]
                    .find("-->")
                    .map_or(bytes.len(), |p| i + 4 + p + 3);
                i = end;
                map.push(out.len(), i);
                continue;
            }
            let Some(tag_end) = tag_ends.find(bytes, i) else {
                // A lone '<' is text ("x < y").
                if skipping.is_none() {
                    out.push('<');
                }
                i += 1;
                continue;
            };
            let tag = &input[i + 1..tag_end];
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            let next = tag_end + 1;
            if let Some((skip_name, depth)) = &mut skipping {
                if name == *skip_name {
                    if closing {
                        *depth -= 1;
                    } else if !tag.ends_with('/') {
                        *depth += 1;
                    }
                    if *depth == 0 {
                        skipping = None;
                        out.push('\n');
                        block_starts.push(out.len());
                    }
                }
                i = next;
                map.push(out.len(), i);
                continue;
            }
            let lower_tag = tag.to_ascii_lowercase();
            if !closing && THREAD_MARKERS.iter().any(|m| lower_tag.contains(m)) {
                // The rest of the document is the quoted thread.
                i = bytes.len();
                map.push(out.len(), i);
                break;
            }
            if !closing && SKIP_CONTENT_TAGS.contains(&name.as_str()) && !tag.ends_with('/') {
                skipping = Some((name.clone(), 1));
            }
            if BLOCK_TAGS.contains(&name.as_str()) {
                out.push('\n');
                // `<br>` breaks a line inside a paragraph; every other block
                // element starts a new one.
                if name != "br" {
                    block_starts.push(out.len());
                }
            } else {
                out.push(' ');
            }
            i = next;
            map.push(out.len(), i);
            continue;
        }
        if skipping.is_some() {
            i += utf8_len(b);
            map.push(out.len(), i);
            continue;
        }
        if b == b'&' {
            if let Some((decoded, len)) = decode_entity(&input[i..]) {
                out.push(decoded);
                i += len;
                map.push(out.len(), i);
                continue;
            }
        }
        if b == b'\n' || b == b'\r' || b == b'\t' {
            // Source line breaks in HTML are just spaces.
            out.push(' ');
            i += 1;
            continue;
        }
        let len = utf8_len(b).min(bytes.len() - i);
        out.push_str(input.get(i..i + len).unwrap_or(" "));
        i += len;
    }
    (out, map, block_starts)
}

/// Finds the `>` that closes the tag opened at `start`, honouring quoted
/// attribute values; `None` when `<` does not open a tag or nothing closes
/// it.
///
/// Linear over the whole document, however many `<` it has: each
/// successful search is paid for by the extractor skipping the tag it
/// found. A failed quote-aware search (an unbalanced quote: it ran to the
/// end) switches the document to plain `>` search, so it happens at most
/// once; and with no `>` after `start` at all, the answer is immediate.
/// (Per `<` a full scan made `"<p>" + "<a" * N` quadratic: 1 MiB took
/// minutes.)
struct TagEnds {
    /// The last `>` of the document.
    last_gt: Option<usize>,
    /// A quote-aware search ran to the end once: quotes are not trusted.
    quotes_broken: bool,
}

impl TagEnds {
    fn new(bytes: &[u8]) -> Self {
        TagEnds {
            last_gt: memchr::memrchr(b'>', bytes),
            quotes_broken: false,
        }
    }

    fn find(&mut self, bytes: &[u8], start: usize) -> Option<usize> {
        let next = *bytes.get(start + 1)?;
        if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
            return None;
        }
        if self.last_gt.is_none_or(|g| g <= start) {
            return None;
        }
        if !self.quotes_broken {
            let mut quote: Option<u8> = None;
            for (k, &b) in bytes.iter().enumerate().skip(start + 1) {
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {}
                    None if b == b'"' || b == b'\'' => quote = Some(b),
                    None if b == b'>' => return Some(k),
                    None => {}
                }
            }
            self.quotes_broken = true;
        }
        // An unbalanced quote: the tag ends at the next `>`, as if the
        // quote were an ordinary character.
        memchr::memchr(b'>', &bytes[start + 1..]).map(|p| start + 1 + p)
    }
}

/// Decodes one HTML entity at the start of `s`: `(char, bytes consumed)`.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.as_bytes().iter().take(12).position(|&b| b == b';')?;
    let body = &s[1..end];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        char::from_u32(code)?
    } else {
        match body {
            "nbsp" => '\u{a0}',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "laquo" => '«',
            "raquo" => '»',
            "ldquo" => '“',
            "rdquo" => '”',
            "lsquo" => '‘',
            "rsquo" => '’',
            "bdquo" => '„',
            "mdash" => '—',
            "ndash" => '–',
            "hellip" => '…',
            "shy" => '\u{ad}',
            "copy" => '©',
            _ => return None,
        }
    };
    Some((if c == '\0' { ' ' } else { c }, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lintable(input: &str, format: InputFormat) -> String {
        extract(input, format).text.into_owned()
    }

    #[test]
    fn a_saved_message_s_headers_are_masked_and_other_openings_are_not() {
        let message = "\u{feff}From: support@shop.example\r\nTo: anna@example.com\r\nSubject: Sorry!!!\r\n \tfolded on\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHi Anna!!!\r\n";
        let headers = mail_headers(message).expect("a message");
        assert_eq!(&message[headers.end..], "\r\nHi Anna!!!\r\n");
        assert_eq!(headers.transfer_encoding, Some("8bit"));
        assert_eq!(headers.content_type, None);
        let text = lintable(message, InputFormat::Plain);
        assert_eq!(text.len(), message.len(), "masked in place");
        assert!(
            !text.contains("Sorry") && text.contains("Hi Anna!!!"),
            "{text:?}"
        );
        // Not a message: a first line that is no header, a block with no
        // From/To/Subject/Date, a single header line, a folded first line.
        for draft in [
            "Order: 123\nStatus: late\n\nSorry!!!",
            "Hi Anna,\nSubject: your order\n\nSorry!!!",
            "Subject: your order\n\nSorry!!!",
            " From: a\nTo: b\n\nSorry!!!",
            "Note: see below: To: you\n\nSorry!!!",
            "To: Anna\nSubject: Your order\nNote: we apologise for any inconvenience caused!!!",
            "To: Anna\nSubject: Your order\n",
            "",
        ] {
            assert_eq!(mail_headers(draft), None, "{draft:?}");
            assert_eq!(lintable(draft, InputFormat::Plain), draft);
        }
        // HTML is never taken for a message.
        let html = "From: a@b.c\nTo: d@e.f\n\n<p>Sorry!!!</p>";
        assert!(lintable(html, InputFormat::Html).contains("From"));
    }

    /// Plain text with nothing to mask is the input itself, not a copy of
    /// it; masking anything makes a copy, offsets kept.
    #[test]
    fn plain_text_with_nothing_to_mask_is_the_input_itself() {
        let clean = "Здравствуйте! Вернём деньги завтра.\n\nWe are sorry, Anna.";
        match extract(clean, InputFormat::Plain).text {
            Cow::Borrowed(text) => assert!(std::ptr::eq(text, clean)),
            Cow::Owned(_) => panic!("nothing was masked, yet the text was copied"),
        }
        let url = "See https://example.com now.";
        match extract(url, InputFormat::Plain).text {
            Cow::Owned(text) => assert_eq!(text, "See                     now."),
            Cow::Borrowed(_) => panic!("the URL was not masked"),
        }
    }

    #[test]
    fn plain_masks_quoted_lines_keeping_offsets() {
        let input = "Спасибо, что написали.\n> Ну и сервис!\nВернём деньги завтра.";
        let out = lintable(input, InputFormat::Plain);
        assert_eq!(out.len(), input.len());
        assert!(!out.contains("сервис"));
        assert!(out.contains("Вернём деньги завтра."));
        assert_eq!(out.find("Вернём"), input.find("Вернём"));
    }

    #[test]
    fn plain_masks_reply_header_and_rest() {
        let input =
            "Заказ отправлен.\n\nOn Mon, 2 Nov 2026 at 10:00, Anna <a@x.ru> wrote:\nвы же обещали";
        let out = lintable(input, InputFormat::Plain);
        assert!(out.contains("Заказ отправлен."));
        assert!(!out.contains("обещали"));
        let ru = "Готово.\n\nПн, 2 нояб. 2026 г. в 10:00, Анна <a@x.ru> написал(а):\nгде заказ";
        assert!(!lintable(ru, InputFormat::Plain).contains("где заказ"));
        let yandex = "Готово.\n\n23.11.2026, 10:04, Роман <r@ya.ru>:\nвы же обещали";
        assert!(!lintable(yandex, InputFormat::Plain).contains("обещали"));
    }

    #[test]
    fn plain_masks_signature_and_urls() {
        let input = "See https://example.com/sorry-for-the-inconvenience now.\n-- \nJohn, ACME";
        let out = lintable(input, InputFormat::Plain);
        assert!(!out.contains("inconvenience"));
        assert!(out.contains("now."));
        assert!(!out.contains("ACME"));
        let mail = lintable("Write to help@acme.com.", InputFormat::Plain);
        assert!(!mail.contains("acme"));
        assert!(mail.ends_with('.'));
    }

    /// Overlapping and cut URL prefixes, `@` runs, and text between them.
    const URL_PIECES: [&str; 14] = [
        "http://", "https://", "www.", "ftp://", "@", "hhttp:/", "wwww.", "ht", "ftp:/", "a", " ",
        ".", "щ", "https:/",
    ];

    proptest::proptest! {
        #[test]
        fn url_and_email_starts_are_found_in_order_from_any_position(
            pieces in proptest::collection::vec(proptest::sample::select(&URL_PIECES[..]), 0..24),
            jumps in proptest::collection::vec(1usize..5, 200),
        ) {
            let hay = pieces.concat();
            let bytes = hay.as_bytes();
            let naive = |from: usize| {
                (from..bytes.len()).find(|&i| {
                    bytes[i] == b'@' || URL_PREFIXES.iter().any(|p| bytes[i..].starts_with(p))
                })
            };
            // Asked from increasing positions, as the masking loop asks,
            // sometimes jumping past a match.
            let mut starts = UrlOrEmailStarts::new(bytes);
            let mut from = 0;
            for jump in jumps {
                if from > bytes.len() {
                    break;
                }
                proptest::prop_assert_eq!(starts.next_from(from), naive(from), "from {}", from);
                from += jump;
            }
        }
    }

    #[test]
    fn urls_and_emails_are_masked_only_where_they_start() {
        let masked = |s: &str| lintable(s, InputFormat::Plain);
        assert_eq!(masked("see http://a.b/c."), "see             .");
        assert_eq!(masked("xhttp://a.b ok"), "xhttp://a.b ok");
        assert_eq!(
            masked("mail a@b.c or www.x.y, ok"),
            "mail       or        , ok"
        );
        assert_eq!(masked("no@domain here"), "no@domain here");
        assert_eq!(masked("ftp://x@y.z done"), "            done");
    }

    #[test]
    fn handles_are_masked_only_where_they_open_a_line() {
        let masked = |s: &str| lintable(s, InputFormat::Plain);
        assert_eq!(
            masked("@115 @Acme_1 Kindly DM us"),
            "             Kindly DM us"
        );
        assert_eq!(masked("@115, This outage"), "    , This outage");
        assert_eq!(masked("Hi\n  @ab ok @cd"), "Hi\n      ok @cd");
        // inside a sentence, after other words, or not a handle at all
        assert_eq!(masked("write to @Acme now"), "write to @Acme now");
        assert_eq!(masked("x @a @b"), "x @a @b");
        assert_eq!(masked("@ alone, @a.b"), "@ alone, @a.b");
        assert_eq!(masked("@bar.com ok"), "@bar.com ok");
        // a second line is searched afresh
        assert_eq!(masked("a @b\n@c d"), "a @b\n   d");
    }

    /// The letters of the phrase lists [`Phrases::may_lowercase_to_one`]
    /// is right for (`Phrases::new` accepts no other).
    fn phrase_letter(c: char) -> bool {
        matches!(c, 'a'..='z' | ' ' | 'а'..='я' | 'ё')
    }

    #[test]
    fn only_the_kelvin_sign_changes_length_lowercased_into_phrase_letters() {
        // Every character there is.
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let lower: String = c.to_lowercase().collect();
            if lower.chars().all(phrase_letter) && lower.len() != c.len_utf8() {
                assert_eq!(c, '\u{212A}');
            }
        }
    }

    #[test]
    fn a_line_is_matched_lowercased_as_it_was_without_the_length_test() {
        let lists = [SIGN_OFFS, MORE_SIGN_OFFS, TEAM_WORDS];
        let mut texts: Vec<String> = ["", "İ", "ẞ", "ΑΣ", "\u{212A}", "x"]
            .map(String::from)
            .to_vec();
        for phrase in lists.iter().flat_map(|l| l.list) {
            texts.extend([
                phrase.to_string(),
                phrase.to_uppercase(),
                format!("{phrase}s"),
                phrase.replacen('k', "\u{212A}", 1),
                phrase.replacen('k', "K", 1),
                phrase.chars().skip(1).collect(),
            ]);
        }
        for list in lists {
            for text in &texts {
                assert_eq!(
                    list.has_lowercased(text),
                    list.list.contains(&text.to_lowercase().as_str()),
                    "{text:?}"
                );
            }
        }
        // The Kelvin sign's way in: a longer line that lowercases to one.
        assert!(SIGN_OFFS.has_lowercased("\u{212A}ind regards"));
    }

    #[test]
    fn sign_off_and_signature_block_are_masked() {
        let input = "Вернём деньги завтра.\n\nС наилучшими пожеланиями,\nАдминистрация магазина\n";
        let out = lintable(input, InputFormat::Plain);
        assert!(out.contains("Вернём деньги завтра."));
        assert!(!out.contains("Администрация"));
        let en = "The refund is on its way.\n\nKind regards,\nThe Management";
        assert!(!lintable(en, InputFormat::Plain).contains("Management"));
        // A "regards" line with a long letter after it is not a signature.
        let long = "Regards,\nline one\nline two\nline three\nline four\nline five";
        assert!(lintable(long, InputFormat::Plain).contains("line five"));
        // Padding after the sign-off (pasted `&nbsp;`, a row of `!`) is
        // trimmed before the length test.
        let padded = format!("Thanks.\n\nRegards{}\nAnna Smith", "\u{a0}".repeat(33));
        assert!(!lintable(&padded, InputFormat::Plain).contains("Anna"));
        let shouted = format!("Thanks.\n\nCheers{}\nAnna Smith", "!".repeat(67));
        assert!(!lintable(&shouted, InputFormat::Plain).contains("Anna"));
    }

    #[test]
    fn placeholders_in_a_signature_stay_visible() {
        let input =
            "Готово.\n-- \n{{agent_name}}, поддержка\n\nOn Mon, Ann <a@b.co> wrote:\n{{quoted}}";
        let out = lintable(input, InputFormat::Plain);
        assert!(out.contains("{{agent_name}}"));
        assert!(!out.contains("поддержка"));
        assert!(!out.contains("quoted"));
        assert_eq!(out.len(), input.len());
    }

    /// The stored hint never rules out a line the header regex matches:
    /// every line of the corpora and the real replies, the header shapes of
    /// the tests above, and case variants of them (`ſ` folds to `s`).
    #[test]
    fn the_header_hint_keeps_every_line_the_header_regex_matches() {
        assert!(crate::builtin::quote_header_hint().is_some());
        let header = Regex::new(QUOTE_HEADER).unwrap();
        let hint = regex::Regex::new(crate::quote_header_hint::QUOTE_HEADER_HINT).unwrap();
        let mut lines: Vec<String> = vec![
            "On Mon, 2 Nov 2026 at 10:00, Anna <a@x.ru> wrote:".into(),
            "ON MON, 2 NOV 2026, ANNA WROTE:".into(),
            "Пн, 2 нояб. 2026 г. в 10:00, Анна <a@x.ru> написал(а):".into(),
            "АННА ПИШЕТ:".into(),
            "23.11.2026, 10:04, Роман <r@ya.ru>:".into(),
            "-----Original Message-----".into(),
            "---- Forwarded meſſage ----".into(),
            "-------- Пересылаемое сообщение --------".into(),
            "From: Anna Smith".into(),
            "  ОТ: Анна".into(),
            "Here is what happened:".into(),
            "-- ".into(),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for dir in [
            "corpus/en/drafts",
            "corpus/ru/drafts",
            "corpus-holdout/en/drafts",
            "corpus-holdout/ru/drafts",
            "holdout-2026-12",
            "../shared/realworld",
        ] {
            for entry in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                lines.extend(text.lines().map(str::to_owned));
            }
        }
        // ~2,600 lines in the repository alone, more with ../shared.
        assert!(lines.len() > 2_000, "{} lines", lines.len());
        let mut headers = 0;
        for line in &lines {
            // The stored DFA answers as the hint's regex does.
            assert_eq!(may_be_quote_header(line), hint.is_match(line), "{line:?}");
            // The parts answer what the whole regex answers.
            assert_eq!(
                matches_quote_header(line),
                header.is_match(line),
                "{line:?}"
            );
            if header.is_match(line) {
                headers += 1;
                assert!(may_be_quote_header(line), "{line:?}");
            }
        }
        assert!(headers >= 11, "{headers} header lines");
    }

    /// Each bounded run at and around its bounds, in ASCII and Cyrillic,
    /// with and without leading white space.
    #[test]
    fn the_header_parts_count_runs_as_the_header_regex_does() {
        for part in [
            &HEADER_ON,
            &HEADER_WROTE,
            &HEADER_SAYS,
            &HEADER_SEPARATOR,
            &HEADER_FROM,
            &HEADER_DATE,
        ] {
            assert!(part.is_some());
        }
        let header = Regex::new(QUOTE_HEADER).unwrap();
        let mut tried = 0;
        for n in [0, 1, 2, 3, 4, 5, 198, 199, 200, 201, 202] {
            for fill in ["x", "я", " "] {
                let run = fill.repeat(n);
                for lead in ["", "  ", "\u{a0}"] {
                    for line in [
                        format!("{lead}on {run} wrote:"),
                        format!("{lead}{run} написал(а):"),
                        format!("{lead}{run}x wrote: "),
                        format!("{lead}From: {run}"),
                        format!("{lead}от: x{run}"),
                        format!("{lead}01.02.2026, 10:04, {run}:"),
                        format!("{lead}1/2/26 в 9:30 {run}x:"),
                    ] {
                        assert_eq!(
                            matches_quote_header(&line),
                            header.is_match(&line),
                            "{line:?}"
                        );
                        tried += 1;
                    }
                }
            }
        }
        assert!(tried > 600, "{tried}");
    }

    /// Header parts, white space of several kinds, case variants (`ſ`, the
    /// old Cyrillic `ᲂ`), colons, and runs of letters long enough to cross
    /// the 200-character bounds in ASCII and in Cyrillic.
    const HEADER_PIECES: [&str; 26] = [
        "on ",
        "On\u{a0}",
        "ON\t",
        " wrote:",
        " WROTE: ",
        " wroте:",
        " написал(а):",
        " ПИШЕТ:",
        " написала:",
        "From: ",
        "ᲂт: ",
        "от:",
        "01.02.2026, ",
        "1/2/26 в 9:30, ",
        "10:04 ",
        "-----Original Meſſage-----",
        "-- пересылаемое сообщение --",
        " ",
        "\u{2003}",
        ":",
        "a",
        "Anna <a@x.ru>",
        "abcdefghij",
        "я",
        "абвгдежзий",
        "x,",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2_000, ..Default::default() })]
        #[test]
        fn the_header_parts_answer_what_the_header_regex_answers(
            pieces in proptest::collection::vec(proptest::sample::select(&HEADER_PIECES[..]), 0..12),
            repeat in 0usize..30,
            at in 0usize..12,
        ) {
            // One piece repeated, to reach and cross the length bounds.
            let mut pieces = pieces;
            if let Some(piece) = pieces.get(at).copied() {
                pieces.splice(at..=at, std::iter::repeat_n(piece, repeat));
            }
            let line = pieces.concat();
            static HEADER: OnceLock<Regex> = OnceLock::new();
            let header = HEADER.get_or_init(|| Regex::new(QUOTE_HEADER).unwrap());
            proptest::prop_assert_eq!(matches_quote_header(&line), header.is_match(&line), "{:?}", line);
        }
    }

    #[test]
    fn a_sentence_starting_with_from_is_not_a_header() {
        let input = "From: the team, with thanks.\nWe will call you.";
        assert_eq!(lintable(input, InputFormat::Plain), input);
    }

    #[test]
    fn markdown_keeps_text_masks_code_links_and_quotes() {
        let input = "**Приносим** извинения, см. [страницу](https://x.ru/izvineniya).\n\n> вы же\n\n`код же`\n";
        let out = lintable(input, InputFormat::Markdown);
        assert_eq!(out.len(), input.len());
        assert!(out.contains("Приносим"));
        assert!(out.contains("извинения"));
        assert!(out.contains("страницу"));
        assert!(!out.contains("x.ru"));
        assert!(!out.contains("вы же"));
        assert!(!out.contains("код"));
    }

    #[test]
    fn html_strips_tags_decodes_entities_and_maps_back() {
        let input = "<p>We don&rsquo;t <b>blame</b> you</p><blockquote>you should have</blockquote><p>Bye</p>";
        let ex = lintable(input, InputFormat::Html);
        assert!(ex.contains("don’t"));
        assert!(ex.contains("blame"));
        assert!(!ex.contains("should"));
        let full = extract(input, InputFormat::Html);
        let at = full.text.find("blame").unwrap();
        assert_eq!(
            &input[full.map.to_source(at)..full.map.to_source(at + 5)],
            "blame"
        );
        let apo = full.text.find('’').unwrap();
        assert_eq!(
            full.map.to_source(apo + '’'.len_utf8()),
            input.find("t <b>").unwrap()
        );
    }

    /// The browser extension reads an editor's text as this reads HTML;
    /// it keeps its own copy of the markers, which must not drift.
    #[test]
    fn the_extension_knows_every_thread_marker() {
        let js = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../extension/content.js"
        ))
        .unwrap();
        let from = js.find("const THREAD_MARKERS").unwrap();
        let list = &js[from..from + js[from..].find("];").unwrap()];
        for marker in THREAD_MARKERS {
            assert!(
                list.contains(&format!("\"{marker}\"")),
                "content.js lacks {marker}"
            );
        }
        for tag in SKIP_CONTENT_TAGS
            .iter()
            .filter(|t| ["blockquote", "pre", "code"].contains(t))
        {
            assert!(
                js.contains(&tag.to_ascii_uppercase()),
                "content.js lacks {tag}"
            );
        }
    }

    #[test]
    fn html_thread_markers_end_the_reply() {
        let input = "<div>Готово.</div><div class=\"gmail_quote\">вы же сами</div>";
        let out = lintable(input, InputFormat::Html);
        assert!(out.contains("Готово."));
        assert!(!out.contains("сами"));
        // Freshdesk's quoted customer message, outside a <blockquote> too.
        let input = "<p>Done.</p><div class=\"freshdesk_quote\"><p>WHERE IS MY ORDER!!!</p></div>";
        let out = lintable(input, InputFormat::Html);
        assert!(out.contains("Done.") && !out.contains("ORDER"), "{out}");
    }

    #[test]
    fn html_extraction_is_linear_in_unclosed_tags() {
        // Each `<a` searched to the end of the input for its `>`: 128 KiB
        // took seconds, 1 MiB minutes. Linear, this is milliseconds.
        for tail in ["<a", "<a\"", "<a'<b\""] {
            let input = format!("<p>{}", tail.repeat(64 * 1024));
            let started = std::time::Instant::now();
            let _ = extract(&input, InputFormat::Html);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{tail:?}: {:?}",
                started.elapsed()
            );
        }
        // An unbalanced quote in a tag: the tag still ends at its `>`.
        let out = lintable("<p title=\"x>Спасибо</p>", InputFormat::Html);
        assert!(out.contains("Спасибо"), "{out:?}");
    }

    #[test]
    fn sniffing_and_extensions() {
        assert_eq!(InputFormat::sniff("  <p>Hi</p>"), InputFormat::Html);
        assert_eq!(InputFormat::sniff("Hi <name>"), InputFormat::Plain);
        assert_eq!(
            InputFormat::from_path(std::path::Path::new("a/b.MD")),
            Some(InputFormat::Markdown)
        );
        assert_eq!(InputFormat::from_path(std::path::Path::new("a/b")), None);
    }
}
