use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No `hostPath` volume of the pod mounts a sensitive part of the node:
    ///
    /// - the root `/`, or exactly `/etc`, `/root`, `/boot`, `/dev`, `/run` (and `/var/run`),
    ///   `/var/lib/kubelet`, `/var/lib/docker`, `/var/lib/containerd`;
    /// - anything at or below `/proc`, `/sys`, `/etc/kubernetes`, `/var/lib/kubelet/pki`,
    ///   `/run/containerd` and `/run/crio` (and their `/var/run` forms);
    /// - a container runtime socket anywhere: a file named `docker.sock`, `containerd.sock`,
    ///   `crio.sock` or `cri-dockerd.sock`.
    ///
    /// Paths are compared after removing repeated and trailing slashes and resolving `.` and
    /// `..`, and `/var/run` is read as `/run`, as it is on every current distribution. A
    /// `readOnly` mount is still flagged: reading `/etc` or the kubelet's credentials is the
    /// harm, and a socket can be used through a read-only mount. Other `hostPath` volumes
    /// are not this rule's concern; the Pod Security Standards baseline forbids them all.
    ///
    /// ## Why it matters
    /// These paths are the node itself. The runtime socket starts privileged containers on
    /// the node at will; `/etc/kubernetes` and the kubelet's certificates are cluster
    /// credentials; `/proc` and `/sys` reach the host's processes and kernel; `/`, `/etc`
    /// and `/root` contain host passwords and SSH keys. A container with any of them is one
    /// step from owning the node and every pod on it.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: docker
    ///   hostPath:
    ///     path: /var/run/docker.sock
    /// ```
    ///
    /// ## Fix
    /// Remove the volume. Image builds do not need the runtime socket (use BuildKit
    /// rootless, kaniko or buildah in a pod); metrics agents should read the kubelet or
    /// cAdvisor endpoints; node agents that truly need the host belong in a dedicated,
    /// reviewed namespace with this rule suppressed and the reason written down.
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
    /// - https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
    pub static SENSITIVE_HOST_PATH = {
        id: "HRD004",
        name: "sensitive-host-path",
        category: Hardening,
        severity: Critical,
        default_enabled: true,
        applies: Applies::PodBearing,
        pss_level: None,
        summary: "Pods must not mount sensitive host paths or runtime sockets",
        check: check,
    }
}

/// Paths flagged only when mounted exactly.
const EXACT: &[(&str, &str)] = &[
    ("/", "the whole host filesystem"),
    ("/etc", "host configuration and credentials"),
    ("/root", "root's home directory"),
    ("/home", "users' home directories"),
    ("/boot", "the host kernel and boot loader"),
    ("/dev", "every host device"),
    ("/run", "host runtime sockets and state"),
    ("/var/lib/kubelet", "kubelet state and credentials"),
    ("/var/lib/docker", "every container's filesystem"),
    ("/var/lib/containerd", "every container's filesystem"),
];

/// Paths flagged when mounted themselves or anything below them.
const SUBTREES: &[(&str, &str)] = &[
    ("/proc", "host kernel and process interfaces"),
    ("/sys", "host kernel interfaces"),
    ("/etc/kubernetes", "Kubernetes node credentials"),
    (
        "/var/lib/etcd",
        "the etcd data, which holds every Secret of the cluster",
    ),
    ("/var/lib/kubelet/pki", "kubelet credentials"),
    ("/run/containerd", "the container runtime"),
    ("/run/crio", "the container runtime"),
];

const SOCKETS: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
];

fn check(cx: &mut Cx<'_>) {
    let Some(pod) = &cx.obj.pod else { return };
    let Some(volumes) = pod.spec_node(&cx.obj.root).and_then(|s| s.get("volumes")) else {
        return;
    };
    for (i, volume) in volumes.items().iter().enumerate() {
        let Some(path) = volume
            .get("hostPath")
            .and_then(|h| h.get("path"))
            .and_then(|p| p.as_str())
        else {
            continue;
        };
        let (Some(exposes), Some(normalised)) = (sensitivity(path), normalise(path.trim())) else {
            continue;
        };
        let name = volume
            .get("name")
            .and_then(|n| n.scalar_text())
            .unwrap_or_else(|| format!("volumes[{i}]"));
        cx.report(
            pod.spec.key("volumes").index(i).keys(&["hostPath", "path"]),
            format!(
                "volume `{name}` mounts host path `{}`, which exposes {exposes}",
                path.trim()
            ),
        );
        cx.case(normalised);
    }
}

/// What mounting `path` exposes, when it is sensitive.
fn sensitivity(path: &str) -> Option<&'static str> {
    let path = normalise(path.trim())?;
    let file_name = path.rsplit('/').next().unwrap_or_default();
    if SOCKETS.contains(&file_name) {
        return Some("a container runtime socket");
    }
    if let Some((_, what)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(what);
    }
    SUBTREES
        .iter()
        .find(|(p, _)| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|(_, what)| *what)
}

/// An absolute path with `//`, trailing `/`, `.` and `..` resolved and `/var/run` read as
/// `/run`. `None` for relative paths (and Windows paths), which name nothing on this list.
fn normalise(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    if parts.starts_with(&["var", "run"]) {
        parts.remove(0);
    }
    Some(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_sensitive_paths_and_runtime_sockets() {
        let v = run(
            &SENSITIVE_HOST_PATH,
            "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      containers: [{name: agent}]\n      volumes:\n      - {name: docker, hostPath: {path: /var/run/docker.sock, type: Socket}}\n      - {name: etc, hostPath: {path: '/etc//'}}\n      - {name: data, emptyDir: {}}\n      - {name: pki, hostPath: {path: /etc/kubernetes/pki}}\n      - {name: proc, hostPath: {path: /proc/1/root}}\n      - {name: sneaky, hostPath: {path: /tmp/../var/lib/kubelet/}}\n      - {name: containerd, hostPath: {path: /var/run/containerd}}\n      - {name: root, hostPath: {path: /}}\n",
        );
        let p = "spec.template.spec.volumes";
        assert_eq!(
            paths(&v),
            [0, 1, 3, 4, 5, 6, 7].map(|i| format!("{p}[{i}].hostPath.path"))
        );
        assert_eq!(
            v[0].message,
            "volume `docker` mounts host path `/var/run/docker.sock`, which exposes a container runtime socket"
        );
        assert!(v[1].message.contains("`/etc//`"), "{}", v[1].message);
        assert!(v.iter().all(|v| v.container.is_none()));
    }

    #[test]
    fn passes_harmless_host_paths() {
        let v = run(
            &SENSITIVE_HOST_PATH,
            "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a}]\n  volumes:\n  - {name: logs, hostPath: {path: /var/log/pods}}\n  - {name: plugins, hostPath: {path: /var/lib/kubelet/plugins/csi.example.com}}\n  - {name: etcx, hostPath: {path: /etcetera}}\n  - {name: lock, hostPath: {path: /run/xtables.lock}}\n  - {name: cfg, configMap: {name: c}}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
