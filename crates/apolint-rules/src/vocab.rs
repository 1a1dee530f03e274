//! Interned pattern words (part of stage 4, matches).
//!
//! Every word literal of every pattern gets a word id and every prefix
//! (`извин*`) a prefix id. A draft's word tokens are looked up once each
//! ([`Vocab::resolve`]): the ids then find the phrases anchored on the token
//! and let verification compare integers instead of strings. A token that
//! is no pattern's word has no id and matches no word element.

use std::borrow::Cow;
use std::collections::HashMap;

use foldhash::fast::FixedState;

use crate::segment::{Token, TokenKind};

/// The id of a token that is no pattern's word.
pub const NO_WORD: u32 = u32::MAX;

/// How many leading characters key the prefix buckets: a prefix of this
/// many characters or more is filed under its first `PREFIX_KEY_CHARS`
/// characters and checked in full; a shorter one (rare: `эт*`) is on a
/// short list tried against every word.
const PREFIX_KEY_CHARS: usize = 3;

/// A word or prefix, as bytes: owned when compiled from rules, borrowed
/// from the binary when read from the built-in vocabulary
/// ([`Vocab::from_static`]). Bytes, not `str`: tokens are looked up by
/// their bytes, so the built-in words need no UTF-8 check at start-up.
type Key = Cow<'static, [u8]>;

/// The words and prefixes of a rule book's patterns.
#[derive(Debug, Default, Clone)]
pub struct Vocab {
    words: HashMap<Key, u32, FixedState>,
    prefixes: Vec<Key>,
    prefix_ids: HashMap<Key, u32, FixedState>,
    /// Prefix ids by their first [`PREFIX_KEY_CHARS`] characters.
    buckets: HashMap<Key, Vec<u32>, FixedState>,
    /// Prefixes shorter than a bucket key.
    short_prefixes: Vec<u32>,
}

impl Vocab {
    /// The id of a word literal, adding it if new.
    pub fn word(&mut self, w: &str) -> u32 {
        // Looked up first: most calls are for a word already in (each
        // pattern's words recur across the packs), and inserting would
        // allocate the key every time.
        if let Some(&id) = self.words.get(w.as_bytes()) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.insert(Cow::Owned(w.as_bytes().to_vec()), id);
        id
    }

    /// The id of a prefix literal, adding it if new.
    pub fn prefix(&mut self, p: &str) -> u32 {
        match self.prefix_ids.get(p.as_bytes()) {
            Some(&id) => id,
            None => self.add_prefix(Cow::Owned(p.as_bytes().to_vec())),
        }
    }

    fn add_prefix(&mut self, p: Key) -> u32 {
        let id = self.prefixes.len() as u32;
        match key_end(&p) {
            Some(end) => {
                let key = match &p {
                    Cow::Borrowed(b) => Cow::Borrowed(&b[..end]),
                    Cow::Owned(b) => Cow::Owned(b[..end].to_vec()),
                };
                self.buckets.entry(key).or_default().push(id);
            }
            None => self.short_prefixes.push(id),
        }
        self.prefix_ids.insert(p.clone(), id);
        self.prefixes.push(p);
        id
    }

    /// Number of distinct word literals.
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// Number of distinct prefix literals.
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// Every word literal with its id, in no particular order.
    pub fn words(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.words
            .iter()
            .filter_map(|(w, &id)| Some((std::str::from_utf8(w).ok()?, id)))
    }

    /// The text of prefix `id`.
    pub fn prefix_text(&self, id: u32) -> &str {
        self.prefixes
            .get(id as usize)
            .and_then(|p| std::str::from_utf8(p).ok())
            .unwrap_or("")
    }

    /// The vocabulary in the form [`Vocab::from_static`] reads: word and
    /// prefix counts, then each list's end offsets, then the bytes, words
    /// and prefixes in id order (numbers little-endian `u32`).
    pub fn to_static_bytes(&self) -> Vec<u8> {
        let mut words: Vec<(&[u8], u32)> = self.words.iter().map(|(w, &id)| (&**w, id)).collect();
        words.sort_unstable_by_key(|&(_, id)| id);
        let lists = [
            words.iter().map(|&(w, _)| w).collect::<Vec<_>>(),
            self.prefixes.iter().map(|p| &**p).collect(),
        ];
        let mut out = Vec::new();
        for list in &lists {
            out.extend_from_slice(&(list.len() as u32).to_le_bytes());
        }
        let mut end = 0u32;
        for list in &lists {
            for item in list {
                end += item.len() as u32;
                out.extend_from_slice(&end.to_le_bytes());
            }
        }
        for list in &lists {
            for item in list {
                out.extend_from_slice(item);
            }
        }
        out
    }

    /// Reads [`Vocab::to_static_bytes`] in place: the words and prefixes
    /// borrow `bytes`, so start-up allocates no string and checks no UTF-8
    /// for them. `None` if `bytes` is not such a vocabulary.
    pub fn from_static(bytes: &'static [u8]) -> Option<Vocab> {
        let number = |i: usize| -> Option<usize> {
            let b = bytes.get(4 * i..4 * i + 4)?;
            Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let (words, prefixes) = (number(0)?, number(1)?);
        let text_start = 4 * (2 + words + prefixes);
        let mut vocab = Vocab::default();
        vocab.words.reserve(words);
        let mut start = 0;
        for i in 0..words + prefixes {
            let end = number(2 + i)?;
            let item: &'static [u8] = bytes.get(text_start + start..text_start + end)?;
            start = end;
            if i < words {
                vocab.words.insert(Cow::Borrowed(item), i as u32);
            } else {
                vocab.add_prefix(Cow::Borrowed(item));
            }
        }
        (vocab.words.len() == words && text_start + start == bytes.len()).then_some(vocab)
    }

    /// The word id of a word token's text ([`NO_WORD`] if none).
    #[inline]
    pub fn word_id(&self, text: &str) -> u32 {
        self.words.get(text.as_bytes()).copied().unwrap_or(NO_WORD)
    }

    /// Calls `f` with every prefix id whose prefix starts `text`.
    #[inline]
    pub fn for_each_prefix(&self, text: &str, mut f: impl FnMut(u32)) {
        let text = text.as_bytes();
        for &id in &self.short_prefixes {
            if text.starts_with(&self.prefixes[id as usize]) {
                f(id);
            }
        }
        let Some(end) = key_end(text) else { return };
        if let Some(ids) = self.buckets.get(&text[..end]) {
            for &id in ids {
                if text.starts_with(&self.prefixes[id as usize]) {
                    f(id);
                }
            }
        }
    }

    /// The ids of a line's tokens.
    pub fn resolve(&self, norm: &str, tokens: &[Token]) -> TokenIds {
        let mut ids = TokenIds::default();
        self.resolve_into(norm, tokens, &mut ids);
        ids
    }

    /// The ids of a line's tokens, into `ids` (its buffers reused).
    pub fn resolve_into(&self, norm: &str, tokens: &[Token], ids: &mut TokenIds) {
        ids.words.clear();
        ids.prefix_start.clear();
        ids.prefixes.clear();
        ids.prefix_start.push(0);
        for t in tokens {
            if t.kind == TokenKind::Word {
                let text = t.text(norm);
                ids.words.push(self.word_id(text));
                self.for_each_prefix(text, |p| ids.prefixes.push(p));
            } else {
                ids.words.push(NO_WORD);
            }
            ids.prefix_start.push(ids.prefixes.len() as u32);
        }
    }
}

/// The byte length of the first [`PREFIX_KEY_CHARS`] characters of `text`,
/// if it has that many.
#[inline]
fn key_end(text: &[u8]) -> Option<usize> {
    // Character starts are the bytes that are not UTF-8 continuations.
    let mut starts = text
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b & 0xC0 != 0x80)
        .map(|(i, _)| i);
    let _ = starts.nth(PREFIX_KEY_CHARS - 1)?;
    Some(starts.next().unwrap_or(text.len()))
}

/// The ids of one line's tokens, by token index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenIds {
    /// Word id of each token ([`NO_WORD`] for punctuation and unknown words).
    pub words: Vec<u32>,
    /// Token `i`'s prefix ids are `prefixes[prefix_start[i]..prefix_start[i + 1]]`.
    pub prefix_start: Vec<u32>,
    /// Prefix ids, token after token.
    pub prefixes: Vec<u32>,
}

impl TokenIds {
    /// The prefix ids of token `i`.
    #[inline]
    pub fn prefixes_of(&self, i: usize) -> &[u32] {
        &self.prefixes[self.prefix_start[i] as usize..self.prefix_start[i + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Line;

    #[test]
    fn words_and_prefixes_resolve_per_token() {
        let mut v = Vocab::default();
        let sorry = v.word("извините");
        let izv = v.prefix("извин");
        let iz = v.prefix("из");
        let i = v.prefix("и");
        let long = v.prefix("извинения");
        assert_eq!(v.word("извините"), sorry, "interned once");
        assert_eq!(v.prefix("извин"), izv);
        let norm = "извините, из извинений и изба";
        let line = Line::tokenize(norm, 0, norm.len());
        let ids = v.resolve(norm, &line.tokens);
        let texts: Vec<&str> = line.tokens.iter().map(|t| t.text(norm)).collect();
        assert_eq!(texts, ["извините", ",", "из", "извинений", "и", "изба"]);
        assert_eq!(ids.words[0], sorry);
        assert!(ids.words[1..].iter().all(|&w| w == NO_WORD));
        let mut p0 = ids.prefixes_of(0).to_vec();
        p0.sort_unstable();
        assert_eq!(p0, {
            let mut e = vec![i, iz, izv];
            e.sort_unstable();
            e
        });
        assert!(ids.prefixes_of(1).is_empty(), "punctuation has none");
        assert_eq!(ids.prefixes_of(2).len(), 2, "из: и, из");
        assert!(
            !ids.prefixes_of(3).contains(&long),
            "извинений ≠ извинения*"
        );
        assert_eq!(ids.prefixes_of(4), [i]);
        assert_eq!(ids.prefixes_of(5).len(), 2, "изба: и, из");
    }

    #[test]
    fn the_static_form_reads_back_the_same_vocabulary() {
        let mut v = Vocab::default();
        let words: Vec<u32> = ["извините", "sorry", "ёж", "we"]
            .map(|w| v.word(w))
            .to_vec();
        let prefixes: Vec<u32> = ["извин", "из", "и", "apolog", "éc"]
            .map(|p| v.prefix(p))
            .to_vec();
        let bytes: &'static [u8] = Box::leak(v.to_static_bytes().into_boxed_slice());
        let mut read = Vocab::from_static(bytes).expect("reads back");
        assert_eq!((read.word_count(), read.prefix_count()), (4, 5));
        let norm = "извините, из извинений и apologies sorry ёж éclair we";
        let line = Line::tokenize(norm, 0, norm.len());
        assert_eq!(
            read.resolve(norm, &line.tokens),
            v.resolve(norm, &line.tokens)
        );
        // Interning goes on from where it stopped.
        assert_eq!(
            ["извините", "sorry", "ёж", "we"]
                .map(|w| read.word(w))
                .to_vec(),
            words
        );
        assert_eq!(
            ["извин", "из", "и", "apolog", "éc"]
                .map(|p| read.prefix(p))
                .to_vec(),
            prefixes
        );
        assert_eq!(read.word("new"), 4);
        assert_eq!(read.prefix_text(prefixes[0]), "извин");
        // Anything else is refused, not misread.
        assert!(Vocab::from_static(&bytes[..bytes.len() - 1]).is_none());
        assert!(Vocab::from_static(b"").is_none());
    }
}
