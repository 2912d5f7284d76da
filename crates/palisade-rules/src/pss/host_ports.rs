use palisade_load::Node;

use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// No container port sets a `hostPort` other than `0`.
    /// Pod Security Standards, baseline, all versions (upstream check `hostPorts`).
    ///
    /// ## Why it matters
    /// A host port binds the container to the node's own address, bypassing Services and
    /// most NetworkPolicy setups, and limits scheduling to one such pod per node.
    ///
    /// ## Example
    /// ```yaml
    /// ports:
    /// - containerPort: 8080
    ///   hostPort: 80
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPort` and expose the pod through a Service.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    pub static HOST_PORTS = {
        id: "PSS005",
        name: "host-ports",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Containers must not bind host ports",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    for c in pod.containers() {
        let Some(ports) = pod.container_get(c, &["ports"]) else {
            continue;
        };
        for (i, p) in ports.items().iter().enumerate() {
            if let Some(host_port) = p.get("hostPort").and_then(Node::as_i64).filter(|&h| h != 0) {
                cx.report_container(
                    c,
                    c.path.key("ports").index(i).key("hostPort"),
                    format!("container `{}` binds host port {host_port}", c.name),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_non_zero_host_ports() {
        let v = run(
            &HOST_PORTS,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    ports: [{containerPort: 80, hostPort: 0}, {containerPort: 81, hostPort: 8081}]\n",
        );
        assert_eq!(paths(&v), ["spec.containers[0].ports[1].hostPort"]);
        assert!(v[0].message.contains("8081"));
    }

    #[test]
    fn passes_container_ports_without_host_ports() {
        let v = run(
            &HOST_PORTS,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    ports: [{containerPort: 80}]\n",
        );
        assert!(v.is_empty());
    }
}
