use crate::declare_rule;
use crate::rule::{Applies, Cx};

declare_rule! {
    /// ## What it checks
    /// No `hostPath` volume of the pod mounts a sensitive part of the node:
    ///
    /// - anything at or below `/etc`, `/root`, `/home`, `/boot`, `/dev`, `/proc`, `/sys`,
    ///   the host's programs and libraries (`/bin`, `/sbin`, `/usr`, `/lib`, `/lib64`),
    ///   `/var/lib/kubelet/pki`, `/var/lib/kubelet/pods` (every pod's Secret volumes),
    ///   `/var/lib/docker`, `/var/lib/containerd`, `/var/lib/etcd`, `/run/containerd`,
    ///   `/run/crio` and `/run/docker` (and their `/var/run` forms);
    /// - any folder above those, such as `/`, `/var` or `/var/lib`;
    /// - exactly `/run` and `/var/lib/kubelet` (their other contents, such as CSI plugin
    ///   sockets and kube-proxy's `xtables.lock`, are what node agents legitimately mount);
    /// - a container runtime socket anywhere: a file named `docker.sock`, `containerd.sock`,
    ///   `crio.sock` or `cri-dockerd.sock`.
    ///
    /// A few paths inside those parts expose nothing worth a finding and are left alone:
    /// time zones (`/etc/localtime`, `/usr/share/zoneinfo`), public CA certificates
    /// (`/etc/ssl/certs`, `/etc/pki/tls/certs`, …), `/etc/machine-id`, the kernel modules
    /// that kube-proxy and CNI plugins read (`/lib/modules`), and the devices `null`,
    /// `zero`, `random`, `urandom`, `fuse`, `net/tun`, `shm` and `log`.
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

/// Parts of the node that are sensitive as a whole: mounting one of them, anything below it
/// (except what [`HARMLESS`] names) or any folder above it is flagged.
const SENSITIVE: &[(&str, &str)] = &[
    ("/etc", "host configuration and credentials"),
    ("/etc/kubernetes", "Kubernetes node credentials"),
    ("/root", "root's home directory"),
    ("/home", "users' home directories"),
    ("/boot", "the host kernel and boot loader"),
    ("/dev", "host devices"),
    ("/proc", "host kernel and process interfaces"),
    ("/sys", "host kernel interfaces"),
    ("/bin", "host programs, which a writer can replace"),
    ("/sbin", "host programs, which a writer can replace"),
    (
        "/usr",
        "host programs and libraries, which a writer can replace",
    ),
    ("/lib", "host libraries, which a writer can replace"),
    ("/lib64", "host libraries, which a writer can replace"),
    ("/var/lib/kubelet/pki", "kubelet credentials"),
    (
        "/var/lib/kubelet/pods",
        "every pod's volumes, including their Secrets and service-account tokens",
    ),
    ("/var/lib/docker", "every container's filesystem"),
    ("/var/lib/containerd", "every container's filesystem"),
    (
        "/var/lib/etcd",
        "the etcd data, which holds every Secret of the cluster",
    ),
    ("/run/containerd", "the container runtime"),
    ("/run/crio", "the container runtime"),
    ("/run/docker", "the container runtime"),
];

/// Paths inside [`SENSITIVE`] parts that node agents commonly mount and that expose
/// nothing worth a finding: time zones, public CA certificates, the null and random devices,
/// FUSE and TUN, and the kernel modules that kube-proxy and CNI plugins read.
const HARMLESS: &[&str] = &[
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ssl/certs",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust",
    "/etc/ca-certificates",
    "/etc/machine-id",
    "/etc/os-release",
    "/usr/share/zoneinfo",
    "/usr/share/ca-certificates",
    "/usr/local/share/ca-certificates",
    "/lib/modules",
    "/usr/lib/modules",
    "/dev/null",
    "/dev/zero",
    "/dev/random",
    "/dev/urandom",
    "/dev/fuse",
    "/dev/net/tun",
    "/dev/shm",
    "/dev/log",
];

/// Paths flagged only when mounted exactly: they hold sensitive parts next to ordinary ones
/// (the kubelet's CSI plugin sockets, kube-proxy's `xtables.lock`).
const EXACT: &[(&str, &str)] = &[
    ("/run", "host runtime sockets and state"),
    ("/var/lib/kubelet", "kubelet state and credentials"),
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

/// Whether `path` is `base` or lies below it.
fn within(path: &str, base: &str) -> bool {
    path == base
        || base == "/"
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// What mounting `path` exposes, when it is sensitive.
fn sensitivity(path: &str) -> Option<String> {
    let path = normalise(path.trim())?;
    let file_name = path.rsplit('/').next().unwrap_or_default();
    if SOCKETS.contains(&file_name) {
        return Some("a container runtime socket".into());
    }
    if path == "/" {
        return Some("the whole host filesystem".into());
    }
    if let Some((_, what)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some((*what).into());
    }
    // The deepest sensitive part that holds the path names what it exposes.
    let holder = SENSITIVE
        .iter()
        .filter(|(p, _)| within(&path, p))
        .max_by_key(|(p, _)| p.len());
    if let Some((_, what)) = holder {
        if HARMLESS.iter().any(|h| within(&path, h)) {
            return None;
        }
        return Some((*what).into());
    }
    // A folder above sensitive parts exposes them all.
    let below: Vec<&str> = SENSITIVE
        .iter()
        .map(|(p, _)| *p)
        .chain(EXACT.iter().map(|(p, _)| *p))
        .filter(|p| within(p, &path))
        .collect();
    match below.as_slice() {
        [] => None,
        [one] => Some(format!("`{one}` below it")),
        [first, rest @ ..] => Some(format!(
            "`{first}` and {} more sensitive folders below it",
            rest.len()
        )),
    }
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
    fn flags_folders_above_sensitive_parts_and_what_lies_below_them() {
        for path in [
            "/var",
            "/var/lib",
            "/var/lib/kubelet/pods",
            "/var/lib/kubelet/pods/1234/volumes",
            "/var/lib/docker/containers",
            "/usr",
            "/usr/bin",
            "/lib",
            "/bin",
            "/etc/shadow",
            "/etc/ssh",
            "/dev/mem",
            "/dev/sda",
            "/home/admin/.ssh",
        ] {
            assert!(sensitivity(path).is_some(), "{path} should be flagged");
        }
        assert_eq!(
            sensitivity("/var/lib").as_deref(),
            Some("`/var/lib/kubelet/pki` and 5 more sensitive folders below it")
        );
        assert_eq!(
            sensitivity("/var/lib/kubelet/pods/x").as_deref(),
            Some("every pod's volumes, including their Secrets and service-account tokens")
        );
    }

    #[test]
    fn leaves_alone_what_node_agents_commonly_mount() {
        for path in [
            "/etc/localtime",
            "/etc/ssl/certs",
            "/usr/share/zoneinfo/UTC",
            "/lib/modules",
            "/dev/fuse",
            "/dev/net/tun",
            "/var/log",
            "/var/lib/kubelet/plugins_registry",
            "/var/lib/kubelet/device-plugins",
            "/run/xtables.lock",
            "/opt/cni/bin",
            "/data",
        ] {
            assert_eq!(sensitivity(path), None, "{path} should not be flagged");
        }
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
