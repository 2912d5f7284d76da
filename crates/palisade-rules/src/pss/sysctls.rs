use palisade_load::Node;

use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

/// The sysctls the baseline level allows, with the version that first allows each.
const ALLOWED: &[(&str, u32)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

declare_rule! {
    /// ## What it checks
    /// `spec.securityContext.sysctls` names only namespaced sysctls known to be safe:
    /// `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
    /// `net.ipv4.ip_unprivileged_port_start`, `net.ipv4.tcp_syncookies`,
    /// `net.ipv4.ping_group_range`; from v1.27 `net.ipv4.ip_local_reserved_ports`; from
    /// v1.29 `net.ipv4.tcp_keepalive_time`, `tcp_fin_timeout`, `tcp_keepalive_intvl`,
    /// `tcp_keepalive_probes`; from v1.32 `net.ipv4.tcp_rmem`, `tcp_wmem`; from v1.37
    /// `net.ipv4.tcp_slow_start_after_idle`, `tcp_notsent_lowat`.
    /// Pod Security Standards, baseline (upstream check `sysctls`).
    ///
    /// ## Why it matters
    /// Other sysctls can change kernel behaviour for the whole node or leak between pods.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///   - {name: kernel.msgmax, value: "65536"}
    /// ```
    ///
    /// ## Fix
    /// Remove the sysctl, or set it on the node instead.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    /// - https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/
    pub static SYSCTLS = {
        id: "PSS010",
        name: "unsafe-sysctls",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Pods must set only safe sysctls",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    let minor = cx.settings.pss_version.minor;
    let Some(sysctls) = pod.get(&["securityContext", "sysctls"]) else {
        return;
    };
    for (i, s) in sysctls.items().iter().enumerate() {
        let name = s
            .get("name")
            .and_then(Node::scalar_text)
            .unwrap_or_default();
        let allowed = ALLOWED
            .iter()
            .any(|&(n, since)| n == name && minor >= since);
        if !allowed {
            cx.report(
                pod.path(&["securityContext", "sysctls"])
                    .index(i)
                    .key("name"),
                format!("pod sets sysctl `{name}`, which is not allowed at this level"),
            );
            cx.case(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{PssVersion, Settings};
    use crate::testing::{paths, run_with};

    #[test]
    fn allowed_set_grows_with_the_version() {
        let pod = "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    sysctls:\n    - {name: kernel.shm_rmid_forced, value: '0'}\n    - {name: net.ipv4.tcp_rmem, value: '4096 87380 16777216'}\n  containers: [{name: a}]\n";
        let at = |minor| Settings {
            pss_version: PssVersion::v1(minor),
            ..Settings::default()
        };
        assert_eq!(
            paths(&run_with(&SYSCTLS, pod, &at(31))),
            ["spec.securityContext.sysctls[1].name"]
        );
        assert!(run_with(&SYSCTLS, pod, &at(32)).is_empty());
    }
}
