use super::policy_rules::BINDING_KINDS;
use super::rights::{Right, report_subjects};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No subject of a RoleBinding or ClusterRoleBinding among the files can `create`
    /// `serviceaccounts/token` (core API group), the TokenRequest API, through a role in
    /// the files, aggregated from them, or built in (`edit` and `admin` can). One finding
    /// per subject, at its entry in `subjects`, naming the role, the rule and where it is
    /// written. High across the cluster and in `kube-system`, medium in other namespaces.
    ///
    /// A rule narrowed by `resourceNames` to named ServiceAccounts still counts (the message
    /// names them): it mints tokens for those accounts. A rule granting everything is
    /// `rbac-subject-full-control`'s (RBAC101). Kubernetes' own `system:` users and groups
    /// (the kubelet mints its pods' tokens this way), and the public groups, are not
    /// reported.
    ///
    /// ## Why it matters
    /// A token is the ServiceAccount: whoever can request one acts with every permission
    /// of every ServiceAccount in the role's scope, for as long as the token lives, from
    /// anywhere that reaches the API server. Across the cluster that includes the control
    /// plane's accounts in `kube-system`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: token-issuer}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts/token"]
    ///   verbs: ["create"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-tokens}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: token-issuer}
    /// subjects:
    /// - {kind: ServiceAccount, name: pipeline, namespace: ci}
    /// ```
    ///
    /// ## Fix
    /// Name the accounts whose tokens are needed, and bind the role in their namespace:
    /// ```yaml
    /// kind: Role
    /// metadata: {name: deployer-token, namespace: shop}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts/token"]
    ///   resourceNames: ["deployer"]
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks
    ///
    /// ## Known problems
    /// Creating Secrets of type `kubernetes.io/service-account-token`, the older way to
    /// obtain a token, is not counted here. Only the files are read: a binding whose role is
    /// neither among them nor a built-in role Palisade models is not judged
    /// (`palisade who-can` lists it as unknown).
    pub static RBAC_SUBJECT_MINTS_TOKENS = {
        id: "RBAC106",
        name: "rbac-subject-mints-tokens",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings should not let subjects create ServiceAccount tokens",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    report_subjects(cx, Right::MintTokens);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::fixtures::{account, binding, role};
    use crate::rule::Severity;
    use crate::testing::run_set;

    #[test]
    fn flags_token_requests_narrowed_or_not() {
        let v = run_set(
            &RBAC_SUBJECT_MINTS_TOKENS,
            &format!(
                "{}{}{}{}",
                role(
                    "issuer",
                    "",
                    "[{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create]}]"
                ),
                binding("ci", "", "ClusterRole/issuer", &account("ci", "pipeline")),
                role(
                    "one",
                    "shop",
                    "[{apiGroups: [''], resources: [serviceaccounts/token], resourceNames: [deployer], verbs: [create]}]"
                ),
                binding("one", "shop", "Role/one", &account("shop", "ci")),
            ),
        );
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].1.severity, Some(Severity::High));
        assert_eq!(v[1].1.severity, Some(Severity::Medium));
        assert!(
            v[1].1
                .message
                .contains("(`create`, only `deployer`) in namespace `shop`"),
            "{}",
            v[1].1.message
        );
    }

    #[test]
    fn passes_reading_service_accounts_and_the_kubelet() {
        let v = run_set(
            &RBAC_SUBJECT_MINTS_TOKENS,
            &format!(
                "{}{}{}",
                role(
                    "reader",
                    "",
                    "[{apiGroups: [''], resources: [serviceaccounts, serviceaccounts/token], verbs: [get, list]}]"
                ),
                binding(
                    "reader",
                    "",
                    "ClusterRole/reader",
                    &account("ci", "pipeline")
                ),
                binding(
                    "nodes",
                    "",
                    "ClusterRole/issuer-absent",
                    "[{kind: Group, name: 'system:nodes'}]"
                ),
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
