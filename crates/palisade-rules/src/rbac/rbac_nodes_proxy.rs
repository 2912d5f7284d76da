use super::policy_rules::{ROLE_KINDS, listing, policy_rules};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No rule of a Role or ClusterRole grants any verb on `nodes/proxy` in the core API
    /// group (`apiGroups` listing `""` or `*`). `*/proxy` names the same subresource and
    /// counts too. One finding per rule, at the resource.
    ///
    /// Every verb counts, `get` included: monitoring agents usually ask for `get` only, but
    /// the kubelet has authorized WebSocket requests to its `exec`, `attach` and `run`
    /// endpoints as `get` on `nodes/proxy`.
    ///
    /// ## Why it matters
    /// `nodes/proxy` is what the kubelet checks for every endpoint of its API that has no
    /// narrower subresource, so a subject holding it can talk to any node's kubelet
    /// directly. Requests sent straight to a kubelet skip admission control and the API
    /// server's audit log. Through the kubelet a subject can list every pod on the node and
    /// run commands in any of their containers: the whole cluster, one node at a time.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes", "nodes/proxy"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## Fix
    /// Ask for the narrower subresources the agent reads; the kubelet authorizes `/metrics`
    /// as `nodes/metrics` and `/stats` as `nodes/stats`:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes", "nodes/metrics", "nodes/stats"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#nodes-proxy
    /// - https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/
    pub static RBAC_NODES_PROXY = {
        id: "RBAC005",
        name: "rbac-nodes-proxy",
        category: Rbac,
        severity: Critical,
        default_enabled: true,
        applies: Applies::Kinds(ROLE_KINDS),
        pss_level: None,
        summary: "Roles must not grant access to `nodes/proxy`",
        check: check,
    }
}

fn is_nodes_proxy(resource: &str) -> bool {
    matches!(resource, "nodes/proxy" | "*/proxy")
}

fn check(cx: &mut Cx<'_>) {
    for rule in policy_rules(cx.obj) {
        if !rule.covers_group("") {
            continue;
        }
        let Some(i) = rule.find("resources", is_nodes_proxy) else {
            continue;
        };
        let resource = rule.matching("resources", is_nodes_proxy)[0];
        let verbs = rule.matching("verbs", |_| true);
        if verbs.is_empty() {
            continue;
        }
        cx.report(
            rule.item_path("resources", i),
            format!(
                "{} grants {} on `{resource}`, which reaches the kubelet API of every node",
                rule.label(),
                listing(&verbs)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_any_verb_on_nodes_proxy() {
        let v = run(
            &RBAC_NODES_PROXY,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: metrics}\nrules:\n- apiGroups: ['']\n  resources: [nodes, nodes/proxy]\n  verbs: [get]\n- apiGroups: ['*']\n  resources: ['*/proxy']\n  verbs: [create]\n",
        );
        assert_eq!(
            paths(&v),
            ["rules[0].resources[1]", "rules[1].resources[0]"]
        );
        assert_eq!(
            v[0].message,
            "`rules[0]` grants `get` on `nodes/proxy`, which reaches the kubelet API of every node"
        );
        assert!(v[1].message.contains("on `*/proxy`"), "{}", v[1].message);
    }

    #[test]
    fn passes_other_node_subresources() {
        let v = run(
            &RBAC_NODES_PROXY,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: metrics}\nrules:\n- apiGroups: ['']\n  resources: [nodes, nodes/metrics, nodes/stats, services/proxy]\n  verbs: [get, list]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
