//! The cross-object RBAC analysis as a user meets it: `palisade scan` on real manifests and
//! `palisade who-can` on the same files.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{json, run_in, scratch_dir, shared_dir};

fn corpus(path: &str) -> PathBuf {
    shared_dir().join("corpus").join(path)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// `palisade who-can ARGS` run in rbac-tool's test data, whose files show who may do what.
fn who_can_in_rbac_tool(args: &[&str]) -> Output {
    let mut all = vec!["who-can"];
    all.extend_from_slice(args);
    run_in(&corpus("rbac-tool/testdata"), &all)
}

/// The findings of `rules` in a JSON report: (path ending, line, rule, severity, message).
fn findings(
    report: &serde_json::Value,
    rules: &[&str],
) -> Vec<(String, u64, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| rules.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn who_can_names_each_subject_with_its_binding_and_role_rule() {
    let out = who_can_in_rbac_tool(&["get", "secrets", "-n", "test", "whocan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("Who can get secrets in namespace test:\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  ServiceAccount test/test-secret-reader-sa\n    in namespace test: RoleBinding/read-secrets (whocan/secret-reader.yaml:35) → ClusterRole/test-secret-reader rules[0] (whocan/secret-reader.yaml:18)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Role/specific-secret-reader rules[0] (whocan/specific-resource-reader.yaml:19), only some-secret"
        ),
        "{text}"
    );
    assert!(
        text.contains("Group system:masters can do anything"),
        "{text}"
    );
}

#[test]
fn who_can_answers_in_json_with_files_and_lines() {
    let out = who_can_in_rbac_tool(&["get", "secrets", "-n", "test", "whocan", "--format", "json"]);
    let answer = json(&out);
    assert_eq!(answer["namespace"], "test");
    assert_eq!(answer["resource"], "secrets");
    let subjects: Vec<String> = answer["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        subjects,
        [
            "User test-secret-reader",
            "User test-specific-secret-reader",
            "ServiceAccount test-secret-reader-sa",
            "ServiceAccount test-specific-secret-reader-sa",
        ]
    );
    let specific = &answer["subjects"][1]["grants"][0];
    assert_eq!(specific["binding"]["kind"], "RoleBinding");
    assert_eq!(specific["binding"]["line"], 34);
    assert_eq!(specific["rule"]["role"], "Role/specific-secret-reader");
    assert_eq!(
        specific["rule"]["file"],
        "whocan/specific-resource-reader.yaml"
    );
    assert_eq!(specific["rule"]["line"], 19);
    assert_eq!(
        specific["resource_names"],
        serde_json::json!(["some-secret"])
    );
    assert_eq!(answer["always_allowed"][0]["name"], "system:masters");
}

#[test]
fn who_can_follows_aggregated_cluster_roles() {
    let out = who_can_in_rbac_tool(&["create", "pods", "whocan/clusterrole-aggregate.yaml"]);
    let text = stdout(&out);
    for subject in [
        "User test-aggregate-user",
        "Group test-aggregate-group",
        "ServiceAccount test/test-aggregate-sa",
    ] {
        assert!(
            text.contains(&format!("  {subject}\n")),
            "{subject}: {text}"
        );
    }
    assert!(
        text.contains(
            "→ ClusterRole/test-aggregate, aggregating ClusterRole/test-clusterrole-create rules[0] (whocan/clusterrole-aggregate.yaml:51)"
        ),
        "{text}"
    );
    // The other component grants reads only.
    let delete = stdout(&who_can_in_rbac_tool(&[
        "delete",
        "pods",
        "whocan/clusterrole-aggregate.yaml",
    ]));
    assert!(
        delete.starts_with("No subject in the files can delete pods"),
        "{delete}"
    );
}

#[test]
fn a_role_binding_grants_its_cluster_role_only_in_its_namespace() {
    let across = stdout(&who_can_in_rbac_tool(&["get", "secrets", "."]));
    assert!(
        across.starts_with("No subject in the files can get secrets across the cluster."),
        "{across}"
    );
    assert!(
        across.contains("RoleBindings grant it within namespaces too: policyrules, test"),
        "{across}"
    );
    let other = stdout(&who_can_in_rbac_tool(&[
        "get", "secrets", "-n", "other", ".",
    ]));
    assert!(other.starts_with("No subject"), "{other}");
    let anywhere = stdout(&who_can_in_rbac_tool(&["get", "secrets", "-A", "."]));
    assert!(
        anywhere.contains("  ServiceAccount policyrules/the-test-user\n"),
        "{anywhere}"
    );
}

/// rbac-tool's test data expects the user bound by a RoleBinding to read `/test-reader`, but
/// the authorizer asks only ClusterRoleBindings about non-resource URLs.
#[test]
fn non_resource_urls_are_granted_only_by_cluster_role_bindings() {
    let out = who_can_in_rbac_tool(&["get", "/test-reader", "whocan"]);
    assert!(stdout(&out).starts_with("No subject in the files can get /test-reader"));

    let dir = scratch_dir("rbac-url");
    write(
        &dir,
        "url.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: metrics}\nrules:\n- nonResourceURLs: ['/metrics', '/debug/*']\n  verbs: [get]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: metrics}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics}\nsubjects: [{kind: ServiceAccount, name: prometheus, namespace: monitoring}]\n",
    );
    let text = stdout(&run_in(
        &dir,
        &["who-can", "get", "/debug/pprof", "url.yaml"],
    ));
    assert!(
        text.contains("  ServiceAccount monitoring/prometheus\n"),
        "{text}"
    );
}

#[test]
fn bindings_to_roles_outside_the_files_are_unknown_not_denied() {
    let dir = scratch_dir("rbac-unknown");
    write(
        &dir,
        "binding.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: vendor, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: vendor-operator}\nsubjects: [{kind: ServiceAccount, name: operator}]\n",
    );
    let text = stdout(&run_in(
        &dir,
        &["who-can", "get", "secrets", "-n", "shop", "."],
    ));
    assert!(
        text.starts_with(
            "No subject in the files is shown to get secrets in namespace shop, but 1 binding(s) \
             refer to roles the files do not show and may grant it (below)."
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  RoleBinding/vendor (binding.yaml:1) in namespace shop: ClusterRole/vendor-operator is not in the files, for ServiceAccount shop/operator\n"
        ),
        "{text}"
    );
    let answer = json(&run_in(
        &dir,
        &["who-can", "get", "secrets", "-n", "shop", ".", "-f", "json"],
    ));
    assert_eq!(answer["unknown"][0]["role"]["name"], "vendor-operator");
    assert_eq!(answer["unknown"][0]["subjects"][0]["namespace"], "shop");
    // Elsewhere the binding does not apply, so it is not even unknown.
    let other = json(&run_in(
        &dir,
        &["who-can", "get", "secrets", "-n", "web", ".", "-f", "json"],
    ));
    assert_eq!(other["unknown"], serde_json::json!([]));
}

#[test]
fn who_can_reports_load_errors_and_usage_errors_with_exit_2() {
    let dir = scratch_dir("rbac-errors");
    write(&dir, "broken.yaml", "kind: Role\nrules: [\n");
    write(
        &dir,
        "ok.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: a}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: ann}]\n",
    );
    let out = run_in(&dir, &["who-can", "delete", "nodes", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("error: broken.yaml:"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("  User ann\n"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("covers only the input that loaded"),
        "{}",
        stderr(&out)
    );
    let out = run_in(&dir, &["who-can", "delete", "nodes", ".", "-f", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["incomplete"], true);
    assert_eq!(answer["load_errors"], 1);

    let out = run_in(&dir, &["who-can", "get", "widgets", "ok.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("name its API group"),
        "{}",
        stderr(&out)
    );
    let out = run_in(&dir, &["who-can", "get", "widgets.example.com", "ok.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    // A forgotten resource: the file is not taken for one.
    let out = run_in(&dir, &["who-can", "get", "-n", "shop", "ok.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`ok.yaml` is a file, not a resource"),
        "{}",
        stderr(&out)
    );

    // A misspelt verb is answered as written (RBAC allows custom verbs), with a warning.
    let out = run_in(&dir, &["who-can", "delte", "nodes", "ok.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("`delte` is not a verb Kubernetes uses"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("  User ann\n"), "{}", stdout(&out));
}

#[test]
fn kubernetes_goat_rbac_scenarios() {
    let goat = corpus("kubernetes-goat/scenarios");

    // The ServiceAccount bound to cluster-admin holds every verb on every resource.
    let everything = stdout(&run_in(&goat, &["who-can", "*", "*", "insecure-rbac"]));
    assert!(
        everything.contains(
            "  ServiceAccount kube-system/superadmin\n    across the cluster: ClusterRoleBinding/superadmin (insecure-rbac/setup.yaml:16) → built-in ClusterRole/cluster-admin rules[0]\n"
        ),
        "{everything}"
    );

    // The hunger-check workload reads the Secrets of its namespace through its account.
    let report = json(&run_in(&goat, &["scan", "--format", "json", "."]));
    let found = findings(&report, &["RBAC102", "RBAC109"]);
    assert!(
        found.iter().any(|(path, line, rule, severity, message)| path
            .ends_with("hunger-check/deployment.yaml")
            && *line == 69
            && rule == "RBAC109"
            && severity == "medium"
            && message.starts_with(
                "`Deployment/hunger-check-deployment` runs as `ServiceAccount big-monolith/big-monolith-sa`, which can read Secrets"
            )),
        "{found:?}"
    );
    assert!(
        found.iter().any(
            |(path, line, rule, ..)| path.ends_with("hunger-check/deployment.yaml")
                && *line == 24
                && rule == "RBAC102"
        ),
        "{found:?}"
    );
    // No workload in the scenarios runs as `superadmin`: its binding is RBAC006's alone.
    assert!(
        found
            .iter()
            .all(|(path, ..)| !path.ends_with("insecure-rbac/setup.yaml")),
        "{found:?}"
    );
}

#[test]
fn a_workload_running_as_the_goat_superadmin_account_is_critical() {
    let dir = scratch_dir("rbac-goat");
    std::fs::copy(
        corpus("kubernetes-goat/scenarios/insecure-rbac/setup.yaml"),
        dir.join("setup.yaml"),
    )
    .unwrap();
    write(
        &dir,
        "tiller.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tiller, namespace: kube-system}\nspec:\n  selector: {matchLabels: {app: tiller}}\n  template:\n    metadata: {labels: {app: tiller}}\n    spec:\n      serviceAccountName: superadmin\n      containers: [{name: tiller, image: 'example/tiller:2.16'}]\n",
    );
    let report = json(&run_in(&dir, &["scan", "--format", "json", "."]));
    let found = findings(&report, &["RBAC109"]);
    assert_eq!(found.len(), 1, "{found:?}");
    let (path, line, _, severity, message) = &found[0];
    assert_eq!(
        (path.as_str(), *line, severity.as_str()),
        ("tiller.yaml", 9, "critical")
    );
    assert_eq!(
        message,
        "`Deployment/tiller` runs as `ServiceAccount kube-system/superadmin`, which can do anything across the cluster, given by `ClusterRoleBinding/superadmin` (`setup.yaml:16`) through the built-in `ClusterRole/cluster-admin` `rules[0]`"
    );
}

/// Every RBAC object of the corpus, scanned as one set and asked about: no crash, and every
/// finding of the cross-object rules points into a binding or a workload.
#[test]
fn the_whole_corpus_is_analysed_without_crashing() {
    let root = shared_dir().join("corpus");
    let report = json(&run_in(
        &root,
        &["scan", "--format", "json", "--select", "rbac", "."],
    ));
    let cross: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("RBAC1"))
        .collect();
    assert!(cross.len() > 50, "{}", cross.len());
    for f in cross {
        let kind = f["resource"]["kind"].as_str().unwrap();
        let field = f["field"].as_str().unwrap();
        match f["rule"].as_str().unwrap() {
            "RBAC109" => assert!(
                field.ends_with("serviceAccountName") || field.ends_with("serviceAccount"),
                "{f}"
            ),
            _ => assert!(
                kind.ends_with("RoleBinding") && field.starts_with("subjects["),
                "{f}"
            ),
        }
    }
    let out = run_in(&root, &["who-can", "list", "secrets", "-A", "."]);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert!(stdout(&out).contains("ServiceAccount ingress-nginx/ingress-nginx"));
}
