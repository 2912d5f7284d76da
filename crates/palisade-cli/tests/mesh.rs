//! End-to-end tests of the mesh rules: the worked example of `docs/mesh.md` reports what the
//! page says, and the Istio part of the corpus scans without errors.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{json, repo_root, run_with_stdin, shared_dir};

/// `(rule, field)` of every finding of a JSON report.
fn rule_fields(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap_or_default().to_string();
            (text("rule"), text("field"))
        })
        .collect()
}

#[test]
fn the_worked_example_reports_what_the_mesh_page_says() {
    let page = std::fs::read_to_string(repo_root().join("docs/mesh.md")).unwrap();
    let start = page
        .find("# shop.yaml\n")
        .expect("the example's first line");
    let end = start + page[start..].find("```").expect("the example's end");
    let example = &page[start..end];

    let args = ["scan", "--select", "mesh", "--format", "json", "-"];
    let out = run_with_stdin(&args, example.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let expected: BTreeSet<(String, String)> = [
        ("MESH005", "spec.http[0].match[0].headers.x-tester.regex"),
        ("MESH001", "spec.http[1].route[0].destination.host"),
        ("MESH002", "spec.http[1].route[1].destination.subset"),
        ("MESH004", "spec.http[1].route"),
        ("MESH003", "spec.http[1].mirror.host"),
    ]
    .into_iter()
    .map(|(r, f)| (r.to_string(), f.to_string()))
    .collect();
    assert_eq!(rule_fields(&json(&out)), expected);

    // The VirtualService alone: only what one object shows.
    let alone = &example[example.find("kind: VirtualService").unwrap()..];
    let alone = format!("apiVersion: networking.istio.io/v1\n{alone}");
    let out = run_with_stdin(&args, alone.as_bytes());
    let rules: BTreeSet<String> = rule_fields(&json(&out))
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(rules, BTreeSet::from(["MESH004".into(), "MESH005".into()]));
}

#[test]
fn the_istio_corpus_scans_without_errors() {
    let corpus = shared_dir().join("corpus");
    let out = common::palisade()
        .current_dir(&corpus)
        .args([
            "scan",
            "--select",
            "mesh,SVC012",
            "--format",
            "json",
            "--fail-on",
            "none",
        ])
        .args(["istio", "microservices-demo"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["summary"]["errors"], 0);
    let found = rule_fields(&report);
    for expected in [
        ("MESH001", "spec.http[0].route[0].destination.host"),
        ("MESH006", "spec.mtls.mode"),
        ("MESH008", "kind"),
    ] {
        let expected = (expected.0.to_string(), expected.1.to_string());
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
}
