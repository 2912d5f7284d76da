use super::{Pod, non_empty_str};
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

/// Where a container can name a host to contact: probes and lifecycle hooks.
const HANDLERS: &[&[&str]] = &[
    &["livenessProbe"],
    &["readinessProbe"],
    &["startupProbe"],
    &["lifecycle", "postStart"],
    &["lifecycle", "preStop"],
];

declare_rule! {
    /// ## What it checks
    /// Probes (`livenessProbe`, `readinessProbe`, `startupProbe`) and lifecycle hooks
    /// (`postStart`, `preStop`) do not set `httpGet.host` or `tcpSocket.host`.
    /// Pod Security Standards, baseline, from v1.34 (upstream check
    /// `hostProbesAndHostLifecycle`).
    ///
    /// ## Why it matters
    /// The kubelet performs probes and hooks from the node. A `host` field makes it send
    /// requests to any address the node can reach, which turns a pod spec into a
    /// server-side request forgery from the node's network position.
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet: {host: 169.254.169.254, path: /latest/meta-data/, port: 80}
    /// ```
    ///
    /// ## Fix
    /// Remove `host`: probes then target the pod's own IP, which is what they are for.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    pub static HOST_PROBES = {
        id: "PSS012",
        name: "host-probes-and-lifecycle",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Probes and lifecycle hooks must not target another host",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    if !cx.settings.pss_version.at_least(34) {
        return;
    }
    let Some(pod) = Pod::of(cx) else { return };
    for c in pod.containers() {
        for handler in HANDLERS {
            for action in ["httpGet", "tcpSocket"] {
                let mut keys = handler.to_vec();
                keys.extend([action, "host"]);
                if non_empty_str(pod.container_get(c, &keys)) {
                    cx.report_container(
                        c,
                        c.path.keys(&keys),
                        format!("container `{}` sets `{}`", c.name, keys.join(".")),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{PssVersion, Settings};
    use crate::testing::{paths, run_with};

    #[test]
    fn flags_hosts_in_probes_and_hooks_from_v1_34() {
        let pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    readinessProbe: {httpGet: {host: example.com, port: 80}}\n    lifecycle: {preStop: {tcpSocket: {host: 10.0.0.1, port: 22}}}\n    livenessProbe: {httpGet: {port: 80}}\n";
        let at = |minor| Settings {
            pss_version: PssVersion::v1(minor),
            ..Settings::default()
        };
        assert_eq!(
            paths(&run_with(&HOST_PROBES, pod, &at(34))),
            [
                "spec.containers[0].readinessProbe.httpGet.host",
                "spec.containers[0].lifecycle.preStop.tcpSocket.host"
            ]
        );
        assert!(run_with(&HOST_PROBES, pod, &at(33)).is_empty());
    }
}
