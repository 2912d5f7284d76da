use palisade_load::Node;

use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// Neither the pod nor any container sets `windowsOptions.hostProcess: true`.
    /// Pod Security Standards, baseline, all versions (upstream check `windowsHostProcess`).
    ///
    /// ## Why it matters
    /// A Windows HostProcess container runs directly on the node as a host process, with
    /// the node's network and filesystem: the Windows equivalent of a privileged container.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   windowsOptions:
    ///     hostProcess: true
    /// ```
    ///
    /// ## Fix
    /// Remove `hostProcess`; run node agents in a namespace with the `privileged` level.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/
    pub static WINDOWS_HOST_PROCESS = {
        id: "PSS011",
        name: "windows-host-process",
        category: Pss,
        severity: Critical,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Pods must not run Windows HostProcess containers",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    let key = ["securityContext", "windowsOptions", "hostProcess"];
    if pod.get(&key).and_then(Node::as_bool) == Some(true) {
        cx.report(pod.path(&key), "pod runs as a Windows HostProcess");
    }
    for c in pod.containers() {
        if pod.container_get(c, &key).and_then(Node::as_bool) == Some(true) {
            cx.report_container(
                c,
                c.path.keys(&key),
                format!("container `{}` runs as a Windows HostProcess", c.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_host_process_at_both_levels() {
        let v = run(
            &WINDOWS_HOST_PROCESS,
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {windowsOptions: {hostProcess: true}}\n  containers:\n  - name: a\n    securityContext: {windowsOptions: {hostProcess: true}}\n  - name: b\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.securityContext.windowsOptions.hostProcess",
                "spec.containers[0].securityContext.windowsOptions.hostProcess"
            ]
        );
    }

    #[test]
    fn passes_ordinary_windows_pods() {
        let v = run(
            &WINDOWS_HOST_PROCESS,
            "apiVersion: v1\nkind: Pod\nspec:\n  os: {name: windows}\n  containers: [{name: a}]\n",
        );
        assert!(v.is_empty());
    }
}
