use palisade_load::FieldPath;

use super::WorkloadIndex;
use super::index::{disruption_budget_selector, namespace};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Every PodDisruptionBudget's `spec.selector` selects the pods of at least one workload
    /// (a Pod, or the template of a Deployment, StatefulSet, …) in the same namespace among
    /// the scanned files.
    ///
    /// When the files hold no workload at all in the budget's namespace, the rule cannot
    /// tell and says nothing; nor when the namespace holds custom resources (kinds outside
    /// Kubernetes' own API groups), from which an operator may create the pods — the
    /// Prometheus operator's `Alertmanager`, a database operator's cluster object. A budget without a selector is not checked, nor one whose
    /// selector cannot be evaluated.
    ///
    /// ## Why it matters
    /// A disruption budget that selects no pod protects nothing: node drains and cluster
    /// upgrades evict the pods it was written for all at once. Like a Service's selector,
    /// a budget's selector drifts silently when the workload's labels change.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: web}
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: web-frontend}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Select the labels of the pod template:
    /// ```yaml
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/run-application/configure-pdb/
    /// - https://kubernetes.io/docs/concepts/workloads/pods/disruptions/
    pub static DISRUPTION_BUDGET_SELECTS_NOTHING = {
        id: "SVC006",
        name: "disruption-budget-selects-no-pods",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["PodDisruptionBudget"]),
        pss_level: None,
        summary: "PodDisruptionBudgets must select the pods of a workload in their namespace",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        let Some(selector) = disruption_budget_selector(obj) else {
            continue;
        };
        let ns = namespace(obj);
        let workloads = index.workloads(ns);
        if workloads.is_empty() || index.has_custom_resources(ns) {
            continue;
        }
        if index.selected(ns, &selector).is_none_or(|s| !s.is_empty()) {
            continue;
        }
        let first = cx.objects[workloads[0].object];
        cx.report(
            i,
            FieldPath::parse_dotted("spec.selector"),
            format!(
                "Select the pods to protect: the selector matches none of the {} workload(s) \
                 of this namespace, such as `{}/{}`",
                workloads.len(),
                first.id.kind,
                first.id.name.as_deref().unwrap_or("")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'nginx:1.27'}]\n";

    fn budget(ns: &str, app: &str) -> String {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  maxUnavailable: 1\n  selector: {{matchLabels: {{app: {app}}}}}\n"
        )
    }

    #[test]
    fn flags_a_selector_that_matches_no_template() {
        let v = run_set(
            &DISRUPTION_BUDGET_SELECTS_NOTHING,
            &format!("{DEPLOYMENT}{}", budget("shop", "web-frontend")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "PodDisruptionBudget/web");
        assert_eq!(v[0].1.path.to_string(), "spec.selector");
        assert!(
            v[0].1.message.contains("`Deployment/web`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_when_a_template_matches() {
        let v = run_set(
            &DISRUPTION_BUDGET_SELECTS_NOTHING,
            &format!("{DEPLOYMENT}{}", budget("shop", "web")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_an_operator_may_create_the_pods() {
        let custom = "---\napiVersion: monitoring.coreos.com/v1\nkind: Alertmanager\nmetadata: {name: main, namespace: shop}\nspec: {replicas: 3}\n";
        let v = run_set(
            &DISRUPTION_BUDGET_SELECTS_NOTHING,
            &format!("{DEPLOYMENT}{custom}{}", budget("shop", "alertmanager")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_when_the_namespace_has_no_workload_in_the_files() {
        let v = run_set(
            &DISRUPTION_BUDGET_SELECTS_NOTHING,
            &format!("{DEPLOYMENT}{}", budget("other", "nope")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
