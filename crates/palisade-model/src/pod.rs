//! Pod templates inside pod-bearing kinds, and their containers.

use palisade_load::{FieldPath, Node};

use crate::image::ImageRef;
use crate::object::ObjectId;
use crate::security::EffectiveSecurityContext;

/// Which kinds carry a pod template, and where.
///
/// The built-in entries cover Kubernetes' workload kinds, Argo `Rollout` and OpenShift
/// `DeploymentConfig`. Users add their own CRDs with [`PodKindTable::add`].
#[derive(Debug, Clone)]
pub struct PodKindTable {
    entries: Vec<PodKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodKind {
    pub kind: String,
    /// API groups this kind is recognised in; empty means any group.
    pub groups: Vec<String>,
    /// Path to the pod template (the mapping holding `metadata` and `spec`); the root for Pods.
    pub template: FieldPath,
}

impl Default for PodKindTable {
    fn default() -> Self {
        let entry = |kind: &str, groups: &[&str], template: &str| PodKind {
            kind: kind.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            template: FieldPath::parse_dotted(template),
        };
        PodKindTable {
            entries: vec![
                entry("Pod", &[""], ""),
                entry("PodTemplate", &[""], "template"),
                entry("ReplicationController", &[""], "spec.template"),
                entry("ReplicaSet", &["apps", "extensions"], "spec.template"),
                entry("Deployment", &["apps", "extensions"], "spec.template"),
                entry("StatefulSet", &["apps"], "spec.template"),
                entry("DaemonSet", &["apps", "extensions"], "spec.template"),
                entry("Job", &["batch"], "spec.template"),
                entry("CronJob", &["batch"], "spec.jobTemplate.spec.template"),
                entry("Rollout", &["argoproj.io"], "spec.template"),
                entry(
                    "DeploymentConfig",
                    &["apps.openshift.io", ""],
                    "spec.template",
                ),
            ],
        }
    }
}

impl PodKindTable {
    /// Adds (or replaces) an entry. `spec` is `Kind=path` or `Kind.group=path`, where `path` is
    /// the dotted path to the pod template, e.g. `Workflow.argoproj.io=spec.podTemplate`.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("`{spec}` is not `Kind[.group]=path.to.template`"))?;
        let (kind, group) = match name.split_once('.') {
            Some((k, g)) => (k, Some(g)),
            None => (name, None),
        };
        if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("`{name}` is not a kind name"));
        }
        if let Some(g) = group
            && (g.split('.').any(str::is_empty)
                || !g.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-')
                }))
        {
            return Err(format!("`{g}` is not an API group (e.g. `argoproj.io`)"));
        }
        if path.is_empty()
            || path
                .split('.')
                .any(|k| k.is_empty() || k.chars().any(|c| c.is_whitespace()))
        {
            return Err(format!(
                "`{path}` is not a dotted path to the pod template (e.g. `spec.template`)"
            ));
        }
        // A built-in kind keeps its template; naming the same path again changes nothing.
        let built_in = PodKindTable::default().entries.into_iter().find(|e| {
            e.kind == kind
                && group.is_none_or(|g| e.groups.iter().any(|eg| eg == g))
                && e.template != FieldPath::parse_dotted(path)
        });
        if let Some(e) = built_in {
            return Err(format!(
                "`{kind}` is a built-in pod-bearing kind, whose pod template is {}",
                if e.template.0.is_empty() {
                    "the object itself".to_string()
                } else {
                    format!("at `{}`", e.template)
                }
            ));
        }
        let entry = PodKind {
            kind: kind.to_string(),
            groups: group.map(|g| vec![g.to_string()]).unwrap_or_default(),
            template: FieldPath::parse_dotted(path),
        };
        self.entries
            .retain(|e| !(e.kind == entry.kind && e.groups == entry.groups));
        self.entries.push(entry);
        Ok(())
    }

    pub fn lookup(&self, id: &ObjectId) -> Option<&PodKind> {
        let group = id.group();
        // Later entries (user additions) take precedence.
        self.entries.iter().rev().find(|e| {
            e.kind == id.kind && (e.groups.is_empty() || e.groups.iter().any(|g| g == group))
        })
    }

    pub fn entries(&self) -> &[PodKind] {
        &self.entries
    }
}

/// The pod template of a pod-bearing object.
#[derive(Debug, Clone)]
pub struct PodTemplate {
    /// The pod's `metadata` (annotations that apply to the pod live here).
    pub metadata: FieldPath,
    /// The pod spec.
    pub spec: FieldPath,
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    pub const ALL: [ContainerKind; 3] = [
        ContainerKind::Init,
        ContainerKind::Regular,
        ContainerKind::Ephemeral,
    ];

    /// The pod spec field that lists containers of this kind.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container of a pod, of any kind.
#[derive(Debug, Clone)]
pub struct Container {
    pub kind: ContainerKind,
    pub name: String,
    /// Path to the container's mapping.
    pub path: FieldPath,
    pub image: Option<ImageRef>,
    pub security: EffectiveSecurityContext,
}

impl Container {
    /// An init container with `restartPolicy: Always` runs for the pod's whole life.
    pub fn is_sidecar(&self, obj_root: &Node) -> bool {
        self.kind == ContainerKind::Init
            && obj_root
                .at(self.path.key("restartPolicy").segments())
                .and_then(Node::as_str)
                == Some("Always")
    }
}

impl PodTemplate {
    /// The pod template of `root` if its kind bears one and the template is present.
    pub fn find(id: &ObjectId, root: &Node, table: &PodKindTable) -> Option<PodTemplate> {
        let entry = table.lookup(id)?;
        let template = root.at(entry.template.segments())?;
        let spec_node = template.get("spec").filter(|n| n.is_map())?;
        let metadata = entry.template.key("metadata");
        let spec = entry.template.key("spec");
        let pod_security = spec_node.get("securityContext");

        let mut containers = Vec::new();
        for kind in ContainerKind::ALL {
            let Some(list) = spec_node.get(kind.field()) else {
                continue;
            };
            for (i, c) in list.items().iter().enumerate() {
                let path = spec.key(kind.field()).index(i);
                let name = c
                    .get("name")
                    .and_then(Node::scalar_text)
                    .unwrap_or_else(|| format!("{}[{i}]", kind.field()));
                let image = c.get("image").and_then(Node::as_str).map(ImageRef::parse);
                let security = EffectiveSecurityContext::compute(
                    pod_security,
                    &spec.key("securityContext"),
                    c,
                    &path,
                );
                containers.push(Container {
                    kind,
                    name,
                    path,
                    image,
                    security,
                });
            }
        }
        Some(PodTemplate {
            metadata,
            spec,
            containers,
        })
    }

    /// The pod spec node.
    pub fn spec_node<'a>(&self, root: &'a Node) -> Option<&'a Node> {
        root.at(self.spec.segments())
    }

    /// A pod annotation's value.
    pub fn annotation<'a>(&self, root: &'a Node, key: &str) -> Option<&'a Node> {
        root.at(self.metadata.key("annotations").key(key).segments())
    }

    /// `spec.os.name == windows`.
    pub fn is_windows(&self, root: &Node) -> bool {
        root.at(self.spec.keys(&["os", "name"]).segments())
            .and_then(Node::as_str)
            == Some("windows")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::objects_from_document;
    use palisade_load::{Limits, parse_str};

    fn first(text: &str, table: &PodKindTable) -> crate::Object {
        let mut parsed = parse_str(text, &Limits::default());
        objects_from_document(parsed.documents.remove(0), table)
            .objects
            .remove(0)
    }

    #[test]
    fn cron_job_pod_spec_is_found_with_every_container_kind() {
        let obj = first(
            "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers: [{name: i, image: busybox}]\n          containers: [{name: c, image: nginx}]\n          ephemeralContainers: [{name: e, image: debug}]\n",
            &PodKindTable::default(),
        );
        let pod = obj.pod.expect("pod template");
        assert_eq!(pod.spec.to_string(), "spec.jobTemplate.spec.template.spec");
        let kinds: Vec<_> = pod
            .containers
            .iter()
            .map(|c| (c.kind, c.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (ContainerKind::Init, "i"),
                (ContainerKind::Regular, "c"),
                (ContainerKind::Ephemeral, "e")
            ]
        );
    }

    #[test]
    fn users_can_teach_the_table_their_crds() {
        let text = "apiVersion: example.com/v1\nkind: Runner\nspec:\n  pod:\n    spec:\n      containers: [{name: c}]\n";
        assert!(first(text, &PodKindTable::default()).pod.is_none());
        let mut table = PodKindTable::default();
        table.add("Runner.example.com=spec.pod").unwrap();
        assert_eq!(first(text, &table).pod.unwrap().containers.len(), 1);
        assert!(table.add("no-equals").is_err());
        assert!(table.add("Rollout.argoproj.io=spec.template").is_ok());
        for bad in [
            "Runner.=spec.pod",
            "Runner..example.com=spec.pod",
            "Runner=spec pod",
            "Pod=spec.x",
            "Deployment.apps=spec.nothere",
            "Rollout.argoproj.io=spec.pod",
            "Runner=",
            "Runner=spec..pod",
            "Runner=.spec",
            "Runner=spec.",
        ] {
            assert!(table.add(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_crd_sharing_a_builtin_kind_name_is_not_mistaken_for_it() {
        let obj = first(
            "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nspec:\n  template:\n    spec: {containers: [{name: c}]}\n",
            &PodKindTable::default(),
        );
        assert!(obj.pod.is_none());
    }
}
