//! The effective security context of a container.
//!
//! Some fields may be set on the pod (`spec.securityContext`) and overridden per container;
//! others exist only on the container. The effective value is the container's if it sets one,
//! else the pod's. Each value remembers where it was set, so a finding can point at that key.

use palisade_load::{FieldPath, Node};

/// Where a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Pod,
    Container,
}

/// An effective value and the key that set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub path: FieldPath,
    pub level: Level,
}

/// The security settings that apply to one container, pod-level values inherited.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectiveSecurityContext {
    // Inherited from the pod when the container does not set them.
    pub run_as_non_root: Option<Setting<bool>>,
    pub run_as_user: Option<Setting<i64>>,
    pub run_as_group: Option<Setting<i64>>,
    pub seccomp_profile_type: Option<Setting<String>>,
    pub app_armor_profile_type: Option<Setting<String>>,
    pub windows_host_process: Option<Setting<bool>>,
    // Container-only fields.
    pub privileged: Option<Setting<bool>>,
    pub allow_privilege_escalation: Option<Setting<bool>>,
    pub read_only_root_filesystem: Option<Setting<bool>>,
    pub proc_mount: Option<Setting<String>>,
    /// `capabilities.add`, each with its own path.
    pub capabilities_add: Vec<Setting<String>>,
    /// `capabilities.drop`, each with its own path.
    pub capabilities_drop: Vec<Setting<String>>,
}

impl EffectiveSecurityContext {
    /// Computes the context of `container` (at `container_path`) given the pod's
    /// `securityContext` node (at `pod_path`).
    pub fn compute(
        pod: Option<&Node>,
        pod_path: &FieldPath,
        container: &Node,
        container_path: &FieldPath,
    ) -> Self {
        let c_path = container_path.key("securityContext");
        let c = container.get("securityContext");

        let inherited = |keys: &[&str]| {
            lookup(c, &c_path, keys, Level::Container)
                .or_else(|| lookup(pod, pod_path, keys, Level::Pod))
        };
        let own = |keys: &[&str]| lookup(c, &c_path, keys, Level::Container);
        let boolean = |found: Option<(&Node, FieldPath, Level)>| {
            found.and_then(|(n, path, level)| {
                n.as_bool().map(|value| Setting { value, path, level })
            })
        };
        let int = |found: Option<(&Node, FieldPath, Level)>| {
            found
                .and_then(|(n, path, level)| n.as_i64().map(|value| Setting { value, path, level }))
        };
        let text = |found: Option<(&Node, FieldPath, Level)>| {
            found.and_then(|(n, path, level)| {
                n.scalar_text().map(|value| Setting { value, path, level })
            })
        };
        let list = |keys: &[&str]| -> Vec<Setting<String>> {
            let base = c_path.keys(keys);
            c.and_then(|n| n.at(&to_segments(keys)))
                .map(|n| {
                    n.items()
                        .iter()
                        .enumerate()
                        .filter_map(|(i, item)| {
                            item.scalar_text().map(|value| Setting {
                                value,
                                path: base.index(i),
                                level: Level::Container,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        };

        EffectiveSecurityContext {
            run_as_non_root: boolean(inherited(&["runAsNonRoot"])),
            run_as_user: int(inherited(&["runAsUser"])),
            run_as_group: int(inherited(&["runAsGroup"])),
            seccomp_profile_type: text(inherited(&["seccompProfile", "type"])),
            app_armor_profile_type: text(inherited(&["appArmorProfile", "type"])),
            windows_host_process: boolean(inherited(&["windowsOptions", "hostProcess"])),
            privileged: boolean(own(&["privileged"])),
            allow_privilege_escalation: boolean(own(&["allowPrivilegeEscalation"])),
            read_only_root_filesystem: boolean(own(&["readOnlyRootFilesystem"])),
            proc_mount: text(own(&["procMount"])),
            capabilities_add: list(&["capabilities", "add"]),
            capabilities_drop: list(&["capabilities", "drop"]),
        }
    }

    /// Whether `capabilities.drop` includes `ALL` (any case: the runtime accepts `all`).
    pub fn drops_all(&self) -> bool {
        self.capabilities_drop
            .iter()
            .any(|c| c.value.eq_ignore_ascii_case("ALL"))
    }

    /// Whether the container runs as root as far as the manifest tells: an explicit UID 0, or
    /// no UID and no `runAsNonRoot: true`. The image's `USER` is not visible here.
    pub fn may_run_as_root(&self) -> bool {
        match &self.run_as_user {
            Some(uid) => uid.value == 0,
            None => !self.run_as_non_root.as_ref().is_some_and(|s| s.value),
        }
    }
}

fn lookup<'a>(
    node: Option<&'a Node>,
    base: &FieldPath,
    keys: &[&str],
    level: Level,
) -> Option<(&'a Node, FieldPath, Level)> {
    node.and_then(|n| n.at(&to_segments(keys)))
        .filter(|n| !n.is_null())
        .map(|n| (n, base.keys(keys), level))
}

fn to_segments(keys: &[&str]) -> Vec<palisade_load::Segment> {
    keys.iter()
        .map(|k| palisade_load::Segment::Key((*k).to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::objects_from_document;
    use crate::pod::PodKindTable;
    use palisade_load::{Limits, parse_str};

    fn contexts(text: &str) -> Vec<EffectiveSecurityContext> {
        let mut parsed = parse_str(text, &Limits::default());
        let obj = objects_from_document(parsed.documents.remove(0), &PodKindTable::default())
            .objects
            .remove(0);
        obj.pod
            .unwrap()
            .containers
            .into_iter()
            .map(|c| c.security)
            .collect()
    }

    #[test]
    fn pod_level_settings_are_inherited_and_container_settings_win() {
        let ctx = contexts(
            "kind: Pod\napiVersion: v1\nspec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 1000\n    seccompProfile: {type: RuntimeDefault}\n  containers:\n  - name: a\n  - name: b\n    securityContext:\n      runAsUser: 0\n",
        );
        assert_eq!(ctx[0].run_as_user.as_ref().unwrap().value, 1000);
        assert_eq!(ctx[0].run_as_user.as_ref().unwrap().level, Level::Pod);
        assert_eq!(
            ctx[0].run_as_user.as_ref().unwrap().path.to_string(),
            "spec.securityContext.runAsUser"
        );
        assert_eq!(ctx[1].run_as_user.as_ref().unwrap().value, 0);
        assert_eq!(
            ctx[1].run_as_user.as_ref().unwrap().path.to_string(),
            "spec.containers[1].securityContext.runAsUser"
        );
        assert!(ctx[1].run_as_non_root.as_ref().unwrap().value);
        assert_eq!(
            ctx[1].seccomp_profile_type.as_ref().unwrap().value,
            "RuntimeDefault"
        );
        assert!(!ctx[0].may_run_as_root());
        assert!(ctx[1].may_run_as_root());
    }

    #[test]
    fn privileged_is_never_inherited() {
        // `privileged` does not exist at pod level; a stray one there must not count.
        let ctx = contexts(
            "kind: Pod\napiVersion: v1\nspec:\n  securityContext: {privileged: true}\n  containers: [{name: a}]\n",
        );
        assert!(ctx[0].privileged.is_none());
    }

    #[test]
    fn drop_all_is_case_insensitive() {
        let ctx = contexts(
            "kind: Pod\napiVersion: v1\nspec:\n  containers:\n  - name: a\n    securityContext: {capabilities: {drop: [all]}}\n",
        );
        assert!(ctx[0].drops_all());
    }
}
