use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a RoleBinding or ClusterRoleBinding among the files is given a role
    /// with a rule granting `*` verbs on `*` resources in `*` API groups: every permission
    /// there is, across the cluster through a ClusterRoleBinding, in the binding's namespace
    /// through a RoleBinding. The role may be in the files, gathered by an
    /// `aggregationRule` from ClusterRoles in the files, or one of Kubernetes' built-in
    /// roles. One finding per subject, at its entry in `subjects`, naming the role and the
    /// rule (and where it is written). Critical across the cluster or in `kube-system`, high
    /// in other namespaces.
    ///
    /// Bindings of `cluster-admin` itself are left to `rbac-cluster-admin-binding`
    /// (RBAC006), so that one binding gives one finding. Kubernetes' own users and groups
    /// (`system:masters`, `system:kube-controller-manager`, …) are not reported; nor are the
    /// public groups, which `rbac-binding-to-public-group` (RBAC007) reports whatever role
    /// they get. ServiceAccount groups (`system:serviceaccounts:<namespace>`) are reported.
    /// `docs/rbac.md` describes how bindings, roles and aggregation are read.
    ///
    /// ## Why it matters
    /// A subject that can do anything can read every Secret, run any pod as any
    /// ServiceAccount, rewrite RBAC itself and remove the traces. A rule of stars in a
    /// home-made role is `cluster-admin` under another name: reviews that look for
    /// `cluster-admin` miss it, and every permission a new API or CRD brings is granted
    /// too.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: ops}
    /// rules:
    /// - apiGroups: ["*"]
    ///   resources: ["*"]
    ///   verbs: ["*"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ops}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Fix
    /// Give the subject a role listing what it does, bound in the namespaces where it does
    /// it:
    /// ```yaml
    /// kind: Role
    /// metadata: {name: deployer, namespace: shop}
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "patch"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege
    /// - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles
    /// - CIS Kubernetes Benchmark, 5.1.1 and 5.1.3
    ///
    /// ## Known problems
    /// Only the files are read: a binding whose role is neither among them nor a built-in
    /// role Palisade models is not judged (`palisade who-can` lists it as unknown), and
    /// ClusterRoles aggregated into a role from outside the files are not seen.
    pub static RBAC_SUBJECT_FULL_CONTROL = {
        id: "RBAC101",
        name: "rbac-subject-full-control",
        category: Rbac,
        severity: Critical,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not give subjects every permission",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::FullControl);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};
    use crate::rule::Severity;
    use crate::testing::run_set;

    const STARS: &str = "[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]";

    #[test]
    fn flags_subjects_of_roles_that_grant_everything() {
        let v = run_set(
            &RBAC_SUBJECT_FULL_CONTROL,
            &format!(
                "{}{}{}",
                role("ops", "", STARS),
                binding("ops", "", "ClusterRole/ops", &account("ci", "deployer")),
                binding(
                    "local-ops",
                    "shop",
                    "ClusterRole/ops",
                    "[{kind: User, name: alice}, {kind: Group, name: 'system:masters'}]"
                ),
            ),
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].0, "ClusterRoleBinding/ops");
        assert_eq!(v[0].1.path.to_string(), "subjects[0]");
        assert_eq!(
            v[0].1.message,
            "`ServiceAccount ci/deployer` can do anything across the cluster through `ClusterRole/ops` `rules[0]` (line 5)"
        );
        assert_eq!(v[0].1.severity, Some(Severity::Critical));
        assert_eq!(v[1].0, "RoleBinding/local-ops");
        assert!(
            v[1].1.message.contains("in namespace `shop`"),
            "{}",
            v[1].1.message
        );
        assert_eq!(v[1].1.severity, Some(Severity::High));
    }

    #[test]
    fn leaves_cluster_admin_to_its_own_rule_and_passes_narrow_roles() {
        let v = run_set(
            &RBAC_SUBJECT_FULL_CONTROL,
            &format!(
                "{}{}{}",
                binding(
                    "admins",
                    "",
                    "ClusterRole/cluster-admin",
                    &account("ci", "a")
                ),
                role(
                    "reader",
                    "",
                    "[{apiGroups: ['*'], resources: ['*'], verbs: [get, list]}, {apiGroups: [apps], resources: ['*'], verbs: ['*']}]"
                ),
                binding("readers", "", "ClusterRole/reader", &account("ci", "b")),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
