use super::index::MeshIndex;
use super::is_virtual_service;
use super::route_host_missing::host_problem;
use super::route_subset_undefined::subset_problem;
use super::routes::mirror_destinations;
use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;
use crate::wiring::index::namespace;

declare_rule! {
    /// ## What it checks
    /// Where a VirtualService's HTTP routes mirror traffic (`spec.http[].mirror` and
    /// `spec.http[].mirrors[].destination`), the `host` is one the mesh knows and the
    /// `subset`, if any, is defined by a DestinationRule for that host — judged exactly as
    /// `route-host-missing` (MESH001) and `route-subset-undefined` (MESH002) judge route
    /// destinations, and silent in the same cases where the files cannot tell. A mirror with
    /// both a wrong host and a subset is reported once, for the host.
    ///
    /// ## Why it matters
    /// Mirroring copies live requests to a second destination, typically a new version
    /// under test, and throws its answers away. A mirror to a host or subset that does not
    /// exist fails without a trace in the primary traffic: the shadow test that a release
    /// relies on simply never receives a request, and its dashboards stay quiet rather than
    /// red.
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
    ///     - destination: {host: reviews, subset: v1}
    ///     mirror: {host: reviews, subset: v2}
    /// ---
    /// apiVersion: networking.istio.io/v1
    /// kind: DestinationRule
    /// metadata: {name: reviews, namespace: shop}
    /// spec:
    ///   host: reviews
    ///   subsets:
    ///   - {name: v1, labels: {version: v1}}
    /// ```
    ///
    /// ## Fix
    /// Define the mirrored subset (and deploy its pods), or mirror to one that exists:
    /// ```yaml
    ///   subsets:
    ///   - {name: v1, labels: {version: v1}}
    ///   - {name: v2, labels: {version: v2}}
    /// ```
    ///
    /// ## Known problems
    /// The limits of MESH001 and MESH002 apply: visibility is judged from the
    /// VirtualService's namespace, the cluster domain is assumed, and DestinationRule
    /// precedence between namespaces is not modelled.
    ///
    /// ## References
    /// - https://istio.io/latest/docs/tasks/traffic-management/mirroring/
    /// - https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMirrorPolicy
    /// - https://istio.io/latest/docs/reference/config/analysis/ist0101/
    pub static MIRROR_TARGET_MISSING = {
        id: "MESH003",
        name: "mirror-target-missing",
        category: Mesh,
        severity: Low,
        default_enabled: true,
        applies: Applies::Kinds(&["VirtualService"]),
        pss_level: None,
        summary: "VirtualService mirrors must name a host and subset that exist",
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
        for d in mirror_destinations(obj) {
            let lookup = mesh.resolve(&services, cx.objects, ns, &d.host);
            if let Some(message) = host_problem(cx, &lookup, ns, &d.host, "Mirror to") {
                cx.report(i, d.host_path, message);
                continue;
            }
            let Some((subset, path)) = d.subset else {
                continue;
            };
            if let Some(message) = subset_problem(cx, &mesh, &lookup, ns, &d.host, &subset) {
                cx.report(i, path, message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const OBJECTS: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  ports: [{port: 9080}]\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: shop}\nspec:\n  host: reviews\n  subsets: [{name: v1}, {name: v2}]\n";

    fn mirror(target: &str) -> String {
        format!(
            "{OBJECTS}---\napiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {{name: vs, namespace: shop}}\nspec:\n  http:\n  - route:\n    - destination: {{host: reviews, subset: v1}}\n    {target}\n"
        )
    }

    fn paths(yaml: &str) -> Vec<String> {
        run_set(&MIRROR_TARGET_MISSING, yaml)
            .into_iter()
            .map(|(_, v)| v.path.to_string())
            .collect()
    }

    #[test]
    fn flags_missing_mirror_hosts_and_subsets() {
        assert_eq!(
            paths(&mirror("mirror: {host: reviews-bogus, subset: v1}")),
            ["spec.http[0].mirror.host"]
        );
        assert_eq!(
            paths(&mirror("mirror: {host: reviews, subset: bogus}")),
            ["spec.http[0].mirror.subset"]
        );
        assert_eq!(
            paths(&mirror(
                "mirrors:\n    - destination: {host: reviews, subset: v9}"
            )),
            ["spec.http[0].mirrors[0].destination.subset"]
        );
    }

    #[test]
    fn passes_mirrors_that_exist_and_ones_the_files_cannot_judge() {
        for target in [
            "mirror: {host: reviews, subset: v2}",
            "mirror: {host: reviews}",
            "mirror: {host: shadow.other.svc.cluster.local}",
            "mirror: {host: shadow.example.com}",
        ] {
            assert!(paths(&mirror(target)).is_empty(), "{target}");
        }
    }

    #[test]
    fn mirror_messages_say_mirror() {
        let v = run_set(&MIRROR_TARGET_MISSING, &mirror("mirror: {host: gone}"));
        assert!(
            v[0].1.message.starts_with("Mirror to a host"),
            "{}",
            v[0].1.message
        );
    }
}
