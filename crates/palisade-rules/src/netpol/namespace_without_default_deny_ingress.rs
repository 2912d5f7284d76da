use super::{Direction, missing_default_deny};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Every namespace that holds workloads among the scanned files has a default-deny
    /// ingress policy: a NetworkPolicy whose `podSelector` is empty (it selects every pod of
    /// the namespace), whose `policyTypes` include `Ingress` (as they do by default), and
    /// none of whose ingress rules lets everything in (`- {}`). The policy may allow some
    /// traffic, such as from the same namespace; what matters is that a pod no other policy
    /// names is closed, not open.
    ///
    /// The finding points at the `Namespace` object when the files have one, else at the
    /// namespace of the first workload of that namespace (workloads without a namespace are
    /// one namespace: they are applied together). The rule sees only the scanned files: a
    /// default deny applied from elsewhere (another repository, a cluster-wide tool) is
    /// unknown to it; suppress the finding for such namespaces.
    ///
    /// ## Why it matters
    /// Kubernetes lets every pod accept connections from every other pod, in every
    /// namespace, and from outside the cluster, until a NetworkPolicy selects it. Without a
    /// default deny, each new workload starts open, and one compromised pod can reach
    /// databases, admin endpoints and metrics of every team. On by default at medium
    /// severity: it is the baseline that network hardening guides (NSA/CISA, CIS) start
    /// from, and the rule reports it once per namespace, not once per workload.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Deny ingress to every pod of the namespace, then allow what each workload needs
    /// with policies of its own:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-ingress, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic
    /// - https://kubernetes.io/docs/concepts/security/security-checklist/#network-security
    pub static NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS = {
        id: "NPL001",
        name: "namespace-without-default-deny-ingress",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(super::NAMESPACE_AND_WORKLOADS),
        pss_level: None,
        summary: "Namespaces with workloads must deny ingress by default",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let applies = NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS.meta.applies;
    missing_default_deny(cx, Direction::Ingress, applies);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    const WEB: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'nginx:1.27'}]\n";

    fn policy(spec: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n{spec}"
        )
    }

    #[test]
    fn flags_the_namespace_object_when_no_policy_denies_by_default() {
        let v = run_set(
            &NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS,
            &format!("{NAMESPACE}{WEB}"),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Namespace/shop");
        assert_eq!(v[0].1.path.to_string(), "metadata.name");
        assert!(v[0].1.message.contains("`shop`"), "{}", v[0].1.message);
    }

    #[test]
    fn flags_the_first_workload_when_the_namespace_has_no_object() {
        let v = run_set(&NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS, WEB);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Deployment/web");
        assert_eq!(v[0].1.path.to_string(), "metadata.namespace");
        assert!(
            v[0].1.message.contains("`Deployment/web`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_with_a_default_deny_even_one_that_allows_some_traffic() {
        let deny = policy("  podSelector: {}\n  policyTypes: [Ingress]\n");
        let v = run_set(
            &NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS,
            &format!("{NAMESPACE}{WEB}{deny}"),
        );
        assert!(v.is_empty(), "{v:?}");
        let same_namespace =
            policy("  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}}]\n");
        let v = run_set(
            &NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS,
            &format!("{NAMESPACE}{WEB}{same_namespace}"),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn policies_that_select_some_pods_or_allow_everything_are_no_default_deny() {
        for spec in [
            "  podSelector: {matchLabels: {app: web}}\n",
            "  podSelector: {}\n  ingress: [{}]\n",
            "  podSelector: {}\n  policyTypes: [Egress]\n",
        ] {
            let v = run_set(
                &NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS,
                &format!("{NAMESPACE}{WEB}{}", policy(spec)),
            );
            assert_eq!(v.len(), 1, "{spec}: {v:?}");
        }
    }

    #[test]
    fn namespaces_without_workloads_are_not_checked() {
        let v = run_set(&NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS, NAMESPACE);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_default_deny_in_another_namespace_does_not_count() {
        let other = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: other}\nspec: {podSelector: {}}\n";
        let v = run_set(
            &NAMESPACE_WITHOUT_DEFAULT_DENY_INGRESS,
            &format!("{WEB}{other}"),
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }
}
