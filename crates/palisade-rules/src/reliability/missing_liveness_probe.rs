use super::long_running::report_missing_probe;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every regular container and sidecar (an init container with `restartPolicy: Always`)
    /// of a long-running workload has a `livenessProbe`.
    ///
    /// Pods meant to finish are skipped: Jobs, CronJobs, and any pod whose `restartPolicy`
    /// is `Never` or `OnFailure`. Init containers that run to completion and ephemeral
    /// containers cannot have a liveness probe.
    ///
    /// The severity is low on purpose. A liveness probe only helps when the program can
    /// hang without exiting, and a careless one does harm: if it checks a dependency, or
    /// fails under load, the kubelet restarts healthy containers and turns a slowdown into
    /// an outage. Prefer no liveness probe to one that is the same as the readiness probe.
    ///
    /// ## Why it matters
    /// A process that deadlocks or stops making progress without exiting keeps its pod
    /// "running" forever. Nothing restarts it, and if its readiness probe still passes it
    /// keeps receiving traffic it never answers.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2
    ///   readinessProbe:
    ///     httpGet: {path: /ready, port: 8080}
    /// ```
    ///
    /// ## Fix
    /// Probe something that fails only when the process itself is stuck, with enough slack
    /// not to fire under load:
    /// ```yaml
    ///   livenessProbe:
    ///     httpGet: {path: /healthz, port: 8080}
    ///     periodSeconds: 10
    ///     failureThreshold: 6
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
    pub static MISSING_LIVENESS_PROBE = {
        id: "REL005",
        name: "missing-liveness-probe",
        category: Reliability,
        severity: Low,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Long-running containers should have a liveness probe",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    report_missing_probe(cx, "livenessProbe", "liveness probe");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_long_running_containers_without_a_liveness_probe() {
        let v = run(
            &MISSING_LIVENESS_PROBE,
            "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      initContainers: [{name: setup}]\n      containers:\n      - {name: agent, readinessProbe: {exec: {command: [true]}}}\n",
        );
        assert_eq!(
            paths(&v),
            ["spec.template.spec.containers[0].livenessProbe"]
        );
        assert_eq!(v[0].message, "container `agent` has no liveness probe");
        assert_eq!(v[0].container.as_deref(), Some("agent"));
    }

    #[test]
    fn passes_probed_containers_and_pods_that_run_to_completion() {
        let v = run(
            &MISSING_LIVENESS_PROBE,
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - {name: a, livenessProbe: {httpGet: {path: /healthz, port: 8080}}}\n---\napiVersion: v1\nkind: Pod\nspec:\n  restartPolicy: OnFailure\n  containers: [{name: task}]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
