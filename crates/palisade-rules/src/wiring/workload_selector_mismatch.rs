use palisade_load::FieldPath;
use palisade_model::Selector;

use super::index::is_apps_kind;
use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// The `spec.selector` of every Deployment, ReplicaSet, StatefulSet, DaemonSet and Job
    /// selects the labels of its own pod template (`spec.template.metadata.labels`).
    ///
    /// Workloads without a selector (a Job's is usually generated) and selectors that cannot
    /// be evaluated are not checked. The rule needs only the workload itself, so it runs in
    /// the admission webhook too.
    ///
    /// ## Why it matters
    /// The API server rejects such a workload (`selector does not match template labels`),
    /// so the apply fails — often late, in the pipeline's deploy step, or halfway through a
    /// Helm release that then has to be rolled back. Older API versions accepted it and
    /// left a controller that never counts its own pods and creates new ones forever.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web-frontend}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Label the template with what the selector asks for:
    /// ```yaml
    ///   template:
    ///     metadata: {labels: {app: web}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#selector
    /// - https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
    pub static WORKLOAD_SELECTOR_MISMATCH = {
        id: "SVC011",
        name: "workload-selector-mismatch",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"]),
        pss_level: None,
        summary: "Workload selectors must match their own pod template's labels",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let obj = cx.obj;
    let judged = is_apps_kind(
        obj,
        &["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"],
    ) || (obj.id.kind == "Job" && obj.id.group() == "batch");
    if !judged {
        return;
    }
    let Some(labels) = obj.pod_labels() else {
        return;
    };
    let path = FieldPath::parse_dotted("spec.selector");
    let Some(node) = obj.node(&path).filter(|n| !n.is_null()) else {
        return;
    };
    let selector = Selector::from_label_selector(node);
    if selector.matches(&labels) != Some(false) {
        return;
    }
    cx.report(
        path,
        "Make the selector match the labels of `spec.template.metadata.labels`: it does not \
         select the workload's own pods",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    fn workload(kind: &str, selector: &str) -> String {
        let api = if kind == "Job" { "batch/v1" } else { "apps/v1" };
        format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: web}}\nspec:\n  {selector}\n  template:\n    metadata: {{labels: {{app: web, tier: front}}}}\n    spec:\n      containers: [{{name: web, image: 'nginx:1.27'}}]\n"
        )
    }

    #[test]
    fn flags_selectors_that_miss_the_template() {
        for kind in [
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
        ] {
            let v = run(
                &WORKLOAD_SELECTOR_MISMATCH,
                &workload(kind, "selector: {matchLabels: {app: web-frontend}}"),
            );
            assert_eq!(paths(&v), ["spec.selector"], "{kind}");
        }
        let v = run(
            &WORKLOAD_SELECTOR_MISMATCH,
            &workload(
                "Deployment",
                "selector: {matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}",
            ),
        );
        assert_eq!(paths(&v), ["spec.selector"]);
    }

    #[test]
    fn passes_matching_or_absent_selectors() {
        for selector in [
            "selector: {matchLabels: {app: web}}",
            "selector: {matchExpressions: [{key: tier, operator: In, values: [front, back]}]}",
            "replicas: 2",
            "selector: {matchExpressions: [{key: tier, operator: Near}]}",
        ] {
            let v = run(
                &WORKLOAD_SELECTOR_MISMATCH,
                &workload("Deployment", selector),
            );
            assert!(v.is_empty(), "{selector}: {v:?}");
        }
    }
}
