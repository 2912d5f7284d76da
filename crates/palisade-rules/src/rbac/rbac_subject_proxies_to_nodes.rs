use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a ClusterRoleBinding among the files can use `nodes/proxy` (core API
    /// group) with `get`, `create`, `update`, `patch` or `delete`, the verbs the kubelet
    /// maps its requests to, through a role in the files, aggregated from them, or built
    /// in. One finding per subject, at its entry in `subjects`, naming the role, the rule
    /// and where it is written.
    ///
    /// Nodes live outside namespaces, so a RoleBinding never grants `nodes/proxy`, whatever
    /// its role says; only ClusterRoleBindings are reported. A rule narrowed by
    /// `resourceNames` to named nodes still counts. A rule granting everything is
    /// `rbac-subject-full-control`'s (RBAC101). Kubernetes' own `system:` users and groups
    /// (the API server's kubelet client among them), and the public groups, are not
    /// reported.
    ///
    /// ## Why it matters
    /// `nodes/proxy` lets a subject talk to any node's kubelet through the API server, or
    /// straight to the kubelet: list its pods and, through the endpoints the kubelet
    /// authorizes as `get` on `nodes/proxy`, run commands in any container on the node.
    /// Requests sent straight to a kubelet skip admission control and the API server's
    /// audit log. Monitoring agents often ask for it when `nodes/metrics` would do.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: node-metrics}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes/proxy", "nodes/metrics"]
    ///   verbs: ["get"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: node-metrics}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-metrics}
    /// subjects:
    /// - {kind: ServiceAccount, name: agent, namespace: monitoring}
    /// ```
    ///
    /// ## Fix
    /// Ask for the narrow subresources the agent reads:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes/metrics", "nodes/stats"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/#kubelet-authorization
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks
    ///
    /// ## Known problems
    /// Only the files are read: a binding whose role is neither among them nor a built-in
    /// role Palisade models is not judged (`palisade who-can` lists it as unknown).
    pub static RBAC_SUBJECT_PROXIES_TO_NODES = {
        id: "RBAC105",
        name: "rbac-subject-proxies-to-nodes",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not let subjects reach kubelets through `nodes/proxy`",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::ProxyToNodes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};
    use crate::testing::run_set;

    const NODE_PROXY: &str =
        "[{apiGroups: [''], resources: [nodes/metrics, '*/proxy'], verbs: [get]}]";

    #[test]
    fn flags_cluster_wide_nodes_proxy() {
        let v = run_set(
            &RBAC_SUBJECT_PROXIES_TO_NODES,
            &format!(
                "{}{}",
                role("node-metrics", "", NODE_PROXY),
                binding(
                    "agent",
                    "",
                    "ClusterRole/node-metrics",
                    &account("monitoring", "agent")
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].1.message,
            "`ServiceAccount monitoring/agent` can reach the kubelets through `nodes/proxy` (`get`) across the cluster through `ClusterRole/node-metrics` `rules[0]` (line 5)"
        );
    }

    #[test]
    fn a_role_binding_grants_nothing_on_nodes() {
        let v = run_set(
            &RBAC_SUBJECT_PROXIES_TO_NODES,
            &format!(
                "{}{}{}",
                role("node-metrics", "", NODE_PROXY),
                binding(
                    "agent",
                    "monitoring",
                    "ClusterRole/node-metrics",
                    &account("monitoring", "agent")
                ),
                binding(
                    "kubelet-api",
                    "",
                    "ClusterRole/node-metrics",
                    "[{kind: User, name: 'system:kube-apiserver'}]"
                ),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
