use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a RoleBinding or ClusterRoleBinding among the files holds RBAC's own
    /// escape hatches through the role it is given (in the files, aggregated from them, or
    /// built in): `escalate` or `bind` on `roles` or `clusterroles`
    /// (`rbac.authorization.k8s.io`), or `impersonate` on `users`, `groups` or
    /// `serviceaccounts` (core group). One finding per subject, at its entry in `subjects`,
    /// naming the verbs, the role, the rule and where it is written. Critical across the
    /// cluster and in `kube-system`, high in other namespaces.
    ///
    /// Users, groups and ClusterRoles live outside namespaces, so through a RoleBinding
    /// only `impersonate` on the namespace's ServiceAccounts and `escalate` or `bind` on its
    /// Roles count (the built-in `edit` role impersonates ServiceAccounts). A rule narrowed
    /// by `resourceNames` still counts. A rule granting everything is
    /// `rbac-subject-full-control`'s (RBAC101). Kubernetes' own `system:` users and groups,
    /// and the public groups, are not reported.
    ///
    /// ## Why it matters
    /// RBAC stops a subject from granting permissions it does not hold, unless it holds
    /// `escalate` (write any rule into a role) or `bind` (bind any role, `cluster-admin`
    /// included). `impersonate` lets it send requests as another user, group or
    /// ServiceAccount, such as the group `system:masters`, which no RBAC rule restricts.
    /// Each is a path to every permission in its scope.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: access-manager}
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles", "clusterrolebindings"]
    ///   verbs: ["create", "bind"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: access-manager}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: access-manager}
    /// subjects:
    /// - {kind: ServiceAccount, name: onboarding, namespace: platform}
    /// ```
    ///
    /// ## Fix
    /// Name the roles the subject may bind, and grant nothing it could use to widen them:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   resourceNames: ["view"]
    ///   verbs: ["bind"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping
    /// - https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb
    ///
    /// ## Known problems
    /// Which roles or identities a narrowed rule names, and what they can do, is not
    /// followed further. Only the files are read: a binding whose role is neither among them
    /// nor a built-in role Palisade models is not judged (`palisade who-can` lists it as
    /// unknown).
    pub static RBAC_SUBJECT_ESCALATES = {
        id: "RBAC107",
        name: "rbac-subject-escalates",
        category: Rbac,
        severity: Critical,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not give subjects `escalate`, `bind` or `impersonate`",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::Escalate);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};
    use crate::rule::Severity;
    use crate::testing::run_set;

    const ESCALATOR: &str = "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, roles], verbs: [bind]}, {apiGroups: [''], resources: [users, groups, serviceaccounts], verbs: [impersonate]}]";

    #[test]
    fn flags_escalation_verbs_by_scope() {
        let v = run_set(
            &RBAC_SUBJECT_ESCALATES,
            &format!(
                "{}{}{}",
                role("escalator", "", ESCALATOR),
                binding(
                    "everywhere",
                    "",
                    "ClusterRole/escalator",
                    &account("platform", "onboarding")
                ),
                binding(
                    "in-shop",
                    "shop",
                    "ClusterRole/escalator",
                    &account("shop", "ci")
                ),
            ),
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(
            v[0].1.message,
            "`ServiceAccount platform/onboarding` can raise its own permissions (`bind`) across the cluster through `ClusterRole/escalator` `rules[0]` (line 5) and 1 more rule"
        );
        assert_eq!(v[0].1.severity, Some(Severity::Critical));
        assert_eq!(v[1].1.severity, Some(Severity::High));
        assert!(v[1].1.message.contains("in namespace `shop`"));
    }

    #[test]
    fn built_in_edit_impersonates_service_accounts_of_its_namespace() {
        let v = run_set(
            &RBAC_SUBJECT_ESCALATES,
            &binding(
                "dev",
                "shop",
                "ClusterRole/edit",
                "[{kind: User, name: alice}]",
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].1
                .message
                .contains("(`impersonate`) in namespace `shop`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_cluster_scoped_targets_through_role_bindings_and_harmless_verbs() {
        let v = run_set(
            &RBAC_SUBJECT_ESCALATES,
            &format!(
                "{}{}{}{}",
                role(
                    "cluster-only",
                    "",
                    "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}, {apiGroups: [''], resources: [users, groups], verbs: [impersonate]}]"
                ),
                binding(
                    "in-shop",
                    "shop",
                    "ClusterRole/cluster-only",
                    &account("shop", "ci")
                ),
                role(
                    "harmless",
                    "",
                    "[{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create, bind]}]"
                ),
                binding(
                    "harmless",
                    "",
                    "ClusterRole/harmless",
                    &account("shop", "ci")
                ),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
