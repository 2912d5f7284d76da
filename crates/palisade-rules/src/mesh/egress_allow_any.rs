use palisade_load::{FieldPath, Node};

use super::index::{MeshIndex, MeshSource};
use super::is_istio;
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// That sidecars may reach only the hosts the mesh knows: `outboundTrafficPolicy.mode`
    /// is `REGISTRY_ONLY`, not `ALLOW_ANY`, in
    /// - an `IstioOperator`'s `spec.meshConfig` (or its Helm values: `spec.values.meshConfig`,
    ///   the older `spec.values.global.outboundTrafficPolicy`),
    /// - the `mesh` text of the `istio` ConfigMap (`istio-<revision>` too), which is YAML
    ///   inside a string: the finding points at `data.mesh` and gives the line within it,
    /// - a Sidecar's `spec.outboundTrafficPolicy`.
    ///
    /// An explicit `ALLOW_ANY` is always reported. Left unset, a mesh configuration means
    /// `ALLOW_ANY`, which is reported too, unless another mesh configuration among the files
    /// sets the mode (an overlay `IstioOperator` passed to `istioctl install` after a base
    /// one). A Sidecar without the field inherits the mesh's mode and is not reported.
    ///
    /// ## Why it matters
    /// With `ALLOW_ANY`, Istio's default, a workload's sidecar passes traffic to any
    /// destination outside the service registry straight through. A compromised pod can
    /// then reach any address on the internet (to fetch tools, or to send data out) and
    /// the mesh records little about it. `REGISTRY_ONLY` blocks hosts that no Service or
    /// ServiceEntry declares, so each external dependency is written down, reviewed and
    /// visible in telemetry.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: install.istio.io/v1alpha1
    /// kind: IstioOperator
    /// metadata: {name: mesh, namespace: istio-system}
    /// spec:
    ///   meshConfig:
    ///     outboundTrafficPolicy:
    ///       mode: ALLOW_ANY
    /// ```
    ///
    /// ## Fix
    /// Allow only registered destinations, and declare each external one with a
    /// ServiceEntry:
    /// ```yaml
    /// spec:
    ///   meshConfig:
    ///     outboundTrafficPolicy:
    ///       mode: REGISTRY_ONLY
    /// ---
    /// apiVersion: networking.istio.io/v1
    /// kind: ServiceEntry
    /// metadata: {name: payments-api, namespace: shop}
    /// spec:
    ///   hosts: [api.payments.example.com]
    ///   location: MESH_EXTERNAL
    ///   resolution: DNS
    ///   ports: [{number: 443, name: https, protocol: TLS}]
    /// ```
    ///
    /// ## Known problems
    /// The sidecar is not a hard boundary: a pod that bypasses it (its own network
    /// namespace rules, `hostNetwork`) is not held by the mesh's egress mode, so pair
    /// `REGISTRY_ONLY` with egress NetworkPolicies. A Sidecar's `egress` host list, which
    /// also narrows what its workloads may reach, is not taken into account.
    ///
    /// ## References
    /// - https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/
    /// - https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy-Mode
    /// - https://istio.io/latest/docs/reference/config/networking/sidecar/#OutboundTrafficPolicy
    pub static EGRESS_ALLOW_ANY = {
        id: "MESH007",
        name: "egress-allow-any",
        category: Mesh,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["IstioOperator", "Sidecar"]),
        pss_level: None,
        summary: "Sidecars should reach only registered hosts (outboundTrafficPolicy REGISTRY_ONLY)",
        set_check: check,
    }
}

const FIX: &str = "set `REGISTRY_ONLY` and declare external hosts with ServiceEntries";

fn check(cx: &mut SetCx<'_>) {
    let mesh = cx.shared(MeshIndex::build);
    let any_set = mesh.configs.iter().any(|c| c.egress.is_some());
    for config in &mesh.configs {
        let within = |line: Option<u32>| match line {
            Some(line) => format!(" (line {line} of the `mesh` text)"),
            None => String::new(),
        };
        match &config.egress {
            Some(setting) if setting.value == "ALLOW_ANY" => cx.report(
                config.object,
                setting.path.clone(),
                format!(
                    "Limit egress to registered hosts: `ALLOW_ANY`{} lets sidecars reach any \
                     address; {FIX}",
                    within(setting.line_in_text)
                ),
            ),
            Some(_) => {}
            None if any_set => {}
            None => {
                let whose = match config.source {
                    MeshSource::Operator => "this mesh configuration",
                    MeshSource::ConfigMap => "the `mesh` text",
                };
                cx.report(
                    config.object,
                    config.anchor.clone(),
                    format!(
                        "Limit egress to registered hosts: {whose} leaves \
                         `outboundTrafficPolicy.mode` unset, which means `ALLOW_ANY`; {FIX}"
                    ),
                );
            }
        }
    }

    let path = FieldPath::parse_dotted("spec.outboundTrafficPolicy.mode");
    for (i, obj) in cx.objects.iter().enumerate() {
        if !is_istio(obj, "networking.istio.io", "Sidecar") {
            continue;
        }
        if obj.node(&path).and_then(Node::as_str) == Some("ALLOW_ANY") {
            cx.report(
                i,
                path.clone(),
                format!(
                    "Limit egress to registered hosts: `ALLOW_ANY` lets the workloads of this \
                     Sidecar reach any address; {FIX}"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    fn operator(mesh_config: &str) -> String {
        format!(
            "---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {{name: mesh, namespace: istio-system}}\nspec:\n  profile: default\n{mesh_config}"
        )
    }

    fn config_map(mesh: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: istio, namespace: istio-system}}\ndata:\n  mesh: |-\n    accessLogFile: /dev/stdout\n{mesh}"
        )
    }

    fn findings(yaml: &str) -> Vec<(String, String, String)> {
        run_set(&EGRESS_ALLOW_ANY, yaml)
            .into_iter()
            .map(|(who, v)| (who, v.path.to_string(), v.message))
            .collect()
    }

    #[test]
    fn flags_explicit_allow_any_in_every_place() {
        let f = findings(&operator(
            "  meshConfig:\n    outboundTrafficPolicy: {mode: ALLOW_ANY}\n",
        ));
        assert_eq!(f[0].1, "spec.meshConfig.outboundTrafficPolicy.mode");

        let f = findings(&operator(
            "  values:\n    global:\n      outboundTrafficPolicy: {mode: ALLOW_ANY}\n",
        ));
        assert_eq!(f[0].1, "spec.values.global.outboundTrafficPolicy.mode");

        let f = findings(&config_map(
            "    outboundTrafficPolicy:\n      mode: ALLOW_ANY\n",
        ));
        assert_eq!(f[0].1, "data.mesh");
        assert!(f[0].2.contains("line 3 of the `mesh` text"), "{}", f[0].2);

        let sidecar = "---\napiVersion: networking.istio.io/v1beta1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec:\n  outboundTrafficPolicy: {mode: ALLOW_ANY}\n";
        let f = findings(sidecar);
        assert_eq!(
            f[0],
            (
                "Sidecar/default".into(),
                "spec.outboundTrafficPolicy.mode".into(),
                f[0].2.clone()
            )
        );
    }

    #[test]
    fn flags_mesh_configurations_that_leave_the_mode_unset() {
        let f = findings(&operator("  meshConfig:\n    accessLogFile: /dev/stdout\n"));
        assert_eq!(f[0].1, "spec.meshConfig");
        assert!(f[0].2.contains("unset"), "{}", f[0].2);
        assert_eq!(findings(&operator(""))[0].1, "spec");
        assert_eq!(findings(&config_map(""))[0].1, "data.mesh");
    }

    #[test]
    fn passes_registry_only_and_overlays_of_it() {
        let strict = operator("  meshConfig:\n    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n");
        assert!(findings(&strict).is_empty());
        // A base IstioOperator without the mode, with an overlay that sets it.
        assert!(findings(&format!("{}{strict}", operator(""))).is_empty());
        assert!(
            findings(&config_map(
                "    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n"
            ))
            .is_empty()
        );
        let sidecar = "---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec:\n  egress: [{hosts: ['./*']}]\n";
        assert!(findings(sidecar).is_empty());
    }
}
