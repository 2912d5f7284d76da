use palisade_load::FieldPath;

use super::WorkloadIndex;
use super::index::{
    PodCount, autoscaler_min_replicas, disruption_budget_selector, kind_name, namespace, replicas,
};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No PodDisruptionBudget's `spec.minAvailable` is at or above the pod count of the
    /// workloads it selects when a HorizontalPodAutoscaler has scaled one of them down to
    /// its `spec.minReplicas` (1 when absent). The count adds up the `minReplicas` of each
    /// autoscaled workload and the `spec.replicas` of the others; a percentage is rounded
    /// up.
    ///
    /// The rule judges only budgets whose selected workloads are all in the scanned files
    /// with a count the files tell (not a DaemonSet or a Job), at least one of them the
    /// target of an autoscaler. `maxUnavailable: 0` and `minAvailable: 100%` are
    /// `disruption-budget-blocks-eviction`'s findings (SVC007).
    ///
    /// ## Why it matters
    /// Autoscalers scale down at night and on quiet weekends, which is exactly when node
    /// upgrades and drains are scheduled. At the minimum scale such a budget allows no
    /// eviction, and the drain hangs until someone scales the workload up by hand.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: web}
    /// spec:
    ///   minAvailable: 2
    ///   selector: {matchLabels: {app: web}}
    /// ---
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: web}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    ///   minReplicas: 2
    ///   maxReplicas: 10
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
    /// Keep the budget below the autoscaler's minimum, or state it as `maxUnavailable`,
    /// which holds at any scale:
    /// ```yaml
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: web}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/run-application/configure-pdb/#specifying-a-poddisruptionbudget
    /// - https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
    pub static DISRUPTION_BUDGET_BLOCKS_AUTOSCALER_MINIMUM = {
        id: "SVC008",
        name: "disruption-budget-blocks-autoscaler-minimum",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["PodDisruptionBudget"]),
        pss_level: None,
        summary: "PodDisruptionBudgets must allow an eviction at the autoscaler's minimum",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        let Some(selector) = disruption_budget_selector(obj) else {
            continue;
        };
        let path = FieldPath::parse_dotted("spec.minAvailable");
        let Some(min) = obj.node(&path).and_then(PodCount::read) else {
            continue;
        };
        if matches!(min, PodCount::Percent(p) if p >= 100.0) {
            continue;
        }
        let Some(selected) = index.selected(namespace(obj), &selector) else {
            continue;
        };

        // The smallest count the autoscalers may leave, and the first autoscaler involved.
        let mut total = 0;
        let mut known = true;
        let mut autoscaler = None;
        for w in selected.iter().filter(|w| !w.controlled) {
            let workload = cx.objects[w.object];
            let count = match index.autoscaler_for(workload) {
                Some(a) => {
                    autoscaler.get_or_insert((a, w.object));
                    autoscaler_min_replicas(cx.objects[a])
                }
                None => replicas(workload),
            };
            match count {
                Some(n) => total += n,
                None => known = false,
            }
        }
        let Some((a, w)) = autoscaler else { continue };
        if !known || total == 0 || min.of(total) < total {
            continue;
        }
        cx.report(
            i,
            path,
            format!(
                "Lower `minAvailable` below the {total} pod(s) left when `{}` scales `{}` \
                 to its minimum: no pod could be evicted then",
                kind_name(cx.objects[a]),
                kind_name(cx.objects[w]),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'nginx:1.27'}]\n";

    fn autoscaler(min: &str) -> String {
        format!(
            "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: web-hpa, namespace: shop}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  {min}\n  maxReplicas: 10\n"
        )
    }

    fn budget(ns: &str, min: &str) -> String {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  minAvailable: {min}\n  selector: {{matchLabels: {{app: web}}}}\n"
        )
    }

    #[test]
    fn flags_budgets_at_or_above_the_autoscaler_minimum() {
        let v = run_set(
            &DISRUPTION_BUDGET_BLOCKS_AUTOSCALER_MINIMUM,
            &format!(
                "{DEPLOYMENT}{}{}",
                autoscaler("minReplicas: 2"),
                budget("shop", "2")
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].1.path.to_string(), "spec.minAvailable");
        assert!(
            v[0].1.message.contains("`HorizontalPodAutoscaler/web-hpa`"),
            "{}",
            v[0].1.message
        );
        // `minReplicas` defaults to 1.
        let v = run_set(
            &DISRUPTION_BUDGET_BLOCKS_AUTOSCALER_MINIMUM,
            &format!(
                "{DEPLOYMENT}{}{}",
                autoscaler("behavior: {}"),
                budget("shop", "'60%'")
            ),
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn passes_budgets_below_the_minimum() {
        let v = run_set(
            &DISRUPTION_BUDGET_BLOCKS_AUTOSCALER_MINIMUM,
            &format!(
                "{DEPLOYMENT}{}{}",
                autoscaler("minReplicas: 3"),
                budget("shop", "2")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_without_an_autoscaler_or_the_workload() {
        let v = run_set(
            &DISRUPTION_BUDGET_BLOCKS_AUTOSCALER_MINIMUM,
            &format!("{DEPLOYMENT}{}", budget("shop", "5")),
        );
        assert!(v.is_empty(), "{v:?}");
        let v = run_set(
            &DISRUPTION_BUDGET_BLOCKS_AUTOSCALER_MINIMUM,
            &format!(
                "{DEPLOYMENT}{}{}",
                autoscaler("minReplicas: 2"),
                budget("other", "2")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
