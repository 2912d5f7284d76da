//! The custom rules of `examples/policies/` (a Rego module and a CEL
//! ValidatingAdmissionPolicy) judged by a real server over TLS and by a scan of the same
//! objects with the same configuration: the webhook refuses exactly the objects the scan
//! finds something in, and names the same rules.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common::{Client, response, review, temp_dir, write_certs};
use palisade_engine::{Config, Engine, Selection};
use palisade_model::PodKindTable;
use palisade_rules::Settings;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every object of the bundled examples, plus variants that each policy judges differently.
fn objects() -> Vec<(String, palisade_load::Node)> {
    let mut texts = Vec::new();
    for dir in ["examples/hardened", "examples/insecure"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            texts.push(std::fs::read_to_string(f).unwrap());
        }
    }
    let deployment = |image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: shop}}\nspec:\n  template:\n    spec:\n      containers: [{{name: app, image: '{image}'}}]\n"
        )
    };
    texts.push(deployment("registry.example.com/shop/web:1.0"));
    texts.push(deployment("registry.example.com/shop/web:latest"));
    texts.push(deployment("registry.example.com/shop/web"));
    texts.push(deployment("registry.example.com:5000/shop/web"));
    texts.push(deployment("registry.example.com/shop/web@sha256:0123"));
    texts.push(deployment("docker.io/library/nginx:1.27"));
    texts.push(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: app, image: 'nginx:latest'}]\n".into(),
    );

    let mut out = Vec::new();
    for text in texts {
        let parsed = palisade_load::parse_str(&text, &palisade_load::Limits::default());
        for doc in parsed.documents {
            for obj in palisade_model::objects_from_document(doc, &PodKindTable::default()).objects
            {
                out.push((text.clone(), obj.root));
            }
        }
    }
    out
}

fn resource_of(kind: &str) -> String {
    format!("{}s", kind.to_ascii_lowercase())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rego_and_cel_rules_give_the_same_verdict_in_scan_and_serve() {
    let policies = repo_root().join("examples/policies");
    let config_text = format!(
        "select: [custom]\npolicies: ['{}', '{}']\nserve:\n  defaults: {{enforce: privileged, audit: privileged, warn: privileged, rules: enforce}}\n",
        policies.join("allowed-repos.rego").display(),
        policies.join("pinned-images.yaml").display(),
    );
    let config = Config::parse(".palisade.yaml", &config_text).unwrap();
    assert_eq!(config.custom_rules, vec!["ORG001", "ORG002"]);
    let selection = Selection {
        select: config.select.value.clone(),
        ..Selection::default()
    };
    let engine = Engine::new(&selection, Settings::default(), PodKindTable::default()).unwrap();

    let certs = write_certs(&temp_dir("custom-rules"));
    let server = common::start(&config_text, &certs).await;
    let client = Client::new(&certs.ca_pem, server.addr);
    let mut conn = client.connect().await.unwrap();

    let mut judged = 0;
    let mut refused = 0;
    for (i, (_, root)) in objects().into_iter().enumerate() {
        let json = palisade_serve::json::to_json(&root);
        let kind = json["kind"].as_str().unwrap().to_string();
        let namespace = json["metadata"]["namespace"].as_str().unwrap_or("shop");
        let text = json.to_string();

        let scan = engine.scan_text("object.json", &text);
        assert!(scan.diagnostics.is_empty(), "{:?}", scan.diagnostics);
        let scan_rules: BTreeSet<&str> = scan.findings.iter().map(|f| f.rule.id).collect();

        let body = review(
            &format!("uid-{i}"),
            &resource_of(&kind),
            &kind,
            namespace,
            "CREATE",
            &text,
        );
        let (status, answer) = conn.post("/validate", body.as_bytes()).await.unwrap();
        assert_eq!(status, 200);
        let r = response(&answer);
        let allowed = r["allowed"] == true;
        assert_eq!(
            allowed,
            scan_rules.is_empty(),
            "{kind} {text}: webhook allowed={allowed}, scan found {scan_rules:?}: {r}"
        );
        let message = r["status"]["message"].as_str().unwrap_or_default();
        for rule in &scan_rules {
            assert!(message.contains(rule), "{rule} missing from `{message}`");
        }
        judged += 1;
        refused += usize::from(!allowed);
    }
    // Both outcomes occur, so the comparison can fail either way.
    assert!(refused >= 4, "{refused} of {judged} refused");
    assert!(judged - refused >= 4, "{refused} of {judged} refused");
}
