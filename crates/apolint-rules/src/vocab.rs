//! Interned pattern words (part of stage 4, matches).
//!
//! Every word literal of every pattern gets a word id and every prefix
//! (`извин*`) a prefix id. A draft's word tokens are looked up once each
//! ([`Vocab::resolve`]): the ids then find the phrases anchored on the token
//! and let verification compare integers instead of strings. A token that
//! is no pattern's word has no id and matches no word element.

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

/// The words and prefixes of a rule book's patterns.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Vocab {
    words: HashMap<Box<str>, u32, FixedState>,
    prefixes: Vec<Box<str>>,
    prefix_ids: HashMap<Box<str>, u32, FixedState>,
    /// Prefix ids by their first [`PREFIX_KEY_CHARS`] characters.
    buckets: HashMap<Box<str>, Vec<u32>, FixedState>,
    /// Prefixes shorter than a bucket key.
    short_prefixes: Vec<u32>,
}

impl Vocab {
    /// The id of a word literal, adding it if new.
    pub fn word(&mut self, w: &str) -> u32 {
        // Looked up first: most calls are for a word already in (each
        // pattern's words recur across the packs), and `entry` would
        // allocate the key every time.
        if let Some(&id) = self.words.get(w) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.insert(w.into(), id);
        id
    }

    /// The id of a prefix literal, adding it if new.
    pub fn prefix(&mut self, p: &str) -> u32 {
        if let Some(&id) = self.prefix_ids.get(p) {
            return id;
        }
        let id = self.prefixes.len() as u32;
        self.prefixes.push(p.into());
        self.prefix_ids.insert(p.into(), id);
        match key_end(p) {
            Some(end) => self.buckets.entry(p[..end].into()).or_default().push(id),
            None => self.short_prefixes.push(id),
        }
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
        self.words.iter().map(|(w, &id)| (&**w, id))
    }

    /// The text of prefix `id`.
    pub fn prefix_text(&self, id: u32) -> &str {
        self.prefixes.get(id as usize).map_or("", |p| p)
    }

    /// The word id of a word token's text ([`NO_WORD`] if none).
    #[inline]
    pub fn word_id(&self, text: &str) -> u32 {
        self.words.get(text).copied().unwrap_or(NO_WORD)
    }

    /// Calls `f` with every prefix id whose prefix starts `text`.
    #[inline]
    pub fn for_each_prefix(&self, text: &str, mut f: impl FnMut(u32)) {
        for &id in &self.short_prefixes {
            if text.starts_with(&*self.prefixes[id as usize]) {
                f(id);
            }
        }
        let Some(end) = key_end(text) else { return };
        if let Some(ids) = self.buckets.get(&text[..end]) {
            for &id in ids {
                if text.starts_with(&*self.prefixes[id as usize]) {
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
fn key_end(text: &str) -> Option<usize> {
    let mut chars = text.char_indices();
    let _ = chars.nth(PREFIX_KEY_CHARS - 1)?;
    Some(chars.next().map_or(text.len(), |(i, _)| i))
}

/// The ids of one line's tokens, by token index.
#[derive(Debug, Clone, Default)]
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
}
