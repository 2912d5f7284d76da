use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// Every container sets `securityContext.allowPrivilegeEscalation: false` explicitly.
    /// Pod Security Standards, restricted, from v1.8 (upstream check
    /// `allowPrivilegeEscalation`); from v1.25 Windows pods (`spec.os.name: windows`) are
    /// exempt.
    ///
    /// ## Why it matters
    /// Unless it is `false`, a process can gain more privileges than its parent, through
    /// set-user-ID binaries such as `sudo` or file capabilities. The setting maps to the
    /// kernel's `no_new_privs` flag and costs nothing for ordinary programs.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example/app:1.0
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///   securityContext:
    ///     allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
    pub static ALLOW_PRIVILEGE_ESCALATION = {
        id: "PSS103",
        name: "allow-privilege-escalation",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Restricted),
        summary: "Containers must set allowPrivilegeEscalation: false",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let v = cx.settings.pss_version;
    if !v.at_least(8) {
        return;
    }
    let Some(pod) = Pod::of(cx) else { return };
    if v.at_least(25) && pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        match &c.security.allow_privilege_escalation {
            Some(s) if !s.value => {}
            Some(s) => cx.report_container(
                c,
                s.path.clone(),
                format!(
                    "container `{}` sets `allowPrivilegeEscalation: true`",
                    c.name
                ),
            ),
            None => cx.report_container(
                c,
                c.path
                    .keys(&["securityContext", "allowPrivilegeEscalation"]),
                format!(
                    "container `{}` does not set `allowPrivilegeEscalation: false`",
                    c.name
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{PssVersion, Settings};
    use crate::testing::{paths, run, run_with};

    #[test]
    fn requires_an_explicit_false() {
        let v = run(
            &ALLOW_PRIVILEGE_ESCALATION,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a}\n  - {name: b, securityContext: {allowPrivilegeEscalation: true}}\n  - {name: c, securityContext: {allowPrivilegeEscalation: false}}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.containers[0].securityContext.allowPrivilegeEscalation",
                "spec.containers[1].securityContext.allowPrivilegeEscalation"
            ]
        );
    }

    #[test]
    fn windows_pods_are_exempt_from_v1_25() {
        let pod =
            "apiVersion: v1\nkind: Pod\nspec:\n  os: {name: windows}\n  containers: [{name: a}]\n";
        let at = |minor| Settings {
            pss_version: PssVersion::v1(minor),
            ..Settings::default()
        };
        assert_eq!(run_with(&ALLOW_PRIVILEGE_ESCALATION, pod, &at(24)).len(), 1);
        assert!(run(&ALLOW_PRIVILEGE_ESCALATION, pod).is_empty());
    }
}
