//! What identifies a finding across edits of its file.
//!
//! Baselines and SARIF fingerprints must recognise a finding after its lines move, and must
//! tell two different findings apart. Line numbers fail the first; list indexes fail both (a
//! variable inserted into `env` renumbers every one below it). So a finding in a manifest is
//! identified by the path to its field, with list items named where Kubernetes itself keys
//! the list by a field — containers, environment variables and volumes by `name`, volume
//! mounts by `mountPath`, ports by `name` or else their number — and a finding in a
//! Dockerfile by its stage (name, or index when unnamed), its instruction keyword and what the
//! rule says it is about (a variable, a package, a program; see
//! [`DockerfileViolation::subject`](palisade_rules::DockerfileViolation::subject)).
//!
//! Values are never part of an identity, only names, so no secret ends up in a baseline file
//! or a SARIF log, not even hashed.

use palisade_load::{FieldPath, Node, Segment};

use crate::DockerfileSite;

/// The fields that name the items of the lists Kubernetes keys, by the list's own key, in the
/// order they are tried.
fn list_keys(list: &str) -> &'static [&'static str] {
    match list {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "sysctls"
        | "resourceClaims" => &["name"],
        "volumeMounts" => &["mountPath"],
        "volumeDevices" => &["devicePath"],
        "ports" => &["name", "containerPort", "port"],
        _ => &[],
    }
}

/// `path` inside `root`, with the items of keyed lists named: `spec.containers[name=web]
/// .env[name=DB_PASSWORD].value` rather than `spec.containers[0].env[3].value`. Items without
/// their key, and lists Kubernetes does not key, keep their index.
pub(crate) fn field(root: &Node, path: &FieldPath) -> String {
    let mut out = String::new();
    let mut node = Some(root);
    let mut list: Option<&str> = None;
    for segment in path.segments() {
        match segment {
            Segment::Key(k) => {
                if is_plain_key(k) {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                } else {
                    out.push_str(&format!("[{k:?}]"));
                }
                node = node.and_then(|n| n.get(k));
                list = Some(k);
            }
            Segment::Index(i) => {
                let item = node.and_then(|n| n.items().get(*i));
                let named = list.zip(item).and_then(|(list, item)| {
                    list_keys(list).iter().find_map(|key| {
                        let value = item.get(key)?.scalar_text()?;
                        is_plain_name(&value).then(|| format!("[{key}={value}]"))
                    })
                });
                out.push_str(&named.unwrap_or_else(|| format!("[{i}]")));
                node = item;
                list = None;
            }
        }
    }
    out
}

/// Whether a list item's key reads as a name or a path, and so may stand for the item. A
/// key with anything else in it (`admin:s3cret@db` written as an Endpoints port name) could
/// be a credential: the item keeps its index instead, so no such text reaches a baseline.
fn is_plain_name(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `stage build: ARG GITHUB_TOKEN`: the stage, the instruction keyword and the subject.
pub(crate) fn dockerfile(site: &DockerfileSite) -> String {
    let mut out = match (site.stage, &site.stage_name) {
        (_, Some(name)) => format!("stage {name}"),
        (Some(i), None) => format!("stage {i}"),
        (None, _) => "global".to_string(),
    };
    if let Some(keyword) = site.instruction {
        out.push_str(": ");
        out.push_str(keyword);
        if !site.subject.is_empty() {
            out.push(' ');
            out.push_str(&site.subject);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_load::{Limits, parse_str};

    fn root(yaml: &str) -> Node {
        parse_str(yaml, &Limits::default())
            .documents
            .into_iter()
            .next()
            .unwrap()
            .root
    }

    #[test]
    fn keyed_list_items_are_named_not_numbered() {
        let pod = root(
            "spec:\n  containers:\n  - name: web\n    env:\n    - {name: A, value: x}\n    - {name: DB_PASSWORD, value: y}\n    ports:\n    - containerPort: 8080\n    volumeMounts:\n    - {name: data, mountPath: /data}\n  tolerations:\n  - {key: k}\n",
        );
        let path = |p: &str| FieldPath::parse_dotted(p);
        let env = path("spec.containers")
            .index(0)
            .key("env")
            .index(1)
            .key("value");
        assert_eq!(
            field(&pod, &env),
            "spec.containers[name=web].env[name=DB_PASSWORD].value"
        );
        let port = path("spec.containers").index(0).key("ports").index(0);
        assert_eq!(
            field(&pod, &port),
            "spec.containers[name=web].ports[containerPort=8080]"
        );
        let mount = path("spec.containers")
            .index(0)
            .key("volumeMounts")
            .index(0);
        assert_eq!(
            field(&pod, &mount),
            "spec.containers[name=web].volumeMounts[mountPath=/data]"
        );
        // Lists Kubernetes does not key, and paths past the end, keep their index.
        let toleration = path("spec.tolerations").index(0);
        assert_eq!(field(&pod, &toleration), "spec.tolerations[0]");
        let missing = path("spec.containers").index(3).key("image");
        assert_eq!(field(&pod, &missing), "spec.containers[3].image");
    }

    #[test]
    fn a_key_that_may_hold_a_credential_is_not_written() {
        let eps = root(
            "subsets:\n- ports:\n  - {name: \"admin:hunter2@db\", port: 5432}\n  - {name: \"x y\"}\n",
        );
        let path = |i| {
            FieldPath::parse_dotted("subsets")
                .index(0)
                .key("ports")
                .index(i)
                .key("name")
        };
        assert_eq!(field(&eps, &path(0)), "subsets[0].ports[port=5432].name");
        assert_eq!(field(&eps, &path(1)), "subsets[0].ports[1].name");
    }

    #[test]
    fn dockerfile_identities_name_stage_instruction_and_subject() {
        let site = |stage, stage_name: Option<&str>, instruction, subject: &str| DockerfileSite {
            stage,
            stage_name: stage_name.map(str::to_string),
            instruction,
            instruction_index: Some(7),
            hadolint: None,
            subject: subject.to_string(),
        };
        assert_eq!(
            dockerfile(&site(Some(1), Some("build"), Some("ARG"), "GITHUB_TOKEN")),
            "stage build: ARG GITHUB_TOKEN"
        );
        assert_eq!(
            dockerfile(&site(Some(0), None, Some("USER"), "")),
            "stage 0: USER"
        );
        assert_eq!(
            dockerfile(&site(None, None, Some("ARG"), "X")),
            "global: ARG X"
        );
    }
}
