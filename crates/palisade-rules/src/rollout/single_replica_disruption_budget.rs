use palisade_load::FieldPath;

use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;
use crate::wiring::index::{
    disruption_budget_selector, is_apps_kind, is_disruption_budget, kind_name, namespace, replicas,
};

declare_rule! {
    /// ## What it checks
    /// No Deployment that runs a single replica — `spec.replicas: 1`, or no `replicas` at
    /// all, which means 1 — has its pods selected by a PodDisruptionBudget in the same
    /// namespace among the scanned files.
    ///
    /// Deployments scaled by a HorizontalPodAutoscaler in the files are not judged: their
    /// count is the autoscaler's (`disruption-budget-blocks-autoscaler-minimum`, SVC008,
    /// compares it with the budget). A Deployment whose budget is not among the files is not
    /// reported.
    ///
    /// ## Why it matters
    /// With one pod, a disruption budget can only do one of two wrong things. If it demands
    /// that the pod stay (`minAvailable: 1`, `maxUnavailable: 0`), every node drain and
    /// cluster upgrade hangs on it; if it allows the eviction, the budget protects nothing
    /// and the service is down while the pod moves. Either way the budget hides that the
    /// workload is not highly available.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: web}
    /// spec:
    ///   minAvailable: 1
    ///   selector: {matchLabels: {app: web}}
    /// ```
    ///
    /// ## Fix
    /// Run at least two replicas so that one can move while the other serves, or drop the
    /// budget if the workload may be down during maintenance:
    /// ```yaml
    /// spec:
    ///   replicas: 2
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/run-application/configure-pdb/#think-about-how-your-application-reacts-to-disruptions
    /// - https://kubernetes.io/docs/concepts/workloads/pods/disruptions/
    pub static SINGLE_REPLICA_DISRUPTION_BUDGET = {
        id: "ROL003",
        name: "single-replica-disruption-budget",
        category: Rollout,
        severity: Low,
        default_enabled: true,
        applies: Applies::Kinds(&["Deployment"]),
        pss_level: None,
        summary: "Deployments guarded by a PodDisruptionBudget should run more than one replica",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        if !is_apps_kind(obj, &["Deployment"]) || replicas(obj) != Some(1) {
            continue;
        }
        if index.autoscaler_for(obj).is_some() {
            continue;
        }
        let Some(labels) = obj.pod_labels() else {
            continue;
        };
        let ns = namespace(obj);
        let budget = index
            .of_kind(ns, "PodDisruptionBudget")
            .iter()
            .copied()
            .filter(|&b| is_disruption_budget(cx.objects[b]))
            .find_map(|b| {
                let sel = disruption_budget_selector(cx.objects[b])?;
                (sel.matches(&labels) == Some(true)).then_some((b, sel))
            });
        let Some((b, selector)) = budget else {
            continue;
        };
        // A budget that also covers other pods (a canary's stable Deployment) is not about
        // this one replica.
        let covers_others = index
            .selected(ns, &selector)
            .is_some_and(|selected| selected.iter().any(|w| w.object != i));
        if covers_others {
            continue;
        }
        cx.report(
            i,
            FieldPath::parse_dotted("spec.replicas"),
            format!(
                "Run at least two replicas: with one, `{}` either blocks every drain or \
                 protects nothing",
                kind_name(cx.objects[b])
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

    fn budget(ns: &str) -> String {
        format!(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  minAvailable: 1\n  selector: {{matchLabels: {{app: web}}}}\n"
        )
    }

    #[test]
    fn flags_single_replicas_under_a_budget() {
        for replicas in ["replicas: 1", "minReadySeconds: 5"] {
            let v = run_set(
                &SINGLE_REPLICA_DISRUPTION_BUDGET,
                &format!("{}{}", deployment(replicas), budget("shop")),
            );
            assert_eq!(v.len(), 1, "{replicas}: {v:?}");
            assert_eq!(v[0].1.path.to_string(), "spec.replicas");
            assert!(
                v[0].1.message.contains("`PodDisruptionBudget/web`"),
                "{}",
                v[0].1.message
            );
        }
    }

    #[test]
    fn passes_several_replicas() {
        let v = run_set(
            &SINGLE_REPLICA_DISRUPTION_BUDGET,
            &format!("{}{}", deployment("replicas: 2"), budget("shop")),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn passes_a_canary_whose_budget_also_covers_the_stable_deployment() {
        let stable = deployment("replicas: 9").replace("name: web,", "name: web-stable,");
        let v = run_set(
            &SINGLE_REPLICA_DISRUPTION_BUDGET,
            &format!(
                "{}---\n{stable}{}",
                deployment("replicas: 1"),
                budget("shop")
            ),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn says_nothing_without_a_budget_in_the_files() {
        let v = run_set(
            &SINGLE_REPLICA_DISRUPTION_BUDGET,
            &format!("{}{}", deployment("replicas: 1"), budget("other")),
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
