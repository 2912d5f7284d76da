use palisade_load::FieldPath;
use palisade_model::Labels;

use super::model::{NetpolModel, matches_partly};
use super::policy::{Peer, PortRef, Rule};
use super::{Direction, Endpoint, Policy, Protocol, Tri, object_name, shared_model};
use crate::declare_rule;
use crate::rule::{Applies, SetCx};

declare_rule! {
    /// ## What it checks
    /// Pods whose egress NetworkPolicies isolate, and which may still open some connection,
    /// can also reach DNS: at least one egress rule of a policy selecting them allows UDP or
    /// TCP port 53 to something that could be the cluster's DNS server. Pods whose policies
    /// allow no egress at all are left alone: they open no connection, by name or otherwise,
    /// and that is a choice the policies state plainly.
    ///
    /// What could be the DNS server: the pods of the files that look like DNS servers
    /// (`k8s-app: kube-dns`, CoreDNS, node-local DNS), on their container ports; as far as
    /// the files tell, `kube-system` pods labelled `k8s-app: kube-dns` on port 53 and
    /// OpenShift's `openshift-dns` pods on port 5353 (the port behind the DNS Service,
    /// which is what policies see); and any `ipBlock`, on 53 or 5353 (a node-local cache or
    /// an upstream resolver may sit at any address). A named port may be the DNS port, and
    /// anything else the files leave unknown counts as allowing DNS too: the rule only fires
    /// when no rule can let DNS through.
    ///
    /// The finding points at the first policy that isolates the pods' egress (its
    /// `spec.egress`, or `spec.policyTypes` when it has no egress rule), once for all the
    /// workloads that share it. `hostNetwork` pods are not checked.
    ///
    /// ## Why it matters
    /// Almost every program resolves names before it connects. Once a policy isolates a
    /// pod's egress, everything not allowed is dropped, DNS queries included, and the pod
    /// fails with name-resolution timeouts that point nowhere near the policy. It is the
    /// most common mistake when adding egress policies. On by default at medium severity:
    /// it breaks the workload rather than exposing it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: api-egress, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: api}}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{podSelector: {matchLabels: {app: db}}}]
    ///     ports: [{port: 5432}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: "shop-api:3.1"}]
    /// ```
    ///
    /// ## Fix
    /// Add a rule for DNS to the policy (or to another egress policy selecting the pods):
    /// ```yaml
    ///   egress:
    ///   - to:
    ///     - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
    ///       podSelector: {matchLabels: {k8s-app: kube-dns}}
    ///     ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic
    /// - https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
    pub static POLICY_BLOCKS_DNS = {
        id: "NPL005",
        name: "network-policy-blocks-dns",
        category: Network,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["NetworkPolicy"]),
        pss_level: None,
        summary: "Egress NetworkPolicies must leave the selected pods a way to DNS",
        set_check: check,
    }
}

/// DNS servers that clusters run without the files showing them: namespace, the one label
/// their pods are known to carry, and the port they listen on (OpenShift's DNS pods listen on
/// 5353 behind the Service's 53; policies see the pod's port).
const CLUSTER_DNS: &[(&str, &str, &str, u16)] = &[
    ("kube-system", "k8s-app", "kube-dns", 53),
    (
        "openshift-dns",
        "dns.operator.openshift.io/daemonset-dns",
        "default",
        5353,
    ),
];

/// Ports a DNS server at an unknown address may listen on.
const DNS_PORTS: &[u16] = &[53, 5353];

/// Label values that mark a pod of the files as a DNS server.
const DNS_NAMES: &[&str] = &["kube-dns", "coredns", "node-local-dns"];

fn check(cx: &mut SetCx<'_>) {
    let model = shared_model(cx);
    let dns_pods: Vec<usize> = (0..model.pods.len())
        .filter(|&p| looks_like_dns(&model, p))
        .collect();
    let mut reaches = vec![None::<bool>; model.policies.len()];
    let mut can_reach = |p: usize| {
        *reaches[p].get_or_insert_with(|| {
            model.policies[p]
                .egress
                .iter()
                .flatten()
                .any(|rule| rule_may_allow_dns(&model, &model.policies[p], rule, &dns_pods))
        })
    };

    // Policy → the workloads it leaves without DNS, in file order.
    let mut blocked: Vec<(usize, Vec<usize>)> = Vec::new();
    for (w, workload) in model.workloads.iter().enumerate() {
        let culprit = workload.pods.iter().find_map(|&pod| {
            if model.pods[pod].host_network || model.isolated(pod, Direction::Egress) != Tri::Yes {
                return None;
            }
            let isolating = model.isolating(pod, Direction::Egress);
            let opens_some = isolating.iter().any(|&(p, _)| {
                model.policies[p]
                    .egress
                    .as_ref()
                    .is_some_and(|r| !r.is_empty())
            });
            if !opens_some || isolating.iter().any(|&(p, _)| can_reach(p)) {
                return None;
            }
            isolating
                .iter()
                .filter(|(_, sure)| *sure == Tri::Yes)
                .map(|&(p, _)| p)
                .min_by_key(|&p| model.policies[p].object)
        });
        let Some(policy) = culprit else { continue };
        match blocked.iter_mut().find(|(p, _)| *p == policy) {
            Some((_, workloads)) => workloads.push(w),
            None => blocked.push((policy, vec![w])),
        }
    }

    for (p, workloads) in blocked {
        let policy = &model.policies[p];
        let has_rules = cx.objects[policy.object]
            .node(&FieldPath::parse_dotted("spec.egress"))
            .is_some_and(|n| !n.items().is_empty());
        let path = FieldPath::parse_dotted(if has_rules {
            "spec.egress"
        } else {
            "spec.policyTypes"
        });
        let first = object_name(cx, model.workload_object(workloads[0]));
        let others = match workloads.len() {
            1 => String::new(),
            n => format!(" and {} other workload(s)", n - 1),
        };
        cx.report(
            policy.object,
            path,
            format!(
                "Allow DNS: this policy isolates the egress of `{first}`{others}, and no egress \
                 rule selecting them allows UDP or TCP port 53 to a DNS server, so they cannot \
                 resolve names"
            ),
        );
    }
}

/// Whether a pod of the files looks like a DNS server, by its labels or its workload's name.
fn looks_like_dns(model: &NetpolModel, pod: usize) -> bool {
    let p = &model.pods[pod];
    let by_label = ["k8s-app", "app", "app.kubernetes.io/name"]
        .iter()
        .any(|key| p.labels.get(key).is_some_and(|v| DNS_NAMES.contains(&v)));
    by_label || model.workloads[p.workload].name.contains("dns")
}

/// Whether `rule` may let a pod reach a DNS server: one of the files, the cluster's own, or
/// one at an address an `ipBlock` covers.
fn rule_may_allow_dns(
    model: &NetpolModel,
    policy: &Policy,
    rule: &Rule,
    dns_pods: &[usize],
) -> bool {
    let in_files = dns_pods.iter().any(|&p| {
        if model.rule_matches(policy, rule, Endpoint::Pod(p)) == Tri::No {
            return false;
        }
        let allowed = model.rule_ports(rule, Endpoint::Pod(p)).possible;
        let pod = &model.pods[p];
        let mut ports: Vec<(Protocol, u16)> = pod
            .ports
            .iter()
            .filter_map(|c| Some((c.protocol?, c.port)))
            .filter(|(protocol, _)| *protocol != Protocol::Sctp)
            .collect();
        if ports.is_empty() {
            ports = vec![(Protocol::Udp, 53), (Protocol::Tcp, 53)];
        }
        ports
            .iter()
            .any(|&(protocol, port)| allowed.allows(protocol, port))
    });
    if in_files {
        return true;
    }
    let Some(peers) = &rule.peers else {
        return DNS_PORTS.iter().any(|&port| ports_may_include(rule, port));
    };
    peers.iter().any(|peer| match peer {
        Peer::Block(_) | Peer::Invalid => {
            DNS_PORTS.iter().any(|&port| ports_may_include(rule, port))
        }
        Peer::Pods { namespaces, pods } => CLUSTER_DNS.iter().any(|&(ns, key, value, port)| {
            let in_namespace = match namespaces {
                None if policy.namespace.is_empty() => Tri::Maybe,
                None => Tri::from(policy.namespace == ns),
                Some(selector) => model.namespace_matches(selector, ns),
            };
            let labels = Labels::from_pairs([(key, value)]);
            let labelled = pods
                .as_ref()
                .map_or(Tri::Yes, |s| matches_partly(s, &labels, |k| k == key));
            in_namespace.and(labelled) != Tri::No && ports_may_include(rule, port)
        }),
    })
}

/// Whether a rule's `ports` may include `port` over UDP or TCP on a pod whose container
/// ports the files do not give (a named port may be it).
fn ports_may_include(rule: &Rule, port: u16) -> bool {
    rule.ports.as_ref().is_none_or(|ports| {
        ports.iter().any(|entry| match entry.protocol {
            None => true,
            Some(Protocol::Sctp) => false,
            Some(_) => match &entry.port {
                PortRef::Any | PortRef::Named(_) | PortRef::Invalid => true,
                PortRef::Range(a, b) => (*a..=*b).contains(&port),
            },
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_set;

    const API: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: 'shop-api:3.1'}]\n";

    fn policy(name: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n{spec}"
        )
    }

    fn egress(rules: &str) -> String {
        policy(
            "api-egress",
            &format!(
                "  podSelector: {{matchLabels: {{app: api}}}}\n  policyTypes: [Egress]\n  egress:\n{rules}"
            ),
        )
    }

    const DB_ONLY: &str =
        "  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 5432}]\n";
    const KUBE_DNS: &str = "  - to:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n      podSelector: {matchLabels: {k8s-app: kube-dns}}\n    ports: [{port: 53, protocol: UDP}]\n";

    #[test]
    fn flags_egress_rules_without_dns_at_the_egress_list() {
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{}", egress(DB_ONLY)));
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "NetworkPolicy/api-egress");
        assert_eq!(v[0].1.path.to_string(), "spec.egress");
        assert!(
            v[0].1.message.contains("`Deployment/api`"),
            "{}",
            v[0].1.message
        );
    }

    #[test]
    fn flags_a_default_deny_egress_at_its_policy_types() {
        let deny = policy("deny", "  podSelector: {}\n  policyTypes: [Egress]\n");
        let v = run_set(
            &POLICY_BLOCKS_DNS,
            &format!("{API}{deny}{}", egress(DB_ONLY)),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "NetworkPolicy/deny");
        assert_eq!(v[0].1.path.to_string(), "spec.policyTypes");
    }

    #[test]
    fn pods_that_may_open_no_connection_at_all_are_not_flagged() {
        let deny = policy("deny", "  podSelector: {}\n  policyTypes: [Egress]\n");
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{deny}"));
        assert!(v.is_empty(), "{v:?}");
        let empty = policy(
            "none",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress: []\n",
        );
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{empty}"));
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn passes_when_a_rule_allows_dns_to_kube_dns() {
        let v = run_set(
            &POLICY_BLOCKS_DNS,
            &format!("{API}{}", egress(&format!("{DB_ONLY}{KUBE_DNS}"))),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn another_policy_selecting_the_pods_may_allow_dns() {
        let deny = policy("deny", "  podSelector: {}\n  policyTypes: [Egress]\n");
        let dns = policy(
            "dns",
            &format!("  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n{KUBE_DNS}"),
        );
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{deny}{dns}"));
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn port_53_to_pods_that_cannot_be_dns_does_not_count() {
        let own_pods = "  - to: [{podSelector: {matchLabels: {app: cache}}}]\n    ports: [{port: 53, protocol: UDP}]\n";
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{}", egress(own_pods)));
        assert_eq!(v.len(), 1, "{v:?}");
        let wrong_namespace = KUBE_DNS.replace("kube-system", "monitoring");
        let v = run_set(
            &POLICY_BLOCKS_DNS,
            &format!("{API}{}", egress(&wrong_namespace)),
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn anything_that_may_reach_dns_keeps_it_silent() {
        for rules in [
            // Any address: a resolver may be anywhere.
            "  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n    ports: [{port: 53, protocol: UDP}]\n",
            // Every port to every destination.
            "  - {}\n",
            // Port 53 anywhere.
            "  - ports: [{port: 53, protocol: TCP}]\n",
            // A range that covers 53.
            "  - ports: [{port: 1, endPort: 1024, protocol: UDP}]\n",
            // A named port may be the DNS port.
            "  - to: [{namespaceSelector: {}}]\n    ports: [{port: dns, protocol: UDP}]\n",
            // OpenShift's DNS pods listen on 5353.
            "  - to: [{namespaceSelector: {}}]\n    ports: [{port: 5353, protocol: UDP}]\n",
            // Namespace labels the files do not give.
            "  - to: [{namespaceSelector: {matchLabels: {role: infra}}}]\n    ports: [{port: 53, protocol: UDP}]\n",
        ] {
            let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{}", egress(rules)));
            assert!(v.is_empty(), "{rules}: {v:?}");
        }
    }

    #[test]
    fn port_5353_is_not_kube_dns() {
        let rule = KUBE_DNS.replace("port: 53,", "port: 5353,");
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{}", egress(&rule)));
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn dns_pods_in_the_files_count_as_dns_servers() {
        let coredns = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: resolver, namespace: infra}\nspec:\n  selector: {matchLabels: {app: coredns}}\n  template:\n    metadata: {labels: {app: coredns}}\n    spec:\n      containers: [{name: c, image: 'coredns:1.11'}]\n";
        let rule = "  - to:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: infra}}\n      podSelector: {matchLabels: {app: coredns}}\n    ports: [{port: 53, protocol: UDP}]\n";
        let v = run_set(
            &POLICY_BLOCKS_DNS,
            &format!("{API}{coredns}{}", egress(rule)),
        );
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn pods_that_are_not_egress_isolated_are_not_checked() {
        let ingress_only = policy("api", "  podSelector: {matchLabels: {app: api}}\n");
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}{ingress_only}"));
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn one_finding_per_policy_for_all_the_workloads_it_cuts_off() {
        let worker = API
            .replace("name: api,", "name: worker,")
            .replace("app: api", "app: worker");
        let deny = policy(
            "deny",
            &format!("  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n{DB_ONLY}"),
        );
        let v = run_set(&POLICY_BLOCKS_DNS, &format!("{API}---\n{worker}{deny}"));
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].1.message.contains("and 1 other workload"),
            "{}",
            v[0].1.message
        );
    }
}
