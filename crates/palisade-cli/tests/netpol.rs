//! `palisade netpol` end to end: formats, assumptions, exit codes, and a connection list
//! that matches np-guard's netpol-analyzer line for line.

use crate::common::{palisade, run_with_stdin, scratch_dir, shared_dir};

const SHOP: &str = "apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: 'nginx:1.27', ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: 'api:1.0', ports: [{name: http, containerPort: 9090}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: monitoring}}
    ports: [{port: http}]
";

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn the_table_lists_allowed_connections_with_resolved_named_ports() {
    let out = stdout(&run_with_stdin(&["netpol", "-"], SHOP.as_bytes()));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("FROM"), "{out}");
    let row = lines
        .iter()
        .find(|l| l.starts_with("shop/web[Deployment]") && l.contains("shop/api[Deployment]"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("TCP 9090"), "{row}");
    // Nothing reaches `web`: the default deny closes it.
    assert!(
        !lines.iter().any(|l| l.contains("=> shop/web")
            || l.split_whitespace().nth(1) == Some("shop/web[Deployment]")),
        "{out}"
    );
    assert!(out.contains("2 workload(s)"), "{out}");
}

#[test]
fn connection_lists_mark_unknown_connections() {
    // The `api` namespace's own pods: no other namespace is among the files, so none is
    // listed; an ingress from outside the cluster is denied.
    let out = stdout(&run_with_stdin(
        &["netpol", "-", "-f", "connlist"],
        SHOP.as_bytes(),
    ));
    assert!(
        out.contains("shop/web[Deployment] => shop/api[Deployment] : TCP 9090\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "shop/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
        ),
        "{out}"
    );
    assert!(!out.contains("[External] => shop/"), "{out}");

    // A namespace without its object: whether it is `team: monitoring` is unknown.
    let other = format!(
        "{SHOP}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: prom, namespace: monitoring, labels: {{app: prom}}}}\nspec: {{containers: [{{name: c, image: 'prom:2'}}]}}\n"
    );
    let out = stdout(&run_with_stdin(
        &["netpol", "-", "-f", "connlist"],
        other.as_bytes(),
    ));
    assert!(
        out.contains("? monitoring/prom[Pod] => shop/api[Deployment] : TCP 9090\n"),
        "{out}"
    );
    let out = stdout(&run_with_stdin(
        &[
            "netpol",
            "-",
            "-f",
            "connlist",
            "--assume",
            "namespaces-only-named",
        ],
        other.as_bytes(),
    ));
    assert!(!out.contains("monitoring/prom[Pod] => shop/api"), "{out}");
}

#[test]
fn json_names_workloads_ranges_and_connection_sets() {
    let out = stdout(&run_with_stdin(
        &["netpol", "-", "-f", "json"],
        SHOP.as_bytes(),
    ));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["workloads"].as_array().unwrap().len(), 2);
    assert_eq!(doc["workloads"][0]["id"], "shop/web[Deployment]");
    assert_eq!(doc["external"]["ingress"][0], "0.0.0.0-255.255.255.255");
    let conn = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == "shop/web[Deployment]" && c["to"] == "shop/api[Deployment]")
        .unwrap();
    assert_eq!(conn["allowed"]["text"], "TCP 9090");
    assert_eq!(conn["allowed"]["ports"]["TCP"][0], "9090");
    assert_eq!(conn["unknown"]["text"], "No Connections");
}

#[test]
fn input_that_does_not_load_exits_2_without_a_list() {
    let out = run_with_stdin(&["netpol", "-"], b"kind: [unclosed\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:1:"));

    let dir = scratch_dir("netpol-empty");
    let out = palisade().arg("netpol").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// netpol-analyzer's expected list for a scenario, without the lines about an ingress
/// controller, which Palisade does not model.
fn expected(scenario: &str) -> String {
    let file = shared_dir()
        .join("corpus/netpol-analyzer/test_outputs/connlist")
        .join(format!("{scenario}_connlist_output.txt"));
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("{ingress-controller}"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn connection_lists_match_netpol_analyzer_under_its_assumptions() {
    for scenario in [
        "acs-security-demos",
        "onlineboutique_workloads",
        "with_end_port_example",
        "ipblockstest",
    ] {
        let dir = shared_dir()
            .join("corpus/netpol-analyzer/tests")
            .join(scenario);
        let out = palisade()
            .args([
                "netpol", "-f", "connlist", "-n", "default", "--assume", "all",
            ])
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(stdout(&out), expected(scenario), "{scenario}");
    }
}
