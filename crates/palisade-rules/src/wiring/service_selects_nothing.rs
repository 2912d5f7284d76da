use palisade_load::FieldPath;
use palisade_model::Selector;

use super::WorkloadIndex;
use super::index::namespace;
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Every core `v1` Service with a `spec.selector` selects the pods of at least one
    /// workload (a Pod, or the template of a Deployment, StatefulSet, DaemonSet, Job, …) in
    /// the same namespace among the scanned files.
    ///
    /// Services without a selector (their Endpoints are managed by hand or by a controller)
    /// and `ExternalName` Services are not checked. When the scanned files hold no workload
    /// at all in the Service's namespace, the rule cannot tell and says nothing: the pods may
    /// be deployed from elsewhere.
    ///
    /// ## Why it matters
    /// A Service whose selector matches no pod has no endpoints: every connection to it is
    /// refused, and the cause — a typo in a label, a label renamed on one side only — is easy
    /// to miss in review because both objects look right on their own.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web-frontend}
    ///   ports: [{port: 80, targetPort: 8080}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Make the Service's selector match the labels of the pod template:
    /// ```yaml
    /// spec:
    ///   selector: {app: web}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service
    /// - https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
    pub static SERVICE_SELECTS_NOTHING = {
        id: "SVC001",
        name: "service-selects-no-pods",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Service"]),
        pss_level: None,
        summary: "Services must select the pods of a workload in the same namespace",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        if obj.id.kind != "Service" || !obj.id.group().is_empty() {
            continue;
        }
        let path = FieldPath::parse_dotted("spec.selector");
        let Some(node) = obj.node(&path) else {
            continue;
        };
        let spec_type = obj.node(&FieldPath::parse_dotted("spec.type"));
        if spec_type.and_then(|t| t.as_str()) == Some("ExternalName") {
            continue;
        }
        let selector = Selector::from_map(node);
        if selector.is_empty() {
            continue;
        }
        let workloads = index.workloads(namespace(obj));
        if workloads.is_empty() {
            continue;
        }
        // An invalid selector is unknown, not a mismatch.
        let mut any = false;
        for w in workloads {
            match selector.matches(&w.labels) {
                Some(true) => {
                    any = true;
                    break;
                }
                Some(false) => {}
                None => {
                    any = true;
                    break;
                }
            }
        }
        if !any {
            cx.report(
                i,
                path,
                format!(
                    "the selector matches none of the {} workload(s) in this namespace",
                    workloads.len()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web, tier: front}}\n    spec:\n      containers: [{name: web, image: 'nginx:1.27'}]\n";

    fn service(ns: &str, selector: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  selector: {selector}\n  ports: [{{port: 80}}]\n"
        )
    }

    #[test]
    fn flags_a_selector_that_matches_no_template() {
        let v = run_set(
            &SERVICE_SELECTS_NOTHING,
            &format!("{DEPLOYMENT}{}", service("shop", "{app: web-frontend}")),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, "Service/web");
        assert_eq!(v[0].1.path.to_string(), "spec.selector");
    }

    #[test]
    fn passes_when_a_template_matches() {
        let v = run_set(
            &SERVICE_SELECTS_NOTHING,
            &format!("{DEPLOYMENT}{}", service("shop", "{app: web, tier: front}")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_the_namespace_has_no_workload_in_the_files() {
        let v = run_set(
            &SERVICE_SELECTS_NOTHING,
            &format!("{DEPLOYMENT}{}", service("other", "{app: nope}")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
