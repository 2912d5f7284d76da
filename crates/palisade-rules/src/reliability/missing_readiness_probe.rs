use super::long_running::report_missing_probe;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every regular container and sidecar (an init container with `restartPolicy: Always`)
    /// of a long-running workload has a `readinessProbe`.
    ///
    /// Pods meant to finish are skipped: Jobs, CronJobs, and any pod whose `restartPolicy`
    /// is `Never` or `OnFailure`. Init containers that run to completion and ephemeral
    /// containers cannot have a readiness probe. Whether a Service actually sends traffic
    /// to the pod cannot be seen from one object, so every long-running workload is
    /// checked; suppress the rule for workers that serve nothing.
    ///
    /// ## Why it matters
    /// A pod without a readiness probe counts as ready as soon as its containers start. The
    /// Service sends it requests while the application is still loading, and a rolling
    /// update replaces healthy pods with ones that cannot serve yet, or never will: the
    /// rollout finishes "successfully" and the outage starts.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2
    ///   ports: [{containerPort: 8080}]
    /// ```
    ///
    /// ## Fix
    /// Probe an endpoint that answers only when the application can serve:
    /// ```yaml
    ///   readinessProbe:
    ///     httpGet: {path: /ready, port: 8080}
    ///     periodSeconds: 5
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
    pub static MISSING_READINESS_PROBE = {
        id: "REL004",
        name: "missing-readiness-probe",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Long-running containers should have a readiness probe",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    report_missing_probe(cx, "readinessProbe", "readiness probe");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_long_running_containers_without_a_readiness_probe() {
        let v = run(
            &MISSING_READINESS_PROBE,
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n      - {name: setup}\n      - {name: proxy, restartPolicy: Always}\n      containers:\n      - {name: web, readinessProbe: {httpGet: {path: /ready, port: 8080}}}\n      - {name: worker, readinessProbe: null}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.template.spec.initContainers[1].readinessProbe",
                "spec.template.spec.containers[1].readinessProbe",
            ]
        );
        assert_eq!(v[1].message, "container `worker` has no readiness probe");
        assert_eq!(v[0].container.as_deref(), Some("proxy"));
    }

    #[test]
    fn passes_probed_containers_and_pods_that_run_to_completion() {
        let v = run(
            &MISSING_READINESS_PROBE,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, readinessProbe: {tcpSocket: {port: 5432}}}\n---\napiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers: [{name: job}]\n---\napiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: cron}]\n---\napiVersion: v1\nkind: Pod\nspec:\n  restartPolicy: Never\n  containers: [{name: once}]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
