//! Facts about Kubernetes kinds that rules need.

/// Kinds that live outside any namespace. Kinds not listed (including unknown CRDs) are
/// treated as namespaced.
pub const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterPolicy",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// The API groups of the kinds that rules name, so that a rule written for the core `Service`
/// does not judge a Knative `Service`, one for RBAC `Role` a CRD called `Role`, nor one for
/// Istio's `VirtualService` AWS App Mesh's.
const BUILTIN_GROUPS: &[(&str, &[&str])] = &[
    ("ClusterRbacConfig", &["rbac.istio.io"]),
    ("ClusterRole", &["rbac.authorization.k8s.io"]),
    ("ClusterRoleBinding", &["rbac.authorization.k8s.io"]),
    ("ConfigMap", &[""]),
    ("DestinationPolicy", &["config.istio.io"]),
    ("DestinationRule", &["networking.istio.io"]),
    ("EgressRule", &["config.istio.io"]),
    ("EndpointSlice", &["discovery.k8s.io"]),
    ("Endpoints", &[""]),
    ("HorizontalPodAutoscaler", &["autoscaling"]),
    ("Ingress", &["networking.k8s.io", "extensions"]),
    ("IstioOperator", &["install.istio.io"]),
    ("MeshPolicy", &["authentication.istio.io"]),
    ("Namespace", &[""]),
    ("NetworkPolicy", &["networking.k8s.io", "extensions"]),
    ("PeerAuthentication", &["security.istio.io"]),
    ("PodDisruptionBudget", &["policy"]),
    // Istio's authentication `Policy`, not Kyverno's.
    ("Policy", &["authentication.istio.io"]),
    ("RbacConfig", &["rbac.istio.io"]),
    ("Role", &["rbac.authorization.k8s.io"]),
    ("RoleBinding", &["rbac.authorization.k8s.io"]),
    ("RouteRule", &["config.istio.io"]),
    ("Secret", &[""]),
    ("Service", &[""]),
    ("ServiceAccount", &[""]),
    ("ServiceEntry", &["networking.istio.io"]),
    ("ServiceRole", &["rbac.istio.io"]),
    ("ServiceRoleBinding", &["rbac.istio.io"]),
    ("Sidecar", &["networking.istio.io"]),
    ("VirtualService", &["networking.istio.io"]),
];

/// Whether `group` is a group the built-in `kind` lives in (always true for other kinds).
pub fn is_builtin_group(kind: &str, group: &str) -> bool {
    BUILTIN_GROUPS
        .iter()
        .find(|(k, _)| *k == kind)
        .is_none_or(|(_, groups)| groups.contains(&group))
}

/// Kinds that cross-object rules read besides pod-bearing objects: where Services, routes,
/// budgets, autoscalers, policies and permissions point, and what they point at. A scan with
/// cross-object rules keeps these objects until the whole set is loaded and frees the others
/// as it goes.
pub const READ_ACROSS_OBJECTS: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "DestinationRule",
    "Endpoints",
    "EndpointSlice",
    "Gateway",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Namespace",
    "NetworkPolicy",
    "PeerAuthentication",
    "PodDisruptionBudget",
    "Role",
    "RoleBinding",
    "Service",
    "ServiceAccount",
    "ServiceEntry",
    "Sidecar",
    "VirtualService",
];

/// Whether a scan with cross-object rules keeps `obj` for them: pod-bearing objects, the
/// kinds above, custom resources (an operator may run pods for them), and Istio's mesh
/// configuration ConfigMap.
pub fn read_across_objects(obj: &palisade_model::Object) -> bool {
    let group = obj.id.group();
    obj.pod.is_some()
        || READ_ACROSS_OBJECTS.contains(&obj.id.kind.as_str())
        || (group.contains('.') && !group.ends_with(".k8s.io"))
        || is_mesh_config_map(obj)
}

/// Whether `obj` is Istio's mesh configuration: a core ConfigMap called `istio` (or
/// `istio-<revision>`) with a `mesh` key.
pub fn is_mesh_config_map(obj: &palisade_model::Object) -> bool {
    obj.id.kind == "ConfigMap"
        && obj.id.group().is_empty()
        && obj
            .id
            .name
            .as_deref()
            .is_some_and(|n| n == "istio" || n.starts_with("istio-"))
        && obj.root.get("data").and_then(|d| d.get("mesh")).is_some()
}
