//! A NetworkPolicy as the analysis reads it, with the path of every part for findings.
//!
//! Reading follows the API's defaulting: `policyTypes` absent means Ingress, plus Egress when
//! `egress` holds a rule; a missing `from`/`to` or `ports` (or an empty list) means every peer
//! or every port; a port's protocol defaults to TCP. Parts the API server would reject (a
//! peer with both `ipBlock` and a selector, a CIDR that does not parse, an unknown protocol)
//! are kept as invalid, and the analysis treats them as unknown.

use palisade_load::{FieldPath, Node};
use palisade_model::{Object, Selector};

use super::ip::{IpBlock, IpRange};
use super::ports::Protocol;

/// Whether `obj` is a Kubernetes NetworkPolicy (not a CNI's own kind of the same name).
pub fn is_network_policy(obj: &Object) -> bool {
    obj.id.kind == "NetworkPolicy" && matches!(obj.id.group(), "networking.k8s.io" | "extensions")
}

/// Ingress or egress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// The `policyTypes` value and the name of the rule list.
    pub fn type_name(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    pub fn rules_key(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    fn peers_key(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// One NetworkPolicy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Index of the object in the scan.
    pub object: usize,
    /// `metadata.namespace`, empty when the policy names none.
    pub namespace: String,
    pub name: String,
    /// `spec.podSelector`; a missing one selects every pod, as the API's empty default does.
    pub pod_selector: Selector,
    /// The ingress rules, when the policy isolates ingress.
    pub ingress: Option<Vec<Rule>>,
    /// The egress rules, when the policy isolates egress.
    pub egress: Option<Vec<Rule>>,
}

impl Policy {
    /// The rules of `direction`, when the policy isolates that direction.
    pub fn rules(&self, direction: Direction) -> Option<&[Rule]> {
        match direction {
            Direction::Ingress => self.ingress.as_deref(),
            Direction::Egress => self.egress.as_deref(),
        }
    }

    /// Whether the policy isolates every pod of its namespace in `direction` and no rule of
    /// it lets every connection through: a namespace-wide default deny, perhaps with a few
    /// exceptions.
    pub fn is_default_deny(&self, direction: Direction) -> bool {
        self.pod_selector.is_empty()
            && self
                .rules(direction)
                .is_some_and(|rules| !rules.iter().any(Rule::allows_everything))
    }
}

/// One rule of `ingress` or `egress`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `spec.ingress[i]` or `spec.egress[i]`.
    pub path: FieldPath,
    /// `from` or `to`; `None` when absent or empty: every peer.
    pub peers: Option<Vec<Peer>>,
    /// `ports`; `None` when absent or empty: every port of every protocol.
    pub ports: Option<Vec<PortRule>>,
}

impl Rule {
    /// A rule with neither peers nor ports (`- {}`).
    pub fn allows_everything(&self) -> bool {
        self.peers.is_none() && self.ports.is_none()
    }
}

/// One entry of `from` or `to`.
#[derive(Debug, Clone)]
pub enum Peer {
    /// Pods chosen by `namespaceSelector` and `podSelector`, both of which must match.
    Pods {
        /// `None`: the policy's own namespace.
        namespaces: Option<Selector>,
        /// `None`: every pod of the chosen namespaces.
        pods: Option<Selector>,
    },
    /// Addresses of an `ipBlock`.
    Block(IpBlock),
    /// A peer the API server would reject.
    Invalid,
}

/// One entry of `ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRule {
    /// `None` for a protocol the API server would reject.
    pub protocol: Option<Protocol>,
    pub port: PortRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortRef {
    /// No `port`: every port of the protocol.
    Any,
    /// `port`, or `port` to `endPort`.
    Range(u16, u16),
    /// A named port, resolved against the destination pod's container ports.
    Named(String),
    /// A port the API server would reject.
    Invalid,
}

impl Policy {
    /// Reads a NetworkPolicy; `None` for other objects.
    pub fn read(object: usize, obj: &Object) -> Option<Policy> {
        if !is_network_policy(obj) {
            return None;
        }
        let spec = obj.root.get("spec");
        let pod_selector = match spec.and_then(|s| s.get("podSelector")) {
            Some(node) if !node.is_null() => Selector::from_label_selector(node),
            _ => Selector::Requirements(Vec::new()),
        };
        let rules_of = |direction: Direction| {
            let list = spec.and_then(|s| s.get(direction.rules_key()));
            let base = FieldPath::root().keys(&["spec", direction.rules_key()]);
            list.map_or(&[][..], Node::items)
                .iter()
                .enumerate()
                .map(|(i, node)| read_rule(node, base.index(i), direction))
                .collect::<Vec<_>>()
        };
        let types = spec
            .and_then(|s| s.get("policyTypes"))
            .map(Node::items)
            .filter(|items| !items.is_empty());
        let (ingress, egress) = match types {
            Some(items) => {
                let has = |d: Direction| items.iter().any(|t| t.as_str() == Some(d.type_name()));
                (has(Direction::Ingress), has(Direction::Egress))
            }
            None => {
                let egress_rules = spec
                    .and_then(|s| s.get("egress"))
                    .is_some_and(|e| !e.items().is_empty());
                (true, egress_rules)
            }
        };
        Some(Policy {
            object,
            namespace: obj.id.namespace.clone().unwrap_or_default(),
            name: obj.id.name.clone().unwrap_or_default(),
            pod_selector,
            ingress: ingress.then(|| rules_of(Direction::Ingress)),
            egress: egress.then(|| rules_of(Direction::Egress)),
        })
    }
}

fn read_rule(node: &Node, path: FieldPath, direction: Direction) -> Rule {
    let peers = node
        .get(direction.peers_key())
        .map(Node::items)
        .filter(|items| !items.is_empty())
        .map(|items| items.iter().map(read_peer).collect());
    let ports = node
        .get("ports")
        .map(Node::items)
        .filter(|items| !items.is_empty())
        .map(|items| items.iter().map(read_port).collect());
    Rule { path, peers, ports }
}

fn present<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.get(key).filter(|n| !n.is_null())
}

fn read_peer(node: &Node) -> Peer {
    let pods = present(node, "podSelector").map(Selector::from_label_selector);
    let namespaces = present(node, "namespaceSelector").map(Selector::from_label_selector);
    let block = present(node, "ipBlock");
    match (block, pods.is_some() || namespaces.is_some()) {
        (Some(block), false) => read_block(block).map_or(Peer::Invalid, Peer::Block),
        (None, true) => Peer::Pods { namespaces, pods },
        _ => Peer::Invalid,
    }
}

fn read_block(node: &Node) -> Option<IpBlock> {
    let cidr = IpRange::parse_cidr(node.get("cidr")?.as_str()?)?;
    let mut except = Vec::new();
    for e in node.get("except").map_or(&[][..], Node::items) {
        let range = IpRange::parse_cidr(e.as_str()?)?;
        if range.family != cidr.family {
            return None;
        }
        except.push(range);
    }
    Some(IpBlock { cidr, except })
}

fn read_port(node: &Node) -> PortRule {
    let protocol = match node.get("protocol").filter(|n| !n.is_null()) {
        None => Some(Protocol::Tcp),
        Some(p) => p.as_str().and_then(Protocol::parse),
    };
    let end = node.get("endPort").filter(|n| !n.is_null());
    let port = match node.get("port").filter(|n| !n.is_null()) {
        None if end.is_none() => PortRef::Any,
        None => PortRef::Invalid,
        Some(p) => match (p.as_i64(), p.as_str()) {
            (Some(n), _) => {
                let end = match end {
                    None => Some(n),
                    Some(e) => e.as_i64(),
                };
                match (u16::try_from(n), end.map(u16::try_from)) {
                    (Ok(a), Some(Ok(b))) if a >= 1 && a <= b => PortRef::Range(a, b),
                    _ => PortRef::Invalid,
                }
            }
            // A named port is an IANA service name: it has a letter, and takes no `endPort`.
            (None, Some(name))
                if end.is_none() && name.chars().any(|c| c.is_ascii_alphabetic()) =>
            {
                PortRef::Named(name.to_string())
            }
            _ => PortRef::Invalid,
        },
    };
    PortRule { protocol, port }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_load::{Limits, parse_str};
    use palisade_model::{PodKindTable, objects_from_document};

    fn policy(yaml: &str) -> Policy {
        let mut parsed = parse_str(yaml, &Limits::default());
        let obj = objects_from_document(parsed.documents.remove(0), &PodKindTable::default())
            .objects
            .remove(0);
        Policy::read(0, &obj).expect("a NetworkPolicy")
    }

    const HEAD: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n";

    #[test]
    fn policy_types_default_to_ingress_and_to_egress_when_egress_has_rules() {
        let p = policy(&format!("{HEAD}spec:\n  podSelector: {{}}\n"));
        assert!(p.ingress.as_ref().is_some_and(Vec::is_empty));
        assert!(p.egress.is_none());

        let p = policy(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  egress: [{{}}]\n"
        ));
        assert!(p.ingress.is_some() && p.egress.is_some());

        let p = policy(&format!("{HEAD}spec:\n  podSelector: {{}}\n  egress: []\n"));
        assert!(p.egress.is_none());

        let p = policy(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  ingress: [{{}}]\n"
        ));
        assert!(p.ingress.is_none());
        assert!(p.egress.as_ref().is_some_and(Vec::is_empty));
        assert!(p.is_default_deny(Direction::Egress));
    }

    #[test]
    fn empty_peer_and_port_lists_mean_everything() {
        let p = policy(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  ingress:\n  - from: []\n    ports: []\n  - {{}}\n"
        ));
        let rules = p.ingress.unwrap();
        assert!(rules.iter().all(Rule::allows_everything));
        assert_eq!(rules[1].path.to_string(), "spec.ingress[1]");
    }

    #[test]
    fn ports_default_to_tcp_and_read_ranges_and_names() {
        let p = policy(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  ingress:\n  - ports:\n    - port: 80\n    - {{port: 8000, endPort: 8090, protocol: UDP}}\n    - {{port: http}}\n    - {{protocol: SCTP}}\n    - {{port: 80, protocol: ICMP}}\n    - {{port: '80'}}\n    - {{port: 90, endPort: 80}}\n    - {{port: http, endPort: 90}}\n"
        ));
        let ports = p.ingress.unwrap().remove(0).ports.unwrap();
        let tcp = Some(Protocol::Tcp);
        assert_eq!(
            ports,
            [
                PortRule {
                    protocol: tcp,
                    port: PortRef::Range(80, 80)
                },
                PortRule {
                    protocol: Some(Protocol::Udp),
                    port: PortRef::Range(8000, 8090)
                },
                PortRule {
                    protocol: tcp,
                    port: PortRef::Named("http".into())
                },
                PortRule {
                    protocol: Some(Protocol::Sctp),
                    port: PortRef::Any
                },
                PortRule {
                    protocol: None,
                    port: PortRef::Range(80, 80)
                },
                PortRule {
                    protocol: tcp,
                    port: PortRef::Invalid
                },
                PortRule {
                    protocol: tcp,
                    port: PortRef::Invalid
                },
                PortRule {
                    protocol: tcp,
                    port: PortRef::Invalid
                },
            ]
        );
    }

    #[test]
    fn peers_combine_selectors_and_reject_mixed_ip_blocks() {
        let p = policy(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  ingress:\n  - from:\n    - podSelector: {{matchLabels: {{app: a}}}}\n      namespaceSelector: {{}}\n    - ipBlock: {{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}\n    - ipBlock: {{cidr: 10.0.0.0/8}}\n      podSelector: {{}}\n    - {{}}\n    - ipBlock: {{cidr: nope}}\n"
        ));
        let peers = p.ingress.unwrap().remove(0).peers.unwrap();
        assert!(matches!(
            &peers[0],
            Peer::Pods { namespaces: Some(n), pods: Some(_) } if n.is_empty()
        ));
        assert!(matches!(&peers[1], Peer::Block(b) if b.except.len() == 1));
        assert!(matches!(peers[2], Peer::Invalid));
        assert!(matches!(peers[3], Peer::Invalid));
        assert!(matches!(peers[4], Peer::Invalid));
    }

    #[test]
    fn a_missing_pod_selector_selects_every_pod() {
        let p = policy(&format!("{HEAD}spec:\n  policyTypes: [Ingress]\n"));
        assert!(p.pod_selector.is_empty());
        assert!(p.is_default_deny(Direction::Ingress));
        let open = policy(&format!(
            "{HEAD}spec:\n  podSelector: {{}}\n  ingress: [{{}}]\n"
        ));
        assert!(!open.is_default_deny(Direction::Ingress));
    }

    #[test]
    fn calico_policies_are_not_read() {
        let text = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {}\n";
        let mut parsed = parse_str(text, &Limits::default());
        let obj = objects_from_document(parsed.documents.remove(0), &PodKindTable::default())
            .objects
            .remove(0);
        assert!(Policy::read(0, &obj).is_none());
    }
}
