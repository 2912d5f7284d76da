//! The object as a policy language sees it.
//!
//! Rego and CEL both read the object as plain JSON-like data. The loader's tree already holds
//! scalars resolved as Kubernetes resolves them, so the conversion is a straight walk; source
//! positions stay behind in the tree, where findings are located.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kube_cel::cel;
use palisade_load::{Node, Value};

/// The tree as a Rego value.
pub fn to_rego(node: &Node) -> regorus::Value {
    match &node.value {
        Value::Null => regorus::Value::Null,
        Value::Bool(b) => regorus::Value::from(*b),
        Value::Int(i) => regorus::Value::from(*i),
        Value::Float(f) => regorus::Value::from(*f),
        Value::Str(s) => regorus::Value::from(s.as_str()),
        Value::Seq(items) => regorus::Value::from(items.iter().map(to_rego).collect::<Vec<_>>()),
        Value::Map(entries) => regorus::Value::from(
            entries
                .iter()
                .map(|e| (regorus::Value::from(e.key.as_str()), to_rego(&e.value)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// The tree as a CEL value.
pub fn to_cel(node: &Node) -> cel::Value {
    match &node.value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Int(i) => cel::Value::Int(*i),
        Value::Float(f) => cel::Value::Float(*f),
        Value::Str(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Seq(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Map(entries) => cel_map(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_cel(&e.value)))
                .collect(),
        ),
    }
}

/// A CEL map with string keys.
pub fn cel_map(entries: Vec<(String, cel::Value)>) -> cel::Value {
    let map: HashMap<cel::objects::Key, cel::Value> = entries
        .into_iter()
        .map(|(k, v)| (cel::objects::Key::String(Arc::new(k)), v))
        .collect();
    cel::Value::Map(cel::objects::Map { map: Arc::new(map) })
}

/// A CEL string.
pub fn cel_str(text: &str) -> cel::Value {
    cel::Value::String(Arc::new(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_load::{Limits, parse_str};

    fn node(yaml: &str) -> Node {
        parse_str(yaml, &Limits::default()).documents.remove(0).root
    }

    #[test]
    fn scalars_keep_the_types_kubernetes_gives_them() {
        let n = node("a: on\nb: 0777\nc: '1'\nd: [1.5, ~]\n");
        let rego = to_rego(&n);
        assert_eq!(rego["a"], regorus::Value::from(true));
        assert_eq!(rego["b"], regorus::Value::from(511i64));
        assert_eq!(rego["c"], regorus::Value::from("1"));
        assert_eq!(rego["d"][1], regorus::Value::Null);
        let cel::Value::Map(m) = to_cel(&n) else {
            panic!("not a map")
        };
        let key = cel::objects::Key::String(Arc::new("b".into()));
        assert_eq!(m.map.get(&key), Some(&cel::Value::Int(511)));
    }
}
