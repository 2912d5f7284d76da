use super::policy_rules::{ROLE_KINDS, listing, policy_rules};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No rule of a Role or ClusterRole has `*` in `verbs` or in `resources`. One finding
    /// per rule, at the `*` in `resources` when there is one (else at the `*` in `verbs`).
    ///
    /// `*` in `apiGroups` alone is not flagged: with named resources and verbs it only
    /// spreads the same grant over groups that happen to have a resource of that name,
    /// which is sloppy but not broad. `*/scale` and the like name one subresource of every
    /// resource and are not wildcards here either; `pods/*` matches nothing in RBAC.
    ///
    /// ## Why it matters
    /// A wildcard grants everything that exists now and everything added later: every CRD
    /// an operator installs, every new verb. `*` on resources includes Secrets, pods/exec
    /// and RBAC objects; `*` on verbs includes `escalate`, `bind`, `impersonate` and
    /// `delete`. Such a role is rarely what anyone meant and can rarely be reviewed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: deployer}
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["*"]
    ///   verbs: ["*"]
    /// ```
    ///
    /// ## Fix
    /// List what the subject actually does:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "watch", "patch"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege
    /// - https://kubernetes.io/docs/reference/access-authn-authz/rbac/
    /// - CIS Kubernetes Benchmark, 5.1.3
    pub static RBAC_WILDCARD = {
        id: "RBAC001",
        name: "rbac-wildcard",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(ROLE_KINDS),
        pss_level: None,
        summary: "Roles should not grant `*` verbs or resources",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    for rule in policy_rules(cx.obj) {
        let any_verb = rule.find("verbs", |v| v == "*");
        let any_resource = rule.find("resources", |r| r == "*");

        let (path, grant) = match (any_verb, any_resource) {
            (None, None) => continue,
            (_, Some(i)) => {
                let verbs = match any_verb {
                    Some(_) => "every verb".to_string(),
                    None => listing(&rule.matching("verbs", |_| true)),
                };
                (
                    rule.item_path("resources", i),
                    format!("{verbs} on every resource"),
                )
            }
            (Some(i), None) => {
                let mut targets = rule.matching("resources", |_| true);
                targets.extend(rule.matching("nonResourceURLs", |_| true));
                (
                    rule.item_path("verbs", i),
                    format!("every verb on {}", listing(&targets)),
                )
            }
        };
        cx.report(path, format!("{} grants {grant}", rule.label()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_each_rule_with_a_wildcard_once() {
        let v = run(
            &RBAC_WILDCARD,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: too-much}\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n- apiGroups: ['']\n  resources: [configmaps]\n  verbs: [get, '*']\n- apiGroups: [apps]\n  resources: [deployments, '*']\n  verbs: [get, list]\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n",
        );
        assert_eq!(
            paths(&v),
            [
                "rules[0].resources[0]",
                "rules[1].verbs[1]",
                "rules[2].resources[1]"
            ]
        );
        let messages: Vec<_> = v.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`rules[0]` grants every verb on every resource",
                "`rules[1]` grants every verb on `configmaps`",
                "`rules[2]` grants `get`, `list` on every resource",
            ]
        );
    }

    #[test]
    fn passes_named_verbs_and_resources_in_any_group() {
        let v = run(
            &RBAC_WILDCARD,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: shop}\nrules:\n- apiGroups: ['*']\n  resources: [deployments, '*/scale']\n  verbs: [get, list, watch]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
