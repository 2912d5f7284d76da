//! From text to spanned documents.
//!
//! `granit-parser` supplies the YAML events (in its default, PyYAML-compatible indentation
//! mode, which matches what Kubernetes' Go decoder accepts far better than strict YAML 1.2); this module builds the tree from them and adds what
//! Kubernetes needs and YAML parsers do not do by default: go-yaml v2 scalar resolution, `<<`
//! merge keys, last-key-wins duplicates (with a warning), and budgets that stop alias bombs and
//! runaway nesting with a located error instead of exhausting memory. JSON goes through the same
//! path: it is valid YAML flow syntax, and the positions come for free.

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use crate::node::{Entry, Node, Pos, Span, Value};
use crate::resolve;

/// Budgets that keep hostile or broken input from exhausting the machine.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Files larger than this are refused before parsing.
    pub max_file_bytes: u64,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Nodes that alias expansion may create in one document.
    pub max_alias_nodes: usize,
    /// Nodes that alias expansion may create in one file, all documents together.
    pub max_alias_nodes_per_file: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 * 1024 * 1024,
            max_depth: 200,
            max_alias_nodes: 100_000,
            max_alias_nodes_per_file: 1_000_000,
        }
    }
}

/// One YAML document of a stream (or the single document of a JSON file).
#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based position of the document in its file.
    pub index: usize,
    pub root: Node,
}

/// What went wrong, or what looks wrong, in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    pub message: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiagnosticKind {
    /// The text is not valid YAML or JSON.
    Syntax,
    /// The file still contains template directives (`{{ … }}`) and must be rendered first.
    Template,
    /// A budget in [`Limits`] was exceeded.
    Limit,
    /// The file could not be read, or is not UTF-8 text.
    Read,
    /// A key appears twice in one mapping; the last one wins, as in Kubernetes.
    DuplicateKey,
    /// Tabs in indentation, read as spaces (Kubernetes' decoder accepts them in flow
    /// collections).
    TabIndentation,
    /// A Dockerfile `RUN` whose commands could not be analysed: its shell is not a POSIX
    /// shell, or its text could not be parsed as shell.
    ShellNotAnalysed,
    /// A configuration file that could not be used.
    Config,
    /// A suppression or configuration names a rule that does not exist.
    UnknownRule,
    /// Another tool's configuration file (`.hadolint.yaml`) has a key that tool does not
    /// know: most likely a typo, and the setting is not applied.
    UnknownKey,
}

impl DiagnosticKind {
    /// Errors stop the file from being fully checked; warnings do not.
    pub fn is_error(self) -> bool {
        !matches!(
            self,
            DiagnosticKind::DuplicateKey
                | DiagnosticKind::TabIndentation
                | DiagnosticKind::ShellNotAnalysed
                | DiagnosticKind::UnknownRule
                | DiagnosticKind::UnknownKey
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticKind::Syntax => "syntax",
            DiagnosticKind::Template => "template",
            DiagnosticKind::Limit => "limit",
            DiagnosticKind::Read => "read",
            DiagnosticKind::DuplicateKey => "duplicate-key",
            DiagnosticKind::TabIndentation => "tab-indentation",
            DiagnosticKind::ShellNotAnalysed => "shell-not-analysed",
            DiagnosticKind::Config => "config",
            DiagnosticKind::UnknownRule => "unknown-rule",
            DiagnosticKind::UnknownKey => "unknown-key",
        }
    }
}

/// The documents of one file, the warnings met on the way, and the error that stopped parsing,
/// if any. Documents before the error are kept.
#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a YAML stream or a JSON text.
///
/// A file that fails only because a line is indented with tabs is parsed again with those tabs
/// read as spaces, as Kubernetes' decoder reads them inside flow collections; the result then
/// carries a warning pointing at the first such line.
pub fn parse_str(text: &str, limits: &Limits) -> Parsed {
    let parsed = parse_once(text, limits);
    if parsed
        .diagnostics
        .iter()
        .any(|d| d.kind == DiagnosticKind::Syntax)
        && let Some(stream) = json_stream(text, limits)
    {
        return stream;
    }
    let tab_error = parsed
        .diagnostics
        .last()
        .filter(|d| d.kind == DiagnosticKind::Syntax && d.message.contains("tabs disallowed"));
    let Some(error) = tab_error else {
        return parsed;
    };
    let error_span = error.span;
    if !inside_flow_collection(text, error_span.start.line) {
        return parsed;
    }
    let untabbed: String = text
        .split_inclusive('\n')
        .map(|line| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let (head, tail) = line.split_at(indent);
            format!("{}{tail}", head.replace('\t', " "))
        })
        .collect();
    let mut retried = parse_once(&untabbed, limits);
    if retried.diagnostics.iter().any(|d| d.kind.is_error()) {
        return parsed;
    }
    retried.diagnostics.push(Diagnostic {
        kind: DiagnosticKind::TabIndentation,
        message: "tab characters in indentation, read as spaces; Kubernetes accepts them only \
                  inside flow collections (`[…]`, `{…}`)"
            .into(),
        span: error_span,
    });
    retried
}

/// A text of several JSON values one after another, which `kubectl apply` accepts and
/// `jq -c '.items[]'` writes, but YAML reads as one document followed by garbage: each value
/// is parsed on its own, as one document, and its positions are moved to where it sits in
/// the text. `None` when the text is not such a stream of valid JSON values.
fn json_stream(text: &str, limits: &Limits) -> Option<Parsed> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !body.trim_start().starts_with(['{', '[']) {
        return None;
    }
    let mut values = serde_json::Deserializer::from_str(body).into_iter::<serde::de::IgnoredAny>();
    let mut ends = Vec::new();
    while let Some(value) = values.next() {
        value.ok()?;
        ends.push(values.byte_offset());
    }
    if ends.len() < 2 {
        return None;
    }
    let mut out = Parsed {
        documents: Vec::new(),
        diagnostics: Vec::new(),
    };
    let mut start = 0;
    for end in ends {
        let value = body[start..end].trim_start();
        let before = &body[..end - value.len()];
        start = end;
        let lines = before.matches('\n').count() as u32;
        let columns = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count() as u32;
        let part = parse_once(value, limits);
        for mut doc in part.documents {
            shift_node(&mut doc.root, lines, columns);
            doc.index = out.documents.len();
            out.documents.push(doc);
        }
        for mut d in part.diagnostics {
            shift(&mut d.span, lines, columns);
            out.diagnostics.push(d);
        }
    }
    Some(out)
}

/// Moves a span parsed from a piece of text to where the piece starts: `lines` lines down,
/// and `columns` columns right on the piece's first line.
fn shift(span: &mut Span, lines: u32, columns: u32) {
    for pos in [&mut span.start, &mut span.end] {
        if pos.line == 1 {
            pos.column += columns;
        }
        if pos.line > 0 {
            pos.line += lines;
        }
    }
}

fn shift_node(node: &mut Node, lines: u32, columns: u32) {
    shift(&mut node.span, lines, columns);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift_node(n, lines, columns)),
        Value::Map(entries) => {
            for e in entries {
                shift(&mut e.key_span, lines, columns);
                shift_node(&mut e.value, lines, columns);
            }
        }
        _ => {}
    }
}

/// Whether the start of `line` (1-based) lies inside a flow collection (`[…]` or `{…}`),
/// counting brackets outside quotes and comments on the lines before it.
fn inside_flow_collection(text: &str, line: u32) -> bool {
    let mut depth: i32 = 0;
    for l in text.lines().take(line.saturating_sub(1) as usize) {
        let mut quote: Option<char> = None;
        for c in l.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => depth += 1,
                (None, ']' | '}') => depth -= 1,
                _ => {}
            }
        }
    }
    depth > 0
}

fn parse_once(text: &str, limits: &Limits) -> Parsed {
    let mut builder = Builder {
        limits: *limits,
        parsed: Parsed::default(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        file_alias_nodes: 0,
        doc_start: Pos::default(),
        template_suspect: text.contains("{{"),
    };
    let mut parser = Parser::new_from_str(text);
    // Where each line starts, found the first time a block scalar needs it.
    let mut line_starts: Vec<usize> = Vec::new();
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                builder.fail_scan(&e);
                break;
            }
        };
        let mut span = convert_span(span);
        if let Event::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded, _, _) = &event {
            span = block_scalar_span(text, &mut line_starts, span);
        }
        match builder.on_event(event, span) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Stop) => break,
            Err(diag) => {
                builder.parsed.diagnostics.push(diag);
                break;
            }
        }
    }
    builder.parsed
}

/// A block scalar (`|` or `>`) ends, for the parser, where the next token starts: at the
/// indentation of the line after its last line. Findings about its value must not reach into
/// that line, so the span ends after the last character of its last non-blank line.
fn block_scalar_span(text: &str, line_starts: &mut Vec<usize>, span: Span) -> Span {
    if line_starts.is_empty() {
        line_starts.push(0);
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    }
    let line_text = |line: u32| -> Option<&str> {
        let i = (line as usize).checked_sub(1)?;
        let start = *line_starts.get(i)?;
        let end = line_starts.get(i + 1).copied().unwrap_or(text.len());
        text.get(start..end)
            .map(|l| l.trim_end_matches(['\n', '\r']))
    };
    let mut line = span.end.line;
    // The part of the end line before the end column.
    if let Some(l) = line_text(line) {
        let before: String = l
            .chars()
            .take(span.end.column.saturating_sub(1) as usize)
            .collect();
        if !before.trim().is_empty() {
            return span;
        }
    }
    while line > span.start.line {
        line -= 1;
        let Some(l) = line_text(line) else { break };
        if !l.trim().is_empty() {
            let end = Pos {
                line,
                column: l.trim_end().chars().count() as u32 + 1,
            };
            return Span::new(span.start, end.max(span.start));
        }
    }
    span
}

/// The first JSON syntax error in `text`, a stream of JSON values as a `.json` manifest
/// holds. Such a file is read with the YAML parser like any other, for positions and scalar
/// rules, but YAML accepts what JSON does not (trailing commas, comments, unquoted keys)
/// and Kubernetes' decoder reads a `.json` file as strict JSON, so the file is first held
/// to JSON's own grammar.
pub fn json_syntax_error(text: &str) -> Option<Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    for value in stream {
        if let Err(e) = value {
            let pos = Pos {
                line: e.line() as u32,
                column: e.column().max(1) as u32,
            };
            let message = e.to_string();
            // serde_json appends " at line L column C"; the span carries that already.
            let message = match message.rfind(" at line ") {
                Some(i) => message[..i].to_string(),
                None => message,
            };
            return Some(diag(
                DiagnosticKind::Syntax,
                format!("not valid JSON: {message}"),
                Span::new(pos, pos),
            ));
        }
    }
    None
}

fn convert_pos(m: granit_parser::Marker) -> Pos {
    Pos {
        line: m.line() as u32,
        column: m.col() as u32 + 1,
    }
}

fn convert_span(s: granit_parser::Span) -> Span {
    Span::new(convert_pos(s.start), convert_pos(s.end))
}

enum Flow {
    Continue,
    Stop,
}

/// A mapping key waiting for its value.
enum PendingKey {
    Plain(String, Span),
    /// `<<`: the value is merged into the enclosing mapping.
    Merge(Span),
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        merges: Vec<Node>,
        key: Option<PendingKey>,
        start: Span,
        anchor: usize,
    },
}

struct Builder {
    limits: Limits,
    parsed: Parsed,
    stack: Vec<Frame>,
    /// Anchored nodes and their size in nodes, for the alias budget.
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    file_alias_nodes: usize,
    doc_start: Pos,
    template_suspect: bool,
}

impl Builder {
    fn fail_scan(&mut self, e: &ScanError) {
        let pos = convert_pos(*e.marker());
        let (kind, message) = if self.template_suspect {
            (
                DiagnosticKind::Template,
                format!(
                    "this file contains template directives (`{{{{ … }}}}`) and is not valid YAML ({}); \
                     render it first, e.g. `helm template … | palisade scan -`",
                    e.info()
                ),
            )
        } else if e.info().contains("recursion limit") {
            (
                DiagnosticKind::Limit,
                format!(
                    "nesting deeper than {} levels (the parser stopped: {}); refusing to parse \
                     further",
                    self.limits.max_depth,
                    e.info()
                ),
            )
        } else {
            (
                DiagnosticKind::Syntax,
                format!("invalid YAML: {}", e.info()),
            )
        };
        self.parsed.diagnostics.push(Diagnostic {
            kind,
            message,
            span: Span::new(pos, pos),
        });
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<Flow, Diagnostic> {
        match event {
            Event::StreamStart | Event::Anchor(..) => {}
            Event::UnresolvedAlias(name) => {
                return Err(diag(
                    DiagnosticKind::Syntax,
                    format!("alias `*{name}` refers to no anchor defined before it"),
                    span,
                ));
            }
            Event::StreamEnd => return Ok(Flow::Stop),
            Event::DocumentStart(..) => {
                self.doc_start = span.start;
                self.alias_nodes = 0;
            }
            Event::DocumentEnd => {}
            Event::Scalar(text, style, anchor, tag) => {
                let node = self.scalar(&text, style, tag.as_deref(), span)?;
                self.complete(node, anchor, Some((style, text.as_ref())))?;
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(diag(
                        DiagnosticKind::Syntax,
                        "alias refers to an unknown anchor",
                        span,
                    ));
                };
                self.alias_nodes += size;
                self.file_alias_nodes += size;
                if self.file_alias_nodes > self.limits.max_alias_nodes_per_file {
                    return Err(diag(
                        DiagnosticKind::Limit,
                        format!(
                            "aliases expand to more than {} nodes in this file (an alias bomb?); \
                             refusing to expand further",
                            self.limits.max_alias_nodes_per_file
                        ),
                        span,
                    ));
                }
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(diag(
                        DiagnosticKind::Limit,
                        format!(
                            "aliases expand to more than {} nodes in this document \
                             (an alias bomb?); refusing to expand further",
                            self.limits.max_alias_nodes
                        ),
                        span,
                    ));
                }
                let node = node.clone();
                self.complete(node, 0, None)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    start: span,
                    anchor,
                });
            }
            Event::MappingStart(_, anchor, _) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    merges: Vec::new(),
                    key: None,
                    start: span,
                    anchor,
                });
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq {
                    items,
                    start,
                    anchor,
                }) = self.stack.pop()
                else {
                    return Err(diag(DiagnosticKind::Syntax, "unbalanced sequence", span));
                };
                let node = Node {
                    value: Value::Seq(items),
                    span: start.to(span),
                };
                self.complete(node, anchor, None)?;
            }
            Event::MappingEnd => {
                let Some(Frame::Map {
                    entries,
                    merges,
                    start,
                    anchor,
                    ..
                }) = self.stack.pop()
                else {
                    return Err(diag(DiagnosticKind::Syntax, "unbalanced mapping", span));
                };
                let entries = self.finish_mapping(entries, merges)?;
                let node = Node {
                    value: Value::Map(entries),
                    span: start.to(span),
                };
                self.complete(node, anchor, None)?;
            }
            // Comments and other metadata events carry no data.
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn check_depth(&self, span: Span) -> Result<(), Diagnostic> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(diag(
                DiagnosticKind::Limit,
                format!(
                    "nesting deeper than {} levels; refusing to parse further",
                    self.limits.max_depth
                ),
                span,
            ));
        }
        Ok(())
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let core = tag.and_then(Tag::core_suffix);
        let value = match core {
            Some(suffix) => resolve::tagged_scalar(text, suffix)
                .map_err(|m| diag(DiagnosticKind::Syntax, m, span))?,
            // A non-specific `!` tag or a local tag: quoted stays a string, plain resolves.
            _ if style == ScalarStyle::Plain => resolve::plain_scalar(text),
            _ => Value::Str(text.to_string()),
        };
        Ok(Node { value, span })
    }

    /// Attaches a finished node to its parent, or ends the document when there is none.
    fn complete(
        &mut self,
        node: Node,
        anchor: usize,
        scalar: Option<(ScalarStyle, &str)>,
    ) -> Result<(), Diagnostic> {
        if anchor != 0 {
            let size = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let template_suspect = self.template_suspect;
        match self.stack.last_mut() {
            None => {
                let index = self.parsed.documents.len();
                self.parsed.documents.push(Document { index, root: node });
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                merges,
                key,
                ..
            }) => match key.take() {
                None => {
                    *key = Some(mapping_key(&node, scalar, template_suspect)?);
                }
                Some(PendingKey::Plain(k, key_span)) => entries.push(Entry {
                    key: k,
                    key_span,
                    value: node,
                }),
                Some(PendingKey::Merge(key_span)) => {
                    check_merge_source(&node, key_span)?;
                    merges.push(node);
                }
            },
        }
        Ok(())
    }

    /// Drops earlier duplicates (with a warning) and applies `<<` merges.
    fn finish_mapping(
        &mut self,
        mut entries: Vec<Entry>,
        merges: Vec<Node>,
    ) -> Result<Vec<Entry>, Diagnostic> {
        if entries.len() > 1 {
            let mut seen: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
            let mut dropped = Vec::new();
            for (i, e) in entries.iter().enumerate() {
                if let Some(prev) = seen.insert(e.key.as_str(), i) {
                    dropped.push(prev);
                    self.parsed.diagnostics.push(diag(
                        DiagnosticKind::DuplicateKey,
                        format!(
                            "key `{}` appears twice in this mapping (first at line {})",
                            e.key, entries[prev].key_span.start.line
                        ),
                        e.key_span,
                    ));
                }
            }
            if !dropped.is_empty() {
                dropped.sort_unstable();
                for i in dropped.into_iter().rev() {
                    entries.remove(i);
                }
            }
        }

        // Explicit keys win over merged ones; among merged maps, the first one listed wins.
        for source in merges {
            let maps: Vec<Node> = match source.value {
                Value::Map(_) => vec![source],
                Value::Seq(items) => items,
                _ => Vec::new(),
            };
            for map in maps {
                if let Value::Map(merged) = map.value {
                    for e in merged {
                        if !entries.iter().any(|x| x.key == e.key) {
                            entries.push(e);
                        }
                    }
                }
            }
        }
        Ok(entries)
    }
}

fn mapping_key(
    node: &Node,
    scalar: Option<(ScalarStyle, &str)>,
    template_suspect: bool,
) -> Result<PendingKey, Diagnostic> {
    if let Some((ScalarStyle::Plain, "<<")) = scalar {
        return Ok(PendingKey::Merge(node.span));
    }
    match node.scalar_text() {
        Some(text) => Ok(PendingKey::Plain(text, node.span)),
        None if node.is_null() => Ok(PendingKey::Plain("null".into(), node.span)),
        None if template_suspect => Err(diag(
            DiagnosticKind::Template,
            "a mapping is used as a key, which is what an unrendered `{{ … }}` template \
             directive looks like to YAML; render the template first, e.g. \
             `helm template … | palisade scan -`",
            node.span,
        )),
        None => Err(diag(
            DiagnosticKind::Syntax,
            "a mapping or list is used as a mapping key; Kubernetes objects only have text keys",
            node.span,
        )),
    }
}

fn check_merge_source(node: &Node, key_span: Span) -> Result<(), Diagnostic> {
    let ok = match &node.value {
        Value::Map(_) => true,
        Value::Seq(items) => items.iter().all(Node::is_map),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(diag(
            DiagnosticKind::Syntax,
            "a `<<` merge key needs a mapping or a list of mappings",
            key_span,
        ))
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|e| 1 + count_nodes(&e.value)).sum(),
        _ => 0,
    }
}

fn diag(kind: DiagnosticKind, message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic {
        kind,
        message: message.into(),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed {
        parse_str(text, &Limits::default())
    }

    #[test]
    fn multi_document_streams_keep_each_document() {
        let p = parse("a: 1\n---\nb: 2\n---\n");
        assert!(p.diagnostics.is_empty());
        let roots: Vec<_> = p.documents.iter().filter(|d| !d.root.is_null()).collect();
        assert_eq!(roots.len(), 2);
        assert_eq!(roots[1].root.get("b").unwrap().as_i64(), Some(2));
    }

    #[test]
    fn json_is_held_to_its_own_grammar() {
        assert!(json_syntax_error("{\"a\": 1}\n{\"b\": [1, 2]}\n").is_none());
        let d = json_syntax_error("{\n  \"a\": 1,\n}\n").unwrap();
        assert_eq!(d.span.start.line, 3);
        assert!(d.message.starts_with("not valid JSON: "), "{}", d.message);
        assert!(json_syntax_error("# comment\n{}").is_some());
    }

    #[test]
    fn a_stream_of_json_values_is_one_document_each_at_its_own_place() {
        let p = parse(
            "{\"kind\": \"Pod\"}\n{\"kind\": \"Service\",\n \"spec\": {\"type\": \"NodePort\"}}  [1]\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.documents.len(), 3);
        assert_eq!(p.documents[1].index, 1);
        let service = &p.documents[1].root;
        assert_eq!(service.get("kind").unwrap().as_str(), Some("Service"));
        assert_eq!(service.span.start, Pos { line: 2, column: 1 });
        let kind = service.entry("kind").unwrap();
        assert_eq!(kind.key_span.start, Pos { line: 2, column: 2 });
        let ty = service.get("spec").unwrap().entry("type").unwrap();
        assert_eq!(
            ty.value.span.start,
            Pos {
                line: 3,
                column: 19
            }
        );
        // The third value starts mid-line, after the second.
        assert_eq!(
            p.documents[2].root.span.start,
            Pos {
                line: 3,
                column: 33
            }
        );
        // A stream with a broken value is not split: the YAML error stands.
        let broken = parse("{\"a\": 1}\n{\"b\": }\n");
        assert!(
            broken
                .diagnostics
                .iter()
                .any(|d| d.kind == DiagnosticKind::Syntax)
        );
    }

    #[test]
    fn block_scalars_end_on_their_last_line() {
        let p = parse(
            "env:\n- name: A\n  value: |\n    line one\n    line two\n\n- name: B\n  value: >-\n    folded\nnext: 1\n",
        );
        let root = &p.documents[0].root;
        let env = root.get("env").unwrap().items();
        let a = env[0].get("value").unwrap();
        assert!(a.span.start.line <= 4, "{:?}", a.span);
        assert_eq!(
            a.span.end,
            Pos {
                line: 5,
                column: 13
            }
        );
        let b = env[1].get("value").unwrap();
        assert_eq!(
            b.span.end,
            Pos {
                line: 9,
                column: 11
            }
        );
    }

    #[test]
    fn keys_carry_their_position() {
        let p = parse("spec:\n  containers:\n  - name: x\n    image: nginx\n");
        let root = &p.documents[0].root;
        let c = &root.get("spec").unwrap().get("containers").unwrap().items()[0];
        let image = c.entry("image").unwrap();
        assert_eq!(image.key_span.start, Pos { line: 4, column: 5 });
        assert_eq!(
            image.value.span.start,
            Pos {
                line: 4,
                column: 12
            }
        );
    }

    #[test]
    fn merge_keys_merge_and_explicit_keys_win() {
        let p = parse("base: &b {a: 1, c: 2}\nthing:\n  <<: *b\n  c: 3\n");
        let thing = p.documents[0].root.get("thing").unwrap();
        assert_eq!(thing.get("a").unwrap().as_i64(), Some(1));
        assert_eq!(thing.get("c").unwrap().as_i64(), Some(3));
        assert!(thing.get("<<").is_none());
    }

    #[test]
    fn quoted_merge_key_is_an_ordinary_key() {
        let p = parse("\"<<\": 1\n");
        assert_eq!(p.documents[0].root.get("<<").unwrap().as_i64(), Some(1));
    }

    #[test]
    fn alias_bombs_stop_with_a_located_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let p = parse(&text);
        let d = p.diagnostics.last().expect("an error");
        assert_eq!(d.kind, DiagnosticKind::Limit);
        assert!(d.span.start.line >= 4, "{d:?}");
    }

    #[test]
    fn many_small_alias_bombs_stop_at_the_file_budget() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..5 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        // Each document stays under the per-document budget; together they do not.
        let text = vec![doc; 200].join("---\n");
        let p = parse(&text);
        let d = p.diagnostics.last().expect("an error");
        assert_eq!(d.kind, DiagnosticKind::Limit);
        assert!(d.message.contains("in this file"), "{}", d.message);
    }

    #[test]
    fn deep_nesting_stops_with_a_located_error() {
        let text = "[".repeat(10_000);
        let p = parse(&text);
        let d = p.diagnostics.last().expect("an error");
        assert_eq!(d.kind, DiagnosticKind::Limit);
        assert_eq!(d.span.start.line, 1);
    }

    #[test]
    fn duplicate_keys_warn_and_keep_the_last_value() {
        let p = parse("type: a\nname: n\ntype: b\n");
        let root = &p.documents[0].root;
        assert_eq!(root.get("type").unwrap().as_str(), Some("b"));
        assert_eq!(root.entries().len(), 2);
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].kind, DiagnosticKind::DuplicateKey);
        assert_eq!(p.diagnostics[0].span.start.line, 3);
    }

    #[test]
    fn unrendered_templates_are_reported_as_such() {
        let p = parse("metadata:\n  name: {{ .Values.name }}\n");
        assert_eq!(p.diagnostics.last().unwrap().kind, DiagnosticKind::Template);
        let p = parse("{{- if .Values.enabled }}\nkind: Pod\n{{- end }}\n");
        assert_eq!(p.diagnostics.last().unwrap().kind, DiagnosticKind::Template);
    }

    #[test]
    fn template_text_inside_strings_is_data() {
        let p = parse(
            "annotations:\n  summary: \"{{ $labels.job }} is down\"\n  d: Target {{ $value }}\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }

    #[test]
    fn syntax_errors_keep_earlier_documents() {
        let p = parse("a: 1\n---\nb: [1, 2\n");
        assert_eq!(p.documents.len(), 1);
        let d = p.diagnostics.last().unwrap();
        assert_eq!(d.kind, DiagnosticKind::Syntax);
        assert!(d.span.start.line >= 3);
    }

    #[test]
    fn json_documents_parse_with_positions() {
        let p = parse("{\n  \"kind\": \"Pod\",\n  \"spec\": {\"hostPID\": true}\n}\n");
        let root = &p.documents[0].root;
        assert_eq!(root.get("kind").unwrap().as_str(), Some("Pod"));
        let e = root.get("spec").unwrap().entry("hostPID").unwrap();
        assert_eq!(e.key_span.start.line, 3);
        assert_eq!(e.value.as_bool(), Some(true));
    }

    #[test]
    fn yaml_1_1_boolean_keys_become_true_and_false() {
        // go-yaml v2 reads the key `y` as the boolean true; Kubernetes then sees "true".
        let p = parse("y: 1\nn: 2\n");
        let keys: Vec<_> = p.documents[0]
            .root
            .entries()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["true", "false"]);
    }

    #[test]
    fn tabs_inside_flow_sequences_are_read_as_kubernetes_reads_them() {
        let p = parse("args:\n  [\n    \"-a\",\n\t    \"-b\",\n  ]\n");
        assert_eq!(p.documents[0].root.get("args").unwrap().items().len(), 2);
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].kind, DiagnosticKind::TabIndentation);
        assert!(!p.diagnostics[0].kind.is_error());
    }

    #[test]
    fn tabs_in_block_indentation_stay_an_error() {
        let p = parse("metadata:\n\tname: x\n");
        assert_eq!(p.diagnostics.last().unwrap().kind, DiagnosticKind::Syntax);
    }

    #[test]
    fn flow_sequences_may_close_at_the_key_indentation() {
        let p = parse("spec:\n  args: [\n      \"-x\",\n  ]\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }

    #[test]
    fn multi_line_quoted_scalars_with_crlf_parse() {
        let p = parse("config: '{\r\n    \"a\": 1\r\n  }'\r\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }

    #[test]
    fn octal_modes_resolve_like_kubernetes() {
        let p = parse("defaultMode: 0777\nquoted: '0777'\n");
        let root = &p.documents[0].root;
        assert_eq!(root.get("defaultMode").unwrap().as_i64(), Some(511));
        assert_eq!(root.get("quoted").unwrap().as_str(), Some("0777"));
    }
}
