//! Which Palisade findings correspond to other scanners' checks, so that suppressions written
//! for those scanners keep working.
//!
//! A check covers the findings of every Palisade rule that reports the same cause, and no
//! more. Where one Palisade rule covers several checks of another scanner, its findings name
//! their case ([`Violation::cases`](crate::Violation::cases)) and the check covers only its
//! own cases: kube-linter's `host-pid` covers the `hostPID` findings of `host-namespaces`, not
//! its `hostNetwork` ones. The cases rules name:
//!
//! | Rule | Cases |
//! |---|---|
//! | PSS001 `host-namespaces` | `hostNetwork`, `hostPID`, `hostIPC` |
//! | PSS003 `capabilities-baseline` | `add:<CAPABILITY>` |
//! | PSS105 `capabilities-restricted` | `drop:ALL` (does not drop `ALL`), `add:<CAPABILITY>` |
//! | PSS004 `host-path-volumes`, PSS101 `restricted-volume-types` | `hostPath:writable` (a host path some container mounts writable) |
//! | PSS010 `sysctls` | the sysctl's name |
//! | REL001 `missing-resource-requests` | `cpu`, `memory` (both, for a container missing both) |
//! | HRD004 `sensitive-host-path` | the host path, normalised (`/run/docker.sock`) |
//! | SEC001 `secret-in-env` | the variable's name |
//! | RBAC004 `rbac-escalate-bind-impersonate` | `escalate`, `bind`, `impersonate` (each verb granted) |
//!
//! A check with no counterpart maps to nothing (and a suppression naming it is reported as
//! suppressing nothing).

/// Findings of one Palisade rule that another scanner's check covers: all of them, or those
/// of the cases that match a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covered {
    pub rule: &'static str,
    /// `None`: every finding of the rule. Otherwise a pattern for its cases, compared
    /// without regard to ASCII case; `*` stands for any run of characters (`add:*`,
    /// `*docker.sock`).
    pub case: Option<&'static str>,
}

impl Covered {
    /// Every finding of `rule`.
    pub const fn rule(rule: &'static str) -> Covered {
        Covered { rule, case: None }
    }

    /// The findings of `rule` whose case matches `pattern`.
    pub const fn case(rule: &'static str, pattern: &'static str) -> Covered {
        Covered {
            rule,
            case: Some(pattern),
        }
    }

    /// Whether this covers case `case` of rule `rule`.
    pub fn covers_case(&self, rule: &str, case: &str) -> bool {
        self.rule == rule && self.case.is_none_or(|p| glob_match(p, case))
    }

    /// Whether this covers a whole finding of `rule` that is `cases` (every one of them).
    pub fn covers(&self, rule: &str, cases: &[String]) -> bool {
        match self.case {
            None => self.rule == rule,
            Some(_) => !cases.is_empty() && cases.iter().all(|c| self.covers_case(rule, c)),
        }
    }
}

use Covered as C;

/// kube-linter check names.
const KUBE_LINTER: &[(&str, &[Covered])] = &[
    ("access-to-secrets", &[C::rule("RBAC002")]),
    ("cluster-admin-role-binding", &[C::rule("RBAC006")]),
    ("docker-sock", &[C::case("HRD004", "*docker.sock")]),
    // Forbids keeping NET_RAW; not dropping `ALL` keeps every other default capability too,
    // which this check does not cover.
    (
        "drop-net-raw-capability",
        &[
            C::case("PSS003", "add:NET_RAW"),
            C::case("PSS105", "add:NET_RAW"),
        ],
    ),
    // Variables whose name contains `secret` and that have a literal value.
    ("env-var-secret", &[C::case("SEC001", "*secret*")]),
    ("exposed-services", &[C::rule("NET001"), C::rule("NET002")]),
    ("host-ipc", &[C::case("PSS001", "hostIPC")]),
    ("host-network", &[C::case("PSS001", "hostNetwork")]),
    ("host-pid", &[C::case("PSS001", "hostPID")]),
    ("latest-tag", &[C::rule("IMG001")]),
    ("no-liveness-probe", &[C::rule("REL005")]),
    ("no-read-only-root-fs", &[C::rule("HRD001")]),
    ("no-readiness-probe", &[C::rule("REL004")]),
    ("privilege-escalation-container", &[C::rule("PSS103")]),
    ("privileged-container", &[C::rule("PSS002")]),
    ("run-as-non-root", &[C::rule("PSS102")]),
    (
        "sensitive-host-mounts",
        &[
            C::case("HRD004", "/"),
            C::case("HRD004", "/boot"),
            C::case("HRD004", "/dev"),
            C::case("HRD004", "/etc"),
            C::case("HRD004", "/lib"),
            C::case("HRD004", "/proc"),
            C::case("HRD004", "/sys"),
            C::case("HRD004", "/usr"),
        ],
    ),
    ("unsafe-proc-mount", &[C::rule("PSS008")]),
    (
        "unsafe-sysctls",
        &[
            C::case("PSS010", "kernel.msg*"),
            C::case("PSS010", "kernel.sem*"),
            C::case("PSS010", "kernel.shm*"),
            C::case("PSS010", "fs.mqueue.*"),
            C::case("PSS010", "net.*"),
        ],
    ),
    (
        "unset-cpu-requirements",
        &[C::case("REL001", "cpu"), C::rule("REL003")],
    ),
    (
        "unset-memory-requirements",
        &[C::case("REL001", "memory"), C::rule("REL002")],
    ),
    ("use-namespace", &[C::rule("HRD003")]),
    ("wildcard-in-rules", &[C::rule("RBAC001")]),
    (
        "writable-host-mount",
        &[
            C::case("PSS004", "hostPath:writable"),
            C::case("PSS101", "hostPath:writable"),
        ],
    ),
];

/// Checkov check ids. `CKV_K8S_29` and `CKV_K8S_30` (a security context is set at all) have
/// no counterpart: no Palisade finding is about the mere absence of a security context.
const CHECKOV: &[(&str, &[Covered])] = &[
    ("CKV_K8S_8", &[C::rule("REL005")]),
    ("CKV_K8S_9", &[C::rule("REL004")]),
    ("CKV_K8S_10", &[C::case("REL001", "cpu")]),
    ("CKV_K8S_11", &[C::rule("REL003")]),
    ("CKV_K8S_12", &[C::case("REL001", "memory")]),
    ("CKV_K8S_13", &[C::rule("REL002")]),
    ("CKV_K8S_14", &[C::rule("IMG001")]),
    ("CKV_K8S_16", &[C::rule("PSS002")]),
    ("CKV_K8S_17", &[C::case("PSS001", "hostPID")]),
    ("CKV_K8S_18", &[C::case("PSS001", "hostIPC")]),
    ("CKV_K8S_19", &[C::case("PSS001", "hostNetwork")]),
    ("CKV_K8S_20", &[C::rule("PSS103")]),
    ("CKV_K8S_21", &[C::rule("HRD003")]),
    ("CKV_K8S_22", &[C::rule("HRD001")]),
    ("CKV_K8S_23", &[C::rule("PSS102")]),
    // Any added capability.
    (
        "CKV_K8S_25",
        &[C::case("PSS003", "add:*"), C::case("PSS105", "add:*")],
    ),
    ("CKV_K8S_26", &[C::rule("PSS005")]),
    ("CKV_K8S_27", &[C::case("HRD004", "/run/docker.sock")]),
    // NET_RAW kept; not dropping `ALL` is CKV_K8S_37's.
    (
        "CKV_K8S_28",
        &[
            C::case("PSS003", "add:NET_RAW"),
            C::case("PSS105", "add:NET_RAW"),
        ],
    ),
    ("CKV_K8S_31", &[C::rule("PSS009"), C::rule("PSS104")]),
    // `capabilities.drop` contains `ALL`.
    ("CKV_K8S_37", &[C::case("PSS105", "drop:ALL")]),
    ("CKV_K8S_38", &[C::rule("HRD002")]),
    (
        "CKV_K8S_39",
        &[
            C::case("PSS003", "add:SYS_ADMIN"),
            C::case("PSS003", "add:CAP_SYS_ADMIN"),
            C::case("PSS105", "add:SYS_ADMIN"),
            C::case("PSS105", "add:CAP_SYS_ADMIN"),
        ],
    ),
    ("CKV_K8S_43", &[C::rule("IMG002")]),
    ("CKV_K8S_49", &[C::rule("RBAC001")]),
    ("CKV_K8S_157", &[C::case("RBAC004", "bind")]),
    ("CKV_K8S_158", &[C::case("RBAC004", "escalate")]),
];

/// The Palisade findings a kube-linter check covers.
pub fn kube_linter(check: &str) -> &'static [Covered] {
    lookup(KUBE_LINTER, check)
}

/// The Palisade findings a Checkov check id covers.
pub fn checkov(id: &str) -> &'static [Covered] {
    lookup(CHECKOV, id)
}

fn lookup(table: &'static [(&'static str, &'static [Covered])], key: &str) -> &'static [Covered] {
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map_or(&[], |(_, covered)| covered)
}

/// `pattern` against `text`, ignoring ASCII case; `*` matches any run of characters.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // The classic two-pointer walk, backtracking to the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_rule_exists() {
        for (check, covered) in KUBE_LINTER.iter().chain(CHECKOV) {
            for c in *covered {
                assert!(
                    crate::find(c.rule).is_some(),
                    "{check} maps to unknown {}",
                    c.rule
                );
            }
        }
        assert_eq!(checkov("ckv_k8s_20"), [Covered::rule("PSS103")]);
        assert!(kube_linter("no-such-check").is_empty());
        assert!(checkov("CKV_K8S_30").is_empty());
    }

    #[test]
    fn checks_cover_only_their_own_cases() {
        let covers = |table: &[Covered], rule: &str, cases: &[&str]| {
            let cases: Vec<String> = cases.iter().map(|c| c.to_string()).collect();
            table.iter().any(|c| c.covers(rule, &cases))
        };
        let net_raw = checkov("CKV_K8S_28");
        assert!(covers(net_raw, "PSS105", &["add:NET_RAW"]));
        assert!(!covers(net_raw, "PSS105", &["add:SYS_ADMIN"]));
        assert!(!covers(net_raw, "PSS105", &["drop:ALL"]));
        assert!(!covers(net_raw, "PSS105", &[]), "a finding without a case");

        let cpu = kube_linter("unset-cpu-requirements");
        assert!(covers(cpu, "REL001", &["cpu"]));
        assert!(!covers(cpu, "REL001", &["memory"]));
        assert!(!covers(cpu, "REL001", &["cpu", "memory"]));
        assert!(covers(cpu, "REL003", &[]));

        assert!(covers(checkov("CKV_K8S_25"), "PSS003", &["add:SYS_ADMIN"]));
        assert!(covers(
            kube_linter("env-var-secret"),
            "SEC001",
            &["CLIENT_SECRET"]
        ));
        assert!(!covers(
            kube_linter("env-var-secret"),
            "SEC001",
            &["DB_PASSWORD"]
        ));
        assert!(covers(
            kube_linter("docker-sock"),
            "HRD004",
            &["/run/docker.sock"]
        ));
        assert!(!covers(kube_linter("docker-sock"), "HRD004", &["/etc"]));
    }

    #[test]
    fn patterns_match_like_shell_globs_ignoring_case() {
        assert!(glob_match("add:*", "add:NET_RAW"));
        assert!(glob_match("*secret*", "CLIENT_SECRET_VALUE"));
        assert!(glob_match("*docker.sock", "/run/docker.sock"));
        assert!(glob_match("net.*", "net.ipv4.ip_forward"));
        assert!(!glob_match("net.*", "kernel.net"));
        assert!(!glob_match("cpu", "cpus"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
    }
}
