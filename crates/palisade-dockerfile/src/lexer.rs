//! From text to raw instructions: parser directives, comments, logical lines and heredocs.
//!
//! This follows BuildKit's reader. Parser directives (`# syntax=`, `# escape=`, `# check=`)
//! are read only at the very top. A line ending in the escape character (`\`, or `` ` `` after
//! `# escape=``) continues on the next line; comment lines and blank lines inside a
//! continuation are dropped. `RUN`, `COPY` and `ADD` may carry heredocs (`<<EOF`, `<<-EOF`,
//! `<<"EOF"`), any number of them anywhere in the logical line; their bodies follow the line in
//! order, each up to its delimiter. A line whose first word is not an instruction is a located
//! error, and reading goes on with the next line.

use std::ops::Range;

use crate::source::Mapped;

/// The parser directives at the top of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// The escape character: `\` unless `# escape=`` ` chose the backtick.
    pub escape: char,
    /// `# syntax=` (the frontend image), if given.
    pub syntax: Option<String>,
    /// `# check=` (BuildKit's build-check settings), if given.
    pub check: Option<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Directives {
            escape: '\\',
            syntax: None,
            check: None,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub directives: Directives,
    pub instructions: Vec<RawInstruction>,
    pub comments: Vec<RawComment>,
    /// Messages with the file range they are about.
    pub errors: Vec<(String, Range<usize>)>,
}

/// A comment line between instructions: `text` is what follows the `#`.
#[derive(Debug)]
pub(crate) struct RawComment {
    pub text: String,
    pub range: Range<usize>,
    /// How many instructions come before it.
    pub before_instruction: usize,
}

#[derive(Debug)]
pub(crate) struct RawInstruction {
    pub keyword: String,
    pub keyword_range: Range<usize>,
    /// The logical text after the keyword, leading whitespace removed.
    pub rest: Mapped,
    pub heredocs: Vec<RawHeredoc>,
    /// The whole instruction, heredoc bodies included.
    pub range: Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawHeredoc {
    /// Byte range of the `<<EOF` word in `rest`.
    pub marker: Range<usize>,
    pub delimiter: String,
    /// `false` when the delimiter is quoted: no variable expansion in the body.
    pub expand: bool,
    /// The body, each line with its line break, mapped to the file.
    pub body: Mapped,
    /// The file range from the first body line to the end of the delimiter line.
    pub range: Range<usize>,
}

/// Instructions that may carry heredocs.
fn takes_heredocs(keyword: &str) -> bool {
    ["RUN", "COPY", "ADD"]
        .iter()
        .any(|k| keyword.eq_ignore_ascii_case(k))
}

/// One physical line: its content (without the line break) and where it starts.
struct Line<'a> {
    text: &'a str,
    start: usize,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let (content_end, next) = match text[start..].find('\n') {
            Some(i) => (start + i, start + i + 1),
            None => (text.len(), text.len()),
        };
        let content = text[start..content_end]
            .strip_suffix('\r')
            .unwrap_or(&text[start..content_end]);
        out.push(Line {
            text: content,
            start,
        });
        start = next;
    }
    out
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Whether a line continues on the next: it ends with the escape character, maybe followed by
/// spaces or tabs. Returns the content without the escape.
fn continued(line: &str, escape: char) -> Option<&str> {
    line.trim_end_matches([' ', '\t']).strip_suffix(escape)
}

pub(crate) fn lex(text: &str) -> Lexed {
    let lines = lines(text);
    let mut out = Lexed::default();
    let mut i = read_directives(&lines, &mut out);
    let escape = out.directives.escape;

    while i < lines.len() {
        let line = &lines[i];
        if is_blank(line.text) {
            i += 1;
            continue;
        }
        if is_comment(line.text) {
            let hash = line.start + line.text.find('#').unwrap_or(0);
            out.comments.push(RawComment {
                text: text[hash + 1..line.start + line.text.len()].to_string(),
                range: hash..line.start + line.text.len(),
                before_instruction: out.instructions.len(),
            });
            i += 1;
            continue;
        }

        // Keyword and the rest of the first line.
        let lead = line.text.len() - line.text.trim_start().len();
        let kw_start = line.start + lead;
        let kw_len = line.text[lead..]
            .find(char::is_whitespace)
            .unwrap_or(line.text.len() - lead);
        let keyword = line.text[lead..lead + kw_len].to_string();
        let keyword_range = kw_start..kw_start + kw_len;

        // Join continuation lines into one logical text.
        let mut rest = Mapped::default();
        let mut piece_start = lead + kw_len;
        let mut last_end;
        loop {
            let l = &lines[i];
            let content = &l.text[piece_start.min(l.text.len())..];
            match continued(content, escape) {
                Some(head) => {
                    rest.push_str(head, l.start + piece_start);
                    last_end = l.start + l.text.len();
                    i += 1;
                    // Comment and blank lines inside a continuation are dropped.
                    while i < lines.len() && (is_comment(lines[i].text) || is_blank(lines[i].text))
                    {
                        i += 1;
                    }
                    if i >= lines.len() {
                        break;
                    }
                    piece_start = 0;
                }
                None => {
                    rest.push_str(content, l.start + piece_start);
                    last_end = l.start + l.text.len();
                    i += 1;
                    break;
                }
            }
        }
        let rest = trim_mapped(&rest, last_end);

        // Heredoc bodies follow the logical line, in the order of their markers.
        let mut heredocs = Vec::new();
        let mut end = last_end;
        if takes_heredocs(&keyword) && !looks_like_json(&rest.text) {
            for (marker, delimiter, strip_tabs, expand) in heredoc_markers(&rest.text, escape) {
                let body_start = lines.get(i).map_or(text.len(), |l| l.start);
                let mut body = Mapped::default();
                let mut terminated = false;
                while i < lines.len() {
                    let l = &lines[i];
                    let (shown, cut) = if strip_tabs {
                        let t = l.text.trim_start_matches('\t');
                        (t, l.text.len() - t.len())
                    } else {
                        (l.text, 0)
                    };
                    i += 1;
                    if shown == delimiter {
                        terminated = true;
                        end = l.start + l.text.len();
                        break;
                    }
                    body.push_str(shown, l.start + cut);
                    body.push_str("\n", l.start + l.text.len());
                    end = l.start + l.text.len();
                }
                body.finish(end);
                if !terminated {
                    out.errors.push((
                        format!("heredoc `{delimiter}` is never closed: no line holds only `{delimiter}`"),
                        rest.range(marker.start, marker.end),
                    ));
                }
                heredocs.push(RawHeredoc {
                    marker,
                    delimiter,
                    expand,
                    body,
                    range: body_start..end.max(body_start),
                });
            }
        }

        out.instructions.push(RawInstruction {
            keyword,
            keyword_range: keyword_range.clone(),
            rest,
            heredocs,
            range: keyword_range.start..end.max(keyword_range.end),
        });
    }
    out
}

/// The logical text without leading and trailing whitespace, mapping kept.
fn trim_mapped(m: &Mapped, end: usize) -> Mapped {
    let mut m = m.clone();
    m.finish(end);
    let start = m.text.len() - m.text.trim_start().len();
    let stop = m.text.trim_end().len();
    m.slice(start, stop.max(start))
}

/// Reads the parser directives; returns the index of the first line after them.
fn read_directives(lines: &[Line<'_>], out: &mut Lexed) -> usize {
    let mut seen: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((key, value, value_range)) = directive(&lines[i]) else {
            break;
        };
        if seen.contains(&key) {
            // A directive given twice is not a directive; BuildKit reads it as a comment.
            break;
        }
        seen.push(key.clone());
        match key.as_str() {
            "escape" => match value.as_str() {
                "\\" => out.directives.escape = '\\',
                "`" => out.directives.escape = '`',
                other => out.errors.push((
                    format!(
                        "invalid escape character `{other}`: only `\\` and `` ` `` are allowed"
                    ),
                    value_range,
                )),
            },
            "syntax" => out.directives.syntax = Some(value),
            "check" => out.directives.check = Some(value),
            _ => break,
        }
        i += 1;
    }
    i
}

/// `# key=value` with a letter-initial key.
fn directive(line: &Line<'_>) -> Option<(String, String, Range<usize>)> {
    let body = line.text.strip_prefix('#')?;
    let eq = body.find('=')?;
    let key = body[..eq].trim();
    if key.is_empty()
        || !key.starts_with(|c: char| c.is_ascii_alphabetic())
        || !key.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let raw_value = &body[eq + 1..];
    let value = raw_value.trim();
    if value.is_empty() {
        return None;
    }
    let value_start = line.start + 1 + eq + 1 + (raw_value.len() - raw_value.trim_start().len());
    Some((
        key.to_ascii_lowercase(),
        value.to_string(),
        value_start..value_start + value.len(),
    ))
}

pub(crate) fn looks_like_json(rest: &str) -> bool {
    rest.starts_with('[') && crate::words::json_array(rest).is_some()
}

/// Heredoc markers among the words of `rest`: the word's range, the delimiter, whether tabs are
/// stripped and whether the body is expanded.
fn heredoc_markers(rest: &str, escape: char) -> Vec<(Range<usize>, String, bool, bool)> {
    let mut out = Vec::new();
    for w in crate::words::split(rest, escape) {
        let word = &rest[w.clone()];
        let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let Some(after) = word[digits..].strip_prefix("<<") else {
            continue;
        };
        let (strip_tabs, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let (delimiter, quoted) = unquote_delimiter(after);
        if delimiter.is_empty()
            || !delimiter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            continue;
        }
        out.push((w, delimiter, strip_tabs, !quoted));
    }
    out
}

fn unquote_delimiter(text: &str) -> (String, bool) {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return (inner.to_string(), true);
        }
    }
    if let Some(inner) = text.strip_prefix('\\') {
        return (inner.to_string(), true);
    }
    (text.to_string(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_drop_comment_and_blank_lines() {
        let l = lex("FROM a\nRUN echo a \\\n# note\n\n  && echo b\nUSER x\n");
        assert_eq!(l.instructions.len(), 3);
        let run = &l.instructions[1];
        assert_eq!(run.rest.text, "echo a   && echo b");
        assert_eq!(run.range, 7..39);
        assert!(l.comments.is_empty());
    }

    #[test]
    fn escape_directive_switches_to_backtick() {
        let l = lex("# escape=`\nFROM a\nRUN dir c:\\ `\n  /b\n");
        assert_eq!(l.directives.escape, '`');
        assert_eq!(l.instructions[1].rest.text, "dir c:\\   /b");
    }

    #[test]
    fn directives_only_at_the_top() {
        let l = lex("# syntax=docker/dockerfile:1\n\n# escape=`\nFROM a\n");
        assert_eq!(l.directives.syntax.as_deref(), Some("docker/dockerfile:1"));
        assert_eq!(l.directives.escape, '\\');
        assert_eq!(l.comments.len(), 1);
    }

    #[test]
    fn several_heredocs_anywhere_in_the_line() {
        let text =
            "FROM a\nRUN <<A cat - <<-\"B\" > /x\nbody a\nA\n\tbody b\n\tB\nCOPY <<F /dst\nf\nF\n";
        let l = lex(text);
        assert_eq!(l.instructions.len(), 3);
        let run = &l.instructions[1];
        assert_eq!(run.heredocs.len(), 2);
        assert_eq!(run.heredocs[0].body.text, "body a\n");
        assert!(run.heredocs[0].expand);
        assert_eq!(run.heredocs[1].body.text, "body b\n");
        assert!(!run.heredocs[1].expand);
        assert_eq!(
            &text[run.range.clone()],
            "RUN <<A cat - <<-\"B\" > /x\nbody a\nA\n\tbody b\n\tB"
        );
        assert_eq!(l.instructions[2].heredocs[0].body.text, "f\n");
    }

    #[test]
    fn an_unclosed_heredoc_is_an_error_at_its_marker() {
        let text = "FROM a\nRUN <<EOF\necho\n";
        let l = lex(text);
        assert_eq!(l.errors.len(), 1);
        assert_eq!(&text[l.errors[0].1.clone()], "<<EOF");
    }
}
