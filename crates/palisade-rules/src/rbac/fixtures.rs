//! Manifests for the tests of the cross-object RBAC rules.

/// A Role (with a namespace) or ClusterRole (`ns` empty) with `rules`, a YAML flow list.
pub fn role(name: &str, ns: &str, rules: &str) -> String {
    let (kind, meta) = match ns {
        "" => ("ClusterRole", format!("{{name: {name}}}")),
        ns => ("Role", format!("{{name: {name}, namespace: {ns}}}")),
    };
    format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nrules: {rules}\n"
    )
}

/// A RoleBinding (with a namespace) or ClusterRoleBinding (`ns` empty) of `role_ref`
/// (`Role/x` or `ClusterRole/x`) to `subjects`, a YAML flow list.
pub fn binding(name: &str, ns: &str, role_ref: &str, subjects: &str) -> String {
    let (kind, meta) = match ns {
        "" => ("ClusterRoleBinding", format!("{{name: {name}}}")),
        ns => ("RoleBinding", format!("{{name: {name}, namespace: {ns}}}")),
    };
    let (ref_kind, ref_name) = role_ref
        .split_once('/')
        .unwrap_or(("ClusterRole", role_ref));
    format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {ref_kind}, name: '{ref_name}'}}\nsubjects: {subjects}\n"
    )
}

/// A Deployment in `ns` running as `account` (`None`: no `serviceAccountName`).
pub fn deployment(name: &str, ns: &str, account: Option<&str>) -> String {
    let account = account.map_or(String::new(), |a| {
        format!("      serviceAccountName: {a}\n")
    });
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{account}      containers: [{{name: app, image: 'nginx:1.27'}}]\n"
    )
}

/// The subject `ServiceAccount ns/name`, as a flow list of one.
pub fn account(ns: &str, name: &str) -> String {
    format!("[{{kind: ServiceAccount, name: {name}, namespace: {ns}}}]")
}
