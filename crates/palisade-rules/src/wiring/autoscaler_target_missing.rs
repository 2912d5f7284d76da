use palisade_load::FieldPath;

use super::WorkloadIndex;
use super::index::{autoscaler_target, namespace};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

/// Built-in kinds an autoscaler can scale, besides kinds present in the files.
const SCALABLE: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Rollout",
    "DeploymentConfig",
];

declare_rule! {
    /// ## What it checks
    /// Every HorizontalPodAutoscaler (`autoscaling/v2` or `v1`) names, in
    /// `spec.scaleTargetRef`, an object of that `kind` and `name` in its own namespace among
    /// the scanned files.
    ///
    /// The rule judges a target only when the files could hold it: when they hold an
    /// object of the target's kind in the namespace, or when the target is a workload kind
    /// (Deployment, StatefulSet, ReplicaSet, …) and the namespace has at least one workload
    /// in the files. Otherwise it cannot tell and says nothing. The target's `apiVersion`
    /// is not compared.
    ///
    /// ## Why it matters
    /// An autoscaler whose target does not exist scales nothing: the workload it was meant
    /// for keeps its fixed replica count under load, and the autoscaler only reports
    /// `FailedGetScale` in its events, where nobody looks until the outage.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: web}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-frontend}
    ///   minReplicas: 2
    ///   maxReplicas: 10
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Name the workload to scale:
    /// ```yaml
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
    /// - https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/
    pub static AUTOSCALER_TARGET_MISSING = {
        id: "SVC005",
        name: "autoscaler-target-missing",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["HorizontalPodAutoscaler"]),
        pss_level: None,
        summary: "HorizontalPodAutoscalers must target a workload in their namespace",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        let Some((kind, name)) = autoscaler_target(obj) else {
            continue;
        };
        let ns = namespace(obj);
        if index.named(ns, &kind, &name).is_some() {
            continue;
        }
        let could_hold = !index.of_kind(ns, &kind).is_empty()
            || (SCALABLE.contains(&kind.as_str()) && !index.workloads(ns).is_empty());
        if !could_hold {
            continue;
        }
        cx.report(
            i,
            FieldPath::parse_dotted("spec.scaleTargetRef.name"),
            format!("Point `scaleTargetRef` at an existing workload: `{kind}/{name}` is not in this namespace in the files"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'nginx:1.27'}]\n";

    fn autoscaler(version: &str, ns: &str, kind: &str, name: &str) -> String {
        format!(
            "---\napiVersion: autoscaling/{version}\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {name}}}\n  maxReplicas: 5\n"
        )
    }

    #[test]
    fn flags_targets_absent_from_the_namespace() {
        for version in ["v2", "v1"] {
            let v = run_set(
                &AUTOSCALER_TARGET_MISSING,
                &format!(
                    "{DEPLOYMENT}{}{}",
                    autoscaler(version, "shop", "Deployment", "web-frontend"),
                    autoscaler(version, "shop", "StatefulSet", "web"),
                ),
            );
            assert_eq!(v.len(), 2, "{v:?}");
            assert_eq!(v[0].1.path.to_string(), "spec.scaleTargetRef.name");
            assert!(
                v[0].1.message.contains("`Deployment/web-frontend`"),
                "{}",
                v[0].1.message
            );
        }
    }

    #[test]
    fn passes_targets_in_the_files() {
        let v = run_set(
            &AUTOSCALER_TARGET_MISSING,
            &format!(
                "{DEPLOYMENT}{}",
                autoscaler("v2", "shop", "Deployment", "web")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_the_files_cannot_hold_the_target() {
        let v = run_set(
            &AUTOSCALER_TARGET_MISSING,
            &format!(
                "{DEPLOYMENT}{}{}",
                autoscaler("v2", "other", "Deployment", "web"),
                autoscaler("v2", "shop", "Scaler", "web"),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
