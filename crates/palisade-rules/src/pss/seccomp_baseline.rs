use palisade_load::Node;

use super::{Pod, check_profile_types};
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

declare_rule! {
    /// ## What it checks
    /// Seccomp is not explicitly turned off. From v1.19 the `seccompProfile.type` fields
    /// (pod and containers), when set, must be `RuntimeDefault` or `Localhost`; for v1.0 to
    /// v1.18 the older annotations (`seccomp.security.alpha.kubernetes.io/pod` and
    /// `container.seccomp.security.alpha.kubernetes.io/<name>`), when set, must be
    /// `runtime/default`, `docker/default` or `localhost/…`.
    /// Pod Security Standards, baseline (upstream check `seccompProfile_baseline`). At the
    /// restricted level from v1.19 the `seccomp-restricted` rule replaces this one.
    ///
    /// ## Why it matters
    /// Seccomp filters the system calls a container may make; `Unconfined` opens the whole
    /// kernel interface, including calls used in container escapes.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// Set `seccompProfile.type: RuntimeDefault` at pod level.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    /// - https://kubernetes.io/docs/tutorials/security/seccomp/
    pub static SECCOMP_BASELINE = {
        id: "PSS009",
        name: "seccomp-baseline",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Seccomp must not be set to Unconfined",
        check: check,
    }
}

pub(crate) fn valid_type(profile: &Node) -> bool {
    matches!(
        profile.get("type").and_then(Node::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

fn valid_annotation(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

fn check(cx: &mut Cx<'_>) {
    let v = cx.settings.pss_version;
    if cx.settings.restricted() && v.at_least(19) {
        return; // seccomp-restricted replaces this check
    }
    let Some(pod) = Pod::of(cx) else { return };

    if !v.at_least(19) {
        let annotations = pod.tpl.metadata.key("annotations");
        let bad = |key: &str| {
            pod.tpl
                .annotation(&pod.obj.root, key)
                .map(|n| n.scalar_text().unwrap_or_default())
                .filter(|value| !valid_annotation(value))
        };
        if let Some(value) = bad(POD_ANNOTATION) {
            cx.report(
                annotations.key(POD_ANNOTATION),
                format!("pod seccomp annotation is `{value}`"),
            );
        }
        for c in pod.containers() {
            let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name);
            if let Some(value) = bad(&key) {
                cx.report_container(
                    c,
                    annotations.key(key),
                    format!("seccomp annotation of container `{}` is `{value}`", c.name),
                );
            }
        }
        return;
    }

    check_profile_types(cx, &pod, "seccompProfile", "a seccomp profile", valid_type);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::PssLevel;
    use crate::settings::{PssVersion, Settings};
    use crate::testing::{paths, run_with};

    fn baseline(minor: u32) -> Settings {
        Settings {
            pss_level: PssLevel::Baseline,
            pss_version: PssVersion::v1(minor),
            ..Settings::default()
        }
    }

    #[test]
    fn flags_unconfined_fields_from_v1_19() {
        let pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {seccompProfile: {type: Unconfined}}\n";
        assert_eq!(
            paths(&run_with(&SECCOMP_BASELINE, pod, &baseline(19))),
            ["spec.containers[0].securityContext.seccompProfile.type"]
        );
        assert!(run_with(&SECCOMP_BASELINE, pod, &baseline(18)).is_empty());
    }

    #[test]
    fn flags_unconfined_annotations_before_v1_19() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: unconfined\n    container.seccomp.security.alpha.kubernetes.io/a: runtime/default\nspec:\n  containers: [{name: a}]\n";
        assert_eq!(
            paths(&run_with(&SECCOMP_BASELINE, pod, &baseline(18))),
            [r#"metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]"#]
        );
        assert!(run_with(&SECCOMP_BASELINE, pod, &baseline(19)).is_empty());
    }
}
