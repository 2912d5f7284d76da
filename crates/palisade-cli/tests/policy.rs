//! Configuration, suppressions and baselines, as a team uses them.

use std::path::PathBuf;

use crate::common::{json, repo_root, run_in, scratch_dir};

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

/// The warnings of a JSON report of kind `kind`, as `(line, message)`.
fn warnings(report: &serde_json::Value, kind: &str) -> Vec<(Option<u64>, String)> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == kind)
        .map(|w| {
            (
                w["location"]["line"].as_u64(),
                w["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `(rule, message)` of every finding in `list`.
fn rule_messages(list: &serde_json::Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const CAPABILITIES_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: probe
  namespace: tools
  annotations:
    checkov.io/skip1: CKV_K8S_28=the probe sends raw ICMP
    ignore-check.kube-linter.io/unset-cpu-requirements: CPU is shared on this node pool
    ignore-check.kube-linter.io/host-pid: the probe reads host processes
spec:
  hostPID: true
  hostNetwork: true
  containers:
  - name: probe
    image: registry.example.com/probe:1.0
    resources:
      limits: {cpu: 100m}
    securityContext:
      capabilities:
        drop: [ALL]
        add: [NET_RAW, SYS_ADMIN]
  - name: helper
    image: registry.example.com/helper:1.0
    resources:
      limits: {memory: 64Mi}
";

#[test]
fn foreign_suppressions_cover_only_the_cases_their_check_covers() {
    let dir = tempdir("foreign-cases");
    std::fs::write(dir.join("pod.yaml"), CAPABILITIES_POD).unwrap();
    let report = json(&run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--report-unused-suppressions",
            "pod.yaml",
        ],
    ));
    let suppressed = rule_messages(&report["suppressed"]);
    let findings = rule_messages(&report["findings"]);
    let has = |list: &[(String, String)], rule: &str, text: &str| {
        list.iter().any(|(r, m)| r == rule && m.contains(text))
    };

    // CKV_K8S_28 is about NET_RAW, not SYS_ADMIN.
    assert!(has(&suppressed, "PSS105", "`NET_RAW`"), "{suppressed:?}");
    assert!(has(&findings, "PSS105", "`SYS_ADMIN`"), "{findings:?}");
    // `unset-cpu-requirements` covers the container without a CPU request, not the one
    // without a memory request.
    assert!(!has(&findings, "REL001", "`helper` has no CPU request"));
    assert!(
        has(&suppressed, "REL001", "`helper` has no CPU request"),
        "{suppressed:?}"
    );
    assert!(
        has(&findings, "REL001", "`probe` has no memory request"),
        "{findings:?}"
    );
    // `host-pid` covers `hostPID`, not `hostNetwork`.
    assert!(has(&suppressed, "PSS001", "`hostPID: true`"));
    assert!(has(&findings, "PSS001", "`hostNetwork: true`"));
    assert!(
        warnings(&report, "suppression-unused").is_empty(),
        "{report}"
    );
}

#[test]
fn foreign_checks_together_cover_a_finding_that_is_several_cases() {
    let dir = tempdir("foreign-union");
    let pod = "apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    ignore-check.kube-linter.io/unset-cpu-requirements: batch job, sized by the queue
spec:
  containers:
  - {name: c, image: registry.example.com/c:1.0}
";
    std::fs::write(dir.join("pod.yaml"), pod).unwrap();
    let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));
    assert!(
        rule_messages(&report["findings"])
            .iter()
            .any(|(r, m)| r == "REL001" && m.contains("no CPU or memory request")),
        "the CPU check alone does not cover a missing memory request"
    );

    let both = pod.replace(
        "    ignore-check",
        "    ignore-check.kube-linter.io/unset-memory-requirements: memory capped by the namespace\n    ignore-check",
    );
    std::fs::write(dir.join("pod.yaml"), both).unwrap();
    let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));
    let rel001 = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "REL001")
        .expect("both checks together cover it");
    assert_eq!(
        rel001["suppression"]["reason"],
        "batch job, sized by the queue; memory capped by the namespace"
    );
}

#[test]
fn checkov_skip_without_a_reason_does_not_suppress() {
    let dir = tempdir("checkov-no-reason");
    std::fs::write(
        dir.join("pod.yaml"),
        POD.replace(
            "checkov.io/skip1: CKV_K8S_20=reviewed with the vendor",
            "checkov.io/skip3: CKV_K8S_20",
        ),
    )
    .unwrap();
    let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));
    assert!(rules(&report["findings"]).contains(&"PSS103".to_string()));
    let invalid = warnings(&report, "suppression-invalid");
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert_eq!(invalid[0].0, Some(9));
    assert!(invalid[0].1.contains("gives no reason"), "{invalid:?}");
}

#[test]
fn expiry_spellings_are_read_or_refused_never_permanent() {
    let dir = tempdir("expiry-spellings");
    let pod =
        |value: &str| POD.replace("\"temporary; expires 2001-01-01\"", &format!("\"{value}\""));
    for (value, kind) in [
        ("x; Expires: 2001-01-01", "suppression-expired"),
        ("x; expires 2001-01-01; extra", "suppression-expired"),
        ("x; EXPIRES=2001-01-01", "suppression-expired"),
        ("x; expires 2027-1-1", "suppression-invalid"),
        ("x (expires 2027-01-01)", "suppression-invalid"),
    ] {
        std::fs::write(dir.join("pod.yaml"), pod(value)).unwrap();
        let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));
        assert!(
            rules(&report["findings"]).contains(&"HRD001".to_string()),
            "`{value}` must not suppress"
        );
        let lines: Vec<_> = warnings(&report, kind).into_iter().map(|w| w.0).collect();
        assert_eq!(lines, [Some(10)], "`{value}`: {}", report["warnings"]);
    }
    // When the unreadable expiry is all there is, the warning names the expiry, not a
    // missing reason.
    std::fs::write(
        dir.join("pod.yaml"),
        pod("node triage (expires 2027-01-01)"),
    )
    .unwrap();
    let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));
    let invalid = warnings(&report, "suppression-invalid");
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert!(
        invalid[0].1.contains("looks like an expiry date"),
        "{invalid:?}"
    );
    // A future expiry in any spelling suppresses until then, and says so.
    std::fs::write(dir.join("pod.yaml"), pod("x; Expires: 2999-01-01; extra")).unwrap();
    let report = json(&run_in(&dir, &["scan", "--format", "json", "pod.yaml"]));
    let hrd001 = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "HRD001")
        .unwrap();
    assert_eq!(hrd001["suppression"]["reason"], "x; extra");
    assert_eq!(hrd001["suppression"]["expires"], "2999-01-01");
}

#[test]
fn text_output_prints_every_warning_it_counts() {
    let dir = tempdir("text-warnings");
    std::fs::write(dir.join("pods.yaml"), POD).unwrap();
    std::fs::write(
        dir.join("over.yaml"),
        POD.replace("name: debug", "name: other"),
    )
    .unwrap();
    std::fs::write(
        dir.join(".palisade.yaml"),
        "suppressions:
  - rules: [PSS002]
    reason: old exception
    expires: 2001-01-01
  - rules: [rbac]
    reason: nothing here uses RBAC
  - rules: [PSS010]
    names: [nobody]
    reason: no such object
",
    )
    .unwrap();
    let out = run_in(
        &dir,
        &[
            "scan",
            "--color",
            "never",
            "--report-unused-suppressions",
            "pods.yaml",
            "over.yaml",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let printed = text.lines().filter(|l| l.starts_with("warning[")).count();
    let counted: usize = text
        .lines()
        .find_map(|l| {
            let (_, rest) = l.split_once("errors, ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no summary in {text}"));
    assert_eq!(printed, counted, "{text}");
    // The configuration's own warnings are printed where they are written.
    for at in [
        ".palisade.yaml:2:5",
        ".palisade.yaml:5:5",
        ".palisade.yaml:7:5",
    ] {
        assert!(text.contains(at), "{at}: {text}");
    }
}

#[test]
fn json_suppressions_have_the_same_keys_whatever_their_kind() {
    let dir = tempdir("json-keys");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--ignore",
            "HRD001",
            "--write-baseline",
            "bl.json",
            "pod.yaml",
        ],
    );
    let report = json(&run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "bl.json",
            "pod.yaml",
        ],
    ));
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let suppressed = report["suppressed"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> = suppressed
        .iter()
        .map(|f| f["suppression"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["annotation", "baseline"].into_iter().collect());
    for f in suppressed {
        let s = &f["suppression"];
        assert_eq!(keys(s), ["expires", "kind", "location", "reason"], "{s}");
        assert_eq!(keys(f), keys(&suppressed[0]));
    }
    let baselined = suppressed
        .iter()
        .find(|f| f["suppression"]["kind"] == "baseline")
        .unwrap();
    assert!(baselined["suppression"]["expires"].is_null());
    assert_eq!(baselined["suppression"]["location"]["path"], "bl.json");
    assert!(baselined["suppression"]["location"]["line"].is_null());
    // A finding that counts has the same keys, its suppression `null`.
    let finding = &report["findings"][0];
    assert_eq!(keys(finding), keys(&suppressed[0]));
    assert!(finding["suppression"].is_null());
    assert!(finding["dockerfile"].is_null());
}

#[test]
fn a_baseline_survives_list_items_inserted_above_a_finding() {
    let dir = tempdir("baseline-keyed");
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop}
spec:
  containers:
  - name: web
    image: registry.example.com/web:1.0
    env:
    - {name: DB_PASSWORD, value: hunter2hunter}
";
    std::fs::write(dir.join("pod.yaml"), pod).unwrap();
    run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--write-baseline",
            "bl.json",
            "pod.yaml",
        ],
    );
    let baseline = std::fs::read_to_string(dir.join("bl.json")).unwrap();
    assert!(
        baseline.contains("\"spec.containers[name=web].env[name=DB_PASSWORD].value\""),
        "{baseline}"
    );
    assert!(!baseline.contains("hunter2"), "no value is written");

    // A variable inserted above, and a sidecar inserted before `web`: nothing about `web` is
    // new (findings about the sidecar are).
    let moved = pod
        .replace(
            "    - {name: DB_PASSWORD",
            "    - {name: LOG_LEVEL, value: debug}\n    - {name: DB_PASSWORD",
        )
        .replace(
            "  containers:\n",
            "  containers:\n  - name: proxy\n    image: registry.example.com/web:1.0\n",
        );
    std::fs::write(dir.join("pod.yaml"), &moved).unwrap();
    let report = json(&run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "bl.json",
            "pod.yaml",
        ],
    ));
    let new: Vec<_> = rule_messages(&report["findings"])
        .into_iter()
        .filter(|(_, m)| m.contains("`web`") && !m.contains("`proxy`"))
        .collect();
    assert!(new.is_empty(), "{new:?}");
    assert!(
        !rules(&report["findings"]).contains(&"SEC001".to_string()),
        "the old secret is still known"
    );
    // A second secret is new.
    std::fs::write(
        dir.join("pod.yaml"),
        moved.replace(
            "{name: LOG_LEVEL, value: debug}",
            "{name: API_TOKEN, value: abcdefgh1234}",
        ),
    )
    .unwrap();
    let report = json(&run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "bl.json",
            "pod.yaml",
        ],
    ));
    assert_eq!(
        rule_messages(&report["findings"])
            .iter()
            .filter(|(r, _)| r == "SEC001")
            .count(),
        1
    );
}

#[test]
fn a_baseline_matches_from_any_folder() {
    let dir = tempdir("baseline-folders");
    std::fs::create_dir_all(dir.join("deploy")).unwrap();
    std::fs::copy(
        repo_root().join("examples/insecure/node-agent.yaml"),
        dir.join("deploy/agent.yaml"),
    )
    .unwrap();
    let out = run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--write-baseline",
            "palisade-baseline.json",
            "deploy",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let baseline = std::fs::read_to_string(dir.join("palisade-baseline.json")).unwrap();
    assert!(
        baseline.contains("\"path\": \"deploy/agent.yaml\""),
        "{baseline}"
    );

    let out = run_in(
        &dir.join("deploy"),
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "../palisade-baseline.json",
            ".",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    assert_eq!(report["summary"]["findings"], 0);
    assert!(report["summary"]["suppressed"].as_u64().unwrap() > 10);
}

#[test]
fn a_baseline_that_matches_no_scanned_file_is_reported() {
    let dir = tempdir("baseline-unmatched");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    std::fs::write(
        dir.join("bl.json"),
        r#"{"palisade_baseline": 2, "findings": [
  {"path": "elsewhere/pod.yaml", "resource": "Pod/tools/debug", "rule": "HRD001",
   "field": "spec.containers[name=c].securityContext.readOnlyRootFilesystem", "container": "c"}
]}
"#,
    )
    .unwrap();
    let report = json(&run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "bl.json",
            "pod.yaml",
        ],
    ));
    let warned = warnings(&report, "baseline");
    assert_eq!(warned.len(), 1, "{}", report["warnings"]);
    assert!(warned[0].1.contains("`elsewhere/pod.yaml`"), "{warned:?}");
}

#[test]
fn baseline_parse_errors_point_at_a_one_based_column() {
    let dir = tempdir("baseline-parse");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    std::fs::write(dir.join("bl.json"), "{\n").unwrap();
    let out = run_in(&dir, &["scan", "--baseline", "bl.json", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bl.json:2:1: not a Palisade baseline: EOF while parsing an object"),
        "{stderr}"
    );
}

#[test]
fn format_1_baselines_still_match_manifests_but_not_dockerfiles() {
    let dir = tempdir("baseline-v1");
    std::fs::write(dir.join("pod.yaml"), POD).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\nENV DB_PASSWORD=hunter2hunter\nUSER 1000\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bl.json"),
        r#"{"palisade_baseline": 1, "findings": [
  {"path": "pod.yaml", "resource": "Pod/tools/debug", "rule": "HRD001",
   "field": "spec.containers[0].securityContext.readOnlyRootFilesystem", "container": "c"},
  {"path": "Dockerfile", "resource": "Dockerfile/<unnamed>", "rule": "DKR007", "field": ""}
]}
"#,
    )
    .unwrap();
    let report = json(&run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "bl.json",
            "pod.yaml",
            "Dockerfile",
        ],
    ));
    let baselined: Vec<String> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppression"]["kind"] == "baseline")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(baselined, ["HRD001"]);
    assert!(rules(&report["findings"]).contains(&"DKR007".to_string()));
    let warned = warnings(&report, "baseline");
    assert_eq!(warned.len(), 1, "{}", report["warnings"]);
    assert!(warned[0].1.contains("--write-baseline"), "{warned:?}");
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
