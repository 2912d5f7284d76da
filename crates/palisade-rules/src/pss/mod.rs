//! Pod Security Standards, versioned as upstream Pod Security Admission evaluates them.
//!
//! One rule per upstream check. Baseline rules run at `baseline` and `restricted`; restricted
//! rules only at `restricted`. Where upstream lets a restricted check replace a baseline one
//! (capabilities from v1.22, seccomp from v1.19, volume types always, `procMount` from v1.35),
//! the baseline rule stands aside so one cause gives one finding. Every check visits init,
//! regular and ephemeral containers, and follows upstream's field semantics exactly (for
//! example `drop: [ALL]` is case-sensitive here), so that the verdict is the API server's.

mod allow_privilege_escalation;
mod apparmor;
mod capabilities_baseline;
mod capabilities_restricted;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes;
mod privileged;
mod proc_mount;
mod restricted_volumes;
mod run_as_non_root;
mod run_as_user;
mod seccomp_baseline;
mod seccomp_restricted;
mod selinux;
mod sysctls;
mod windows_host_process;

use palisade_load::{FieldPath, Node};
use palisade_model::{Container, Object, PodTemplate};

use crate::rule::{Cx, Rule};

pub static RULES: &[&Rule] = &[
    &host_namespaces::HOST_NAMESPACES,
    &privileged::PRIVILEGED,
    &capabilities_baseline::CAPABILITIES_BASELINE,
    &host_path_volumes::HOST_PATH_VOLUMES,
    &host_ports::HOST_PORTS,
    &apparmor::APPARMOR,
    &selinux::SELINUX,
    &proc_mount::PROC_MOUNT,
    &seccomp_baseline::SECCOMP_BASELINE,
    &sysctls::SYSCTLS,
    &windows_host_process::WINDOWS_HOST_PROCESS,
    &host_probes::HOST_PROBES,
    &restricted_volumes::RESTRICTED_VOLUMES,
    &run_as_non_root::RUN_AS_NON_ROOT,
    &allow_privilege_escalation::ALLOW_PRIVILEGE_ESCALATION,
    &seccomp_restricted::SECCOMP_RESTRICTED,
    &capabilities_restricted::CAPABILITIES_RESTRICTED,
    &run_as_user::RUN_AS_USER,
];

/// Whether a baseline rule is replaced by a stricter restricted rule at these settings, as
/// upstream's restricted checks override baseline ones: capabilities from v1.22, seccomp from
/// v1.19, volume types always. A replaced rule does not run, so it is neither a finding nor a
/// passed check.
pub fn superseded(id: &str, settings: &crate::Settings) -> bool {
    if !settings.restricted() {
        return false;
    }
    let v = settings.pss_version;
    match id {
        "PSS003" => v.at_least(22),
        "PSS004" => true,
        "PSS009" => v.at_least(19),
        _ => false,
    }
}

/// The pod a PSS check looks at.
pub(crate) struct Pod<'a> {
    pub obj: &'a Object,
    pub tpl: &'a PodTemplate,
    pub spec: &'a Node,
}

impl<'a> Pod<'a> {
    pub fn of(cx: &Cx<'a>) -> Option<Pod<'a>> {
        let obj = cx.obj;
        let tpl = obj.pod.as_ref()?;
        let spec = tpl.spec_node(&obj.root)?;
        Some(Pod { obj, tpl, spec })
    }

    pub fn containers(&self) -> &'a [Container] {
        &self.tpl.containers
    }

    /// Path under the pod spec.
    pub fn path(&self, keys: &[&str]) -> FieldPath {
        self.tpl.spec.keys(keys)
    }

    /// A node under the pod spec.
    pub fn get(&self, keys: &[&str]) -> Option<&'a Node> {
        let mut node = self.spec;
        for k in keys {
            node = node.get(k)?;
        }
        Some(node)
    }

    pub fn container_node(&self, c: &Container) -> Option<&'a Node> {
        self.obj.node(&c.path)
    }

    /// A node under a container.
    pub fn container_get(&self, c: &Container, keys: &[&str]) -> Option<&'a Node> {
        let mut node = self.container_node(c)?;
        for k in keys {
            node = node.get(k)?;
        }
        Some(node)
    }

    /// `spec.os.name: windows`: some restricted checks do not apply to Windows pods (v1.25+).
    pub fn is_windows(&self) -> bool {
        self.tpl.is_windows(&self.obj.root)
    }

    /// `spec.hostUsers: false`: the pod runs in a user namespace, which relaxes some checks
    /// from v1.35.
    pub fn in_user_namespace(&self) -> bool {
        self.get(&["hostUsers"]).and_then(Node::as_bool) == Some(false)
    }

    /// Whether some container mounts volume `name` without `readOnly: true`.
    pub fn mounted_writable(&self, name: &str) -> bool {
        self.containers().iter().any(|c| {
            self.container_get(c, &["volumeMounts"])
                .map_or(&[][..], Node::items)
                .iter()
                .any(|m| {
                    m.get("name").and_then(Node::as_str) == Some(name)
                        && m.get("readOnly").and_then(Node::as_bool) != Some(true)
                })
        })
    }

    /// The pod's annotations.
    pub fn annotations(&self) -> &'a [palisade_load::Entry] {
        self.obj
            .node(&self.tpl.metadata.key("annotations"))
            .map_or(&[], Node::entries)
    }
}

/// Reports every `securityContext.<field>` (pod level and each container) whose `type` is not
/// accepted by `valid`. Shared by the AppArmor and seccomp rules, which differ only in the field.
pub(crate) fn check_profile_types(
    cx: &mut Cx<'_>,
    pod: &Pod<'_>,
    field: &str,
    what: &str,
    valid: fn(&Node) -> bool,
) {
    let key = ["securityContext", field];
    if pod.get(&key).is_some_and(|p| !valid(p)) {
        cx.report(
            pod.path(&["securityContext", field, "type"]),
            format!("pod sets {what} type other than `RuntimeDefault` or `Localhost`"),
        );
    }
    for c in pod.containers() {
        if pod.container_get(c, &key).is_some_and(|p| !valid(p)) {
            cx.report_container(
                c,
                c.path.keys(&["securityContext", field, "type"]),
                format!(
                    "container `{}` sets {what} type other than `RuntimeDefault` or `Localhost`",
                    c.name
                ),
            );
        }
    }
}

/// Reports containers that rely on a pod-level setting the pod does not make as one finding at
/// that pod-level key: the cause, and the fix, is one missing setting. With a single container the
/// finding names it.
pub(crate) fn report_at_pod_level(
    cx: &mut Cx<'_>,
    pod: &Pod<'_>,
    unset: &[&Container],
    pod_key: &[&str],
    message: String,
) {
    match unset {
        [only] if pod.containers().len() == 1 => {
            cx.report_container(only, pod.path(pod_key), message)
        }
        _ => cx.report(pod.path(pod_key), message),
    }
}

/// Container names as a readable list: `` `a`, `b` ``.
pub(crate) fn name_list<'c>(names: impl IntoIterator<Item = &'c str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a node holds a non-empty string.
pub(crate) fn non_empty_str(node: Option<&Node>) -> bool {
    node.and_then(Node::as_str).is_some_and(|s| !s.is_empty())
}
