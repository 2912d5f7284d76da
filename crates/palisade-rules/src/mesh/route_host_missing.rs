use super::index::{Lookup, MeshIndex};
use super::is_virtual_service;
use super::routes::route_destinations;
use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;
use crate::wiring::index::{kind_name, namespace};

declare_rule! {
    /// ## What it checks
    /// Every `destination.host` of a VirtualService's routes (`spec.http[].route[]`,
    /// `spec.tcp[].route[]`, `spec.tls[].route[]`) names a host the mesh knows: a Kubernetes
    /// Service or a ServiceEntry host among the scanned files, visible from the
    /// VirtualService's namespace.
    ///
    /// Hosts are resolved as Istio resolves them:
    /// - a short name (`reviews`, no dot) means `reviews.<namespace>.svc.cluster.local`, in
    ///   the namespace of the VirtualService, not of the Service;
    /// - `reviews.shop.svc.cluster.local` names the Service `reviews` of namespace `shop`;
    /// - anything else with a dot is taken as written: `reviews.shop` is not expanded, so it
    ///   is reported when the Service `reviews` of `shop` exists and no ServiceEntry defines
    ///   `reviews.shop` itself;
    /// - ServiceEntry hosts count, wildcards (`*.eu.example.com`) included, when the entry's
    ///   `exportTo` (or the mesh's `defaultServiceExportTo`) reaches the VirtualService's
    ///   namespace; a Service's `networking.istio.io/exportTo` annotation is honoured the
    ///   same way.
    ///
    /// The rule says nothing when the files cannot tell: a Service host in a namespace none
    /// of whose Services are among the files, or an external host no ServiceEntry in the
    /// files mentions. Mirrors are `mirror-target-missing`'s concern (MESH003).
    ///
    /// ## Why it matters
    /// Istio forwards a route only to hosts in its service registry. A route to a host it
    /// does not know has no upstream cluster: requests fail with a 503 (`NC`, no cluster) and
    /// TCP connections are closed, while the VirtualService itself is accepted by the API
    /// server and by Istio's validating webhook, which looks at one object at a time.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.istio.io/v1
    /// kind: VirtualService
    /// metadata: {name: reviews, namespace: shop}
    /// spec:
    ///   hosts: [reviews]
    ///   http:
    ///   - route:
    ///     - destination: {host: reviews.shop}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: reviews, namespace: shop}
    /// spec:
    ///   selector: {app: reviews}
    ///   ports: [{name: http, port: 9080}]
    /// ```
    ///
    /// ## Fix
    /// Use the short name in the Service's own namespace, or the full name anywhere:
    /// ```yaml
    ///     - destination: {host: reviews.shop.svc.cluster.local}
    /// ```
    ///
    /// ## Known problems
    /// Visibility is judged from the VirtualService's namespace. A VirtualService bound only
    /// to a gateway is applied by the gateway's proxies, whose namespace may see other
    /// hosts. The cluster domain is not known from the files: every
    /// `name.namespace.svc.<domain>` is taken as the Service `name` of `namespace`. Hosts
    /// from other registries (Consul, multi-cluster `*.clusterset.local`) are unknown to the
    /// rule and pass.
    ///
    /// ## References
    /// - https://istio.io/latest/docs/reference/config/networking/virtual-service/#Destination
    /// - https://istio.io/latest/docs/reference/config/networking/service-entry/
    /// - https://istio.io/latest/docs/reference/config/analysis/ist0101/
    pub static ROUTE_HOST_MISSING = {
        id: "MESH001",
        name: "route-host-missing",
        category: Mesh,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["VirtualService"]),
        pss_level: None,
        summary: "VirtualService routes must send traffic to a host the mesh knows",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let services = cx.shared(WorkloadIndex::build);
    let mesh = cx.shared(MeshIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        if !is_virtual_service(obj) {
            continue;
        }
        let ns = namespace(obj);
        for d in route_destinations(obj) {
            let lookup = mesh.resolve(&services, cx.objects, ns, &d.host);
            if let Some(message) = host_problem(cx, &lookup, ns, &d.host, "Name") {
                cx.report(i, d.host_path, message);
            }
        }
    }
}

/// What is wrong with a route's host, if the files show that something is: shared with the
/// mirror rule, whose advice starts with `lead` ("Mirror to") where a route's says "Name".
pub(crate) fn host_problem(
    cx: &SetCx<'_>,
    lookup: &Lookup,
    ns: &str,
    host: &str,
    lead: &str,
) -> Option<String> {
    let message = match lookup {
        Lookup::Defined | Lookup::Unknown => return None,
        Lookup::Missing {
            namespace,
            services,
        } => format!(
            "{lead} a host the mesh knows: `{host}` would be the Service `{}` of namespace `{}`, \
             which is not among {} of that namespace in the files, and no ServiceEntry \
             defines it",
            service_name(host),
            shown_namespace(namespace),
            count(*services, "Service"),
        ),
        Lookup::Hidden { object, export } => format!(
            "{lead} a host visible from namespace `{}`: `{host}` is defined by `{}`, which is \
             exported only to {export}",
            shown_namespace(ns),
            kind_name(cx.objects[*object]),
        ),
        Lookup::Literal { service } => {
            let obj = cx.objects[*service];
            let name = obj.id.name.as_deref().unwrap_or_default();
            format!(
                "Write the Service's full name: Istio takes `{host}` as written and does not \
                 expand it, so it misses `{}` of namespace `{}`; use `{name}.{}.svc.cluster.local`",
                kind_name(obj),
                namespace(obj),
                namespace(obj),
            )
        }
    };
    Some(message)
}

/// `1 Service`, `3 Services`.
pub(crate) fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("the 1 {what}")
    } else {
        format!("the {n} {what}s")
    }
}

fn service_name(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

fn shown_namespace(ns: &str) -> &str {
    if ns.is_empty() { "(none given)" } else { ns }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    fn service(name: &str, ns: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{app: {name}}}\n  ports: [{{name: http, port: 9080}}]\n"
        )
    }

    fn route(name: &str, ns: &str, host: &str) -> String {
        format!(
            "---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  hosts: [{name}]\n  http:\n  - route:\n    - destination: {{host: '{host}'}}\n"
        )
    }

    fn hosts(yaml: &str) -> Vec<(String, String)> {
        run_set(&ROUTE_HOST_MISSING, yaml)
            .into_iter()
            .map(|(who, v)| (who, v.path.to_string()))
            .collect()
    }

    #[test]
    fn flags_a_short_name_absent_from_the_namespace() {
        let yaml = format!(
            "{}{}",
            service("reviews", "shop"),
            route("r", "shop", "reviews-bogus")
        );
        let v = run_set(&ROUTE_HOST_MISSING, &yaml);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].1.path.to_string(),
            "spec.http[0].route[0].destination.host"
        );
        assert!(
            v[0].1.message.contains("`reviews-bogus`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn short_names_resolve_in_the_virtual_services_namespace() {
        let here = format!(
            "{}{}",
            service("reviews", "shop"),
            route("r", "shop", "reviews")
        );
        assert!(hosts(&here).is_empty());
        // `reviews` written in `front` means `reviews.front.svc.cluster.local`.
        let there = format!(
            "{}{}{}",
            service("reviews", "shop"),
            service("web", "front"),
            route("r", "front", "reviews")
        );
        assert_eq!(hosts(&there).len(), 1);
    }

    #[test]
    fn full_names_reach_other_namespaces() {
        let yaml = format!(
            "{}{}",
            service("reviews", "shop"),
            route("r", "front", "reviews.shop.svc.cluster.local")
        );
        assert!(hosts(&yaml).is_empty());
        let bogus = format!(
            "{}{}",
            service("reviews", "shop"),
            route("r", "front", "ratings.shop.svc.cluster.local")
        );
        assert_eq!(hosts(&bogus).len(), 1);
    }

    #[test]
    fn name_dot_namespace_is_not_expanded() {
        let yaml = format!(
            "{}{}",
            service("reviews", "shop"),
            route("r", "shop", "reviews.shop")
        );
        let v = run_set(&ROUTE_HOST_MISSING, &yaml);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].1.message.contains("`reviews.shop.svc.cluster.local`"),
            "{}",
            v[0].1.message
        );
        // A ServiceEntry that defines the dotted name makes it a host.
        let entry = "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: e, namespace: shop}\nspec:\n  hosts: [reviews.shop]\n";
        assert!(hosts(&format!("{yaml}{entry}")).is_empty());
    }

    #[test]
    fn service_entries_and_their_wildcards_define_hosts() {
        let entries = "---\napiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata: {name: eu, namespace: shop}\nspec:\n  hosts: ['*.eu.example.com', api.example.com]\n";
        for host in [
            "reviews.eu.example.com",
            "*.eu.example.com",
            "api.example.com",
        ] {
            let yaml = format!("{entries}{}", route("r", "shop", host));
            assert!(hosts(&yaml).is_empty(), "{host}");
        }
    }

    #[test]
    fn respects_export_to_of_entries_and_services() {
        let entry = "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: e, namespace: other}\nspec:\n  exportTo: ['.']\n  hosts: [other.example.com]\n";
        let v = run_set(
            &ROUTE_HOST_MISSING,
            &format!("{entry}{}", route("r", "shop", "other.example.com")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].1.message.contains("`.`"), "{}", v[0].1.message);
        let exported = entry.replace("['.']", "[shop]");
        assert!(
            hosts(&format!(
                "{exported}{}",
                route("r", "shop", "other.example.com")
            ))
            .is_empty()
        );

        let svc = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: details\n  namespace: default\n  annotations: {networking.istio.io/exportTo: banana}\nspec:\n  ports: [{port: 9080}]\n";
        let fqdn = "details.default.svc.cluster.local";
        assert_eq!(
            hosts(&format!("{svc}{}", route("r", "istio-system", fqdn))).len(),
            1
        );
        assert!(hosts(&format!("{svc}{}", route("r", "banana", fqdn))).is_empty());
    }

    #[test]
    fn stays_silent_when_the_files_cannot_tell() {
        // No Service of the namespace among the files.
        assert!(hosts(&route("r", "shop", "reviews")).is_empty());
        // An external host with no ServiceEntry.
        let yaml = format!(
            "{}{}",
            service("reviews", "shop"),
            route("r", "shop", "api.example.com")
        );
        assert!(hosts(&yaml).is_empty());
        // A Service without a namespace may land in the route's.
        let loose = "---\napiVersion: v1\nkind: Service\nmetadata: {name: ratings}\nspec:\n  ports: [{port: 80}]\n";
        let yaml = format!(
            "{}{loose}{}",
            service("reviews", "shop"),
            route("r", "shop", "ratings")
        );
        assert!(hosts(&yaml).is_empty());
    }

    #[test]
    fn a_catch_all_entry_kept_to_its_namespace_proves_nothing() {
        let catch_all = "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: any, namespace: other}\nspec:\n  exportTo: ['.']\n  hosts: ['*']\n";
        let missing = format!(
            "{catch_all}{}{}",
            service("reviews", "shop"),
            route("r", "shop", "gone")
        );
        let v = run_set(&ROUTE_HOST_MISSING, &missing);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].1.message.contains("Name a host the mesh knows"),
            "{}",
            v[0].1.message
        );
        let external = format!("{catch_all}{}", route("r", "shop", "api.example.com"));
        assert!(hosts(&external).is_empty());
    }

    #[test]
    fn a_route_without_a_namespace_is_not_judged_on_visibility() {
        let entry = "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: e, namespace: other}\nspec:\n  exportTo: ['.']\n  hosts: [other.example.com]\n";
        let vs = "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  http:\n  - route:\n    - destination: {host: other.example.com}\n";
        assert!(hosts(&format!("{entry}{vs}")).is_empty());
    }

    #[test]
    fn the_mesh_default_export_applies_to_services_without_an_annotation() {
        let mesh = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    defaultServiceExportTo: ['.']\n";
        let fqdn = "reviews.shop.svc.cluster.local";
        let yaml = format!(
            "{mesh}{}{}",
            service("reviews", "shop"),
            route("r", "front", fqdn)
        );
        let v = run_set(&ROUTE_HOST_MISSING, &yaml);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].1.message.contains("exported only to `.`"),
            "{}",
            v[0].1.message
        );
        let yaml = format!(
            "{mesh}{}{}",
            service("reviews", "shop"),
            route("r", "shop", fqdn)
        );
        assert!(hosts(&yaml).is_empty());
    }

    #[test]
    fn checks_tcp_and_tls_routes_and_ignores_other_kinds() {
        let yaml = format!(
            "{}---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: t, namespace: shop}}\nspec:\n  tcp:\n  - route:\n    - destination: {{host: nope}}\n  tls:\n  - route:\n    - destination: {{host: reviews}}\n    - destination: {{host: nada}}\n---\napiVersion: appmesh.k8s.aws/v1beta2\nkind: VirtualService\nmetadata: {{name: a, namespace: shop}}\nspec:\n  http:\n  - route:\n    - destination: {{host: nope}}\n",
            service("reviews", "shop")
        );
        let paths: Vec<_> = hosts(&yaml).into_iter().map(|(_, p)| p).collect();
        assert_eq!(
            paths,
            [
                "spec.tcp[0].route[0].destination.host",
                "spec.tls[0].route[1].destination.host"
            ]
        );
    }
}
