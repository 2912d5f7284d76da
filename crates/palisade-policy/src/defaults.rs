//! The object as the API server hands it to admission: with the defaults it fills in.
//!
//! A team's policies are written against what admission sees, and the API server defaults
//! an object before any validating webhook or ValidatingAdmissionPolicy runs:
//! `object.spec.replicas <= 5` reads 1 on a Deployment that leaves `replicas` out, and
//! `imagePullPolicy` is always there. Custom rules are evaluated on a copy with those
//! defaults added, so a scan gives the verdict the cluster would. Built-in rules keep
//! reading the object as written (they flag what the author left out).
//!
//! Only fields whose default is fixed by the object alone are filled, for the versions
//! served today (`v1`, `apps/v1`, `batch/v1`); defaults the API server takes from the
//! cluster (cluster IPs, IP families, the ServiceAccount) are left out. Added nodes carry the
//! span of the mapping they were added to, so a finding about one points at its parent.

use palisade_load::{Entry, FieldPath, Node, Segment, Value};
use palisade_model::{ImageRef, Object};

/// The object with the API server's defaults, or `None` when it gets none (a kind or
/// version without defaults here, or an object that sets them all).
pub fn defaulted(obj: &Object) -> Option<Object> {
    let mut root = obj.root.clone();
    let mut changed = false;
    let kind = obj.id.kind.as_str();
    let version = obj.id.api_version.as_str();
    if let Some(spec) = at_mut(&mut root, &FieldPath::parse_dotted("spec"))
        .filter(|n| matches!(n.value, Value::Map(_)))
    {
        changed |= object_spec(version, kind, spec);
    }
    if let Some(pod) = &obj.pod {
        changed |= pod_spec(&mut root, &pod.spec);
    }
    changed.then(|| Object {
        root,
        ..obj.clone()
    })
}

fn object_spec(version: &str, kind: &str, spec: &mut Node) -> bool {
    let mut changed = false;
    let mut set =
        |node: &mut Node, key: &str, value: Value| changed |= set_default(node, key, value);
    match (version, kind) {
        ("apps/v1", "Deployment") => {
            set(spec, "replicas", Value::Int(1));
            set(spec, "revisionHistoryLimit", Value::Int(10));
            set(spec, "progressDeadlineSeconds", Value::Int(600));
            let rolling = [
                ("maxUnavailable", Value::Str("25%".into())),
                ("maxSurge", Value::Str("25%".into())),
            ];
            changed |= rolling_update(spec, "strategy", rolling);
        }
        ("apps/v1", "StatefulSet") => {
            set(spec, "replicas", Value::Int(1));
            set(spec, "revisionHistoryLimit", Value::Int(10));
            set(
                spec,
                "podManagementPolicy",
                Value::Str("OrderedReady".into()),
            );
            changed |= rolling_update(spec, "updateStrategy", [("partition", Value::Int(0))]);
        }
        ("apps/v1", "DaemonSet") => {
            set(spec, "revisionHistoryLimit", Value::Int(10));
            let rolling = [
                ("maxUnavailable", Value::Int(1)),
                ("maxSurge", Value::Int(0)),
            ];
            changed |= rolling_update(spec, "updateStrategy", rolling);
        }
        ("apps/v1", "ReplicaSet") | ("v1", "ReplicationController") => {
            set(spec, "replicas", Value::Int(1));
        }
        ("batch/v1", "Job") => {
            let neither = absent(spec, "completions") && absent(spec, "parallelism");
            if neither {
                set(spec, "completions", Value::Int(1));
            }
            set(spec, "parallelism", Value::Int(1));
            set(spec, "backoffLimit", Value::Int(6));
            set(spec, "completionMode", Value::Str("NonIndexed".into()));
            set(spec, "suspend", Value::Bool(false));
        }
        ("batch/v1", "CronJob") => {
            set(spec, "concurrencyPolicy", Value::Str("Allow".into()));
            set(spec, "suspend", Value::Bool(false));
            set(spec, "successfulJobsHistoryLimit", Value::Int(3));
            set(spec, "failedJobsHistoryLimit", Value::Int(1));
        }
        ("v1", "Service") => {
            set(spec, "type", Value::Str("ClusterIP".into()));
            if spec.get("type").and_then(Node::as_str) != Some("ExternalName") {
                set(spec, "sessionAffinity", Value::Str("None".into()));
            }
            for port in items_mut(spec, "ports") {
                set(port, "protocol", Value::Str("TCP".into()));
                // An int-or-string: zero and the empty string are unset.
                let unset = match port.get("targetPort").map(|n| &n.value) {
                    None | Some(Value::Null) => true,
                    Some(Value::Int(0)) => true,
                    Some(Value::Str(s)) => s.is_empty(),
                    Some(_) => false,
                };
                if unset && let Some(number) = port.get("port").and_then(Node::as_i64) {
                    if let Value::Map(entries) = &mut port.value {
                        entries.retain(|e| e.key != "targetPort");
                    }
                    set(port, "targetPort", Value::Int(number));
                }
            }
        }
        _ => {}
    }
    changed
}

/// The update strategy under `field`: `type: RollingUpdate` unless another is set, and for
/// a rolling update its `rollingUpdate` settings.
fn rolling_update<const N: usize>(
    spec: &mut Node,
    field: &str,
    settings: [(&str, Value); N],
) -> bool {
    let Some(strategy) = child_map(spec, field) else {
        return false;
    };
    let mut changed = set_default(strategy, "type", Value::Str("RollingUpdate".into()));
    if strategy.get("type").and_then(Node::as_str) == Some("RollingUpdate")
        && let Some(rolling) = child_map(strategy, "rollingUpdate")
    {
        for (key, value) in settings {
            changed |= set_default(rolling, key, value);
        }
    }
    changed
}

/// The pod spec's own defaults and its containers'.
fn pod_spec(root: &mut Node, path: &FieldPath) -> bool {
    let Some(spec) = at_mut(root, path).filter(|n| matches!(n.value, Value::Map(_))) else {
        return false;
    };
    let mut changed = false;
    let mut set =
        |node: &mut Node, key: &str, value: Value| changed |= set_default(node, key, value);
    set(spec, "restartPolicy", Value::Str("Always".into()));
    set(spec, "dnsPolicy", Value::Str("ClusterFirst".into()));
    set(spec, "terminationGracePeriodSeconds", Value::Int(30));
    set(
        spec,
        "schedulerName",
        Value::Str("default-scheduler".into()),
    );
    set(spec, "securityContext", Value::Map(Vec::new()));
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        for container in items_mut(spec, field) {
            set(
                container,
                "terminationMessagePath",
                Value::Str("/dev/termination-log".into()),
            );
            set(
                container,
                "terminationMessagePolicy",
                Value::Str("File".into()),
            );
            if let Some(image) = container.get("image").and_then(Node::as_str) {
                let image = ImageRef::parse(image);
                let policy = if image.digest.is_none() && image.effective_tag() == "latest" {
                    "Always"
                } else {
                    "IfNotPresent"
                };
                set(container, "imagePullPolicy", Value::Str(policy.into()));
            }
            for port in items_mut(container, "ports") {
                set(port, "protocol", Value::Str("TCP".into()));
            }
        }
    }
    changed
}

/// Whether `key` is missing from the mapping or null, as the API server's defaulting
/// treats a field it sees as unset.
fn absent(node: &Node, key: &str) -> bool {
    node.get(key).is_none_or(Node::is_null)
}

/// Sets `key` to `value` when it is absent; returns whether it did. A string field the
/// API server defaults is a plain Go string, so an empty one (Helm's `| quote` of an
/// unset value) is unset too; numbers and booleans it defaults are pointers, unset only
/// when left out.
fn set_default(node: &mut Node, key: &str, value: Value) -> bool {
    let empty_string =
        matches!(value, Value::Str(_)) && node.get(key).and_then(Node::as_str) == Some("");
    if !absent(node, key) && !empty_string {
        return false;
    }
    let span = node.span;
    let Value::Map(entries) = &mut node.value else {
        return false;
    };
    let value = Node { value, span };
    match entries.iter_mut().rev().find(|e| e.key == key) {
        Some(e) => e.value = value,
        None => entries.push(Entry {
            key: key.to_string(),
            key_span: span,
            value,
        }),
    }
    true
}

/// The mapping under `key`, added empty when absent; `None` when `key` holds something else.
fn child_map<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    set_default(node, key, Value::Map(Vec::new()));
    let Value::Map(entries) = &mut node.value else {
        return None;
    };
    entries
        .iter_mut()
        .rev()
        .find(|e| e.key == key)
        .map(|e| &mut e.value)
        .filter(|n| matches!(n.value, Value::Map(_)))
}

/// The mappings listed under `key`.
fn items_mut<'a>(node: &'a mut Node, key: &str) -> impl Iterator<Item = &'a mut Node> {
    let items = match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .rev()
            .find(|e| e.key == key)
            .and_then(|e| match &mut e.value.value {
                Value::Seq(items) => Some(items),
                _ => None,
            }),
        _ => None,
    };
    items
        .into_iter()
        .flatten()
        .filter(|n| matches!(n.value, Value::Map(_)))
}

fn at_mut<'a>(node: &'a mut Node, path: &FieldPath) -> Option<&'a mut Node> {
    let mut here = node;
    for segment in &path.0 {
        here = match (segment, &mut here.value) {
            (Segment::Key(k), Value::Map(entries)) => {
                &mut entries.iter_mut().rev().find(|e| &e.key == k)?.value
            }
            (Segment::Index(i), Value::Seq(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_load::{Limits, parse_str};
    use palisade_model::{PodKindTable, objects_from_document};

    fn object(text: &str) -> Object {
        let doc = parse_str(text, &Limits::default()).documents.remove(0);
        objects_from_document(doc, &PodKindTable::default())
            .objects
            .remove(0)
    }

    fn int(obj: &Object, path: &str) -> Option<i64> {
        obj.node(&FieldPath::parse_dotted(path))
            .and_then(Node::as_i64)
    }

    /// Item `i` of the list at `path`.
    fn item<'a>(obj: &'a Object, path: &str, i: usize) -> &'a Node {
        &obj.node(&FieldPath::parse_dotted(path)).unwrap().items()[i]
    }

    fn text<'a>(obj: &'a Object, path: &str) -> Option<&'a str> {
        obj.node(&FieldPath::parse_dotted(path))
            .and_then(Node::as_str)
    }

    #[test]
    fn a_deployment_gets_what_the_api_server_fills_in_and_keeps_what_it_sets() {
        let raw = object(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  revisionHistoryLimit: 3\n  template:\n    spec:\n      containers:\n      - {name: a, image: nginx, ports: [{containerPort: 80}]}\n      - {name: b, image: 'nginx:1.27', imagePullPolicy: Always}\n",
        );
        let d = defaulted(&raw).expect("defaults apply");
        assert_eq!(int(&d, "spec.replicas"), Some(1));
        assert_eq!(int(&d, "spec.revisionHistoryLimit"), Some(3));
        assert_eq!(text(&d, "spec.strategy.type"), Some("RollingUpdate"));
        assert_eq!(
            text(&d, "spec.strategy.rollingUpdate.maxSurge"),
            Some("25%")
        );
        assert_eq!(text(&d, "spec.template.spec.restartPolicy"), Some("Always"));
        let containers = d
            .node(&FieldPath::parse_dotted("spec.template.spec.containers"))
            .unwrap()
            .items();
        assert_eq!(
            containers[0].get("imagePullPolicy").and_then(Node::as_str),
            Some("Always")
        );
        assert_eq!(
            containers[1].get("imagePullPolicy").and_then(Node::as_str),
            Some("Always")
        );
        let port = &containers[0].get("ports").unwrap().items()[0];
        assert_eq!(port.get("protocol").and_then(Node::as_str), Some("TCP"));
        // The raw object is untouched, and added nodes point at their parent.
        assert_eq!(int(&raw, "spec.replicas"), None);
        let spec_span = raw.node(&FieldPath::parse_dotted("spec")).unwrap().span;
        assert_eq!(
            d.locate(&FieldPath::parse_dotted("spec.replicas")),
            spec_span
        );
    }

    #[test]
    fn services_jobs_and_pinned_images_get_their_own_defaults() {
        let svc = defaulted(&object(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 8080}]\n",
        ))
        .unwrap();
        assert_eq!(text(&svc, "spec.type"), Some("ClusterIP"));
        let port = item(&svc, "spec.ports", 0);
        assert_eq!(port.get("targetPort").and_then(Node::as_i64), Some(8080));
        // Empty strings and a zero target port are unset, as Helm's `| quote` leaves them.
        let empty = defaulted(&object(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: ''\n  ports: [{port: 80, targetPort: 0}]\n",
        ))
        .unwrap();
        assert_eq!(text(&empty, "spec.type"), Some("ClusterIP"));
        let port = item(&empty, "spec.ports", 0);
        assert_eq!(port.get("targetPort").and_then(Node::as_i64), Some(80));
        let pod = defaulted(&object(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: 'nginx', imagePullPolicy: ''}]\n",
        ))
        .unwrap();
        let container = item(&pod, "spec.containers", 0);
        assert_eq!(
            container.get("imagePullPolicy").and_then(Node::as_str),
            Some("Always")
        );
        let job = defaulted(&object(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  parallelism: 3\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: 'busybox:1.36'}]\n",
        ))
        .unwrap();
        assert_eq!(int(&job, "spec.completions"), None);
        assert_eq!(int(&job, "spec.parallelism"), Some(3));
        assert_eq!(int(&job, "spec.backoffLimit"), Some(6));
        assert_eq!(
            text(&job, "spec.template.spec.restartPolicy"),
            Some("Never")
        );
        let c = item(&job, "spec.template.spec.containers", 0);
        assert_eq!(
            c.get("imagePullPolicy").and_then(Node::as_str),
            Some("IfNotPresent")
        );
        // Kinds and versions without defaults here are left alone.
        assert!(
            defaulted(&object(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
            ))
            .is_none()
        );
        assert!(
            defaulted(&object(
                "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n"
            ))
            .is_none()
        );
    }
}
