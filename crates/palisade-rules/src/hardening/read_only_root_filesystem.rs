use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) sets
    /// `securityContext.readOnlyRootFilesystem: true`.
    ///
    /// ## Why it matters
    /// A writable root filesystem lets an attacker who gets code execution drop tools,
    /// modify binaries or plant persistence inside the container. With a read-only root,
    /// the only writable places are the volumes you mount on purpose.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:1.4.2
    ///   securityContext: {}            # root filesystem is writable
    /// ```
    ///
    /// ## Fix
    /// Set `readOnlyRootFilesystem: true` and mount an `emptyDir` where the program needs
    /// to write (for example `/tmp` or a cache folder).
    /// ```yaml
    ///   securityContext:
    ///     readOnlyRootFilesystem: true
    ///   volumeMounts:
    ///   - {name: tmp, mountPath: /tmp}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
    /// - CIS Kubernetes Benchmark, 5.7.3
    pub static READ_ONLY_ROOT_FILESYSTEM = {
        id: "HRD001",
        name: "read-only-root-filesystem",
        category: Hardening,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Containers should run with a read-only root filesystem",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    for c in &pod.containers {
        match &c.security.read_only_root_filesystem {
            Some(s) if s.value => {}
            Some(s) => cx.report_container(
                c,
                s.path.clone(),
                format!("container `{}` has a writable root filesystem", c.name),
            ),
            None => cx.report_container(
                c,
                c.path.key("securityContext").key("readOnlyRootFilesystem"),
                format!(
                    "container `{}` does not set `readOnlyRootFilesystem: true`",
                    c.name
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_containers_without_a_read_only_root() {
        let v = run(
            &READ_ONLY_ROOT_FILESYSTEM,
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n      - name: b\n        securityContext: {readOnlyRootFilesystem: false}\n",
        );
        assert_eq!(
            paths(&v),
            [
                "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
                "spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem",
            ]
        );
        assert_eq!(v[1].container.as_deref(), Some("b"));
    }

    #[test]
    fn passes_read_only_containers() {
        let v = run(
            &READ_ONLY_ROOT_FILESYSTEM,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext: {readOnlyRootFilesystem: true}\n",
        );
        assert!(v.is_empty());
    }
}
