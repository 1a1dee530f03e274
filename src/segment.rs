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
        for (off, seg) in norm[start..end].split_word_bound_indices() {
            let Some(first) = seg.chars().next() else {
                continue;
            };
            let s = (start + off) as u32;
            if is_word_char(first) {
                tokens.push(Token {
                    start: s,
                    end: s + seg.len() as u32,
                    kind: TokenKind::Word,
                    in_quotes,
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
                        in_quotes = !in_quotes;
                    }
                    let ts = s + k as u32;
                    tokens.push(Token {
                        start: ts,
                        end: ts + c.len_utf8() as u32,
                        kind: TokenKind::Punct,
                        in_quotes: in_quotes && c != '"',
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
