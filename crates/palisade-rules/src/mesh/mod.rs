//! Service-mesh rules for Istio: where routes send traffic, the subsets and mirrors they name,
//! route weights and match expressions, mutual TLS, egress, and API kinds Istio has removed.
//!
//! Istio's own objects are recognised by API group (`networking.istio.io`,
//! `security.istio.io`, `install.istio.io`), in every version (`v1alpha3`, `v1beta1`, `v1`).
//! The rules about references look at the whole scan and share one
//! [`MeshIndex`](index::MeshIndex) of the mesh's hosts, DestinationRules and mesh
//! configuration, built once per scan; Kubernetes Services come from the wiring rules'
//! [`WorkloadIndex`](crate::wiring::WorkloadIndex).
//! Where the files cannot tell (a namespace whose Services are not among them, an external
//! host with no ServiceEntry in sight) they stay silent. Rules that need only one object
//! (weights, regular expressions, removed kinds) are object rules, so the admission webhook
//! runs them too.

mod egress_allow_any;
mod host;
mod index;
mod mirror_target_missing;
mod mtls_not_strict;
mod removed_kind;
mod route_host_missing;
mod route_match_regex_invalid;
mod route_subset_undefined;
mod route_weights_not_100;
mod routes;

use palisade_model::Object;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &route_host_missing::ROUTE_HOST_MISSING,
    &route_subset_undefined::ROUTE_SUBSET_UNDEFINED,
    &mirror_target_missing::MIRROR_TARGET_MISSING,
    &route_weights_not_100::ROUTE_WEIGHTS_NOT_100,
    &route_match_regex_invalid::ROUTE_MATCH_REGEX_INVALID,
    &mtls_not_strict::MTLS_NOT_STRICT,
    &egress_allow_any::EGRESS_ALLOW_ANY,
    &removed_kind::REMOVED_KIND,
];

/// Whether `obj` is Istio's `kind` of API group `group`, in any version.
pub(crate) fn is_istio(obj: &Object, group: &str, kind: &str) -> bool {
    obj.id.kind == kind && obj.id.group() == group
}

/// Whether `obj` is an Istio VirtualService.
pub(crate) fn is_virtual_service(obj: &Object) -> bool {
    is_istio(obj, "networking.istio.io", "VirtualService")
}
