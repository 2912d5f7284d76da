//! The human format: rustc-style diagnostics that quote the user's line and underline the key,
//! then a summary.

use std::fmt::Write;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use palisade_engine::{FileDiagnostic, Finding, ScanReport};
use palisade_load::Span;
use palisade_rules::Severity;

use crate::Options;

/// Most lines quoted for one finding.
const MAX_QUOTED_LINES: u32 = 4;

pub fn render(report: &ScanReport, options: &Options) -> String {
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for file in &report.files {
        let lines = file
            .text
            .as_deref()
            .map(|t| LineIndex::new(t, &file.sensitive));
        for d in &file.diagnostics {
            let group = diagnostic(d, lines.as_ref());
            let _ = writeln!(out, "{}\n", renderer.render(&[group]));
        }
        for f in &file.findings {
            let group = finding(f, lines.as_ref());
            let _ = writeln!(out, "{}\n", renderer.render(&[group]));
        }
    }
    // Warnings about the configuration and the baseline: every warning counted is printed.
    for d in &report.other_diagnostics {
        let lines = report
            .other_texts
            .get(&d.file)
            .map(|t| LineIndex::new(t, &[]));
        let group = diagnostic(d, lines.as_ref());
        let _ = writeln!(out, "{}\n", renderer.render(&[group]));
    }
    summary(&mut out, report, options.color);
    out
}

fn severity_level(s: Severity) -> Level<'static> {
    match s {
        Severity::Critical => Level::ERROR.with_name("critical"),
        Severity::High => Level::ERROR.with_name("high"),
        Severity::Medium => Level::WARNING.with_name("medium"),
        Severity::Low => Level::NOTE.with_name("low"),
    }
}

fn finding<'a>(f: &'a Finding, lines: Option<&LineIndex<'a>>) -> Group<'a> {
    let title = severity_level(f.severity)
        .primary_title(printable(&f.message))
        .id(f.rule.id);
    let snippet = quote(&f.file, lines, f.span, f.rule.name, Mask::Sensitive);
    let mut group = title.element(snippet);
    let subject = match &f.dockerfile {
        Some(site) => site.describe(),
        None => f.resource.to_string(),
    };
    group = group.element(Level::NOTE.message(format!("in {}", printable(&subject))));
    group.element(Level::HELP.message(format!(
        "{}; see `palisade rules explain {}`",
        printable(f.rule.summary),
        f.rule.id
    )))
}

fn diagnostic<'a>(d: &'a FileDiagnostic, lines: Option<&LineIndex<'a>>) -> Group<'a> {
    let level = if d.is_error() {
        Level::ERROR
    } else {
        Level::WARNING
    };
    let title = level.primary_title(printable(&d.message)).id(d.code);
    match d.span {
        // A file that could not be loaded has no known secret values, so every value on a
        // quoted line is masked.
        Some(span) if d.is_error() => title.element(quote(&d.file, lines, span, "", Mask::Values)),
        Some(span) => title.element(quote(&d.file, lines, span, "", Mask::Sensitive)),
        None => title.element(Level::NOTE.message(format!("path: {}", printable(&d.file)))),
    }
}

/// A snippet of the quoted lines with the span underlined.
fn quote<'a>(
    path: &'a str,
    lines: Option<&LineIndex<'a>>,
    span: Span,
    label: &'a str,
    mask: Mask,
) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
    // Without the text (it could not be read as text), the place goes with the path.
    let path = printable(path);
    let Some(lines) = lines else {
        let at = match span.start.line {
            0 => path.into_owned(),
            line => format!("{path}:{line}:{}", span.start.column.max(1)),
        };
        return Snippet::source("")
            .path(at)
            .line_start(span.start.line as usize);
    };
    let first = span.start.line.max(1);
    let last = span
        .end
        .line
        .clamp(first, first + MAX_QUOTED_LINES - 1)
        .min(lines.count().max(1));
    let first = first.min(last);
    let excerpt = printable_excerpt(lines.excerpt(first, last, mask));

    let start = byte_at(&excerpt, 0, span.start.column);
    let end = if span.end.line > last || span.end.line < span.start.line {
        excerpt.trim_end_matches('\n').len()
    } else {
        byte_at(&excerpt, span.end.line - first, span.end.column)
    };
    let end = if end <= start {
        next_char_boundary(&excerpt, start)
    } else {
        end
    };

    let mut annotation = AnnotationKind::Primary.span(start..end);
    if !label.is_empty() {
        annotation = annotation.label(label);
    }
    Snippet::source(excerpt)
        .path(path)
        .line_start(first as usize)
        .annotation(annotation)
}

/// `line` with everything after its key masked, character for character: the indentation,
/// list dashes and a leading key (up to and including the first `:` or `=`, or a Dockerfile
/// keyword) stay, so the user sees where the error is, but no value shows.
fn mask_values(line: &str) -> String {
    let is_key_char = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | '"' | '\'' | ' ')
    };
    // Flow indicators that open a line or a value (`[`, `{`) are structure: a YAML plain
    // scalar cannot start with one, and a quoted one starts with its quote.
    // A `{{` opens a template directive instead.
    let indicators = |text: &str| {
        let mut n = 0;
        while let Some(c) = text[n..].chars().next() {
            if !matches!(c, '[' | '{' | ' ' | '\t') || text[n..].starts_with("{{") {
                break;
            }
            n += 1;
        }
        n
    };
    let body = line.trim_start_matches([' ', '\t']);
    let mut keep = line.len() - body.len();
    let mut rest = body;
    while let Some(after) = rest.strip_prefix("- ") {
        keep += 2;
        rest = after;
    }
    let opened = indicators(rest);
    keep += opened;
    rest = &rest[opened..];
    let key_end = rest
        .char_indices()
        .find(|&(_, c)| !is_key_char(c))
        .filter(|&(_, c)| c == ':' || c == '=')
        .map(|(i, _)| i + 1);
    keep += match key_end {
        Some(end) => end,
        None => {
            let word = rest.split([' ', '\t']).next().unwrap_or("");
            if !word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase()) {
                word.len()
            } else {
                0
            }
        }
    };
    // The blank after the key is layout, and a template directive with no literal in it
    // (`{{ .Release.Name }}`) names values without holding one.
    keep += indicators(&line[keep..]);
    let value = line[keep..].trim_end();
    if value.starts_with("{{") && value.ends_with("}}") && !value.contains(['"', '\'', '`']) {
        return line.to_string();
    }
    let (kept, masked) = line.split_at(keep);
    let mut out = kept.to_string();
    out.extend(
        masked
            .chars()
            .map(|c| if c == '\n' || c == '\r' { c } else { '*' }),
    );
    out
}

/// Whether the character at 1-based `line`, `column` lies inside one of `spans`.
fn inside(spans: &[Span], line: u32, column: u32) -> bool {
    let at = palisade_load::Pos { line, column };
    spans.iter().any(|s| s.start <= at && at < s.end)
}

/// Byte offset of 1-based `column` (in characters) on line `line` (0-based) of `text`.
fn byte_at(text: &str, line: u32, column: u32) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u32 == line {
            let content = l.trim_end_matches(['\n', '\r']);
            let within = content
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map_or(content.len(), |(b, _)| b);
            return offset + within;
        }
        offset += l.len();
    }
    text.len()
}

fn next_char_boundary(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .filter(|c| *c != '\n')
        .map_or(at, |c| at + c.len_utf8())
}

/// Line starts of a file, to cut excerpts without scanning the whole text for each finding,
/// and the spans that must be masked wherever they are quoted.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    sensitive: &'a [Span],
}

/// What an excerpt hides.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mask {
    /// The sensitive spans found in the file.
    Sensitive,
    /// Every value (see [`mask_values`]).
    Values,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str, sensitive: &'a [Span]) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            text,
            starts,
            sensitive,
        }
    }

    fn count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// Lines `first..=last` (1-based), with their line breaks, sensitive values replaced by
    /// `*` character for character (so positions still line up; spaces are masked too, so a
    /// value's shape does not show).
    fn excerpt(&self, first: u32, last: u32, mask: Mask) -> String {
        let from = self.starts[(first - 1) as usize];
        let to = self
            .starts
            .get(last as usize)
            .copied()
            .unwrap_or(self.text.len());
        let raw = &self.text[from..to];
        if mask == Mask::Values {
            return raw.split_inclusive('\n').map(mask_values).collect();
        }
        let relevant: Vec<Span> = self
            .sensitive
            .iter()
            .filter(|s| s.start.line <= last && s.end.line >= first)
            .copied()
            .collect();
        if relevant.is_empty() {
            return raw.to_string();
        }
        let mut out = String::with_capacity(raw.len());
        for (i, line) in raw.split_inclusive('\n').enumerate() {
            let number = first + i as u32;
            // Indentation is layout, not part of any value.
            let indent = line.chars().take_while(|c| *c == ' ' || *c == '\t').count();
            for (col, ch) in line.chars().enumerate() {
                let masked = col >= indent
                    && ch != '\n'
                    && ch != '\r'
                    && inside(&relevant, number, col as u32 + 1);
                out.push(if masked { '*' } else { ch });
            }
        }
        out
    }
}

/// Characters a terminal acts on rather than shows: C0 and C1 controls (escape sequences
/// recolour output, set the window title or move the cursor) and the bidirectional
/// formatting characters that reorder what a line appears to say.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from the scanned files (names, values in messages, paths) as the reader should see
/// it: each character a terminal would act on is written as its escape (`\u{1b}`).
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    escaped(text, acts_on_terminal)
}

/// Plain text for a terminal (the answers of `netpol`, `who-can` and `rules explain`,
/// messages on standard error) with every character a terminal would act on written as its
/// escape, as [`printable`] does; line breaks and tabs stay.
pub fn terminal_safe(text: String) -> String {
    match escaped(&text, |c| acts_on_terminal(c) && !matches!(c, '\t' | '\n')) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

/// `text` with each character `escape` picks written as its Unicode escape.
fn escaped(text: &str, escape: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(&escape) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A quoted excerpt with each character a terminal would act on (tabs and line ends aside)
/// replaced by U+FFFD: one character for one, so columns still line up with the span.
fn printable_excerpt(excerpt: String) -> String {
    let acts = |c: char| acts_on_terminal(c) && !matches!(c, '\t' | '\n' | '\r');
    if !excerpt.chars().any(acts) {
        return excerpt;
    }
    excerpt
        .chars()
        .map(|c| if acts(c) { '\u{fffd}' } else { c })
        .collect()
}

fn summary(out: &mut String, report: &ScanReport, color: bool) {
    let s = &report.summary;
    let bold = anstyle::Style::new().bold();
    let (b, r) = if color {
        (bold.render().to_string(), bold.render_reset().to_string())
    } else {
        (String::new(), String::new())
    };
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };

    let dockerfiles = if s.dockerfiles > 0 {
        format!(", {}", plural(s.dockerfiles, "Dockerfile"))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{b}Scanned{r} {}: {}{dockerfiles}, {} not Kubernetes; {}, {}.",
        plural(s.files, "file"),
        plural(s.objects, "object"),
        s.not_kubernetes,
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
    );
    let by: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|&sev| format!("{} {}", s.by_severity[sev as usize], sev))
        .collect();
    let score = s
        .score
        .map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}/100"));
    let suppressed = if s.suppressed > 0 {
        format!(" {} suppressed (see `--format json`).", s.suppressed)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{b}Findings{r}: {} ({}).{suppressed} {b}Score{r}: {score}.",
        s.findings,
        by.join(", ")
    );
    if !s.not_checked.is_empty() {
        let kinds: Vec<String> = s
            .not_checked
            .iter()
            .map(|(k, n)| format!("{} ({n})", printable(k)))
            .collect();
        let _ = writeln!(
            out,
            "{b}Not checked{r} (no rule for the kind, or no pod template found): {}.",
            kinds.join(", ")
        );
    }
    if s.policies > 0 {
        let _ = writeln!(
            out,
            "{b}Policies{r}: {} ValidatingAdmissionPolicy or binding object(s) read from the files and run as custom rules.",
            s.policies
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_from_the_files_are_shown_not_obeyed() {
        // An object name that would recolour the output and set the window title.
        assert_eq!(
            printable("a\u{1b}[31mRED\u{1b}]0;title\u{7}"),
            "a\\u{1b}[31mRED\\u{1b}]0;title\\u{7}"
        );
        assert_eq!(printable("evil\u{202e}txt.yaml"), "evil\\u{202e}txt.yaml");
        assert!(matches!(printable("web-1"), std::borrow::Cow::Borrowed(_)));
        // In excerpts one character stands for one, so the underline stays in place.
        let quoted = printable_excerpt("name: a\u{1b}[2J\tb\r\n".to_string());
        assert_eq!(quoted, "name: a\u{fffd}[2J\tb\r\n");
        assert_eq!(byte_at(&quoted, 0, 10), "name: a\u{fffd}[".len());
        assert_eq!(
            terminal_safe("web\u{1b}[2J\tok\n".to_string()),
            "web\\u{1b}[2J\tok\n"
        );
    }

    #[test]
    fn values_on_lines_that_could_not_be_loaded_are_masked() {
        assert_eq!(mask_values("  value: \"Leak666\n"), "  value: ********\n");
        assert_eq!(mask_values("- name: x\n"), "- name: *\n");
        assert_eq!(
            mask_values("  name: {{ .Release.Name }}\n"),
            "  name: {{ .Release.Name }}\n"
        );
        assert_eq!(
            mask_values("  pw: {{ .Values.pw | default \"Leak5\" }}\n"),
            format!(
                "  pw: {}\n",
                "*".repeat("{{ .Values.pw | default \"Leak5\" }}".len())
            )
        );
        assert_eq!(
            mask_values("EVN DB_PASSWORD=Leak444"),
            "EVN DB_PASSWORD=*******"
        );
        assert_eq!(
            mask_values("    DB_PASSWORD=Leak999 \\"),
            "    DB_PASSWORD=*********"
        );
        assert_eq!(mask_values("RUN curl {{x}}"), "RUN **********");
        assert_eq!(mask_values("  just-a-value"), "  ************");
        // Flow collections keep their opening brackets and a key right after them.
        assert_eq!(mask_values("  env: [\n"), "  env: [\n");
        assert_eq!(
            mask_values("  env: [{name: A, value: Leak1}]\n"),
            "  env: [{***********************\n"
        );
        assert_eq!(
            mask_values("{\"apiVersion\": \"v1\", \"kind\": \"Leak2\"\n"),
            "{\"apiVersion\": *********************\n"
        );
        assert_eq!(mask_values("  - [Leak3, x]\n"), "  - [*********\n");
    }

    #[test]
    fn sensitive_spans_are_masked_across_lines() {
        let text = "env:\n- {name: A, value: two words}\nkey: |\n  line one\n  line two\nnext: x\n";
        let pos = |line, column| palisade_load::Pos { line, column };
        let spans = [
            Span::new(pos(2, 20), pos(2, 29)),
            Span::new(pos(3, 6), pos(6, 1)),
        ];
        let index = LineIndex::new(text, &spans);
        let excerpt = index.excerpt(2, 6, Mask::Sensitive);
        assert_eq!(
            excerpt,
            "- {name: A, value: *********}\nkey: *\n  ********\n  ********\nnext: x\n"
        );
    }

    #[test]
    fn a_file_that_could_not_be_read_as_text_is_located_by_its_path() {
        let pos = palisade_load::Pos { line: 4, column: 6 };
        let d = FileDiagnostic {
            file: "latin1.yaml".into(),
            code: "read",
            error: true,
            message: "not UTF-8 text".into(),
            span: Some(Span::new(pos, pos)),
        };
        let group = diagnostic(&d, None);
        let text = Renderer::plain().render(&[group]);
        assert!(text.contains("--> latin1.yaml:4:6"), "{text}");
    }

    #[test]
    fn columns_are_characters_not_bytes() {
        let text = "é: x\n  key: v\n";
        assert_eq!(byte_at(text, 0, 2), 2);
        assert_eq!(byte_at(text, 1, 3), "é: x\n".len() + 2);
    }
}
