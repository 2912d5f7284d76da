use palisade_load::{FieldPath, Node};
use palisade_model::Object;

use crate::declare_rule;
use crate::rule::{Applies, SetCx};
use crate::wiring::WorkloadIndex;
use crate::wiring::index::{is_apps_kind, kind_name, namespace, replicas, service_selector};

/// The annotation on a canary Deployment that states its intended share of traffic.
const WEIGHT: &str = "palisade.dev/canary-weight";

/// Template labels whose values tell a canary from its stable Deployment.
const TRACK_LABELS: &[&str] = &["version", "track"];

declare_rule! {
    /// ## What it checks
    /// A canary Deployment that states its intended share of traffic, in percent, with the
    /// annotation `palisade.dev/canary-weight: "10"`, runs the number of replicas closest
    /// to that share. The share is counted against its stable counterparts: the other
    /// Deployments of the namespace selected by the same core `v1` Service whose pod
    /// templates carry a different `version` or `track` label. A Service spreads
    /// connections evenly over pods, so the replica ratio is the traffic split.
    ///
    /// Without the annotation the rule says nothing: two versions side by side may be a
    /// rollout in progress rather than a canary. It also says nothing when no Service in
    /// the files selects the canary together with a stable Deployment, or when an
    /// autoscaler in the files sets either count. A weight that is not a number from 0 to
    /// 100 is reported.
    ///
    /// ## Why it matters
    /// A canary that takes far more traffic than intended exposes more users to the new
    /// version than the release plan allows, and one that takes far less may never see
    /// enough requests to judge it. With plain Services the split is set only by replica
    /// counts, which are easy to change on one Deployment and forget on the other.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web-canary
    ///   annotations: {palisade.dev/canary-weight: "10"}
    /// spec:
    ///   replicas: 1
    ///   selector: {matchLabels: {app: web, track: canary}}
    ///   template:
    ///     metadata: {labels: {app: web, track: canary}}
    ///     spec:
    ///       containers: [{name: web, image: "registry.example.com/web:1.5.0"}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: web, track: stable}}
    ///   template:
    ///     metadata: {labels: {app: web, track: stable}}
    ///     spec:
    ///       containers: [{name: web, image: "registry.example.com/web:1.4.2"}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web}
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{port: 80, targetPort: 8080}]
    /// ```
    ///
    /// ## Fix
    /// Scale the pair to the intended split (here 1 canary pod to 9 stable ones), or route
    /// by weight with a Gateway API `HTTPRoute` or a service mesh instead of replica counts:
    /// ```yaml
    /// metadata: {name: web}
    /// spec:
    ///   replicas: 9
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/workloads/management/#canary-deployments
    /// - https://gateway-api.sigs.k8s.io/guides/traffic-splitting/
    pub static CANARY_REPLICA_SPLIT = {
        id: "ROL004",
        name: "canary-replica-split",
        category: Rollout,
        severity: Low,
        default_enabled: true,
        applies: Applies::Kinds(&["Deployment"]),
        pss_level: None,
        summary: "Canary Deployments should run the replica share their weight annotation states",
        set_check: check,
    }
}

fn check(cx: &mut SetCx<'_>) {
    let index = cx.shared(WorkloadIndex::build);
    for (i, obj) in cx.objects.iter().enumerate() {
        if !is_apps_kind(obj, &["Deployment"]) {
            continue;
        }
        let weight_path = FieldPath::parse_dotted("metadata.annotations").key(WEIGHT);
        let Some(weight) = obj.node(&weight_path).and_then(Node::scalar_text) else {
            continue;
        };
        let Some(weight) = weight
            .trim()
            .trim_end_matches('%')
            .parse::<f64>()
            .ok()
            .filter(|w| (0.0..=100.0).contains(w))
        else {
            cx.report(
                i,
                weight_path,
                format!("Write the canary's share of traffic as a percentage from 0 to 100, not `{weight}`"),
            );
            continue;
        };
        let Some(labels) = obj.pod_labels() else {
            continue;
        };

        // The first Service that selects the canary together with a stable Deployment.
        let ns = namespace(obj);
        let mut pair = None;
        for &s in index.services(ns) {
            let Some(selector) = service_selector(cx.objects[s]) else {
                continue;
            };
            if selector.matches(&labels) != Some(true) {
                continue;
            }
            let stable: Vec<usize> = index
                .selected(ns, &selector)
                .unwrap_or_default()
                .into_iter()
                .map(|w| w.object)
                .filter(|&w| w != i && is_stable_of(cx.objects[w], obj))
                .collect();
            if !stable.is_empty() {
                pair = Some((s, stable));
                break;
            }
        }
        let Some((service, stable)) = pair else {
            continue;
        };

        let Some(canary) = fixed_count(&index, obj) else {
            continue;
        };
        let mut others = 0;
        let mut known = true;
        for &w in &stable {
            match fixed_count(&index, cx.objects[w]) {
                Some(n) => others += n,
                None => known = false,
            }
        }
        let total = canary + others;
        if !known || total == 0 {
            continue;
        }
        let intended = (weight * total as f64 / 100.0).round() as i64;
        if canary == intended {
            continue;
        }
        let share = canary as f64 * 100.0 / total as f64;
        cx.report(
            i,
            FieldPath::parse_dotted("spec.replicas"),
            format!(
                "Scale the canary to its {weight}% weight: it runs {canary} of the {total} pods \
                 behind `{}` ({share:.0}%), beside `{}`",
                kind_name(cx.objects[service]),
                kind_name(cx.objects[stable[0]]),
            ),
        );
    }
}

/// Whether `other` is a Deployment whose pods differ from the canary's in a track label.
fn is_stable_of(other: &Object, canary: &Object) -> bool {
    if !is_apps_kind(other, &["Deployment"]) || other.annotation(WEIGHT).is_some() {
        return false;
    }
    let (Some(a), Some(b)) = (other.pod_labels(), canary.pod_labels()) else {
        return false;
    };
    TRACK_LABELS.iter().any(|k| a.get(k) != b.get(k))
}

/// The replica count of a Deployment that no autoscaler in the files scales.
fn fixed_count(index: &WorkloadIndex, obj: &Object) -> Option<i64> {
    if index.autoscaler_for(obj).is_some() {
        return None;
    }
    replicas(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    fn deployment(name: &str, track: &str, replicas: u32, annotations: &str) -> String {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop, annotations: {{{annotations}}}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: web, track: {track}}}}}\n  template:\n    metadata: {{labels: {{app: web, track: {track}}}}}\n    spec:\n      containers: [{{name: web, image: 'nginx:1.27'}}]\n"
        )
    }

    fn service(ns: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: 80}}]\n"
        )
    }

    fn pair(stable: u32, canary: u32, weight: &str) -> String {
        deployment("web", "stable", stable, "")
            + &deployment(
                "web-canary",
                "canary",
                canary,
                &format!("{WEIGHT}: '{weight}'"),
            )
    }

    #[test]
    fn flags_a_split_away_from_the_weight() {
        let v = run_set(
            &CANARY_REPLICA_SPLIT,
            &(pair(3, 1, "10") + &service("shop")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "Deployment/web-canary");
        assert_eq!(v[0].1.path.to_string(), "spec.replicas");
        assert!(
            v[0].1.message.contains("`Service/web`"),
            "{}",
            v[0].1.message
        );
        assert!(
            v[0].1.message.contains("`Deployment/web`"),
            "{}",
            v[0].1.message
        );

        let v = run_set(
            &CANARY_REPLICA_SPLIT,
            &(pair(9, 1, "ten") + &service("shop")),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].1.path.to_string().starts_with("metadata.annotations"),
            "{v:?}"
        );
    }

    #[test]
    fn passes_a_split_that_matches_the_weight() {
        for (stable, canary, weight) in [(9, 1, "10"), (18, 2, "10"), (1, 1, "50")] {
            let v = run_set(
                &CANARY_REPLICA_SPLIT,
                &(pair(stable, canary, weight) + &service("shop")),
            );
            assert!(v.is_empty(), "{stable}/{canary}/{weight}: {v:?}");
        }
    }

    #[test]
    fn says_nothing_without_the_annotation_or_a_shared_service() {
        let plain = deployment("web", "stable", 3, "") + &deployment("web-canary", "canary", 1, "");
        assert!(run_set(&CANARY_REPLICA_SPLIT, &(plain + &service("shop"))).is_empty());
        assert!(
            run_set(
                &CANARY_REPLICA_SPLIT,
                &(pair(3, 1, "10") + &service("other"))
            )
            .is_empty()
        );
    }
}
