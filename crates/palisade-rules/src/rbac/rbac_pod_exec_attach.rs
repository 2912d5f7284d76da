use super::policy_rules::{ROLE_KINDS, listing, policy_rules};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No rule of a Role or ClusterRole grants `create`, `get` or `*` on `pods/exec` or
    /// `pods/attach` in the core API group (`apiGroups` listing `""` or `*`). `*/exec` and
    /// `*/attach` name the same subresources and count too. One finding per rule, at the
    /// first such resource.
    ///
    /// `get` alone is flagged too. A WebSocket exec or attach (what `kubectl exec` uses
    /// since Kubernetes 1.30) starts as a `GET` request and is authorized as `get` on the
    /// subresource. From Kubernetes 1.35 the API server also asks for `create`
    /// (feature gate `AuthorizePodWebsocketUpgradeCreatePermission`, on by default), but
    /// on older clusters, or with that gate off, `get` is enough. A rule narrowed by
    /// `resourceNames` is still flagged: it still runs commands in the pods it names.
    ///
    /// ## Why it matters
    /// Exec and attach run commands inside a running container, with its service account
    /// token, its mounted Secrets and its network position. Whoever holds the permission
    /// holds everything every pod in the role's scope holds, and the commands bypass the
    /// admission controls that guard pod creation.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/exec"]
    ///   verbs: ["get", "create"]
    /// ```
    ///
    /// ## Fix
    /// Drop the subresource and keep the read access; give interactive access through a
    /// break-glass role that is bound only when needed, and audited:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/log"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks
    /// - https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb
    /// - https://github.com/kubernetes/enhancements/issues/4006 (WebSockets for exec and attach)
    pub static RBAC_POD_EXEC_ATTACH = {
        id: "RBAC003",
        name: "rbac-pod-exec-attach",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(ROLE_KINDS),
        pss_level: None,
        summary: "Roles should not allow exec or attach into pods",
        check: check,
    }
}

fn is_exec_or_attach(resource: &str) -> bool {
    matches!(
        resource,
        "pods/exec" | "pods/attach" | "*/exec" | "*/attach"
    )
}

fn check(cx: &mut Cx<'_>) {
    for rule in policy_rules(cx.obj) {
        if !rule.covers_group("") {
            continue;
        }
        let Some(i) = rule.find("resources", is_exec_or_attach) else {
            continue;
        };
        let verbs = rule.matching("verbs", |v| matches!(v, "create" | "get" | "*"));
        if verbs.is_empty() {
            continue;
        }
        cx.report(
            rule.item_path("resources", i),
            format!(
                "{} grants {} on {}, which runs commands inside pods",
                rule.label(),
                listing(&verbs),
                listing(&rule.matching("resources", is_exec_or_attach))
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_exec_and_attach_with_get_or_create() {
        let v = run(
            &RBAC_POD_EXEC_ATTACH,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: debugger}\nrules:\n- apiGroups: ['']\n  resources: [pods, pods/exec, pods/attach]\n  verbs: [get]\n- apiGroups: ['*']\n  resources: ['*/exec']\n  verbs: [create]\n",
        );
        assert_eq!(
            paths(&v),
            ["rules[0].resources[1]", "rules[1].resources[0]"]
        );
        assert_eq!(
            v[0].message,
            "`rules[0]` grants `get` on `pods/exec`, `pods/attach`, which runs commands inside pods"
        );
    }

    #[test]
    fn passes_other_subresources_and_verbs() {
        let v = run(
            &RBAC_POD_EXEC_ATTACH,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules:\n- apiGroups: ['']\n  resources: [pods, pods/log]\n  verbs: [get, list]\n- apiGroups: ['']\n  resources: [pods/exec]\n  verbs: [list]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
