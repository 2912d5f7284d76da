//! An index of the scanned objects that several cross-object rules share.
//!
//! Rules reach it through [`SetCx::shared`](crate::rule::SetCx::shared), so it is built once
//! per scan however many rules ask for it.

use std::collections::HashMap;

use palisade_load::{FieldPath, Node};
use palisade_model::{Labels, Object, Selector};

/// An object that runs pods: a Pod or any kind with a pod template.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Index of the object in the scan.
    pub object: usize,
    /// The labels its pods carry.
    pub labels: Labels,
    /// Whether another object controls it (`metadata.ownerReferences`): the ReplicaSets and
    /// Pods of a cluster dump, which their Deployment already accounts for.
    pub controlled: bool,
}

/// The scanned objects by namespace and kind. Objects without a namespace are grouped under
/// the empty name: they land in whatever namespace they are applied to, together.
#[derive(Debug, Default)]
pub struct WorkloadIndex {
    workloads: HashMap<String, Vec<Workload>>,
    by_kind: HashMap<(String, String), Vec<usize>>,
    by_name: HashMap<(String, String, String), usize>,
    services: HashMap<String, Vec<usize>>,
    autoscalers: HashMap<(String, String, String), Vec<usize>>,
    custom_resources: HashMap<String, usize>,
}

impl WorkloadIndex {
    pub fn build(objects: &[&Object]) -> WorkloadIndex {
        let mut index = WorkloadIndex::default();
        for (i, obj) in objects.iter().enumerate() {
            let ns = namespace(obj).to_string();
            let kind = obj.id.kind.clone();
            index
                .by_kind
                .entry((ns.clone(), kind.clone()))
                .or_default()
                .push(i);
            if let Some(name) = &obj.id.name {
                // The first of two same-named objects wins; a duplicate is another rule's
                // concern.
                index
                    .by_name
                    .entry((ns.clone(), kind.clone(), name.clone()))
                    .or_insert(i);
            }
            if is_core_service(obj) {
                index.services.entry(ns.clone()).or_default().push(i);
            }
            if let Some((target_kind, target_name)) = autoscaler_target(obj) {
                index
                    .autoscalers
                    .entry((ns.clone(), target_kind, target_name))
                    .or_default()
                    .push(i);
            }
            if obj.pod.is_none() && is_custom_resource(obj) {
                *index.custom_resources.entry(ns.clone()).or_default() += 1;
            }
            if let Some(labels) = obj.pod_labels() {
                // A Pod that a workload in the same files also describes is still one set
                // of labels; duplicates only cost a comparison.
                index.workloads.entry(ns).or_default().push(Workload {
                    object: i,
                    labels,
                    controlled: is_controlled(obj),
                });
            }
        }
        index
    }

    /// The workloads of a namespace.
    pub fn workloads(&self, namespace: &str) -> &[Workload] {
        self.workloads.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The workloads of a namespace whose pods `selector` selects, or `None` when the
    /// selector cannot be evaluated.
    pub fn selected(&self, namespace: &str, selector: &Selector) -> Option<Vec<&Workload>> {
        let mut out = Vec::new();
        for w in self.workloads(namespace) {
            if selector.matches(&w.labels)? {
                out.push(w);
            }
        }
        Some(out)
    }

    /// The objects of `kind` in `namespace`.
    pub fn of_kind(&self, namespace: &str, kind: &str) -> &[usize] {
        self.by_kind
            .get(&(namespace.to_string(), kind.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// The object of `kind` called `name` in `namespace`.
    pub fn named(&self, namespace: &str, kind: &str, name: &str) -> Option<usize> {
        self.by_name
            .get(&(namespace.to_string(), kind.to_string(), name.to_string()))
            .copied()
    }

    /// Whether the namespace holds custom resources (kinds outside Kubernetes' own API
    /// groups, without a pod template the model knows): an operator may create pods from
    /// them that no manifest in the files describes, as the Prometheus operator does from a
    /// `Prometheus` object.
    pub fn has_custom_resources(&self, namespace: &str) -> bool {
        self.custom_resources.contains_key(namespace)
    }

    /// The core `v1` Services of a namespace.
    pub fn services(&self, namespace: &str) -> &[usize] {
        self.services.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The HorizontalPodAutoscalers of `namespace` whose `scaleTargetRef` names `kind`/`name`.
    pub fn autoscalers_of(&self, namespace: &str, kind: &str, name: &str) -> &[usize] {
        self.autoscalers
            .get(&(namespace.to_string(), kind.to_string(), name.to_string()))
            .map_or(&[], Vec::as_slice)
    }
}

/// The namespace an object is written for, or `""` when it names none.
pub fn namespace(obj: &Object) -> &str {
    obj.id.namespace.as_deref().unwrap_or("")
}

/// Whether `obj` is a core `v1` Service (not Knative's or another CRD's `Service`).
pub fn is_core_service(obj: &Object) -> bool {
    obj.id.kind == "Service" && obj.id.group().is_empty()
}

/// Whether `obj` is a HorizontalPodAutoscaler of the `autoscaling` group (v1 or v2).
pub fn is_autoscaler(obj: &Object) -> bool {
    obj.id.kind == "HorizontalPodAutoscaler" && obj.id.group() == "autoscaling"
}

/// Whether `obj` is a PodDisruptionBudget of the `policy` group.
pub fn is_disruption_budget(obj: &Object) -> bool {
    obj.id.kind == "PodDisruptionBudget" && obj.id.group() == "policy"
}

/// Whether `obj` is one of the `apps` kinds (or their old `extensions` forms) named in
/// `kinds`.
pub fn is_apps_kind(obj: &Object, kinds: &[&str]) -> bool {
    kinds.contains(&obj.id.kind.as_str()) && matches!(obj.id.group(), "apps" | "extensions")
}

/// The `kind` and `name` an autoscaler's `spec.scaleTargetRef` names.
pub fn autoscaler_target(obj: &Object) -> Option<(String, String)> {
    if !is_autoscaler(obj) {
        return None;
    }
    let target = obj.node(&FieldPath::parse_dotted("spec.scaleTargetRef"))?;
    let kind = target.get("kind").and_then(Node::as_str)?;
    let name = target.get("name").and_then(Node::scalar_text)?;
    Some((kind.to_string(), name))
}

/// An autoscaler's `spec.minReplicas`, 1 when absent; `None` when it is not a number.
pub fn autoscaler_min_replicas(obj: &Object) -> Option<i64> {
    match obj.node(&FieldPath::parse_dotted("spec.minReplicas")) {
        None => Some(1),
        Some(n) if n.is_null() => Some(1),
        Some(n) => n.as_i64(),
    }
}

/// How many pods a workload runs when nothing scales it: `spec.replicas` (1 when absent) for
/// the replicated kinds, 1 for a Pod, `None` for kinds whose count the files cannot tell
/// (a DaemonSet runs one pod per node, a Job as many as it needs) or a count that is not a
/// number.
pub fn replicas(obj: &Object) -> Option<i64> {
    let replicated = match obj.id.kind.as_str() {
        "Pod" => return obj.id.group().is_empty().then_some(1),
        "Deployment" | "ReplicaSet" => matches!(obj.id.group(), "apps" | "extensions"),
        "StatefulSet" => obj.id.group() == "apps",
        "ReplicationController" => obj.id.group().is_empty(),
        "Rollout" => obj.id.group() == "argoproj.io",
        _ => false,
    };
    if !replicated {
        return None;
    }
    match obj.node(&FieldPath::parse_dotted("spec.replicas")) {
        None => Some(1),
        Some(n) if n.is_null() => Some(1),
        Some(n) => n.as_i64(),
    }
}

/// Whether `obj`'s API group is not one of Kubernetes' own (`apps`, `policy`,
/// `networking.k8s.io`, …).
fn is_custom_resource(obj: &Object) -> bool {
    let group = obj.id.group();
    group.contains('.') && !group.ends_with(".k8s.io")
}

/// Whether an `ownerReferences` entry marks `obj` as managed by another object.
fn is_controlled(obj: &Object) -> bool {
    obj.root
        .get("metadata")
        .and_then(|m| m.get("ownerReferences"))
        .is_some_and(|refs| !refs.items().is_empty())
}

/// A PodDisruptionBudget's or rollout's `IntOrString` quantity of pods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PodCount {
    Count(i64),
    Percent(f64),
}

impl PodCount {
    /// Reads `3` or `"30%"` (also `"3"`, which the API server reads as a number).
    pub fn read(node: &Node) -> Option<PodCount> {
        if let Some(n) = node.as_i64() {
            return Some(PodCount::Count(n));
        }
        let text = node.as_str()?.trim();
        match text.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok().map(PodCount::Percent),
            None => text.parse::<i64>().ok().map(PodCount::Count),
        }
    }

    /// The number of pods out of `total`, rounding a percentage up as the disruption
    /// controller does for `minAvailable` and `maxUnavailable`.
    pub fn of(self, total: i64) -> i64 {
        match self {
            PodCount::Count(n) => n,
            PodCount::Percent(p) => (p * total as f64 / 100.0).ceil() as i64,
        }
    }

    pub fn is_zero(self) -> bool {
        match self {
            PodCount::Count(n) => n == 0,
            PodCount::Percent(p) => p == 0.0,
        }
    }
}

/// The selector of a core Service that selects pods: `None` for other objects, for
/// `ExternalName` Services and for Services without a selector (their endpoints are managed
/// by hand or by a controller).
pub fn service_selector(obj: &Object) -> Option<Selector> {
    if !is_core_service(obj) {
        return None;
    }
    let spec = obj.root.get("spec")?;
    if spec.get("type").and_then(Node::as_str) == Some("ExternalName") {
        return None;
    }
    let selector = Selector::from_map(spec.get("selector")?);
    (!selector.is_empty()).then_some(selector)
}

/// The selector of a PodDisruptionBudget; `None` when it has none (it then selects no pod).
pub fn disruption_budget_selector(obj: &Object) -> Option<Selector> {
    if !is_disruption_budget(obj) {
        return None;
    }
    let node = obj.node(&FieldPath::parse_dotted("spec.selector"))?;
    if node.is_null() {
        return None;
    }
    let selector = Selector::from_label_selector(node);
    // An empty selector selects every pod of the namespace in `policy/v1`, none in v1beta1.
    if selector.is_empty() && obj.id.api_version == "policy/v1beta1" {
        return None;
    }
    Some(selector)
}

impl WorkloadIndex {
    /// The first HorizontalPodAutoscaler that scales `obj`, if any.
    pub fn autoscaler_for(&self, obj: &Object) -> Option<usize> {
        let name = obj.id.name.as_deref()?;
        self.autoscalers_of(namespace(obj), &obj.id.kind, name)
            .first()
            .copied()
    }
}

/// The object's `Kind/name`, as messages name it.
pub fn kind_name(obj: &Object) -> String {
    format!(
        "{}/{}",
        obj.id.kind,
        obj.id.name.as_deref().unwrap_or("<unnamed>")
    )
}
