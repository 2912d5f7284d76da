//! End-to-end tests of Dockerfile scanning: the corpus, the bundled examples, aliases,
//! build arguments and hadolint configuration.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{palisade, repo_root, shared_dir};

fn run(args: &[&str]) -> std::process::Output {
    palisade()
        .current_dir(repo_root())
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    })
}

/// `(rule, line)` of every finding.
fn rule_lines(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_corpus_dockerfile_is_parsed_and_every_finding_is_located() {
    let corpus = shared_dir().join("corpus");
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let files: Vec<String> = manifest
        .lines()
        .filter(|l| l.split('\t').nth(3) == Some("dockerfile"))
        .map(|l| {
            corpus
                .join(l.split('\t').next().unwrap())
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(files.len(), 163);

    let mut args = vec!["scan", "--format", "json", "--fail-on", "none"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["summary"]["dockerfiles"], 163);
    assert_eq!(report["summary"]["errors"], 0);
    assert!(report["summary"]["findings"].as_u64().unwrap() > 300);
    for f in report["findings"].as_array().unwrap() {
        let loc = &f["location"];
        assert!(loc["line"].as_u64().unwrap() >= 1, "{f}");
        assert!(loc["column"].as_u64().unwrap() >= 1, "{f}");
        assert_eq!(f["resource"]["kind"], "Dockerfile", "{f}");
        assert!(f["dockerfile"]["instruction"].is_string(), "{f}");
    }
    // Windows images are not read as POSIX shell, and the report says so.
    for w in report["warnings"].as_array().unwrap() {
        assert_eq!(w["kind"], "shell-not-analysed", "{w}");
        assert!(
            w["location"]["path"]
                .as_str()
                .unwrap()
                .contains("/windows/"),
            "{w}"
        );
        assert!(w["location"]["line"].as_u64().is_some(), "{w}");
    }
}

#[test]
fn the_hardened_example_has_no_findings() {
    let out = run(&["scan", "--format", "json", "examples/dockerfiles/hardened"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["summary"]["findings"], 0, "{report}");
    assert_eq!(report["objects"][0]["resource"]["kind"], "Dockerfile");
    assert_eq!(report["objects"][0]["score"], 100.0);
}

#[test]
fn the_insecure_example_has_the_expected_findings() {
    let out = run(&["scan", "--format", "json", "examples/dockerfiles/insecure"]);
    assert_eq!(out.status.code(), Some(1));
    let got: BTreeSet<(String, u64)> = rule_lines(&json(&out)).into_iter().collect();
    let expected: BTreeSet<(String, u64)> = [
        ("DKR003", 3),
        ("DKR029", 4),
        ("DKR007", 5),
        ("DKR019", 6),
        ("DKR016", 6),
        ("DKR017", 6),
        ("DKR018", 6),
        ("DKR015", 6),
        ("DKR013", 7),
        ("DKR009", 7),
        ("DKR030", 7),
        ("DKR023", 8),
        ("DKR006", 8),
        ("DKR022", 9),
        ("DKR010", 10),
        ("DKR011", 11),
        ("DKR026", 14),
        ("DKR021", 15),
        ("DKR020", 15),
        ("DKR012", 16),
        ("DKR024", 17),
        ("DKR005", 18),
        ("DKR025", 18),
    ]
    .into_iter()
    .map(|(r, l)| (r.to_string(), l))
    .collect();
    assert_eq!(got, expected);
}

#[test]
fn hadolint_codes_work_as_rule_ids() {
    let explained = run(&["rules", "explain", "DL3008"]);
    assert!(String::from_utf8_lossy(&explained.stdout).starts_with("DKR015 package-not-pinned"));
    // A hadolint check Palisade does not have is named as such.
    let missing = run(&["rules", "explain", "DL3047"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("Palisade does not have"));
    let unknown = run(&["rules", "explain", "DL9999"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no rule has the id"));
    let ignored = json(&run(&[
        "scan",
        "--format",
        "json",
        "--ignore",
        "DL3008,DL4006",
        "examples/dockerfiles/insecure",
    ]));
    let rules: Vec<String> = rule_lines(&ignored).into_iter().map(|(r, _)| r).collect();
    assert!(!rules.contains(&"DKR015".to_string()) && !rules.contains(&"DKR030".to_string()));
    let selected = json(&run(&[
        "scan",
        "--format",
        "json",
        "--select",
        "DL3008",
        "examples/dockerfiles/insecure",
    ]));
    assert_eq!(rule_lines(&selected), [("DKR015".to_string(), 6)]);
}

#[test]
fn a_hadolint_code_on_the_command_line_acts_on_that_code_only() {
    let dir = common::scratch_dir("one-code");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\nRUN apt-get install -y --no-install-recommends curl && apk add --no-cache jq \\\n && rm -rf /var/lib/apt/lists/*\nUSER 1000\n",
    )
    .unwrap();
    let codes = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["scan", "--format", "json", "--fail-on", "none"];
        all.extend(args);
        all.push("Dockerfile");
        let report = json(&common::run_in(&dir, &all));
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{}/{}",
                    f["rule"].as_str().unwrap(),
                    f["dockerfile"]["hadolint"].as_str().unwrap_or("-")
                )
            })
            .collect()
    };
    assert_eq!(codes(&[]), ["DKR015/DL3008", "DKR015/DL3018"]);
    assert_eq!(codes(&["--ignore", "DL3018"]), ["DKR015/DL3008"]);
    assert_eq!(codes(&["--select", "DL3018"]), ["DKR015/DL3018"]);
    assert!(codes(&["--ignore", "DKR015"]).is_empty());
}

#[test]
fn build_args_decide_what_from_resolves_to() {
    let args = [
        "scan",
        "--format",
        "json",
        "--select",
        "DKR003",
        "examples/dockerfiles/insecure",
    ];
    assert_eq!(rule_lines(&json(&run(&args))).len(), 1);
    let mut with = args.to_vec();
    with.extend(["--build-arg", "BASE=ubuntu:24.04"]);
    let out = run(&with);
    assert!(rule_lines(&json(&out)).is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());

    // A misspelt name changes nothing, and says so; proxy settings need no `ARG`.
    with.extend([
        "--build-arg",
        "BSAE=ubuntu:24.04",
        "--build-arg",
        "https_proxy=x",
    ]);
    let out = run(&with);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "warning: --build-arg BSAE: no scanned Dockerfile declares `ARG BSAE`, so it changes nothing"
    );
}

#[test]
fn hadolint_configuration_is_found_upward_and_pragmas_are_counted() {
    let dir = std::env::temp_dir().join(format!("palisade-hadolint-{}", std::process::id()));
    let sub = dir.join("services/web");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        dir.join(".hadolint.yaml"),
        "failure-threshold: error\nignored: [DL3008]\noverride:\n  error: [DL3014]\n",
    )
    .unwrap();
    let dockerfile = sub.join("Dockerfile");
    std::fs::write(
        &dockerfile,
        "FROM alpine:3.20\nRUN apk add curl\n# hadolint ignore=DL3059\nRUN apt-get install curl\nUSER 1000\n",
    )
    .unwrap();

    let out = palisade()
        .args(["scan", "--format", "json", dockerfile.to_str().unwrap()])
        .output()
        .unwrap();
    let report = json(&out);
    let rules: Vec<String> = rule_lines(&report).into_iter().map(|(r, _)| r).collect();
    // `ignored: [DL3008]` drops the apt-get pin finding, not the apk one (DL3018).
    assert_eq!(rules.iter().filter(|r| *r == "DKR015").count(), 1);
    assert!(!rules.contains(&"DKR013".to_string()), "{rules:?}");
    let dkr016 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "DKR016")
        .unwrap();
    assert_eq!(dkr016["severity"], "high");
    assert_eq!(report["summary"]["suppressed"], 2, "{report}");
    // The finding `ignored` suppressed points at its code in the configuration.
    let by_config = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["suppression"]["kind"] == "config")
        .unwrap();
    let at = &by_config["suppression"]["location"];
    assert!(
        at["path"].as_str().unwrap().ends_with(".hadolint.yaml"),
        "{at}"
    );
    assert_eq!(
        (at["line"].as_u64(), at["column"].as_u64()),
        (Some(2), Some(11)),
        "{at}"
    );
    // failure-threshold: error fails on the high finding only.
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(
        dir.join(".hadolint.yaml"),
        "failure-threshold: error\nignored: [DL3008, DL3014]\n",
    )
    .unwrap();
    let out = palisade()
        .args(["scan", dockerfile.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reports_locate_dockerfile_findings_in_every_format() {
    let sarif = run(&["scan", "--format", "sarif", "examples/dockerfiles/insecure"]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startColumn"],
        6
    );
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "Dockerfile/build"
    );
    let junit = run(&["scan", "--format", "junit", "examples/dockerfiles/insecure"]);
    let xml = String::from_utf8(junit.stdout).unwrap();
    assert!(
        xml.contains("Dockerfile DKR015 package-not-pinned"),
        "{xml}"
    );
    let text = run(&["scan", "--color", "never", "examples/dockerfiles/insecure"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("in stage 0 (build), `RUN`"), "{text}");
    assert!(
        !text.contains("changeme"),
        "secret values are masked in quoted lines"
    );
}

/// A scratch folder for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    common::scratch_dir(&format!("dockerfile-{name}"))
}

#[test]
fn quoted_build_file_lines_keep_the_secret_names_and_mask_their_values() {
    let dir = common::scratch_dir("dockerfile-masking");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\nENV API_TOKEN=Leak1-value OTHER=1\nARG DB_PASSWORD\nARG GH_TOKEN=Leak2-value\nUSER 1000\n",
    )
    .unwrap();
    let out = common::run_in(&dir, &["scan", "--color", "never", "Dockerfile"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Leak"), "{text}");
    for line in [
        "2 | ENV API_TOKEN=*****************",
        "3 | ARG DB_PASSWORD\n",
        "4 | ARG GH_TOKEN=***********",
    ] {
        assert!(text.contains(line), "`{line}` missing from:\n{text}");
    }
}

#[test]
fn a_baseline_does_not_hide_a_new_secret_in_a_dockerfile() {
    let dir = scratch("baseline-secret");
    let token = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\nENV DB_PASSWORD=hunter2hunter\nUSER 1000\n",
    )
    .unwrap();
    let write = common::run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--write-baseline",
            "bl.json",
            "Dockerfile",
        ],
    );
    assert_eq!(write.status.code(), Some(0));
    let baseline = std::fs::read_to_string(dir.join("bl.json")).unwrap();
    assert!(
        baseline.contains("\"field\": \"stage 0: ENV DB_PASSWORD\""),
        "{baseline}"
    );
    assert!(
        !baseline.contains("hunter2"),
        "no value is written: {baseline}"
    );

    // The known finding moves down a line: still known.
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\n# settings\nENV DB_PASSWORD=hunter2hunter\nUSER 1000\n",
    )
    .unwrap();
    let out = common::run_in(&dir, &["scan", "--baseline", "bl.json", "Dockerfile"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The secret replaced by a token on another line: new.
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM alpine:3.20\n# settings\n\nARG GITHUB_TOKEN={token}\nUSER 1000\n"),
    )
    .unwrap();
    let out = common::run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--baseline",
            "bl.json",
            "Dockerfile",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(rule_lines(&report), [("DKR007".to_string(), 4)]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&token));

    // Rewriting the baseline keeps the token out of it.
    common::run_in(
        &dir,
        &[
            "scan",
            "--fail-on",
            "none",
            "--write-baseline",
            "bl.json",
            "Dockerfile",
        ],
    );
    let baseline = std::fs::read_to_string(dir.join("bl.json")).unwrap();
    assert!(!baseline.contains("ghp_"), "{baseline}");
    assert!(baseline.contains("stage 0: ARG GITHUB_TOKEN"), "{baseline}");
}

#[test]
fn findings_of_one_rule_in_one_dockerfile_have_distinct_fingerprints() {
    let postgres = shared_dir().join("corpus/docker-library-postgres/14/bookworm/Dockerfile");
    let out = run(&[
        "scan",
        "--format",
        "sarif",
        "--fail-on",
        "none",
        postgres.to_str().unwrap(),
    ]);
    let log = json(&out);
    let dkr030: Vec<(u64, String)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "DKR030")
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
                r["partialFingerprints"]["palisade/v2"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let lines: Vec<u64> = dkr030.iter().map(|(l, _)| *l).collect();
    assert!(lines.contains(&63) && lines.contains(&145), "{dkr030:?}");
    let distinct: BTreeSet<&String> = dkr030.iter().map(|(_, f)| f).collect();
    assert_eq!(distinct.len(), dkr030.len(), "{dkr030:?}");
}

#[test]
fn unused_dockerfile_pragmas_are_reported() {
    let dir = scratch("unused-pragmas");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\n\
         # hadolint ignore=DL3018,DL3008\n\
         RUN apk add curl\n\
         # palisade ignore=DKR007\n\
         RUN echo hello\n\
         # hadolint ignore=DL3047,SC2086\n\
         RUN echo $HOME\n\
         USER 1000\n",
    )
    .unwrap();
    let plain = json(&common::run_in(
        &dir,
        &["scan", "--format", "json", "Dockerfile"],
    ));
    assert_eq!(plain["warnings"].as_array().unwrap().len(), 0, "{plain}");

    let report = json(&common::run_in(
        &dir,
        &[
            "scan",
            "--format",
            "json",
            "--report-unused-suppressions",
            "Dockerfile",
        ],
    ));
    let unused: Vec<(u64, String)> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "suppression-unused")
        .map(|w| {
            (
                w["location"]["line"].as_u64().unwrap(),
                w["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // DL3018 suppressed the apk pin; DL3008 (apt-get) and DKR007 suppressed nothing; DL3047
    // and SC2086 are hadolint's own, left alone.
    assert_eq!(unused.len(), 2, "{unused:?}");
    assert_eq!(unused[0].0, 2);
    assert!(unused[0].1.contains("`DL3008`"), "{unused:?}");
    assert_eq!(unused[1].0, 4);
    assert!(unused[1].1.contains("`DKR007`"), "{unused:?}");
}

#[test]
fn configuration_severities_and_overrides_apply_to_dockerfiles() {
    let dir = scratch("config-overrides");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM alpine:3.20\nRUN apk add curl\nCMD [\"sh\"]\n",
    )
    .unwrap();
    let scan = |config: &str| {
        std::fs::write(dir.join(".palisade.yaml"), config).unwrap();
        let out = common::run_in(&dir, &["scan", "--format", "json", "."]);
        let report = json(&out);
        let found: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        (out.status.code(), found)
    };
    let (_, defaults) = scan("fail-on: high\n");
    assert!(
        defaults.contains(&("DKR005".into(), "high".into())),
        "{defaults:?}"
    );
    assert!(defaults.iter().any(|(r, _)| r == "DKR015"), "{defaults:?}");

    let (code, found) = scan(
        "fail-on: high\nseverity: {DKR005: low}\noverrides:\n- paths: [Dockerfile]\n  ignore: [DKR015]\n",
    );
    assert!(
        found.contains(&("DKR005".into(), "low".into())),
        "{found:?}"
    );
    assert!(found.iter().all(|(r, _)| r != "DKR015"), "{found:?}");
    assert!(
        found.iter().all(|(_, s)| s != "high" && s != "critical"),
        "{found:?}"
    );
    assert_eq!(code, Some(0));
}
