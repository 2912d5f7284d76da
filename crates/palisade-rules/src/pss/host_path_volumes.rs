use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

declare_rule! {
    /// ## What it checks
    /// The pod has no `hostPath` volumes.
    /// Pod Security Standards, baseline, all versions (upstream check `hostPathVolumes`).
    /// At the restricted level the `restricted-volume-types` rule, which also forbids
    /// `hostPath`, replaces this one.
    ///
    /// ## Why it matters
    /// A `hostPath` volume hands the container a piece of the node's filesystem. Writable,
    /// it lets the container change the node; even read-only it can expose credentials
    /// and other pods' data.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: logs
    ///   hostPath: {path: /var/log}
    /// ```
    ///
    /// ## Fix
    /// Use a `persistentVolumeClaim`, an `emptyDir`, or a CSI driver instead.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    /// - https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
    pub static HOST_PATH_VOLUMES = {
        id: "PSS004",
        name: "host-path-volumes",
        category: Pss,
        severity: High,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Baseline),
        summary: "Pods must not mount hostPath volumes",
        check: check,
    }
}

/// The case of a host path that some container mounts writable.
pub(crate) const WRITABLE_HOST_PATH: &str = "hostPath:writable";

fn check(cx: &mut Cx<'_>) {
    if cx.settings.restricted() {
        return; // restricted-volume-types replaces this check
    }
    let Some(pod) = Pod::of(cx) else { return };
    let Some(volumes) = pod.get(&["volumes"]) else {
        return;
    };
    for (i, v) in volumes.items().iter().enumerate() {
        if v.get("hostPath").is_some() {
            let name = v.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            cx.report(
                pod.path(&["volumes"]).index(i).key("hostPath"),
                format!("volume `{name}` mounts a host path"),
            );
            if pod.mounted_writable(name) {
                cx.case(WRITABLE_HOST_PATH);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::PssLevel;
    use crate::settings::Settings;
    use crate::testing::{paths, run_with};

    #[test]
    fn flags_host_path_volumes_at_baseline() {
        let baseline = Settings {
            pss_level: PssLevel::Baseline,
            ..Settings::default()
        };
        let v = run_with(
            &HOST_PATH_VOLUMES,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a}]\n  volumes:\n  - {name: ok, emptyDir: {}}\n  - {name: h, hostPath: {path: /data}}\n",
            &baseline,
        );
        assert_eq!(paths(&v), ["spec.volumes[1].hostPath"]);
        let v = run_with(
            &HOST_PATH_VOLUMES,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a}]\n  volumes: [{name: ok, emptyDir: {}}]\n",
            &baseline,
        );
        assert!(v.is_empty());
    }
}
