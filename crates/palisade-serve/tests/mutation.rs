//! Mutation: the patch `/mutate` returns is applied the way the API server applies it, and
//! the patched pod then passes the rules each change is for. Pods in namespaces that did not
//! opt in, and pods that need nothing, get no patch.

use crate::common;

use std::sync::Arc;

use crate::common::{Client, response, review, temp_dir, write_certs};
use base64::Engine as _;
use palisade_engine::{Engine, Selection};
use palisade_model::{PodKindTable, objects_from_document};
use palisade_rules::Settings;

const CONFIG: &str = "serve:\n  namespaces:\n    shop: {mutate: true}\n";

/// Rules the mutation exists to satisfy.
const FIXED_RULES: &[&str] = &["PSS103", "PSS104", "PSS105", "HRD002"];

/// A pod as the API server passes it on after the ServiceAccount admission plugin: the token
/// volume is already injected and mounted.
const BARE: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},"spec":{
  "serviceAccountName":"default",
  "securityContext":{"runAsNonRoot":true},
  "initContainers":[{"name":"init","image":"busybox:1.36","volumeMounts":[{"name":"kube-api-access-x1","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}]}],
  "containers":[
    {"name":"web","image":"nginx:1.27","volumeMounts":[{"name":"data","mountPath":"/data"},{"name":"kube-api-access-x1","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}]},
    {"name":"side","image":"envoy:1.30","securityContext":{"capabilities":{"drop":["NET_RAW"]}},"volumeMounts":[{"name":"kube-api-access-x1","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}]},
    {"name":"tool","image":"tool:2","securityContext":{"readOnlyRootFilesystem":true}}
  ],
  "volumes":[{"name":"data","emptyDir":{}},{"name":"kube-api-access-x1","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt"}}]}}]
}}"#;

/// A pod whose choices the mutation must respect.
const DELIBERATE: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"agent","namespace":"shop"},"spec":{
  "serviceAccountName":"agent",
  "securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"Localhost","localhostProfile":"agent.json"}},
  "containers":[
    {"name":"priv","image":"agent:1","securityContext":{"privileged":true}},
    {"name":"admin","image":"agent:1","securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}},
    {"name":"bind","image":"agent:1","securityContext":{"allowPrivilegeEscalation":true,"capabilities":{"add":["NET_BIND_SERVICE"]}}}
  ]
}}"#;

fn findings(engine: &Engine, pod: &serde_json::Value) -> Vec<String> {
    let node = palisade_serve::json::parse(&pod.to_string()).unwrap();
    let obj = objects_from_document(
        palisade_load::Document {
            index: 0,
            root: node,
        },
        &PodKindTable::default(),
    )
    .objects
    .remove(0);
    let file: Arc<str> = Arc::from("patched");
    engine
        .check_object(&obj, &file)
        .findings
        .iter()
        .map(|f| format!("{} {} {}", f.rule.id, f.field, f.message))
        .collect()
}

fn apply(pod: &str, patch_b64: &str) -> serde_json::Value {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(patch_b64)
        .unwrap();
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(pod).unwrap();
    json_patch::patch(&mut doc, &patch).unwrap();
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patched_pods_pass_the_rules_the_patch_is_for() {
    let certs = write_certs(&temp_dir("mutation"));
    let server = common::start(CONFIG, &certs).await;
    let client = Client::new(&certs.ca_pem, server.addr);
    let engine = Engine::new(
        &Selection::default(),
        Settings::default(),
        PodKindTable::default(),
    )
    .unwrap();

    let before = findings(&engine, &serde_json::from_str(BARE).unwrap());
    for rule in FIXED_RULES {
        assert!(
            before.iter().any(|f| f.starts_with(rule)),
            "{rule} should fail first: {before:?}"
        );
    }
    let (status, body) = client
        .post(
            "/mutate",
            review("m1", "pods", "Pod", "shop", "CREATE", BARE).as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    let r = response(&body);
    assert_eq!(r["allowed"], true);
    assert_eq!(r["patchType"], "JSONPatch");
    let patched = apply(BARE, r["patch"].as_str().unwrap());
    let after = findings(&engine, &patched);
    for rule in FIXED_RULES {
        assert!(
            !after.iter().any(|f| f.starts_with(rule)),
            "{rule} still fails: {after:#?}"
        );
    }
    // The token is gone from every container, the other volume and mounts stay.
    let spec = &patched["spec"];
    assert_eq!(spec["automountServiceAccountToken"], false);
    assert_eq!(spec["volumes"].as_array().unwrap().len(), 1);
    assert_eq!(spec["containers"][0]["volumeMounts"][0]["name"], "data");
    assert!(
        spec["containers"][1]["volumeMounts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        spec["containers"][1]["securityContext"]["capabilities"]["drop"],
        serde_json::json!(["NET_RAW", "ALL"])
    );
    assert_eq!(
        spec["containers"][2]["securityContext"]["readOnlyRootFilesystem"],
        true
    );

    // Patched once, nothing more to add: re-invocation is harmless.
    let again = review("m2", "pods", "Pod", "shop", "CREATE", &patched.to_string());
    let (_, body) = client.post("/mutate", again.as_bytes()).await.unwrap();
    assert!(response(&body).get("patch").is_none());

    // And the validating webhook now admits it at restricted.
    let strict = "serve:\n  defaults: {enforce: restricted}\n";
    let validator = common::start(strict, &certs).await;
    let v = Client::new(&certs.ca_pem, validator.addr);
    let (_, body) = v
        .post(
            "/validate",
            review("v1", "pods", "Pod", "shop", "CREATE", &patched.to_string()).as_bytes(),
        )
        .await
        .unwrap();
    let r = response(&body);
    assert_eq!(r["allowed"], true, "{r}");
    validator.shutdown().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutation_respects_deliberate_choices_and_opt_in() {
    let certs = write_certs(&temp_dir("mutation-choices"));
    let server = common::start(CONFIG, &certs).await;
    let client = Client::new(&certs.ca_pem, server.addr);

    let (_, body) = client
        .post(
            "/mutate",
            review("d", "pods", "Pod", "shop", "CREATE", DELIBERATE).as_bytes(),
        )
        .await
        .unwrap();
    let r = response(&body);
    let patched = match r["patch"].as_str() {
        Some(p) => apply(DELIBERATE, p),
        None => serde_json::from_str(DELIBERATE).unwrap(),
    };
    let original: serde_json::Value = serde_json::from_str(DELIBERATE).unwrap();
    // Nothing is changed: privileged and SYS_ADMIN containers cannot take
    // allowPrivilegeEscalation: false, added capabilities mean no drop of ALL, the profile
    // and the dedicated account are the pod's own choices.
    assert_eq!(patched, original, "{r}");

    // Not opted in: no patch, whatever the pod lacks.
    let (_, body) = client
        .post(
            "/mutate",
            review("o", "pods", "Pod", "other", "CREATE", BARE).as_bytes(),
        )
        .await
        .unwrap();
    let r = response(&body);
    assert_eq!(r["allowed"], true);
    assert!(r.get("patch").is_none(), "{r}");

    // Updates, other kinds and Windows pods: nothing to add at creation-time only fields.
    let windows = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"w"},"spec":{"os":{"name":"windows"},"automountServiceAccountToken":false,"containers":[{"name":"c","image":"iis:1"}]}}"#;
    for (uid, op, obj) in [("u", "UPDATE", BARE), ("w", "CREATE", windows)] {
        let (_, body) = client
            .post(
                "/mutate",
                review(uid, "pods", "Pod", "shop", op, obj).as_bytes(),
            )
            .await
            .unwrap();
        assert!(response(&body).get("patch").is_none(), "{uid}");
    }
    server.shutdown().await.unwrap();
}
