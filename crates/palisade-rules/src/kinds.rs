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

/// The API groups of the built-in kinds that rules name, so that a rule written for the core
/// `Service` does not judge a Knative `Service`, nor one for RBAC `Role` a CRD called `Role`.
const BUILTIN_GROUPS: &[(&str, &[&str])] = &[
    ("ClusterRole", &["rbac.authorization.k8s.io"]),
    ("ClusterRoleBinding", &["rbac.authorization.k8s.io"]),
    ("ConfigMap", &[""]),
    ("HorizontalPodAutoscaler", &["autoscaling"]),
    ("Ingress", &["networking.k8s.io", "extensions"]),
    ("Namespace", &[""]),
    ("NetworkPolicy", &["networking.k8s.io", "extensions"]),
    ("PodDisruptionBudget", &["policy"]),
    ("Role", &["rbac.authorization.k8s.io"]),
    ("RoleBinding", &["rbac.authorization.k8s.io"]),
    ("Secret", &[""]),
    ("Service", &[""]),
    ("ServiceAccount", &[""]),
];

/// Whether `group` is a group the built-in `kind` lives in (always true for other kinds).
pub fn is_builtin_group(kind: &str, group: &str) -> bool {
    BUILTIN_GROUPS
        .iter()
        .find(|(k, _)| *k == kind)
        .is_none_or(|(_, groups)| groups.contains(&group))
}
