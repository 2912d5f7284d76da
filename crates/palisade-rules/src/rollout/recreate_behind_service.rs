use palisade_load::{FieldPath, Node};
use palisade_model::Object;

use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;
use crate::wiring::index::{is_apps_kind, kind_name, namespace, service_selector};

declare_rule! {
    /// ## What it checks
    /// No Deployment with `spec.strategy.type: Recreate` has its pods selected by a core
    /// `v1` Service in the same namespace among the scanned files.
    ///
    /// A Deployment that no Service in the files selects is not reported: it may serve no
    /// traffic (a queue worker, a singleton), for which `Recreate` is often right, or its
    /// Service may be elsewhere and the rule cannot tell. Nor is a Deployment whose pods
    /// mount a PersistentVolumeClaim: a `ReadWriteOnce` volume cannot be mounted by an old
    /// and a new pod on different nodes, and `Recreate` is then the way to update.
    ///
    /// ## Why it matters
    /// `Recreate` stops every old pod before it starts a new one. For a workload behind a
    /// Service that is an outage at every rollout, lasting as long as the new pods take to
    /// pull, start and become ready — and longer when the new version fails to start.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   strategy: {type: Recreate}
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{port: 80}]
    /// ```
    ///
    /// ## Fix
    /// Roll pods over one at a time, unless two versions truly cannot run side by side (a
    /// volume that only one pod may mount, a schema migration):
    /// ```yaml
    /// spec:
    ///   strategy:
    ///     type: RollingUpdate
    ///     rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#recreate-deployment
    /// - https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment
    pub static RECREATE_BEHIND_SERVICE = {
        id: "ROL002",
        name: "recreate-behind-service",
        category: Rollout,
        severity: Low,
        default_enabled: true,
        applies: Applies::Kinds(&["Deployment"]),
        pss_level: None,
        summary: "Deployments behind a Service should not use the `Recreate` strategy",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        if !is_apps_kind(obj, &["Deployment"]) {
            continue;
        }
        let path = FieldPath::parse_dotted("spec.strategy.type");
        if obj.node(&path).and_then(Node::as_str) != Some("Recreate") {
            continue;
        }
        if mounts_claim(obj) {
            continue;
        }
        let Some(labels) = obj.pod_labels() else {
            continue;
        };
        let service = index.services(namespace(obj)).iter().copied().find(|&s| {
            service_selector(cx.objects[s]).is_some_and(|sel| sel.matches(&labels) == Some(true))
        });
        let Some(s) = service else { continue };
        cx.report(
            i,
            path,
            format!(
                "Use a rolling update: `{}` sends traffic to these pods, and `Recreate` stops \
                 them all before the new ones start",
                kind_name(cx.objects[s])
            ),
        );
    }
}

/// Whether the pod template has a `persistentVolumeClaim` volume.
fn mounts_claim(obj: &Object) -> bool {
    let Some(spec) = obj.pod.as_ref().and_then(|p| p.spec_node(&obj.root)) else {
        return false;
    };
    spec.get("volumes")
        .map_or(&[][..], Node::items)
        .iter()
        .any(|v| v.get("persistentVolumeClaim").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    fn deployment(strategy: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\nspec:\n  strategy: {{type: {strategy}}}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: 'nginx:1.27'}}]\n"
        )
    }

    fn service(ns: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: 80}}]\n"
        )
    }

    #[test]
    fn flags_recreate_behind_a_service() {
        let v = run_set(
            &RECREATE_BEHIND_SERVICE,
            &format!("{}{}", deployment("Recreate"), service("shop")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].1.path.to_string(), "spec.strategy.type");
        assert!(
            v[0].1.message.contains("`Service/web`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_rolling_updates() {
        let v = run_set(
            &RECREATE_BEHIND_SERVICE,
            &format!("{}{}", deployment("RollingUpdate"), service("shop")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn passes_recreate_with_a_volume_claim() {
        let claimed = deployment("Recreate").replace(
            "containers:",
            "volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]\n      containers:",
        );
        let v = run_set(
            &RECREATE_BEHIND_SERVICE,
            &format!("{claimed}{}", service("shop")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_without_a_service_in_the_files() {
        let v = run_set(
            &RECREATE_BEHIND_SERVICE,
            &format!("{}{}", deployment("Recreate"), service("other")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
