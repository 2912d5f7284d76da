use palisade_load::FieldPath;
use palisade_model::ContainerKind;

use crate::declare_rule;
use crate::rule::{Applies, Cx};
use crate::wiring::index::{PodCount, is_apps_kind};

declare_rule! {
    /// ## What it checks
    /// A Deployment whose rolling update promises to keep every pod serving —
    /// `spec.strategy.rollingUpdate.maxUnavailable: 0` (or `"0%"`) — gives each of its
    /// containers a `readinessProbe`. Init containers are not judged; sidecars (init
    /// containers with `restartPolicy: Always`) are.
    ///
    /// The rule needs only the Deployment, so it runs in the admission webhook too. The
    /// default `maxUnavailable` (25%) is not judged here; `missing-readiness-probe` (REL004)
    /// asks for probes in general.
    ///
    /// ## Why it matters
    /// `maxUnavailable: 0` means "remove an old pod only once a new one is ready". Without a
    /// readiness probe a pod is ready as soon as its containers start, long before the
    /// application listens, so the rollout still replaces working pods with ones that
    /// refuse connections: the setting gives a guarantee it cannot keep.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   strategy:
    ///     type: RollingUpdate
    ///     rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Tell Kubernetes when a new pod can take traffic:
    /// ```yaml
    ///       containers:
    ///       - name: web
    ///         image: "nginx:1.27"
    ///         readinessProbe:
    ///           httpGet: {path: /ready, port: 8080}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#max-unavailable
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-readiness-probes
    pub static ROLLING_UPDATE_WITHOUT_READINESS = {
        id: "ROL001",
        name: "rolling-update-without-readiness",
        category: Rollout,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Deployment"]),
        pss_level: None,
        summary: "Deployments with `maxUnavailable: 0` need readiness probes on every container",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let obj = cx.obj;
    if !is_apps_kind(obj, &["Deployment"]) {
        return;
    }
    let Some(pod) = &obj.pod else { return };
    let path = FieldPath::parse_dotted("spec.strategy.rollingUpdate.maxUnavailable");
    if !obj
        .node(&path)
        .and_then(PodCount::read)
        .is_some_and(PodCount::is_zero)
    {
        return;
    }
    let unprobed: Vec<String> = pod
        .containers
        .iter()
        .filter(|c| c.kind == ContainerKind::Regular || c.is_sidecar(&obj.root))
        .filter(|c| {
            obj.node(&c.path.key("readinessProbe"))
                .is_none_or(|n| n.is_null())
        })
        .map(|c| format!("`{}`", c.name))
        .collect();
    if unprobed.is_empty() {
        return;
    }
    cx.report(
        path,
        format!(
            "Add a readiness probe to container(s) {}: without one, `maxUnavailable: 0` \
             still replaces serving pods with pods that are not ready",
            unprobed.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    fn deployment(max: &str, containers: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  strategy:\n    rollingUpdate: {{maxUnavailable: {max}, maxSurge: 1}}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: {containers}\n"
        )
    }

    const PROBED: &str = "[{name: web, readinessProbe: {httpGet: {path: /ready, port: 8080}}}]";
    const UNPROBED: &str =
        "[{name: web, readinessProbe: {httpGet: {path: /ready, port: 8080}}}, {name: worker}]";

    #[test]
    fn flags_zero_max_unavailable_without_probes() {
        for max in ["0", "'0%'"] {
            let v = run(
                &ROLLING_UPDATE_WITHOUT_READINESS,
                &deployment(max, UNPROBED),
            );
            assert_eq!(paths(&v), ["spec.strategy.rollingUpdate.maxUnavailable"]);
            assert!(v[0].message.contains("`worker`"), "{}", v[0].message);
            assert!(!v[0].message.contains("`web`"), "{}", v[0].message);
        }
    }

    #[test]
    fn passes_probed_containers_and_other_budgets() {
        assert!(run(&ROLLING_UPDATE_WITHOUT_READINESS, &deployment("0", PROBED)).is_empty());
        assert!(
            run(
                &ROLLING_UPDATE_WITHOUT_READINESS,
                &deployment("1", UNPROBED)
            )
            .is_empty()
        );
        assert!(
            run(
                &ROLLING_UPDATE_WITHOUT_READINESS,
                &deployment("'25%'", UNPROBED)
            )
            .is_empty()
        );
    }
}
