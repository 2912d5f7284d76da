//! The reachability model: the pods, namespaces and NetworkPolicies of a scan, and which
//! connections the policies allow between pods and to and from addresses outside the cluster.
//!
//! Every answer comes as two sets, [`Bounds::allowed`] (surely allowed) and
//! [`Bounds::possible`] (allowed unless the cluster decides otherwise); what lies between is
//! unknown. The files leave some things open, and the model never guesses them:
//!
//! - the labels of a namespace without a `Namespace` object among the files, except its
//!   `kubernetes.io/metadata.name`, and everything about the namespace of objects that name
//!   none (unless the caller says where they go);
//! - pod IPs, so whether an `ipBlock` covers a pod (and network plugins differ in whether
//!   `ipBlock`s apply to pods at all);
//! - how the network plugin treats `hostNetwork` pods, which Kubernetes leaves undefined;
//! - policy parts the API server would reject.
//!
//! Selections are evaluated once per distinct set of labels in a namespace, so a scan with
//! many identical pods costs one match per policy and label set.

use std::collections::{HashMap, HashSet};

use palisade_load::Node;
use palisade_model::selector::Operator;
use palisade_model::{ContainerKind, Labels, Object, Selector};

use super::ip::{Family, IpRange, atomic_ranges};
use super::policy::{Direction, Peer, Policy, PortRef, Rule};
use super::ports::{ConnSet, PortSet, Protocol};
use crate::wiring::WorkloadIndex;

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A three-valued truth: the files say no, say yes, or cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tri {
    No,
    Maybe,
    Yes,
}

impl Tri {
    pub fn and(self, other: Tri) -> Tri {
        self.min(other)
    }

    pub fn or(self, other: Tri) -> Tri {
        self.max(other)
    }

    /// `Some(b)` is `b`, `None` (a selector that cannot be evaluated) is `Maybe`.
    pub fn from_option(value: Option<bool>) -> Tri {
        match value {
            Some(true) => Tri::Yes,
            Some(false) => Tri::No,
            None => Tri::Maybe,
        }
    }
}

impl From<bool> for Tri {
    fn from(value: bool) -> Tri {
        if value { Tri::Yes } else { Tri::No }
    }
}

/// Surely allowed and possibly allowed connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    pub allowed: ConnSet,
    pub possible: ConnSet,
}

impl Bounds {
    pub fn all() -> Bounds {
        Bounds {
            allowed: ConnSet::all(),
            possible: ConnSet::all(),
        }
    }

    pub fn none() -> Bounds {
        Bounds {
            allowed: ConnSet::none(),
            possible: ConnSet::none(),
        }
    }

    /// What may be allowed but is not surely allowed.
    pub fn unknown(&self) -> ConnSet {
        self.possible.minus(&self.allowed)
    }

    fn intersect(&self, other: &Bounds) -> Bounds {
        Bounds {
            allowed: self.allowed.intersect(&other.allowed),
            possible: self.possible.intersect(&other.possible),
        }
    }
}

/// What the analysis may take for granted beyond the files. By default it takes nothing:
/// what the files leave open is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assumptions {
    /// The namespace objects that name none are applied to, as `kubectl apply -n` would
    /// place them.
    pub default_namespace: Option<String>,
    /// `ipBlock`s never match pods, only addresses outside the cluster (true of Cilium's
    /// default mode, and of most clusters whose `ipBlock`s leave out the pod network).
    pub ip_blocks_exclude_pods: bool,
    /// The network plugin applies policies to `hostNetwork` pods like any other pod.
    pub host_network_like_pods: bool,
    /// A namespace without a `Namespace` object among the files has no label but its name.
    pub namespaces_only_named: bool,
}

/// A container port, for named ports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    /// `None` for a protocol the API server would reject.
    pub protocol: Option<Protocol>,
}

/// The pods of one object: a Pod, or the pods a workload's template makes.
#[derive(Debug, Clone)]
pub struct Pod {
    /// Index of the object in the scan.
    pub object: usize,
    /// The namespace, after placing objects that name none (see [`NetpolModel::build`]).
    pub namespace: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    /// Index into [`NetpolModel::workloads`].
    pub workload: usize,
}

/// What reports name: a workload (a Deployment, a DaemonSet, …), or a Pod of its own. An
/// object that another one controls (`ownerReferences` with `controller: true`) belongs to
/// its topmost controller among the files: the ReplicaSets and Pods of a cluster dump belong
/// to their Deployment. When the controller is not among the files, its pods are named by
/// it all the same (`web-7d9f[ReplicaSet]`).
#[derive(Debug, Clone)]
pub struct Workload {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    /// The workload's own object, when it is among the files.
    pub object: Option<usize>,
    /// Indexes into [`NetpolModel::pods`].
    pub pods: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Namespace {
    labels: Labels,
    /// Whether a `Namespace` object gives all its labels.
    complete: bool,
    /// Whether its name is known (it is not for objects that name no namespace).
    named: bool,
    object: Option<usize>,
}

/// One side of a connection, as [`NetpolModel::bounds`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// An index into [`NetpolModel::pods`].
    Pod(usize),
    /// Addresses outside the cluster.
    External(IpRange),
}

/// The whole model of a scan.
#[derive(Debug, Default)]
pub struct NetpolModel {
    pub pods: Vec<Pod>,
    pub workloads: Vec<Workload>,
    pub policies: Vec<Policy>,
    namespaces: HashMap<String, Namespace>,
    /// Pods alike for selection (one namespace, one set of labels, host network or not):
    /// the group of each pod, and the pods of each group.
    group_of: Vec<usize>,
    groups: Vec<Vec<usize>>,
    /// Per policy: the groups it may select, with how sure.
    selected: Vec<Vec<(usize, Tri)>>,
    /// Per group: whether any policy selects it, whatever it isolates.
    selection: Vec<Tri>,
    /// Per group: the policies that may isolate it, with how sure.
    ingress_of: Vec<Vec<(usize, Tri)>>,
    egress_of: Vec<Vec<(usize, Tri)>>,
    policies_in: HashMap<String, Vec<usize>>,
    pods_in: HashMap<String, Vec<usize>>,
    workloads_in: HashMap<String, Vec<usize>>,
    /// Namespaces with pods, in the order of their first pod.
    namespace_order: Vec<String>,
    families: Vec<Family>,
    assume: Assumptions,
}

impl NetpolModel {
    /// Builds the model of `objects`, taking for granted only `assume`. Objects that name no
    /// namespace go to the assumed default namespace, if any; otherwise they share one
    /// namespace whose name and labels are unknown.
    pub fn build(objects: &[&Object], index: &WorkloadIndex, assume: &Assumptions) -> NetpolModel {
        let default_namespace = assume
            .default_namespace
            .as_deref()
            .filter(|d| !d.is_empty());
        let place = |ns: &str| -> String {
            match (ns, default_namespace) {
                ("", Some(d)) => d.to_string(),
                _ => ns.to_string(),
            }
        };
        let mut model = NetpolModel {
            assume: assume.clone(),
            ..NetpolModel::default()
        };

        for (i, obj) in objects.iter().enumerate() {
            if obj.id.kind == "Namespace" && obj.id.group().is_empty() {
                let Some(name) = &obj.id.name else { continue };
                let mut pairs: Vec<(String, String)> = obj
                    .label_set()
                    .iter()
                    .filter(|(k, _)| *k != NAMESPACE_NAME_LABEL)
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                pairs.push((NAMESPACE_NAME_LABEL.to_string(), name.clone()));
                model.namespaces.entry(name.clone()).or_insert(Namespace {
                    labels: Labels::from_pairs(pairs),
                    complete: true,
                    named: true,
                    object: Some(i),
                });
            } else if let Some(mut policy) = Policy::read(i, obj) {
                policy.namespace = place(&policy.namespace);
                model
                    .policies_in
                    .entry(policy.namespace.clone())
                    .or_default()
                    .push(model.policies.len());
                model.policies.push(policy);
            }
        }

        model.read_pods(objects, index, &place);
        model.note_namespaces();
        model.select();
        model.families = model.ip_families();
        model
    }

    /// Builds the model of `objects` with an index of its own (see [`build`](Self::build)).
    pub fn from_objects(objects: &[&Object], assume: &Assumptions) -> NetpolModel {
        let index = WorkloadIndex::build(objects);
        NetpolModel::build(objects, &index, assume)
    }

    /// The pods of every pod-bearing object, grouped into workloads.
    fn read_pods(
        &mut self,
        objects: &[&Object],
        index: &WorkloadIndex,
        place: &dyn Fn(&str) -> String,
    ) {
        let mut seen_namespaces: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for obj in objects {
            if obj.pod.is_some() {
                let ns = crate::wiring::index::namespace(obj);
                if seen.insert(ns) {
                    seen_namespaces.push(ns);
                }
            }
        }
        let mut found: Vec<(usize, Labels)> = seen_namespaces
            .iter()
            .flat_map(|ns| index.workloads(ns))
            // A PodTemplate describes pods but runs none.
            .filter(|w| objects[w.object].id.kind != "PodTemplate")
            .map(|w| (w.object, w.labels.clone()))
            .collect();
        found.sort_by_key(|(object, _)| *object);

        let mut by_name: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for &(object, _) in &found {
            let obj = objects[object];
            if let Some(name) = &obj.id.name {
                let ns = crate::wiring::index::namespace(obj);
                by_name
                    .entry((ns, obj.id.kind.as_str(), name))
                    .or_insert(object);
            }
        }

        let mut workload_ids: HashMap<(String, String, String), usize> = HashMap::new();
        for (object, labels) in found {
            let obj = objects[object];
            let namespace = place(crate::wiring::index::namespace(obj));
            let (kind, name, own) = workload_of(objects, object, &by_name);
            let key = (namespace.clone(), kind.clone(), name.clone());
            let workload = *workload_ids.entry(key).or_insert_with(|| {
                self.workloads_in
                    .entry(namespace.clone())
                    .or_default()
                    .push(self.workloads.len());
                self.workloads.push(Workload {
                    namespace: namespace.clone(),
                    kind,
                    name,
                    object: own,
                    pods: Vec::new(),
                });
                self.workloads.len() - 1
            });
            let pod = self.pods.len();
            self.workloads[workload].pods.push(pod);
            let in_namespace = self.pods_in.entry(namespace.clone()).or_default();
            if in_namespace.is_empty() {
                self.namespace_order.push(namespace.clone());
            }
            in_namespace.push(pod);
            self.pods.push(Pod {
                object,
                namespace,
                labels,
                ports: container_ports(obj),
                host_network: host_network(obj),
                workload,
            });
        }
    }

    /// Namespaces that pods or policies are in but no `Namespace` object describes: only
    /// their name label is known.
    fn note_namespaces(&mut self) {
        let used: Vec<String> = self
            .pods
            .iter()
            .map(|p| p.namespace.clone())
            .chain(self.policies.iter().map(|p| p.namespace.clone()))
            .collect();
        for name in used {
            self.namespaces.entry(name.clone()).or_insert_with(|| {
                let named = !name.is_empty();
                Namespace {
                    labels: if named {
                        Labels::from_pairs([(NAMESPACE_NAME_LABEL, name.as_str())])
                    } else {
                        Labels::default()
                    },
                    complete: false,
                    named,
                    object: None,
                }
            });
        }
    }

    /// Which pods each policy selects, matching each group of alike pods once, and only the
    /// groups that carry a label the selector requires.
    fn select(&mut self) {
        let groups = LabelGroups::of(&self.pods);
        let count = groups.groups.len();
        let mut selected = Vec::with_capacity(self.policies.len());
        let mut selection = vec![Tri::No; count];
        let mut ingress_of = vec![Vec::new(); count];
        let mut egress_of = vec![Vec::new(); count];
        for (p, policy) in self.policies.iter().enumerate() {
            let mut chosen = Vec::new();
            for &group in groups.candidates(&policy.namespace, &policy.pod_selector) {
                let (labels, host_network) = groups.groups[group];
                let matched = Tri::from_option(policy.pod_selector.matches(labels));
                if matched == Tri::No {
                    continue;
                }
                // A network plugin may not tell a host-network pod's traffic from the node's,
                // and then no policy applies to it.
                let sure = if host_network && !self.assume.host_network_like_pods {
                    matched.and(Tri::Maybe)
                } else {
                    matched
                };
                chosen.push((group, sure));
                selection[group] = selection[group].or(sure);
                if policy.ingress.is_some() {
                    ingress_of[group].push((p, sure));
                }
                if policy.egress.is_some() {
                    egress_of[group].push((p, sure));
                }
            }
            selected.push(chosen);
        }
        self.group_of = groups.group_of;
        self.groups = groups.members;
        self.selected = selected;
        self.selection = selection;
        self.ingress_of = ingress_of;
        self.egress_of = egress_of;
    }

    /// IPv4 always; IPv6 too when a policy names an IPv6 block.
    fn ip_families(&self) -> Vec<Family> {
        let v6 = self.all_blocks(None).any(|r| r.family == Family::V6);
        if v6 {
            vec![Family::V4, Family::V6]
        } else {
            vec![Family::V4]
        }
    }

    /// The address ranges of the `ipBlock`s of `direction` (of both when `None`).
    fn all_blocks(&self, direction: Option<Direction>) -> impl Iterator<Item = IpRange> {
        self.policies
            .iter()
            .flat_map(move |p| {
                let ingress = p
                    .ingress
                    .iter()
                    .filter(move |_| direction != Some(Direction::Egress));
                let egress = p
                    .egress
                    .iter()
                    .filter(move |_| direction != Some(Direction::Ingress));
                ingress.chain(egress).flatten()
            })
            .flat_map(|rule| rule.peers.iter().flatten())
            .flat_map(|peer| match peer {
                Peer::Block(block) => block.ranges(),
                _ => Vec::new(),
            })
    }

    /// The address ranges outside the cluster that connections `direction` are listed
    /// with: the ranges no `ipBlock` of that direction cuts.
    pub fn external_ranges(&self, direction: Direction) -> Vec<IpRange> {
        let ranges: Vec<IpRange> = self.all_blocks(Some(direction)).collect();
        atomic_ranges(&self.families, &ranges)
    }

    /// The policies of a namespace.
    pub fn policies_in(&self, namespace: &str) -> &[usize] {
        self.policies_in.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The pods of a namespace.
    pub fn pods_in(&self, namespace: &str) -> &[usize] {
        self.pods_in.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// Namespaces that hold pods, in the order their first pod appears.
    pub fn namespaces_with_pods(&self) -> &[String] {
        &self.namespace_order
    }

    /// The `Namespace` object of `namespace`, when it is among the files.
    pub fn namespace_object(&self, namespace: &str) -> Option<usize> {
        self.namespaces.get(namespace).and_then(|n| n.object)
    }

    /// The pods `policy` may select, with how sure.
    pub fn selected_by(&self, policy: usize) -> Vec<(usize, Tri)> {
        let mut out: Vec<(usize, Tri)> = self
            .selected
            .get(policy)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .flat_map(|&(g, sure)| self.groups[g].iter().map(move |&pod| (pod, sure)))
            .collect();
        out.sort_unstable();
        out
    }

    /// Whether `policy` may select any pod.
    pub fn selects_any(&self, policy: usize) -> bool {
        self.selected.get(policy).is_some_and(|g| !g.is_empty())
    }

    /// The object findings about a workload point at: its own, or its first pod's.
    pub fn workload_object(&self, workload: usize) -> usize {
        let w = &self.workloads[workload];
        w.object
            .or_else(|| w.pods.first().map(|&p| self.pods[p].object))
            .unwrap_or(0)
    }

    /// The workloads of a namespace, in file order.
    pub fn workloads_in(&self, namespace: &str) -> &[usize] {
        self.workloads_in.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// Whether some policy selects `pod`.
    pub fn selection_of(&self, pod: usize) -> Tri {
        self.group_of
            .get(pod)
            .and_then(|&g| self.selection.get(g))
            .copied()
            .unwrap_or(Tri::No)
    }

    /// The policies that may isolate `pod` in `direction`, with how sure.
    pub fn isolating(&self, pod: usize, direction: Direction) -> &[(usize, Tri)] {
        let list = match direction {
            Direction::Ingress => &self.ingress_of,
            Direction::Egress => &self.egress_of,
        };
        self.group_of
            .get(pod)
            .and_then(|&g| list.get(g))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether `pod` is isolated in `direction`: some policy selecting it has that type.
    pub fn isolated(&self, pod: usize, direction: Direction) -> Tri {
        self.isolating(pod, direction)
            .iter()
            .fold(Tri::No, |acc, &(_, sure)| acc.or(sure))
    }

    /// Whether `selector` (a `namespaceSelector`) matches `namespace`, as far as the files
    /// tell. A namespace no object describes is known only by its name label.
    pub fn namespace_matches(&self, selector: &Selector, namespace: &str) -> Tri {
        match self.namespaces.get(namespace) {
            Some(n) if n.complete => Tri::from_option(selector.matches(&n.labels)),
            Some(n) if !n.named => matches_partly(selector, &n.labels, |_| false),
            _ => {
                let labels = Labels::from_pairs([(NAMESPACE_NAME_LABEL, namespace)]);
                let only_named = self.assume.namespaces_only_named;
                matches_partly(selector, &labels, |key| {
                    only_named || key == NAMESPACE_NAME_LABEL
                })
            }
        }
    }

    /// Whether `peer` of a rule of `policy` covers `endpoint`.
    pub fn peer_matches(&self, policy: &Policy, peer: &Peer, endpoint: Endpoint) -> Tri {
        match (peer, endpoint) {
            (Peer::Invalid, _) => Tri::Maybe,
            (Peer::Pods { .. }, Endpoint::External(_)) => Tri::No,
            (Peer::Block(block), Endpoint::External(range)) => {
                Tri::from_option(block.covers(&range))
            }
            // Pod IPs are not in the files, and network plugins differ in whether an
            // `ipBlock` applies to pods at all.
            (Peer::Block(_), Endpoint::Pod(_)) if self.assume.ip_blocks_exclude_pods => Tri::No,
            (Peer::Block(_), Endpoint::Pod(_)) => Tri::Maybe,
            (Peer::Pods { namespaces, pods }, Endpoint::Pod(pod)) => {
                let pod = &self.pods[pod];
                let in_namespace = match namespaces {
                    None => Tri::from(pod.namespace == policy.namespace),
                    Some(selector) => self.namespace_matches(selector, &pod.namespace),
                };
                if in_namespace == Tri::No {
                    return Tri::No;
                }
                let labelled = pods
                    .as_ref()
                    .map_or(Tri::Yes, |s| Tri::from_option(s.matches(&pod.labels)));
                let matched = in_namespace.and(labelled);
                if pod.host_network && !self.assume.host_network_like_pods {
                    matched.and(Tri::Maybe)
                } else {
                    matched
                }
            }
        }
    }

    /// Whether a rule's peers cover `endpoint`: any of them does, or it has none.
    pub fn rule_matches(&self, policy: &Policy, rule: &Rule, endpoint: Endpoint) -> Tri {
        match &rule.peers {
            None => Tri::Yes,
            Some(peers) => peers.iter().fold(Tri::No, |acc, peer| {
                if acc == Tri::Yes {
                    acc
                } else {
                    acc.or(self.peer_matches(policy, peer, endpoint))
                }
            }),
        }
    }

    /// The connections a rule's `ports` allow to `destination`: named ports are looked up
    /// among the destination pod's container ports, with the rule's protocol; an address
    /// outside the cluster has no named ports.
    pub fn rule_ports(&self, rule: &Rule, destination: Endpoint) -> Bounds {
        let Some(ports) = &rule.ports else {
            return Bounds::all();
        };
        let mut out = Bounds::none();
        for entry in ports {
            let Some(protocol) = entry.protocol else {
                out.possible = ConnSet::all();
                continue;
            };
            let set = match &entry.port {
                PortRef::Any => ConnSet::of(protocol, PortSet::all()),
                PortRef::Range(a, b) => ConnSet::of(protocol, PortSet::range(*a, *b)),
                PortRef::Named(name) => match destination {
                    Endpoint::Pod(pod) => self.pods[pod]
                        .ports
                        .iter()
                        .find(|p| p.name.as_deref() == Some(name) && p.protocol == Some(protocol))
                        .map_or_else(ConnSet::none, |p| {
                            ConnSet::of(protocol, PortSet::range(p.port, p.port))
                        }),
                    Endpoint::External(_) => ConnSet::none(),
                },
                PortRef::Invalid => {
                    out.possible = ConnSet::all();
                    continue;
                }
            };
            out.allowed.add(&set);
            out.possible.add(&set);
        }
        out
    }

    /// What the policies isolating `pod` in `direction` allow with `other`: for ingress,
    /// connections from `other` to `pod`; for egress, from `pod` to `other`.
    pub fn direction_bounds(&self, pod: usize, direction: Direction, other: Endpoint) -> Bounds {
        let isolating = self.isolating(pod, direction);
        let isolated = self.isolated(pod, direction);
        if isolated == Tri::No {
            return Bounds::all();
        }
        let destination = match direction {
            Direction::Ingress => Endpoint::Pod(pod),
            Direction::Egress => other,
        };
        let mut out = Bounds::none();
        for &(p, sure) in isolating {
            let policy = &self.policies[p];
            for rule in policy.rules(direction).unwrap_or(&[]) {
                let matched = self.rule_matches(policy, rule, other);
                if matched == Tri::No {
                    continue;
                }
                let ports = self.rule_ports(rule, destination);
                if sure == Tri::Yes && matched == Tri::Yes {
                    out.allowed.add(&ports.allowed);
                }
                out.possible.add(&ports.possible);
            }
        }
        // Unless surely isolated, the pod may not be isolated at all.
        if isolated != Tri::Yes {
            out.possible = ConnSet::all();
        }
        out
    }

    /// The connections from `from` to `to`: egress from the source and ingress to the
    /// destination must both allow them. At least one side must be a pod.
    pub fn bounds(&self, from: Endpoint, to: Endpoint) -> Bounds {
        let egress = match from {
            Endpoint::Pod(p) => self.direction_bounds(p, Direction::Egress, to),
            Endpoint::External(_) => Bounds::all(),
        };
        let ingress = match to {
            Endpoint::Pod(p) => self.direction_bounds(p, Direction::Ingress, from),
            Endpoint::External(_) => Bounds::all(),
        };
        egress.intersect(&ingress)
    }
}

/// The pods of each namespace grouped by their labels (and whether they use the host's
/// network), with the groups that carry each label, so that a selector is matched once per
/// group and only against groups that may match.
struct LabelGroups<'a> {
    /// The labels of each group, and whether its pods use the host's network.
    groups: Vec<(&'a Labels, bool)>,
    members: Vec<Vec<usize>>,
    group_of: Vec<usize>,
    /// Per namespace: its groups.
    by_namespace: HashMap<&'a str, Vec<usize>>,
    /// Per namespace, label key and value: the groups that carry the label.
    by_label: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
}

impl<'a> LabelGroups<'a> {
    fn of(pods: &'a [Pod]) -> LabelGroups<'a> {
        let mut out = LabelGroups {
            groups: Vec::new(),
            members: Vec::new(),
            group_of: Vec::with_capacity(pods.len()),
            by_namespace: HashMap::new(),
            by_label: HashMap::new(),
        };
        type Key<'k> = (&'k str, bool, Vec<(&'k str, &'k str)>);
        let mut ids: HashMap<Key<'a>, usize> = HashMap::new();
        for (i, pod) in pods.iter().enumerate() {
            let key = (
                pod.namespace.as_str(),
                pod.host_network,
                pod.labels.iter().collect::<Vec<_>>(),
            );
            let next = out.groups.len();
            let group = *ids.entry(key).or_insert(next);
            if group == next {
                out.groups.push((&pod.labels, pod.host_network));
                out.members.push(Vec::new());
                out.by_namespace
                    .entry(&pod.namespace)
                    .or_default()
                    .push(group);
                for (k, v) in pod.labels.iter() {
                    out.by_label
                        .entry((&pod.namespace, k, v))
                        .or_default()
                        .push(group);
                }
            }
            out.members[group].push(i);
            out.group_of.push(group);
        }
        out
    }

    /// The groups of `namespace` that `selector` may match: those carrying the label of one
    /// of its equality requirements, or all of them.
    fn candidates<'s>(&'s self, namespace: &'s str, selector: &'s Selector) -> &'s [usize] {
        let all = self
            .by_namespace
            .get(namespace)
            .map_or(&[][..], Vec::as_slice);
        let Selector::Requirements(reqs) = selector else {
            return all;
        };
        let required = reqs
            .iter()
            .find(|r| r.op == Operator::In && r.values.len() == 1);
        match required {
            Some(r) => self
                .by_label
                .get(&(namespace, r.key.as_str(), r.values[0].as_str()))
                .map_or(&[][..], Vec::as_slice),
            None => all,
        }
    }
}

/// Whether `selector` matches something whose labels are `labels` as far as they are known:
/// requirements on keys that `known` says are known are decided by `labels`, the others are
/// unknown.
pub fn matches_partly(selector: &Selector, labels: &Labels, known: impl Fn(&str) -> bool) -> Tri {
    let Selector::Requirements(reqs) = selector else {
        return Tri::Maybe;
    };
    reqs.iter().fold(Tri::Yes, |acc, req| {
        let matched = if known(&req.key) {
            Tri::from(req.matches(labels))
        } else {
            Tri::Maybe
        };
        acc.and(matched)
    })
}

/// The kind and name of the workload `object` belongs to, and that workload's object when
/// the files have it: `object`'s controllers are followed as far as the files go.
fn workload_of(
    objects: &[&Object],
    object: usize,
    by_name: &HashMap<(&str, &str, &str), usize>,
) -> (String, String, Option<usize>) {
    let mut current = object;
    // Owner chains are short (Pod, ReplicaSet, Deployment); a longer one is a cycle.
    for _ in 0..8 {
        let obj = objects[current];
        let Some((kind, name)) = controller_of(obj) else {
            let name = obj.id.name.clone().unwrap_or_else(|| "<unnamed>".into());
            return (obj.id.kind.clone(), name, Some(current));
        };
        let ns = crate::wiring::index::namespace(obj);
        match by_name.get(&(ns, kind.as_str(), name.as_str())) {
            Some(&next) if next != current => current = next,
            _ => return (kind, name, None),
        }
    }
    let obj = objects[object];
    let name = obj.id.name.clone().unwrap_or_else(|| "<unnamed>".into());
    (obj.id.kind.clone(), name, Some(object))
}

/// The kind and name of the object that controls `obj`, from its `ownerReferences` (a node
/// that owns a mirror pod does not count).
fn controller_of(obj: &Object) -> Option<(String, String)> {
    let refs = obj.root.get("metadata")?.get("ownerReferences")?;
    let owner = refs
        .items()
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))?;
    let kind = owner
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or(&obj.id.kind);
    if kind == "Node" {
        return None;
    }
    let name = owner.get("name").and_then(Node::scalar_text)?;
    Some((kind.to_string(), name))
}

/// The ports of a pod's containers and sidecars, for named ports.
fn container_ports(obj: &Object) -> Vec<ContainerPort> {
    let Some(pod) = &obj.pod else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in &pod.containers {
        if c.kind != ContainerKind::Regular && !c.is_sidecar(&obj.root) {
            continue;
        }
        for p in obj.node(&c.path.key("ports")).map_or(&[][..], Node::items) {
            let Some(port) = p
                .get("containerPort")
                .and_then(Node::as_i64)
                .and_then(|n| u16::try_from(n).ok())
            else {
                continue;
            };
            let protocol = match p.get("protocol").filter(|n| !n.is_null()) {
                None => Some(Protocol::Tcp),
                Some(n) => n.as_str().and_then(Protocol::parse),
            };
            out.push(ContainerPort {
                name: p.get("name").and_then(Node::scalar_text),
                port,
                protocol,
            });
        }
    }
    out
}

fn host_network(obj: &Object) -> bool {
    obj.pod
        .as_ref()
        .and_then(|pod| pod.spec_node(&obj.root))
        .and_then(|spec| spec.get("hostNetwork"))
        .and_then(Node::as_bool)
        == Some(true)
}
