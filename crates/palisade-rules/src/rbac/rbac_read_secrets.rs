use super::policy_rules::{ROLE_KINDS, listing, policy_rules};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

const READ_VERBS: &[&str] = &["get", "list", "watch", "*"];

declare_rule! {
    /// ## What it checks
    /// No rule of a Role or ClusterRole grants `get`, `list`, `watch` or `*` on `secrets`
    /// in the core API group (`apiGroups` listing `""` or `*`). The finding points at
    /// `secrets` in the rule's `resources`.
    ///
    /// Only `secrets` named explicitly is this rule's concern; `*` in `resources` also
    /// covers Secrets, and `rbac-wildcard` (RBAC001) reports it, so one cause gives one
    /// finding. A rule narrowed by `resourceNames` to named Secrets is not flagged: reading
    /// the one Secret a workload needs is what least privilege looks like.
    ///
    /// ## Why it matters
    /// Secrets hold the credentials of everything else: database passwords, cloud keys,
    /// TLS keys and, on older clusters, the tokens of every ServiceAccount, including
    /// privileged ones. `list` and `watch` return the values just as `get` does, so any of
    /// the three reads every Secret in the role's scope, and with it whatever those
    /// Secrets unlock.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## Fix
    /// Mount the Secrets the workload needs as volumes or environment variables instead of
    /// reading them through the API. If it must use the API, name the Secrets:
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
    pub static RBAC_READ_SECRETS = {
        id: "RBAC002",
        name: "rbac-read-secrets",
        category: Rbac,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(ROLE_KINDS),
        pss_level: None,
        summary: "Roles should not read Secrets",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    for rule in policy_rules(cx.obj) {
        if !rule.covers_group("") || rule.is_narrowed() {
            continue;
        }
        let Some(i) = rule.find("resources", |r| r == "secrets") else {
            continue;
        };
        let verbs = rule.matching("verbs", |v| READ_VERBS.contains(&v));
        if verbs.is_empty() {
            continue;
        }
        cx.report(
            rule.item_path("resources", i),
            format!(
                "{} grants {} on `secrets`, which reads their values",
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
    fn flags_rules_that_read_secrets() {
        let v = run(
            &RBAC_READ_SECRETS,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules:\n- apiGroups: ['']\n  resources: [configmaps, secrets]\n  verbs: [list, watch, create]\n- apiGroups: ['*']\n  resources: [secrets]\n  verbs: ['*']\n",
        );
        assert_eq!(
            paths(&v),
            ["rules[0].resources[1]", "rules[1].resources[0]"]
        );
        assert_eq!(
            v[0].message,
            "`rules[0]` grants `list`, `watch` on `secrets`, which reads their values"
        );
    }

    #[test]
    fn passes_writes_named_secrets_wildcards_and_other_groups() {
        let v = run(
            &RBAC_READ_SECRETS,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [create, update]\n- apiGroups: ['']\n  resources: [secrets]\n  resourceNames: [web-tls]\n  verbs: [get]\n- apiGroups: ['']\n  resources: ['*']\n  verbs: [get]\n- apiGroups: [example.com]\n  resources: [secrets]\n  verbs: [get]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
