//! Stage 2: normalisation for matching.
//!
//! Rules are written in lowercase with `е` for `ё` and plain ASCII quotes and
//! dashes; the draft is folded the same way so that a word of the draft is
//! the same string as the pattern word it should match. Most characters
//! fold to a character of the same UTF-8 length (ASCII and Cyrillic case,
//! `ё`→`е`), so the normalised text usually has the same byte offsets as its
//! source; where a fold changes the length (`«`→`"`, `—`→`-`, a removed
//! stress mark) an [`OffsetMap`] records the shift, so every span found in
//! the normalised text maps back exactly.

use serde::{Deserialize, Serialize};

/// A property of a line that the normaliser records as it goes, so a regex
/// with no literal to look for still runs only on lines that can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LineClass {
    /// Three or more capital letters in a row.
    Caps,
    /// A pictographic (emoji-range) character.
    Emoji,
    /// An ASCII digit.
    Digit,
}

impl LineClass {
    /// Every class, in index order.
    pub const ALL: [LineClass; 3] = [LineClass::Caps, LineClass::Emoji, LineClass::Digit];

    /// Its name in rule files.
    pub fn name(self) -> &'static str {
        match self {
            LineClass::Caps => "caps",
            LineClass::Emoji => "emoji",
            LineClass::Digit => "digit",
        }
    }
}

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
    /// For each [`LineClass`] (by index), the start offsets (in `text`) of
    /// the lines where it holds, in order.
    pub class_lines: [Vec<u32>; 3],
}

impl Normalized {
    /// The lines (start offsets in `text`) where `class` holds.
    pub fn lines_with(&self, class: LineClass) -> &[u32] {
        &self.class_lines[class as usize]
    }
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
        // stress marks, soft hyphens, zero-width spaces and joiners' cousins;
        // and the diaeresis of a decomposed `ё` (`е` + U+0308, as macOS and
        // PDFs write it), which folds to `е` as `ё` does.
        '\u{0301}' | '\u{0300}' | '\u{0308}' | '\u{00AD}' | '\u{200B}' | '\u{2060}'
        | '\u{FEFF}' => Fold::Remove,
        _ => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l != c => Fold::Char(l),
                _ => Fold::Keep,
            }
        }
    }
}

/// Byte classes of ASCII, for the normaliser's fast path.
const UPPER: u8 = 1;
const LOWER: u8 = 2;
const DIGIT: u8 = 4;
const NEWLINE: u8 = 8;
const NUL: u8 = 16;

const ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_digit() {
            DIGIT
        } else if b == b'\n' {
            NEWLINE
        } else if b == 0 {
            NUL
        } else {
            0
        };
        i += 1;
    }
    t
};

/// The bytes [`plain_ascii`] and [`plain_russian`] decide at once.
const PLAIN_BLOCK: usize = 32;

/// The position of the first 0 in `flags` (each 0 or 1), or their length:
/// eight flags at a time.
#[inline(always)]
fn first_unset(flags: &[u8; PLAIN_BLOCK]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    for (c, eight) in flags.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(eight);
        let unset = !u64::from_le_bytes(bytes) & ONES;
        if unset != 0 {
            return c * 8 + unset.trailing_zeros() as usize / 8;
        }
    }
    PLAIN_BLOCK
}

/// How many of `flags` (each 0 or 1) are set.
#[inline(always)]
fn count_set(flags: &[u8]) -> usize {
    flags.iter().map(|&f| usize::from(f)).sum()
}

/// Whether ASCII byte `b` is copied as it is: class 0 or [`LOWER`] in
/// [`ASCII_CLASS`] (not a capital, digit, line break or NUL), with
/// arithmetic the compiler vectorises; false for any non-ASCII byte.
#[inline(always)]
fn plain_ascii_byte(b: u8) -> bool {
    let upper = b.wrapping_sub(b'A') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    !((b >= 0x80) | upper | digit | (b == b'\n') | (b == 0))
}

/// How much of `block`, from its start, is copied as it is (ASCII of
/// class 0 or [`LOWER`] in [`ASCII_CLASS`]: up to the first capital, digit,
/// line break, NUL or non-ASCII byte), and how many lowercase Latin letters
/// that is. Decided with arithmetic the compiler vectorises, where a table
/// look-up per byte cannot be (issue #19).
#[inline(always)]
fn plain_ascii(block: &[u8; PLAIN_BLOCK]) -> (usize, usize) {
    let (mut plain, mut letters) = ([0u8; PLAIN_BLOCK], [0u8; PLAIN_BLOCK]);
    for k in 0..PLAIN_BLOCK {
        let b = block[k];
        plain[k] = u8::from(plain_ascii_byte(b));
        letters[k] = u8::from(b.wrapping_sub(b'a') < 26);
    }
    let len = first_unset(&plain);
    (len, count_set(&letters[..len]))
}

/// What [`plain_russian`] found at the start of a block.
struct PlainRun {
    /// Bytes copied as they are: up to the first that is not, and never a
    /// letter's first byte without its second.
    len: usize,
    /// Russian letters among them.
    cyrillic: usize,
    /// Lowercase Latin letters among them.
    latin: usize,
}

/// How much of the block `window[1..=PLAIN_BLOCK]`, from its start, is
/// copied as it is: plain ASCII (as in [`plain_ascii`]) and
/// lowercase Russian letters other than `ё` (`а`–`п` are `D0 B0`–`D0 BF`,
/// `р`–`я` `D1 80`–`D1 8F`). `window[0]` is the byte before the block, the
/// last byte of a character; the last byte of the window is the one after,
/// which completes a letter the block's last byte starts (that letter is
/// left to the next block).
///
/// Decided with arithmetic the compiler vectorises, into one flag byte per
/// position whose first unset one ends the run: letter by letter,
/// normalising took 36.6M
/// instructions of a 1 MB Russian check, all on the thread the scan waits
/// for (issue #19). A block that must be whole to be copied saved nothing
/// there: most 32-byte stretches of Russian hold a capital, a digit, `ё`
/// or a dash.
#[inline(always)]
fn plain_russian(window: &[u8; PLAIN_BLOCK + 2]) -> PlainRun {
    // One byte per position, 0 or 1: the flags vectorise, and the first
    // bad byte is found eight positions at a time.
    let (mut good, mut leads, mut latin) =
        ([0u8; PLAIN_BLOCK], [0u8; PLAIN_BLOCK], [0u8; PLAIN_BLOCK]);
    for k in 0..PLAIN_BLOCK {
        let (before, b, after) = (window[k], window[k + 1], window[k + 2]);
        let ascii = plain_ascii_byte(b);
        let lead = (b == 0xD0) & (after.wrapping_sub(0xB0) < 16)
            | (b == 0xD1) & (after.wrapping_sub(0x80) < 16);
        let second = (b & 0xC0 == 0x80) & ((before == 0xD0) | (before == 0xD1));
        good[k] = u8::from(ascii | lead | second);
        leads[k] = u8::from((b == 0xD0) | (b == 0xD1));
        latin[k] = u8::from(b.wrapping_sub(b'a') < 26);
    }
    let mut len = first_unset(&good);
    // A good letter's first byte is followed by its good second byte, so
    // only the block's last byte can be a first byte whose second is not
    // copied.
    if len == PLAIN_BLOCK && matches!(window[PLAIN_BLOCK], 0xD0 | 0xD1) {
        len -= 1;
    }
    PlainRun {
        len,
        cyrillic: count_set(&leads[..len]),
        latin: count_set(&latin[..len]),
    }
}

/// Records line classes while normalising.
struct ClassTracker {
    line_start: u32,
    caps_run: u8,
    lines: [Vec<u32>; 3],
}

impl ClassTracker {
    fn mark(&mut self, class: LineClass) {
        let v = &mut self.lines[class as usize];
        if v.last() != Some(&self.line_start) {
            v.push(self.line_start);
        }
    }

    fn upper(&mut self) {
        self.caps_run = self.caps_run.saturating_add(1);
        if self.caps_run == 3 {
            self.mark(LineClass::Caps);
        }
    }
}

/// A superset of Unicode's Extended_Pictographic: the symbol, arrow and
/// dingbat blocks, the supplementary pictograph planes, and the few
/// pictographs outside them.
fn is_emoji_range(c: char) -> bool {
    matches!(
        c as u32,
        0xA9 | 0xAE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x2190..=0x2BFF | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x1F000..=0x1FFFF
    )
}

/// Normalises `source` for matching.
///
/// NUL bytes are dropped: they are never text, and a draft pasted from a
/// binary-ish source must not split words on them.
pub fn normalize(source: &str) -> Normalized {
    normalize_into(source, String::new())
}

/// [`normalize`], written into `out` (whatever it holds is dropped; its
/// capacity is kept): a caller with a buffer whose memory is touched
/// already saves the page faults of a fresh one (~2 µs a 4 KB page on a
/// 2-core VM: half a millisecond a megabyte, issue #19).
pub fn normalize_into(source: &str, mut out: String) -> Normalized {
    let bytes = source.as_bytes();
    out.clear();
    out.reserve(source.len());
    let mut map = OffsetMap::identity();
    let mut cyrillic = 0usize;
    let mut latin = 0usize;
    let mut classes = ClassTracker {
        line_start: 0,
        caps_run: 0,
        lines: [Vec::new(), Vec::new(), Vec::new()],
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            let class = ASCII_CLASS[b as usize];
            // The common case (lowercase letters, spaces, punctuation) is
            // copied as it is, a run at a time: pushing it byte by byte
            // was half of normalising (issue #19).
            if class & !LOWER == 0 {
                let start = i;
                // 32 bytes at a time up to the first that needs more than
                // copying (see `plain_ascii`); the byte loop below takes
                // the rest of the run.
                while let Some(block) = bytes
                    .get(i..i + PLAIN_BLOCK)
                    .and_then(|b| <&[u8; PLAIN_BLOCK]>::try_from(b).ok())
                {
                    let (len, letters) = plain_ascii(block);
                    latin += letters;
                    i += len;
                    if len < PLAIN_BLOCK {
                        break;
                    }
                }
                while let Some(&c) = bytes.get(i) {
                    let class = ASCII_CLASS.get(c as usize).copied().unwrap_or(UPPER);
                    if class & !LOWER != 0 {
                        break;
                    }
                    latin += usize::from(class == LOWER);
                    i += 1;
                }
                classes.caps_run = 0;
                // A lone space between Cyrillic words is most runs of a
                // Russian draft: one push, not a copy call.
                if i - start == 1 {
                    out.push(b as char);
                } else {
                    out.push_str(&source[start..i]);
                }
                continue;
            }
            // The rest: capitals, digits, line breaks, NUL.
            match class {
                UPPER => {
                    latin += 1;
                    classes.upper();
                }
                DIGIT => {
                    classes.caps_run = 0;
                    classes.mark(LineClass::Digit);
                }
                NEWLINE => {
                    classes.caps_run = 0;
                    classes.line_start = out.len() as u32 + 1;
                }
                _ => {
                    // NUL: dropped.
                    i += 1;
                    map.push(out.len(), i);
                    continue;
                }
            }
            out.push(b.to_ascii_lowercase() as char);
            i += 1;
            continue;
        }
        // Runs of lowercase Russian letters with spaces and punctuation
        // between, 32 bytes at a time (see `plain_russian`). The byte
        // before `i` ends a character, so it is never a lead byte.
        if matches!(b, 0xD0 | 0xD1) && i > 0 {
            let mut copied = 0;
            while let Some(window) = bytes
                .get(i - 1..i + PLAIN_BLOCK + 1)
                .and_then(|w| <&[u8; PLAIN_BLOCK + 2]>::try_from(w).ok())
            {
                let run = plain_russian(window);
                cyrillic += run.cyrillic;
                latin += run.latin;
                i += run.len;
                copied += run.len;
                // Stopped before a byte it does not copy: that one is
                // decided below.
                if run.len + 1 < PLAIN_BLOCK {
                    break;
                }
            }
            if copied > 0 {
                out.push_str(&source[i - copied..i]);
                classes.caps_run = 0;
                continue;
            }
        }
        // Basic Russian letters, the bulk of a Russian draft, decided from
        // their two bytes: lowercase kept, А–Я and Ё/ё folded (same length,
        // so the offset map is untouched).
        if let (0xD0 | 0xD1, Some(&b2)) = (b, bytes.get(i + 1)) {
            let code = (((b & 0x1F) as u32) << 6) | (b2 & 0x3F) as u32;
            let folded = match code {
                0x430..=0x44F => Some((code, false)),
                0x410..=0x42F => Some((code + 0x20, true)),
                0x451 => Some((0x435, false)),
                0x401 => Some((0x435, true)),
                _ => None,
            };
            if let Some(ch) = folded.and_then(|(f, up)| char::from_u32(f).map(|c| (c, up))) {
                cyrillic += 1;
                if ch.1 {
                    classes.upper();
                } else {
                    classes.caps_run = 0;
                }
                out.push(ch.0);
                i += 2;
                continue;
            }
        }
        let c = match source[i..].chars().next() {
            Some(c) => c,
            None => break,
        };
        let len = c.len_utf8();
        if matches!(c, 'А'..='я' | 'Ё' | 'ё' | 'Ѐ'..='Џ' | 'ѐ'..='џ') {
            cyrillic += 1;
            if matches!(c, 'А'..='Я' | 'Ё') {
                classes.upper();
            } else {
                classes.caps_run = 0;
            }
        } else {
            classes.caps_run = 0;
            if is_emoji_range(c) {
                classes.mark(LineClass::Emoji);
            }
        }
        let before = out.len();
        let mut expanded = false;
        match fold_char(c) {
            // A decomposed `й` (`и` + U+0306): the letter, not `и` and a
            // mark that splits the word (`ближаи\u{306}шее` matched nothing).
            // `и` and `й` have one length, so only the mark's bytes shift.
            Fold::Keep if c == '\u{0306}' && out.ends_with('и') => {
                out.pop();
                out.push('й');
            }
            Fold::Keep => out.push(c),
            Fold::Char(f) => out.push(f),
            Fold::Str(s) => {
                out.push_str(s);
                // Offsets inside an expansion ("…" → "...") map to the
                // start of the source character, never into its bytes.
                for (k, _) in s.char_indices().skip(1) {
                    map.push(before + k, i);
                    expanded = true;
                }
            }
            Fold::Remove => {}
        }
        i += len;
        if expanded || out.len() - before != len {
            map.push(out.len(), i);
        }
    }
    Normalized {
        text: out,
        map,
        cyrillic_letters: cyrillic,
        latin_letters: latin,
        class_lines: classes.lines,
    }
}

#[cfg(test)]
mod tests {

    /// Found by the property test: "…" becomes "..." of the same byte
    /// length, and the offsets inside it mapped into the middle of "…".
    #[test]
    fn offsets_inside_an_expansion_map_to_the_source_character_start() {
        let n = normalize("а…б");
        assert_eq!(n.text, "а...б");
        let start = "а".len();
        for d in start..start + 3 {
            assert_eq!(n.map.to_source(d), start, "derived {d}");
        }
        assert_eq!(n.map.to_source(start + 3), start + "…".len());
        assert_eq!(n.map.to_source(n.text.len()), "а…б".len());
    }

    use super::*;

    #[test]
    fn folds_case_yo_quotes_and_dashes_with_exact_offsets() {
        let src = "«Ещё» — ДА’s";
        let n = normalize(src);
        assert_eq!(n.text, "\"еще\" - да's");
        // Every normalised char boundary maps to a source char boundary with
        // the same character (modulo folding).
        let at = n.text.find("еще").unwrap();
        assert_eq!(
            &src[n.map.to_source(at)..n.map.to_source(at + "еще".len())],
            "Ещё"
        );
        let s = n.text.find('s').unwrap();
        assert_eq!(n.map.to_source(s), src.find('s').unwrap());
        assert_eq!(n.map.to_source(n.text.len()), src.len());
        assert_eq!(n.map.to_derived(src.find('s').unwrap()), s);
    }

    #[test]
    fn removes_invisible_characters_inside_words() {
        let src = "изви\u{0301}нения\u{00AD}";
        let n = normalize(src);
        assert_eq!(n.text, "извинения");
        assert_eq!(n.map.to_source(n.text.len()), src.len());
    }

    /// Decomposed `й` and `ё` (NFD, as text copied from macOS or a PDF
    /// has them) read as the letters, offsets mapped back exactly.
    #[test]
    fn decomposed_short_i_and_yo_are_the_letters() {
        let src = "В БЛИЖАИ\u{0306}ШЕЕ время. Еще\u{0308} раз! Naïve stays: a\u{0306}";
        let n = normalize(src);
        assert_eq!(n.text, "в ближайшее время. еще раз! naïve stays: a\u{0306}");
        let word = n.text.find("ближайшее").unwrap();
        let end = word + "ближайшее".len();
        assert_eq!(
            &src[n.map.to_source(word)..n.map.to_source(end)],
            "БЛИЖАИ\u{0306}ШЕЕ"
        );
        let e = n.text.find("еще").unwrap();
        // The span takes the mark with its letter: the whole `ё`.
        assert_eq!(
            &src[n.map.to_source(e)..n.map.to_source(e + "еще".len())],
            "Еще\u{0308}"
        );
        assert_eq!(n.map.to_source(n.text.len()), src.len());
    }

    /// A buffer that held text, or one too small, gives what a fresh one
    /// does: text, offsets, letter counts and line classes.
    #[test]
    fn normalising_into_a_used_buffer_is_normalising() {
        let sources = [
            "",
            "Мы Вернём Деньги. OK",
            "«Ещё» — ДА’s…\0 ИЗВИНИТЕ!!! 12:30 😀\nSORRY ABOUT THAT\n",
            &PIECES.concat(),
        ];
        for source in sources {
            let fresh = normalize(source);
            for buffer in [
                String::from("text left from «before» — ПРЕЖДЕ"),
                String::with_capacity(1 << 16),
                String::new(),
            ] {
                let n = normalize_into(source, buffer);
                assert_eq!(n.text, fresh.text, "{source:?}");
                assert_eq!(n.map, fresh.map, "{source:?}");
                assert_eq!(
                    (n.cyrillic_letters, n.latin_letters),
                    (fresh.cyrillic_letters, fresh.latin_letters)
                );
                assert_eq!(n.class_lines, fresh.class_lines, "{source:?}");
            }
        }
    }

    #[test]
    fn identity_map_for_plain_text() {
        let n = normalize("Мы Вернём Деньги. OK");
        assert!(n.map.is_identity());
        assert_eq!(n.text, "мы вернем деньги. ok");
    }

    /// Runs of every length between capitals, digits, line breaks, NULs
    /// and Cyrillic.
    /// Long runs of plain ASCII and of lowercase Russian go 32 bytes at a
    /// time: pieces of odd and even lengths put every byte in a block's
    /// every position, and a letter across two blocks.
    const PIECES: [&str; 24] = [
        "извините за ожидание, ",
        // Exactly one block of lowercase letters, after and before capitals:
        // the block must end the run of capitals.
        "ЯЮ",
        "абвгдежзийклмноп",
        "abcdefghijklmnopqrstuvwxyzabcdef",
        "ОЧЕНЬ ",
        "🙏",
        "Ѐѐ",
        "мы ",
        "ъюя; ",
        "рпаяё ",
        "a",
        "b c",
        ", ",
        " ",
        "Ab",
        "XYZW",
        "7",
        "\n",
        "\0",
        "ё",
        "Щи",
        "x!?",
        "the quick brown fox jumps over ",
        "we're sorry; it's on its way... ",
    ];

    proptest::proptest! {
        #[test]
        fn runs_fold_count_and_classify_as_character_by_character(
            pieces in proptest::collection::vec(proptest::sample::select(&PIECES[..]), 0..40)
        ) {
            // Checked against the fold done one character at a time.
            let fold = |c: char| match c {
                'ё' | 'Ё' => 'е',
                c => c.to_lowercase().next().unwrap_or(c),
            };
            let draft = pieces.concat();
            let n = normalize(&draft);
            let want: String = draft.chars().filter(|&c| c != '\0').map(fold).collect();
            proptest::prop_assert_eq!(&n.text, &want);
            let latin = draft.chars().filter(char::is_ascii_alphabetic).count();
            let cyrillic = draft
                .chars()
                .filter(|c| matches!(c, 'А'..='я' | 'Ё' | 'ё' | 'Ѐ'..='Џ' | 'ѐ'..='џ'))
                .count();
            proptest::prop_assert_eq!((n.latin_letters, n.cyrillic_letters), (latin, cyrillic));
            // Line classes, line by line: three capitals in a row (NULs
            // dropped between them), an ASCII digit, an emoji.
            let mut want_lines: [Vec<u32>; 3] = Default::default();
            let starts = std::iter::once(0).chain(n.text.match_indices('\n').map(|(i, _)| i + 1));
            for (line, start) in draft.split('\n').zip(starts) {
                let mut run = 0;
                let caps = line.chars().filter(|&c| c != '\0').any(|c| {
                    run = if c.is_ascii_uppercase() || matches!(c, 'А'..='Я' | 'Ё') {
                        run + 1
                    } else {
                        0
                    };
                    run >= 3
                });
                let flags = [
                    caps,
                    line.chars().any(is_emoji_range),
                    line.bytes().any(|b| b.is_ascii_digit()),
                ];
                for class in LineClass::ALL {
                    if flags[class as usize] {
                        want_lines[class as usize].push(start as u32);
                    }
                }
            }
            proptest::prop_assert_eq!(&n.class_lines, &want_lines);
            // Each character maps back to the one it was folded from.
            for (i, c) in n.text.char_indices() {
                let from = draft[n.map.to_source(i)..].chars().next().map(fold);
                proptest::prop_assert_eq!(from, Some(c), "at {}", i);
            }
        }
    }

    #[test]
    fn a_plain_block_is_copied_up_to_the_first_byte_the_class_table_does_not_copy() {
        for b in 0..=u8::MAX {
            for at in 0..PLAIN_BLOCK {
                let mut block = [b'a'; PLAIN_BLOCK];
                block[at] = b;
                let copied = ASCII_CLASS
                    .get(usize::from(b))
                    .is_some_and(|c| c & !LOWER == 0);
                // The whole block, or up to the byte the table does not copy.
                let want = if copied {
                    (
                        PLAIN_BLOCK,
                        PLAIN_BLOCK - 1 + usize::from(b.is_ascii_lowercase()),
                    )
                } else {
                    (at, at)
                };
                assert_eq!(plain_ascii(&block), want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn a_russian_block_is_copied_up_to_the_first_letter_that_is_not_lowercase_or_whole() {
        // Every two-byte pair, starting at each byte of the block (at the
        // last, the pair's second byte is the one after the block), among
        // whole letters: an odd start is reached through one ASCII letter.
        for lead in 0xC0..=0xDFu8 {
            for second in 0x80..=0xBFu8 {
                let pair = [lead, second];
                let letter = std::str::from_utf8(&pair)
                    .ok()
                    .and_then(|s| s.chars().next());
                let plain = letter.is_some_and(|c| matches!(c, 'а'..='я') && c != 'ё');
                for at in 0..PLAIN_BLOCK {
                    // The byte before the block ends a character: a space.
                    let mut window: Vec<u8> = vec![b' '];
                    if at % 2 == 1 {
                        window.push(b'x');
                    }
                    window.extend("о".repeat(at / 2).bytes());
                    window.extend(pair);
                    while window.len() < PLAIN_BLOCK + 2 {
                        window.extend("п".bytes());
                    }
                    window.truncate(PLAIN_BLOCK + 2);
                    let window: [u8; PLAIN_BLOCK + 2] = window.try_into().unwrap();
                    let run = plain_russian(&window);
                    // Up to the pair if it is not plain; else the block, but
                    // a letter cut by the block's end waits for the next.
                    let cut = matches!(window[PLAIN_BLOCK], 0xD0 | 0xD1);
                    let want = if plain {
                        PLAIN_BLOCK - usize::from(cut)
                    } else {
                        at
                    };
                    assert_eq!(run.len, want, "{lead:#x} {second:#x} at {at}");
                    let copied = std::str::from_utf8(&window[1..1 + run.len]).unwrap();
                    assert_eq!(
                        run.cyrillic,
                        copied.chars().filter(|c| !c.is_ascii()).count()
                    );
                    assert_eq!(
                        run.latin,
                        copied.chars().filter(char::is_ascii_lowercase).count()
                    );
                }
            }
        }
    }

    #[test]
    fn line_classes_are_recorded_per_line() {
        let n = normalize("ok\nВНИМАНИЕ\nв 10:00\nспасибо 🙏\nAbC");
        assert_eq!(n.lines_with(LineClass::Caps), &[3]);
        assert_eq!(n.lines_with(LineClass::Digit), &[20]);
        assert_eq!(n.lines_with(LineClass::Emoji), &[29]);
    }
}
