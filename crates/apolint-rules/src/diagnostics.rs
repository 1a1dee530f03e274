//! Errors in rule and config files, pointed at file, line and column and
//! rendered with ariadne.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};

/// `text` without a leading byte-order mark (Windows editors write one).
/// Files apolint loads are read without it, so a problem's column counts
/// from the first character the user sees, and a parser (JSON's) does
/// not stumble on it.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A problem in a file apolint was asked to load (rule pack or config).
#[derive(Debug, Clone)]
pub struct FileError {
    /// The file's name as shown to the user.
    pub file: String,
    /// The file's full text (to show the offending line).
    pub text: Arc<str>,
    /// Byte range of the problem in `text`.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it, when we can tell.
    pub help: Option<String>,
}

impl FileError {
    /// A new error at `range` of `file`.
    pub fn new(
        file: &str,
        text: &Arc<str>,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let len = text.len();
        let start = floor_char_boundary(text, range.start.min(len));
        let end = floor_char_boundary(text, range.end.clamp(start, len));
        FileError {
            file: file.to_owned(),
            text: Arc::clone(text),
            range: start..end,
            message: message.into(),
            help: None,
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column (in characters) of the start of the problem.
    pub fn line_col(&self) -> (usize, usize) {
        line_col(&self.text, self.range.start)
    }

    /// Renders the error with the offending line underlined.
    pub fn render(&self, color: bool) -> String {
        // About the file as a whole (unreadable, a folder): no line to show.
        if self.text.is_empty() {
            let help = self
                .help
                .as_ref()
                .map_or(String::new(), |h| format!(" ({h})"));
            return format!("error: {}: {}{help}\n", self.file, self.message);
        }
        // ariadne prints whole lines; a machine-written file can have one of
        // megabytes. Such a line is shown as an excerpt around the problem.
        let line_start = self.text[..self.range.start]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line_end = self.text[self.range.start..]
            .find('\n')
            .map_or(self.text.len(), |i| self.range.start + i);
        if line_end - line_start > 400 {
            let from = floor_char_boundary(
                &self.text,
                self.range.start.saturating_sub(60).max(line_start),
            );
            let to = floor_char_boundary(&self.text, (self.range.start + 60).min(line_end));
            let caret = self.text[from..self.range.start].chars().count() + 6;
            let mut out = format!(
                "error: {self}\n  | …{}…\n{:>caret$}\n",
                &self.text[from..to],
                "^"
            );
            if let Some(h) = &self.help {
                out.push_str(&format!("  = help: {h}\n"));
            }
            return out;
        }
        let id = self.file.as_str();
        let mut report = Report::build(ReportKind::Error, (id, self.range.clone()))
            .with_config(
                Config::default()
                    .with_color(color)
                    .with_index_type(IndexType::Byte),
            )
            .with_message(format!("{}: {}", self.location(), self.message))
            .with_label(Label::new((id, self.range.clone())).with_message(&self.message));
        if let Some(help) = &self.help {
            report = report.with_help(help);
        }
        let mut out = Vec::new();
        let written = report
            .finish()
            .write((id, Source::from(self.text.as_ref())), &mut out);
        match written {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(_) => format!("error: {self}\n"),
        }
    }

    /// `file:line:column`.
    pub fn location(&self) -> String {
        let (line, col) = self.line_col();
        format!("{}:{}:{}", self.file, line, col)
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for FileError {}

/// 1-based line and column (column counts Unicode scalar values) of a byte
/// offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

/// The largest char boundary at or below `i`.
pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The closest of `candidates` to `name`, if any is close enough to be a
/// plausible typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Turns a TOML parse error into a pointed [`FileError`].
pub fn from_toml(file: &str, text: &Arc<str>, err: &toml::de::Error) -> FileError {
    let range = err.span().unwrap_or(0..0);
    let message = err.message().trim().to_owned();
    FileError::new(file, text, range, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "первая\nвторая строка";
        let off = text.find("строка").unwrap();
        assert_eq!(line_col(text, off), (2, 8));
        assert_eq!(line_col(text, 0), (1, 1));
    }

    #[test]
    fn rendering_names_file_line_and_column() {
        let text: Arc<str> = Arc::from("a = 1\nb = ?\n");
        let e = FileError::new("x.toml", &text, 10..11, "bad value").with_help("use a number");
        let shown = e.render(false);
        assert!(shown.contains("x.toml:2:5"), "{shown}");
        assert!(shown.contains("bad value"));
        assert!(shown.contains("use a number"));
    }

    #[test]
    fn closest_suggests_typos_only() {
        assert_eq!(closest("cliché", ["cliche", "hint"]), Some("cliche"));
        assert_eq!(closest("zzz", ["cliche", "hint"]), None);
    }
}
