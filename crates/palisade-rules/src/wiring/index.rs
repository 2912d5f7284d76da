//! An index of the scanned objects that several cross-object rules share.

use std::collections::HashMap;

use palisade_model::{Labels, Object};

/// An object that runs pods: a Pod or any kind with a pod template.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Index of the object in the scan.
    pub object: usize,
    /// The labels its pods carry.
    pub labels: Labels,
}

/// The scanned objects by namespace and kind. Objects without a namespace are grouped under
/// the empty name: they land in whatever namespace they are applied to, together.
#[derive(Debug, Default)]
pub struct WorkloadIndex {
    workloads: HashMap<String, Vec<Workload>>,
    by_kind: HashMap<(String, String), Vec<usize>>,
}

impl WorkloadIndex {
    pub fn build(objects: &[&Object]) -> WorkloadIndex {
        let mut index = WorkloadIndex::default();
        for (i, obj) in objects.iter().enumerate() {
            let ns = namespace(obj).to_string();
            index
                .by_kind
                .entry((ns.clone(), obj.id.kind.clone()))
                .or_default()
                .push(i);
            if let Some(labels) = obj.pod_labels() {
                // A Pod that a workload in the same files also describes is still one set
                // of labels; duplicates only cost a comparison.
                index
                    .workloads
                    .entry(ns)
                    .or_default()
                    .push(Workload { object: i, labels });
            }
        }
        index
    }

    /// The workloads of a namespace.
    pub fn workloads(&self, namespace: &str) -> &[Workload] {
        self.workloads.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The objects of `kind` in `namespace`.
    pub fn of_kind(&self, namespace: &str, kind: &str) -> &[usize] {
        self.by_kind
            .get(&(namespace.to_string(), kind.to_string()))
            .map_or(&[], Vec::as_slice)
    }
}

/// The namespace an object is written for, or `""` when it names none.
pub fn namespace(obj: &Object) -> &str {
    obj.id.namespace.as_deref().unwrap_or("")
}
