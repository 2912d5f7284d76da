//! Configuration, suppressions and baselines, as a team uses them.

mod common;

use std::path::PathBuf;

use common::{json, repo_root, run_in, scratch_dir};

fn tempdir(name: &str) -> PathBuf {
    scratch_dir(&format!("policy-{name}"))
}

fn rules(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: tools
  annotations:
    suppress.palisade.dev/host-namespaces: \"debug pod for node triage; expires 2999-01-01\"
    ignore-check.kube-linter.io/run-as-non-root: \"vendor image runs as root\"
    checkov.io/skip1: CKV_K8S_20=reviewed with the vendor
    suppress.palisade.dev/HRD001: \"temporary; expires 2001-01-01\"
spec:
  hostPID: true
  containers:
  - name: c
    image: registry.example.com/tools/debug:1.0
";

#[test]
fn annotation_suppressions_of_every_form() {
    let dir = tempdir("annotations");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));

    let suppressed = report["suppressed"].as_array().unwrap();
    let by_rule = |id: &str| suppressed.iter().find(|f| f["rule"] == id);
    let pss001 = by_rule("PSS001").expect("Palisade's own annotation");
    assert_eq!(pss001["suppression"]["kind"], "annotation");
    assert_eq!(pss001["suppression"]["reason"], "debug pod for node triage");
    assert_eq!(pss001["suppression"]["expires"], "2999-01-01");
    assert_eq!(pss001["suppression"]["location"]["line"], 7);
    assert_eq!(
        by_rule("PSS102").unwrap()["suppression"]["reason"],
        "vendor image runs as root"
    );
    assert_eq!(
        by_rule("PSS103").unwrap()["suppression"]["reason"],
        "reviewed with the vendor"
    );

    // The expired one no longer suppresses, and says so where it is written.
    assert!(rules(&report["findings"]).contains(&"HRD001".to_string()));
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "suppression-expired")
        .unwrap();
    assert_eq!(warning["location"]["line"], 10);
    assert_eq!(report["summary"]["suppressed"], 3);

    // A webhook-like run refuses annotations: everything counts again.
    let strict = json(&run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--ignore-annotation-suppressions",
            "pod.yaml",
        ],
    ));
    assert_eq!(strict["summary"]["suppressed"], 0);
    assert!(rules(&strict["findings"]).contains(&"PSS001".to_string()));
}

#[test]
fn suppressions_without_a_reason_or_rule_are_refused() {
    let dir = tempdir("refused");
    std::fs::write(
        dir.join("pod.yaml"),
        POD.replace(
            "    suppress.palisade.dev/HRD001: \"temporary; expires 2001-01-01\"\n",
            "    suppress.palisade.dev/HRD001: \"\"\n    suppress.palisade.dev/no-such-rule: \"why\"\n",
        ),
    )
    .unwrap();
    let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));
    let invalid: Vec<_> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "suppression-invalid")
        .map(|w| w["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(invalid, [10, 11]);
    assert!(rules(&report["findings"]).contains(&"HRD001".to_string()));
}

#[test]
fn configuration_suppressions_match_by_kind_name_namespace_and_path() {
    let dir = tempdir("config");
    std::fs::create_dir_all(dir.join("monitoring")).unwrap();
    std::fs::copy(
        repo_root().join("examples/insecure/node-agent.yaml"),
        dir.join("monitoring/agent.yaml"),
    )
    .unwrap();
    std::fs::copy(
        repo_root().join("examples/insecure/node-agent.yaml"),
        dir.join("other.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "suppressions:
  - rules: [privileged-container, PSS001]
    kinds: [DaemonSet]
    names: [node-agent]
    namespaces: [default]
    paths: [\"monitoring/**\"]
    reason: the node agent reads host metrics
  - rules: [rbac]
    reason: nothing here uses RBAC
",
    )
    .unwrap();
    let out = run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--report-unused-suppressions",
            ".",
        ],
    );
    let report = json(&out);
    let suppressed: Vec<(String, String)> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["suppression"]["kind"], "config");
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        suppressed,
        [
            ("monitoring/agent.yaml".to_string(), "PSS001".to_string()),
            ("monitoring/agent.yaml".to_string(), "PSS001".to_string()),
            ("monitoring/agent.yaml".to_string(), "PSS002".to_string()),
        ]
    );
    // The same object elsewhere is still reported.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["location"]["path"] == "other.yaml" && f["rule"] == "PSS002")
    );
    let unused: Vec<_> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "suppression-unused")
        .map(|w| w["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(unused, [8]);
}

#[test]
fn suppressed_results_appear_in_sarif_with_their_justification() {
    let dir = tempdir("sarif");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    let sarif = json(&run_in(&dir, &["scan", "--format", "sarif", "pod.yaml"]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 3);
    let s = &suppressed.iter().find(|r| r["ruleId"] == "PSS001").unwrap()["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(s["status"], "accepted");
    assert_eq!(
        s["justification"],
        "debug pod for node triage (until 2999-01-01)"
    );

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(
        validator.is_valid(&sarif),
        "{:?}",
        validator.iter_errors(&sarif).next().map(|e| e.to_string())
    );
}

#[test]
fn baseline_round_trip_reports_only_new_findings() {
    let dir = tempdir("baseline");
    let manifest =
        std::fs::read_to_string(repo_root().join("examples/insecure/node-agent.yaml")).unwrap();
    std::fs::write(dir.join("agent.yaml"), &manifest).unwrap();
    let out = run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--write-baseline",
            "baseline.json",
            "agent.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let baseline = std::fs::read_to_string(dir.join("baseline.json")).unwrap();
    assert!(
        !baseline.contains("\"line\""),
        "the baseline must not depend on lines"
    );

    // Nothing new: clean.
    assert_eq!(
        run_in(&dir, &["scan", "--baseline", "baseline.json", "agent.yaml"])
            .status
            .code(),
        Some(0)
    );

    // Move every line and add one problem: only the new one is reported.
    let changed = format!(
        "# moved down\n\n{}",
        manifest.replace(
            "      hostPID: true\n",
            "      hostPID: true\n      hostIPC: true\n"
        )
    );
    std::fs::write(dir.join("agent.yaml"), changed).unwrap();
    let out = run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "baseline.json",
            "agent.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(rules(&report["findings"]), ["PSS001"]);
    assert_eq!(report["findings"][0]["location"]["line"], 19);
    assert_eq!(report["suppressed"][0]["suppression"]["kind"], "baseline");

    // The file is sorted and rewriting it gives the same bytes.
    run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--write-baseline",
            "again.json",
            "agent.yaml",
        ],
    );
    run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--write-baseline",
            "again2.json",
            "agent.yaml",
        ],
    );
    assert_eq!(
        std::fs::read(dir.join("again.json")).unwrap(),
        std::fs::read(dir.join("again2.json")).unwrap()
    );
}

#[test]
fn configuration_errors_are_located_and_exit_2() {
    let dir = tempdir("config-errors");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    std::fs::write(dir.join(".palisade.yaml"), "fail-on: high\nselct: [pss]\n").unwrap();
    let out = run_in(&dir, &["scan", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".palisade.yaml:2:1: unknown key `selct`"),
        "{stderr}"
    );
}

#[test]
fn configuration_drives_the_scan_and_flags_win() {
    let dir = tempdir("config-drives");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "format: json\nfail-on: critical\nignore: [reliability]\nseverity: {image-tag-not-pinned: critical}\noverrides:\n  - paths: [\"pod.yaml\"]\n    ignore: [HRD002]\n",
    )
    .unwrap();
    let out = run_in(&dir, &["scan", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(0), "nothing critical");
    let report = json(&out);
    let found = rules(&report["findings"]);
    assert!(!found.iter().any(|r| r.starts_with("REL")), "{found:?}");
    assert!(
        !found.contains(&"HRD002".to_string()),
        "the override skips it for this path"
    );

    let flags = run_in(&dir, &["scan", "--fail-on", "low", "pod.yaml"]);
    assert_eq!(
        flags.status.code(),
        Some(1),
        "the flag replaces the file's fail-on"
    );

    let show = run_in(&dir, &["config", "show"]);
    let text = String::from_utf8(show.stdout).unwrap();
    assert!(
        text.contains("fail-on") && text.contains(".palisade.yaml:2)"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("pss-level") && l.ends_with("(default)")),
        "{text}"
    );
}

#[test]
fn a_mistake_in_the_serve_section_stops_scan_and_config_show() {
    let dir = tempdir("serve-section");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "fail-on: high\nserve:\n  defaults: {enforce: restrictd}\n",
    )
    .unwrap();
    for args in [&["scan", "pod.yaml"][..], &["config", "show"]] {
        let out = run_in(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(".palisade.yaml:3:23: `restrictd` is not one of"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn config_show_lists_the_serve_section_with_sources() {
    let dir = tempdir("serve-show");
    std::fs::write(
        dir.join(".palisade.yaml"),
        "serve:\n  defaults: {enforce: restricted}\n  namespaces:\n    payments: {enforce-version: v1.30, rules: enforce}\n  on-rule-error: allow\n",
    )
    .unwrap();
    let out = run_in(&dir, &["config", "show"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |start: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no `{start}` in {text}"))
            .to_string()
    };
    let defaults = line("serve.defaults");
    assert!(defaults.contains("enforce restricted:latest"), "{defaults}");
    assert!(defaults.ends_with(".palisade.yaml:2)"), "{defaults}");
    let payments = line("namespace");
    assert!(
        payments.contains("payments: enforce restricted:v1.30")
            && payments.contains("rules enforce"),
        "{payments}"
    );
    assert!(payments.ends_with(".palisade.yaml:4)"), "{payments}");
    assert!(line("serve.on-rule-error").contains("allow"));
    assert!(line("serve.workloads").ends_with("(default)"));
}

#[test]
fn configuration_errors_quote_values_as_written_and_locate_every_mistake() {
    let dir = tempdir("config-located");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "version.yaml",
            b"fail-on: high\npss-version: 1.30\n",
            "version.yaml:2:14: `1.30` is not `latest` or `v1.N`; write `v1.30`",
        ),
        (
            "serve-version.yaml",
            b"serve:\n  namespaces:\n    shop: {enforce-version: 1.30}\n",
            "serve-version.yaml:3:29: `1.30` is not `latest` or `v1.N`; write `v1.30`",
        ),
        (
            "glob.yaml",
            b"overrides:\n  - paths: [\"[invalid\"]\n    ignore: [REL004]\n",
            "glob.yaml:2:13: `[invalid` is not a valid glob",
        ),
        (
            "policies.yaml",
            b"policies: [nonexistent/]\n",
            "policies.yaml:1:12: cannot read `nonexistent/`",
        ),
        (
            "latin1.yaml",
            b"fail-on: high\nformat: text\nignore: []\n# caf\xe9\n",
            "latin1.yaml:4:6: not UTF-8",
        ),
    ];
    for (name, text, says) in cases {
        std::fs::write(dir.join(name), text).unwrap();
        let out = run_in(&dir, &["scan", "--config", name, "pod.yaml"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
}
