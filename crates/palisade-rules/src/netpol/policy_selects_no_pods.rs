use palisade_load::FieldPath;

use super::{object_name, shared_model};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;

declare_rule! {
    /// ## What it checks
    /// Every NetworkPolicy's `spec.podSelector` selects the pods of at least one workload
    /// in its namespace among the scanned files.
    ///
    /// When the files hold no workload in the policy's namespace, the rule cannot tell and
    /// says nothing; nor when the namespace holds custom resources (kinds outside
    /// Kubernetes' own API groups), from which an operator may create the pods. A selector
    /// that cannot be evaluated is not checked.
    ///
    /// ## Why it matters
    /// A policy that selects no pod isolates nothing: the pods it was written for accept
    /// and open every connection, while the policy's presence suggests they are protected.
    /// Selectors drift when a workload's labels change. On by default at medium severity,
    /// as for the other selectors that match nothing.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: db, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: postgres}}
    ///   ingress:
    ///   - from: [{podSelector: {matchLabels: {app: api}}}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: db, namespace: shop}
    /// spec:
    ///   serviceName: db
    ///   selector: {matchLabels: {app: db}}
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       containers: [{name: db, image: "postgres:17"}]
    /// ```
    ///
    /// ## Fix
    /// Select the labels of the pod template:
    /// ```yaml
    /// spec:
    ///   podSelector: {matchLabels: {app: db}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
    /// - https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
    pub static POLICY_SELECTS_NO_PODS = {
        id: "NPL004",
        name: "network-policy-selects-no-pods",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["NetworkPolicy"]),
        pss_level: None,
        summary: "NetworkPolicies must select the pods of a workload in their namespace",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let model = shared_model(cx);
    let index = cx.shared(WorkloadIndex::build);
    for (p, policy) in model.policies.iter().enumerate() {
        if model.selects_any(p) {
            continue;
        }
        let workloads = model.workloads_in(&policy.namespace);
        let Some(&first) = workloads.first() else {
            continue;
        };
        if index.has_custom_resources(&policy.namespace) {
            continue;
        }
        cx.report(
            policy.object,
            FieldPath::parse_dotted("spec.podSelector"),
            format!(
                "Select the pods to isolate: the pod selector matches none of the {} \
                 workload(s) of this namespace, such as `{}`, so the policy isolates nothing",
                workloads.len(),
                object_name(cx, model.workload_object(first))
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const DB: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers: [{name: db, image: 'postgres:17'}]\n";

    fn policy(ns: &str, selector: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: db, namespace: {ns}}}\nspec:\n  podSelector: {selector}\n"
        )
    }

    #[test]
    fn flags_a_pod_selector_that_matches_no_workload() {
        let v = run_set(
            &POLICY_SELECTS_NO_PODS,
            &format!("{DB}{}", policy("shop", "{matchLabels: {app: postgres}}")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "NetworkPolicy/db");
        assert_eq!(v[0].1.path.to_string(), "spec.podSelector");
        assert!(
            v[0].1.message.contains("`StatefulSet/db`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_when_the_selector_matches() {
        for selector in [
            "{matchLabels: {app: db}}",
            "{}",
            "{matchExpressions: [{key: app, operator: In, values: [db, cache]}]}",
        ] {
            let v = run_set(
                &POLICY_SELECTS_NO_PODS,
                &format!("{DB}{}", policy("shop", selector)),
            );
            assert!(v.is_empty(), "{selector}: {v:?}");
        }
    }

    #[test]
    fn says_nothing_when_the_namespace_has_no_workload_in_the_files() {
        let v = run_set(
            &POLICY_SELECTS_NO_PODS,
            &format!("{DB}{}", policy("other", "{matchLabels: {app: postgres}}")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_an_operator_may_create_the_pods() {
        let cluster = "---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: pg, namespace: shop}\nspec: {instances: 3}\n";
        let v = run_set(
            &POLICY_SELECTS_NO_PODS,
            &format!(
                "{DB}{cluster}{}",
                policy("shop", "{matchLabels: {cnpg.io/cluster: pg}}")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_selector_that_cannot_be_evaluated_is_not_checked() {
        let v = run_set(
            &POLICY_SELECTS_NO_PODS,
            &format!(
                "{DB}{}",
                policy("shop", "{matchExpressions: [{key: app, operator: Like}]}")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
