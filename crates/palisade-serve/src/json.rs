//! The object of an AdmissionReview, read straight into the loader's tree.
//!
//! `palisade scan` reads JSON through the YAML parser, which is general and positions every
//! node. The API server's JSON needs neither: it is canonical (no comments, no anchors, no
//! YAML scalars) and nobody is shown a line number in an admission response. Building the same
//! [`Node`] tree directly from serde's events is several times faster, which matters on the
//! path of every write to a cluster. The tree is the one `parse_str` builds for the same text
//! except that spans are empty; a test holds the two equal on the conformance fixtures.

use std::fmt;

use palisade_load::{Entry, Node, Span, Value};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value as a loader [`Node`] without positions.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonNode(pub Node);

fn node(value: Value) -> Node {
    Node {
        value,
        span: Span::default(),
    }
}

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NodeVisitor(Part::Value))
            .map(JsonNode)
    }
}

/// An object as the API server sends it, without `metadata.managedFields`: that is the API
/// server's record of which client set which field, often the largest part of an object,
/// and no rule reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AdmittedObject(pub Node);

impl<'de> Deserialize<'de> for AdmittedObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NodeVisitor(Part::Object))
            .map(AdmittedObject)
    }
}

/// Where in an object a value is, for what is left out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The object itself: its `metadata` is a [`Part::Metadata`].
    Object,
    /// `metadata`: `managedFields` is skipped.
    Metadata,
    /// Anything else: read in full.
    Value,
}

struct NodeVisitor(Part);

impl<'de> de::DeserializeSeed<'de> for NodeVisitor {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(node(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(node(Value::Int(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(node(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(v as f64),
        }))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(node(Value::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(node(Value::Str(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(node(Value::Str(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(NodeVisitor(Part::Value))? {
            items.push(item);
        }
        Ok(node(Value::Seq(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<String>()? {
            let part = match (self.0, key.as_str()) {
                (Part::Object, "metadata") => Part::Metadata,
                (Part::Metadata, "managedFields") => {
                    map.next_value::<de::IgnoredAny>()?;
                    continue;
                }
                _ => Part::Value,
            };
            let value = map.next_value_seed(NodeVisitor(part))?;
            entries.push(Entry {
                key,
                key_span: Span::default(),
                value,
            });
        }
        Ok(node(Value::Map(entries)))
    }
}

/// Parses JSON text into a tree.
pub fn parse(text: &str) -> Result<Node, serde_json::Error> {
    serde_json::from_str::<JsonNode>(text).map(|n| n.0)
}

/// The tree without positions, for comparing trees built by different readers.
pub fn strip_spans(node: &Node) -> Node {
    let value = match &node.value {
        Value::Seq(items) => Value::Seq(items.iter().map(strip_spans).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|e| Entry {
                    key: e.key.clone(),
                    key_span: Span::default(),
                    value: strip_spans(&e.value),
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        value,
        span: Span::default(),
    }
}

/// Writes a tree back as JSON (used for tests and for re-reading a patched object).
pub fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Str(s) => s.clone().into(),
        Value::Seq(items) => items.iter().map(to_json).collect(),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_load::{Limits, parse_str};

    fn same_as_loader(text: &str) {
        let fast = parse(text).unwrap();
        let mut slow = parse_str(text, &Limits::default());
        assert!(slow.diagnostics.is_empty(), "{:?}", slow.diagnostics);
        let slow = slow.documents.remove(0).root;
        assert_eq!(strip_spans(&slow), fast, "{text}");
    }

    #[test]
    fn builds_the_loaders_tree() {
        same_as_loader(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"on","b":"0777"}},
               "spec":{"hostPID":false,"priority":-3,"ratio":1.5,"big":1e3,"x":null,"empty":{},
               "list":[],"containers":[{"name":"c","image":"nginx:1.27","ports":[{"containerPort":80}]}]}}"#,
        );
    }

    #[test]
    fn admitted_objects_leave_out_managed_fields_only() {
        let text = r#"{"metadata":{"name":"p","managedFields":[{"manager":"kubectl"}]},"spec":{"managedFields":1}}"#;
        let AdmittedObject(obj) = serde_json::from_str(text).unwrap();
        assert!(obj.get("metadata").unwrap().get("managedFields").is_none());
        assert!(obj.get("metadata").unwrap().get("name").is_some());
        assert!(obj.get("spec").unwrap().get("managedFields").is_some());
    }

    #[test]
    fn rejects_what_is_not_json() {
        assert!(parse("{\"a\": ").is_err());
        assert!(parse("a: b").is_err());
    }
}
