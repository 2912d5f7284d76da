use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// Containers leave `securityContext.procMount` unset or `Default`.
    /// Pod Security Standards, baseline, all versions (upstream checks `procMount` and,
    /// from v1.35, `procMount_restricted`). From v1.35 the baseline level allows any value
    /// for pods in a user namespace (`hostUsers: false`); the restricted level never does.
    ///
    /// ## Why it matters
    /// `Unmasked` exposes the parts of `/proc` that the runtime normally hides, such as
    /// kernel tunables and information about the node.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   procMount: Unmasked
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount` (or set it to `Default`).
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    pub static PROC_MOUNT = {
        id: "PSS008",
        name: "proc-mount",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Containers must use the default /proc mount",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    let v = cx.settings.pss_version;
    if v.at_least(35) && !cx.settings.restricted() && pod.in_user_namespace() {
        return;
    }
    for c in pod.containers() {
        if let Some(s) = c
            .security
            .proc_mount
            .as_ref()
            .filter(|s| s.value != "Default")
        {
            cx.report_container(
                c,
                s.path.clone(),
                format!("container `{}` sets `procMount: {}`", c.name, s.value),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::PssLevel;
    use crate::settings::{PssVersion, Settings};
    use crate::testing::{paths, run, run_with};

    const UNMASKED: &str = "apiVersion: v1\nkind: Pod\nspec:\n  hostUsers: false\n  containers:\n  - name: a\n    securityContext: {procMount: Unmasked}\n";

    #[test]
    fn flags_unmasked_proc() {
        assert_eq!(
            paths(&run(&PROC_MOUNT, UNMASKED)),
            ["spec.containers[0].securityContext.procMount"]
        );
    }

    #[test]
    fn user_namespaces_relax_baseline_from_v1_35_only() {
        let baseline = |minor| Settings {
            pss_level: PssLevel::Baseline,
            pss_version: PssVersion::v1(minor),
            ..Settings::default()
        };
        assert_eq!(run_with(&PROC_MOUNT, UNMASKED, &baseline(34)).len(), 1);
        assert!(run_with(&PROC_MOUNT, UNMASKED, &baseline(35)).is_empty());
    }
}
