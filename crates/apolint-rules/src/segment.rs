//! Stage 3: words, sentences and language.
//!
//! Segmentation follows Unicode (UAX #29, via `unicode-segmentation`); each
//! line is tokenized once, and sentences are looked at only around a match.
//! Lines are the unit because a line break is a sentence boundary in UAX #29
//! and no rule matches across one.

use unicode_segmentation::UnicodeSegmentation;

use crate::fast_sentences::{FastBreaks, Unknown};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters or digits (`don't` and `3.5` are one word each).
    Word,
    /// Any other visible character, one token each.
    Punct,
}

/// A token of a normalised line; offsets are into the normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset past the last byte.
    pub end: u32,
    /// Word or punctuation.
    pub kind: TokenKind,
    /// Inside a pair of quotation marks on this line.
    pub in_quotes: bool,
    /// Script of a word's first letter.
    pub script: Script,
}

impl Token {
    /// The token's text in `norm`.
    pub fn text<'t>(&self, norm: &'t str) -> &'t str {
        &norm[self.start as usize..self.end as usize]
    }
}

/// The script of a word, for the per-sentence language guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Script {
    /// Cyrillic letters.
    Cyrillic,
    /// Latin letters.
    Latin,
    /// Digits, punctuation, other scripts.
    Other,
}

/// The script of a character (a token's is its first character's).
pub fn script_of(c: char) -> Script {
    if c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) {
        Script::Latin
    } else if ('\u{0400}'..='\u{04FF}').contains(&c) {
        Script::Cyrillic
    } else {
        Script::Other
    }
}

/// Letters and digits, with the common scripts decided without the Unicode
/// table lookup (it showed up in profiles of hit-dense drafts).
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ('\u{0400}'..='\u{04FF}').contains(&c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Turns one UAX #29 word segment (at `off` within the line starting at
/// `start`) into tokens.
fn push_segment(
    tokens: &mut Vec<Token>,
    quotes_seen: &mut bool,
    start: usize,
    off: usize,
    seg: &str,
) {
    let Some(first) = seg.chars().next() else {
        return;
    };
    let s = (start + off) as u32;
    if is_word_char(first) {
        tokens.push(Token {
            start: s,
            end: s + seg.len() as u32,
            kind: TokenKind::Word,
            in_quotes: false,
            script: script_of(first),
        });
    } else if !first.is_whitespace() {
        // UAX #29 keeps some runs together (emoji sequences); split
        // ASCII punctuation so `!!` and `...` are countable.
        for (k, c) in seg.char_indices() {
            if c.is_whitespace() {
                continue;
            }
            if c == '"' {
                *quotes_seen = true;
            }
            let ts = s + k as u32;
            tokens.push(Token {
                start: ts,
                end: ts + c.len_utf8() as u32,
                kind: TokenKind::Punct,
                in_quotes: false,
                script: Script::Other,
            });
            if !c.is_ascii() {
                // A non-ASCII cluster (emoji with modifiers) stays one token.
                if let Some(last) = tokens.last_mut() {
                    last.end = s + seg.len() as u32;
                }
                break;
            }
        }
    }
}

/// What a byte of a normalised line is, for the fast tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Byte {
    /// ASCII letter.
    Letter,
    /// ASCII digit.
    Digit,
    /// Lead byte of a two-byte character (Cyrillic when the fast path
    /// applies; checked with the following byte).
    Lead,
    /// Space, tab, CR, VT, FF: never part of a token.
    Blank,
    /// `:` — joins letters (UAX #29 MidLetter).
    MidLetter,
    /// `.` and `'` — join letters or digits (MidNumLet, Single_Quote).
    MidNumLet,
    /// `,` and `;` — join digits (MidNum).
    MidNum,
    /// Other printable ASCII: one punctuation token each.
    Punct,
    /// Anything the fast path does not decide (`_`, other controls,
    /// non-Cyrillic non-ASCII): the line takes the general path.
    Defer,
}

const BYTE_CLASS: [Byte; 256] = {
    let mut t = [Byte::Defer; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => Byte::Letter,
            b'0'..=b'9' => Byte::Digit,
            0xD0 | 0xD1 => Byte::Lead,
            b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C => Byte::Blank,
            b':' => Byte::MidLetter,
            b'.' | b'\'' => Byte::MidNumLet,
            b',' | b';' => Byte::MidNum,
            b'_' => Byte::Defer,
            b'!'..=b'~' => Byte::Punct,
            _ => Byte::Defer,
        };
        b += 1;
    }
    t
};

/// The first eight bytes of `eight` as a little-endian number (byte `k`
/// in bits `8k..8k + 8`).
#[inline]
fn first_eight(eight: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&eight[..8]);
    u64::from_le_bytes(bytes)
}

/// How many of the first bytes of `eight` (eight of them) are ASCII
/// letters, found for all eight at once: each byte, cased alike and less
/// its top bit, is at least `a` and less than `{` exactly when adding 0x1F
/// sets its top bit and adding 0x05 does not (no sum carries into the next
/// byte); a byte that had its top bit is no ASCII letter.
#[inline]
fn leading_ascii_letters(eight: &[u8]) -> usize {
    const TOP: u64 = 0x8080_8080_8080_8080;
    let x = first_eight(eight);
    let folded = (x | 0x2020_2020_2020_2020) & !TOP;
    let at_least_a = folded + 0x1F1F_1F1F_1F1F_1F1F;
    let past_z = folded + 0x0505_0505_0505_0505;
    let letters = at_least_a & !past_z & !x & TOP;
    ((!letters & TOP).trailing_zeros() / 8) as usize
}

/// How many of the first bytes of `eight` (eight of them) are basic
/// Cyrillic letters ([`cyrillic_at`], two bytes each: 0, 2, 4, 6 or 8),
/// found for all four pairs at once. In each 16-bit lane the lead byte
/// must be `D0` or `D1`, the next `80`–`BF`, and below `A0` after `D1`;
/// each test leaves a lane's low byte zero exactly when it holds, and a
/// lane whose byte is not zero ends the run. Russian words are runs of
/// such pairs: a pair at a time they were most of tokenizing Russian
/// (issue #19).
#[inline]
fn leading_cyrillic_letters(eight: &[u8]) -> usize {
    const LOW: u64 = 0x00FF_00FF_00FF_00FF;
    let x = first_eight(eight);
    let (lead, next) = (x & LOW, (x >> 8) & LOW);
    let bad_lead = (lead & 0x00FE_00FE_00FE_00FE) ^ 0x00D0_00D0_00D0_00D0;
    let bad_next = (next & 0x00C0_00C0_00C0_00C0) ^ 0x0080_0080_0080_0080;
    let past_d1 = ((lead & 0x0001_0001_0001_0001) << 5) & next;
    // A lane's byte is at most 0xFF: adding 0xFF carries into its ninth
    // bit exactly when the byte is not zero, and never into the next lane.
    let bad = ((bad_lead | bad_next | past_d1) + LOW) & 0x0100_0100_0100_0100;
    (bad.trailing_zeros() as usize / 16).min(4) * 2
}

/// Where the run of letters from `i` in `b` ends, as far as eight-byte
/// steps see it: `leading` says how many of eight bytes continue the run
/// (a run ending in the last seven bytes is left for the byte-by-byte
/// loop to finish).
#[inline(always)]
fn past_run(b: &[u8], mut i: usize, leading: impl Fn(&[u8]) -> usize) -> usize {
    while let Some(eight) = b.get(i..i + 8) {
        let n = leading(eight);
        i += n;
        if n < 8 {
            break;
        }
    }
    i
}

/// Whether the two bytes at `i` are a basic Cyrillic letter (U+0400–U+045F:
/// `D0 80`–`D0 BF`, `D1 80`–`D1 9F`).
#[inline]
fn cyrillic_at(b: &[u8], i: usize) -> bool {
    matches!(
        (b[i], b.get(i + 1)),
        (0xD0, Some(0x80..=0xBF)) | (0xD1, Some(0x80..=0x9F))
    )
}

/// Non-ASCII symbols common in replies (currency, №, arrows, bullets, bare
/// emoji) that UAX #29 treats as "Other": a token of their own, breaks on
/// both sides. Emoji modifiers, variation selectors and joiners are not
/// here, so a sequence of them sends the line to the general path.
fn is_plain_symbol(c: char) -> bool {
    matches!(c as u32,
        0xA3 | 0xA5 | 0xA7 | 0xB0 | 0xB1 | 0xD7 | 0x2022 | 0x20AC | 0x20B4 | 0x20B8 | 0x20BD
        | 0x2116 | 0x2190..=0x2193 | 0x1F300..=0x1F3FA | 0x1F400..=0x1F64F | 0x1F680..=0x1F6FF
        | 0x1F900..=0x1F9FF)
}

/// The plain symbol starting at byte `i`, as its byte length.
#[inline]
fn symbol_at(line: &str, i: usize) -> Option<usize> {
    let c = line.get(i..)?.chars().next()?;
    is_plain_symbol(c).then(|| c.len_utf8())
}

/// Tokenizes a line made of printable ASCII, blanks, basic Cyrillic and
/// plain symbols directly from its bytes, applying the UAX #29 word rules that can occur
/// there (WB3a/b, WB3d, WB5–WB12). At the first character it does not
/// decide it stops with that character's offset, the tokens it pushed
/// before it left in `tokens`. Normalised drafts are almost always such
/// lines, and this is several times faster than the table-driven
/// segmenter; tests check the two give the same tokens. Tokens are pushed
/// with `in_quotes` false; `quotes_seen` is set at a `"`, for
/// [`mark_quoted`].
fn tokenize_fast(
    line: &str,
    start: usize,
    tokens: &mut Vec<Token>,
    quotes_seen: &mut bool,
) -> Result<(), usize> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match BYTE_CLASS[b[i] as usize] {
            Byte::Blank => i += 1,
            Byte::Letter | Byte::Digit | Byte::Lead => {
                let from = i;
                let script = match BYTE_CLASS[b[i] as usize] {
                    Byte::Letter => Script::Latin,
                    Byte::Digit => Script::Other,
                    _ => Script::Cyrillic,
                };
                // `letter` is whether the last character taken is a letter
                // (else a digit), for the rules across `.` `'` `:` `,` `;`.
                let mut letter = script != Script::Other;
                loop {
                    if i >= b.len() {
                        break;
                    }
                    match BYTE_CLASS[b[i] as usize] {
                        Byte::Letter => {
                            letter = true;
                            i += 1;
                            // The rest of a run of ASCII letters, eight
                            // bytes at a time: a byte at a time it was a
                            // third of tokenizing English (issue #19).
                            i = past_run(b, i, leading_ascii_letters);
                        }
                        Byte::Digit => {
                            letter = false;
                            i += 1;
                        }
                        Byte::Lead => {
                            if !cyrillic_at(b, i) {
                                return Err(i);
                            }
                            letter = true;
                            i += 2;
                            // The rest of a run of Cyrillic letters, four
                            // at a time.
                            i = past_run(b, i, leading_cyrillic_letters);
                        }
                        mid @ (Byte::MidLetter | Byte::MidNumLet | Byte::MidNum) => {
                            // Joins only between two letters (WB6/7: `:`
                            // `.` `'`) or two digits (WB11/12: `.` `'` `,` `;`).
                            let Some(&next) = b.get(i + 1) else { break };
                            let joins = match BYTE_CLASS[next as usize] {
                                Byte::Letter => letter && mid != Byte::MidNum,
                                Byte::Lead => {
                                    if !cyrillic_at(b, i + 1) {
                                        return Err(i + 1);
                                    }
                                    letter && mid != Byte::MidNum
                                }
                                Byte::Digit => !letter && mid != Byte::MidLetter,
                                _ => false,
                            };
                            if !joins {
                                break;
                            }
                            i += 1;
                        }
                        Byte::Defer if b[i] >= 0x80 && symbol_at(line, i).is_some() => break,
                        Byte::Defer => return Err(i),
                        Byte::Blank | Byte::Punct => break,
                    }
                }
                tokens.push(Token {
                    start: (start + from) as u32,
                    end: (start + i) as u32,
                    kind: TokenKind::Word,
                    in_quotes: false,
                    script,
                });
            }
            Byte::MidLetter | Byte::MidNumLet | Byte::MidNum | Byte::Punct => {
                let c = b[i];
                if c == b'"' {
                    *quotes_seen = true;
                }
                let s = (start + i) as u32;
                tokens.push(Token {
                    start: s,
                    end: s + 1,
                    kind: TokenKind::Punct,
                    in_quotes: false,
                    script: Script::Other,
                });
                i += 1;
            }
            Byte::Defer => {
                let Some(len) = symbol_at(line, i) else {
                    return Err(i);
                };
                let s = (start + i) as u32;
                tokens.push(Token {
                    start: s,
                    end: s + len as u32,
                    kind: TokenKind::Punct,
                    in_quotes: false,
                    script: Script::Other,
                });
                i += len;
            }
        }
    }
    Ok(())
}

/// Tokenizes `line` with [`tokenize_fast`], handing only the stretch
/// around each character it does not decide to the UAX #29 segmenter:
/// from the last [`restarts_segmenting`] point before it to the first
/// after it. Sent whole to the segmenter, a paragraph with one accented
/// letter or emoji sequence was tokenized several times slower, and a
/// megabyte on one line three times slower than on many (issue #19).
/// Returns whether the fast tokenizer decided all of it (then every word
/// token is at word edges).
fn tokenize_mixed(
    line: &str,
    start: usize,
    tokens: &mut Vec<Token>,
    quotes_seen: &mut bool,
) -> bool {
    let b = line.as_bytes();
    let mut from = 0;
    let mut all_fast = true;
    while from < b.len() {
        let Err(stop) = tokenize_fast(&line[from..], start + from, tokens, quotes_seen) else {
            break;
        };
        all_fast = false;
        let stop = from + stop;
        let back = (from + 1..=stop)
            .rev()
            .find(|&i| restarts_segmenting(b, i))
            .unwrap_or(from);
        // The fast tokens from there on are redone.
        while tokens
            .last()
            .is_some_and(|t| t.start as usize >= start + back)
        {
            tokens.pop();
        }
        let ahead = (stop + 1..b.len())
            .find(|&i| restarts_segmenting(b, i))
            .unwrap_or(b.len());
        tokenize_uax29_into(&line[back..ahead], start + back, tokens, quotes_seen);
        from = ahead;
    }
    all_fast
}

/// Calls `f(open, close)` with the byte offsets of each pair of quotation
/// marks on `line` (normalisation folds `«»`, `“”`, `„“` to `"`), in order.
/// A `"` right after a digit while no quotation is open is an inch or a
/// seconds mark (`a 27" monitor`), and a quote still open at the line's
/// end is a stray one: neither quotes anything. Counted by parity alone,
/// either left the rest of the line "quoted", and unchecked (an unfilled
/// `{{agent_name}}` after `12"` passed as clean).
pub fn for_each_quotation(line: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut open = None;
    for i in memchr::memchr_iter(b'"', line) {
        match open {
            Some(o) => {
                f(o, i);
                open = None;
            }
            None if i > 0 && line[i - 1].is_ascii_digit() => {}
            None => open = Some(i),
        }
    }
}

/// Calls `f(open, close)` for each quotation of `text`, pairing quotes
/// line by line ([`for_each_quotation`] on each `\n`-separated line:
/// a quote never pairs across a line break), offsets in `text`.
pub fn for_each_quotation_by_line(text: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut from = 0;
    loop {
        let to = memchr::memchr(b'\n', &text[from..]).map_or(text.len(), |i| from + i);
        for_each_quotation(&text[from..to], |o, c| f(from + o, from + c));
        if to == text.len() {
            return;
        }
        from = to + 1;
    }
}

/// Sets the `in_quotes` of the tokens inside the quotation pairs of the
/// text they were cut from ([`for_each_quotation_by_line`]: a paragraph's
/// tokens span its lines). Called only when the tokenizer saw a `"`: a
/// `memchr` on every line was 0.7% of checking a megabyte.
fn mark_quoted(text: &str, start: usize, tokens: &mut [Token]) {
    let mut k = 0;
    for_each_quotation_by_line(text.as_bytes(), |o, c| {
        let (o, c) = ((start + o) as u32, (start + c) as u32);
        while tokens.get(k).is_some_and(|t| t.start <= o) {
            k += 1;
        }
        while let Some(t) = tokens.get_mut(k).filter(|t| t.start < c) {
            t.in_quotes = true;
            k += 1;
        }
    });
}

/// Pushes the tokens of `text`, which starts at offset `start`, as the
/// UAX #29 segmenter splits it; `quotes_seen` as [`tokenize_fast`]'s.
/// Out of line: the fast path's callers stay as they were compiled
/// before it was shared (inlined, it cost the 1 MB check 0.2%).
#[inline(never)]
fn tokenize_uax29_into(text: &str, start: usize, tokens: &mut Vec<Token>, quotes_seen: &mut bool) {
    for (off, seg) in text.split_word_bound_indices() {
        push_segment(tokens, quotes_seen, start, off, seg);
    }
}

/// Whether UAX #29 breaks words at byte `i` of `b` whatever comes before
/// the blank at `i - 1`: a space, tab or line feed followed by an ASCII
/// character that is no blank, or by a basic Cyrillic letter. No word
/// rule joins a blank (WB3d's space × space aside) to such a character or
/// looks past the blank (WB4 attaches only extending marks, which these
/// are not), so the text after `i` is segmented as if it began there.
fn restarts_segmenting(b: &[u8], i: usize) -> bool {
    let (Some(&before), Some(&at)) = (i.checked_sub(1).and_then(|j| b.get(j)), b.get(i)) else {
        return false;
    };
    matches!(before, b' ' | b'\t' | b'\n')
        && ((at.is_ascii() && !at.is_ascii_whitespace()) || cyrillic_at(b, i))
}

/// A tokenized line of the normalised text.
#[derive(Debug, Clone, Default)]
pub struct Line {
    /// Byte offset where the line starts in the normalised text.
    pub start: usize,
    /// Byte offset where it ends (the `\n` or the end of the text).
    pub end: usize,
    /// Its tokens, in order; whitespace is not a token.
    pub tokens: Vec<Token>,
    /// Whether the fast tokenizer made the tokens: then no word token
    /// touches a letter or digit on either side (it breaks only at blanks,
    /// punctuation and symbols), and a caller need not look.
    pub words_at_edges: bool,
    /// The last whole sentence [`Line::sentence_language`] measured:
    /// token range and language. Matches come a few to a sentence, and
    /// measuring each one's sentence again was 4% of checking a megabyte
    /// (issue #19).
    last_sentence: std::cell::Cell<Option<(u32, u32, Language)>>,
}

impl Line {
    /// Tokenizes the line `norm[start..end]`.
    pub fn tokenize(norm: &str, start: usize, end: usize) -> Line {
        let mut line = Line::default();
        line.retokenize(norm, start, end);
        line
    }

    /// Makes this the line `norm[start..end]`, reusing the token buffer.
    pub fn retokenize(&mut self, norm: &str, start: usize, end: usize) {
        let mut tokens = std::mem::take(&mut self.tokens);
        tokens.clear();
        // About one token per four bytes of prose: the buffer of a fresh
        // line is sized once instead of growing from empty (~5 allocations
        // per reply of an `audit`, issue #19).
        tokens.reserve((end - start) / 4);
        let mut quotes_seen = false;
        let words_at_edges =
            tokenize_mixed(&norm[start..end], start, &mut tokens, &mut quotes_seen);
        if quotes_seen {
            mark_quoted(&norm[start..end], start, &mut tokens);
        }
        *self = Line {
            start,
            end,
            tokens,
            words_at_edges,
            last_sentence: Default::default(),
        };
    }

    /// Tokenizes the whole line with the UAX #29 tables: the reference
    /// the fast path is tested against.
    pub fn tokenize_uax29(norm: &str, start: usize, end: usize) -> Line {
        let mut tokens = Vec::new();
        tokenize_uax29_into(&norm[start..end], start, &mut tokens, &mut false);
        mark_quoted(&norm[start..end], start, &mut tokens);
        Line {
            start,
            end,
            tokens,
            words_at_edges: false,
            last_sentence: Default::default(),
        }
    }

    /// Token range `[from, to)` of the sentence around token `idx`: between
    /// the nearest sentence-ending punctuation marks on either side, and at
    /// most [`SENTENCE_WINDOW`] tokens each way (so a megabyte line without
    /// punctuation costs linear time, not quadratic).
    pub fn sentence_window(&self, norm: &str, idx: usize) -> (usize, usize) {
        let idx = idx.min(self.tokens.len());
        let is_end = |t: &Token| t.kind == TokenKind::Punct && is_sentence_end(t.text(norm));
        let lo = idx.saturating_sub(SENTENCE_WINDOW);
        let hi = (idx + SENTENCE_WINDOW).min(self.tokens.len());
        let from = self.tokens[lo..idx]
            .iter()
            .rposition(is_end)
            .map_or(lo, |p| lo + p + 1);
        let to = self.tokens[idx..hi]
            .iter()
            .position(is_end)
            .map_or(hi, |p| idx + p);
        (from, to)
    }

    /// The language of the sentence around token `idx`.
    pub fn sentence_language(&self, norm: &str, idx: usize) -> Language {
        if let Some((from, to, lang)) = self.last_sentence.get() {
            if (from as usize..=to as usize).contains(&idx) {
                return lang;
            }
        }
        let (from, to) = self.sentence_window(norm, idx);
        let (mut cyr, mut lat) = (0usize, 0usize);
        for t in &self.tokens[from..to] {
            match t.script {
                Script::Cyrillic => cyr += 1,
                Script::Latin => lat += 1,
                Script::Other => {}
            }
        }
        let lang = Language::from_counts(cyr, lat);
        // A window narrower than `SENTENCE_WINDOW` was cut by neither
        // limit: it is the whole sentence, and every token in it (or the
        // mark that ends it) gets this same window.
        if to - from < SENTENCE_WINDOW {
            self.last_sentence.set(Some((from as u32, to as u32, lang)));
        }
        lang
    }
}

/// How far (in tokens) a sentence is looked at around a match.
pub const SENTENCE_WINDOW: usize = 64;

/// Whether a punctuation token ends a sentence (gaps never cross these).
pub fn is_sentence_end(p: &str) -> bool {
    matches!(p, "." | "!" | "?" | ";" | "…" | "?!" | "!?")
}

/// The language of a draft or a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// Russian.
    Ru,
    /// English.
    En,
    /// Both in comparable measure (a mixed sentence), or no letters at all.
    Mixed,
}

impl Language {
    /// Decides from letter or word counts. A language needs twice the
    /// other's count to win; anything closer is mixed.
    pub fn from_counts(cyrillic: usize, latin: usize) -> Language {
        if cyrillic == 0 && latin == 0 {
            Language::Mixed
        } else if cyrillic >= 2 * latin {
            Language::Ru
        } else if latin >= 2 * cyrillic {
            Language::En
        } else {
            Language::Mixed
        }
    }

    /// The dominant language of a whole draft: whichever script has more
    /// letters (`Mixed` only when there are no letters at all).
    pub fn dominant(cyrillic: usize, latin: usize) -> Language {
        match (cyrillic, latin) {
            (0, 0) => Language::Mixed,
            (c, l) if c >= l => Language::Ru,
            _ => Language::En,
        }
    }

    /// The contract's code for this language.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ru => "ru",
            Language::En => "en",
            Language::Mixed => "mixed",
        }
    }
}

/// Serialised as its contract code (`ru`, `en`, `mixed`).
impl serde::Serialize for Language {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// Byte ranges of the UAX #29 sentences of `text` (cased text: sentence
/// boundaries depend on capital letters).
pub fn sentences(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    text.split_sentence_bound_indices()
        .map(|(start, s)| (start, start + s.trim_end().len()))
        .filter(|(s, e)| e > s)
}

/// The first of [`sentences`] that `x` is before the end of (or in, for an
/// empty one): what `sentences(text).find(|&(s, e)| x < e.max(s + 1))`
/// answers, without segmenting the sentences before the one before `x`.
///
/// UAX #29 segmenting costs ~240 instructions a character, and finding a
/// finding's sentence from the start of a paragraph was 5% of an audit
/// (issue #19). The segmenter's state is its last four character classes,
/// and no rule breaks between two letters, so four letters in a row reset
/// it: from their start, it breaks exactly where a run from the start of
/// `text` does, past them. Segmenting from the last four letters in a row
/// before the last `.`, `!` or `?` before `x` therefore agrees with
/// segmenting all of `text` from the end of its first sentence on; when
/// `x` is in that first (possibly cut) sentence, all of `text` is
/// segmented.
pub fn sentence_containing(text: &str, x: usize) -> Option<(usize, usize)> {
    // Text of common characters is segmented without the segmenter's
    // tables (see `fast_sentences`); any other, by the segmenter.
    match containing(text, x, FastSentences::new) {
        Ok(found) => found,
        Err(Unknown) => {
            let Ok(found) = containing(text, x, |t| SlowSentences(sentences(t)));
            found
        }
    }
}

/// A source of [`sentences`]: the next one, or an error if it cannot tell.
trait SentenceSource {
    type Error;
    fn next_sentence(&mut self) -> Result<Option<(usize, usize)>, Self::Error>;
}

/// [`sentences`] from [`FastBreaks`].
struct FastSentences<'t> {
    text: &'t str,
    breaks: FastBreaks<'t>,
    start: Option<usize>,
}

impl<'t> FastSentences<'t> {
    fn new(text: &'t str) -> Self {
        FastSentences {
            text,
            breaks: FastBreaks::new(text),
            start: None,
        }
    }
}

impl SentenceSource for FastSentences<'_> {
    type Error = Unknown;
    fn next_sentence(&mut self) -> Result<Option<(usize, usize)>, Unknown> {
        loop {
            let start = match self.start {
                Some(s) => s,
                None => match self.breaks.next_break()? {
                    Some(s) => s,
                    None => return Ok(None),
                },
            };
            let Some(end) = self.breaks.next_break()? else {
                return Ok(None);
            };
            self.start = Some(end);
            // As `sentences`: the trailing space trimmed, empty ones left out.
            let end = start + self.text[start..end].trim_end().len();
            if end > start {
                return Ok(Some((start, end)));
            }
        }
    }
}

/// [`sentences`] from the segmenter, which knows every character.
struct SlowSentences<I>(I);

impl<I: Iterator<Item = (usize, usize)>> SentenceSource for SlowSentences<I> {
    type Error = std::convert::Infallible;
    fn next_sentence(&mut self) -> Result<Option<(usize, usize)>, Self::Error> {
        Ok(self.0.next())
    }
}

/// [`sentence_containing`] with the sentences of `source`.
fn containing<'t, S: SentenceSource>(
    text: &'t str,
    x: usize,
    source: impl Fn(&'t str) -> S,
) -> Result<Option<(usize, usize)>, S::Error> {
    let contains = |&(s, e): &(usize, usize)| x < e.max(s + 1);
    if let Some(from) = restart_before(text, x) {
        let mut from_there = source(&text[from..]);
        let first = from_there.next_sentence()?;
        if first.is_some_and(|(s, e)| !contains(&(from + s, from + e))) {
            while let Some((s, e)) = from_there.next_sentence()? {
                if contains(&(from + s, from + e)) {
                    return Ok(Some((from + s, from + e)));
                }
            }
            return Ok(None);
        }
    }
    let mut all = source(text);
    while let Some(sentence) = all.next_sentence()? {
        if contains(&sentence) {
            return Ok(Some(sentence));
        }
    }
    Ok(None)
}

/// Where the last four letters in a row start before the last `.`, `!`
/// or `?` before `x` (see [`sentence_containing`]); `None` if there is no
/// such mark or no such letters before it, or `x` is not a character
/// boundary.
fn restart_before(text: &str, x: usize) -> Option<usize> {
    // Letters whose Sentence_Break class is Upper or Lower; an Extend or
    // Format character (a combining accent) between them would keep the
    // segmenter's old state, so it breaks the run.
    let letter =
        |c: char| c.is_ascii_alphabetic() || matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё');
    let before = text.get(..x.min(text.len()))?;
    let mark = before.rfind(['.', '!', '?'])?;
    let mut run = 0;
    for (i, c) in before[..mark].char_indices().rev() {
        if !letter(c) {
            run = 0;
            continue;
        }
        run += 1;
        if run == 4 {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(norm: &str) -> Vec<&str> {
        Line::tokenize(norm, 0, norm.len())
            .tokens
            .iter()
            .map(|t| t.text(norm))
            .collect()
    }

    #[test]
    fn words_and_punctuation() {
        assert_eq!(
            words("вообще-то, мы же... don't 3.5!!"),
            vec![
                "вообще",
                "-",
                "то",
                ",",
                "мы",
                "же",
                ".",
                ".",
                ".",
                "don't",
                "3.5",
                "!",
                "!"
            ]
        );
    }

    #[test]
    fn eight_bytes_at_once_count_the_leading_ascii_letters_as_one_at_a_time_does() {
        let one_at_a_time =
            |eight: &[u8]| eight.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        // Every byte value in every position, among letters of both cases
        // (the edges of the ranges: `@` `[` `` ` `` `{`, 0x7F, 0x80, 0xFF).
        for fill in [b'a', b'Z', b'z', b'A'] {
            for at in 0..8 {
                for byte in 0..=u8::MAX {
                    let mut eight = [fill; 8];
                    eight[at] = byte;
                    assert_eq!(
                        leading_ascii_letters(&eight),
                        one_at_a_time(&eight),
                        "{eight:?}"
                    );
                }
            }
        }
        // Two bytes that are not letters, anywhere: a sum must not carry
        // from one byte into the next.
        let others: Vec<u8> = (0..=u8::MAX).filter(|b| !b.is_ascii_alphabetic()).collect();
        for &x in &others {
            for &y in others.iter().step_by(7) {
                for (i, j) in [(0, 1), (1, 2), (3, 7), (6, 7)] {
                    let mut eight = *b"abcdefgh";
                    (eight[i], eight[j]) = (x, y);
                    assert_eq!(leading_ascii_letters(&eight), i, "{eight:?}");
                }
            }
        }
    }

    #[test]
    fn eight_bytes_at_once_count_the_leading_cyrillic_letters_as_pairs_do() {
        let pair_at_a_time = |eight: &[u8]| {
            let mut i = 0;
            while i + 1 < eight.len() && cyrillic_at(eight, i) {
                i += 2;
            }
            i
        };
        // Every byte value in every position, among Cyrillic letters of
        // both lead bytes (the edges of the ranges: 7F 80 9F A0 BF C0 CF
        // D0 D1 D2, and 0xFF).
        for fill in ["аааа", "яяяя", "ёёёё", "ЀЀЀЀ", "пяпя"] {
            for at in 0..8 {
                for byte in 0..=u8::MAX {
                    let mut eight: [u8; 8] = fill.as_bytes().try_into().unwrap();
                    eight[at] = byte;
                    assert_eq!(
                        leading_cyrillic_letters(&eight),
                        pair_at_a_time(&eight),
                        "{eight:x?}"
                    );
                }
            }
        }
        // Every pair of the edges in every lane, the other lanes letters:
        // no test may leak from one lane into the next.
        let edges = [
            0x00, 0x20, 0x61, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xCF, 0xD0, 0xD1, 0xD2, 0xFF,
        ];
        for lane in 0..4 {
            for &x in &edges {
                for &y in &edges {
                    for fill in ["юэюэ", "абвг"] {
                        let mut eight: [u8; 8] = fill.as_bytes().try_into().unwrap();
                        (eight[2 * lane], eight[2 * lane + 1]) = (x, y);
                        assert_eq!(
                            leading_cyrillic_letters(&eight),
                            pair_at_a_time(&eight),
                            "{eight:x?}"
                        );
                    }
                }
            }
        }
    }

    /// `line`'s tokens are UAX #29's, alone and after another line (as
    /// the scan tokenizes paragraphs, where they stand).
    fn assert_tokens_are_uax29s(line: &str) {
        let (fast, reference) = tokens_both_ways(line);
        assert_eq!(fast, reference, "{line:?}");
        let after = format!("x\n{line}");
        assert_eq!(
            Line::tokenize(&after, 2, after.len()).tokens,
            Line::tokenize_uax29(&after, 2, after.len()).tokens,
            "{line:?} after a line"
        );
    }

    fn tokens_both_ways(line: &str) -> (Vec<Token>, Vec<Token>) {
        (
            Line::tokenize(line, 0, line.len()).tokens,
            Line::tokenize_uax29(line, 0, line.len()).tokens,
        )
    }

    #[test]
    fn fast_tokenizer_agrees_with_uax29_on_every_short_string() {
        // Every string of up to 5 characters over one representative of
        // each byte class (and a few that defer), token for token.
        let alphabet = [
            'a', 'я', 'Z', '7', ':', '.', '\'', ',', ';', '_', ' ', '"', '-', '\t', '\r', '\n',
            'ѣ', '₽', '\u{301}',
        ];
        let mut strings = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for s in &strings {
                for c in alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    let (fast, reference) = tokens_both_ways(&t);
                    assert_eq!(fast, reference, "{t:?}");
                    next.push(t);
                }
            }
            strings = next;
        }
    }

    /// Lines the fast tokenizer stops in: only the stretch around each
    /// undecided character goes to the segmenter, and the tokens (quotes
    /// included) are still UAX #29's.
    #[test]
    fn undecided_characters_are_segmented_in_place() {
        for line in [
            "café au lait, \"déjà vu\" — we're sorry",
            "мы же \"ёлка ѣ\" и снова \"мы\" café",
            "a\u{301}b c👍🏻d e 🇷🇺🇷🇺🇷 f\u{200d}g \"h\"",
            "ѣ at the start, then plain words and \"quotes\"",
            "plain words, then one at the end: naïve",
            "x\n\u{301}y z \t\u{200b}w \r\né",
            // A deferred ASCII byte, controls, a vertical tab, no-break and
            // ideographic spaces, a quote inside a Hebrew word, a space
            // followed by a combining mark.
            "a _b \u{b}c",
            "x \u{0}y é \u{7f}",
            "\"q\" א\"ב \"r\"",
            "a \u{3000}\u{301}b c",
            "é  \t\u{301} \"z\"",
            "a\u{a0}b \u{85}c カabc é",
        ] {
            assert_tokens_are_uax29s(line);
        }
        // One rare character in a long paragraph: the words far from it
        // are the fast tokenizer's, and there are as many as UAX #29 finds.
        let long = format!(
            "{} naïve {}",
            "we are sorry ".repeat(500),
            "мы же ".repeat(500)
        );
        let line = Line::tokenize(&long, 0, long.len());
        assert!(!line.words_at_edges);
        assert_eq!(
            line.tokens,
            Line::tokenize_uax29(&long, 0, long.len()).tokens
        );
    }

    proptest::proptest! {
        #[test]
        fn tokens_are_uax29_tokens_with_characters_the_fast_path_defers(
            line in "[a-z7я ,.:'\"\n\t\rёѣéß😀👍🏻\u{301}\u{200d}\u{200b}🇷🇺№_\u{b}\u{a0}\u{3000}א-]{0,80}"
        ) {
            // Tokenized where it stands after another line, as paragraphs are.
            let text = format!("x\n{line}");
            let mixed = Line::tokenize(&text, 2, text.len());
            let reference = Line::tokenize_uax29(&text, 2, text.len());
            proptest::prop_assert_eq!(&mixed.tokens, &reference.tokens);
            // Word edges are promised only when the fast path decided all.
            let mut fast = Vec::new();
            let all_fast = tokenize_fast(&line, 2, &mut fast, &mut false).is_ok();
            proptest::prop_assert_eq!(mixed.words_at_edges, all_fast);
        }
    }

    #[test]
    fn fast_tokenizer_handles_real_prose_and_defers_elsewhere() {
        for line in [
            "e.g. don't 3,5 мы:же a_b \"ну и сервис\" 10:00-12:00",
            "ok 😀 № 5 a\u{301}",
            "итого 1 500₽, £20 or €15 → 😀🙏 ×2 № 7 • 5°",
            "👍🏻 🇷🇺 ❤️ 👨‍👩‍👧",
            "Здравствуйте, Анна!\r",
        ] {
            assert_tokens_are_uax29s(line);
        }
        // Every plain symbol, next to letters, digits, punctuation and itself.
        for c in (0..0x20000)
            .filter_map(char::from_u32)
            .filter(|&c| is_plain_symbol(c))
        {
            for line in [
                format!("a{c}b"),
                format!("я{c}{c}1"),
                format!("1{c}.{c}'x"),
                format!("\"{c}\" a:{c}"),
            ] {
                let (fast, reference) = tokens_both_ways(&line);
                assert_eq!(fast, reference, "{line:?}");
            }
        }
    }

    #[test]
    fn quotes_mark_tokens_inside() {
        let norm = "вы пишете: \"ну и сервис\" ну";
        let line = Line::tokenize(norm, 0, norm.len());
        let flags: Vec<(&str, bool)> = line
            .tokens
            .iter()
            .map(|t| (t.text(norm), t.in_quotes))
            .collect();
        assert!(flags.contains(&("сервис", true)));
        assert_eq!(flags.last(), Some(&("ну", false)));
    }

    #[test]
    fn stray_quotes_and_inch_marks_quote_nothing() {
        let quoted = |norm: &str| -> Vec<String> {
            let words_of = |line: Line| -> Vec<String> {
                line.tokens
                    .iter()
                    .filter(|t| t.in_quotes)
                    .map(|t| t.text(norm).to_owned())
                    .collect()
            };
            let fast = words_of(Line::tokenize(norm, 0, norm.len()));
            let slow = words_of(Line::tokenize_uax29(norm, 0, norm.len()));
            assert_eq!(fast, slow, "{norm:?}");
            fast
        };
        let none: Vec<String> = Vec::new();
        // An inch mark, and a quote never closed.
        assert_eq!(quoted("the 12\" pizza was cold. we apologize!!!"), none);
        assert_eq!(quoted("ваш заказ \"куртка. приносим извинения"), none);
        // An inch mark before a real quotation; a number quoted.
        assert_eq!(
            quoted("a 27\" monitor, \"ultra view\", cracked"),
            ["ultra", "view"]
        );
        assert_eq!(quoted("заказ \"12\" готов"), ["12"]);
        // Three quotes: the first two pair, the third is stray.
        assert_eq!(quoted("\"a\" b \"c d"), ["a"]);
        // A quote open at a line's end pairs with nothing on the next.
        assert_eq!(
            quoted("ваш заказ \"куртка\nуже в пути, \"faq\" тут"),
            ["faq"]
        );
        let mut pairs = Vec::new();
        for_each_quotation_by_line(b"x \"yz\" w 5\" \"\n\"a\"", |o, c| pairs.push((o, c)));
        assert_eq!(pairs, [(2, 5), (14, 16)]);
    }

    #[test]
    fn sentence_language_is_per_sentence() {
        let norm = "заказ отправлен сегодня. sorry for the delay";
        let line = Line::tokenize(norm, 0, norm.len());
        assert_eq!(line.sentence_language(norm, 0), Language::Ru);
        assert_eq!(
            line.sentence_language(norm, line.tokens.len() - 1),
            Language::En
        );
    }

    #[test]
    fn the_remembered_sentence_answers_what_measuring_again_does() {
        // Short sentences of either language, a sentence longer than the
        // window on both sides of its language switch, marks back to back,
        // and a line with no mark at all.
        let long_en = "sorry ".repeat(70);
        let long_mixed = format!("{}{}", "заказ ".repeat(50), "sorry ".repeat(50));
        let lines = [
            "заказ отправлен сегодня. sorry for the delay! мы вернём деньги?! ok".to_string(),
            format!("начало. {long_mixed}. конец"),
            format!("{long_en}. заказ"),
            "... !! ? ; да. нет".to_string(),
            "без знаков вообще и sorry too".to_string(),
        ];
        for norm in &lines {
            let n = Line::tokenize(norm, 0, norm.len()).tokens.len();
            let fresh = |i: usize| Line::tokenize(norm, 0, norm.len()).sentence_language(norm, i);
            // In order, backwards, and hopping about, on one line that
            // remembers: each answer is what a line that does not gives.
            let orders: [Vec<usize>; 3] = [
                (0..=n).collect(),
                (0..=n).rev().collect(),
                (0..=n).map(|i| (i * 37) % (n + 1)).collect(),
            ];
            for order in orders {
                let line = Line::tokenize(norm, 0, norm.len());
                for i in order {
                    assert_eq!(line.sentence_language(norm, i), fresh(i), "{norm:?} at {i}");
                }
            }
        }
    }
    #[test]
    fn the_sentence_found_from_a_restart_is_the_one_found_from_the_start() {
        // Abbreviations, decimals, lowercase after a period, closing
        // quotes and brackets, ellipses, combining marks between letters,
        // other scripts, and the corpus's lines (replies of both languages).
        let mut lines: Vec<String> = [
            "Mr. Smith said so. Then he left! Did he? Yes.",
            "It costs 9.99 now. e.g. the box. etc.) and more. «Готово.» Да!",
            "We're sorry... really sorry!? Ok. see you. Bye",
            "Заказ №5. т.е. завтра. Он приедет?! «Нет.» (Да.) Конец",
            "Приве\u{301}т. Спаси\u{301}бо. ещё раз. Ёлка. ЁЖИК!",
            "日本語。テスト. abcd. ABCD efgh? ok",
            "no marks at all in this one",
            ".... !!! ??? abcd.efgh.ijkl. mnop",
            // A period between letters and before a capital does not end
            // a sentence (SB7): restarting at it would.
            "Shipped to the U.S.Army base. Then U.S.A.Today.Next one",
        ]
        .map(String::from)
        .to_vec();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for dir in ["corpus", "corpus-holdout"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "txt") {
                        let text = std::fs::read_to_string(&path).unwrap();
                        lines.extend(text.lines().map(String::from));
                    }
                }
            }
        }
        assert!(lines.len() > 2000, "{} lines", lines.len());
        let mut restarted = 0;
        for line in &lines {
            let all: Vec<(usize, usize)> = sentences(line).collect();
            // Every character start of short lines, every fifth of long ones.
            let step = if line.len() > 400 { 5 } else { 1 };
            let starts = line.char_indices().map(|(i, _)| i).chain([line.len()]);
            for x in starts.step_by(step) {
                let want = all.iter().copied().find(|&(s, e)| x < e.max(s + 1));
                assert_eq!(sentence_containing(line, x), want, "{line:?} at {x}");
                restarted += usize::from(restart_before(line, x).is_some());
            }
        }
        assert!(restarted > 10_000, "{restarted} restarts");
    }

    #[test]
    fn uax29_sentences_trim_trailing_space() {
        let s: Vec<_> = sentences("Мы вернём деньги. Спасибо!").collect();
        assert_eq!(s, vec![(0, 31), (32, 47)]);
    }
}
