use palisade_load::FieldPath;

use super::WorkloadIndex;
use super::index::{PodCount, disruption_budget_selector, kind_name, namespace, replicas};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// No PodDisruptionBudget forbids every voluntary eviction:
    ///
    /// - `spec.maxUnavailable` is `0` or `"0%"`, or
    /// - `spec.minAvailable` is `100%`, or
    /// - `spec.minAvailable` is at or above the number of pods the budget covers: the sum
    ///   of `spec.replicas` (1 when absent) of the workloads it selects in the scanned
    ///   files. A percentage is rounded up, as the disruption controller rounds it.
    ///
    /// The replica comparison is made only when the files tell the whole count: at least
    /// one workload is selected, each has a fixed count (a Deployment, ReplicaSet,
    /// StatefulSet, ReplicationController or Pod — not a DaemonSet or a Job), and no
    /// HorizontalPodAutoscaler scales any of them (`disruption-budget-blocks-autoscaler-minimum`,
    /// SVC008, judges those). Objects with `ownerReferences` (the ReplicaSets and Pods of a
    /// cluster dump) are counted through their owner, not twice.
    ///
    /// ## Why it matters
    /// A budget that allows no disruption makes every node drain hang: `kubectl drain`,
    /// cluster autoscaler scale-downs and managed node upgrades wait on the eviction
    /// forever, or time out and force it, which is the outage the budget was meant to
    /// prevent.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: web}
    /// spec:
    ///   minAvailable: 3
    ///   selector: {matchLabels: {app: web}}
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
    /// Allow at least one pod to go at a time:
    /// ```yaml
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: web}}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/run-application/configure-pdb/#think-about-how-your-application-reacts-to-disruptions
    /// - https://kubernetes.io/docs/concepts/workloads/pods/disruptions/#pod-disruption-budgets
    pub static DISRUPTION_BUDGET_BLOCKS_EVICTION = {
        id: "SVC007",
        name: "disruption-budget-blocks-eviction",
        category: Reliability,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["PodDisruptionBudget"]),
        pss_level: None,
        summary: "PodDisruptionBudgets must allow at least one eviction",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        let Some(selector) = disruption_budget_selector(obj) else {
            continue;
        };
        let selected: Vec<usize> = index
            .selected(namespace(obj), &selector)
            .unwrap_or_default()
            .into_iter()
            .filter(|w| !w.controlled)
            .map(|w| w.object)
            .collect();
        let pods = match selected.first() {
            Some(&w) => format!("the pods of `{}`", kind_name(cx.objects[w])),
            None => "the pods it selects".to_string(),
        };

        let max_path = FieldPath::parse_dotted("spec.maxUnavailable");
        let max = obj.node(&max_path).and_then(PodCount::read);
        if max.is_some_and(PodCount::is_zero) {
            cx.report(
                i,
                max_path,
                format!("Allow at least one disruption: `maxUnavailable: 0` forbids every eviction of {pods}"),
            );
            continue;
        }

        let min_path = FieldPath::parse_dotted("spec.minAvailable");
        let Some(min) = obj.node(&min_path).and_then(PodCount::read) else {
            continue;
        };
        if matches!(min, PodCount::Percent(p) if p >= 100.0) {
            cx.report(
                i,
                min_path,
                format!("Allow at least one disruption: `minAvailable: 100%` forbids every eviction of {pods}"),
            );
            continue;
        }
        if selected.is_empty() {
            continue;
        }
        let mut total = 0;
        let mut known = true;
        for &w in &selected {
            let workload = cx.objects[w];
            match replicas(workload) {
                Some(n) if index.autoscaler_for(workload).is_none() => total += n,
                _ => known = false,
            }
        }
        if !known || total == 0 || min.of(total) < total {
            continue;
        }
        cx.report(
            i,
            min_path,
            format!(
                "Lower `minAvailable` below the {total} replica(s) it covers: it forbids every \
                 eviction of {pods}"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    fn deployment(replicas: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\nspec:\n  {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: 'nginx:1.27'}}]\n"
        )
    }

    fn budget(ns: &str, field: &str) -> String {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  {field}\n  selector: {{matchLabels: {{app: web}}}}\n"
        )
    }

    fn paths(yaml: &str) -> Vec<String> {
        run_set(&DISRUPTION_BUDGET_BLOCKS_EVICTION, yaml)
            .into_iter()
            .map(|(_, v)| v.path.to_string())
            .collect()
    }

    #[test]
    fn flags_budgets_that_allow_no_eviction() {
        let d = deployment("replicas: 3");
        for field in ["maxUnavailable: 0", "maxUnavailable: '0%'"] {
            assert_eq!(
                paths(&format!("{d}{}", budget("shop", field))),
                ["spec.maxUnavailable"]
            );
        }
        for field in [
            "minAvailable: 3",
            "minAvailable: 4",
            "minAvailable: 100%",
            "minAvailable: '90%'",
        ] {
            assert_eq!(
                paths(&format!("{d}{}", budget("shop", field))),
                ["spec.minAvailable"],
                "{field}"
            );
        }
        // One replica when `replicas` is absent.
        let one = deployment("minReadySeconds: 5");
        assert_eq!(
            paths(&format!("{one}{}", budget("shop", "minAvailable: 1"))),
            ["spec.minAvailable"]
        );
        let v = run_set(
            &DISRUPTION_BUDGET_BLOCKS_EVICTION,
            &format!("{d}{}", budget("shop", "minAvailable: 3")),
        );
        assert!(
            v[0].1.message.contains("`Deployment/web`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn passes_budgets_that_leave_room() {
        let d = deployment("replicas: 3");
        for field in [
            "maxUnavailable: 1",
            "minAvailable: 2",
            "minAvailable: '50%'",
        ] {
            assert!(
                paths(&format!("{d}{}", budget("shop", field))).is_empty(),
                "{field}"
            );
        }
    }

    #[test]
    fn says_nothing_when_the_files_cannot_tell_the_count() {
        let d = deployment("replicas: 3");
        // The workloads are elsewhere.
        assert!(paths(&format!("{d}{}", budget("other", "minAvailable: 3"))).is_empty());
        // An autoscaler sets the count.
        let hpa = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 5\n  maxReplicas: 9\n";
        assert!(paths(&format!("{d}{hpa}{}", budget("shop", "minAvailable: 3"))).is_empty());
        // A DaemonSet runs one pod per node.
        let ds = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'nginx:1.27'}]\n";
        assert!(paths(&format!("{ds}{}", budget("shop", "minAvailable: 1"))).is_empty());
    }
}
