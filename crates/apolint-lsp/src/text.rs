//! An open document's text and the conversion between byte offsets (what
//! the engine reports) and LSP positions (line + character, where a
//! "character" is a UTF-16 code unit unless the client agreed to UTF-8).

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// How the client counts characters within a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The protocol's default: UTF-16 code units.
    Utf16,
    /// Bytes of UTF-8, when the client offers `utf-8`.
    Utf8,
}

impl Encoding {
    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Utf8 => c.len_utf8(),
        }
    }
}

/// A document's text with the byte offset of each line's start. Lines end
/// at `\n`, `\r\n` or a lone `\r`, as the protocol defines them.
#[derive(Debug, Clone, Default)]
pub struct DocText {
    text: String,
    line_starts: Vec<usize>,
}

impl DocText {
    /// Indexes `text`.
    pub fn new(text: String) -> DocText {
        let mut d = DocText {
            text,
            line_starts: Vec::new(),
        };
        d.reindex();
        d
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn reindex(&mut self) {
        self.line_starts.clear();
        self.line_starts.push(0);
        let b = self.text.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                self.line_starts.push(i + 1);
            }
        }
    }

    /// Byte range of line `line`'s content, without its terminator.
    fn line_range(&self, line: usize) -> (usize, usize) {
        let start = self.line_starts[line];
        let mut end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let b = self.text.as_bytes();
        if end > start && b[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && b[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    }

    /// The position of byte `offset` (clamped to the text, floored to a
    /// character boundary).
    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let (start, end) = self.line_range(line);
        let character: usize = self.text[start..offset.min(end).max(start)]
            .chars()
            .map(|c| enc.width(c))
            .sum();
        Position::new(line as u32, character as u32)
    }

    /// The byte offset of a position. Out-of-range lines clamp to the end
    /// of the text and characters past the line's end to the line's end,
    /// as the protocol asks; a position inside a UTF-16 surrogate pair
    /// rounds down to the character's start.
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return self.text.len();
        }
        let (start, end) = self.line_range(line);
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            let w = enc.width(c);
            if units + w > pos.character as usize {
                return start + i;
            }
            units += w;
        }
        end
    }

    /// The positions of many byte offsets in one sweep: sorted, each line
    /// is scanned once, so thousands of findings on one long line cost
    /// linear time, not quadratic.
    pub fn positions(&self, offsets: &[usize], enc: Encoding) -> Vec<Position> {
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        order.sort_by_key(|&i| offsets[i]);
        let mut out = vec![Position::new(0, 0); offsets.len()];
        // (line, byte offset reached on it, units counted up to there)
        let mut cursor: Option<(usize, usize, usize)> = None;
        for i in order {
            let mut offset = offsets[i].min(self.text.len());
            while !self.text.is_char_boundary(offset) {
                offset -= 1;
            }
            let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
            let (start, end) = self.line_range(line);
            let target = offset.min(end).max(start);
            let (from, mut units) = match cursor {
                Some((l, at, u)) if l == line && at <= target => (at, u),
                _ => (start, 0),
            };
            units += self.text[from..target]
                .chars()
                .map(|c| enc.width(c))
                .sum::<usize>();
            cursor = Some((line, target, units));
            out[i] = Position::new(line as u32, units as u32);
        }
        out
    }

    /// The LSP range of a byte range.
    pub fn range(&self, start: usize, end: usize, enc: Encoding) -> Range {
        Range::new(self.position(start, enc), self.position(end, enc))
    }

    /// Applies one change from `didChange`: a ranged edit, or the whole
    /// text when the change has no range.
    pub fn apply(&mut self, change: TextDocumentContentChangeEvent, enc: Encoding) {
        match change.range {
            Some(r) => {
                let start = self.offset(r.start, enc);
                let end = self.offset(r.end, enc).max(start);
                self.text.replace_range(start..end, &change.text);
            }
            None => self.text = change.text,
        }
        self.reindex();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_count_surrogate_pairs_and_crlf_ends_lines() {
        // "Ой 😀!" — the emoji is 4 bytes, 2 UTF-16 units.
        let d = DocText::new("Привет\r\nОй 😀!!!\rок\n".to_owned());
        let bang = d.as_str().find('!').unwrap();
        assert_eq!(d.position(bang, Encoding::Utf16), Position::new(1, 5));
        assert_eq!(d.position(bang, Encoding::Utf8), Position::new(1, 9));
        assert_eq!(d.offset(Position::new(1, 5), Encoding::Utf16), bang);
        let ok = d.as_str().find("ок").unwrap();
        assert_eq!(d.position(ok, Encoding::Utf16), Position::new(2, 0));
        // Past the end of a line clamps to its end (before \r\n).
        assert_eq!(
            d.offset(Position::new(0, 99), Encoding::Utf16),
            "Привет".len()
        );
        // Past the last line clamps to the end of the text.
        assert_eq!(
            d.offset(Position::new(9, 0), Encoding::Utf16),
            d.as_str().len()
        );
        // Inside the surrogate pair rounds down to the emoji's start.
        let emoji = d.as_str().find('😀').unwrap();
        assert_eq!(d.offset(Position::new(1, 4), Encoding::Utf16), emoji);
    }

    #[test]
    fn positions_in_one_sweep_equal_positions_one_by_one() {
        let d = DocText::new("Ой 😀 мы же!!!\r\nвторая 😀 строка\nтретья".to_owned());
        let offsets: Vec<usize> = (0..=d.as_str().len() + 3).rev().collect();
        for enc in [Encoding::Utf16, Encoding::Utf8] {
            let swept = d.positions(&offsets, enc);
            let single: Vec<Position> = offsets.iter().map(|&o| d.position(o, enc)).collect();
            assert_eq!(swept, single);
        }
    }

    #[test]
    fn incremental_edits_apply_in_order() {
        let mut d = DocText::new("Мы же вас\nпредупреждали".to_owned());
        let edit = |sl, sc, el, ec, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(sl, sc), Position::new(el, ec))),
            range_length: None,
            text: text.to_owned(),
        };
        d.apply(edit(0, 3, 0, 5, "вас"), Encoding::Utf16);
        assert_eq!(d.as_str(), "Мы вас вас\nпредупреждали");
        d.apply(edit(0, 6, 1, 0, " "), Encoding::Utf16);
        assert_eq!(d.as_str(), "Мы вас предупреждали");
        d.apply(
            TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "новый".into(),
            },
            Encoding::Utf16,
        );
        assert_eq!(d.as_str(), "новый");
        assert_eq!(d.position(10, Encoding::Utf16), Position::new(0, 5));
    }
}
