use palisade_model::Level;

use super::{Pod, name_list, report_at_pod_level};
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// Containers must run as non-root: `runAsNonRoot: true` is set at pod level or on every
    /// container, and nothing sets it to `false`.
    /// Pod Security Standards, restricted, all versions (upstream check `runAsNonRoot`).
    /// From v1.35 pods in a user namespace (`hostUsers: false`) are exempt.
    ///
    /// ## Why it matters
    /// Root in a container is root on the node's kernel; together with any other weakness
    /// (a writable host mount, a kernel bug) it is a direct path to the node. With
    /// `runAsNonRoot: true` the kubelet refuses to start an image that would run as UID 0.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: example/app:1.0      # runs as whatever USER the image says
    /// ```
    ///
    /// ## Fix
    /// Set it once for the whole pod:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
    pub static RUN_AS_NON_ROOT = {
        id: "PSS102",
        name: "run-as-non-root",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Restricted),
        summary: "Containers must be required to run as non-root",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    if cx.settings.pss_version.at_least(35) && pod.in_user_namespace() {
        return;
    }

    let pod_key = ["securityContext", "runAsNonRoot"];
    let pod_value = pod.get(&pod_key).and_then(|n| n.as_bool());
    if pod_value == Some(false) {
        cx.report(pod.path(&pod_key), "pod sets `runAsNonRoot: false`");
    }

    let mut unset = Vec::new();
    for c in pod.containers() {
        match &c.security.run_as_non_root {
            Some(s) if s.level == Level::Container && !s.value => cx.report_container(
                c,
                s.path.clone(),
                format!("container `{}` sets `runAsNonRoot: false`", c.name),
            ),
            Some(s) if s.level == Level::Container => {}
            _ if pod_value == Some(true) => {}
            _ => unset.push(c),
        }
    }
    // When the pod itself says `false`, that finding already covers the others.
    if !unset.is_empty() && pod_value != Some(false) {
        let message = format!(
            "neither the pod nor container(s) {} set `runAsNonRoot: true`",
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
    fn containers_inherit_pod_level_true() {
        let v = run(
            &RUN_AS_NON_ROOT,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {runAsNonRoot: true}\n  containers: [{name: a}, {name: b}]\n",
        );
        assert!(v.is_empty());
    }

    #[test]
    fn one_finding_for_a_pod_that_sets_nothing() {
        let v = run(
            &RUN_AS_NON_ROOT,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a}, {name: b, securityContext: {runAsNonRoot: true}}, {name: c}]\n",
        );
        assert_eq!(paths(&v), ["spec.securityContext.runAsNonRoot"]);
        assert!(v[0].message.contains("`a`, `c`"), "{}", v[0].message);
    }

    #[test]
    fn explicit_false_on_a_container_fails_even_under_pod_true() {
        let v = run(
            &RUN_AS_NON_ROOT,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {runAsNonRoot: true}\n  containers: [{name: a, securityContext: {runAsNonRoot: false}}]\n",
        );
        assert_eq!(
            paths(&v),
            ["spec.containers[0].securityContext.runAsNonRoot"]
        );
    }

    #[test]
    fn pod_level_false_fails_even_when_every_container_says_true() {
        let v = run(
            &RUN_AS_NON_ROOT,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {runAsNonRoot: false}\n  containers: [{name: a, securityContext: {runAsNonRoot: true}}]\n",
        );
        assert_eq!(paths(&v), ["spec.securityContext.runAsNonRoot"]);
    }
}
