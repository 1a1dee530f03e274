//! UAX #29 sentence boundaries of text in common characters, found the
//! way `unicode-segmentation` finds them, without its Unicode tables.
//!
//! Finding the sentence of a reply's finding costs the segmenter ~240
//! instructions a character, ~110 of them looking the character's class
//! up in a table of 2,500 ranges: a twentieth of an audit (issue #19).
//! Replies are mostly ASCII, Russian letters and a few marks (`«»–—“”…`),
//! whose classes this module reads from their bytes; any other character
//! stops it ([`Unknown`]), and the caller asks the segmenter instead.
//!
//! [`FastBreaks`] is `unicode-segmentation`'s forward state machine
//! (`sentence::fwd`, 1.13) with those classes: tested break for break
//! against it.

/// A character outside the classes this module knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unknown;

/// Sentence_Break classes of the characters this module knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Any,
    Cr,
    Lf,
    Sp,
    Lower,
    Upper,
    Numeric,
    ATerm,
    STerm,
    Close,
    SContinue,
}

/// The classes of ASCII, as `unicode-segmentation`'s table has them.
const ASCII: [Class; 128] = {
    let mut t = [Class::Any; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = match b as u8 {
            b'\t' | 0x0B | 0x0C | b' ' => Class::Sp,
            b'\n' => Class::Lf,
            b'\r' => Class::Cr,
            b'!' | b'?' => Class::STerm,
            b'.' => Class::ATerm,
            b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}' => Class::Close,
            b',' | b'-' | b':' | b';' => Class::SContinue,
            b'0'..=b'9' => Class::Numeric,
            b'A'..=b'Z' => Class::Upper,
            b'a'..=b'z' => Class::Lower,
            _ => Class::Any,
        };
        b += 1;
    }
    t
};

/// The class and length of the character starting at byte `i` of `b`.
#[inline]
fn class_at(b: &[u8], i: usize) -> Result<(Class, usize), Unknown> {
    let c0 = b[i];
    if c0 < 0x80 {
        return Ok((ASCII[usize::from(c0)], 1));
    }
    let c1 = b.get(i + 1).copied().unwrap_or(0);
    let class = match (c0, c1) {
        // А–Я and the Ѐ–Џ before them (U+0400–U+042F), а–п (U+0430–U+043F).
        (0xD0, 0x80..=0xAF) => Class::Upper,
        (0xD0, 0xB0..=0xBF) => Class::Lower,
        // р–я and ѐ–џ (U+0440–U+045F).
        (0xD1, 0x80..=0x9F) => Class::Lower,
        // No-break space, « and ».
        (0xC2, 0xA0) => Class::Sp,
        (0xC2, 0xAB | 0xBB) => Class::Close,
        (0xE2, _) => {
            let c2 = b.get(i + 2).copied().unwrap_or(0);
            let class = match (c1, c2) {
                // – and —.
                (0x80, 0x93 | 0x94) => Class::SContinue,
                // ‘ ’ ‚ ‛ “ ” „ ‟.
                (0x80, 0x98..=0x9F) => Class::Close,
                // • …, № and €, ₽.
                (0x80, 0xA2 | 0xA6) | (0x84, 0x96) | (0x82, 0xAC | 0xBD) => Class::Any,
                _ => return Err(Unknown),
            };
            return Ok((class, 3));
        }
        _ => return Err(Unknown),
    };
    Ok((class, 2))
}

/// The bytes and the letters of the run of letters (`Upper` or `Lower`
/// to [`class_at`]) that `b` starts with.
#[inline]
fn letters(b: &[u8]) -> (usize, usize) {
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        match class_at(b, i) {
            Ok((Class::Upper | Class::Lower, len)) => i += len,
            _ => break,
        }
        n += 1;
    }
    (i, n)
}

/// What the state machine remembers of a character (or a run of `Close`
/// or `Sp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Sot,
    Eot,
    Other,
    Cr,
    Lf,
    ATerm,
    UpperLower,
    ClosePlus,
    SpPlus,
    STerm,
}

/// The last four parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State([Part; 4]);

impl State {
    const START: State = State([Part::Sot; 4]);

    fn next(self, class: Class) -> State {
        let p = self.0;
        match (p[3], class) {
            (Part::ClosePlus, Class::Close) | (Part::SpPlus, Class::Sp) => self,
            _ => State([
                p[1],
                p[2],
                p[3],
                match class {
                    Class::Cr => Part::Cr,
                    Class::Lf => Part::Lf,
                    Class::ATerm => Part::ATerm,
                    Class::Upper | Class::Lower => Part::UpperLower,
                    Class::Close => Part::ClosePlus,
                    Class::Sp => Part::SpPlus,
                    Class::STerm => Part::STerm,
                    Class::Any | Class::Numeric | Class::SContinue => Part::Other,
                },
            ]),
        }
    }

    fn end(self) -> State {
        let p = self.0;
        State([p[1], p[2], p[3], Part::Eot])
    }

    fn last_is(self, part: Part) -> bool {
        self.0[3] == part
    }

    /// `SATerm Close* Sp*` (SB8a, SB10): the part before the runs.
    fn term_before_close_sp(self) -> Part {
        let p = self.0;
        let mut i = if p[3] == Part::SpPlus { 2 } else { 3 };
        if p[i] == Part::ClosePlus {
            i -= 1;
        }
        p[i]
    }

    /// SB8: `ATerm Close* Sp* ×` what is ahead, if a lowercase letter
    /// comes before any letter, sentence terminator or paragraph end.
    fn sb8(self, ahead: &[u8]) -> Result<bool, Unknown> {
        if self.term_before_close_sp() != Part::ATerm {
            return Ok(false);
        }
        let mut i = 0;
        while i < ahead.len() {
            let (class, len) = class_at(ahead, i)?;
            match class {
                Class::Lower => return Ok(true),
                Class::Upper | Class::Cr | Class::Lf | Class::STerm | Class::ATerm => {
                    return Ok(false)
                }
                _ => i += len,
            }
        }
        Ok(false)
    }

    /// SB9: `SATerm Close*`.
    fn sb9(self) -> bool {
        let p = self.0;
        let i = if p[3] == Part::ClosePlus { 2 } else { 3 };
        matches!(p[i], Part::STerm | Part::ATerm)
    }

    /// SB11: `SATerm Close* Sp* ParaSep?`.
    fn sb11(self) -> bool {
        let p = self.0;
        let mut i = if matches!(p[3], Part::Cr | Part::Lf) {
            2
        } else {
            3
        };
        if p[i] == Part::SpPlus {
            i -= 1;
        }
        if p[i] == Part::ClosePlus {
            i -= 1;
        }
        matches!(p[i], Part::STerm | Part::ATerm)
    }
}

/// Whether a sentence breaks before a character of `class` that follows
/// `state`; `ahead` starts at the character. The segmenter's rules in its
/// order (SB5 has no case here: no character this module knows extends
/// another).
fn breaks(state: State, class: Class, ahead: &[u8]) -> Result<bool, Unknown> {
    // SB1: the text's start.
    if state.last_is(Part::Sot) {
        return Ok(true);
    }
    // SB3, SB4: a line break.
    if class == Class::Lf && state.last_is(Part::Cr) {
        return Ok(false);
    }
    if state.last_is(Part::Cr) || state.last_is(Part::Lf) {
        return Ok(true);
    }
    // SB6, SB7: `3.5`, `U.S`.
    if class == Class::Numeric && state.last_is(Part::ATerm) {
        return Ok(false);
    }
    if class == Class::Upper && state.0[2] == Part::UpperLower && state.0[3] == Part::ATerm {
        return Ok(false);
    }
    // SB8: `etc. and`.
    if state.sb8(ahead)? {
        return Ok(false);
    }
    let after_term = matches!(state.term_before_close_sp(), Part::STerm | Part::ATerm);
    // SB8a, SB9, SB10: what may follow a terminator in its sentence.
    if matches!(class, Class::SContinue | Class::STerm | Class::ATerm) && after_term {
        return Ok(false);
    }
    if matches!(class, Class::Close | Class::Sp | Class::Cr | Class::Lf) && state.sb9() {
        return Ok(false);
    }
    if matches!(class, Class::Sp | Class::Cr | Class::Lf) && after_term {
        return Ok(false);
    }
    // SB11, else SB998.
    Ok(state.sb11())
}

/// The positions that follow a sentence break in a text (its start, each
/// break, its end), as `unicode-segmentation`'s `SentenceBreaks` yields
/// them, until a character this module does not know.
#[derive(Debug, Clone)]
pub struct FastBreaks<'t> {
    text: &'t [u8],
    pos: usize,
    state: State,
}

impl<'t> FastBreaks<'t> {
    /// The breaks of `text`.
    pub fn new(text: &'t str) -> Self {
        FastBreaks {
            text: text.as_bytes(),
            pos: 0,
            state: State::START,
        }
    }

    /// The next break; `Ok(None)` past the end, [`Unknown`] at a
    /// character this module cannot class (then what follows is unknown).
    pub fn next_break(&mut self) -> Result<Option<usize>, Unknown> {
        while self.pos < self.text.len() {
            // After a letter, a letter breaks nothing (no rule but SB998
            // applies) and only shifts the state: a word's letters after
            // its first are stepped over with no rule tried.
            if self.state.last_is(Part::UpperLower) {
                let (bytes, count) = letters(&self.text[self.pos..]);
                self.pos += bytes;
                for _ in 0..count.min(3) {
                    self.state = self.state.next(Class::Lower);
                }
                if self.pos == self.text.len() {
                    break;
                }
            }
            let before = self.pos;
            let state_before = self.state;
            let (class, len) = class_at(self.text, before)?;
            self.pos += len;
            self.state = self.state.next(class);
            if breaks(state_before, class, &self.text[before..])? {
                return Ok(Some(before));
            }
        }
        // SB2.
        if self.state.last_is(Part::Sot) || self.state.last_is(Part::Eot) {
            Ok(None)
        } else {
            self.state = self.state.end();
            Ok(Some(self.pos))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_segmentation::UnicodeSegmentation;

    /// The crate's breaks: each sentence's start, then the text's end.
    fn crate_breaks(text: &str) -> Vec<usize> {
        let mut b: Vec<usize> = text
            .split_sentence_bound_indices()
            .map(|(s, _)| s)
            .collect();
        if !text.is_empty() {
            b.push(text.len());
        }
        b
    }

    fn fast_breaks(text: &str) -> Result<Vec<usize>, Unknown> {
        let mut it = FastBreaks::new(text);
        let mut b = Vec::new();
        while let Some(x) = it.next_break()? {
            b.push(x);
        }
        Ok(b)
    }

    #[test]
    fn breaks_as_the_segmenter_on_its_rules_cases() {
        for text in [
            "",
            "Hi.",
            "Мы вернём деньги. Спасибо!",
            "It costs 3.5 dollars. Really?! Yes.",
            "The U.S. team. Etc. and more. (Sure.) \"Yes!\" he said.",
            "Done.  \t Next line\r\nthen, more; words: — end… «Вот.» Да",
            "a.b. c.d.E",
            "Sorry!!  ...and then?? Ok.",
            "Итак. это продолжение? Нет; — да.\n\nНовый абзац.",
            // A digit or a mark after four letters changes the state that
            // letters keep (SB7 joins `d.T`, not `5.N`).
            "Model abcd5.Next one. Code ABCD.Then",
            "Заказ абвг5.Далее",
        ] {
            assert_eq!(fast_breaks(text), Ok(crate_breaks(text)), "{text:?}");
        }
        assert_eq!(fast_breaks("Привет 😀. Да"), Err(Unknown));
    }

    /// Every character this module classes, in the contexts where its
    /// class decides a break (after a terminator, between letters and
    /// terminators, at a text's start), breaks as the segmenter says.
    #[test]
    fn every_known_character_breaks_as_the_segmenter() {
        let mut known = 0;
        for c in (0..=0x2FFF).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            if class_at(bytes, 0).is_err() {
                continue;
            }
            known += 1;
            for template in [
                "Ab. {c}x",
                "A.{c}B. c",
                "{c}. d",
                "Ok! {c} Next",
                "Ab{c}. Cd",
                "x.{c}\n{c}y",
            ] {
                let text = template.replace("{c}", &c.to_string());
                assert_eq!(
                    fast_breaks(&text),
                    Ok(crate_breaks(&text)),
                    "{c:?} in {text:?}"
                );
            }
        }
        // ASCII, the 96 basic Cyrillic letters, 3 Latin-1 marks, 15 others.
        assert_eq!(known, 128 + 96 + 3 + 15);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Text of the characters this module knows, and a few it does not
        /// (a break sequence that stops at one agrees up to it).
        #[test]
        fn breaks_as_the_segmenter(
            text in "[a-cA-C0-9 .,;:!?'\"()\\[\\]{}#$%&*+/<=>@^_`|~\\\\\\-\n\r\t\u{b}\u{c}\u{a0}«»–—‘’‚‛“”„‟•…€₽№ёЁа-вА-ВЀѐџѠ😀\u{301}\u{ad}]{0,40}"
        ) {
            let want = crate_breaks(&text);
            let mut it = FastBreaks::new(&text);
            let mut got = Vec::new();
            loop {
                match it.next_break() {
                    Ok(Some(x)) => got.push(x),
                    Ok(None) => {
                        proptest::prop_assert_eq!(&got, &want);
                        break;
                    }
                    Err(Unknown) => {
                        // Every break found before the unknown character.
                        proptest::prop_assert!(want.starts_with(&got), "{:?} {:?}", got, want);
                        break;
                    }
                }
            }
        }
    }
}
