use super::long_running::{Resource, is_set, long_running};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every regular container and sidecar (an init container with `restartPolicy: Always`)
    /// sets `resources.limits.memory`. A memory limit in the pod-level `spec.resources` also
    /// counts, since it bounds the containers together. Init containers that run to
    /// completion and ephemeral containers are not checked.
    ///
    /// ## Why it matters
    /// Memory cannot be throttled, only reclaimed by killing. A container without a limit
    /// can grow until the node runs short, and then the kernel or the kubelet evicts or
    /// kills whatever it picks, often other teams' pods. With a limit, a leak kills only
    /// the leaking container, which restarts and shows up as `OOMKilled`.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2
    ///   resources:
    ///     requests: {cpu: 250m, memory: 256Mi}
    /// ```
    ///
    /// ## Fix
    /// Set a limit above the container's peak use; equal to the request gives the pod the
    /// `Guaranteed` QoS class when CPU is set the same way:
    /// ```yaml
    ///   resources:
    ///     requests: {cpu: 250m, memory: 256Mi}
    ///     limits: {memory: 256Mi}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/
    pub static MISSING_MEMORY_LIMIT = {
        id: "REL002",
        name: "missing-memory-limit",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Containers should have a memory limit",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    for c in long_running(cx.obj, pod) {
        if is_set(cx.obj, pod, c, "limits", Resource::Memory) {
            continue;
        }
        cx.report_container(
            c,
            c.path.keys(&["resources", "limits", "memory"]),
            format!("container `{}` has no memory limit", c.name),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_containers_without_a_memory_limit() {
        let v = run(
            &MISSING_MEMORY_LIMIT,
            "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      initContainers: [{name: migrate}]\n      containers:\n      - name: db\n        resources: {requests: {memory: 1Gi}, limits: {cpu: '2'}}\n",
        );
        assert_eq!(
            paths(&v),
            ["spec.template.spec.containers[0].resources.limits.memory"]
        );
        assert_eq!(v[0].message, "container `db` has no memory limit");
        assert_eq!(v[0].container.as_deref(), Some("db"));
    }

    #[test]
    fn passes_container_and_pod_level_memory_limits() {
        let v = run(
            &MISSING_MEMORY_LIMIT,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, resources: {limits: {memory: 128Mi}}}\n---\napiVersion: v1\nkind: Pod\nspec:\n  resources: {limits: {memory: 1Gi}}\n  containers: [{name: b}]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
