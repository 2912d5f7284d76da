//! The resources of Kubernetes' own API groups, as RBAC rules name them.
//!
//! RBAC knows resources only by their plural name and API group, and a RoleBinding grants
//! nothing on a cluster-scoped resource (Nodes, ClusterRoles, webhook configurations): only
//! a ClusterRoleBinding can. This table tells the two apart, and lets `palisade who-can`
//! accept `deployments` for `deployments.apps`. Resources it does not list (custom
//! resources) must be named with their group and are taken to be namespaced.

/// (plural name, API group, cluster-scoped). The first entry of a name is the one a bare
/// name means (`events` is the core group's).
const RESOURCES: &[(&str, &str, bool)] = &[
    ("bindings", "", false),
    ("componentstatuses", "", true),
    ("configmaps", "", false),
    ("endpoints", "", false),
    ("events", "", false),
    ("limitranges", "", false),
    ("namespaces", "", true),
    ("nodes", "", true),
    ("persistentvolumeclaims", "", false),
    ("persistentvolumes", "", true),
    ("pods", "", false),
    ("podtemplates", "", false),
    ("replicationcontrollers", "", false),
    ("resourcequotas", "", false),
    ("secrets", "", false),
    ("serviceaccounts", "", false),
    ("services", "", false),
    // What `impersonate` acts on.
    ("users", "", true),
    ("groups", "", true),
    ("uids", "authentication.k8s.io", true),
    ("userextras", "authentication.k8s.io", true),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        true,
    ),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        true,
    ),
    (
        "validatingadmissionpolicies",
        "admissionregistration.k8s.io",
        true,
    ),
    (
        "validatingadmissionpolicybindings",
        "admissionregistration.k8s.io",
        true,
    ),
    (
        "mutatingadmissionpolicies",
        "admissionregistration.k8s.io",
        true,
    ),
    (
        "mutatingadmissionpolicybindings",
        "admissionregistration.k8s.io",
        true,
    ),
    ("customresourcedefinitions", "apiextensions.k8s.io", true),
    ("apiservices", "apiregistration.k8s.io", true),
    ("controllerrevisions", "apps", false),
    ("daemonsets", "apps", false),
    ("deployments", "apps", false),
    ("replicasets", "apps", false),
    ("statefulsets", "apps", false),
    ("selfsubjectreviews", "authentication.k8s.io", true),
    ("tokenreviews", "authentication.k8s.io", true),
    ("localsubjectaccessreviews", "authorization.k8s.io", false),
    ("selfsubjectaccessreviews", "authorization.k8s.io", true),
    ("selfsubjectrulesreviews", "authorization.k8s.io", true),
    ("subjectaccessreviews", "authorization.k8s.io", true),
    ("horizontalpodautoscalers", "autoscaling", false),
    ("cronjobs", "batch", false),
    ("jobs", "batch", false),
    ("certificatesigningrequests", "certificates.k8s.io", true),
    ("leases", "coordination.k8s.io", false),
    ("endpointslices", "discovery.k8s.io", false),
    ("flowschemas", "flowcontrol.apiserver.k8s.io", true),
    (
        "prioritylevelconfigurations",
        "flowcontrol.apiserver.k8s.io",
        true,
    ),
    ("ingressclasses", "networking.k8s.io", true),
    ("ingresses", "networking.k8s.io", false),
    ("networkpolicies", "networking.k8s.io", false),
    ("runtimeclasses", "node.k8s.io", true),
    ("poddisruptionbudgets", "policy", false),
    ("podsecuritypolicies", "policy", true),
    ("clusterrolebindings", "rbac.authorization.k8s.io", true),
    ("clusterroles", "rbac.authorization.k8s.io", true),
    ("rolebindings", "rbac.authorization.k8s.io", false),
    ("roles", "rbac.authorization.k8s.io", false),
    ("priorityclasses", "scheduling.k8s.io", true),
    ("csidrivers", "storage.k8s.io", true),
    ("csinodes", "storage.k8s.io", true),
    ("csistoragecapacities", "storage.k8s.io", false),
    ("storageclasses", "storage.k8s.io", true),
    ("volumeattachments", "storage.k8s.io", true),
];

/// Whether `resource` (`nodes`, or `nodes/proxy` for a subresource) of `group` lives outside
/// any namespace. Resources the table does not know count as namespaced.
pub fn is_cluster_scoped(group: &str, resource: &str) -> bool {
    let base = resource.split_once('/').map_or(resource, |(base, _)| base);
    RESOURCES
        .iter()
        .any(|&(name, g, cluster)| cluster && name == base && g == group)
}

/// A resource named on the command line, resolved to its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceName {
    /// The API group; empty for the core group.
    pub group: String,
    /// The plural name with its subresource, if any: `pods/exec`.
    pub resource: String,
    pub cluster_scoped: bool,
}

/// Reads `pods`, `pods/exec`, `deployments.apps`, `deployments.apps/scale` or
/// `widgets.example.com`. A name without a group must be one of Kubernetes' own resources
/// (singular names such as `pod` are accepted too); `*` stands for every resource.
pub fn parse_resource(text: &str) -> Result<ResourceName, String> {
    let text = text.trim();
    let (name, sub) = match text.split_once('/') {
        Some((name, sub)) => (name, Some(sub)),
        None => (text, None),
    };
    if name.is_empty() || sub.is_some_and(str::is_empty) {
        return Err(format!(
            "`{text}` is not a resource: write `pods` or `pods/exec`"
        ));
    }
    let name = name.to_ascii_lowercase();
    let (plural, group) = match name.split_once('.') {
        Some((plural, group)) => (plural.to_string(), group.to_string()),
        None if name == "*" => ("*".to_string(), "*".to_string()),
        None => {
            let Some((plural, group)) = known(&name) else {
                return Err(format!(
                    "`{name}` is not one of Kubernetes' own resources; name its API group, as in `{name}.example.com`"
                ));
            };
            (plural.to_string(), group.to_string())
        }
    };
    let resource = match sub {
        Some(sub) => format!("{plural}/{sub}"),
        None => plural,
    };
    Ok(ResourceName {
        cluster_scoped: is_cluster_scoped(&group, &resource),
        group,
        resource,
    })
}

/// The plural name and group of a resource named without its group, in plural or singular.
fn known(name: &str) -> Option<(&'static str, &'static str)> {
    let plurals = [
        name.to_string(),
        format!("{name}s"),
        format!("{name}es"),
        name.strip_suffix('y')
            .map_or_else(String::new, |stem| format!("{stem}ies")),
    ];
    plurals.iter().find_map(|plural| {
        RESOURCES
            .iter()
            .find(|(n, _, _)| n == plural)
            .map(|&(n, g, _)| (n, g))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (String, String, bool) {
        let r = parse_resource(text).unwrap();
        (r.group, r.resource, r.cluster_scoped)
    }

    #[test]
    fn names_resolve_to_their_group_and_scope() {
        assert_eq!(parsed("pods/exec"), ("".into(), "pods/exec".into(), false));
        assert_eq!(
            parsed("deployments"),
            ("apps".into(), "deployments".into(), false)
        );
        assert_eq!(
            parsed("Deployment"),
            ("apps".into(), "deployments".into(), false)
        );
        assert_eq!(
            parsed("networkpolicy"),
            ("networking.k8s.io".into(), "networkpolicies".into(), false)
        );
        assert_eq!(
            parsed("deployments.apps/scale"),
            ("apps".into(), "deployments/scale".into(), false)
        );
        assert_eq!(
            parsed("nodes/proxy"),
            ("".into(), "nodes/proxy".into(), true)
        );
        assert_eq!(
            parsed("ingressclass"),
            ("networking.k8s.io".into(), "ingressclasses".into(), true)
        );
        assert_eq!(
            parsed("widgets.example.com"),
            ("example.com".into(), "widgets".into(), false)
        );
    }

    #[test]
    fn unknown_names_without_a_group_are_refused() {
        assert!(parse_resource("widgets").is_err());
        assert!(parse_resource("pods/").is_err());
        assert!(parse_resource("").is_err());
    }
}
