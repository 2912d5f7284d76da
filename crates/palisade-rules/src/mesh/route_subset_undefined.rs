use super::host;
use super::index::{Lookup, MeshIndex, SubsetLookup};
use super::is_virtual_service;
use super::routes::route_destinations;
use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;
use crate::wiring::index::{kind_name, namespace};

declare_rule! {
    /// ## What it checks
    /// Every `destination.subset` of a VirtualService's HTTP, TCP and TLS routes is defined
    /// by a DestinationRule for that destination's host, among the scanned files and
    /// visible from the VirtualService's namespace (its `exportTo`, or the mesh's
    /// `defaultDestinationRuleExportTo`).
    ///
    /// Hosts are matched as Istio resolves them: a short name in the DestinationRule means
    /// a Service of the DestinationRule's own namespace, a short name in the route one of
    /// the route's namespace, and a wildcard DestinationRule host (`*.shop.svc.cluster.local`)
    /// covers the hosts below it. The rule reports a route when DestinationRules exist for
    /// the host but none names the subset, and when no DestinationRule in the files is for
    /// the host at all while the host itself is a Service or ServiceEntry of the files.
    /// A host the mesh does not know is `route-host-missing`'s concern (MESH001); mirrors
    /// are `mirror-target-missing`'s (MESH003).
    ///
    /// ## Why it matters
    /// A subset is a DestinationRule's name for a set of pods (`version: v2`). A route to a
    /// subset that no DestinationRule defines has no upstream cluster: every request fails
    /// with a 503 (`NR`/`NC`). Neither the API server nor Istio's validating webhook can
    /// see this, because the two objects are checked apart; it usually shows up when a
    /// canary's VirtualService is applied before its DestinationRule, or a subset is renamed
    /// in one of them.
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
    ///     - destination: {host: reviews, subset: v3}
    /// ---
    /// apiVersion: networking.istio.io/v1
    /// kind: DestinationRule
    /// metadata: {name: reviews, namespace: shop}
    /// spec:
    ///   host: reviews
    ///   subsets:
    ///   - {name: v1, labels: {version: v1}}
    ///   - {name: v2, labels: {version: v2}}
    /// ```
    ///
    /// ## Fix
    /// Define the subset in the DestinationRule, or route to one it defines:
    /// ```yaml
    ///   subsets:
    ///   - {name: v1, labels: {version: v1}}
    ///   - {name: v2, labels: {version: v2}}
    ///   - {name: v3, labels: {version: v3}}
    /// ```
    ///
    /// ## Known problems
    /// Istio applies one DestinationRule per host to a client, looking in the client's
    /// namespace, then the Service's, then the root namespace; the rule accepts a subset
    /// defined by any DestinationRule visible from the route's namespace, so a closer
    /// DestinationRule that lacks the subset and shadows the one that has it is not
    /// reported. A DestinationRule applied from other files than those scanned is reported
    /// as absent when the route's host is among the files: scan a service's routing and
    /// its DestinationRules together.
    ///
    /// ## References
    /// - https://istio.io/latest/docs/reference/config/networking/destination-rule/#Subset
    /// - https://istio.io/latest/docs/ops/best-practices/traffic-management/#avoid-503-errors-while-reconfiguring-service-routes
    /// - https://istio.io/latest/docs/reference/config/analysis/ist0101/
    pub static ROUTE_SUBSET_UNDEFINED = {
        id: "MESH002",
        name: "route-subset-undefined",
        category: Mesh,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["VirtualService"]),
        pss_level: None,
        summary: "VirtualService routes must name subsets a DestinationRule defines",
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
            let Some((subset, path)) = d.subset else {
                continue;
            };
            let lookup = mesh.resolve(&services, cx.objects, ns, &d.host);
            if let Some(message) = subset_problem(cx, &mesh, &lookup, ns, &d.host, &subset) {
                cx.report(i, path, message);
            }
        }
    }
}

/// What is wrong with a route's `subset`, if the files show that something is: shared with
/// the mirror rule. A host that is itself wrong is reported for the host, not again here.
pub(crate) fn subset_problem(
    cx: &SetCx<'_>,
    mesh: &MeshIndex,
    lookup: &Lookup,
    ns: &str,
    host: &str,
    subset: &str,
) -> Option<String> {
    let known = match lookup {
        Lookup::Defined => true,
        Lookup::Unknown => false,
        _ => return None,
    };
    let message = match mesh.subset(ns, &host::key(host, ns), subset) {
        SubsetLookup::Defined => return None,
        SubsetLookup::NoRule if !known => return None,
        SubsetLookup::NoRule => format!(
            "Define subset `{subset}` in a DestinationRule for `{host}`: no DestinationRule in \
             the files is for that host, so the route has no subset to send traffic to"
        ),
        SubsetLookup::Missing { rules } => {
            let mut defined: Vec<&str> = rules
                .iter()
                .filter_map(|&r| mesh.rule(r))
                .flat_map(|r| r.subsets.iter().map(String::as_str))
                .collect();
            defined.sort_unstable();
            defined.dedup();
            let names: Vec<String> = rules
                .iter()
                .map(|&r| format!("`{}`", kind_name(cx.objects[r])))
                .collect();
            let listed = if defined.is_empty() {
                "it names none".to_string()
            } else {
                let quoted: Vec<String> = defined.iter().map(|s| format!("`{s}`")).collect();
                format!("only {}", quoted.join(", "))
            };
            let verb = if names.len() == 1 {
                "defines"
            } else {
                "define"
            };
            format!(
                "Name a subset that {} {verb} for `{host}`: {listed}, not `{subset}`",
                names.join(", ")
            )
        }
        SubsetLookup::Hidden { rule, export } => format!(
            "Export the DestinationRule to namespace `{}`: `{}` defines the subsets of `{host}` \
             but is exported only to {export}",
            if ns.is_empty() { "(none given)" } else { ns },
            kind_name(cx.objects[rule]),
        ),
    };
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const SERVICE: &str = "---\napiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  selector: {app: reviews}\n  ports: [{name: http, port: 9080}]\n";

    fn rule(ns: &str, host: &str, subsets: &[&str], extra: &str) -> String {
        let subsets: Vec<String> = subsets.iter().map(|s| format!("{{name: {s}}}")).collect();
        format!(
            "---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {{name: dr, namespace: {ns}}}\nspec:\n  host: '{host}'\n{extra}  subsets: [{}]\n",
            subsets.join(", ")
        )
    }

    fn route(ns: &str, host: &str, subset: &str) -> String {
        format!(
            "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs, namespace: {ns}}}\nspec:\n  http:\n  - route:\n    - destination: {{host: '{host}', subset: {subset}}}\n      weight: 90\n    - destination: {{host: '{host}', subset: v1}}\n      weight: 10\n"
        )
    }

    fn findings(yaml: &str) -> Vec<String> {
        run_set(&ROUTE_SUBSET_UNDEFINED, yaml)
            .into_iter()
            .map(|(_, v)| format!("{} {}", v.path, v.message))
            .collect()
    }

    #[test]
    fn flags_a_subset_the_destination_rule_lacks() {
        let yaml = format!(
            "{SERVICE}{}{}",
            rule("shop", "reviews", &["v1", "v2"], ""),
            route("shop", "reviews", "v3")
        );
        let f = findings(&yaml);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with("spec.http[0].route[0].destination.subset "),
            "{}",
            f[0]
        );
        assert!(
            f[0].contains("`DestinationRule/dr` defines for `reviews`: only `v1`, `v2`, not `v3`"),
            "{}",
            f[0]
        );
    }

    #[test]
    fn passes_subsets_defined_under_any_spelling_of_the_host() {
        for host in [
            "reviews",
            "reviews.shop.svc.cluster.local",
            "*.shop.svc.cluster.local",
        ] {
            let yaml = format!(
                "{SERVICE}{}{}",
                rule("shop", host, &["v1", "v3"], ""),
                route("shop", "reviews", "v3")
            );
            assert!(findings(&yaml).is_empty(), "{host}");
        }
    }

    #[test]
    fn a_destination_rule_in_another_namespace_counts_when_exported() {
        let yaml = format!(
            "{SERVICE}{}{}",
            rule("shop", "reviews", &["v1", "v3"], ""),
            route("front", "reviews.shop.svc.cluster.local", "v3")
        );
        assert!(findings(&yaml).is_empty());
        let private = format!(
            "{SERVICE}{}{}",
            rule("shop", "reviews", &["v1", "v3"], "  exportTo: ['.']\n"),
            route("front", "reviews.shop.svc.cluster.local", "v3")
        );
        let f = findings(&private);
        assert_eq!(f.len(), 2, "both subsets: {f:?}");
        assert!(f[0].contains("exported only to `.`"), "{}", f[0]);
        // A short name in the DestinationRule means its own namespace's Service.
        let elsewhere = format!(
            "{SERVICE}{}{}",
            rule("front", "reviews", &["v1", "v3"], ""),
            route("shop", "reviews", "v3")
        );
        assert_eq!(findings(&elsewhere).len(), 2);
    }

    #[test]
    fn flags_a_known_host_without_any_destination_rule() {
        let f = findings(&format!("{SERVICE}{}", route("shop", "reviews", "v3")));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].contains("no DestinationRule in the files"), "{}", f[0]);
    }

    #[test]
    fn stays_silent_for_unknown_hosts_without_destination_rules() {
        assert!(findings(&route("shop", "reviews", "v3")).is_empty());
        // A missing host is reported by MESH001, not again here.
        let yaml = format!("{SERVICE}{}", route("shop", "ratings", "v3"));
        assert!(findings(&yaml).is_empty());
    }
}
