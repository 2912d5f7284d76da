//! The model against hand-made object sets: one test per corner of NetworkPolicy semantics.

use palisade_load::{Limits, parse_str};
use palisade_model::{Object, PodKindTable, objects_from_document};

use super::ip::IpRange;
use super::model::{Assumptions, Endpoint, NetpolModel};
use super::policy::Direction;
use super::{Side, Tri};

fn objects(yaml: &str) -> Vec<Object> {
    let parsed = parse_str(yaml, &Limits::default());
    assert!(
        parsed.diagnostics.iter().all(|d| !d.kind.is_error()),
        "test YAML does not parse: {:?}",
        parsed.diagnostics
    );
    parsed
        .documents
        .into_iter()
        .flat_map(|d| objects_from_document(d, &PodKindTable::default()).objects)
        .collect()
}

fn model_with(yaml: &str, assume: &Assumptions) -> NetpolModel {
    let objects = objects(yaml);
    let refs: Vec<&Object> = objects.iter().collect();
    NetpolModel::from_objects(&refs, assume)
}

fn model(yaml: &str) -> NetpolModel {
    model_with(yaml, &Assumptions::default())
}

/// A Pod with labels (`app: web`) and container ports (`{name: http, containerPort: 80}`).
fn pod(ns: &str, name: &str, labels: &str, ports: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{{labels}}}}}\nspec:\n  containers: [{{name: c, image: 'nginx:1.27', ports: [{ports}]}}]\n"
    )
}

fn policy(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"
    )
}

fn namespace(name: &str, labels: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {{{labels}}}}}\n"
    )
}

fn endpoint(model: &NetpolModel, name: &str) -> Endpoint {
    if let Some(range) = IpRange::parse_cidr(name) {
        return Endpoint::External(range);
    }
    let w = (0..model.workloads.len())
        .find(|&w| model.side_name(Side::Workload(w)) == name)
        .unwrap_or_else(|| panic!("no workload `{name}` in {:?}", model.workloads));
    Endpoint::Pod(model.workloads[w].pods[0])
}

/// What is surely allowed from `from` to `to`, and what is unknown, as text.
fn conn(model: &NetpolModel, from: &str, to: &str) -> (String, String) {
    let b = model.bounds(endpoint(model, from), endpoint(model, to));
    (b.allowed.to_string(), b.unknown().to_string())
}

const ALL: &str = "All Connections";
const NONE: &str = "No Connections";

fn sure(text: &str) -> (String, String) {
    (text.to_string(), NONE.to_string())
}

#[test]
fn without_policies_everything_is_allowed() {
    let m = model(&format!(
        "{}{}",
        pod("a", "x", "app: x", ""),
        pod("b", "w", "app: w", "")
    ));
    assert_eq!(conn(&m, "a/x[Pod]", "b/w[Pod]"), sure(ALL));
    assert_eq!(conn(&m, "a/x[Pod]", "0.0.0.0/0"), sure(ALL));
}

#[test]
fn a_policy_without_egress_isolates_ingress_only() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("a", "w", "app: w", ""),
        policy("a", "deny", "  podSelector: {matchLabels: {app: x}}\n")
    );
    let m = model(&yaml);
    assert_eq!(m.isolated(0, Direction::Ingress), Tri::Yes);
    assert_eq!(m.isolated(0, Direction::Egress), Tri::No);
    assert_eq!(conn(&m, "a/w[Pod]", "a/x[Pod]"), sure(NONE));
    assert_eq!(conn(&m, "a/x[Pod]", "a/w[Pod]"), sure(ALL));
}

#[test]
fn egress_rules_make_a_policy_isolate_egress_too() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("a", "w", "app: w", ""),
        policy(
            "a",
            "out",
            "  podSelector: {matchLabels: {app: x}}\n  egress:\n  - ports: [{port: 443}]\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(m.isolated(0, Direction::Egress), Tri::Yes);
    assert_eq!(conn(&m, "a/x[Pod]", "a/w[Pod]"), sure("TCP 443"));
    // It isolates ingress as well, with no ingress rule.
    assert_eq!(conn(&m, "a/w[Pod]", "a/x[Pod]"), sure(NONE));
}

#[test]
fn a_connection_needs_both_egress_and_ingress() {
    let yaml = format!(
        "{}{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("a", "w", "app: w", ""),
        policy(
            "a",
            "x-out",
            "  podSelector: {matchLabels: {app: x}}\n  policyTypes: [Egress]\n  egress:\n  - ports: [{port: 80}, {port: 443}]\n"
        ),
        policy(
            "a",
            "y-in",
            "  podSelector: {matchLabels: {app: w}}\n  ingress:\n  - ports: [{port: 443}, {port: 8443}]\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(conn(&m, "a/x[Pod]", "a/w[Pod]"), sure("TCP 443"));
}

#[test]
fn an_empty_pod_selector_selects_every_pod_of_its_namespace_only() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("b", "w", "app: w", ""),
        policy("a", "deny-all", "  podSelector: {}\n")
    );
    let m = model(&yaml);
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure(NONE));
    assert_eq!(conn(&m, "a/x[Pod]", "b/w[Pod]"), sure(ALL));
}

#[test]
fn a_rule_without_peers_or_ports_allows_everything_and_an_empty_list_nothing() {
    let open = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("b", "w", "app: w", ""),
        policy("a", "open", "  podSelector: {}\n  ingress: [{}]\n")
    );
    let m = model(&open);
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure(ALL));
    assert_eq!(conn(&m, "0.0.0.0/0", "a/x[Pod]"), sure(ALL));

    let closed = open.replace("ingress: [{}]", "ingress: []");
    let m = model(&closed);
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure(NONE));

    let any_peer_some_ports = open.replace("ingress: [{}]", "ingress: [{ports: [{port: 80}]}]");
    let m = model(&any_peer_some_ports);
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure("TCP 80"));
    assert_eq!(conn(&m, "0.0.0.0/0", "a/x[Pod]"), sure("TCP 80"));
}

#[test]
fn pod_selector_alone_means_the_policy_namespace() {
    let yaml = format!(
        "{}{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("a", "friend", "role: client", ""),
        pod("b", "z", "role: client", ""),
        policy(
            "a",
            "clients",
            "  podSelector: {matchLabels: {app: x}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {role: client}}}]\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(conn(&m, "a/friend[Pod]", "a/x[Pod]"), sure(ALL));
    assert_eq!(conn(&m, "b/z[Pod]", "a/x[Pod]"), sure(NONE));
}

#[test]
fn namespace_and_pod_selectors_in_one_peer_both_must_match_and_two_peers_either() {
    let yaml = format!(
        "{}{}{}{}{}{}{}",
        namespace("b", "team: blue"),
        namespace("c", "team: green"),
        pod("a", "x", "app: x", ""),
        pod("b", "client", "role: client", ""),
        pod("b", "other", "role: other", ""),
        pod("c", "client", "role: client", ""),
        policy(
            "a",
            "and",
            "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: blue}}\n      podSelector: {matchLabels: {role: client}}\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(conn(&m, "b/client[Pod]", "a/x[Pod]"), sure(ALL));
    assert_eq!(conn(&m, "b/other[Pod]", "a/x[Pod]"), sure(NONE));
    assert_eq!(conn(&m, "c/client[Pod]", "a/x[Pod]"), sure(NONE));

    // The same selectors as two peers: either one lets a pod in.
    let or = yaml.replace(
        "      podSelector: {matchLabels: {role: client}}",
        "    - podSelector: {matchLabels: {role: client}}",
    );
    let m = model(&or);
    assert_eq!(conn(&m, "b/other[Pod]", "a/x[Pod]"), sure(ALL));
    assert_eq!(conn(&m, "c/client[Pod]", "a/x[Pod]"), sure(NONE));
    // Namespace `a` has no object: whether it carries `team: blue` is unknown.
    assert_eq!(conn(&m, "a/x[Pod]", "a/x[Pod]"), (NONE.into(), ALL.into()));
}

#[test]
fn an_empty_namespace_selector_means_every_namespace() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("elsewhere", "w", "app: w", ""),
        policy(
            "a",
            "cluster",
            "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}}]\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(conn(&m, "elsewhere/w[Pod]", "a/x[Pod]"), sure(ALL));
    // Pods, not addresses outside the cluster.
    assert_eq!(conn(&m, "0.0.0.0/0", "a/x[Pod]"), sure(NONE));
}

#[test]
fn a_namespace_without_an_object_is_known_only_by_its_name() {
    let spec = |selector: &str| {
        format!(
            "{}{}{}",
            pod("a", "x", "app: x", ""),
            pod("b", "w", "app: w", ""),
            policy(
                "a",
                "p",
                &format!(
                    "  podSelector: {{}}\n  ingress:\n  - from: [{{namespaceSelector: {selector}}}]\n"
                )
            )
        )
    };
    let by_name = model(&spec("{matchLabels: {kubernetes.io/metadata.name: b}}"));
    assert_eq!(conn(&by_name, "b/w[Pod]", "a/x[Pod]"), sure(ALL));
    let other_name = model(&spec("{matchLabels: {kubernetes.io/metadata.name: c}}"));
    assert_eq!(conn(&other_name, "b/w[Pod]", "a/x[Pod]"), sure(NONE));

    // Namespace `b` may or may not carry `team: blue`: unknown, never allowed or denied.
    let by_label = spec("{matchLabels: {team: blue}}");
    let m = model(&by_label);
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), (NONE.into(), ALL.into()));

    // With its Namespace object, the labels are known.
    let m = model(&format!("{by_label}{}", namespace("b", "team: blue")));
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure(ALL));
    let m = model(&format!("{by_label}{}", namespace("b", "team: red")));
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure(NONE));

    // Or when told to take the files as complete.
    let assume = Assumptions {
        namespaces_only_named: true,
        ..Assumptions::default()
    };
    let m = model_with(&by_label, &assume);
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure(NONE));

    // A requirement that fails on the name decides, whatever the other labels are.
    let m = model(&spec(
        "{matchLabels: {team: blue, kubernetes.io/metadata.name: c}}",
    ));
    assert_eq!(conn(&m, "b/w[Pod]", "a/x[Pod]"), sure(NONE));
}

#[test]
fn match_expressions_use_every_operator() {
    let spec = |expr: &str| {
        format!(
            "{}{}{}{}",
            pod("a", "x", "app: x", ""),
            pod("a", "prod", "env: prod, tier: web", ""),
            pod("a", "dev", "env: dev", ""),
            policy(
                "a",
                "p",
                &format!(
                    "  podSelector: {{matchLabels: {{app: x}}}}\n  ingress:\n  - from: [{{podSelector: {{matchExpressions: [{expr}]}}}}]\n"
                )
            )
        )
    };
    let cases = [
        (
            "{key: env, operator: In, values: [prod, staging]}",
            ALL,
            NONE,
        ),
        ("{key: env, operator: NotIn, values: [prod]}", NONE, ALL),
        ("{key: tier, operator: Exists}", ALL, NONE),
        ("{key: tier, operator: DoesNotExist}", NONE, ALL),
    ];
    for (expr, prod, dev) in cases {
        let m = model(&spec(expr));
        assert_eq!(conn(&m, "a/prod[Pod]", "a/x[Pod]"), sure(prod), "{expr}");
        assert_eq!(conn(&m, "a/dev[Pod]", "a/x[Pod]"), sure(dev), "{expr}");
    }
    // An operator the API does not know cannot be evaluated.
    let m = model(&spec("{key: env, operator: Gt, values: ['1']}"));
    assert_eq!(
        conn(&m, "a/dev[Pod]", "a/x[Pod]"),
        (NONE.into(), ALL.into())
    );
}

#[test]
fn ip_blocks_with_exceptions_split_the_outside_world() {
    let yaml = format!(
        "{}{}",
        pod("a", "x", "app: x", ""),
        policy(
            "a",
            "p",
            "  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n  - from: [{ipBlock: {cidr: 'fd00::/8'}}]\n    ports: [{port: 443}]\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(conn(&m, "10.2.0.0/16", "a/x[Pod]"), sure(ALL));
    assert_eq!(conn(&m, "10.1.0.0/16", "a/x[Pod]"), sure(NONE));
    assert_eq!(conn(&m, "192.168.0.0/16", "a/x[Pod]"), sure(NONE));
    assert_eq!(conn(&m, "fd00::/16", "a/x[Pod]"), sure("TCP 443"));

    let ranges: Vec<String> = m
        .external_ranges(Direction::Ingress)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        ranges,
        [
            "0.0.0.0-9.255.255.255",
            "10.0.0.0-10.0.255.255",
            "10.1.0.0-10.1.255.255",
            "10.2.0.0-10.255.255.255",
            "11.0.0.0-255.255.255.255",
            "::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ]
    );
    // No egress block: the whole of each family.
    assert_eq!(m.external_ranges(Direction::Egress).len(), 2);
}

#[test]
fn ip_blocks_and_pods_are_unknown_unless_assumed_apart() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("a", "w", "app: w", ""),
        policy(
            "a",
            "p",
            "  podSelector: {matchLabels: {app: x}}\n  ingress:\n  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n"
        )
    );
    assert_eq!(
        conn(&model(&yaml), "a/w[Pod]", "a/x[Pod]"),
        (NONE.into(), ALL.into())
    );
    let assume = Assumptions {
        ip_blocks_exclude_pods: true,
        ..Assumptions::default()
    };
    assert_eq!(
        conn(&model_with(&yaml, &assume), "a/w[Pod]", "a/x[Pod]"),
        sure(NONE)
    );
}

#[test]
fn protocols_default_to_tcp_and_name_udp_and_sctp() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("a", "w", "app: w", ""),
        policy(
            "a",
            "p",
            "  podSelector: {matchLabels: {app: x}}\n  ingress:\n  - ports: [{port: 80}, {port: 53, protocol: UDP}, {port: 9003, protocol: SCTP}, {protocol: UDP, port: 5353}]\n"
        )
    );
    assert_eq!(
        conn(&model(&yaml), "a/w[Pod]", "a/x[Pod]"),
        sure("SCTP 9003,TCP 80,UDP 53,5353")
    );
}

#[test]
fn port_ranges_run_from_port_to_end_port() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        pod("a", "w", "app: w", ""),
        policy(
            "a",
            "p",
            "  podSelector: {matchLabels: {app: x}}\n  ingress:\n  - ports: [{port: 32000, endPort: 32768}, {port: 32769, endPort: 32770}]\n"
        )
    );
    assert_eq!(
        conn(&model(&yaml), "a/w[Pod]", "a/x[Pod]"),
        sure("TCP 32000-32770")
    );
}

#[test]
fn named_ports_resolve_against_the_destination_pod() {
    let yaml = format!(
        "{}{}{}{}",
        pod(
            "a",
            "server",
            "app: server",
            "{name: http, containerPort: 8080}, {name: dns, containerPort: 5353, protocol: UDP}"
        ),
        pod(
            "a",
            "other",
            "app: other",
            "{name: http, containerPort: 9090}"
        ),
        pod("a", "client", "app: client", ""),
        policy(
            "a",
            "p",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - ports: [{port: http}, {port: dns, protocol: UDP}, {port: dns}]\n  egress:\n  - ports: [{port: http}]\n"
        )
    );
    let m = model(&yaml);
    // Ingress: the receiving pod's own ports; `dns` over TCP names no port.
    assert_eq!(
        m.direction_bounds(0, Direction::Ingress, endpoint(&m, "a/client[Pod]"))
            .allowed
            .to_string(),
        "TCP 8080,UDP 5353"
    );
    // Egress: the ports of the pod the connection goes to.
    assert_eq!(conn(&m, "a/client[Pod]", "a/server[Pod]"), sure("TCP 8080"));
    assert_eq!(conn(&m, "a/client[Pod]", "a/other[Pod]"), sure("TCP 9090"));
    // A named port never matches an address outside the cluster.
    assert_eq!(conn(&m, "a/client[Pod]", "0.0.0.0/0"), sure(NONE));
}

#[test]
fn host_network_pods_are_unknown_unless_assumed_like_others() {
    let yaml = format!(
        "{}{}{}",
        pod("a", "x", "app: x", ""),
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: node-agent, namespace: a, labels: {app: agent}}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: 'agent:1'}]\n",
        policy(
            "a",
            "deny",
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(
        conn(&m, "a/node-agent[Pod]", "0.0.0.0/0"),
        (NONE.into(), ALL.into())
    );
    assert_eq!(conn(&m, "a/x[Pod]", "a/node-agent[Pod]"), sure(NONE));
    let assume = Assumptions {
        host_network_like_pods: true,
        ..Assumptions::default()
    };
    let m = model_with(&yaml, &assume);
    assert_eq!(conn(&m, "a/node-agent[Pod]", "0.0.0.0/0"), sure(NONE));
}

#[test]
fn workload_pods_carry_template_labels_and_owned_pods_take_their_controllers_name() {
    let yaml = format!(
        "{}{}{}",
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: 'nginx:1.27'}]\n",
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: api-7d9f-abcde\n  namespace: a\n  labels: {app: api}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-7d9f, controller: true}]\nspec:\n  containers: [{name: c, image: 'api:1'}]\n",
        policy(
            "a",
            "web",
            "  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: api}}}]\n    ports: [{port: 8080}]\n"
        )
    );
    let m = model(&yaml);
    assert_eq!(
        conn(&m, "a/api-7d9f[ReplicaSet]", "a/web[Deployment]"),
        sure("TCP 8080")
    );
    assert_eq!(
        m.matrix()
            .connections
            .iter()
            .filter(|c| matches!(c.to, Side::Workload(_)))
            .count(),
        3
    );
}

#[test]
fn objects_without_a_namespace_share_one_whose_name_is_unknown() {
    let yaml = format!(
        "{}{}{}",
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {app: x}}\nspec: {containers: [{name: c, image: 'x:1'}]}\n",
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: w, labels: {app: w}}\nspec: {containers: [{name: c, image: 'w:1'}]}\n",
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {matchLabels: {app: x}}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]\n"
    );
    let m = model(&yaml);
    assert_eq!(
        conn(&m, "<none>/w[Pod]", "<none>/x[Pod]"),
        (NONE.into(), ALL.into())
    );
    let assume = Assumptions {
        default_namespace: Some("shop".into()),
        ..Assumptions::default()
    };
    let m = model_with(&yaml, &assume);
    assert_eq!(conn(&m, "shop/w[Pod]", "shop/x[Pod]"), sure(ALL));
}
