use palisade_load::FieldPath;

use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No core `v1` Service lists addresses in `spec.externalIPs`, whatever its type. One
    /// finding per Service, at `spec.externalIPs`.
    ///
    /// ## Why it matters
    /// `externalIPs` makes every node's kube-proxy capture traffic sent to those addresses,
    /// and Kubernetes does not check that the Service's author owns them. Anyone allowed to
    /// create or edit a Service can name the address of another Service, an internal
    /// database or a public site, and intercept its traffic from inside the cluster
    /// (CVE-2020-8554, which has no fix in Kubernetes itself, only mitigations). A
    /// legitimate use is rare; a manifest that needs one deserves a reviewed suppression.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{port: 80}]
    ///   externalIPs: ["198.51.100.7"]
    /// ```
    ///
    /// ## Fix
    /// Remove `externalIPs` and expose the Service with a `LoadBalancer` or an Ingress.
    /// Cluster administrators should also block the field, for example with the
    /// `DenyServiceExternalIPs` admission plugin.
    /// ```yaml
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: web}
    ///   ports: [{port: 80}]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#external-ips
    /// - https://github.com/kubernetes/kubernetes/issues/97076 (CVE-2020-8554)
    /// - https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#denyserviceexternalips
    pub static SERVICE_EXTERNAL_IPS = {
        id: "NET003",
        name: "service-external-ips",
        category: Network,
        severity: High,
        default_enabled: true,
        applies: Applies::Kinds(&["Service"]),
        pss_level: None,
        summary: "Services must not set `externalIPs`",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    if !cx.obj.id.group().is_empty() {
        return;
    }
    let path = FieldPath::parse_dotted("spec.externalIPs");
    let count = cx.obj.node(&path).map_or(0, |n| n.items().len());
    if count == 0 {
        return;
    }
    let addresses = if count == 1 { "address" } else { "addresses" };
    cx.report(
        path,
        format!("Service claims {count} external {addresses} in `externalIPs`, which can intercept traffic meant for them"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_services_with_external_ips() {
        let v = run(
            &SERVICE_EXTERNAL_IPS,
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n  externalIPs: [198.51.100.7, 198.51.100.8]\n",
        );
        assert_eq!(paths(&v), ["spec.externalIPs"]);
        assert!(
            v[0].message
                .starts_with("Service claims 2 external addresses"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn passes_services_without_external_ips() {
        let v = run(
            &SERVICE_EXTERNAL_IPS,
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  type: LoadBalancer\n  externalIPs: []\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {ports: [{port: 80}]}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
