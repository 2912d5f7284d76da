//! Upstream Kubernetes' Pod Security Admission fixtures: every `pass/` pod must get no `pss`
//! finding and every `fail/` pod at least one, at that folder's level and pinned version.
//!
//! The fixtures live in `shared/conformance/pod-security-admission` beside the repository
//! (or wherever `PALISADE_SHARED` points). They are required: a missing folder fails the test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{palisade, shared_dir};
use palisade_engine::{Engine, Selection};
use palisade_model::PodKindTable;
use palisade_rules::{PssLevel, PssVersion, Settings};

/// Fixtures upstream publishes at the pinned commit.
const EXPECTED_FIXTURES: usize = 4537;

struct Folder {
    level: String,
    version: String,
    dir: PathBuf,
}

fn folders() -> Vec<Folder> {
    let root = shared_dir().join("conformance/pod-security-admission");
    let mut out = Vec::new();
    for level in ["baseline", "restricted"] {
        let level_dir = root.join(level);
        let entries = std::fs::read_dir(&level_dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", level_dir.display()));
        for entry in entries {
            let dir = entry.unwrap().path();
            let version = dir.file_name().unwrap().to_string_lossy().to_string();
            out.push(Folder {
                level: level.to_string(),
                version,
                dir,
            });
        }
    }
    out.sort_by(|a, b| (&a.level, &a.dir).cmp(&(&b.level, &b.dir)));
    out
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    files
}

/// Runs the CLI exactly as a user would, one invocation per level and version folder.
#[test]
fn scan_verdicts_match_upstream_for_every_fixture() {
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for folder in folders() {
        let output = palisade()
            .args([
                "scan",
                "--format",
                "json",
                "--select",
                "pss",
                "--fail-on",
                "none",
            ])
            .args([
                "--pss-level",
                &folder.level,
                "--pss-version",
                &folder.version,
            ])
            .arg(&folder.dir)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            report["errors"].as_array().unwrap().len(),
            0,
            "{}",
            folder.dir.display()
        );

        let mut flagged: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["category"], "pss");
            let path = f["location"]["path"].as_str().unwrap().to_string();
            flagged
                .entry(path)
                .or_default()
                .insert(f["rule"].as_str().unwrap().to_string());
        }
        for expect in ["pass", "fail"] {
            for file in yaml_files(&folder.dir.join(expect)) {
                checked += 1;
                let key = palisade_engine::display_path(&file);
                let rules = flagged.get(&key);
                let ok = match expect {
                    "pass" => rules.is_none(),
                    _ => rules.is_some(),
                };
                if !ok {
                    mismatches.push(format!(
                        "{}/{}/{expect}/{}: {:?}",
                        folder.level,
                        folder.version,
                        file.file_name().unwrap().to_string_lossy(),
                        rules
                    ));
                }
            }
        }
    }
    assert_eq!(checked, EXPECTED_FIXTURES, "fixture count");
    assert!(
        mismatches.is_empty(),
        "{} of {checked} fixtures disagree with upstream:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Wraps each fixture's pod in the template of a workload kind and checks the verdict is the
/// same: workload templates are judged like the pods they will create.
#[test]
fn workload_templates_get_the_same_verdict_as_their_pods() {
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for folder in folders() {
        let settings = Settings {
            pss_level: PssLevel::parse(&folder.level).unwrap(),
            pss_version: PssVersion::parse(&folder.version).unwrap(),
            ..Settings::default()
        };
        let selection = Selection {
            select: vec!["pss".into()],
            ..Selection::default()
        };
        let engine = Engine::new(&selection, settings, PodKindTable::default()).unwrap();
        for expect in ["pass", "fail"] {
            for file in yaml_files(&folder.dir.join(expect)) {
                let pod = std::fs::read_to_string(&file).unwrap();
                for (kind, text) in wrap(&pod) {
                    checked += 1;
                    let report = engine.scan_text("wrapped.yaml", &text);
                    assert!(
                        report.diagnostics.is_empty(),
                        "{kind}: {:?}",
                        report.diagnostics
                    );
                    assert_eq!(report.objects, 1);
                    let failed = !report.findings.is_empty();
                    if failed != (expect == "fail") {
                        mismatches.push(format!("{kind} {}", file.display()));
                    }
                }
            }
        }
    }
    assert_eq!(checked, EXPECTED_FIXTURES * 3);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The pod's `metadata` and `spec`, re-indented under the template of a Deployment, a
/// CronJob and an Argo Rollout.
fn wrap(pod: &str) -> Vec<(&'static str, String)> {
    let body: String = pod
        .lines()
        .filter(|l| !l.starts_with("apiVersion:") && !l.starts_with("kind:"))
        .map(|l| format!("{}{l}\n", " ".repeat(8)))
        .collect();
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n  template:\n{}",
        body.lines()
            .map(|l| format!("{}\n", &l[4..]))
            .collect::<String>()
    );
    let rollout = deployment.replacen(
        "apiVersion: apps/v1\nkind: Deployment",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout",
        1,
    );
    let cronjob = format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  jobTemplate:\n    spec:\n      template:\n{}",
        body.lines().map(|l| format!("  {l}\n")).collect::<String>()
    );
    vec![
        ("Deployment", deployment),
        ("CronJob", cronjob),
        ("Rollout", rollout),
    ]
}
