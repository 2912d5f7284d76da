use super::policy_rules::{BINDING_KINDS, role_ref};
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No RoleBinding or ClusterRoleBinding refers to the ClusterRole `cluster-admin`
    /// (`roleRef.kind: ClusterRole`, `roleRef.name: cluster-admin`). The finding points at
    /// `roleRef.name`.
    ///
    /// Nothing is exempt, whoever the subjects are: Kubernetes ships its own bindings of
    /// `cluster-admin`, and a manifest repository should not be adding more. A RoleBinding
    /// is flagged too: it limits `cluster-admin` to one namespace, but there it still grants
    /// everything, including the namespace's Secrets and its RBAC.
    ///
    /// ## Why it matters
    /// `cluster-admin` can do anything to any object, everywhere. A ServiceAccount bound to
    /// it turns any pod that runs as that account, and anyone who can create pods with it,
    /// into a cluster owner; a user or group bound to it cannot be limited by any later
    /// policy short of removing the binding.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-admin}
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: cluster-admin
    /// subjects:
    /// - {kind: ServiceAccount, name: ci, namespace: ci}
    /// ```
    ///
    /// ## Fix
    /// Write a Role with the permissions the subject uses, and bind it in the namespaces
    /// where it uses them; the built-in `admin`, `edit` and `view` ClusterRoles bound with
    /// a RoleBinding are often close enough:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata: {name: ci-deployer, namespace: shop}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
    /// - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
    /// - CIS Kubernetes Benchmark, 5.1.1
    pub static RBAC_CLUSTER_ADMIN_BINDING = {
        id: "RBAC006",
        name: "rbac-cluster-admin-binding",
        category: Rbac,
        severity: Critical,
        default_enabled: true,
        applies: Applies::Kinds(BINDING_KINDS),
        pss_level: None,
        summary: "Bindings must not grant `cluster-admin`",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    if role_ref(cx.obj) != Some(("ClusterRole", "cluster-admin")) {
        return;
    }
    let scope = match cx.obj.id.kind.as_str() {
        "RoleBinding" => "in its namespace",
        _ => "across the cluster",
    };
    cx.report(
        palisade_load::FieldPath::parse_dotted("roleRef.name"),
        format!("{} grants `cluster-admin` {scope}", cx.obj.id.kind),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_bindings_of_cluster_admin() {
        let v = run(
            &RBAC_CLUSTER_ADMIN_BINDING,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ci-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: default, namespace: ci}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ns-admin, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n",
        );
        assert_eq!(paths(&v), ["roleRef.name", "roleRef.name"]);
        assert_eq!(
            v[0].message,
            "ClusterRoleBinding grants `cluster-admin` across the cluster"
        );
        assert_eq!(
            v[1].message,
            "RoleBinding grants `cluster-admin` in its namespace"
        );
    }

    #[test]
    fn passes_other_roles_and_a_namespaced_role_of_the_same_name() {
        let v = run(
            &RBAC_CLUSTER_ADMIN_BINDING,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: viewers}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: local, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cluster-admin}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
