use palisade_load::Node;

use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// Neither the pod nor any container sets `runAsUser: 0`.
    /// Pod Security Standards, restricted, from v1.23 (upstream check `runAsUser`). From
    /// v1.35 pods in a user namespace (`hostUsers: false`) are exempt.
    ///
    /// ## Why it matters
    /// UID 0 is root. `runAsNonRoot: true` elsewhere in the pod does not help: the kubelet
    /// then refuses to start the container, so an explicit `runAsUser: 0` is either a
    /// broken pod or a root one.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    ///
    /// ## Fix
    /// Use a non-zero UID (and build the image to work as that user).
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
    pub static RUN_AS_USER = {
        id: "PSS106",
        name: "run-as-user-root",
        category: Pss,
        severity: High,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Restricted),
        summary: "Pods and containers must not set runAsUser: 0",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let v = cx.settings.pss_version;
    if !v.at_least(23) {
        return;
    }
    let Some(pod) = Pod::of(cx) else { return };
    if v.at_least(35) && pod.in_user_namespace() {
        return;
    }
    let key = ["securityContext", "runAsUser"];
    if pod.get(&key).and_then(Node::as_i64) == Some(0) {
        cx.report(pod.path(&key), "pod sets `runAsUser: 0`");
    }
    for c in pod.containers() {
        if pod.container_get(c, &key).and_then(Node::as_i64) == Some(0) {
            cx.report_container(
                c,
                c.path.keys(&key),
                format!("container `{}` sets `runAsUser: 0`", c.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_uid_zero_at_either_level() {
        let v = run(
            &RUN_AS_USER,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {runAsUser: 0}\n  containers: [{name: a, securityContext: {runAsUser: 0}}, {name: b, securityContext: {runAsUser: 1000}}]\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.securityContext.runAsUser",
                "spec.containers[0].securityContext.runAsUser"
            ]
        );
    }

    #[test]
    fn user_namespaces_are_exempt_from_v1_35() {
        let v = run(
            &RUN_AS_USER,
            "apiVersion: v1\nkind: Pod\nspec:\n  hostUsers: false\n  securityContext: {runAsUser: 0}\n  containers: [{name: a}]\n",
        );
        assert!(v.is_empty());
    }
}
