//! Stage 3: words, sentences and language.
//!
//! Segmentation follows Unicode (UAX #29, via `unicode-segmentation`), and is
//! done lazily: only the lines where an anchor hit survives the cheap word
//! boundary check are tokenized, once each. Lines are the unit because a line
//! break is a sentence boundary in UAX #29 and no rule matches across one.

use unicode_segmentation::UnicodeSegmentation;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Cyrillic letters.
    Cyrillic,
    /// Latin letters.
    Latin,
    /// Digits, punctuation, other scripts.
    Other,
}

fn script_of(c: char) -> Script {
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
    in_quotes: &mut bool,
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
            in_quotes: *in_quotes,
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
                *in_quotes = !*in_quotes;
            }
            let ts = s + k as u32;
            tokens.push(Token {
                start: ts,
                end: ts + c.len_utf8() as u32,
                kind: TokenKind::Punct,
                in_quotes: *in_quotes && c != '"',
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

/// Word-break classes (UAX #29) of the characters the fast segmenter knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wb {
    Letter,
    Numeric,
    /// `:` (MidLetter) — joins letters only.
    MidLetter,
    /// `.` (MidNumLet) and `'` (Single_Quote) — join letters or digits.
    MidNumLet,
    /// `,` `;` (MidNum) — join digits only.
    MidNum,
    /// `_` (ExtendNumLet).
    ExtendNumLet,
    /// ASCII space (WSegSpace).
    Space,
    Other,
}

/// Word-break classes of ASCII bytes; `None` for controls other than tab
/// and for DEL.
const ASCII_WB: [Option<Wb>; 128] = {
    let mut t = [None; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = match b as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => Some(Wb::Letter),
            b'0'..=b'9' => Some(Wb::Numeric),
            b':' => Some(Wb::MidLetter),
            b'.' | b'\'' => Some(Wb::MidNumLet),
            b',' | b';' => Some(Wb::MidNum),
            b'_' => Some(Wb::ExtendNumLet),
            b' ' => Some(Wb::Space),
            b'\t' | b'!'..=b'~' => Some(Wb::Other),
            _ => None,
        };
        b += 1;
    }
    t
};

/// Whether every character of `b` is one the fast segmenter knows: tab,
/// printable ASCII, or basic Cyrillic (U+0400–U+045F, all letters: UTF-8
/// `D0 80`–`D0 BF` and `D1 80`–`D1 9F`).
fn fast_alphabet(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if ASCII_WB[c as usize].is_none() {
                return false;
            }
            i += 1;
        } else {
            if !matches!(
                (c, b.get(i + 1)),
                (0xD0, Some(0x80..=0xBF)) | (0xD1, Some(0x80..=0x9F))
            ) {
                return false;
            }
            i += 2;
        }
    }
    true
}

/// The class and byte length of the character at `i` of a line that passed
/// [`fast_alphabet`].
#[inline]
fn class_at(b: &[u8], i: usize) -> (Wb, usize) {
    let c = b[i];
    if c < 0x80 {
        (ASCII_WB[c as usize].unwrap_or(Wb::Other), 1)
    } else {
        (Wb::Letter, 2)
    }
}

/// Whether UAX #29 keeps `b` with `a`, given the character before `a`
/// (`prev`) and after `b` (`next`). Rules WB3d–WB13b restricted to the
/// classes above (no Extend/Format/ZWJ, Hebrew, Katakana or regional
/// indicators can occur).
fn wb_joins(prev: Option<Wb>, a: Wb, b: Wb, next: Option<Wb>) -> bool {
    use Wb::*;
    match (a, b) {
        (Space, Space) => true,                                             // WB3d
        (Letter, Letter) => true,                                           // WB5
        (Letter, MidLetter | MidNumLet) => next == Some(Letter),            // WB6
        (MidLetter | MidNumLet, Letter) => prev == Some(Letter),            // WB7
        (Numeric, Numeric) | (Letter, Numeric) | (Numeric, Letter) => true, // WB8–10
        (MidNum | MidNumLet, Numeric) => prev == Some(Numeric),             // WB11
        (Numeric, MidNum | MidNumLet) => next == Some(Numeric),             // WB12
        (Letter | Numeric | ExtendNumLet, ExtendNumLet) => true,            // WB13a
        (ExtendNumLet, Letter | Numeric) => true,                           // WB13b
        _ => false,                                                         // WB999
    }
}

/// Splits `line` into UAX #29 word segments without the general Unicode
/// tables, calling `f(offset, segment)` for each, when every character is
/// one the fast alphabet holds; returns `false` (having called nothing) otherwise.
/// Normalised drafts are almost always such lines, and this is several
/// times faster than the table-driven segmenter; `tests/properties.rs`
/// checks the two agree.
pub fn fast_segments<'a>(line: &'a str, f: &mut impl FnMut(usize, &'a str)) -> bool {
    let b = line.as_bytes();
    if !fast_alphabet(b) {
        return false;
    }
    if b.is_empty() {
        return true;
    }
    let (mut cur, first_len) = class_at(b, 0);
    let mut prev: Option<Wb> = None;
    let mut seg_start = 0;
    let mut i = first_len;
    while i < b.len() {
        let (class, len) = class_at(b, i);
        let joins = match (cur, class) {
            // Inside a word (WB5, WB8–WB10): the bulk of any line.
            (Wb::Letter | Wb::Numeric, Wb::Letter | Wb::Numeric) => true,
            // The rules that look one character further ahead need it.
            _ => {
                let next = (i + len < b.len()).then(|| class_at(b, i + len).0);
                wb_joins(prev, cur, class, next)
            }
        };
        if !joins {
            f(seg_start, &line[seg_start..i]);
            seg_start = i;
        }
        prev = Some(cur);
        cur = class;
        i += len;
    }
    f(seg_start, &line[seg_start..]);
    true
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
}

impl Line {
    /// Tokenizes the line `norm[start..end]`.
    pub fn tokenize(norm: &str, start: usize, end: usize) -> Line {
        let mut tokens = Vec::new();
        let mut in_quotes = false;
        let mut push =
            |off: usize, seg: &str| push_segment(&mut tokens, &mut in_quotes, start, off, seg);
        let line = &norm[start..end];
        if !fast_segments(line, &mut push) {
            for (off, seg) in line.split_word_bound_indices() {
                push(off, seg);
            }
        }
        Line { start, end, tokens }
    }

    /// Index of the token starting exactly at `pos`, if any.
    pub fn token_starting_at(&self, pos: usize) -> Option<usize> {
        let pos = pos as u32;
        let idx = self.tokens.partition_point(|t| t.start < pos);
        (self.tokens.get(idx)?.start == pos).then_some(idx)
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
        let (from, to) = self.sentence_window(norm, idx);
        let (mut cyr, mut lat) = (0usize, 0usize);
        for t in &self.tokens[from..to] {
            match t.script {
                Script::Cyrillic => cyr += 1,
                Script::Latin => lat += 1,
                Script::Other => {}
            }
        }
        Language::from_counts(cyr, lat)
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

/// Byte ranges of the UAX #29 sentences of `text` (cased text: sentence
/// boundaries depend on capital letters).
pub fn sentences(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    text.split_sentence_bound_indices()
        .map(|(start, s)| (start, start + s.trim_end().len()))
        .filter(|(s, e)| e > s)
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

    fn uax29(line: &str) -> Vec<(usize, &str)> {
        line.split_word_bound_indices().collect()
    }

    fn fast(line: &str) -> Option<Vec<(usize, &str)>> {
        let mut v = Vec::new();
        fast_segments(line, &mut |o, s| v.push((o, s))).then_some(v)
    }

    #[test]
    fn fast_segmenter_agrees_with_uax29_on_every_short_string() {
        // Every string of up to 5 characters over one representative of
        // each class (and a few look-alikes), compared segment by segment.
        let alphabet = [
            'a', 'я', 'Z', '7', ':', '.', '\'', ',', ';', '_', ' ', '"', '-', '\t',
        ];
        let mut strings = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for s in &strings {
                for c in alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    assert_eq!(fast(&t).as_deref(), Some(uax29(&t).as_slice()), "{t:?}");
                    next.push(t);
                }
            }
            strings = next;
        }
    }

    #[test]
    fn fast_segmenter_defers_outside_its_alphabet() {
        assert_eq!(fast("ok 😀"), None);
        assert_eq!(fast("№ 5"), None);
        assert_eq!(fast("a\u{301}"), None);
        let mixed = "e.g. don't 3,5 мы:же a_b";
        assert_eq!(fast(mixed), Some(uax29(mixed)));
        assert_eq!(fast(mixed).map(|v| v.len()), Some(10));
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
    fn uax29_sentences_trim_trailing_space() {
        let s: Vec<_> = sentences("Мы вернём деньги. Спасибо!").collect();
        assert_eq!(s, vec![(0, 31), (32, 47)]);
    }
}
