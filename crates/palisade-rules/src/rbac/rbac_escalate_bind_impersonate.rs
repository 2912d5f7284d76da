use super::policy_rules::{PolicyRule, RBAC_GROUP, ROLE_KINDS, listing, policy_rules};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No rule of a Role or ClusterRole names the verbs `escalate`, `bind` or `impersonate`
    /// on resources where they take effect:
    ///
    /// - `escalate` and `bind` on `roles`, `clusterroles` or `*` in the
    ///   `rbac.authorization.k8s.io` group (or `*`);
    /// - `impersonate` on `users`, `groups`, `serviceaccounts`, `uids`, `userextras/…` or
    ///   `*` in the core or `authentication.k8s.io` group (or `*`).
    ///
    /// One finding per rule, at the first such verb, naming all of them. A `*` verb also
    /// includes these three; `rbac-wildcard` (RBAC001) reports it. A rule narrowed by
    /// `resourceNames` is still flagged: which roles or identities it names, and what they
    /// can do, cannot be seen from this object, so it needs a human decision and a
    /// suppression with the reason.
    ///
    /// ## Why it matters
    /// These verbs are the RBAC system's own escape hatches. `escalate` lets a subject write
    /// Roles granting permissions it does not hold; `bind` lets it bind any Role, including
    /// `cluster-admin`, to itself; `impersonate` lets it act as another user, group or
    /// ServiceAccount, such as `system:masters`. Each turns whatever else the role grants
    /// into full control.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   verbs: ["bind", "escalate"]
    /// ```
    ///
    /// ## Fix
    /// Remove the verbs. A controller that must create bindings should get `bind` only for
    /// the roles it hands out, and that narrowing should be reviewed and suppressed with a
    /// reason:
    /// ```yaml
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   resourceNames: ["view"]
    ///   verbs: ["bind"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#bind-verb
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#impersonate-verb
    /// - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping
    pub static RBAC_ESCALATE_BIND_IMPERSONATE = {
        id: "RBAC004",
        name: "rbac-escalate-bind-impersonate",
        category: Rbac,
        severity: Critical,
        default_enabled: true,
        applies: Applies::Kinds(ROLE_KINDS),
        pss_level: None,
        summary: "Roles must not grant `escalate`, `bind` or `impersonate`",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    for rule in policy_rules(cx.obj) {
        let found: Vec<(usize, &str)> = rule
            .items("verbs")
            .filter(|(_, verb)| takes_effect(&rule, verb))
            .collect();
        let Some(&(first, _)) = found.first() else {
            continue;
        };
        let verbs: Vec<&str> = found.iter().map(|(_, v)| *v).collect();
        cx.report(
            rule.item_path("verbs", first),
            format!(
                "{} grants {}, which lets subjects gain permissions they were not given",
                rule.label(),
                listing(&verbs)
            ),
        );
        for verb in verbs {
            cx.case(verb);
        }
    }
}

/// Whether `verb` in `rule` applies to a resource where it grants more privilege.
fn takes_effect(rule: &PolicyRule<'_>, verb: &str) -> bool {
    let has_resource = |accept: fn(&str) -> bool| rule.find("resources", accept).is_some();
    match verb {
        "escalate" | "bind" => {
            rule.covers_group(RBAC_GROUP)
                && has_resource(|r| matches!(r, "roles" | "clusterroles" | "*"))
        }
        "impersonate" => {
            (rule.covers_group("") || rule.covers_group("authentication.k8s.io"))
                && has_resource(|r| {
                    matches!(r, "users" | "groups" | "serviceaccounts" | "uids" | "*")
                        || r.starts_with("userextras")
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_escalation_verbs_where_they_take_effect() {
        let v = run(
            &RBAC_ESCALATE_BIND_IMPERSONATE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n- apiGroups: [rbac.authorization.k8s.io]\n  resources: [clusterroles, roles]\n  verbs: [get, bind, escalate]\n- apiGroups: ['']\n  resources: [serviceaccounts]\n  resourceNames: [deployer]\n  verbs: [impersonate]\n- apiGroups: [authentication.k8s.io]\n  resources: [userextras/scopes]\n  verbs: [impersonate]\n",
        );
        assert_eq!(
            paths(&v),
            [
                "rules[0].verbs[1]",
                "rules[1].verbs[0]",
                "rules[2].verbs[0]"
            ]
        );
        assert_eq!(
            v[0].message,
            "`rules[0]` grants `bind`, `escalate`, which lets subjects gain permissions they were not given"
        );
    }

    #[test]
    fn passes_the_verbs_where_they_mean_nothing() {
        let v = run(
            &RBAC_ESCALATE_BIND_IMPERSONATE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: shop}\nrules:\n- apiGroups: [rbac.authorization.k8s.io]\n  resources: [rolebindings]\n  verbs: [get, list, create]\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [bind]\n- apiGroups: [example.com]\n  resources: [users]\n  verbs: [impersonate]\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
