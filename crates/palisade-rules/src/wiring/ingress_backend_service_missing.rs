use super::WorkloadIndex;
use super::index::namespace;
use super::ingress::backends;
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Every Service backend of an Ingress — `spec.defaultBackend` and each
    /// `spec.rules[].http.paths[].backend` (`serviceName` before `networking.k8s.io/v1`) —
    /// names a core `v1` Service of the Ingress's namespace among the scanned files.
    ///
    /// When the files hold no Service at all in that namespace, the rule cannot tell and
    /// says nothing: the Services may be deployed from elsewhere. Resource backends are not
    /// checked. Whether the named Service exposes the port is `ingress-backend-port-missing`'s
    /// concern (SVC004).
    ///
    /// ## Why it matters
    /// An Ingress path whose Service does not exist answers every request with an error
    /// from the ingress controller (usually 503). A Service renamed in one file and not in
    /// the Ingress takes a route down without any object looking wrong on its own.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web}
    /// spec:
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend:
    ///           service: {name: web-frontend, port: {number: 80}}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{port: 80, targetPort: 8080}]
    /// ```
    ///
    /// ## Fix
    /// Name the Service that serves the path:
    /// ```yaml
    ///         backend:
    ///           service: {name: web, port: {number: 80}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource
    /// - https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/
    pub static INGRESS_BACKEND_SERVICE_MISSING = {
        id: "SVC003",
        name: "ingress-backend-service-missing",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Ingress"]),
        pss_level: None,
        summary: "Ingress backends must name a Service in the Ingress's namespace",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        let ns = namespace(obj);
        let services = index.services(ns);
        if services.is_empty() {
            continue;
        }
        for b in backends(obj) {
            let found = services
                .iter()
                .any(|&s| cx.objects[s].id.name.as_deref() == Some(b.service.as_str()));
            if found {
                continue;
            }
            cx.report(
                i,
                b.name_path,
                format!(
                    "Name an existing Service: `{}` is not among the {} Service(s) of this \
                     namespace in the files",
                    b.service,
                    services.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80}]\n";

    fn ingress(ns: &str, service: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  defaultBackend:\n    service: {{name: {service}, port: {{number: 80}}}}\n  rules:\n  - http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service: {{name: {service}, port: {{name: http}}}}\n"
        )
    }

    #[test]
    fn flags_backends_naming_an_absent_service() {
        let v = run_set(
            &INGRESS_BACKEND_SERVICE_MISSING,
            &format!("{SERVICE}{}", ingress("shop", "web-frontend")),
        );
        let paths: Vec<_> = v.iter().map(|(_, v)| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "spec.defaultBackend.service.name",
                "spec.rules[0].http.paths[0].backend.service.name"
            ]
        );
        assert!(
            v[0].1.message.contains("`web-frontend`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_backends_naming_a_service_in_the_files() {
        let v = run_set(
            &INGRESS_BACKEND_SERVICE_MISSING,
            &format!("{SERVICE}{}", ingress("shop", "web")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_the_namespace_has_no_service_in_the_files() {
        let v = run_set(
            &INGRESS_BACKEND_SERVICE_MISSING,
            &format!("{SERVICE}{}", ingress("other", "web-frontend")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
