//! Compares the reachability matrix with np-guard's netpol-analyzer on its own test
//! scenarios (`/work/shared/corpus/netpol-analyzer`): for every scenario made of Kubernetes
//! NetworkPolicies only, each pod-to-pod and pod-to-external line of its expected connection
//! list against what Palisade computes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use palisade_load::{Limits, parse_str};
use palisade_model::{Object, PodKindTable, objects_from_document};
use palisade_rules::netpol::{Assumptions, ConnSet, NetpolModel, PortSet, Protocol};

const CORPUS: &str = "/work/shared/corpus/netpol-analyzer";

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

/// Each assumption alone, to tell which one an undecided answer waits on.
fn single_assumptions() -> [(&'static str, Assumptions); 3] {
    let base = nothing_assumed();
    [
        (
            "ipBlock vs pod IPs",
            Assumptions {
                ip_blocks_exclude_pods: true,
                ..base.clone()
            },
        ),
        (
            "hostNetwork pods",
            Assumptions {
                host_network_like_pods: true,
                ..base.clone()
            },
        ),
        (
            "namespace labels not in the files",
            Assumptions {
                namespaces_only_named: true,
                ..base
            },
        ),
    ]
}

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
    let objects = load(&Path::new(CORPUS).join("tests").join(scenario));
    let theirs = expected(scenario, expected_file);
    let assumed = palisade(&objects, &as_netpol_analyzer());
    let unsure = palisade(&objects, &nothing_assumed());
    let singles: Vec<(&str, Answers)> = single_assumptions()
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
                    .map_or("several of these together", |(name, _)| *name);
                *tally.undecided.entry(cause).or_default() += 1;
            }
            Verdict::Differ => tally
                .wrong_when_unsure
                .push(format!("{scenario}: {}", describe(&unsure, &key, expected))),
        }
    }
}

fn scenarios() -> Vec<(String, PathBuf)> {
    let tests = Path::new(CORPUS).join("tests");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&tests) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let expected = Path::new(CORPUS)
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
    if tally.scenarios == 0 {
        eprintln!("the netpol-analyzer corpus is not here; nothing compared");
        return;
    }
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
    assert!(tally.differ.is_empty());
    assert!(tally.wrong_when_unsure.is_empty());
}
