use super::long_running::{Resource, is_set, long_running};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every regular container and sidecar (an init container with `restartPolicy: Always`)
    /// requests CPU and memory: `resources.requests.cpu` and `resources.requests.memory`.
    /// A container missing both gets one finding that names both.
    ///
    /// A limit counts as a request, because Kubernetes copies a container's limit into its
    /// request when the request is left out. A request or limit in the pod-level
    /// `spec.resources` also counts, since it covers the containers together. Init
    /// containers that run to completion are not checked: they finish before the
    /// application starts, and the scheduler reserves the larger of their requests and the
    /// application's anyway. Ephemeral containers cannot have resources.
    ///
    /// ## Why it matters
    /// The scheduler places pods by their requests. A container without them is scheduled as
    /// if it needed nothing, so nodes get overcommitted, neighbours are starved or evicted,
    /// and the pod itself lands in the `BestEffort` or `Burstable` QoS class and is first to
    /// be killed under memory pressure. Autoscalers also work from requests.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2
    ///   resources:
    ///     limits: {cpu: "1"}         # memory has neither request nor limit
    /// ```
    ///
    /// ## Fix
    /// Request what the container uses at its usual load (measure it: `kubectl top`,
    /// the Vertical Pod Autoscaler's recommendations):
    /// ```yaml
    ///   resources:
    ///     requests: {cpu: 250m, memory: 256Mi}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
    /// - https://kubernetes.io/docs/concepts/workloads/pods/pod-qos/
    pub static MISSING_RESOURCE_REQUESTS = {
        id: "REL001",
        name: "missing-resource-requests",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Containers should request CPU and memory",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    for c in long_running(cx.obj, pod) {
        let requested =
            |r| is_set(cx.obj, pod, c, "requests", r) || is_set(cx.obj, pod, c, "limits", r);
        let missing: Vec<Resource> = [Resource::Cpu, Resource::Memory]
            .into_iter()
            .filter(|&r| !requested(r))
            .collect();

        let requests = c.path.keys(&["resources", "requests"]);
        let (path, what) = match missing.as_slice() {
            [] => continue,
            [one] => (requests.key(one.key()), format!("{} request", one.label())),
            _ => (requests, "CPU or memory request".to_string()),
        };
        cx.report_container(c, path, format!("container `{}` has no {what}", c.name));
        for r in missing {
            cx.case(r.key());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_each_container_once_with_what_is_missing() {
        let v = run(
            &MISSING_RESOURCE_REQUESTS,
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n      - {name: setup}\n      - {name: proxy, restartPolicy: Always, resources: {requests: {cpu: 10m}}}\n      containers:\n      - name: web\n      - name: worker\n        resources:\n          limits: {memory: 1Gi}\n      ephemeralContainers:\n      - {name: debug}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.template.spec.initContainers[1].resources.requests.memory",
                "spec.template.spec.containers[0].resources.requests",
                "spec.template.spec.containers[1].resources.requests.cpu",
            ]
        );
        let messages: Vec<_> = v.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "container `proxy` has no memory request",
                "container `web` has no CPU or memory request",
                "container `worker` has no CPU request",
            ]
        );
        assert_eq!(v[1].container.as_deref(), Some("web"));
        // A container missing both is both cases, for other scanners' separate checks.
        let cases: Vec<_> = v.iter().map(|v| v.cases.clone()).collect();
        assert_eq!(cases, [vec!["memory"], vec!["cpu", "memory"], vec!["cpu"]]);
    }

    #[test]
    fn passes_requests_limits_and_pod_level_resources() {
        let v = run(
            &MISSING_RESOURCE_REQUESTS,
            "apiVersion: v1\nkind: Pod\nspec:\n  resources:\n    requests: {memory: 512Mi}\n  containers:\n  - {name: a, resources: {requests: {cpu: 100m, memory: 64Mi}}}\n  - {name: b, resources: {limits: {cpu: '1'}}}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
