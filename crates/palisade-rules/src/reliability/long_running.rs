//! What the reliability rules share: which containers they look at, and where a resource
//! request or limit may be set.

use crate::rule::Cx;
use palisade_model::{Container, ContainerKind, Object, PodTemplate};

/// The containers that run for the pod's whole life: regular containers and sidecars (init
/// containers with `restartPolicy: Always`). Other init containers finish before the
/// application starts, and ephemeral containers may set neither resources nor probes.
pub(super) fn long_running<'a>(
    obj: &'a Object,
    pod: &'a PodTemplate,
) -> impl Iterator<Item = &'a Container> {
    pod.containers
        .iter()
        .filter(move |c| c.kind == ContainerKind::Regular || c.is_sidecar(&obj.root))
}

/// Which resource a rule asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    pub(super) fn key(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
        }
    }

    /// As written in messages.
    pub(super) fn label(self) -> &'static str {
        match self {
            Resource::Cpu => "CPU",
            Resource::Memory => "memory",
        }
    }
}

/// Whether `resources.<section>.<resource>` is set on the container, or on the pod itself
/// (pod-level resources, `spec.resources`, which bound all containers together).
pub(super) fn is_set(
    obj: &Object,
    pod: &PodTemplate,
    c: &Container,
    section: &str,
    resource: Resource,
) -> bool {
    let keys = ["resources", section, resource.key()];
    [c.path.keys(&keys), pod.spec.keys(&keys)]
        .iter()
        .any(|path| obj.node(path).is_some_and(|n| !n.is_null()))
}

/// Whether the pod is meant to finish: a Job or CronJob, or a pod whose `restartPolicy` is
/// `Never` or `OnFailure`. Probes make no sense for those.
pub(super) fn runs_to_completion(obj: &Object, pod: &PodTemplate) -> bool {
    let restart_policy = pod
        .spec_node(&obj.root)
        .and_then(|s| s.get("restartPolicy"))
        .and_then(|n| n.as_str());
    matches!(obj.id.kind.as_str(), "Job" | "CronJob")
        || matches!(restart_policy, Some("Never" | "OnFailure"))
}

/// Reports each long-running container of a pod that will not run to completion and has no
/// `field` probe (`livenessProbe`, `readinessProbe`).
pub(super) fn report_missing_probe(cx: &mut Cx<'_>, field: &str, label: &str) {
    let obj = cx.obj;
    let Some(pod) = &obj.pod else { return };
    if runs_to_completion(obj, pod) {
        return;
    }
    for c in long_running(obj, pod) {
        let path = c.path.key(field);
        if obj.node(&path).is_some_and(|n| !n.is_null()) {
            continue;
        }
        cx.report_container(c, path, format!("container `{}` has no {label}", c.name));
    }
}
