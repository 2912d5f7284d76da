use palisade_load::Node;

use super::{Pod, check_profile_types};
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

declare_rule! {
    /// ## What it checks
    /// No AppArmor profile is turned off or replaced by an unknown one: the
    /// `appArmorProfile.type` fields (pod and containers) are `RuntimeDefault` or
    /// `Localhost`, and the older `container.apparmor.security.beta.kubernetes.io/*`
    /// annotations are empty, `runtime/default` or `localhost/…`.
    /// Pod Security Standards, baseline, all versions (upstream check `appArmorProfile`).
    ///
    /// ## Why it matters
    /// `Unconfined` removes the mandatory-access-control layer that stops a compromised
    /// process from touching files and kernel interfaces outside its job.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// Use `type: RuntimeDefault`, or a `Localhost` profile loaded on the nodes.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    /// - https://kubernetes.io/docs/tutorials/security/apparmor/
    pub static APPARMOR = {
        id: "PSS006",
        name: "apparmor-profile",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "AppArmor must not be disabled or overridden",
        check: check,
    }
}

fn allowed_type(profile: &Node) -> bool {
    matches!(
        profile.get("type").and_then(Node::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };

    for entry in pod.annotations() {
        let Some(container) = entry.key.strip_prefix(ANNOTATION_PREFIX) else {
            continue;
        };
        let value = entry.value.scalar_text().unwrap_or_default();
        if !(value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")) {
            cx.report(
                pod.tpl.metadata.keys(&["annotations", &entry.key]),
                format!("AppArmor annotation sets profile `{value}` for container `{container}`"),
            );
        }
    }

    check_profile_types(
        cx,
        &pod,
        "appArmorProfile",
        "an AppArmor profile",
        allowed_type,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_unconfined_fields_and_annotations() {
        let v = run(
            &APPARMOR,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/a: unconfined\nspec:\n  securityContext: {appArmorProfile: {type: Unconfined}}\n  containers:\n  - name: a\n    securityContext: {appArmorProfile: {type: Localhost, localhostProfile: p}}\n",
        );
        assert_eq!(
            paths(&v),
            [
                r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/a"]"#,
                "spec.securityContext.appArmorProfile.type"
            ]
        );
    }

    #[test]
    fn passes_runtime_default() {
        let v = run(
            &APPARMOR,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/a: runtime/default\nspec:\n  securityContext: {appArmorProfile: {type: RuntimeDefault}}\n  containers: [{name: a}]\n",
        );
        assert!(v.is_empty());
    }
}
