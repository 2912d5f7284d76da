//! Compares the reachability matrix with np-guard's netpol-analyzer on its own test
//! scenarios (`corpus/netpol-analyzer` in the shared data): for every scenario made of Kubernetes
//! NetworkPolicies only, each pod-to-pod and pod-to-external line of its expected connection
//! list against what Palisade computes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use palisade_load::{Limits, parse_str};
use palisade_model::{Object, PodKindTable, objects_from_document};
use palisade_rules::netpol::{Assumptions, ConnSet, NetpolModel, PortSet, Protocol};

use crate::common;

/// Kinds that make a scenario about something other than Kubernetes NetworkPolicies.
const OTHER_POLICY_KINDS: &[&str] = &[
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "UserDefinedNetwork",
    "ClusterUserDefinedNetwork",
    "NetworkAttachmentDefinition",
    "MultiNetworkPolicy",
    "VirtualMachine",
    "VirtualMachineInstance",
];

fn load(dir: &Path) -> Vec<Object> {
    let (candidates, _) = palisade_load::discover(&[dir.to_path_buf()]);
    let table = PodKindTable::default();
    let mut out = Vec::new();
    for c in candidates {
        let Ok(text) = palisade_load::read(&c, &Limits::default()) else {
            continue;
        };
        for doc in parse_str(&text, &Limits::default()).documents {
            out.extend(objects_from_document(doc, &table).objects);
        }
    }
    out
}

fn parse_conns(text: &str) -> Option<ConnSet> {
    if text == "All Connections" {
        return Some(ConnSet::all());
    }
    let mut set = ConnSet::none();
    let mut protocol = None;
    for part in text.split(',') {
        let part = part.trim();
        let ports = match part.split_once(' ') {
            Some((p, ports)) => {
                protocol = Some(Protocol::parse(p)?);
                ports
            }
            None => part,
        };
        let (a, b) = match ports.split_once('-') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => {
                let n = ports.parse().ok()?;
                (n, n)
            }
        };
        set.add(&ConnSet::of(protocol?, PortSet::range(a, b)));
    }
    Some(set)
}

/// Whether two sets hold the same ports; np-guard does not tell protocols without ports
/// apart.
fn same_ports(a: &ConnSet, b: &ConnSet) -> bool {
    Protocol::ALL.iter().all(|&p| a.ports(p) == b.ports(p))
}

fn within(inner: &ConnSet, outer: &ConnSet) -> bool {
    Protocol::ALL
        .iter()
        .all(|&p| inner.ports(p).minus(outer.ports(p)).is_empty())
}

/// How Palisade's answer for one pair relates to np-guard's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Agree,
    /// np-guard's answer lies between what Palisade surely allows and what it may allow.
    Undecided,
    Differ,
}

type Answers = BTreeMap<(String, String), (ConnSet, ConnSet)>;

fn palisade(objects: &[Object], assume: &Assumptions) -> Answers {
    let refs: Vec<&Object> = objects.iter().collect();
    let model = NetpolModel::from_objects(&refs, assume);
    let mut out = Answers::new();
    for c in model.matrix().connections {
        let key = (model.side_name(c.from), model.side_name(c.to));
        out.insert(key, (c.allowed.clone(), c.allowed.union(&c.unknown)));
    }
    out
}

fn expected(scenario: &str, file: &Path) -> BTreeMap<(String, String), ConnSet> {
    let mut out = BTreeMap::new();
    let text = std::fs::read_to_string(file).unwrap();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with("{ingress-controller}") {
            continue;
        }
        let (pair, conns) = line
            .split_once(" : ")
            .unwrap_or_else(|| panic!("{scenario}: unreadable line `{line}`"));
        let (from, to) = pair
            .split_once(" => ")
            .unwrap_or_else(|| panic!("{scenario}: unreadable line `{line}`"));
        let conns = parse_conns(conns).unwrap_or_else(|| panic!("{scenario}: `{conns}`"));
        out.insert((from.to_string(), to.to_string()), conns);
    }
    out
}

fn verdict(ours: &Answers, key: &(String, String), theirs: &ConnSet) -> Verdict {
    let (allowed, possible) = ours.get(key).cloned().unwrap_or_default();
    if same_ports(&allowed, theirs) && same_ports(&possible, theirs) {
        Verdict::Agree
    } else if within(&allowed, theirs) && within(theirs, &possible) {
        Verdict::Undecided
    } else {
        Verdict::Differ
    }
}

fn describe(ours: &Answers, key: &(String, String), theirs: &ConnSet) -> String {
    let (allowed, possible) = ours.get(key).cloned().unwrap_or_default();
    format!(
        "{} => {}: np-guard `{theirs}`, Palisade `{allowed}` (possible `{possible}`)",
        key.0, key.1
    )
}

/// Only the namespace is assumed, as netpol-analyzer places objects without one in
/// `default`.
fn nothing_assumed() -> Assumptions {
    Assumptions {
        default_namespace: Some("default".into()),
        ..Assumptions::default()
    }
}

/// What netpol-analyzer takes for granted.
fn as_netpol_analyzer() -> Assumptions {
    Assumptions {
        default_namespace: Some("default".into()),
        ip_blocks_exclude_pods: true,
        host_network_like_pods: true,
        namespaces_only_named: true,
    }
}

/// The assumptions an undecided answer may wait on: each alone, then each two together.
fn assumption_sets() -> Vec<(&'static str, Assumptions)> {
    let base = nothing_assumed();
    let ip = |a: Assumptions| Assumptions {
        ip_blocks_exclude_pods: true,
        ..a
    };
    let host = |a: Assumptions| Assumptions {
        host_network_like_pods: true,
        ..a
    };
    let named = |a: Assumptions| Assumptions {
        namespaces_only_named: true,
        ..a
    };
    vec![
        (HOST_NETWORK, host(base.clone())),
        (IP_BLOCKS, ip(base.clone())),
        (NAMESPACES, named(base.clone())),
        (HOST_NETWORK_AND_IP_BLOCKS, host(ip(base.clone()))),
        (HOST_NETWORK_AND_NAMESPACES, host(named(base.clone()))),
        (IP_BLOCKS_AND_NAMESPACES, ip(named(base))),
    ]
}

const HOST_NETWORK: &str = "hostNetwork pods";
const IP_BLOCKS: &str = "ipBlocks and pod addresses";
const NAMESPACES: &str = "namespace labels not in the files";
const HOST_NETWORK_AND_IP_BLOCKS: &str = "hostNetwork pods and ipBlocks together";
const HOST_NETWORK_AND_NAMESPACES: &str = "hostNetwork pods and namespace labels together";
const IP_BLOCKS_AND_NAMESPACES: &str = "ipBlocks and namespace labels together";

/// Pairs netpol-analyzer decides and Palisade, assuming nothing, leaves unknown: how many,
/// for what cause, and why unknown is the answer Kubernetes' semantics support. Each is
/// decided, and agrees, once its assumption is made.
const EXPECTED_UNDECIDED: &[(&str, usize, &str)] = &[
    (
        HOST_NETWORK,
        4016,
        "NetworkPolicy behaviour for hostNetwork pods is undefined; most network plugins treat \
         their traffic as the node's, so policies neither isolate them nor match them as peers, \
         where netpol-analyzer treats them as ordinary pods",
    ),
    (
        IP_BLOCKS,
        342,
        "pod addresses are not in the files, and plugins differ on whether ipBlocks match pod \
         traffic (Calico does, Cilium by default does not), where netpol-analyzer never lets \
         an ipBlock match a pod",
    ),
    (
        HOST_NETWORK_AND_IP_BLOCKS,
        252,
        "both of the above for one pair: a hostNetwork pod's traffic, seen as the node's \
         address, may fall in an ipBlock",
    ),
];

/// Pairs where, under netpol-analyzer's own assumptions, the two disagree: scenario, pair,
/// and which side is right. There are none.
const EXPECTED_DIFFERENCES: &[(&str, &str, &str)] = &[];

#[derive(Debug, Default)]
struct Tally {
    scenarios: usize,
    lines: usize,
    pairs: usize,
    /// With netpol-analyzer's assumptions.
    agree: usize,
    differ: Vec<String>,
    /// With nothing assumed.
    sure: usize,
    undecided: BTreeMap<&'static str, usize>,
    wrong_when_unsure: Vec<String>,
}

fn compare(scenario: &str, expected_file: &Path, tally: &mut Tally) {
    let objects = load(
        &common::corpus("netpol-analyzer")
            .join("tests")
            .join(scenario),
    );
    let theirs = expected(scenario, expected_file);
    let assumed = palisade(&objects, &as_netpol_analyzer());
    let unsure = palisade(&objects, &nothing_assumed());
    let singles: Vec<(&str, Answers)> = assumption_sets()
        .iter()
        .map(|(name, a)| (*name, palisade(&objects, a)))
        .collect();

    tally.scenarios += 1;
    tally.lines += theirs.len();
    let keys: BTreeSet<_> = assumed
        .keys()
        .chain(unsure.keys())
        .chain(theirs.keys())
        .cloned()
        .collect();
    let none = ConnSet::none();
    for key in keys {
        tally.pairs += 1;
        let expected = theirs.get(&key).unwrap_or(&none);
        match verdict(&assumed, &key, expected) {
            Verdict::Agree => tally.agree += 1,
            _ => tally.differ.push(format!(
                "{scenario}: {}",
                describe(&assumed, &key, expected)
            )),
        }
        match verdict(&unsure, &key, expected) {
            Verdict::Agree => tally.sure += 1,
            Verdict::Undecided => {
                let cause = singles
                    .iter()
                    .find(|(_, answers)| verdict(answers, &key, expected) == Verdict::Agree)
                    .map_or("all three together", |(name, _)| *name);
                *tally.undecided.entry(cause).or_default() += 1;
            }
            Verdict::Differ => tally
                .wrong_when_unsure
                .push(format!("{scenario}: {}", describe(&unsure, &key, expected))),
        }
    }
}

fn scenarios() -> Vec<(String, PathBuf)> {
    let tests = common::corpus("netpol-analyzer").join("tests");
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&tests).unwrap();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let expected = common::corpus("netpol-analyzer")
            .join("test_outputs/connlist")
            .join(format!("{name}_connlist_output.txt"));
        if !expected.is_file() {
            continue;
        }
        let objects = load(&entry.path());
        if objects
            .iter()
            .any(|o| OTHER_POLICY_KINDS.contains(&o.id.kind.as_str()))
        {
            continue;
        }
        out.push((name, expected));
    }
    out.sort();
    out
}

#[test]
fn connection_lists_agree_with_netpol_analyzer() {
    let mut tally = Tally::default();
    for (scenario, expected) in scenarios() {
        compare(&scenario, &expected, &mut tally);
    }
    assert!(tally.scenarios > 0, "no netpol-analyzer scenario found");
    eprintln!(
        "{} scenarios, {} expected lines, {} pairs compared (pairs either side lists)",
        tally.scenarios, tally.lines, tally.pairs
    );
    eprintln!(
        "with netpol-analyzer's assumptions: {} agree, {} differ",
        tally.agree,
        tally.differ.len()
    );
    eprintln!(
        "assuming nothing: {} agree, {} undecided ({:?}), {} contradict",
        tally.sure,
        tally.undecided.values().sum::<usize>(),
        tally.undecided,
        tally.wrong_when_unsure.len()
    );
    for d in tally.differ.iter().chain(&tally.wrong_when_unsure) {
        eprintln!("{d}");
    }
    let expected_differences: Vec<String> = EXPECTED_DIFFERENCES
        .iter()
        .map(|(scenario, pair, _)| format!("{scenario}: {pair}"))
        .collect();
    assert_eq!(tally.differ, expected_differences);
    assert!(tally.wrong_when_unsure.is_empty());
    let expected_undecided: BTreeMap<&str, usize> = EXPECTED_UNDECIDED
        .iter()
        .map(|&(cause, count, _)| (cause, count))
        .collect();
    assert_eq!(tally.undecided, expected_undecided);
}

/// IBM's network-config-analyzer keeps its Kubernetes test inputs (policies, pod and
/// namespace lists, many deliberately malformed) without expected results in a form to
/// compare. Every file, alone and with its folder, beside the shared pod and namespace
/// lists, must give a matrix without panicking.
#[test]
fn network_config_analyzer_inputs_give_a_matrix() {
    let root = common::corpus("network-config-analyzer").join("tests/k8s_testcases");
    let podlist = load(&root.join("example_podlist"));
    let (files, _) = palisade_load::discover(&[root.to_path_buf()]);
    let mut folders: BTreeSet<PathBuf> = BTreeSet::new();
    let (mut runs, mut connections) = (0, 0);
    for file in &files {
        if let Some(parent) = file.path.parent() {
            folders.insert(parent.to_path_buf());
        }
    }
    let inputs = files
        .iter()
        .map(|f| (f.path.clone(), false))
        .chain(folders.iter().map(|f| (f.clone(), true)));
    for (input, folder) in inputs {
        let mut objects = load(&input);
        objects.extend(podlist.iter().cloned());
        let mut assumptions = vec![nothing_assumed()];
        if folder {
            assumptions.push(as_netpol_analyzer());
        }
        for assume in assumptions {
            let refs: Vec<&Object> = objects.iter().collect();
            let model = NetpolModel::from_objects(&refs, &assume);
            connections += model.matrix().connections.len();
            runs += 1;
        }
    }
    eprintln!(
        "{runs} runs over {} files and {} folders, {connections} connections",
        files.len(),
        folders.len()
    );
    assert!(runs > 0);
}
