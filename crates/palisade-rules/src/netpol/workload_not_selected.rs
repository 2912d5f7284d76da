use palisade_load::FieldPath;

use super::{Tri, object_name, shared_model};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// In a namespace where the scanned files hold NetworkPolicies, every workload's pods
    /// are selected by at least one of them (for ingress, egress or both).
    ///
    /// Objects that another one among the files controls (the ReplicaSets and Pods of a
    /// cluster dump) count as part of their owner, which is reported once. `hostNetwork` pods are not checked: whether policies apply
    /// to them depends on the network plugin. A policy whose `podSelector` cannot be
    /// evaluated counts as selecting. Namespaces without any policy are the concern of
    /// `namespace-without-default-deny-ingress`.
    ///
    /// ## Why it matters
    /// A namespace with policies looks protected, yet a pod no policy selects accepts every
    /// connection and may open any. It usually means a label changed on the workload or in
    /// the policy, or a new workload was added without its policy. On by default at medium
    /// severity, like the other selector mismatches: the gap is real and the fix is small.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - from: [{podSelector: {matchLabels: {app: web}}}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: worker, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: worker}}
    ///   template:
    ///     metadata: {labels: {app: worker}}
    ///     spec:
    ///       containers: [{name: worker, image: "worker:1.4"}]
    /// ```
    ///
    /// ## Fix
    /// Give the workload a policy of its own, or deny by default for the whole namespace:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: worker, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: worker}}
    ///   policyTypes: [Ingress]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
    pub static WORKLOAD_NOT_SELECTED = {
        id: "NPL003",
        name: "workload-not-selected-by-network-policy",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Workloads in namespaces with NetworkPolicies must be selected by one",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let model = shared_model(cx);
    for (w, workload) in model.workloads.iter().enumerate() {
        let policies = model.policies_in(&workload.namespace);
        let Some(&first) = policies.first() else {
            continue;
        };
        let checked = |&&p: &&usize| !model.pods[p].host_network;
        if !workload.pods.iter().any(|p| checked(&p)) {
            continue;
        }
        let selected = workload
            .pods
            .iter()
            .filter(checked)
            .any(|&p| model.selection_of(p) != Tri::No);
        if selected {
            continue;
        }
        let object = model.workload_object(w);
        let Some(template) = &cx.objects[object].pod else {
            continue;
        };
        let path: FieldPath = template.metadata.key("labels");
        let message = format!(
            "Select the pods of `{}` with a NetworkPolicy: none of the {} polic{} of this \
             namespace (such as `{}`) selects them, so they accept any connection and may open \
             any",
            object_name(cx, object),
            policies.len(),
            if policies.len() == 1 { "y" } else { "ies" },
            model.policies[first].name,
        );
        cx.report(object, path, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n";

    fn deployment(name: &str, extra: &str) -> String {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{extra}      containers: [{{name: c, image: 'app:1'}}]\n"
        )
    }

    #[test]
    fn flags_a_workload_no_policy_selects_at_its_template_labels() {
        let v = run_set(
            &WORKLOAD_NOT_SELECTED,
            &format!(
                "{POLICY}{}{}",
                deployment("api", ""),
                deployment("worker", "")
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Deployment/worker");
        assert_eq!(v[0].1.path.to_string(), "spec.template.metadata.labels");
        assert!(v[0].1.message.contains("`api`"), "{}", v[0].1.message);
    }

    #[test]
    fn passes_when_every_workload_is_selected() {
        let deny_all = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Egress]}\n";
        let v = run_set(
            &WORKLOAD_NOT_SELECTED,
            &format!(
                "{POLICY}{deny_all}{}{}",
                deployment("api", ""),
                deployment("worker", "")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_in_namespaces_without_policies() {
        let v = run_set(&WORKLOAD_NOT_SELECTED, &deployment("worker", ""));
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn leaves_out_host_network_pods() {
        let host = deployment("agent", "      hostNetwork: true\n");
        let v = run_set(&WORKLOAD_NOT_SELECTED, &format!("{POLICY}{host}"));
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn reports_the_pods_of_a_cluster_dump_once_at_their_owner() {
        let replica_set = "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: worker-5d\n  namespace: shop\n  ownerReferences: [{kind: Deployment, name: worker, controller: true}]\nspec:\n  selector: {matchLabels: {app: worker}}\n  template:\n    metadata: {labels: {app: worker}}\n    spec: {containers: [{name: c, image: 'app:1'}]}\n";
        let pod = |name: &str| {
            format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  labels: {{app: worker}}\n  ownerReferences: [{{kind: ReplicaSet, name: worker-5d, controller: true}}]\nspec: {{containers: [{{name: c, image: 'app:1'}}]}}\n"
            )
        };
        let v = run_set(
            &WORKLOAD_NOT_SELECTED,
            &format!(
                "{POLICY}{}{replica_set}{}{}",
                deployment("worker", ""),
                pod("worker-5d-a"),
                pod("worker-5d-b")
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Deployment/worker");

        // Without the Deployment and the ReplicaSet, the pods are reported at the first.
        let v = run_set(
            &WORKLOAD_NOT_SELECTED,
            &format!("{POLICY}{}{}", pod("worker-5d-a"), pod("worker-5d-b")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Pod/worker-5d-a");
        assert_eq!(v[0].1.path.to_string(), "metadata.labels");
    }

    #[test]
    fn a_selector_that_cannot_be_evaluated_counts_as_selecting() {
        let odd = POLICY.replace(
            "{matchLabels: {app: api}}",
            "{matchExpressions: [{key: app, operator: Like, values: [w]}]}",
        );
        let v = run_set(
            &WORKLOAD_NOT_SELECTED,
            &format!("{odd}{}", deployment("worker", "")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
