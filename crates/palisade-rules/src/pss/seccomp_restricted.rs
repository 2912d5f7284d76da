use super::seccomp_baseline::valid_type;
use super::{Pod, name_list, report_at_pod_level};
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// A seccomp profile is in force for every container: `seccompProfile.type` is
    /// `RuntimeDefault` or `Localhost` at pod level or on every container, and no container
    /// sets another type.
    /// Pod Security Standards, restricted, from v1.19 (upstream check
    /// `seccompProfile_restricted`); it replaces `seccomp-baseline` at that level. From
    /// v1.25 Windows pods are exempt.
    ///
    /// ## Why it matters
    /// Without a profile most runtimes run containers unconfined, with the whole system-call
    /// interface of the kernel open to them.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: example/app:1.0
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
    /// - https://kubernetes.io/docs/tutorials/security/seccomp/
    pub static SECCOMP_RESTRICTED = {
        id: "PSS104",
        name: "seccomp-restricted",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Restricted),
        summary: "Pods must set a RuntimeDefault or Localhost seccomp profile",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let v = cx.settings.pss_version;
    if !v.at_least(19) {
        return;
    }
    let Some(pod) = Pod::of(cx) else { return };
    if v.at_least(25) && pod.is_windows() {
        return;
    }

    let pod_key = ["securityContext", "seccompProfile"];
    let pod_profile = pod.get(&pod_key);
    let pod_bad = pod_profile.is_some_and(|p| !valid_type(p));
    let pod_good = pod_profile.is_some_and(valid_type);
    if pod_bad {
        cx.report(
            pod.path(&["securityContext", "seccompProfile", "type"]),
            "pod sets a seccomp profile type other than `RuntimeDefault` or `Localhost`",
        );
    }

    let mut unset = Vec::new();
    for c in pod.containers() {
        match pod.container_get(c, &["securityContext", "seccompProfile"]) {
            Some(p) if !valid_type(p) => cx.report_container(
                c,
                c.path.keys(&["securityContext", "seccompProfile", "type"]),
                format!(
                    "container `{}` sets a seccomp profile type other than `RuntimeDefault` or `Localhost`",
                    c.name
                ),
            ),
            Some(_) => {}
            None if pod_good => {}
            None => unset.push(c),
        }
    }
    if !unset.is_empty() && !pod_bad {
        let message = format!(
            "no seccomp profile applies to container(s) {}",
            name_list(unset.iter().map(|c| c.name.as_str()))
        );
        report_at_pod_level(cx, &pod, &unset, &pod_key, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn pod_level_profile_covers_all_containers() {
        let v = run(
            &SECCOMP_RESTRICTED,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {seccompProfile: {type: RuntimeDefault}}\n  containers: [{name: a}, {name: b}]\n",
        );
        assert!(v.is_empty());
    }

    #[test]
    fn flags_missing_and_unconfined_profiles() {
        let v = run(
            &SECCOMP_RESTRICTED,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a}\n  - {name: b, securityContext: {seccompProfile: {type: Unconfined}}}\n  - {name: c, securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.containers[1].securityContext.seccompProfile.type",
                "spec.securityContext.seccompProfile"
            ]
        );
    }
}
