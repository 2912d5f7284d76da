use palisade_load::FieldPath;

use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// A core `v1` Service of `spec.type: LoadBalancer` says who may reach it, in one of
    /// two ways:
    ///
    /// - `spec.loadBalancerSourceRanges` (or the older annotation
    ///   `service.beta.kubernetes.io/load-balancer-source-ranges`) lists the networks
    ///   allowed in, and none of them is `0.0.0.0/0` or `::/0`;
    /// - or a well-known annotation asks the cloud for an internal load balancer:
    ///   `service.beta.kubernetes.io/aws-load-balancer-internal` set to anything but
    ///   `"false"` (as the AWS cloud provider reads it),
    ///   `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`,
    ///   `networking.gke.io/load-balancer-type: Internal` (or the older
    ///   `cloud.google.com/load-balancer-type`), or
    ///   `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`.
    ///
    /// The finding points at `spec.type`, or at the open range when one is listed. Load
    /// balancers meant for the whole internet (a public website) are correct to be open:
    /// suppress the rule for them with that reason, which documents the decision.
    ///
    /// ## Why it matters
    /// On most clouds a LoadBalancer Service gets a public address by default, and with no
    /// source ranges anyone on the internet can connect. Services turned into load
    /// balancers for convenience (a database, an admin UI, a metrics endpoint) become
    /// internet-facing without anyone deciding they should be.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: admin}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: admin}
    ///   ports: [{port: 443, targetPort: 8443}]
    /// ```
    ///
    /// ## Fix
    /// Allow only the networks that need it, or ask for an internal load balancer:
    /// ```yaml
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges: ["203.0.113.0/24"]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer
    /// - https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/
    pub static SERVICE_LOAD_BALANCER = {
        id: "NET002",
        name: "service-load-balancer",
        category: Network,
        severity: Low,
        default_enabled: true,
        applies: Applies::Kinds(&["Service"]),
        pss_level: None,
        summary: "LoadBalancer Services should restrict who can reach them",
        check: check,
    }
}

const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// Annotations that ask for a load balancer on a private network, with the value that does.
const INTERNAL_ANNOTATIONS: &[(&str, &str)] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    ("networking.gke.io/load-balancer-type", "Internal"),
    ("cloud.google.com/load-balancer-type", "Internal"),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
];

/// The AWS cloud provider reads any value but `false` as a request for an internal one.
const AWS_INTERNAL_ANNOTATION: &str = "service.beta.kubernetes.io/aws-load-balancer-internal";

fn check(cx: &mut Cx<'_>) {
    if !cx.obj.id.group().is_empty() {
        return;
    }
    let type_path = FieldPath::parse_dotted("spec.type");
    if cx.obj.node(&type_path).and_then(|n| n.as_str()) != Some("LoadBalancer") {
        return;
    }
    let internal = INTERNAL_ANNOTATIONS.iter().any(|(key, on)| {
        cx.obj
            .annotation(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(on))
    }) || cx
        .obj
        .annotation(AWS_INTERNAL_ANNOTATION)
        .is_some_and(|v| !v.trim().is_empty() && v.trim() != "false");
    if internal {
        return;
    }

    // The field wins over the annotation when both are set, as in Kubernetes.
    let field = FieldPath::parse_dotted("spec.loadBalancerSourceRanges");
    let ranges: Vec<(FieldPath, String)> = match cx.obj.node(&field) {
        Some(list) if !list.items().is_empty() => list
            .items()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_str().map(|s| (field.index(i), s.trim().to_string())))
            .collect(),
        _ => cx
            .obj
            .annotation(SOURCE_RANGES_ANNOTATION)
            .map(|text| {
                let at =
                    FieldPath::parse_dotted("metadata.annotations").key(SOURCE_RANGES_ANNOTATION);
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| (at.clone(), s.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    };

    if ranges.is_empty() {
        cx.report(
            type_path,
            "LoadBalancer Service has no `loadBalancerSourceRanges`, so anyone who can reach it may connect",
        );
    } else if let Some((path, range)) = ranges
        .into_iter()
        .find(|(_, r)| matches!(r.as_str(), "0.0.0.0/0" | "::/0"))
    {
        cx.report(
            path,
            format!("LoadBalancer Service allows every address (`{range}`)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_open_load_balancers() {
        let v = run(
            &SERVICE_LOAD_BALANCER,
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  type: LoadBalancer\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/8, 0.0.0.0/0]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: c\n  annotations:\n    service.beta.kubernetes.io/aws-load-balancer-internal: 'false'\nspec:\n  type: LoadBalancer\n",
        );
        assert_eq!(
            paths(&v),
            ["spec.type", "spec.loadBalancerSourceRanges[1]", "spec.type"]
        );
        assert_eq!(
            v[1].message,
            "LoadBalancer Service allows every address (`0.0.0.0/0`)"
        );
    }

    #[test]
    fn passes_restricted_and_internal_load_balancers() {
        let v = run(
            &SERVICE_LOAD_BALANCER,
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [203.0.113.0/24]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  annotations: {networking.gke.io/load-balancer-type: Internal}\nspec: {type: LoadBalancer}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: c\n  annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: '10.0.0.0/8, 192.168.0.0/16'}\nspec: {type: LoadBalancer}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: d\n  annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: 0.0.0.0/0}\nspec: {type: LoadBalancer}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: e}\nspec: {type: ClusterIP}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
