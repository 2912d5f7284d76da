use palisade_load::Node;

use super::WorkloadIndex;
use super::index::namespace;
use super::ingress::{BackendPort, backends};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Every Service backend of an Ingress asks for a port its Service exposes:
    /// `service.port.number` must be the `port` of one of the Service's `spec.ports`, and
    /// `service.port.name` the `name` of one (`servicePort` before `networking.k8s.io/v1`).
    ///
    /// Only backends whose Service is among the scanned files, in the Ingress's namespace,
    /// are checked; a missing Service is `ingress-backend-service-missing`'s finding
    /// (SVC003), and a Service deployed from elsewhere cannot be judged. `ExternalName`
    /// Services are not checked: their ports are optional.
    ///
    /// ## Why it matters
    /// An ingress controller cannot route to a Service port that does not exist: the path
    /// answers with errors while the Ingress and the Service both look valid. The usual
    /// cause is a Service port renamed or renumbered without its Ingress.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web}
    /// spec:
    ///   defaultBackend:
    ///     service: {name: web, port: {number: 8080}}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{name: http, port: 80, targetPort: 8080}]
    /// ```
    ///
    /// ## Fix
    /// Ask for the Service's port (not the container's), by number or by name:
    /// ```yaml
    ///   defaultBackend:
    ///     service: {name: web, port: {name: http}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource
    /// - https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/
    pub static INGRESS_BACKEND_PORT_MISSING = {
        id: "SVC004",
        name: "ingress-backend-port-missing",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Ingress"]),
        pss_level: None,
        summary: "Ingress backends must ask for a port their Service exposes",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        let ns = namespace(obj);
        for b in backends(obj) {
            let Some((port, path)) = b.port else { continue };
            let Some(service) = index
                .services(ns)
                .iter()
                .map(|&s| cx.objects[s])
                .find(|s| s.id.name.as_deref() == Some(b.service.as_str()))
            else {
                continue;
            };
            let Some(spec) = service.root.get("spec") else {
                continue;
            };
            if spec.get("type").and_then(Node::as_str) == Some("ExternalName") {
                continue;
            }
            let ports = spec.get("ports").map_or(&[][..], Node::items);
            let (exposed, wanted) = match &port {
                BackendPort::Number(n) => (
                    ports
                        .iter()
                        .any(|p| p.get("port").and_then(Node::as_i64) == Some(*n)),
                    format!("port {n}"),
                ),
                BackendPort::Name(name) => (
                    ports
                        .iter()
                        .any(|p| p.get("name").and_then(Node::as_str) == Some(name.as_str())),
                    format!("port named `{name}`"),
                ),
            };
            if exposed {
                continue;
            }
            cx.report(
                i,
                path,
                format!(
                    "Ask for a port that Service `{}` exposes: it has no {wanted}",
                    b.service
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n";

    fn ingress(ns: &str, number: &str, name: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  defaultBackend:\n    service: {{name: web, port: {{number: {number}}}}}\n  rules:\n  - http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {{name: web, port: {{name: {name}}}}}\n"
        )
    }

    #[test]
    fn flags_ports_the_service_does_not_expose() {
        let v = run_set(
            &INGRESS_BACKEND_PORT_MISSING,
            &format!("{SERVICE}{}", ingress("shop", "8080", "https")),
        );
        let paths: Vec<_> = v.iter().map(|(_, v)| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "spec.defaultBackend.service.port.number",
                "spec.rules[0].http.paths[0].backend.service.port.name"
            ]
        );
        assert!(v[1].1.message.contains("`web`"), "{}", v[1].1.message);
        assert!(v[1].1.message.contains("`https`"), "{}", v[1].1.message);
    }

    #[test]
    fn passes_ports_the_service_exposes() {
        let v = run_set(
            &INGRESS_BACKEND_PORT_MISSING,
            &format!("{SERVICE}{}", ingress("shop", "80", "http")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_the_service_is_not_in_the_files() {
        let v = run_set(
            &INGRESS_BACKEND_PORT_MISSING,
            &format!("{SERVICE}{}", ingress("other", "8080", "https")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
