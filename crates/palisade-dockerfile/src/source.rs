//! Positions in the original file.
//!
//! The lexer works on byte offsets into the file's text. Instructions that span several lines
//! are joined into one logical line (continuations and the comment lines inside them removed),
//! so a [`Mapped`] string keeps, for every byte of the logical text, the offset it came from.
//! [`LineIndex`] then turns offsets into the 1-based line and character column that reports use.

use palisade_load::{Pos, Span};

/// Line starts of a text, to turn byte offsets into positions.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The position of byte `offset`; columns count characters.
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = text[start..offset].chars().count() + 1;
        Pos {
            line: line as u32,
            column: column as u32,
        }
    }

    pub fn span(&self, text: &str, range: std::ops::Range<usize>) -> Span {
        Span::new(self.pos(text, range.start), self.pos(text, range.end))
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A logical text cut from the file, with the file offset of each of its bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mapped {
    pub text: String,
    /// `offsets[i]` is the file offset of byte `i` of `text`; one extra entry maps the end.
    offsets: Vec<usize>,
}

impl Mapped {
    pub fn push_str(&mut self, piece: &str, file_offset: usize) {
        self.text.push_str(piece);
        self.offsets
            .extend((0..piece.len()).map(|i| file_offset + i));
    }

    /// Appends another mapped text (without its end mark).
    pub fn push_mapped(&mut self, other: &Mapped) {
        self.text.push_str(&other.text);
        self.offsets
            .extend((0..other.text.len()).map(|i| other.offset(i)));
    }

    /// Closes the text: `end` is the file offset just past its last byte.
    pub fn finish(&mut self, end: usize) {
        self.offsets.push(end);
    }

    /// The file offset of logical byte `i`.
    pub fn offset(&self, i: usize) -> usize {
        match self.offsets.get(i) {
            Some(&o) => o,
            None => self.offsets.last().copied().unwrap_or(0),
        }
    }

    /// The file range of the logical range `start..end`, ending just after the last byte.
    pub fn range(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let from = self.offset(start);
        let to = if end > start {
            self.offset(end - 1) + 1
        } else {
            from
        };
        from..to.max(from)
    }

    /// A sub-text `start..end` keeping the mapping.
    pub fn slice(&self, start: usize, end: usize) -> Mapped {
        let end = end.min(self.text.len());
        let start = start.min(end);
        let mut offsets = self.offsets[start..end].to_vec();
        offsets.push(if end > start {
            self.offsets[end - 1] + 1
        } else {
            self.offset(start)
        });
        Mapped {
            text: self.text[start..end].to_string(),
            offsets,
        }
    }

    /// The file offset of each character, by character index (what brush-parser counts).
    pub fn char_offsets(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .text
            .char_indices()
            .map(|(i, _)| self.offset(i))
            .collect();
        out.push(self.offset(self.text.len()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let text = "é x\nab";
        let idx = LineIndex::new(text);
        assert_eq!(idx.pos(text, 3), Pos { line: 1, column: 3 });
        assert_eq!(idx.pos(text, 5), Pos { line: 2, column: 1 });
        assert_eq!(idx.pos(text, 99), Pos { line: 2, column: 3 });
    }

    #[test]
    fn mapped_text_keeps_file_offsets() {
        let mut m = Mapped::default();
        m.push_str("ab", 10);
        m.push_str("cd", 20);
        m.finish(22);
        assert_eq!(m.range(1, 3), 11..21);
        let s = m.slice(2, 4);
        assert_eq!(s.text, "cd");
        assert_eq!(s.range(0, 2), 20..22);
    }
}
