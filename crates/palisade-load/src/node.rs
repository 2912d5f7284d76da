//! The spanned document tree.
//!
//! Every node remembers where it was written, so that anything built on top of the tree can
//! point a user at the exact key that is wrong. Mappings keep their entries in source order and
//! keep each key's own position next to the value.

use std::fmt;

/// A position in a source file: 1-based line, 1-based column counted in Unicode code points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A half-open range of source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Self {
        Span { start, end }
    }

    /// A span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The text of `source` this span covers, as written (`1.30` where the value is the
    /// number 1.3); `None` unless it lies within one line of `source`.
    pub fn text_in(self, source: &str) -> Option<&str> {
        let (start, end) = (self.start, self.end);
        if start.line == 0 || start.line != end.line || end.column < start.column {
            return None;
        }
        let line = source.split('\n').nth(start.line as usize - 1)?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut offsets = line
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(line.len()));
        let from = offsets.nth(start.column.checked_sub(1)? as usize)?;
        let to = match (end.column - start.column) as usize {
            0 => from,
            n => offsets.nth(n - 1)?,
        };
        line.get(from..to)
    }
}

/// One node of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// A node's value, with scalars already resolved the way Kubernetes resolves them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping. Keys are kept as the strings Kubernetes would see.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            // The last occurrence wins, as it does for Kubernetes' own decoder.
            Value::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The scalar as text, whatever its type (`8080`, `true`, `web`); `None` for collections
    /// and null.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }

    /// Follows a path of keys and indexes from this node.
    pub fn at(&self, path: &[Segment]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match seg {
                Segment::Key(k) => node.get(k)?,
                Segment::Index(i) => node.items().get(*i)?,
            };
        }
        Some(node)
    }

    /// Where a finding about `path` should point: the span of the deepest key (or sequence
    /// item) on the path that exists. For an existing key the span runs from the key to the
    /// end of a scalar value, so both are underlined; for a collection value only the key is.
    pub fn locate(&self, path: &[Segment]) -> Span {
        let mut node = self;
        let mut span = self.span;
        for seg in path {
            match seg {
                Segment::Key(k) => match node.entry(k) {
                    Some(entry) => {
                        span = match entry.value.value {
                            Value::Map(_) | Value::Seq(_) => entry.key_span,
                            _ => entry.key_span.to(entry.value.span),
                        };
                        node = &entry.value;
                    }
                    None => break,
                },
                Segment::Index(i) => match node.items().get(*i) {
                    Some(item) => {
                        span = match item.value {
                            // A mapping item starts with its first key: point there.
                            Value::Map(ref entries) if !entries.is_empty() => entries[0].key_span,
                            _ => item.span,
                        };
                        node = item;
                    }
                    None => break,
                },
            }
        }
        span
    }

    /// The value as JSON-like text for messages; strings are quoted.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::Str(s) => format!("{s:?}"),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
            _ => self.scalar_text().unwrap_or_default(),
        }
    }
}

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from an object's root to one of its fields, such as
/// `spec.template.spec.containers[0].securityContext`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// Parses the dotted form used in tables and configuration: `spec.jobTemplate.spec`.
    pub fn parse_dotted(text: &str) -> Self {
        FieldPath(
            text.split('.')
                .filter(|s| !s.is_empty())
                .map(|s| Segment::Key(s.to_string()))
                .collect(),
        )
    }

    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.into()));
        p
    }

    pub fn index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(index));
        p
    }

    /// Appends several keys at once: `path.keys(&["securityContext", "privileged"])`.
    pub fn keys(&self, keys: &[&str]) -> Self {
        let mut p = self.clone();
        p.0.extend(keys.iter().map(|k| Segment::Key((*k).to_string())));
        p
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Key(k) if is_plain_key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{k:?}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_print_like_kubectl_explain() {
        let p = FieldPath::parse_dotted("spec.template")
            .index(2)
            .key("metadata")
            .key("container.apparmor.security.beta.kubernetes.io/web");
        assert_eq!(
            p.to_string(),
            r#"spec.template[2].metadata["container.apparmor.security.beta.kubernetes.io/web"]"#
        );
    }

    #[test]
    fn a_scalar_span_gives_the_text_as_written() {
        let text = "a: 1.30\nb: {v: 1.30, w: \"é\", x: 0x1F}\r\nc: [1.0]\n";
        let parsed = crate::parse_str(text, &crate::Limits::default());
        let root = &parsed.documents[0].root;
        let at = |n: &Node| n.span.text_in(text);
        assert_eq!(root.get("a").unwrap().value, Value::Float(1.3));
        assert_eq!(at(root.get("a").unwrap()), Some("1.30"));
        let b = root.get("b").unwrap();
        assert_eq!(at(b.get("v").unwrap()), Some("1.30"));
        assert_eq!(at(b.get("w").unwrap()), Some("\"é\""));
        assert_eq!(at(b.get("x").unwrap()), Some("0x1F"));
        assert_eq!(at(&root.get("c").unwrap().items()[0]), Some("1.0"));
        assert_eq!(Span::default().text_in(text), None);
    }
}
