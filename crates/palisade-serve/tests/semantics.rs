//! What the answers say: Pod Security Admission's modes, workloads, namespaces, updates,
//! subresources and exemptions; Palisade's own rule modes; suppressions. These go through
//! the decision code directly, with reviews decoded from the wire format.

use crate::common::review;
use palisade_engine::Config;
use palisade_serve::Verdicts;
use palisade_serve::review::{Response, parse};

const PRIVILEGED_POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":true}}]}}"#;
const PLAIN_POD: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}"#;

fn verdicts(yaml: &str) -> Verdicts {
    let config = Config::parse(".palisade.yaml", yaml).unwrap();
    let serve = config.serve.value.clone();
    Verdicts::new(&config, serve).unwrap()
}

fn validate(v: &Verdicts, body: &str) -> Response {
    v.validate(&mut parse(body.as_bytes()).unwrap()).response
}

fn message(r: &Response) -> &str {
    r.status.as_ref().map_or("", |s| s.message.as_str())
}

fn deployment(pod: &str) -> String {
    let pod: serde_json::Value = serde_json::from_str(pod).unwrap();
    serde_json::json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
        "spec":{"template":{"metadata":{},"spec":pod["spec"]}}})
    .to_string()
}

/// A review with `oldObject`, a subresource, a user or dryRun set.
fn with(body: &str, key: &str, value: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["request"][key] = serde_json::from_str(value).unwrap();
    v.to_string()
}

#[test]
fn pods_failing_the_enforce_level_are_refused_naming_each_rule_and_field() {
    let v = verdicts("serve:\n  defaults: {enforce: restricted, rules: off}\n");
    let r = validate(&v, &review("u", "pods", "Pod", "shop", "CREATE", PLAIN_POD));
    assert!(!r.allowed);
    let status = r.status.as_ref().unwrap();
    assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
    let m = message(&r);
    assert!(
        m.starts_with("violates PodSecurity \"restricted:latest\": "),
        "{m}"
    );
    for part in [
        "PSS102 run-as-non-root",
        "PSS103 allow-privilege-escalation",
        "spec.containers[0].securityContext.allowPrivilegeEscalation",
        "PSS105 capabilities-restricted",
    ] {
        assert!(m.contains(part), "{part} missing from {m}");
    }
    assert_eq!(r.audit_annotations["enforce-policy"], "restricted:latest");
    assert!(r.warnings.is_empty(), "no warnings on a refusal");
}

#[test]
fn audit_and_warn_modes_admit_with_annotations_and_warnings() {
    let v = verdicts(
        "serve:\n  defaults: {enforce: baseline, audit: restricted, warn: restricted, rules: off}\n",
    );
    let r = validate(&v, &review("u", "pods", "Pod", "shop", "CREATE", PLAIN_POD));
    assert!(r.allowed);
    assert!(
        r.audit_annotations["audit-violations"]
            .starts_with("would violate PodSecurity \"restricted:latest\"")
    );
    assert!(
        r.warnings
            .iter()
            .all(|w| w.starts_with("would violate PodSecurity \"restricted:latest\": PSS"))
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("PSS103")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn workloads_are_warned_not_refused_unless_configured() {
    let body = review(
        "u",
        "deployments",
        "Deployment",
        "shop",
        "CREATE",
        &deployment(PRIVILEGED_POD),
    );
    let r = validate(&verdicts("serve:\n  defaults: {rules: off}\n"), &body);
    assert!(r.allowed);
    assert!(
        r.warnings.iter().any(|w| w.contains("PSS002")),
        "{:?}",
        r.warnings
    );
    assert!(!r.audit_annotations.contains_key("enforce-policy"));

    let r = validate(
        &verdicts("serve:\n  workloads: enforce\n  defaults: {rules: off}\n"),
        &body,
    );
    assert!(!r.allowed);
    assert!(message(&r).contains("PSS002"));
}

#[test]
fn namespaces_with_invalid_pod_security_labels_are_refused() {
    let v = verdicts("");
    let ns = |labels: &str| {
        format!(
            r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"shop","labels":{labels}}}}}"#
        )
    };
    let good = ns(
        r#"{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/enforce-version":"v1.30"}"#,
    );
    let bad = ns(r#"{"pod-security.kubernetes.io/enforce":"strict"}"#);
    let mk = |obj: &str, op: &str| {
        let mut b = review("n", "namespaces", "Namespace", "", op, obj);
        b = with(&b, "name", "\"shop\"");
        b
    };
    assert!(validate(&v, &mk(&good, "CREATE")).allowed);
    let r = validate(&v, &mk(&bad, "CREATE"));
    assert!(!r.allowed);
    assert_eq!(r.status.as_ref().unwrap().code, 422);
    assert!(
        message(&r).contains("pod-security.kubernetes.io/enforce")
            && message(&r).contains("strict")
    );
    // An update that leaves already-bad labels as they were is not blocked.
    let unchanged = with(&mk(&bad, "UPDATE"), "oldObject", &bad);
    assert!(validate(&v, &unchanged).allowed);
    let broken = with(&mk(&bad, "UPDATE"), "oldObject", &good);
    assert!(!validate(&v, &broken).allowed);
}

#[test]
fn pod_updates_are_judged_only_when_significant() {
    let v = verdicts("serve:\n  defaults: {rules: off}\n");
    let relabel = PRIVILEGED_POD.replace(r#""name":"p"}"#, r#""name":"p","labels":{"a":"b"}}"#);
    let update = with(
        &review("u", "pods", "Pod", "shop", "UPDATE", &relabel),
        "oldObject",
        PRIVILEGED_POD,
    );
    assert!(validate(&v, &update).allowed);
    let new_image = PRIVILEGED_POD.replace("nginx:1.27", "nginx:1.28");
    let update = with(
        &review("u", "pods", "Pod", "shop", "UPDATE", &new_image),
        "oldObject",
        PRIVILEGED_POD,
    );
    assert!(!validate(&v, &update).allowed);
}

#[test]
fn subresources_are_ignored_except_ephemeral_containers() {
    let v = verdicts("serve:\n  defaults: {rules: off}\n");
    for (sub, allowed) in [
        ("exec", true),
        ("status", true),
        ("log", true),
        ("ephemeralcontainers", false),
    ] {
        let body = with(
            &review("u", "pods", "Pod", "shop", "UPDATE", PRIVILEGED_POD),
            "subResource",
            &format!("\"{sub}\""),
        );
        assert_eq!(validate(&v, &body).allowed, allowed, "{sub}");
    }
    let scale = with(
        &review(
            "u",
            "deployments",
            "Deployment",
            "shop",
            "UPDATE",
            &deployment(PRIVILEGED_POD),
        ),
        "subResource",
        "\"scale\"",
    );
    let r = validate(&v, &scale);
    assert!(r.allowed && r.warnings.is_empty());
}

#[test]
fn exemptions_skip_every_check_and_say_why() {
    let v = verdicts(
        "serve:\n  exemptions: {usernames: [ops], namespaces: [tools], runtime-classes: [kata]}\n",
    );
    let by_user = with(
        &review("u", "pods", "Pod", "shop", "CREATE", PRIVILEGED_POD),
        "userInfo",
        r#"{"username":"ops"}"#,
    );
    let in_ns = review("u", "pods", "Pod", "tools", "CREATE", PRIVILEGED_POD);
    let kata = PRIVILEGED_POD.replace(r#""spec":{"#, r#""spec":{"runtimeClassName":"kata","#);
    let by_runtime = review("u", "pods", "Pod", "shop", "CREATE", &kata);
    for (body, why) in [
        (by_user, "user"),
        (in_ns, "namespace"),
        (by_runtime, "runtimeClass"),
    ] {
        let r = validate(&v, &body);
        assert!(r.allowed && r.warnings.is_empty(), "{why}");
        assert_eq!(r.audit_annotations["exempt"], why);
    }
    assert!(
        !validate(
            &v,
            &review("u", "pods", "Pod", "shop", "CREATE", PRIVILEGED_POD)
        )
        .allowed
    );
}

#[test]
fn palisade_rules_follow_their_mode() {
    // A Service of type NodePort: NET001, no Pod Security involved.
    let svc = r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"type":"NodePort","ports":[{"port":80}]}}"#;
    let body = review("u", "services", "Service", "shop", "CREATE", svc);
    let r = validate(&verdicts("serve:\n  defaults: {rules: enforce}\n"), &body);
    assert!(!r.allowed);
    assert!(
        message(&r).starts_with("violates Palisade policy: NET001 service-node-port"),
        "{}",
        message(&r)
    );
    assert!(message(&r).contains("(at spec.type)"), "{}", message(&r));
    let r = validate(&verdicts("serve:\n  defaults: {rules: warn}\n"), &body);
    assert!(r.allowed && r.warnings.iter().any(|w| w.starts_with("NET001")));
    let r = validate(&verdicts("serve:\n  defaults: {rules: audit}\n"), &body);
    assert!(r.allowed && r.warnings.is_empty());
    assert!(r.audit_annotations["policy-audit-violations"].contains("NET001"));
    let r = validate(
        &verdicts("serve:\n  defaults: {rules: off}\n  namespaces:\n    shop: {rules: enforce}\n"),
        &body,
    );
    assert!(!r.allowed, "per-namespace mode");
    let r = validate(
        &verdicts("serve:\n  defaults: {rules: enforce}\nignore: [NET001]\n"),
        &body,
    );
    assert!(r.allowed, "the configuration's rule selection applies");
}

#[test]
fn annotations_cannot_suppress_unless_allowed_but_configuration_can() {
    let annotated = PRIVILEGED_POD.replace(
        r#""name":"p"}"#,
        r#""name":"p","annotations":{"suppress.palisade.dev/privileged-container":"needed"}}"#,
    );
    let body = review("u", "pods", "Pod", "shop", "CREATE", &annotated);
    assert!(!validate(&verdicts(""), &body).allowed);
    assert!(
        validate(
            &verdicts("serve:\n  annotation-suppressions: true\n"),
            &body
        )
        .allowed
    );
    let suppressed = "suppressions:\n  - rules: [PSS002]\n    namespaces: [shop]\n    reason: node agent, reviewed\n";
    assert!(
        validate(
            &verdicts(suppressed),
            &review("u", "pods", "Pod", "shop", "CREATE", PRIVILEGED_POD)
        )
        .allowed
    );
    assert!(
        !validate(
            &verdicts(suppressed),
            &review("u", "pods", "Pod", "other", "CREATE", PRIVILEGED_POD)
        )
        .allowed
    );
}

#[test]
fn deletes_and_dry_runs() {
    let v = verdicts("");
    let delete = with(
        &review("u", "pods", "Pod", "shop", "DELETE", "null"),
        "oldObject",
        PRIVILEGED_POD,
    );
    assert!(validate(&v, &delete).allowed);
    let dry = with(
        &review("u", "pods", "Pod", "shop", "CREATE", PRIVILEGED_POD),
        "dryRun",
        "true",
    );
    let r = validate(&v, &dry);
    assert!(!r.allowed, "a dry run is judged like the real request");
}

#[test]
fn a_missing_object_is_a_bad_request() {
    let v = verdicts("");
    let r = validate(&v, &review("u", "pods", "Pod", "shop", "CREATE", "null"));
    assert!(!r.allowed);
    assert_eq!(r.status.as_ref().unwrap().code, 400);
}

#[test]
fn a_finding_about_the_whole_object_names_no_empty_field() {
    let dir = std::env::temp_dir().join(format!("palisade-serve-whole-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("owner.rego");
    std::fs::write(
        &module,
        // Custom rules join the process's catalog: this one fires on its own Pod only.
        "package org.whole_object\nimport rego.v1\n\ndeny contains \"add an `owner` label\" if {\n  input.metadata.name == \"whole-object\"\n  not input.metadata.labels.owner\n}\n",
    )
    .unwrap();
    let v = verdicts(&format!(
        "policies: [\"{}\"]\nserve:\n  defaults: {{enforce: privileged, rules: enforce}}\n",
        module.display()
    ));
    let pod = PLAIN_POD.replace(r#""name":"p""#, r#""name":"whole-object""#);
    let r = validate(&v, &review("u", "pods", "Pod", "shop", "CREATE", &pod));
    assert!(!r.allowed);
    let m = message(&r);
    assert!(m.contains("add an `owner` label"), "{m}");
    assert!(!m.contains("(at )"), "{m}");
    let _ = std::fs::remove_dir_all(&dir);
}
