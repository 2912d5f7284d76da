use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a RoleBinding or ClusterRoleBinding among the files can `get`, `list`
    /// or `watch` Secrets (core API group) through the role it is given: a role in the
    /// files, one aggregated from ClusterRoles in the files, or a built-in role such as
    /// `edit` or `admin`. One finding per subject, at its entry in `subjects`, naming the
    /// role, the rule that grants the read and where it is written. High across the cluster
    /// and in `kube-system`, medium in other namespaces.
    ///
    /// A rule narrowed by `resourceNames` to named Secrets is not counted: reading the one
    /// Secret a workload needs is least privilege. A rule granting everything is
    /// `rbac-subject-full-control`'s (RBAC101). Kubernetes' own `system:` users and groups
    /// are not reported, nor the public groups (`rbac-binding-to-public-group`, RBAC007).
    ///
    /// ## Why it matters
    /// `list` and `watch` return the values of Secrets just as `get` does. A subject that
    /// reads the Secrets of a namespace holds every credential kept there: database
    /// passwords, cloud keys, TLS keys and, where they still exist, the long-lived tokens of
    /// the namespace's ServiceAccounts, with their permissions. Across the cluster, or in
    /// `kube-system`, that includes the control plane's own credentials.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: config-reader, namespace: shop}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps", "secrets"]
    ///   verbs: ["get", "list", "watch"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: web-config, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
    /// subjects:
    /// - {kind: ServiceAccount, name: web}
    /// ```
    ///
    /// ## Fix
    /// Mount the Secrets a workload needs instead of reading them through the API; if it
    /// must read one, name it:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   resourceNames: ["web-tls"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets
    /// - https://kubernetes.io/docs/concepts/security/secrets-good-practices/#least-privilege-secrets
    /// - CIS Kubernetes Benchmark, 5.1.2
    ///
    /// ## Known problems
    /// Only the files are read: a binding whose role is neither among them nor a built-in
    /// role Palisade models is not judged (`palisade who-can` lists it as unknown).
    /// Controllers that must watch Secrets (ingress controllers, certificate managers) are
    /// reported too; suppress the finding on their binding with the reason.
    pub static RBAC_SUBJECT_READS_SECRETS = {
        id: "RBAC102",
        name: "rbac-subject-reads-secrets",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not let subjects read Secrets",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::ReadSecrets);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};
    use crate::rule::Severity;
    use crate::testing::run_set;

    #[test]
    fn flags_each_subject_with_the_role_rule_that_reads() {
        let v = run_set(
            &RBAC_SUBJECT_READS_SECRETS,
            &format!(
                "{}{}",
                role(
                    "reader",
                    "shop",
                    "[{apiGroups: [''], resources: [configmaps], verbs: [get]}, {apiGroups: [''], resources: ['*'], verbs: [list, watch]}]"
                ),
                binding(
                    "reader",
                    "shop",
                    "Role/reader",
                    "[{kind: ServiceAccount, name: web}, {kind: User, name: 'system:serviceaccount:ops:bot'}, {kind: User, name: 'system:kube-scheduler'}]"
                ),
            ),
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(
            v[0].1.message,
            "`ServiceAccount shop/web` can read Secrets (`list`, `watch`) in namespace `shop` through `Role/reader` `rules[1]` (line 5)"
        );
        assert_eq!(v[0].1.severity, Some(Severity::Medium));
        assert_eq!(v[1].1.path.to_string(), "subjects[1]");
        assert!(
            v[1].1.message.starts_with("`ServiceAccount ops/bot`"),
            "{}",
            v[1].1.message
        );
    }

    #[test]
    fn a_cluster_role_bound_in_a_namespace_reads_only_there() {
        let v = run_set(
            &RBAC_SUBJECT_READS_SECRETS,
            &format!(
                "{}{}{}",
                role(
                    "secrets",
                    "",
                    "[{apiGroups: [''], resources: [secrets], verbs: [get]}]"
                ),
                binding(
                    "in-shop",
                    "shop",
                    "ClusterRole/secrets",
                    &account("shop", "web")
                ),
                binding(
                    "everywhere",
                    "",
                    "ClusterRole/secrets",
                    &account("shop", "web")
                ),
            ),
        );
        let scopes: Vec<(&str, Option<Severity>)> = v
            .iter()
            .map(|(name, v)| (name.as_str(), v.severity))
            .collect();
        assert_eq!(
            scopes,
            [
                ("RoleBinding/in-shop", Some(Severity::Medium)),
                ("ClusterRoleBinding/everywhere", Some(Severity::High)),
            ]
        );
        assert!(v[0].1.message.contains("in namespace `shop`"));
        assert!(v[1].1.message.contains("across the cluster"));
    }

    #[test]
    fn built_in_edit_reads_secrets_and_view_does_not() {
        let v = run_set(
            &RBAC_SUBJECT_READS_SECRETS,
            &format!(
                "{}{}",
                binding(
                    "dev",
                    "shop",
                    "ClusterRole/edit",
                    "[{kind: Group, name: devs}]"
                ),
                binding(
                    "qa",
                    "shop",
                    "ClusterRole/view",
                    "[{kind: Group, name: qa}]"
                ),
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].1.message,
            "`Group devs` can read Secrets (`get`, `list`, `watch`) in namespace `shop` through the built-in `ClusterRole/edit`, which aggregates `ClusterRole/system:aggregate-to-edit` `rules[0]`"
        );
    }

    #[test]
    fn passes_named_secrets_other_groups_and_missing_roles() {
        let v = run_set(
            &RBAC_SUBJECT_READS_SECRETS,
            &format!(
                "{}{}{}{}",
                role(
                    "narrow",
                    "shop",
                    "[{apiGroups: [''], resources: [secrets], resourceNames: [web-tls], verbs: [get, list]}, {apiGroups: [example.com], resources: [secrets], verbs: [get]}, {apiGroups: [''], resources: [secrets], verbs: [create, delete]}]"
                ),
                binding("narrow", "shop", "Role/narrow", &account("shop", "web")),
                binding(
                    "absent",
                    "shop",
                    "Role/not-in-files",
                    &account("shop", "web")
                ),
                binding(
                    "elsewhere",
                    "other",
                    "Role/narrow",
                    &account("other", "web")
                ),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
