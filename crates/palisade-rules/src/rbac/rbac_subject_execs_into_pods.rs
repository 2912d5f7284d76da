use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a RoleBinding or ClusterRoleBinding among the files can run commands
    /// in running pods: `create` or `get` on `pods/exec` or `pods/attach`, or `patch` or
    /// `update` on `pods/ephemeralcontainers` (core API group), through a role in the files,
    /// aggregated from them, or built in (`edit`, `admin`). One finding per subject, at its
    /// entry in `subjects`, naming the role, the rule and where it is written. High across
    /// the cluster and in `kube-system`, medium in other namespaces.
    ///
    /// `get` counts because WebSocket exec and attach requests were authorized as `get` on
    /// clusters before Kubernetes 1.35. A rule narrowed by `resourceNames` still counts (the
    /// message names the pods): running commands in one pod is still taking it over. A
    /// rule granting everything is `rbac-subject-full-control`'s (RBAC101). Kubernetes' own
    /// `system:` users and groups, and the public groups, are not reported.
    ///
    /// ## Why it matters
    /// A command run in a container has everything the container has: its ServiceAccount
    /// token and so its permissions, its mounted Secrets, its network position. An
    /// ephemeral container added to a pod does the same, with an image of the caller's
    /// choosing. Neither passes the admission checks that guard pod creation.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: debugger, namespace: shop}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/exec"]
    ///   verbs: ["get", "create"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: support, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: debugger}
    /// subjects:
    /// - {kind: Group, name: support}
    /// ```
    ///
    /// ## Fix
    /// Keep read access to pods and their logs, and grant exec through a break-glass role
    /// bound only while it is needed:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/log"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks
    /// - https://kubernetes.io/docs/concepts/workloads/pods/ephemeral-containers/
    ///
    /// ## Known problems
    /// Only the files are read: a binding whose role is neither among them nor a built-in
    /// role Palisade models is not judged (`palisade who-can` lists it as unknown).
    pub static RBAC_SUBJECT_EXECS_INTO_PODS = {
        id: "RBAC104",
        name: "rbac-subject-execs-into-pods",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not let subjects run commands in pods",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::ExecIntoPods);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{binding, role};
    use crate::testing::run_set;

    #[test]
    fn flags_exec_attach_and_ephemeral_containers() {
        let v = run_set(
            &RBAC_SUBJECT_EXECS_INTO_PODS,
            &format!(
                "{}{}{}{}",
                role(
                    "debug",
                    "shop",
                    "[{apiGroups: [''], resources: ['*/exec'], verbs: [get]}, {apiGroups: [''], resources: [pods/ephemeralcontainers], verbs: [patch]}]"
                ),
                binding(
                    "support",
                    "shop",
                    "Role/debug",
                    "[{kind: Group, name: support}]"
                ),
                role(
                    "one-pod",
                    "shop",
                    "[{apiGroups: [''], resources: [pods/attach], resourceNames: [web-0], verbs: [create]}]"
                ),
                binding(
                    "one-pod",
                    "shop",
                    "Role/one-pod",
                    "[{kind: User, name: bob}]"
                ),
            ),
        );
        let messages: Vec<&str> = v.iter().map(|(_, v)| v.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`Group support` can run commands in pods (`pods/exec`) in namespace `shop` through `Role/debug` `rules[0]` (line 5) and 1 more rule",
                "`User bob` can run commands in pods (`pods/attach`, only `web-0`) in namespace `shop` through `Role/one-pod` `rules[0]` (line 16)",
            ]
        );
    }

    #[test]
    fn passes_pod_reads_logs_and_subresources_named_by_a_pods_wildcard() {
        let v = run_set(
            &RBAC_SUBJECT_EXECS_INTO_PODS,
            &format!(
                "{}{}",
                role(
                    "viewer",
                    "shop",
                    "[{apiGroups: [''], resources: [pods, pods/log, 'pods/*'], verbs: [get, list, create]}, {apiGroups: [apps], resources: [pods/exec], verbs: [create]}]"
                ),
                binding("viewer", "shop", "Role/viewer", "[{kind: User, name: bob}]"),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
