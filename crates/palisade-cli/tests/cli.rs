//! `palisade scan` and `palisade rules` as a user runs them.

use std::io::Write;
use std::process::{Output, Stdio};

use crate::common::{json, palisade, repo_root, run_in, run_with_stdin, scratch_dir, shared_dir};

fn run(args: &[&str]) -> Output {
    palisade()
        .current_dir(repo_root())
        .args(args)
        .output()
        .unwrap()
}

/// One line per finding: what a reviewer checks in a snapshot.
fn finding_lines(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            format!(
                "{}:{}:{} {} {} [{}] {}",
                l["path"].as_str().unwrap(),
                l["line"],
                l["column"],
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["field"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn hardened_examples_produce_no_findings() {
    let out = run(&["scan", "--format", "json", "examples/hardened"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(finding_lines(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["objects"], 8);
    assert_eq!(report["summary"]["score"], 100.0);
    // Every checked object has its own score; the ServiceAccount is not checked.
    let objects = report["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 7);
    assert!(objects.iter().all(|o| o["score"] == 100.0));
}

#[test]
fn each_object_has_its_own_score() {
    let report = json(&run(&["scan", "--format", "json", "examples/insecure"]));
    let score = |name: &str| {
        report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["resource"]["name"] == name)
            .map(|o| (o["line"].as_u64().unwrap(), o["score"].as_f64().unwrap()))
            .unwrap()
    };
    // The binding fails every check that judges it (a `cluster-admin` binding to a public
    // group); the cross-object RBAC checks leave both causes to those rules and do not count
    // as passed. The Service in a List keeps its own line.
    assert_eq!(score("everyone-is-admin").1, 0.0);
    let (line, admin) = score("admin");
    assert_eq!(line, 6);
    assert!(admin > 0.0 && admin < 100.0);
}

#[test]
fn insecure_examples_produce_the_expected_findings() {
    let out = run(&["scan", "--format", "json", "examples/insecure"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(finding_lines(&json(&out)).join("\n"));
}

#[test]
fn text_output_quotes_the_line_and_underlines_the_key() {
    let out = run(&[
        "scan",
        "--color",
        "never",
        "--select",
        "privileged-container,rbac-cluster-admin-binding",
        "examples/insecure",
    ]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn secret_values_never_appear_in_any_format() {
    for format in ["text", "json", "sarif", "junit", "github", "gitlab"] {
        let out = run(&[
            "scan",
            "--color",
            "always",
            "--format",
            format,
            "examples/insecure",
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("API_TOKEN"),
            "{format}: the finding names the variable"
        );
        for secret in ["s3cr3t-t0ken-do-not-print", "AKIAABCDEFGHIJKLMNOP"] {
            assert!(!text.contains(secret), "{format} printed a secret value");
        }
    }
}

#[test]
fn exit_codes_tell_findings_from_broken_input() {
    let code = |args: &[&str]| run(args).status.code();
    assert_eq!(code(&["scan", "examples/insecure"]), Some(1));
    assert_eq!(
        code(&["scan", "--fail-on", "none", "examples/insecure"]),
        Some(0)
    );
    assert_eq!(
        code(&["scan", "--fail-on", "critical", "examples/hardened"]),
        Some(0)
    );
    assert_eq!(
        code(&["scan", "--select", "no-such-rule", "examples"]),
        Some(2)
    );
    assert_eq!(
        code(&["scan", "--pss-version", "1.25", "examples"]),
        Some(2)
    );
    assert_eq!(code(&["scan", "does/not/exist.yaml"]), Some(2));
    assert_eq!(code(&["rules", "explain", "no-such-rule"]), Some(2));
    for flag in ["--select", "--ignore", "--extend-select"] {
        assert_eq!(code(&["scan", flag, " , ", "examples"]), Some(2), "{flag}");
    }
}

#[test]
fn fail_on_counts_only_findings_at_or_above_the_threshold() {
    let dir = tempdir();
    let file = dir.join("ns.yaml");
    // Only low-severity findings: `default` namespace and the token automount.
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(run(&["scan", path]).status.code(), Some(1));
    assert_eq!(
        run(&["scan", "--fail-on", "medium", path]).status.code(),
        Some(0)
    );
}

#[test]
fn unreadable_input_is_a_located_error_with_exit_2() {
    let dir = tempdir();
    std::fs::write(dir.join("broken.yaml"), "kind: Pod\nspec: [unclosed\n").unwrap();
    std::fs::write(
        dir.join("chart.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n",
    )
    .unwrap();
    let out = run(&["scan", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    for e in errors {
        assert!(e["location"]["line"].as_u64().unwrap() >= 1, "{e}");
    }
    let template = errors.iter().find(|e| e["kind"] == "template").unwrap();
    assert!(
        template["message"]
            .as_str()
            .unwrap()
            .contains("helm template")
    );
}

#[test]
fn a_manifest_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    let dir = tempdir();
    std::fs::write(
        dir.join("latin1.yaml"),
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    let out = run(&["scan", dir.join("latin1.yaml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("latin1.yaml:4:12"), "{text}");
}

#[test]
fn standard_input_is_scanned_with_positions() {
    let mut child = palisade()
        .args(["scan", "--format", "json", "--select", "pss", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c}]\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = json(&out);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "PSS001")
        .unwrap();
    assert_eq!(f["location"]["path"], "<stdin>");
    assert_eq!(f["location"]["line"], 5);
}

#[test]
fn non_kubernetes_yaml_is_counted_not_reported() {
    let dir = tempdir();
    std::fs::write(
        dir.join("values.yaml"),
        "replicaCount: 2\nimage: {tag: latest}\n",
    )
    .unwrap();
    std::fs::write(dir.join("package.json"), "{\"name\": \"x\"}\n").unwrap();
    let out = run(&["scan", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["summary"]["not_kubernetes"], 2);
    assert_eq!(report["summary"]["findings"], 0);
}

#[test]
fn crd_pod_templates_can_be_taught() {
    let dir = tempdir();
    std::fs::write(
        dir.join("runner.yaml"),
        "apiVersion: ci.example.com/v1\nkind: Runner\nmetadata: {name: r, namespace: ci}\nspec:\n  pod:\n    spec:\n      containers: [{name: c, image: x:1, securityContext: {privileged: true}}]\n",
    )
    .unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--format",
            "json",
            "--select",
            "privileged-container",
        ];
        args.extend_from_slice(extra);
        args.push(dir.to_str().unwrap());
        json(&run(&args))
    };
    assert_eq!(scan(&[])["summary"]["not_checked"]["Runner"], 1);
    let taught = scan(&["--pod-kind", "Runner.ci.example.com=spec.pod"]);
    assert_eq!(taught["findings"][0]["location"]["line"], 7);
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let corpus = shared_dir().join("corpus");
    for target in [repo_root().join("examples"), corpus] {
        let out = run(&[
            "scan",
            "--format",
            "sarif",
            "--fail-on",
            "none",
            target.to_str().unwrap(),
        ]);
        let sarif = json(&out);
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", target.display());
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        assert!(results.iter().all(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        }));
    }
}

#[test]
fn sarif_fingerprints_are_distinct_within_each_file_across_the_corpus() {
    let corpus = shared_dir().join("corpus");
    let out = run(&[
        "scan",
        "--format",
        "sarif",
        "--select",
        "all",
        "--allowed-registry",
        "registry.k8s.io",
        "--fail-on",
        "none",
        corpus.to_str().unwrap(),
    ]);
    let sarif = json(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 1000);
    let mut seen: std::collections::HashMap<(String, String), u64> =
        std::collections::HashMap::new();
    let mut collisions = Vec::new();
    for r in results {
        let location = &r["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string();
        let line = location["region"]["startLine"].as_u64().unwrap();
        let fingerprint = r["partialFingerprints"]["palisade/v2"]
            .as_str()
            .unwrap()
            .to_string();
        if let Some(first) = seen.insert((uri.clone(), fingerprint), line) {
            collisions.push(format!("{uri}:{first} and :{line} ({})", r["ruleId"]));
        }
    }
    assert!(
        collisions.is_empty(),
        "{} collisions: {collisions:#?}",
        collisions.len()
    );
}

#[test]
fn junit_has_a_case_per_object_and_rule() {
    let out = run(&["scan", "--format", "junit", "examples"]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml"));
    let cases = xml.matches("<testcase ").count();
    let failures = xml.matches("<failure ").count();
    let report = json(&run(&["scan", "--format", "json", "examples"]));
    let failing_pairs: std::collections::BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (format!("{}", f["resource"]), f["rule"].to_string()))
        .collect();
    assert_eq!(failures, failing_pairs.len());
    assert!(cases > failures);
}

#[test]
fn an_empty_manifest_is_a_warning_and_a_comment_only_one_too() {
    let dir = scratch_dir("empty-manifests");
    std::fs::write(dir.join("empty.yaml"), "").unwrap();
    std::fs::write(dir.join("comments.yaml"), "# TODO\n---\n\n").unwrap();
    std::fs::write(dir.join("null.yaml"), "~\n").unwrap();
    let out = run_in(&dir, &["scan", "--format", "json", "."]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    let mut empty: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "empty-file")
        .map(|w| w["location"]["path"].as_str().unwrap())
        .collect();
    empty.sort();
    // `~` is a document (null), not an empty file.
    assert_eq!(empty, ["comments.yaml", "empty.yaml"]);
}

#[test]
fn junit_names_each_load_error_by_its_place() {
    let dir = scratch_dir("junit-errors");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\nENV A=\"x\nLABEL b='y\nUSER 1000\n",
    )
    .unwrap();
    let out = run_in(&dir, &["scan", "--format", "junit", "Dockerfile"]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("name=\"load Dockerfile:2:7\""), "{xml}");
    assert!(xml.contains("name=\"load Dockerfile:3:9\""), "{xml}");
    assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
}

/// `path:line:column rule` and the severity of every finding of a JSON report, sorted.
fn finding_sites(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut sites: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = &f["location"];
            let site = format!(
                "{}:{}:{} {}",
                l["path"].as_str().unwrap(),
                l["line"],
                l["column"],
                f["rule"].as_str().unwrap()
            );
            (site, f["severity"].as_str().unwrap().to_string())
        })
        .collect();
    sites.sort();
    sites
}

#[test]
fn github_annotations_carry_every_finding_and_error_with_its_position() {
    let dir = tempdir();
    std::fs::write(dir.join("broken.yaml"), "kind: Pod\n  bad: [\n").unwrap();
    let target = repo_root().join("examples/insecure");
    let (target, dir) = (target.to_str().unwrap(), dir.to_str().unwrap());
    let out = run(&["scan", "--format", "github", target, dir]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    let report = json(&run(&["scan", "--format", "json", target, dir]));

    let mut sites = Vec::new();
    let mut errors = 0;
    for line in text.lines().filter(|l| l.starts_with("::")) {
        let (command, message) = line[2..].split_once("::").unwrap();
        let (level, props) = command.split_once(' ').unwrap();
        let prop = |name: &str| {
            props
                .split(',')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(|v| v.replace("%3A", ":").replace("%2C", ","))
        };
        assert!(!message.is_empty() && !message.contains('\n'));
        let title = prop("title").unwrap();
        if title.starts_with("palisade ") {
            assert_eq!(level, "error", "{line}");
            assert!(prop("file").unwrap().ends_with("broken.yaml"));
            errors += 1;
            continue;
        }
        let rule = title.split(' ').next().unwrap();
        sites.push(format!(
            "{}:{}:{} {rule} {level}",
            prop("file").unwrap(),
            prop("line").unwrap(),
            prop("col").unwrap()
        ));
    }
    sites.sort();
    assert_eq!(errors, report["errors"].as_array().unwrap().len());
    assert!(errors > 0);
    let mut expected: Vec<String> = finding_sites(&report)
        .into_iter()
        .map(|(site, severity)| {
            let level = match severity.as_str() {
                "critical" | "high" => "error",
                "medium" => "warning",
                _ => "notice",
            };
            format!("{site} {level}")
        })
        .collect();
    expected.sort();
    assert_eq!(sites, expected);
    assert!(text.lines().last().unwrap().starts_with("palisade: "));
}

#[test]
fn gitlab_code_quality_lists_every_finding_with_a_distinct_fingerprint() {
    let out = run(&["scan", "--format", "gitlab", "examples/insecure"]);
    assert_eq!(out.status.code(), Some(1));
    let issues = json(&out);
    let issues = issues.as_array().unwrap();
    let report = json(&run(&["scan", "--format", "json", "examples/insecure"]));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(issues.len(), findings.len());
    let fingerprints: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len());
    for (issue, finding) in issues.iter().zip(findings) {
        assert_eq!(issue["location"]["path"], finding["location"]["path"]);
        assert_eq!(
            issue["location"]["lines"]["begin"],
            finding["location"]["line"]
        );
        let rule = finding["rule"].as_str().unwrap();
        assert!(issue["check_name"].as_str().unwrap().starts_with(rule));
        let severity = match finding["severity"].as_str().unwrap() {
            "low" => "minor",
            "medium" => "major",
            "high" => "critical",
            _ => "blocker",
        };
        assert_eq!(issue["severity"], severity);
    }

    let corpus = shared_dir().join("corpus");
    let out = run(&["scan", "--format", "gitlab", corpus.to_str().unwrap()]);
    let issues = json(&out);
    let issues = issues.as_array().unwrap();
    let fingerprints: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert!(issues.len() > 30_000);
    assert_eq!(fingerprints.len(), issues.len());
    assert!(issues.iter().any(|i| i["severity"] == "blocker"
        && i["check_name"].as_str().unwrap().starts_with("palisade/")));
}

#[test]
fn every_corpus_file_is_scanned_counted_or_reported() {
    let corpus = shared_dir().join("corpus");
    let out = run(&[
        "scan",
        "--format",
        "json",
        "--fail-on",
        "none",
        corpus.to_str().unwrap(),
    ]);
    // The corpus holds deliberately broken files, so exit 2 is the honest answer.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);

    let mut expected = 0;
    let mut stack = vec![corpus];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if palisade_load::source::classify(&path).is_some() {
                expected += 1;
            }
        }
    }
    assert_eq!(report["summary"]["files"], expected);
    for e in report["errors"].as_array().unwrap() {
        assert!(
            e["location"]["line"].as_u64().is_some(),
            "unlocated error {e}"
        );
        assert!(
            e["location"]["path"]
                .as_str()
                .unwrap()
                .contains("netpol-analyzer/tests/"),
            "{e}"
        );
    }
    assert!(report["summary"]["objects"].as_u64().unwrap() > 6000);
}

#[test]
fn rules_are_listed_and_explained_by_id_or_name() {
    let out = run(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules.as_array().unwrap().len() >= 40);
    let by_id = run(&["rules", "explain", "PSS002"]);
    let by_name = run(&["rules", "explain", "privileged-container"]);
    assert_eq!(by_id.stdout, by_name.stdout);
    let text = String::from_utf8(by_id.stdout).unwrap();
    for section in [
        "## What it checks",
        "## Why it matters",
        "## Example",
        "## Fix",
        "## References",
    ] {
        assert!(text.contains(&format!("\n{section}\n")), "{section}");
    }
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "palisade-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The deliberately vulnerable scenarios of kubernetes-goat: each flaw planted in a manifest is
/// flagged by the rule made for it. (Its other scenarios hide their flaws in images and code.)
#[test]
fn kubernetes_goat_planted_flaws_are_flagged() {
    let goat = shared_dir().join("corpus/kubernetes-goat/scenarios");
    let report = json(&run(&["scan", "--format", "json", goat.to_str().unwrap()]));
    let planted: &[(&str, &[&str])] = &[
        // hostPID, hostIPC, hostNetwork; privileged; docker.sock and /etc mounted; extra capability
        (
            "docker-bench-security/deployment.yaml",
            &["PSS001", "PSS002", "HRD004", "PSS105"],
        ),
        // privileged, containerd socket mounted
        ("health-check/deployment.yaml", &["PSS002", "HRD004"]),
        // Role over every resource, Secrets committed, no resource limits
        (
            "hunger-check/deployment.yaml",
            &["RBAC001", "SEC002", "REL001", "REL002"],
        ),
        // a ServiceAccount bound to cluster-admin
        ("insecure-rbac/setup.yaml", &["RBAC006"]),
        // internal API exposed on every node
        ("internal-proxy/deployment.yaml", &["NET001"]),
        // hostPID, /etc/kubernetes and kubelet state mounted, `latest` image
        (
            "kube-bench-security/master-job.yaml",
            &["PSS001", "HRD004", "IMG001"],
        ),
        (
            "kube-bench-security/node-job.yaml",
            &["PSS001", "HRD004", "IMG001"],
        ),
        // privileged with the host's filesystem and PID namespace
        (
            "system-monitor/deployment.yaml",
            &["PSS001", "PSS002", "HRD004"],
        ),
    ];
    for (file, rules) in planted {
        let found: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["location"]["path"].as_str().unwrap().ends_with(file))
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        for rule in *rules {
            assert!(
                found.contains(rule),
                "{file}: {rule} missing from {found:?}"
            );
        }
    }
}

#[test]
fn secrets_in_block_scalars_and_flow_lines_stay_masked_in_every_format() {
    let dir = tempdir();
    let file = dir.join("leaky.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n  containers:\n  - name: c\n    image: x:1\n    env:\n    - name: TLS_KEY\n      value: |\n        -----BEGIN PRIVATE KEY-----\n        MIIEvPLANTEDPEMBODY\n        -----END PRIVATE KEY-----\n    - {name: API_KEY, value: PLANTED-FLOW-ENV}\n---\n{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"},\"stringData\":{\"k\":\"PLANTED-SECRET-JSON\"}}\n",
    )
    .unwrap();
    for format in ["text", "json", "sarif", "junit", "github", "gitlab"] {
        let out = run(&[
            "scan",
            "--color",
            "never",
            "--format",
            format,
            file.to_str().unwrap(),
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("TLS_KEY"), "{format}");
        for secret in [
            "MIIEvPLANTEDPEMBODY",
            "PLANTED-FLOW-ENV",
            "PLANTED-SECRET-JSON",
            "BEGIN PRIVATE",
        ] {
            assert!(!text.contains(secret), "{format} printed {secret}");
        }
    }
}

#[test]
fn restricted_is_never_more_lenient_than_baseline() {
    let dir = tempdir();
    let file = dir.join("pod.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: c\n    image: x:1\n    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [SYS_ADMIN]}}\n  volumes: [{name: d, hostPath: {path: /data}}]\n",
    )
    .unwrap();
    for level in ["baseline", "restricted"] {
        let out = run(&[
            "scan",
            "--select",
            "pss",
            "--pss-level",
            level,
            "--fail-on",
            "high",
            file.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{level}: the high gate must trip"
        );
    }
    let junit = run(&[
        "scan",
        "--select",
        "pss",
        "--format",
        "junit",
        file.to_str().unwrap(),
    ]);
    let xml = String::from_utf8(junit.stdout).unwrap();
    assert!(
        !xml.contains("PSS003"),
        "a superseded rule is not reported as passed"
    );
}

#[test]
fn empty_standard_input_is_an_error() {
    let out = palisade()
        .args(["scan", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn standard_input_without_a_kubernetes_object_is_an_error() {
    // What a failed `helm template` may print on standard output, and a Dockerfile given a
    // manifest's name: both read as YAML strings, and neither may pass.
    for (args, input) in [
        (
            &["scan", "--format", "json", "-"][..],
            &b"Error: chart \"foo\" not found in repository\n"[..],
        ),
        (
            &[
                "scan",
                "--format",
                "json",
                "--stdin-filename",
                "deploy.yaml",
                "-",
            ][..],
            &b"FROM ubuntu\nRUN apt-get install -y curl\n"[..],
        ),
        (&["netpol", "-"][..], &b"replicaCount: 2\n"[..]),
    ] {
        let out = run_with_stdin(args, input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            shown.contains("standard input holds no Kubernetes object"),
            "{args:?}: {shown}"
        );
    }
    // `kubectl get … -o yaml` that matched nothing is an empty List: Kubernetes output.
    let out = run_with_stdin(
        &["scan", "-"],
        b"apiVersion: v1\nkind: List\nitems: []\nmetadata: {resourceVersion: ''}\n",
    );
    assert_eq!(out.status.code(), Some(0));
    // A rendered chart that holds objects is scanned as before.
    let out = run_with_stdin(
        &["scan", "--format", "json", "--fail-on", "none", "-"],
        b"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["summary"]["objects"], 1);
}

#[test]
fn the_rule_reference_in_docs_is_up_to_date() {
    let out = run(&["rules", "--format", "markdown"]);
    let committed = std::fs::read_to_string(repo_root().join("docs/rules.md")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "docs/rules.md is stale: run `palisade rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn json_files_are_held_to_strict_json_with_a_located_error() {
    let dir = scratch_dir("strict-json");
    std::fs::write(
        dir.join("pod.json"),
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n}\n",
    )
    .unwrap();
    let out = run_in(&dir, &["scan", "--format", "json", "pod.json"]);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    let error = &report["errors"][0];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("not valid JSON"),
        "{error}"
    );
    assert_eq!(error["location"]["line"], 4);
}

#[test]
fn a_dockerfile_on_standard_input_is_checked_as_one() {
    let dockerfile = b"FROM alpine:latest\nUSER 1000\nCMD [\"sh\"]\n";
    for args in [
        &["scan", "--format", "json", "-"][..],
        &[
            "scan",
            "--format",
            "json",
            "--stdin-filename",
            "Containerfile",
            "-",
        ][..],
    ] {
        let out = run_with_stdin(args, dockerfile);
        let report = json(&out);
        assert_eq!(report["summary"]["dockerfiles"], 1, "{args:?}");
        let rules: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"DKR003"), "{args:?}: {rules:?}");
    }
}

#[test]
fn selecting_the_image_category_runs_without_a_registry_list_but_naming_the_rule_does_not() {
    let examples = repo_root().join("examples/insecure");
    let examples = examples.to_str().unwrap();
    let out = run(&["scan", "--select", "image", examples]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not run: no registry is allowed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["scan", "--select", "IMG003", examples]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_scanned_path_under_another_configuration_is_warned_of() {
    let dir = tempdir();
    for sub in ["a", "b"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::write(
            dir.join(sub).join("ns.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
        )
        .unwrap();
    }
    std::fs::write(dir.join("a/.palisade.yaml"), "ignore: [PSS001]\n").unwrap();
    let (a, b) = (dir.join("a"), dir.join("b"));
    let out = run(&["scan", b.to_str().unwrap(), a.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("a/.palisade.yaml is not used")
            && stderr.contains("none was found from the first path"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("is not used").count(), 1, "once: {stderr}");
    // The first path's own configuration is the one used: nothing to warn of.
    let out = run(&["scan", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not used"));
    // A configuration inside a scanned folder is met by the walk, and not used either.
    let out = run(&["scan", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("a/.palisade.yaml is not used"), "{stderr}");
}

#[test]
fn a_pss_version_newer_than_known_is_checked_as_the_newest_with_a_warning() {
    let out = run(&["scan", "--pss-version", "v1.99", "examples/hardened"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("v1.99 (from --pss-version) is newer than v1.")
            && stderr.contains("the newest version Palisade knows"),
        "{stderr}"
    );
    let out = run(&["scan", "--pss-version", "v1.30", "examples/hardened"]);
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
}

#[test]
fn json_on_standard_input_is_held_to_json_as_kubectl_holds_it() {
    // Starting with `{`, standard input is JSON: `tru` is an error, not the string "tru".
    let out = run_with_stdin(
        &["scan", "--select", "PSS001", "-"],
        br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"z"},"spec":{"hostPID":tru,"containers":[]}}"#,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<stdin>:1:78"));
    // A stream of values on standard input, the second one cut short.
    let out = run_with_stdin(
        &["scan", "--fail-on", "none", "-"],
        b"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}\n{\"kind\": }\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<stdin>:2:10"));
    // A name ending in .json says so too, whatever the first character.
    let out = run_with_stdin(
        &["scan", "--stdin-filename", "pod.json", "-"],
        b"# a comment\n{\"apiVersion\": \"v1\"}\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not valid JSON"));
}
