use super::policy_rules::{BINDING_KINDS, RBAC_GROUP, role_ref};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No RoleBinding or ClusterRoleBinding has a subject that stands for the public: the
    /// User `system:anonymous`, or the Group `system:unauthenticated` or
    /// `system:authenticated`. One finding per such subject, at its `name`.
    ///
    /// The bindings Kubernetes itself creates for these groups are not flagged: the
    /// ClusterRoles `system:basic-user`, `system:discovery` and `system:public-info-viewer`
    /// bound to `system:authenticated`, and `system:public-info-viewer` bound to
    /// `system:unauthenticated`. They grant only API discovery and version information.
    /// Every other role is flagged, even one that looks harmless today, because whoever
    /// edits that role later grants the change to everyone.
    ///
    /// ## Why it matters
    /// `system:anonymous` and `system:unauthenticated` are anyone who can reach the API
    /// server. `system:authenticated` sounds narrower but is every identity the cluster
    /// accepts: every ServiceAccount of every pod, and on some managed clusters any account
    /// of the cloud provider, not only those of your organisation. A binding to one of them
    /// grants its role to strangers.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}
    /// ```
    ///
    /// ## Fix
    /// Bind the role to the group of people or the ServiceAccounts that need it:
    /// ```yaml
    /// subjects:
    /// - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: team-shop}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles
    /// - https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
    pub static RBAC_BINDING_TO_PUBLIC_GROUP = {
        id: "RBAC007",
        name: "rbac-binding-to-public-group",
        category: Rbac,
        severity: Critical,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings must not grant roles to anonymous or all authenticated users",
        check: check,
    }
}

/// Subjects that stand for the public, and who they are.
const PUBLIC: &[(&str, &str, &str)] = &[
    ("User", "system:anonymous", "every unauthenticated request"),
    (
        "Group",
        "system:unauthenticated",
        "every unauthenticated request",
    ),
    (
        "Group",
        "system:authenticated",
        "every identity the cluster accepts",
    ),
];

/// The bindings Kubernetes ships for these subjects: (subject name, ClusterRole).
const BUILT_IN: &[(&str, &str)] = &[
    ("system:authenticated", "system:basic-user"),
    ("system:authenticated", "system:discovery"),
    ("system:authenticated", "system:public-info-viewer"),
    ("system:unauthenticated", "system:public-info-viewer"),
];

fn check(cx: &mut Cx<'_>) {
    if cx.obj.id.group() != RBAC_GROUP {
        return;
    }
    let role = role_ref(cx.obj);
    let Some(subjects) = cx.obj.root.get("subjects") else {
        return;
    };
    for (i, subject) in subjects.items().iter().enumerate() {
        let field = |key| subject.get(key).and_then(|n| n.as_str());
        let (Some(kind), Some(name)) = (field("kind"), field("name")) else {
            continue;
        };
        let Some((_, _, who)) = PUBLIC.iter().find(|(k, n, _)| *k == kind && *n == name) else {
            continue;
        };
        let built_in = matches!(role, Some(("ClusterRole", r)) if BUILT_IN.contains(&(name, r)));
        if built_in {
            continue;
        }

        let granted = role.map_or("its role".to_string(), |(_, r)| format!("`{r}`"));
        cx.report(
            palisade_load::FieldPath::root()
                .key("subjects")
                .index(i)
                .key("name"),
            format!(
                "{} grants {granted} to `{name}`, which is {who}",
                cx.obj.id.kind
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_each_public_subject() {
        let v = run(
            &RBAC_BINDING_TO_PUBLIC_GROUP,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: open}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: Group, name: team-shop}\n- {kind: Group, name: 'system:authenticated'}\n- {kind: User, name: 'system:anonymous'}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: open, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:discovery}\nsubjects:\n- {kind: Group, name: 'system:unauthenticated'}\n",
        );
        assert_eq!(
            paths(&v),
            ["subjects[1].name", "subjects[2].name", "subjects[0].name"]
        );
        assert_eq!(
            v[0].message,
            "ClusterRoleBinding grants `view` to `system:authenticated`, which is every identity the cluster accepts"
        );
        assert!(
            v[2].message.contains("`system:discovery`"),
            "{}",
            v[2].message
        );
    }

    #[test]
    fn passes_named_subjects_and_the_built_in_discovery_bindings() {
        let v = run(
            &RBAC_BINDING_TO_PUBLIC_GROUP,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: system:discovery}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:discovery}\nsubjects:\n- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: 'system:authenticated'}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ok}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: User, name: 'system:anonymous-ish'}\n- {kind: Group, name: 'system:anonymous'}\n- {kind: ServiceAccount, name: web, namespace: shop}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
