//! Custom rules (Rego modules and ValidatingAdmissionPolicies) as a team uses them with
//! `palisade scan` and `palisade rules`.

use std::path::PathBuf;
use std::process::Output;

use crate::common::{json, repo_root, run_in, run_with_stdin, scratch_dir};

fn tempdir(name: &str) -> PathBuf {
    scratch_dir(&format!("custom-{name}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn custom(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "custom")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

const CONFIG: &str = "examples/policies/.palisade.yaml";

#[test]
fn the_example_policies_flag_the_insecure_examples_and_pass_the_hardened_ones() {
    let root = repo_root();
    let out = run_in(
        &root,
        &[
            "scan",
            "--config",
            CONFIG,
            "--format",
            "json",
            "examples/insecure",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        custom(&report),
        vec![
            ("ORG001".to_string(), 23),
            ("ORG002".to_string(), 27),
            ("ORG001".to_string(), 29)
        ]
    );
    let org001 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "ORG001")
        .unwrap();
    assert_eq!(org001["name"], "image-from-company-registry");
    assert_eq!(org001["severity"], "high");
    assert_eq!(org001["location"]["column"], 11);

    let out = run_in(
        &root,
        &[
            "scan",
            "--config",
            CONFIG,
            "--format",
            "json",
            "examples/hardened",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(custom(&json(&out)).is_empty());
}

#[test]
fn custom_rules_are_in_the_catalog_and_explained() {
    let root = repo_root();
    let out = run_in(&root, &["rules", "--config", CONFIG, "--format", "json"]);
    let list = json(&out);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "custom")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ORG001", "ORG002"]);

    let out = run_in(
        &root,
        &[
            "rules",
            "explain",
            "pinned-images",
            "--policy",
            "examples/policies/pinned-images.yaml",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        text.contains("ORG002") && text.contains("## What it checks"),
        "{text}"
    );
    assert!(text.contains("c.image.contains('@')"), "{text}");
}

#[test]
fn custom_rules_go_through_selection_suppressions_and_every_format() {
    let dir = tempdir("formats");
    let policies = repo_root().join("examples/policies");
    std::fs::write(
        dir.join(".palisade.yaml"),
        format!(
            "policies: ['{}']\nselect: [custom]\nseverity: {{ORG001: critical}}\n",
            policies.join("allowed-repos.rego").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("pods.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop}\nspec:\n  containers: [{name: c, image: 'nginx:1.27'}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n  namespace: shop\n  annotations:\n    suppress.palisade.dev/ORG001: \"mirrored upstream image, reviewed\"\nspec:\n  containers: [{name: c, image: 'nginx:1.27'}]\n",
    )
    .unwrap();

    let report = json(&run_in(&dir, &["scan", "--format", "json", "pods.yaml"]));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["severity"], "critical");
    assert_eq!(findings[0]["location"]["line"], 5);
    assert_eq!(report["suppressed"][0]["rule"], "ORG001");

    let sarif = json(&run_in(&dir, &["scan", "--format", "sarif", "pods.yaml"]));
    let rules = &sarif["runs"][0]["tool"]["driver"]["rules"];
    assert!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "ORG001"),
        "{rules:#}"
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().any(|r| r["suppressions"].is_array()));

    let junit = run_in(&dir, &["scan", "--format", "junit", "pods.yaml"]);
    assert!(String::from_utf8_lossy(&junit.stdout).contains("ORG001"));

    let ignored = run_in(
        &dir,
        &[
            "scan",
            "--extend-select",
            "network",
            // The pods' namespace has no default deny; that is not what this is about.
            "--ignore",
            "image-from-company-registry,NPL001,NPL002",
            "pods.yaml",
        ],
    );
    assert_eq!(ignored.status.code(), Some(0), "{}", stderr(&ignored));
}

#[test]
fn broken_policies_are_located_errors() {
    let dir = tempdir("broken");
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bad.yaml"),
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: bad}\nspec:\n  matchConstraints:\n    resourceRules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods]}]\n  validations:\n  - expression: \"object.spec.containers.all(c, \"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bad.rego"),
        "package p\n\ndeny contains msg if {\n",
    )
    .unwrap();

    let out = run_in(&dir, &["scan", "--policy", "bad.yaml", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.yaml:8:17:") && err.contains("does not compile"),
        "{err}"
    );

    let out = run_in(&dir, &["scan", "--policy", "bad.rego", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.rego:4:"), "{}", stderr(&out));

    std::fs::write(dir.join(".palisade.yaml"), "policies: [missing.rego]\n").unwrap();
    let out = run_in(&dir, &["scan", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(".palisade.yaml:1:12: cannot read `missing.rego`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_module_calling_an_unavailable_builtin_is_refused_when_loaded() {
    let dir = tempdir("unavailable-builtin");
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("send.rego"),
        "package org.send\nimport rego.v1\n\ndeny contains msg if {\n  r := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1/\"})\n  msg := sprintf(\"%v\", [r.status_code])\n}\n",
    )
    .unwrap();
    let out = run_in(&dir, &["scan", "--policy", "send.rego", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("send.rego:5:") && err.contains("`http.send`"),
        "{err}"
    );
}

#[test]
fn admission_policies_among_the_scanned_files_judge_the_other_objects() {
    let root = repo_root();
    let out = run_in(
        &root,
        &[
            "scan",
            "--format",
            "json",
            "examples/insecure",
            "examples/hardened",
            // Not first: the folder's .palisade.yaml would be the configuration.
            "examples/policies/pinned-images.yaml",
        ],
    );
    let report = json(&out);
    assert_eq!(custom(&report), vec![("ORG002".to_string(), 27)]);
    // The policy and its binding are counted as policies, not as objects left unchecked.
    assert_eq!(report["summary"]["policies"], 2);
    assert!(
        report["summary"]["not_checked"]
            .get("ValidatingAdmissionPolicy")
            .is_none(),
        "{}",
        report["summary"]
    );
    let sarif = json(&run_in(
        &root,
        &[
            "scan",
            "--format",
            "sarif",
            "examples/insecure",
            "examples/policies/pinned-images.yaml",
        ],
    ));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().any(|r| r["id"] == "ORG002"));

    // Only when custom rules are selected.
    let report = json(&run_in(
        &root,
        &[
            "scan",
            "--format",
            "json",
            "--select",
            "pss",
            "examples/insecure",
            "examples/policies/pinned-images.yaml",
        ],
    ));
    assert!(custom(&report).is_empty());
    // Not read as rules, they are simply objects no rule checks.
    assert_eq!(report["summary"]["policies"], 0);
    assert_eq!(
        report["summary"]["not_checked"]["ValidatingAdmissionPolicy"],
        1
    );

    // A policy in the scanned files that does not compile is a located error.
    let dir = tempdir("scanned-broken");
    let broken = std::fs::read_to_string(root.join("examples/policies/pinned-images.yaml"))
        .unwrap()
        .replace(
            "variables.containers.all(c,",
            "variables.containers.all(c,,",
        );
    std::fs::write(dir.join("policy.yaml"), broken).unwrap();
    let out = run_in(&dir, &["scan", "--format", "json", "policy.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let error = &json(&out)["errors"][0];
    assert_eq!(error["kind"], "policy", "{error}");
    assert_eq!(error["location"]["line"], 25, "{error}");
}

#[test]
fn admission_policies_on_standard_input_are_read_once_and_applied() {
    let policy =
        std::fs::read_to_string(repo_root().join("examples/policies/pinned-images.yaml")).unwrap();
    let stream = format!(
        "{policy}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  template:\n    spec:\n      containers: [{{name: c, image: nginx}}]\n"
    );
    let out = run_with_stdin(
        &["scan", "--select", "custom", "--format", "json", "-"],
        stream.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["summary"]["objects"], 3);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule"], "ORG002");
    assert_eq!(findings[0]["location"]["path"], "<stdin>");
}

#[test]
fn conftest_modules_share_package_main_and_a_policy_loads_once_from_two_places() {
    let dir = tempdir("main-packages");
    let module = |msg: &str| {
        format!(
            "package main\nimport rego.v1\n\ndeny contains \"{msg}\" if {{\n  input.kind == \"Pod\"\n}}\n"
        )
    };
    std::fs::write(dir.join("a.rego"), module("from a")).unwrap();
    std::fs::write(dir.join("b.rego"), module("from b")).unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "policies: [a.rego]\nselect: [custom]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n",
    )
    .unwrap();
    let out = run_in(
        &dir,
        &[
            "scan", "--format", "json", "--policy", "a.rego", "--policy", "b.rego", "pod.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut ids: Vec<String> = custom(&json(&out)).into_iter().map(|(id, _)| id).collect();
    ids.sort();
    assert_eq!(ids, ["main.a", "main.b"]);
}

#[test]
fn a_scanned_binding_whose_policy_is_elsewhere_is_a_warning() {
    let dir = tempdir("orphan-binding");
    std::fs::write(
        dir.join("binding.yaml"),
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: b}\nspec: {policyName: installed-elsewhere, validationActions: [Deny]}\n",
    )
    .unwrap();
    let out = run_in(&dir, &["scan", "--format", "json", "binding.yaml"]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["warnings"][0]["kind"], "policy", "{report:#}");
    assert_eq!(report["warnings"][0]["location"]["line"], 4);
}

#[test]
fn a_loaded_policy_that_is_also_scanned_can_still_be_ignored() {
    let out = run_in(
        &repo_root(),
        &[
            "scan",
            "--config",
            CONFIG,
            "--ignore",
            "ORG002",
            "--format",
            "json",
            "examples/insecure",
            "examples/policies/pinned-images.yaml",
        ],
    );
    let found: Vec<String> = custom(&json(&out)).into_iter().map(|(id, _)| id).collect();
    assert_eq!(found, ["ORG001", "ORG001"], "{}", stderr(&out));
}
