use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

/// Capabilities the baseline level allows containers to add (case-sensitive, as upstream).
pub(super) const ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

declare_rule! {
    /// ## What it checks
    /// Containers add only capabilities from the default set of container runtimes:
    /// `AUDIT_WRITE`, `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`,
    /// `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`, `SYS_CHROOT`.
    /// Pod Security Standards, baseline, all versions (upstream check
    /// `capabilities_baseline`). At the restricted level from v1.22 the stricter
    /// `capabilities-restricted` rule replaces this one.
    ///
    /// ## Why it matters
    /// Capabilities such as `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE` or `SYS_MODULE` each
    /// give a container a path to the node: mounting filesystems, reconfiguring the
    /// network, reading other processes, loading kernel modules.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["SYS_ADMIN"]
    /// ```
    ///
    /// ## Fix
    /// Remove the capability; most programs that ask for `SYS_ADMIN` need a volume or a
    /// different design, not the capability.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    /// - capabilities(7)
    pub static CAPABILITIES_BASELINE = {
        id: "PSS003",
        name: "capabilities-baseline",
        category: Pss,
        severity: High,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Containers must not add capabilities beyond the runtime's default set",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    if cx.settings.restricted() && cx.settings.pss_version.at_least(22) {
        return; // capabilities-restricted replaces this check
    }
    let Some(pod) = Pod::of(cx) else { return };
    for c in pod.containers() {
        for cap in &c.security.capabilities_add {
            if !ALLOWED.contains(&cap.value.as_str()) {
                cx.report_container(
                    c,
                    cap.path.clone(),
                    format!("container `{}` adds capability `{}`", c.name, cap.value),
                );
                cx.case(format!("add:{}", cap.value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::PssLevel;
    use crate::settings::Settings;
    use crate::testing::{paths, run_with};

    const POD: &str = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      capabilities: {add: [CHOWN, SYS_ADMIN]}\n";

    #[test]
    fn flags_capabilities_outside_the_default_set() {
        let baseline = Settings {
            pss_level: PssLevel::Baseline,
            ..Settings::default()
        };
        let v = run_with(&CAPABILITIES_BASELINE, POD, &baseline);
        assert_eq!(
            paths(&v),
            ["spec.containers[0].securityContext.capabilities.add[1]"]
        );
    }

    #[test]
    fn stands_aside_when_the_restricted_check_applies() {
        assert!(run_with(&CAPABILITIES_BASELINE, POD, &Settings::default()).is_empty());
    }
}
