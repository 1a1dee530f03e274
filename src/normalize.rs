//! Stage 2: normalisation for matching.
//!
//! Rules are written in lowercase with `е` for `ё` and plain ASCII quotes and
//! dashes; the draft is folded the same way so one Aho-Corasick pass can find
//! every anchor. Most characters fold to a character of the same UTF-8 length
//! (ASCII and Cyrillic case, `ё`→`е`), so the normalised text usually has the
//! same byte offsets as its source; where a fold changes the length (`«`→`"`,
//! `—`→`-`, a removed stress mark) an [`OffsetMap`] records the shift, so every
//! span found in the normalised text maps back exactly.

/// A monotone map from byte offsets in a derived text back to byte offsets in
/// the text it was derived from.
///
/// Between two recorded points the two texts advance byte for byte, so only
/// the places where a length changes are stored; an identity map stores
/// nothing and maps in O(1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// `(derived, source)` pairs, strictly increasing in `derived`.
    points: Vec<(u32, u32)>,
}

impl OffsetMap {
    /// The identity map.
    pub fn identity() -> Self {
        Self::default()
    }

    /// Whether the map is the identity (no length-changing edit was made).
    pub fn is_identity(&self) -> bool {
        self.points.is_empty()
    }

    /// Records that derived offset `derived` corresponds to source offset
    /// `source`. Calls must come in increasing `derived` order.
    pub fn push(&mut self, derived: usize, source: usize) {
        let point = (derived as u32, source as u32);
        match self.points.last_mut() {
            Some(last) if last.0 == point.0 => *last = point,
            _ => self.points.push(point),
        }
    }

    /// Maps a derived offset to the source offset.
    pub fn to_source(&self, derived: usize) -> usize {
        let d = derived as u32;
        let idx = self.points.partition_point(|&(pd, _)| pd <= d);
        if idx == 0 {
            derived
        } else {
            let (pd, ps) = self.points[idx - 1];
            (ps + (d - pd)) as usize
        }
    }

    /// Maps a source offset to the derived offset (the inverse direction).
    pub fn to_derived(&self, source: usize) -> usize {
        let s = source as u32;
        let idx = self.points.partition_point(|&(_, ps)| ps <= s);
        if idx == 0 {
            source
        } else {
            let (pd, ps) = self.points[idx - 1];
            (pd + (s - ps)) as usize
        }
    }
}

/// The draft as the matcher sees it.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// Lowercased, folded text.
    pub text: String,
    /// Maps offsets in `text` back to the text that was normalised.
    pub map: OffsetMap,
    /// Cyrillic letters seen (for the dominant-language guess).
    pub cyrillic_letters: usize,
    /// Latin letters seen.
    pub latin_letters: usize,
}

/// What a non-ASCII character becomes in the normalised text.
enum Fold {
    Keep,
    Char(char),
    Str(&'static str),
    Remove,
}

fn fold_char(c: char) -> Fold {
    match c {
        // Cyrillic: the common case, kept branch-cheap.
        'А'..='Я' => Fold::Char(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
        'Ё' | 'ё' => Fold::Char('е'),
        'а'..='я' => Fold::Keep,
        'Ѐ'..='Џ' => Fold::Char(char::from_u32(c as u32 + 0x50).unwrap_or(c)),
        // Quotes and apostrophes.
        '«' | '»' | '„' | '“' | '”' | '‟' | '″' | '〝' | '〞' | '＂' => {
            Fold::Str("\"")
        }
        '‘' | '’' | '‚' | '‛' | '′' | 'ʼ' | '`' | '´' | '＇' => Fold::Str("'"),
        // Dashes and minus signs.
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '﹘' | '﹣' | '－' => {
            Fold::Str("-")
        }
        '…' => Fold::Str("..."),
        // Spaces that are not ASCII space.
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
            Fold::Str(" ")
        }
        // Invisible characters that split words for no visible reason:
        // stress marks, soft hyphens, zero-width spaces and joiners' cousins.
        '\u{0301}' | '\u{0300}' | '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' => Fold::Remove,
        _ => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l != c => Fold::Char(l),
                _ => Fold::Keep,
            }
        }
    }
}

/// Normalises `source` for matching.
///
/// NUL bytes (used by input extraction as "nothing here" padding) are dropped.
pub fn normalize(source: &str) -> Normalized {
    let bytes = source.as_bytes();
    // Built as bytes: every push is a complete UTF-8 sequence; validating once
    // at the end is cheap and keeps the crate free of `unsafe`.
    let mut out: Vec<u8> = Vec::with_capacity(source.len());
    let mut map = OffsetMap::identity();
    let mut cyrillic = 0usize;
    let mut latin = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if b == 0 {
                i += 1;
                map.push(out.len(), i);
                continue;
            }
            if b.is_ascii_alphabetic() {
                latin += 1;
            }
            out.push(b.to_ascii_lowercase());
            i += 1;
            continue;
        }
        let c = match source[i..].chars().next() {
            Some(c) => c,
            None => break,
        };
        let len = c.len_utf8();
        if matches!(c, 'А'..='я' | 'Ё' | 'ё' | 'Ѐ'..='Џ' | 'ѐ'..='џ') {
            cyrillic += 1;
        }
        let before = out.len();
        match fold_char(c) {
            Fold::Keep => out.extend_from_slice(&bytes[i..i + len]),
            Fold::Char(f) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(f.encode_utf8(&mut buf).as_bytes());
            }
            Fold::Str(s) => out.extend_from_slice(s.as_bytes()),
            Fold::Remove => {}
        }
        i += len;
        if out.len() - before != len {
            map.push(out.len(), i);
        }
    }
    Normalized {
        text: String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        map,
        cyrillic_letters: cyrillic,
        latin_letters: latin,
    }
}
