//! Every upstream Pod Security Admission fixture, sent to a real server over TLS as a Pod
//! and as a Deployment: the webhook's verdict must be the scan's verdict (and upstream's).
//!
//! Each level and version gets a namespace whose configured enforce level is that profile
//! (`baseline-v1-25` enforces `baseline:v1.25`). Pods there must be refused exactly when a
//! scan at that profile finds something; Deployments are never refused and get warnings
//! exactly then.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::common::{Client, response, review, shared_dir, temp_dir, write_certs, yaml_to_json};
use palisade_engine::{Engine, Selection};
use palisade_model::PodKindTable;
use palisade_rules::{PssLevel, PssVersion, Settings};

const EXPECTED_FIXTURES: usize = 4537;
const CONNECTIONS: usize = 4;

struct Case {
    name: String,
    namespace: String,
    upstream_fails: bool,
    scan_fails: bool,
    pod_json: String,
}

fn cases() -> (Vec<Case>, Vec<String>) {
    let root = shared_dir().join("conformance/pod-security-admission");
    let mut cases = Vec::new();
    let mut namespaces = Vec::new();
    for level in ["baseline", "restricted"] {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join(level))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        versions.sort();
        for dir in versions {
            let version = dir.file_name().unwrap().to_string_lossy().to_string();
            let namespace = format!("{level}-{}", version.replace('.', "-"));
            namespaces.push(format!(
                "    {namespace}: {{enforce: {level}, enforce-version: {version}}}\n"
            ));
            let settings = Settings {
                pss_level: PssLevel::parse(level).unwrap(),
                pss_version: PssVersion::parse(&version).unwrap(),
                ..Settings::default()
            };
            let selection = Selection {
                select: vec!["pss".into()],
                ..Selection::default()
            };
            let engine = Engine::new(&selection, settings, PodKindTable::default()).unwrap();
            for expect in ["pass", "fail"] {
                let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(expect))
                    .map(|rd| rd.map(|e| e.unwrap().path()).collect())
                    .unwrap_or_default();
                files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
                files.sort();
                for file in files {
                    let text = std::fs::read_to_string(&file).unwrap();
                    let scan = engine.scan_text(&file.display().to_string(), &text);
                    let pod_json = yaml_to_json(&text);
                    same_tree_as_the_loader(&pod_json);
                    assert!(scan.diagnostics.is_empty(), "{}", file.display());
                    cases.push(Case {
                        name: format!(
                            "{level}/{version}/{expect}/{}",
                            file.file_name().unwrap().to_string_lossy()
                        ),
                        namespace: namespace.clone(),
                        upstream_fails: expect == "fail",
                        scan_fails: !scan.findings.is_empty(),
                        pod_json,
                    });
                }
            }
        }
    }
    (cases, namespaces)
}

/// The webhook reads JSON straight into the loader's tree; it must be the tree the loader
/// (which `palisade scan` uses for JSON files) builds from the same text.
fn same_tree_as_the_loader(json: &str) {
    let fast = palisade_serve::json::parse(json).unwrap();
    let mut parsed = palisade_load::parse_str(json, &palisade_load::Limits::default());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let loaded = palisade_serve::json::strip_spans(&parsed.documents.remove(0).root);
    assert_eq!(fast, loaded, "{json}");
}

/// The pod's metadata and spec as a Deployment's template.
fn as_deployment(pod_json: &str) -> String {
    let pod: serde_json::Value = serde_json::from_str(pod_json).unwrap();
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w"},
        "spec": {"template": {"metadata": pod["metadata"], "spec": pod["spec"]}},
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_verdicts_match_scan_verdicts_for_every_fixture() {
    let (cases, namespaces) = cases();
    assert_eq!(cases.len(), EXPECTED_FIXTURES, "fixture count");
    for c in &cases {
        assert_eq!(
            c.scan_fails, c.upstream_fails,
            "scan disagrees with upstream: {}",
            c.name
        );
    }

    let config = format!(
        "serve:\n  defaults: {{enforce: privileged, audit: privileged, warn: privileged, rules: off}}\n  namespaces:\n{}",
        namespaces.concat()
    );
    let certs = write_certs(&temp_dir("conformance"));
    let server = common::start(&config, &certs).await;
    let client = Client::new(&certs.ca_pem, server.addr);

    let cases = Arc::new(cases);
    let mut tasks = Vec::new();
    for worker in 0..CONNECTIONS {
        let cases = cases.clone();
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = client.connect().await.unwrap();
            let mut disagreements = Vec::new();
            for (i, c) in cases.iter().enumerate().skip(worker).step_by(CONNECTIONS) {
                let pod = review(
                    &format!("pod-{i}"),
                    "pods",
                    "Pod",
                    &c.namespace,
                    "CREATE",
                    &c.pod_json,
                );
                let (status, body) = conn
                    .post("/validate?timeout=10s", pod.as_bytes())
                    .await
                    .unwrap();
                assert_eq!(status, 200, "{}", c.name);
                let r = response(&body);
                assert_eq!(r["uid"], format!("pod-{i}"));
                let denied = r["allowed"] == false;
                if denied != c.scan_fails {
                    disagreements.push(format!(
                        "Pod {}: webhook denied={denied}, scan failed={}",
                        c.name, c.scan_fails
                    ));
                }
                if denied {
                    let message = r["status"]["message"].as_str().unwrap_or_default();
                    assert!(
                        message.contains("violates PodSecurity") && message.contains("PSS"),
                        "{message}"
                    );
                    assert_eq!(r["status"]["code"], 403);
                }

                let deployment = review(
                    &format!("deploy-{i}"),
                    "deployments",
                    "Deployment",
                    &c.namespace,
                    "CREATE",
                    &as_deployment(&c.pod_json),
                );
                let (status, body) = conn.post("/validate", deployment.as_bytes()).await.unwrap();
                assert_eq!(status, 200);
                let r = response(&body);
                let warned = r["warnings"].as_array().is_some_and(|w| !w.is_empty());
                if r["allowed"] != true || warned != c.scan_fails {
                    disagreements.push(format!(
                        "Deployment {}: allowed={}, warned={warned}, scan failed={}",
                        c.name, r["allowed"], c.scan_fails
                    ));
                }
            }
            disagreements
        }));
    }
    let mut disagreements = Vec::new();
    for t in tasks {
        disagreements.extend(t.await.unwrap());
    }
    let by_kind: BTreeMap<&str, usize> = disagreements.iter().fold(BTreeMap::new(), |mut m, d| {
        *m.entry(d.split(' ').next().unwrap_or("")).or_default() += 1;
        m
    });
    assert!(
        disagreements.is_empty(),
        "{} disagreements ({by_kind:?}):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    server.shutdown().await.unwrap();
}
