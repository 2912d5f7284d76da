//! Label selectors, as Kubernetes evaluates them.
//!
//! Two shapes exist. A Service, a ReplicationController and a NetworkPolicy's older peers use a
//! plain map (`app: web`): every pair must match. Workloads, NetworkPolicies, PodDisruptionBudgets
//! and most newer kinds use a `LabelSelector` with `matchLabels` and `matchExpressions`
//! (`In`, `NotIn`, `Exists`, `DoesNotExist`), all ANDed. An empty `LabelSelector` selects
//! everything; a missing one usually selects nothing (callers decide, per field). A selector
//! that cannot be read (an unknown operator, a value that is not a string) is kept as
//! [`Selector::Invalid`] so callers can say "unknown" rather than guess.

use palisade_load::Node;

/// A label selector read from a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Requirements, all of which must hold. No requirement selects everything.
    Requirements(Vec<Requirement>),
    /// A selector Kubernetes would reject, or one Palisade cannot evaluate.
    Invalid(String),
}

/// One requirement on one label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Operator,
    /// The values for `In` and `NotIn`; one value for an equality from `matchLabels`.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Selector {
    /// Reads a `LabelSelector` (`matchLabels`, `matchExpressions`).
    pub fn from_label_selector(node: &Node) -> Selector {
        if node.is_null() {
            return Selector::Requirements(Vec::new());
        }
        if !node.is_map() {
            return Selector::Invalid("a label selector must be a mapping".into());
        }
        let mut reqs = Vec::new();
        if let Some(labels) = node.get("matchLabels") {
            match equality_requirements(labels) {
                Ok(r) => reqs.extend(r),
                Err(e) => return Selector::Invalid(e),
            }
        }
        for expr in node.get("matchExpressions").map_or(&[][..], Node::items) {
            let key = expr.get("key").and_then(Node::as_str);
            let op = expr.get("operator").and_then(Node::as_str);
            let (Some(key), Some(op)) = (key, op) else {
                return Selector::Invalid("a match expression needs `key` and `operator`".into());
            };
            let op = match op {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => return Selector::Invalid(format!("unknown operator `{other}`")),
            };
            let mut values = Vec::new();
            for v in expr.get("values").map_or(&[][..], Node::items) {
                match v.scalar_text() {
                    Some(t) => values.push(t),
                    None => return Selector::Invalid("a selector value must be a string".into()),
                }
            }
            reqs.push(Requirement {
                key: key.to_string(),
                op,
                values,
            });
        }
        Selector::Requirements(reqs)
    }

    /// Reads a plain `key: value` map selector (a Service's `spec.selector`).
    pub fn from_map(node: &Node) -> Selector {
        match equality_requirements(node) {
            Ok(r) => Selector::Requirements(r),
            Err(e) => Selector::Invalid(e),
        }
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        matches!(self, Selector::Requirements(r) if r.is_empty())
    }

    /// Whether an object with `labels` is selected; `None` when the selector is invalid.
    pub fn matches(&self, labels: &Labels) -> Option<bool> {
        match self {
            Selector::Invalid(_) => None,
            Selector::Requirements(reqs) => Some(reqs.iter().all(|r| r.matches(labels))),
        }
    }
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.op {
            Operator::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

fn equality_requirements(node: &Node) -> Result<Vec<Requirement>, String> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    if !node.is_map() {
        return Err("labels must be a mapping".into());
    }
    let mut reqs = Vec::new();
    for e in node.entries() {
        let Some(value) = e.value.scalar_text() else {
            return Err(format!("the value of label `{}` must be a string", e.key));
        };
        reqs.push(Requirement {
            key: e.key.clone(),
            op: Operator::In,
            values: vec![value],
        });
    }
    Ok(reqs)
}

/// The labels of an object or pod template, sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// Reads a `labels:` mapping; entries whose value is not a scalar are left out.
    pub fn from_node(node: Option<&Node>) -> Labels {
        let mut pairs: Vec<(String, String)> = node
            .map_or(&[][..], Node::entries)
            .iter()
            .filter_map(|e| e.value.scalar_text().map(|v| (e.key.clone(), v)))
            .collect();
        pairs.sort();
        Labels(pairs)
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Labels {
        let mut pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        pairs.sort();
        Labels(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl crate::Object {
    /// The object's own labels.
    pub fn label_set(&self) -> Labels {
        Labels::from_node(self.root.get("metadata").and_then(|m| m.get("labels")))
    }

    /// The labels its pods get: a Pod's own, a workload's template labels.
    pub fn pod_labels(&self) -> Option<Labels> {
        let pod = self.pod.as_ref()?;
        let meta = self.node(&pod.metadata);
        Some(Labels::from_node(meta.and_then(|m| m.get("labels"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_load::{Limits, parse_str};

    fn node(yaml: &str) -> Node {
        parse_str(yaml, &Limits::default()).documents.remove(0).root
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let s = Selector::from_label_selector(&node(
            "matchLabels: {app: web}\nmatchExpressions:\n- {key: tier, operator: In, values: [a, b]}\n- {key: canary, operator: DoesNotExist}\n",
        ));
        let yes = Labels::from_pairs([("app", "web"), ("tier", "b")]);
        let canary = Labels::from_pairs([("app", "web"), ("tier", "b"), ("canary", "1")]);
        let other = Labels::from_pairs([("app", "web"), ("tier", "c")]);
        assert_eq!(s.matches(&yes), Some(true));
        assert_eq!(s.matches(&canary), Some(false));
        assert_eq!(s.matches(&other), Some(false));
    }

    #[test]
    fn not_in_holds_when_the_label_is_absent_and_empty_selects_all() {
        let s = Selector::from_label_selector(&node(
            "matchExpressions: [{key: env, operator: NotIn, values: [prod]}]\n",
        ));
        assert_eq!(s.matches(&Labels::default()), Some(true));
        assert_eq!(
            s.matches(&Labels::from_pairs([("env", "prod")])),
            Some(false)
        );
        let empty = Selector::from_label_selector(&node("{}\n"));
        assert!(empty.is_empty());
        assert_eq!(empty.matches(&Labels::default()), Some(true));
    }

    #[test]
    fn unknown_operators_are_invalid_not_guessed() {
        let s = Selector::from_label_selector(&node(
            "matchExpressions: [{key: a, operator: Gt, values: ['1']}]\n",
        ));
        assert!(matches!(s, Selector::Invalid(_)));
        assert_eq!(s.matches(&Labels::default()), None);
    }

    #[test]
    fn map_selectors_need_every_pair() {
        let s = Selector::from_map(&node("app: web\nversion: v1\n"));
        assert_eq!(
            s.matches(&Labels::from_pairs([("app", "web"), ("version", "v1")])),
            Some(true)
        );
        assert_eq!(
            s.matches(&Labels::from_pairs([("app", "web")])),
            Some(false)
        );
    }
}
