//! Objects and their identity.

use std::fmt;

use palisade_load::{Document, FieldPath, Node, Span};

use crate::pod::{PodKindTable, PodTemplate};

/// What identifies an object to Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    /// `None` for objects that use `generateName` or have no name yet.
    pub name: Option<String>,
}

impl ObjectId {
    /// The API group: `apps` for `apps/v1`, empty for the core group (`v1`).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// The API version without its group: `v1` for `apps/v1`.
    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, version)| version)
    }
}

impl fmt::Display for ObjectId {
    /// `Deployment/web` or `Deployment/shop/web` (kind/namespace/name).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "/{ns}")?;
        }
        write!(f, "/{}", self.name.as_deref().unwrap_or("<unnamed>"))
    }
}

/// One Kubernetes object: a document, or one item of a `List`.
#[derive(Debug, Clone)]
pub struct Object {
    pub id: ObjectId,
    pub root: Node,
    /// 0-based index of the document in its file.
    pub document: usize,
    /// The index within the enclosing `List`, for list items.
    pub list_item: Option<usize>,
    /// The pod template, for pod-bearing kinds.
    pub pod: Option<PodTemplate>,
}

impl Object {
    pub fn node(&self, path: &FieldPath) -> Option<&Node> {
        self.root.at(path.segments())
    }

    /// The span a finding about `path` points at: the key if it exists, else the closest
    /// existing parent.
    pub fn locate(&self, path: &FieldPath) -> Span {
        self.root.locate(path.segments())
    }

    pub fn labels(&self) -> &[palisade_load::Entry] {
        self.root
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .map_or(&[], Node::entries)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .get("metadata")?
            .get("annotations")?
            .get(key)?
            .as_str()
    }
}

/// The objects found in one document, or why it holds none.
#[derive(Debug, Default)]
pub struct DocumentObjects {
    pub objects: Vec<Object>,
    /// Documents (or list items) that are YAML but not Kubernetes objects: no `apiVersion`
    /// or no `kind`. Values files and CI configs land here.
    pub not_kubernetes: usize,
    /// Of those, the ones that look like a Kubernetes object written wrong (a misspelt
    /// `apiVersion`, an empty `kind`, a `List` item without either): where, and what is wrong.
    pub malformed: Vec<(Span, String)>,
    /// Whether the document was a `List` (or another `*List`), split into its items: an
    /// empty one (`kubectl get` that matched nothing) is Kubernetes output with no object.
    pub list: bool,
}

/// Splits a document into objects: `List` and every other `*List` kind with an `items`
/// sequence yields one object per item, each keeping its own positions.
pub fn objects_from_document(doc: Document, table: &PodKindTable) -> DocumentObjects {
    let mut out = DocumentObjects::default();
    if doc.root.is_null() {
        return out;
    }
    let Some(id) = identity(&doc.root, None) else {
        out.not_kubernetes += 1;
        out.malformed.extend(malformed(&doc.root, false));
        return out;
    };
    if let Some(at) = misspelt_kind(&id.kind, &doc.root) {
        out.malformed.push(at);
    }
    out.malformed.extend(non_string_metadata(&doc.root));

    let is_list = id.kind.ends_with("List")
        && doc.root.get("items").is_some_and(|n| {
            matches!(
                n.value,
                palisade_load::Value::Seq(_) | palisade_load::Value::Null
            )
        });
    if !is_list {
        let pod = PodTemplate::find(&id, &doc.root, table);
        out.objects.push(Object {
            id,
            root: doc.root,
            document: doc.index,
            list_item: None,
            pod,
        });
        return out;
    }

    out.list = true;
    // A typed list (`PodList`) tells the kind of items that leave theirs out, as API
    // responses do.
    let item_kind = id.kind.strip_suffix("List").filter(|k| !k.is_empty());
    let fallback = item_kind.map(|k| (id.api_version.as_str(), k));
    let palisade_load::Value::Map(entries) = doc.root.value else {
        return out;
    };
    for entry in entries {
        if entry.key != "items" {
            continue;
        }
        let palisade_load::Value::Seq(items) = entry.value.value else {
            continue;
        };
        for (i, item) in items.into_iter().enumerate() {
            let fallback = fallback.filter(|(_, k)| !k.is_empty());
            match identity(&item, fallback.filter(|_| id.kind != "List")) {
                Some(item_id) => {
                    out.malformed.extend(non_string_metadata(&item));
                    let pod = PodTemplate::find(&item_id, &item, table);
                    out.objects.push(Object {
                        id: item_id,
                        root: item,
                        document: doc.index,
                        list_item: Some(i),
                        pod,
                    });
                }
                None => {
                    out.not_kubernetes += 1;
                    out.malformed.extend(malformed(&item, true));
                }
            }
        }
    }
    out
}

/// Built-in kinds, for telling `kind: deployment` from a custom resource's kind.
#[rustfmt::skip]
const BUILT_IN_KINDS: &[&str] = &[
    "Pod", "PodTemplate", "ReplicationController", "ReplicaSet", "Deployment", "StatefulSet",
    "DaemonSet", "Job", "CronJob", "Service", "Endpoints", "EndpointSlice", "Ingress",
    "IngressClass", "ConfigMap", "Secret", "Namespace", "ServiceAccount", "Role", "ClusterRole",
    "RoleBinding", "ClusterRoleBinding", "NetworkPolicy", "PersistentVolume",
    "PersistentVolumeClaim", "StorageClass", "PodDisruptionBudget", "HorizontalPodAutoscaler",
    "LimitRange", "ResourceQuota", "PriorityClass", "RuntimeClass", "CustomResourceDefinition",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "List",
];

/// A `metadata.name`, `namespace` or `generateName` that YAML reads as a boolean or a
/// number (`namespace: n`, `name: 0123`): the API server refuses the object, since these
/// are strings, while the rules would see it under the converted value.
fn non_string_metadata(root: &Node) -> Option<(Span, String)> {
    let metadata = root.get("metadata")?;
    ["name", "namespace", "generateName"]
        .into_iter()
        .find_map(|key| {
            let value = metadata.get(key)?;
            let read_as = match value.value {
                palisade_load::Value::Bool(_) => "a boolean",
                palisade_load::Value::Int(_) | palisade_load::Value::Float(_) => "a number",
                _ => return None,
            };
            Some((
                value.span,
                format!(
                    "`metadata.{key}` is read as {read_as} (`{}`), not a string, so Kubernetes \
                 refuses this object; quote the value",
                    value.scalar_text().unwrap_or_default()
                ),
            ))
        })
}

/// A `kind` that is a built-in kind written in another case (`deployment`): the API server
/// refuses it, and no rule reads it.
fn misspelt_kind(kind: &str, root: &Node) -> Option<(Span, String)> {
    let meant = BUILT_IN_KINDS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(kind) && **k != kind)?;
    let span = root.get("kind").map_or(root.span, |n| n.span);
    Some((
        span,
        format!(
            "`kind: {kind}` is not `{meant}` (kinds are case-sensitive), so no rule checks this object"
        ),
    ))
}

/// Why a document (or a `List` item, which must be an object) that is not read as an object
/// looks like one written wrong; `None` for data that is plainly something else.
fn malformed(root: &Node, list_item: bool) -> Option<(Span, String)> {
    let palisade_load::Value::Map(entries) = &root.value else {
        return list_item.then(|| {
            (
                root.span,
                "this `List` item is not a mapping, so it is not an object".into(),
            )
        });
    };
    for e in entries {
        for key in ["apiVersion", "kind"] {
            if e.key != key && e.key.eq_ignore_ascii_case(key) {
                return Some((
                    e.key_span,
                    format!(
                        "`{}` is not `{key}` (keys are case-sensitive), so this is not read as a Kubernetes object",
                        e.key
                    ),
                ));
            }
        }
    }
    let has = |key: &str| root.get(key).is_some();
    for key in ["apiVersion", "kind"] {
        if let Some(e) = entries.iter().find(|e| e.key == key)
            && e.value.as_str().is_none_or(|v| v.trim().is_empty())
        {
            return Some((
                e.value.span,
                format!(
                    "`{key}` must be a non-empty string, so this is not read as a Kubernetes object"
                ),
            ));
        }
    }
    let object_like = list_item || has("metadata") || has("spec");
    match (has("apiVersion"), has("kind")) {
        (true, false) if object_like => Some((
            root.span,
            "this has `apiVersion` but no `kind`, so it is not read as a Kubernetes object".into(),
        )),
        (false, true) if object_like => Some((
            root.span,
            "this has `kind` but no `apiVersion`, so it is not read as a Kubernetes object".into(),
        )),
        (false, false) if list_item => Some((
            root.span,
            "this `List` item has neither `apiVersion` nor `kind`, so it is not read as an object"
                .into(),
        )),
        _ => None,
    }
}

fn identity(root: &Node, fallback: Option<(&str, &str)>) -> Option<ObjectId> {
    if !root.is_map() {
        return None;
    }
    let text = |key: &str| {
        root.get(key)
            .and_then(Node::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (api_version, kind) = match (text("apiVersion"), text("kind")) {
        (Some(a), Some(k)) => (a, k),
        (a, k) => {
            let (fa, fk) = fallback?;
            (
                a.unwrap_or_else(|| fa.to_string()),
                k.unwrap_or_else(|| fk.to_string()),
            )
        }
    };
    let metadata = root.get("metadata");
    let meta_text = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(Node::scalar_text)
            .filter(|s| !s.is_empty())
    };
    Some(ObjectId {
        api_version,
        kind,
        namespace: meta_text("namespace"),
        name: meta_text("name"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_load::{Limits, parse_str};

    fn objects(text: &str) -> DocumentObjects {
        let mut parsed = parse_str(text, &Limits::default());
        objects_from_document(parsed.documents.remove(0), &PodKindTable::default())
    }

    #[test]
    fn list_items_become_objects_with_their_own_positions() {
        let out = objects(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: []}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n",
        );
        assert_eq!(out.objects.len(), 2);
        assert_eq!(out.objects[1].id.kind, "Service");
        assert_eq!(out.objects[1].list_item, Some(1));
        assert_eq!(out.objects[1].root.span.start.line, 8);
        assert!(out.objects[0].pod.is_some());
    }

    #[test]
    fn typed_list_items_without_kind_take_it_from_the_list() {
        let out = objects(
            "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a, namespace: x}\n  spec: {containers: []}\n",
        );
        assert_eq!(out.objects[0].id.to_string(), "Pod/x/a");
    }

    #[test]
    fn objects_written_wrong_are_told_apart_from_other_data() {
        let cases = [
            (
                "apiversion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
                Some("`apiversion` is not `apiVersion`"),
            ),
            (
                "apiVersion: v1\nkind: \"\"\nmetadata: {name: x}\n",
                Some("`kind` must be a non-empty string"),
            ),
            (
                "apiVersion: v1\nkind: 5\n",
                Some("`kind` must be a non-empty string"),
            ),
            ("apiVersion: v1\nmetadata: {name: x}\n", Some("no `kind`")),
            (
                "apiVersion: v1\nkind: List\nitems:\n- {kind: Pod}\n- 3\n",
                Some("no `apiVersion`"),
            ),
            ("replicaCount: 2\nimage: {tag: x}\n", None),
            ("kind: DaemonSet\nreplicas: 2\n", None),
            (
                "apiVersion: apps/v1\nkind: deployment\nmetadata: {name: x}\n",
                Some("is not `Deployment`"),
            ),
            (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
                None,
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\n",
                Some("`metadata.namespace` is read as a boolean (`false`)"),
            ),
            (
                "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: 0123}}\n",
                Some("`metadata.name` is read as a number"),
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata: {name: \"0123\", namespace: \"n\"}\n",
                None,
            ),
        ];
        let table = PodKindTable::default();
        for (text, expected) in cases {
            let doc = parse_str(text, &Limits::default()).documents.remove(0);
            let out = objects_from_document(doc, &table);
            let first = out.malformed.first().map(|(_, m)| m.as_str());
            match expected {
                Some(part) => assert!(first.is_some_and(|m| m.contains(part)), "{text}: {first:?}"),
                None => assert!(out.malformed.is_empty(), "{text}: {:?}", out.malformed),
            }
        }
    }

    #[test]
    fn documents_without_kind_are_not_kubernetes() {
        let out = objects("replicaCount: 3\nimage: {tag: latest}\n");
        assert!(out.objects.is_empty());
        assert_eq!(out.not_kubernetes, 1);
    }

    #[test]
    fn group_comes_from_api_version() {
        let out = objects("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n");
        assert_eq!(out.objects[0].id.group(), "apps");
        let out = objects("apiVersion: v1\nkind: Pod\nmetadata: {name: w}\n");
        assert_eq!(out.objects[0].id.group(), "");
    }
}
