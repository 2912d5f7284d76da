use super::Pod;
use crate::declare_rule;
use crate::rule::{Applies, Cx, PssLevel};

/// Volume sources the restricted level allows.
const ALLOWED: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

declare_rule! {
    /// ## What it checks
    /// Every volume uses one of the sources `configMap`, `csi`, `downwardAPI`, `emptyDir`,
    /// `ephemeral`, `image`, `persistentVolumeClaim`, `projected` or `secret`.
    /// A volume that names no source at all is accepted: the API server defaults it to
    /// `emptyDir`.
    /// Pod Security Standards, restricted, all versions (upstream check
    /// `restrictedVolumes`); it replaces `host-path-volumes` at that level.
    ///
    /// ## Why it matters
    /// Other sources (`hostPath`, `nfs`, `iscsi`, cloud disks written inline…) bypass the
    /// PersistentVolume machinery and the access controls an administrator sets there.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: data
    ///   nfs: {server: nfs.example.com, path: /exports}
    /// ```
    ///
    /// ## Fix
    /// Claim storage through a `persistentVolumeClaim`, or use one of the allowed sources.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
    pub static RESTRICTED_VOLUMES = {
        id: "PSS101",
        name: "restricted-volume-types",
        category: Pss,
        severity: Medium,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: Some(PssLevel::Restricted),
        summary: "Pods must use only the volume types allowed at the restricted level",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = Pod::of(cx) else { return };
    let Some(volumes) = pod.get(&["volumes"]) else {
        return;
    };
    for (i, v) in volumes.items().iter().enumerate() {
        let name = v.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        for e in v.entries() {
            if e.key != "name" && !ALLOWED.contains(&e.key.as_str()) {
                let path = pod.path(&["volumes"]).index(i).key(e.key.as_str());
                let message = format!("volume `{name}` uses the `{}` source", e.key);
                // A host path is also a baseline violation, and weighs as much as it does there.
                if e.key == "hostPath" {
                    let severity = super::host_path_volumes::HOST_PATH_VOLUMES.meta.severity;
                    cx.report_as(severity, path, message);
                    if pod.mounted_writable(name) {
                        cx.case(super::host_path_volumes::WRITABLE_HOST_PATH);
                    }
                } else {
                    cx.report(path, message);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_sources_outside_the_allowed_set() {
        let v = run(
            &RESTRICTED_VOLUMES,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a}]\n  volumes:\n  - {name: a, configMap: {name: c}}\n  - {name: b, hostPath: {path: /}}\n  - {name: c, nfs: {server: s, path: /}}\n  - {name: d}\n",
        );
        assert_eq!(
            paths(&v),
            ["spec.volumes[1].hostPath", "spec.volumes[2].nfs"]
        );
    }
}
