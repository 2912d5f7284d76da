//! Which Palisade rules correspond to other scanners' checks, so that suppressions written for
//! those scanners keep working.
//!
//! A check maps to every Palisade rule that reports the same cause; a check with no counterpart
//! maps to nothing (and a suppression naming it is reported as suppressing nothing).

/// kube-linter check names.
const KUBE_LINTER: &[(&str, &[&str])] = &[
    ("access-to-secrets", &["RBAC002"]),
    ("cluster-admin-role-binding", &["RBAC006"]),
    ("docker-sock", &["HRD004"]),
    ("drop-net-raw-capability", &["PSS105"]),
    ("env-var-secret", &["SEC001"]),
    ("exposed-services", &["NET001", "NET002"]),
    ("host-ipc", &["PSS001"]),
    ("host-network", &["PSS001"]),
    ("host-pid", &["PSS001"]),
    ("latest-tag", &["IMG001"]),
    ("no-liveness-probe", &["REL005"]),
    ("no-read-only-root-fs", &["HRD001"]),
    ("no-readiness-probe", &["REL004"]),
    ("privilege-escalation-container", &["PSS103"]),
    ("privileged-container", &["PSS002"]),
    ("run-as-non-root", &["PSS102"]),
    ("sensitive-host-mounts", &["HRD004"]),
    ("unsafe-proc-mount", &["PSS008"]),
    ("unsafe-sysctls", &["PSS010"]),
    ("unset-cpu-requirements", &["REL001", "REL003"]),
    ("unset-memory-requirements", &["REL001", "REL002"]),
    ("use-namespace", &["HRD003"]),
    ("wildcard-in-rules", &["RBAC001"]),
    ("writable-host-mount", &["PSS004", "PSS101"]),
];

/// Checkov check ids.
const CHECKOV: &[(&str, &[&str])] = &[
    ("CKV_K8S_8", &["REL005"]),
    ("CKV_K8S_9", &["REL004"]),
    ("CKV_K8S_10", &["REL001"]),
    ("CKV_K8S_11", &["REL003"]),
    ("CKV_K8S_12", &["REL001"]),
    ("CKV_K8S_13", &["REL002"]),
    ("CKV_K8S_14", &["IMG001"]),
    ("CKV_K8S_16", &["PSS002"]),
    ("CKV_K8S_17", &["PSS001"]),
    ("CKV_K8S_18", &["PSS001"]),
    ("CKV_K8S_19", &["PSS001"]),
    ("CKV_K8S_20", &["PSS103"]),
    ("CKV_K8S_21", &["HRD003"]),
    ("CKV_K8S_22", &["HRD001"]),
    ("CKV_K8S_23", &["PSS102"]),
    ("CKV_K8S_25", &["PSS003", "PSS105"]),
    ("CKV_K8S_26", &["PSS005"]),
    ("CKV_K8S_27", &["HRD004"]),
    ("CKV_K8S_28", &["PSS105"]),
    ("CKV_K8S_29", &["PSS102"]),
    ("CKV_K8S_30", &["PSS102"]),
    ("CKV_K8S_31", &["PSS009", "PSS104"]),
    ("CKV_K8S_37", &["PSS105"]),
    ("CKV_K8S_38", &["HRD002"]),
    ("CKV_K8S_39", &["PSS003", "PSS105"]),
    ("CKV_K8S_43", &["IMG002"]),
    ("CKV_K8S_49", &["RBAC001"]),
    ("CKV_K8S_157", &["RBAC004"]),
    ("CKV_K8S_158", &["RBAC004"]),
];

/// The Palisade rules a kube-linter check corresponds to.
pub fn kube_linter(check: &str) -> &'static [&'static str] {
    lookup(KUBE_LINTER, check)
}

/// The Palisade rules a Checkov check id corresponds to.
pub fn checkov(id: &str) -> &'static [&'static str] {
    lookup(CHECKOV, id)
}

fn lookup(
    table: &'static [(&'static str, &'static [&'static str])],
    key: &str,
) -> &'static [&'static str] {
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map_or(&[], |(_, rules)| rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_rule_exists() {
        for (check, rules) in KUBE_LINTER.iter().chain(CHECKOV) {
            for id in *rules {
                assert!(crate::find(id).is_some(), "{check} maps to unknown {id}");
            }
        }
        assert_eq!(checkov("ckv_k8s_20"), ["PSS103"]);
        assert!(kube_linter("no-such-check").is_empty());
    }
}
