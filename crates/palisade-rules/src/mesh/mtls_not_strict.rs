use palisade_load::{FieldPath, Node};
use palisade_model::Object;

use super::index::MeshIndex;
use super::is_istio;
use crate::declare_rule;
use crate::rule::{Applies, SetCx, Severity};
use crate::wiring::index::{kind_name, namespace};

declare_rule! {
    /// ## What it checks
    /// That the mesh requires mutual TLS:
    /// - the mesh-wide PeerAuthentication (in the root namespace, without a `selector`)
    ///   sets `mtls.mode: STRICT` — left out or `UNSET`, it means `PERMISSIVE`;
    /// - no namespace-wide or workload PeerAuthentication sets `PERMISSIVE` or `DISABLE`,
    ///   for all ports (`mtls.mode`) or some (`portLevelMtls`);
    /// - when the files install a mesh, a mesh-wide PeerAuthentication exists at all.
    ///
    /// PeerAuthentications of `security.istio.io` are read in every version. The root
    /// namespace is the mesh configuration's `rootNamespace` when the files hold one, else
    /// the namespace the control plane is installed in, else `istio-system`. A mesh counts
    /// as installed by the files when they hold an `IstioOperator`, the `istio` mesh
    /// ConfigMap or the `istiod` Deployment; the finding for a missing mesh-wide
    /// PeerAuthentication points at the first of these, since there is no PeerAuthentication
    /// to point at. Without one, the rule does not guess at the mesh's settings.
    ///
    /// ## Why it matters
    /// Istio's default is `PERMISSIVE`: sidecars accept both mutual TLS and plain text, so
    /// that workloads can join the mesh gradually. Until `STRICT` is set, any pod — one
    /// without a sidecar, or an attacker's — can talk to mesh workloads in plain text,
    /// without a verified identity, and AuthorizationPolicies that match on principals or
    /// namespaces do not apply to that traffic. `DISABLE` turns mutual TLS off altogether.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: istio-system}
    /// spec:
    ///   mtls:
    ///     mode: PERMISSIVE
    /// ```
    ///
    /// ## Fix
    /// Require mutual TLS mesh-wide, once every workload has a sidecar (or runs in ambient
    /// mode), and remove the exceptions:
    /// ```yaml
    /// apiVersion: security.istio.io/v1
    /// kind: PeerAuthentication
    /// metadata: {name: default, namespace: istio-system}
    /// spec:
    ///   mtls:
    ///     mode: STRICT
    /// ```
    ///
    /// ## Known problems
    /// A port that must accept plain text (a health check from outside the mesh, a legacy
    /// client) is a deliberate exception: suppress the finding on that PeerAuthentication
    /// with a reason. A PeerAuthentication without a namespace is taken to be
    /// namespace-wide, and also counts as the mesh-wide one, since it may be applied to the
    /// root namespace. A mesh whose root namespace differs between the objects scanned is
    /// judged against the first one found.
    ///
    /// ## References
    /// - https://istio.io/latest/docs/reference/config/security/peer_authentication/
    /// - https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/
    /// - https://istio.io/latest/docs/ops/best-practices/security/#mutual-tls
    pub static MTLS_NOT_STRICT = {
        id: "MESH006",
        name: "mtls-not-strict",
        category: Mesh,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["PeerAuthentication", "IstioOperator"]),
        pss_level: None,
        summary: "The mesh must require mutual TLS (PeerAuthentication STRICT)",
        set_check: check,
    }
}

/// Where a PeerAuthentication applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Mesh,
    Namespace,
    /// No namespace written: namespace-wide wherever it is applied, mesh-wide in the root
    /// namespace.
    Unplaced,
    Workload,
}

fn check(cx: &mut SetCx<'_>) {
    let mesh = cx.shared(MeshIndex::build);
    let root = mesh.root_namespace().to_string();
    let mut mesh_wide = false;
    for (i, obj) in cx.objects.iter().enumerate() {
        if !is_istio(obj, "security.istio.io", "PeerAuthentication") {
            continue;
        }
        let scope = scope(obj, &root);
        if matches!(scope, Scope::Mesh | Scope::Unplaced) {
            mesh_wide = true;
        }
        judge(cx, i, scope, &root);
    }
    if mesh_wide {
        return;
    }
    let Some(install) = mesh.installs.first() else {
        return;
    };
    cx.report(
        install.object,
        install.anchor.clone(),
        format!(
            "Add a PeerAuthentication without a selector to namespace `{root}` that sets \
             `mtls.mode: STRICT`: the files install a mesh (`{}`) but no mesh-wide \
             PeerAuthentication, so its workloads accept plain text",
            kind_name(cx.objects[install.object])
        ),
    );
}

fn scope(obj: &Object, root: &str) -> Scope {
    let selects = obj
        .node(&FieldPath::parse_dotted("spec.selector.matchLabels"))
        .is_some_and(|m| !m.entries().is_empty());
    if selects {
        return Scope::Workload;
    }
    match namespace(obj) {
        "" => Scope::Unplaced,
        ns if ns == root => Scope::Mesh,
        _ => Scope::Namespace,
    }
}

/// Reports the modes of one PeerAuthentication that let plain text in.
fn judge(cx: &mut SetCx<'_>, i: usize, scope: Scope, root: &str) {
    let obj = cx.objects[i];
    let spec = obj.root.get("spec");
    // Istio ignores workload PeerAuthentications in the root namespace.
    if scope == Scope::Workload && namespace(obj) == root {
        return;
    }
    let mode_path = FieldPath::parse_dotted("spec.mtls.mode");
    let mode = obj
        .node(&mode_path)
        .and_then(Node::as_str)
        .unwrap_or("UNSET");
    let whom = match scope {
        Scope::Mesh => "every workload of the mesh accepts".to_string(),
        Scope::Namespace => format!("the workloads of namespace `{}` accept", namespace(obj)),
        Scope::Unplaced => "the workloads of its namespace accept".to_string(),
        Scope::Workload => "the workloads it selects accept".to_string(),
    };
    match (mode, scope) {
        ("STRICT", _) => {}
        ("DISABLE", _) => cx.report_as(
            Severity::High,
            i,
            mode_path,
            format!("Set `STRICT`: `DISABLE` turns mutual TLS off, so {whom} plain text only"),
        ),
        ("PERMISSIVE", _) => cx.report(
            i,
            mode_path,
            format!("Set `STRICT`: with `PERMISSIVE`, {whom} plain text as well as mutual TLS"),
        ),
        // Unset inherits from the level above, except mesh-wide, where it means PERMISSIVE.
        (_, Scope::Mesh) => {
            let path = if obj.node(&mode_path).is_some() {
                mode_path
            } else if spec.and_then(|s| s.get("mtls")).is_some() {
                FieldPath::parse_dotted("spec.mtls")
            } else {
                FieldPath::parse_dotted("spec")
            };
            cx.report(
                i,
                path,
                format!(
                    "Set `mtls.mode: STRICT`: left {}, the mesh-wide mode is `PERMISSIVE`, so {whom} \
                     plain text",
                    if mode == "UNSET" { "unset" } else { "as it is" }
                ),
            );
        }
        _ => {}
    }

    if scope != Scope::Workload {
        return;
    }
    let ports = spec
        .and_then(|s| s.get("portLevelMtls"))
        .map_or(&[][..], Node::entries);
    for port in ports {
        let Some(mode) = port.value.get("mode").and_then(Node::as_str) else {
            continue;
        };
        if !matches!(mode, "PERMISSIVE" | "DISABLE") {
            continue;
        }
        let path = FieldPath::root().keys(&["spec", "portLevelMtls", &port.key, "mode"]);
        let message = format!(
            "Set `STRICT`: with `{mode}` on port {}, the workloads it selects accept plain text \
             there",
            port.key
        );
        if mode == "DISABLE" {
            cx.report_as(Severity::High, i, path, message);
        } else {
            cx.report(i, path, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    fn pa(ns: &str, body: &str) -> String {
        let ns = if ns.is_empty() {
            String::new()
        } else {
            format!(", namespace: {ns}")
        };
        format!(
            "---\napiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {{name: p{ns}}}\nspec:\n{body}"
        )
    }

    const OPERATOR: &str = "---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: mesh, namespace: istio-system}\nspec:\n  profile: default\n";

    fn findings(yaml: &str) -> Vec<(String, String, Option<Severity>)> {
        run_set(&MTLS_NOT_STRICT, yaml)
            .into_iter()
            .map(|(who, v)| (who, v.path.to_string(), v.severity))
            .collect()
    }

    #[test]
    fn flags_a_mesh_wide_policy_that_is_not_strict() {
        let f = findings(&pa("istio-system", "  mtls: {mode: PERMISSIVE}\n"));
        assert_eq!(
            f,
            [("PeerAuthentication/p".into(), "spec.mtls.mode".into(), None)]
        );
        let f = findings(&pa("istio-system", "  mtls: {}\n"));
        assert_eq!(f[0].1, "spec.mtls");
        let f = findings(&pa("istio-system", "  mtls: {mode: DISABLE}\n"));
        assert_eq!(f[0].2, Some(Severity::High));
        assert!(findings(&pa("istio-system", "  mtls: {mode: STRICT}\n")).is_empty());
    }

    #[test]
    fn flags_namespace_and_workload_exceptions_but_not_unset_ones() {
        let yaml = format!(
            "{}{}{}{}",
            pa("istio-system", "  mtls: {mode: STRICT}\n"),
            pa("shop", "  mtls: {mode: PERMISSIVE}\n"),
            pa(
                "shop",
                "  selector: {matchLabels: {app: a}}\n  mtls: {mode: UNSET}\n  portLevelMtls:\n    9090: {mode: DISABLE}\n    8080: {mode: STRICT}\n"
            ),
            pa("other", "  mtls: {mode: UNSET}\n"),
        );
        let paths: Vec<_> = findings(&yaml).into_iter().map(|f| f.1).collect();
        assert_eq!(paths, ["spec.mtls.mode", "spec.portLevelMtls.9090.mode"]);
    }

    #[test]
    fn reports_a_missing_mesh_wide_policy_at_the_install() {
        let f = findings(&format!(
            "{OPERATOR}{}",
            pa("shop", "  mtls: {mode: STRICT}\n")
        ));
        assert_eq!(f, [("IstioOperator/mesh".into(), "spec".into(), None)]);
        let v = run_set(&MTLS_NOT_STRICT, OPERATOR);
        assert!(
            v[0].1.message.contains("namespace `istio-system`"),
            "{}",
            v[0].1.message
        );
        // The root namespace follows the mesh configuration.
        let custom = OPERATOR.replace("profile: default", "meshConfig: {rootNamespace: mesh-root}");
        let v = run_set(
            &MTLS_NOT_STRICT,
            &format!("{custom}{}", pa("istio-system", "  mtls: {mode: STRICT}\n")),
        );
        assert!(v[0].1.message.contains("`mesh-root`"), "{v:?}");
        assert!(
            findings(&format!(
                "{custom}{}",
                pa("mesh-root", "  mtls: {mode: STRICT}\n")
            ))
            .is_empty()
        );
    }

    #[test]
    fn says_nothing_about_a_missing_policy_without_an_install() {
        assert!(findings(&pa("shop", "  mtls: {mode: STRICT}\n")).is_empty());
        // An unplaced policy may be the mesh-wide one.
        assert!(findings(&format!("{OPERATOR}{}", pa("", "  mtls: {mode: STRICT}\n"))).is_empty());
    }

    #[test]
    fn ignores_workload_policies_in_the_root_namespace() {
        let yaml = format!(
            "{}{}",
            pa("istio-system", "  mtls: {mode: STRICT}\n"),
            pa(
                "istio-system",
                "  selector: {matchLabels: {app: a}}\n  mtls: {mode: DISABLE}\n"
            )
        );
        assert!(findings(&yaml).is_empty());
    }

    #[test]
    fn counts_the_mesh_config_map_and_istiod_as_installs() {
        let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |-\n    rootNamespace: istio-system\n";
        assert_eq!(findings(cm)[0].1, "data.mesh");
        let istiod = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod, namespace: istio-system}\nspec:\n  template:\n    spec:\n      containers: [{name: discovery, image: istio/pilot}]\n";
        assert_eq!(findings(istiod)[0].1, "metadata.name");
    }
}
