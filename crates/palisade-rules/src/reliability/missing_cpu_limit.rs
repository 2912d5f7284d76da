use super::long_running::{Resource, is_set, long_running};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every regular container and sidecar (an init container with `restartPolicy: Always`)
    /// sets `resources.limits.cpu`. A CPU limit in the pod-level `spec.resources` also
    /// counts. Init containers that run to completion and ephemeral containers are not
    /// checked.
    ///
    /// Off by default. A CPU limit throttles the container even when the node has idle CPU,
    /// which adds latency that is hard to diagnose, and many teams deliberately set CPU
    /// requests only and let containers burst. Turn this rule on where predictability
    /// matters more than burst capacity, or where a namespace must stay inside a hard
    /// budget.
    ///
    /// ## Why it matters
    /// Without a limit, a busy container can use every idle CPU cycle on the node. Its
    /// neighbours still get their requested share, but anything that relied on the spare
    /// capacity slows down, and the pod cannot reach the `Guaranteed` QoS class.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: batch
    ///   image: registry.example.com/batch:2.0.1
    ///   resources:
    ///     requests: {cpu: 500m, memory: 512Mi}
    ///     limits: {memory: 512Mi}
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///   resources:
    ///     requests: {cpu: 500m, memory: 512Mi}
    ///     limits: {cpu: "1", memory: 512Mi}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/assign-cpu-resource/
    pub static MISSING_CPU_LIMIT = {
        id: "REL003",
        name: "missing-cpu-limit",
        category: Reliability,
        severity: Low,
        default_enabled: false,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Containers should have a CPU limit",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    for c in long_running(cx.obj, pod) {
        if is_set(cx.obj, pod, c, "limits", Resource::Cpu) {
            continue;
        }
        cx.report_container(
            c,
            c.path.keys(&["resources", "limits", "cpu"]),
            format!("container `{}` has no CPU limit", c.name),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_containers_without_a_cpu_limit() {
        let v = run(
            &MISSING_CPU_LIMIT,
            "apiVersion: v1\nkind: Pod\nspec:\n  initContainers:\n  - {name: mesh, restartPolicy: Always}\n  containers:\n  - {name: app, resources: {limits: {memory: 1Gi}}}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.initContainers[0].resources.limits.cpu",
                "spec.containers[0].resources.limits.cpu",
            ]
        );
        assert_eq!(v[0].message, "container `mesh` has no CPU limit");
        assert_eq!(v[1].container.as_deref(), Some("app"));
    }

    #[test]
    fn passes_cpu_limits() {
        let v = run(
            &MISSING_CPU_LIMIT,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, resources: {limits: {cpu: 500m}}}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
