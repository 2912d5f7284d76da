use palisade_load::Node;

use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// The pod does not share the node's network, process or IPC namespace:
    /// `hostNetwork`, `hostPID` and `hostIPC` are unset or `false`.
    /// Pod Security Standards, baseline, all versions (upstream check `hostNamespaces`).
    ///
    /// ## Why it matters
    /// With the host's namespaces a container sees every process on the node, can read
    /// their environment and memory through `/proc`, reaches services bound to the node's
    /// loopback, and can sniff traffic of other pods.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostPID: true
    ///   containers: [{name: agent, image: example/agent:1.0}]
    /// ```
    ///
    /// ## Fix
    /// Remove `hostNetwork`, `hostPID` and `hostIPC`, or set them to `false`. Node agents
    /// that truly need them belong in a namespace with the `privileged` level.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    pub static HOST_NAMESPACES = {
        id: "PSS001",
        name: "host-namespaces",
        category: Pss,
        severity: High,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Pods must not share the host's network, PID or IPC namespace",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod.get(&[key]).and_then(Node::as_bool) == Some(true) {
            cx.report(pod.path(&[key]), format!("pod sets `{key}: true`"));
            cx.case(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_each_host_namespace() {
        let v = run(
            &HOST_NAMESPACES,
            "apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: true\n  hostPID: true\n  hostIPC: false\n  containers: [{name: a}]\n",
        );
        assert_eq!(paths(&v), ["spec.hostNetwork", "spec.hostPID"]);
    }

    #[test]
    fn each_finding_names_its_namespace_as_its_case() {
        let v = run(
            &HOST_NAMESPACES,
            "apiVersion: v1\nkind: Pod\nspec:\n  hostPID: true\n  hostNetwork: true\n  containers: [{name: a}]\n",
        );
        let cases: Vec<_> = v.iter().map(|v| v.cases.clone()).collect();
        assert_eq!(cases, [["hostNetwork"], ["hostPID"]]);
    }

    #[test]
    fn passes_pods_in_their_own_namespaces() {
        let v = run(
            &HOST_NAMESPACES,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a}]\n",
        );
        assert!(v.is_empty());
    }
}
