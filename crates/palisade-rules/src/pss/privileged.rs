use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// No container sets `securityContext.privileged: true`.
    /// Pod Security Standards, baseline, all versions (upstream check `privileged`).
    ///
    /// ## Why it matters
    /// A privileged container has every capability and every device of the node, and no
    /// seccomp or AppArmor confinement: it is root on the node in all but name. Escaping
    /// it takes one `mount` of the host disk.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: example/app:1.0
    ///   securityContext:
    ///     privileged: true
    /// ```
    ///
    /// ## Fix
    /// Remove `privileged: true`. If the program needs one specific power, add that single
    /// capability instead (and check it against the `capabilities` rules).
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    pub static PRIVILEGED = {
        id: "PSS002",
        name: "privileged-container",
        category: Pss,
        severity: Critical,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Containers must not run privileged",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    for c in pod.containers() {
        if let Some(s) = c.security.privileged.as_ref().filter(|s| s.value) {
            cx.report_container(
                c,
                s.path.clone(),
                format!("container `{}` runs privileged", c.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_privileged_containers_of_every_kind() {
        let v = run(
            &PRIVILEGED,
            "apiVersion: v1\nkind: Pod\nspec:\n  initContainers:\n  - name: i\n    securityContext: {privileged: true}\n  containers:\n  - name: a\n    securityContext: {privileged: false}\n  ephemeralContainers:\n  - name: e\n    securityContext: {privileged: true}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.initContainers[0].securityContext.privileged",
                "spec.ephemeralContainers[0].securityContext.privileged"
            ]
        );
    }

    #[test]
    fn passes_unprivileged_containers() {
        assert!(
            run(
                &PRIVILEGED,
                "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a}]\n"
            )
            .is_empty()
        );
    }
}
