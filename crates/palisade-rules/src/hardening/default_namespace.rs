use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Namespaced objects do not write `metadata.namespace: default`.
    ///
    /// Objects with no namespace at all are not flagged. Kustomize (`namespace:`), Helm
    /// (`--namespace`), Argo CD and Flux all set the namespace when they deploy, and leaving
    /// it out is how reusable manifests are meant to be written; only an explicit
    /// `default` is a decision that can be seen in the file.
    ///
    /// ## Why it matters
    /// The `default` namespace is where everything lands that nobody placed on purpose.
    /// Workloads there share one set of RBAC grants, ResourceQuotas, NetworkPolicies and
    /// Pod Security labels with whatever else ended up there, so none of them can be
    /// tightened for your application without affecting strangers. A namespace of its own
    /// gives the application its own boundary.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: default
    /// ```
    ///
    /// ## Fix
    /// Create a namespace for the application and use it, or leave the field out and let
    /// the deployment tool set it:
    /// ```yaml
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
    /// - CIS Kubernetes Benchmark, 5.7.4
    pub static DEFAULT_NAMESPACE = {
        id: "HRD003",
        name: "default-namespace",
        category: Hardening,
        severity: Low,
        default_enabled: true,
        applies: Applies::Namespaced,
        pss_level: None,
        summary: "Objects should not be placed in the `default` namespace",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let namespace = cx
        .obj
        .root
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .and_then(|n| n.as_str());
    if namespace.map(str::trim) != Some("default") {
        return;
    }
    cx.report(
        palisade_load::FieldPath::parse_dotted("metadata.namespace"),
        format!("{} is placed in the `default` namespace", cx.obj.id.kind),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_objects_written_into_default() {
        let v = run(
            &DEFAULT_NAMESPACE,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\n",
        );
        assert_eq!(paths(&v), ["metadata.namespace", "metadata.namespace"]);
        assert_eq!(
            v[0].message,
            "ConfigMap is placed in the `default` namespace"
        );
    }

    #[test]
    fn passes_other_namespaces_missing_ones_and_cluster_scoped_kinds() {
        let v = run(
            &DEFAULT_NAMESPACE,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c, namespace: default}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
