use super::{Direction, missing_default_deny};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Every namespace that holds workloads among the scanned files has a default-deny
    /// egress policy: a NetworkPolicy whose `podSelector` is empty, whose `policyTypes`
    /// include `Egress`, and none of whose egress rules lets everything out (`- {}`). The
    /// policy may allow some traffic, such as DNS.
    ///
    /// The finding points at the `Namespace` object when the files have one, else at the
    /// namespace of the first workload of that namespace. A default deny applied from
    /// outside the scanned files is unknown to the rule.
    ///
    /// ## Why it matters
    /// Without egress isolation a compromised pod can reach anything: other namespaces, the
    /// cloud provider's metadata endpoint, the internet to fetch tools or send data out.
    /// Denying egress by default and allowing each workload's destinations closes that
    /// path. Off by default, at low severity: locking egress down means keeping a list of
    /// every destination (DNS, APIs, databases outside the cluster), which regulated or
    /// high-value environments do and most others do not; select it with
    /// `--extend-select NPL002` where egress must be closed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: payments}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: payments}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: "payments-api:2.3"}]
    /// ```
    ///
    /// ## Fix
    /// Deny egress from every pod of the namespace except DNS, then allow each workload's
    /// destinations with policies of its own:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-egress, namespace: payments}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to:
    ///     - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
    ///       podSelector: {matchLabels: {k8s-app: kube-dns}}
    ///     ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic
    /// - https://kubernetes.io/docs/concepts/security/security-checklist/#network-security
    pub static NAMESPACE_WITHOUT_DEFAULT_DENY_EGRESS = {
        id: "NPL002",
        name: "namespace-without-default-deny-egress",
        category: Network,
        severity: Low,
        default_enabled: false,
        applies: Applies::Kinds(super::NAMESPACE_AND_WORKLOADS),
        pss_level: None,
        summary: "Namespaces with workloads should deny egress by default",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let applies = NAMESPACE_WITHOUT_DEFAULT_DENY_EGRESS.meta.applies;
    missing_default_deny(cx, Direction::Egress, applies);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: payments}\n";
    const API: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: payments}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: 'payments-api:2.3'}]\n";

    fn policy(spec: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: payments}}\nspec:\n{spec}"
        )
    }

    #[test]
    fn flags_a_namespace_whose_policies_isolate_only_ingress() {
        let ingress_only = policy("  podSelector: {}\n");
        let v = run_set(
            &NAMESPACE_WITHOUT_DEFAULT_DENY_EGRESS,
            &format!("{NAMESPACE}{API}{ingress_only}"),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Namespace/payments");
        assert!(v[0].1.message.contains("egress"), "{}", v[0].1.message);
    }

    #[test]
    fn passes_with_a_default_deny_that_allows_dns() {
        let deny = policy(
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 53, protocol: UDP}]\n",
        );
        let v = run_set(
            &NAMESPACE_WITHOUT_DEFAULT_DENY_EGRESS,
            &format!("{NAMESPACE}{API}{deny}"),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn an_egress_rule_that_allows_everything_is_no_default_deny() {
        let open = policy("  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]\n");
        let v = run_set(
            &NAMESPACE_WITHOUT_DEFAULT_DENY_EGRESS,
            &format!("{NAMESPACE}{API}{open}"),
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn workloads_without_a_namespace_are_reported_at_their_metadata() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: job}\nspec: {containers: [{name: c, image: 'busybox:1.36'}]}\n";
        let v = run_set(&NAMESPACE_WITHOUT_DEFAULT_DENY_EGRESS, pod);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].1.path.to_string(), "metadata");
        assert!(
            v[0].1.message.contains("without a namespace"),
            "{}",
            v[0].1.message
        );
    }
}
