use palisade_load::{FieldPath, Node};

use super::{Pod, non_empty_str};
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// SELinux options, at pod and container level, do not set a custom `user` or `role`,
    /// and set `type` only to `container_t`, `container_init_t`, `container_kvm_t` or (from
    /// v1.31) `container_engine_t`.
    /// Pod Security Standards, baseline, all versions (upstream check `seLinuxOptions`).
    ///
    /// ## Why it matters
    /// A custom SELinux user, role or type can lift the label-based confinement that keeps
    /// a container away from the node's files and other containers.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t
    /// ```
    ///
    /// ## Fix
    /// Remove `seLinuxOptions.user`, `.role` and any custom `.type`; set only `level`
    /// when you need multi-category separation.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    pub static SELINUX = {
        id: "PSS007",
        name: "selinux-options",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "SELinux options must not set a custom user, role or type",
        check: check,
    }
}

fn allowed_types(minor: u32) -> &'static [&'static str] {
    if minor >= 31 {
        &[
            "",
            "container_t",
            "container_init_t",
            "container_kvm_t",
            "container_engine_t",
        ]
    } else {
        &["", "container_t", "container_init_t", "container_kvm_t"]
    }
}

/// The problems with one `seLinuxOptions` mapping, as (field, what) pairs.
fn problems(opts: &Node, minor: u32) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let ty = opts
        .get("type")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    if !allowed_types(minor).contains(&ty.as_str()) {
        out.push(("type", format!("type `{ty}`")));
    }
    if non_empty_str(opts.get("user")) {
        out.push(("user", "a custom user".to_string()));
    }
    if non_empty_str(opts.get("role")) {
        out.push(("role", "a custom role".to_string()));
    }
    out
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    let minor = cx.settings.pss_version.minor;
    let report = |cx: &mut Cx<'_>, opts: &Node, base: FieldPath, who: &str, c| {
        for (field, what) in problems(opts, minor) {
            let message = format!("{who} sets SELinux {what}");
            match c {
                Some(c) => cx.report_container(c, base.key(field), message),
                None => cx.report(base.key(field), message),
            }
        }
    };
    if let Some(opts) = pod.get(&["securityContext", "seLinuxOptions"]) {
        report(
            cx,
            opts,
            pod.path(&["securityContext", "seLinuxOptions"]),
            "pod",
            None,
        );
    }
    for c in pod.containers() {
        if let Some(opts) = pod.container_get(c, &["securityContext", "seLinuxOptions"]) {
            let who = format!("container `{}`", c.name);
            report(
                cx,
                opts,
                c.path.keys(&["securityContext", "seLinuxOptions"]),
                &who,
                Some(c),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{PssVersion, Settings};
    use crate::testing::{paths, run, run_with};

    #[test]
    fn flags_custom_user_role_and_type() {
        let v = run(
            &SELINUX,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {seLinuxOptions: {user: u, role: r}}\n  containers:\n  - name: a\n    securityContext: {seLinuxOptions: {type: spc_t, level: 's0:c1'}}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.securityContext.seLinuxOptions.user",
                "spec.securityContext.seLinuxOptions.role",
                "spec.containers[0].securityContext.seLinuxOptions.type"
            ]
        );
    }

    #[test]
    fn container_engine_t_is_allowed_from_v1_31() {
        let pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {seLinuxOptions: {type: container_engine_t}}\n";
        let at = |minor| Settings {
            pss_version: PssVersion::v1(minor),
            ..Settings::default()
        };
        assert_eq!(run_with(&SELINUX, pod, &at(30)).len(), 1);
        assert!(run_with(&SELINUX, pod, &at(31)).is_empty());
    }
}
