use palisade_load::FieldPath;

use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No object is of an Istio API kind that Istio has removed:
    /// - the routing API of Istio 0.7 and earlier (`config.istio.io`): `RouteRule`,
    ///   `DestinationPolicy` and `EgressRule`, replaced in 0.8 by `VirtualService`,
    ///   `DestinationRule` and `ServiceEntry` (`networking.istio.io`);
    /// - the first authentication API (`authentication.istio.io`): `Policy` and `MeshPolicy`,
    ///   removed in 1.6 and replaced by `PeerAuthentication` and `RequestAuthentication`
    ///   (`security.istio.io`);
    /// - the first authorization API (`rbac.istio.io`): `ServiceRole`, `ServiceRoleBinding`,
    ///   `RbacConfig` and `ClusterRbacConfig`, removed in 1.6 and replaced by
    ///   `AuthorizationPolicy`;
    /// - Mixer's configuration (`config.istio.io`, `policy.istio.io`): `rule`, `handler`,
    ///   `instance`, `attributemanifest`, `template`, `adapter`, `HTTPAPISpec`,
    ///   `HTTPAPISpecBinding`, `QuotaSpec` and `QuotaSpecBinding`, removed with Mixer in 1.8
    ///   and replaced by the Telemetry API, `AuthorizationPolicy`, and Envoy's own rate
    ///   limiting through `EnvoyFilter` or `WasmPlugin`.
    ///
    /// The rule needs only the object, so `palisade serve` applies it to any such object it
    /// is sent; the shipped webhook configuration does not ask for these API groups, which
    /// a current cluster does not serve.
    ///
    /// ## Why it matters
    /// A current cluster has no such kind: applying the file fails with "no matches for
    /// kind", or, where an old CustomResourceDefinition lingers, succeeds and does nothing,
    /// since no Istio component reads the object any more. Either way the routing,
    /// authentication or policy the file describes is not in force, and a reader of the
    /// repository believes it is.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: config.istio.io/v1alpha2
    /// kind: RouteRule
    /// metadata: {name: reviews-default}
    /// spec:
    ///   destination: {name: reviews}
    ///   precedence: 1
    ///   route:
    ///   - labels: {version: v1}
    /// ```
    ///
    /// ## Fix
    /// Rewrite the object with its replacement; a route's `labels` become a subset of a
    /// DestinationRule:
    /// ```yaml
    /// apiVersion: networking.istio.io/v1
    /// kind: VirtualService
    /// metadata: {name: reviews}
    /// spec:
    ///   hosts: [reviews]
    ///   http:
    ///   - route:
    ///     - destination: {host: reviews, subset: v1}
    /// ---
    /// apiVersion: networking.istio.io/v1
    /// kind: DestinationRule
    /// metadata: {name: reviews}
    /// spec:
    ///   host: reviews
    ///   subsets:
    ///   - {name: v1, labels: {version: v1}}
    /// ```
    ///
    /// ## References
    /// - https://istio.io/latest/blog/2018/v1alpha3-routing/
    /// - https://istio.io/latest/news/releases/1.6.x/announcing-1.6/upgrade-notes/
    /// - https://istio.io/latest/news/releases/1.8.x/announcing-1.8/upgrade-notes/
    /// - https://istio.io/latest/docs/reference/config/security/authorization-policy/
    pub static REMOVED_KIND = {
        id: "MESH008",
        name: "istio-kind-removed",
        category: Mesh,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&[
            "RouteRule", "DestinationPolicy", "EgressRule", "Policy", "MeshPolicy",
            "ServiceRole", "ServiceRoleBinding", "RbacConfig", "ClusterRbacConfig", "rule",
            "handler", "instance", "attributemanifest", "template", "adapter", "HTTPAPISpec",
            "HTTPAPISpecBinding", "QuotaSpec", "QuotaSpecBinding",
        ]),
        pss_level: None,
        summary: "Istio kinds that Istio has removed must be rewritten with their replacements",
        check: check,
    }
}

/// A removed kind: its API groups, when it went, and what replaces it.
struct Removed {
    kind: &'static str,
    groups: &'static [&'static str],
    gone: &'static str,
    replacement: &'static str,
}

const MIXER: &[&str] = &["config.istio.io", "policy.istio.io"];
const MIXER_GONE: &str = "removed with Mixer in Istio 1.8";
const MIXER_REPLACEMENT: &str = "the Telemetry API, `AuthorizationPolicy`, or rate limiting through `EnvoyFilter` or `WasmPlugin`";

const REMOVED: &[Removed] = &[
    Removed {
        kind: "RouteRule",
        groups: &["config.istio.io"],
        gone: "replaced in Istio 0.8 and since removed",
        replacement: "a `VirtualService`, with a `DestinationRule` for its subsets",
    },
    Removed {
        kind: "DestinationPolicy",
        groups: &["config.istio.io"],
        gone: "replaced in Istio 0.8 and since removed",
        replacement: "a `DestinationRule`'s `trafficPolicy`",
    },
    Removed {
        kind: "EgressRule",
        groups: &["config.istio.io"],
        gone: "replaced in Istio 0.8 and since removed",
        replacement: "a `ServiceEntry`",
    },
    Removed {
        kind: "Policy",
        groups: &["authentication.istio.io"],
        gone: "removed in Istio 1.6",
        replacement: "a `PeerAuthentication` and a `RequestAuthentication`",
    },
    Removed {
        kind: "MeshPolicy",
        groups: &["authentication.istio.io"],
        gone: "removed in Istio 1.6",
        replacement: "a `PeerAuthentication` in the root namespace",
    },
    Removed {
        kind: "ServiceRole",
        groups: &["rbac.istio.io"],
        gone: "removed in Istio 1.6",
        replacement: "an `AuthorizationPolicy`",
    },
    Removed {
        kind: "ServiceRoleBinding",
        groups: &["rbac.istio.io"],
        gone: "removed in Istio 1.6",
        replacement: "an `AuthorizationPolicy`",
    },
    Removed {
        kind: "RbacConfig",
        groups: &["rbac.istio.io"],
        gone: "removed in Istio 1.6",
        replacement: "an `AuthorizationPolicy`",
    },
    Removed {
        kind: "ClusterRbacConfig",
        groups: &["rbac.istio.io"],
        gone: "removed in Istio 1.6",
        replacement: "an `AuthorizationPolicy`",
    },
];

const MIXER_KINDS: &[&str] = &[
    "rule",
    "handler",
    "instance",
    "attributemanifest",
    "template",
    "adapter",
    "HTTPAPISpec",
    "HTTPAPISpecBinding",
    "QuotaSpec",
    "QuotaSpecBinding",
];

fn check(cx: &mut Cx<'_>) {
    let obj = cx.obj;
    let group = obj.id.group();
    let kind = obj.id.kind.as_str();
    let found = REMOVED
        .iter()
        .find(|r| r.kind == kind && r.groups.contains(&group))
        .map(|r| (r.gone, r.replacement))
        .or_else(|| {
            (MIXER_KINDS.contains(&kind) && MIXER.contains(&group))
                .then_some((MIXER_GONE, MIXER_REPLACEMENT))
        });
    let Some((gone, replacement)) = found else {
        return;
    };
    cx.report(
        FieldPath::parse_dotted("kind"),
        format!(
            "Rewrite this as {replacement}: `{kind}` of `{}` was {gone}, so no current mesh \
             applies it",
            obj.id.api_version
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    fn object(api_version: &str, kind: &str) -> String {
        format!("apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\nspec: {{}}\n")
    }

    #[test]
    fn flags_removed_kinds_with_their_replacement() {
        for (api, kind, replacement) in [
            ("config.istio.io/v1alpha2", "RouteRule", "`VirtualService`"),
            (
                "config.istio.io/v1alpha2",
                "DestinationPolicy",
                "`DestinationRule`",
            ),
            ("config.istio.io/v1alpha2", "EgressRule", "`ServiceEntry`"),
            (
                "authentication.istio.io/v1alpha1",
                "Policy",
                "`PeerAuthentication`",
            ),
            (
                "authentication.istio.io/v1alpha1",
                "MeshPolicy",
                "`PeerAuthentication`",
            ),
            (
                "rbac.istio.io/v1alpha1",
                "ServiceRoleBinding",
                "`AuthorizationPolicy`",
            ),
            ("config.istio.io/v1alpha2", "QuotaSpec", "Telemetry API"),
            ("policy.istio.io/v1beta1", "rule", "Telemetry API"),
        ] {
            let v = run(&REMOVED_KIND, &object(api, kind));
            assert_eq!(paths(&v), ["kind"], "{kind}");
            assert!(v[0].message.contains(replacement), "{}", v[0].message);
        }
    }

    #[test]
    fn passes_current_kinds_and_namesakes_in_other_groups() {
        for (api, kind) in [
            ("networking.istio.io/v1", "VirtualService"),
            ("security.istio.io/v1", "PeerAuthentication"),
            ("kyverno.io/v1", "Policy"),
            ("example.com/v1", "RouteRule"),
        ] {
            assert!(
                run(&REMOVED_KIND, &object(api, kind)).is_empty(),
                "{api} {kind}"
            );
        }
    }
}
