use palisade_load::FieldPath;

use super::WorkloadIndex;
use super::index::{is_apps_kind, kind_name};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No Deployment or StatefulSet that a HorizontalPodAutoscaler in the scanned files
    /// scales (its `spec.scaleTargetRef` names the workload's kind and name, in the same
    /// namespace) also sets `spec.replicas`.
    ///
    /// Workloads whose autoscaler is not among the files cannot be told apart from fixed
    /// ones, and are not reported.
    ///
    /// ## Why it matters
    /// The autoscaler and the manifest then both own the replica count. Every
    /// `kubectl apply` or GitOps sync resets it to the written number — scaling a loaded
    /// service down to its baseline in the middle of a peak — and the autoscaler scales it
    /// back a little later, so the workload flaps at every deploy.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ---
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: web}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    ///   minReplicas: 3
    ///   maxReplicas: 10
    /// ```
    ///
    /// ## Fix
    /// Leave the count to the autoscaler: remove `spec.replicas` from the manifest (and, for
    /// a workload already running, from the field manager that last applied it):
    /// ```yaml
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling
    /// - https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
    pub static AUTOSCALED_REPLICAS_FIXED = {
        id: "SVC009",
        name: "autoscaled-replicas-fixed",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Deployment", "StatefulSet"]),
        pss_level: None,
        summary: "Workloads scaled by an autoscaler must not fix `spec.replicas`",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        if !is_apps_kind(obj, &["Deployment", "StatefulSet"]) {
            continue;
        }
        let path = FieldPath::parse_dotted("spec.replicas");
        if obj.node(&path).is_none_or(|n| n.is_null()) {
            continue;
        }
        let Some(a) = index.autoscaler_for(obj) else {
            continue;
        };
        cx.report(
            i,
            path,
            format!(
                "Remove `spec.replicas`: `{}` scales this {}, and every apply resets its count",
                kind_name(cx.objects[a]),
                obj.id.kind
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    fn deployment(replicas: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\nspec:\n  {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: 'nginx:1.27'}}]\n"
        )
    }

    fn autoscaler(ns: &str) -> String {
        format!(
            "---\napiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  maxReplicas: 10\n"
        )
    }

    #[test]
    fn flags_fixed_replicas_of_an_autoscaled_workload() {
        let v = run_set(
            &AUTOSCALED_REPLICAS_FIXED,
            &format!("{}{}", deployment("replicas: 3"), autoscaler("shop")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Deployment/web");
        assert_eq!(v[0].1.path.to_string(), "spec.replicas");
        assert!(
            v[0].1.message.contains("`HorizontalPodAutoscaler/web`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_autoscaled_workloads_without_a_count() {
        let v = run_set(
            &AUTOSCALED_REPLICAS_FIXED,
            &format!("{}{}", deployment("minReadySeconds: 5"), autoscaler("shop")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_the_autoscaler_is_not_in_the_files() {
        let v = run_set(
            &AUTOSCALED_REPLICAS_FIXED,
            &format!("{}{}", deployment("replicas: 3"), autoscaler("other")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
