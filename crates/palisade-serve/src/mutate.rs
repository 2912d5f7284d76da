//! Secure defaults added to Pods at creation, as a JSONPatch.
//!
//! Only what the pod left unset is added, and only where it cannot change what a correctly
//! written workload does:
//!
//! * `allowPrivilegeEscalation: false` on each container that does not set it, unless the
//!   container is privileged or adds `SYS_ADMIN` (the API server refuses that combination).
//! * `capabilities.drop: [ALL]` on each container that adds no capability, is not privileged
//!   and does not already drop `ALL`.
//! * `seccompProfile: {type: RuntimeDefault}` at pod level when the pod sets no seccomp
//!   profile and carries no legacy seccomp annotation.
//! * `automountServiceAccountToken: false` when the pod does not use its token. "Used" is
//!   read conservatively: the pod is left alone when it sets `automountServiceAccountToken`
//!   either way, runs as a ServiceAccount other than `default`, projects a
//!   `serviceAccountToken` itself, or mounts anything at the token's path. The volume the API
//!   server injected for the token (`kube-api-access-*`) is removed along with its mounts.
//!
//! Windows pods get only the last change (the others do not exist on Windows), and mirror
//! pods none. Each change is idempotent: a pod patched once needs no second patch, so the
//! webhook may be re-invoked safely.

use base64::Engine as _;
use palisade_load::{Node, Value};
use palisade_model::{ContainerKind, Object};
use serde_json::{Value as Json, json};

const TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
const INJECTED_VOLUME_PREFIX: &str = "kube-api-access-";
const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// The JSONPatch operations that add secure defaults to a Pod.
pub fn secure_defaults(pod: &Object) -> Vec<Json> {
    let root = &pod.root;
    let Some(spec) = root.get("spec").filter(|s| s.is_map()) else {
        return Vec::new();
    };
    if pod.annotation(MIRROR_ANNOTATION).is_some() {
        return Vec::new();
    }
    let windows = spec
        .get("os")
        .and_then(|o| o.get("name"))
        .and_then(Node::as_str)
        == Some("windows");
    let mut ops = Vec::new();
    if !windows {
        for kind in [ContainerKind::Init, ContainerKind::Regular] {
            let field = kind.field();
            for (i, c) in spec
                .get(field)
                .map_or(&[][..], Node::items)
                .iter()
                .enumerate()
            {
                container_defaults(c, &format!("/spec/{field}/{i}"), &mut ops);
            }
        }
        seccomp_default(root, spec, &mut ops);
    }
    token_default(spec, &mut ops);
    ops
}

fn present(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| !n.is_null())
}

fn strings(node: Option<&Node>) -> Vec<&str> {
    node.map_or(&[][..], Node::items)
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

fn container_defaults(c: &Node, path: &str, ops: &mut Vec<Json>) {
    let sc = present(c.get("securityContext"));
    let get = |key: &str| sc.and_then(|s| present(s.get(key)));
    let caps = get("capabilities");
    let added = strings(caps.and_then(|c| c.get("add")));
    let dropped = strings(caps.and_then(|c| c.get("drop")));
    let privileged = get("privileged").and_then(Node::as_bool) == Some(true);
    let sys_admin = added
        .iter()
        .any(|c| matches!(*c, "SYS_ADMIN" | "CAP_SYS_ADMIN"));

    let want_no_escalation = get("allowPrivilegeEscalation").is_none() && !privileged && !sys_admin;
    let want_drop_all = added.is_empty() && !privileged && !dropped.contains(&"ALL");
    if !want_no_escalation && !want_drop_all {
        return;
    }

    if sc.is_none() {
        let mut value = serde_json::Map::new();
        if want_no_escalation {
            value.insert("allowPrivilegeEscalation".into(), Json::Bool(false));
        }
        if want_drop_all {
            value.insert("capabilities".into(), json!({"drop": ["ALL"]}));
        }
        ops.push(add(&format!("{path}/securityContext"), Json::Object(value)));
        return;
    }
    let base = format!("{path}/securityContext");
    if want_no_escalation {
        ops.push(add(
            &format!("{base}/allowPrivilegeEscalation"),
            Json::Bool(false),
        ));
    }
    if want_drop_all {
        match caps {
            None => ops.push(add(
                &format!("{base}/capabilities"),
                json!({"drop": ["ALL"]}),
            )),
            Some(caps) => match present(caps.get("drop")) {
                Some(list) if matches!(list.value, Value::Seq(_)) => {
                    ops.push(add(&format!("{base}/capabilities/drop/-"), json!("ALL")))
                }
                _ => ops.push(add(&format!("{base}/capabilities/drop"), json!(["ALL"]))),
            },
        }
    }
}

fn seccomp_default(root: &Node, spec: &Node, ops: &mut Vec<Json>) {
    let legacy = root
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .map_or(&[][..], Node::entries)
        .iter()
        .any(|e| e.key.contains("seccomp.security.alpha.kubernetes.io/"));
    if legacy {
        return;
    }
    let profile = json!({"type": "RuntimeDefault"});
    match present(spec.get("securityContext")) {
        None => ops.push(add(
            "/spec/securityContext",
            json!({"seccompProfile": profile}),
        )),
        Some(sc) if present(sc.get("seccompProfile")).is_none() => {
            ops.push(add("/spec/securityContext/seccompProfile", profile))
        }
        Some(_) => {}
    }
}

/// The injected token volume: named `kube-api-access-*` and projecting the token.
fn injected_token_volume(v: &Node) -> bool {
    v.get("name")
        .and_then(Node::as_str)
        .is_some_and(|n| n.starts_with(INJECTED_VOLUME_PREFIX))
        && projects_token(v)
}

fn projects_token(v: &Node) -> bool {
    v.get("projected")
        .and_then(|p| p.get("sources"))
        .map_or(&[][..], Node::items)
        .iter()
        .any(|s| s.get("serviceAccountToken").is_some())
}

fn token_default(spec: &Node, ops: &mut Vec<Json>) {
    if present(spec.get("automountServiceAccountToken")).is_some() {
        return;
    }
    let account = ["serviceAccountName", "serviceAccount"]
        .iter()
        .filter_map(|k| spec.get(k).and_then(Node::as_str))
        .find(|n| !n.is_empty());
    if account.is_some_and(|a| a != "default") {
        return;
    }
    let volumes = spec.get("volumes").map_or(&[][..], Node::items);
    let injected: Vec<(usize, &str)> = volumes
        .iter()
        .enumerate()
        .filter(|(_, v)| injected_token_volume(v))
        .filter_map(|(i, v)| Some((i, v.get("name")?.as_str()?)))
        .collect();
    if volumes
        .iter()
        .any(|v| projects_token(v) && !injected_token_volume(v))
    {
        return;
    }

    // Mounts of the injected volume, per container list; anything else at the token path
    // means the pod brings its own token.
    let mut mount_removals = Vec::new();
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        for (ci, c) in spec
            .get(field)
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
        {
            for (mi, m) in c
                .get("volumeMounts")
                .map_or(&[][..], Node::items)
                .iter()
                .enumerate()
            {
                let name = m.get("name").and_then(Node::as_str).unwrap_or_default();
                let at_token_path = m
                    .get("mountPath")
                    .and_then(Node::as_str)
                    .is_some_and(|p| p.trim_end_matches('/').starts_with(TOKEN_PATH));
                if injected.iter().any(|(_, n)| *n == name) {
                    mount_removals.push(format!("/spec/{field}/{ci}/volumeMounts/{mi}"));
                } else if at_token_path {
                    return;
                }
            }
        }
    }

    ops.push(add("/spec/automountServiceAccountToken", Json::Bool(false)));
    // Later indexes first, so earlier ones stay valid.
    for path in mount_removals.iter().rev() {
        ops.push(json!({"op": "remove", "path": path}));
    }
    for (i, _) in injected.iter().rev() {
        ops.push(json!({"op": "remove", "path": format!("/spec/volumes/{i}")}));
    }
}

fn add(path: &str, value: Json) -> Json {
    json!({"op": "add", "path": path, "value": value})
}

/// The patch as the AdmissionReview carries it: base64 of the JSON.
pub fn encode(ops: &[Json]) -> String {
    let bytes = serde_json::to_vec(ops).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What was changed, for the audit log: the paths, comma-separated.
pub fn summary(ops: &[Json]) -> String {
    ops.iter()
        .filter_map(|op| {
            Some(format!(
                "{} {}",
                op.get("op")?.as_str()?,
                op.get("path")?.as_str()?
            ))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
