//! One index of the scan's mesh objects, shared by the mesh rules.
//!
//! Rules reach it through [`SetCx::shared`](crate::rule::SetCx::shared), so it is built once
//! per scan however many rules ask for it. It holds the hosts ServiceEntries define, the
//! DestinationRules and their subsets, the mesh configuration found in the files (an
//! `IstioOperator`'s `spec.meshConfig`, the `istio` ConfigMap's `mesh` text) and the objects
//! that install a mesh. Kubernetes Services are looked up in the shared
//! [`WorkloadIndex`](crate::wiring::WorkloadIndex).

use std::collections::{HashMap, HashSet};

use palisade_load::{Entry, FieldPath, Limits, Node, parse_str};
use palisade_model::Object;

use super::host::{self, ExportTo, HostForm};
use super::is_istio;
use crate::kinds::is_mesh_config_map;
use crate::wiring::WorkloadIndex;
use crate::wiring::index::{is_apps_kind, is_core_service, namespace};

/// The namespace Istio is installed in, and takes as its root namespace, unless told
/// otherwise.
pub const DEFAULT_ROOT_NAMESPACE: &str = "istio-system";

/// The annotation through which a Kubernetes Service limits where the mesh sees it.
const SERVICE_EXPORT_ANNOTATION: &str = "networking.istio.io/exportTo";

/// One host of a ServiceEntry.
#[derive(Debug)]
struct EntryHost {
    object: usize,
    namespace: String,
    export: Option<ExportTo>,
}

/// A DestinationRule: its host and the subsets it names.
#[derive(Debug)]
pub struct DestinationRuleDef {
    pub object: usize,
    pub namespace: String,
    /// The host as Istio resolves it from the rule's namespace.
    pub host: String,
    export: Option<ExportTo>,
    pub subsets: Vec<String>,
}

/// Where mesh configuration was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshSource {
    /// An `IstioOperator`'s `spec.meshConfig` (or its Helm `values`).
    Operator,
    /// The `mesh` text of the `istio` ConfigMap.
    ConfigMap,
}

/// A setting read from mesh configuration, and where it is written.
#[derive(Debug, Clone)]
pub struct Setting {
    pub value: String,
    /// The key in the object: the setting itself in an `IstioOperator`, the ConfigMap's
    /// `data.mesh` for settings inside its text.
    pub path: FieldPath,
    /// For settings inside the ConfigMap's `mesh` text: their line in that text.
    pub line_in_text: Option<u32>,
}

/// Mesh configuration found in the files.
#[derive(Debug)]
pub struct MeshConfig {
    pub object: usize,
    pub source: MeshSource,
    /// Where a finding about the configuration as a whole points: `spec.meshConfig` (or
    /// `spec`) of an `IstioOperator`, `data.mesh` of the ConfigMap.
    pub anchor: FieldPath,
    /// `outboundTrafficPolicy.mode`, when written.
    pub egress: Option<Setting>,
    root_namespace: Option<String>,
    service_export: Option<ExportTo>,
    rule_export: Option<ExportTo>,
}

/// An object that installs a mesh: an `IstioOperator`, the mesh ConfigMap, or an `istiod`
/// Deployment.
#[derive(Debug)]
pub struct Install {
    pub object: usize,
    /// Where a finding about the mesh as a whole points.
    pub anchor: FieldPath,
    /// The namespace the control plane runs in.
    pub namespace: String,
}

/// What a route's host turns out to be, as far as the files tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// A ServiceEntry or Kubernetes Service defines it, visible from the route's namespace.
    Defined,
    /// Only objects that are not exported to the route's namespace define it.
    Hidden { object: usize, export: String },
    /// A Kubernetes Service host whose namespace's Services are in the files, without it.
    Missing { namespace: String, services: usize },
    /// `name.namespace`, which Istio does not expand, while the Service `name` of
    /// `namespace` exists.
    Literal { service: usize },
    /// The files cannot tell.
    Unknown,
}

/// Whether a DestinationRule defines a route's subset.
#[derive(Debug, Clone, PartialEq)]
pub enum SubsetLookup {
    Defined,
    /// DestinationRules for the host are visible, and none names the subset.
    Missing {
        rules: Vec<usize>,
    },
    /// DestinationRules for the host exist, none exported to the route's namespace.
    Hidden {
        rule: usize,
        export: String,
    },
    /// No DestinationRule in the files is for the host.
    NoRule,
}

#[derive(Debug, Default)]
pub struct MeshIndex {
    entries: Vec<EntryHost>,
    entry_exact: HashMap<String, Vec<usize>>,
    /// Wildcard ServiceEntry hosts, with the entry each belongs to.
    entry_wildcards: Vec<(String, usize)>,
    rules: Vec<DestinationRuleDef>,
    rule_exact: HashMap<String, Vec<usize>>,
    rule_wildcards: Vec<usize>,
    /// Names of core Services in any namespace.
    service_names: HashSet<String>,
    pub configs: Vec<MeshConfig>,
    pub installs: Vec<Install>,
}

impl MeshIndex {
    pub fn build(objects: &[&Object]) -> MeshIndex {
        let mut index = MeshIndex::default();
        for (i, obj) in objects.iter().enumerate() {
            if is_core_service(obj) {
                if let Some(name) = &obj.id.name {
                    index.service_names.insert(name.to_ascii_lowercase());
                }
            } else if is_istio(obj, "networking.istio.io", "ServiceEntry") {
                index.add_entry(i, obj);
            } else if is_istio(obj, "networking.istio.io", "DestinationRule") {
                index.add_rule(i, obj);
            } else if is_istio(obj, "install.istio.io", "IstioOperator") {
                index.add_operator(i, obj);
            } else if is_mesh_config_map(obj) {
                index.add_config_map(i, obj);
            } else if is_istiod(obj) {
                index.installs.push(Install {
                    object: i,
                    anchor: FieldPath::parse_dotted("metadata.name"),
                    namespace: namespace_or_default(obj),
                });
            }
        }
        index
    }

    fn add_entry(&mut self, i: usize, obj: &Object) {
        let ns = namespace(obj);
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        let export = ExportTo::from_node(spec.get("exportTo"));
        let entry = self.entries.len();
        self.entries.push(EntryHost {
            object: i,
            namespace: ns.to_string(),
            export,
        });
        for h in spec.get("hosts").map_or(&[][..], Node::items) {
            let Some(h) = h.as_str().filter(|h| !h.trim().is_empty()) else {
                continue;
            };
            let key = host::key(h, ns);
            if key.starts_with('*') {
                self.entry_wildcards.push((key, entry));
            } else {
                self.entry_exact.entry(key).or_default().push(entry);
            }
        }
    }

    fn add_rule(&mut self, i: usize, obj: &Object) {
        let ns = namespace(obj);
        let Some(spec) = obj.root.get("spec") else {
            return;
        };
        let Some(h) = spec.get("host").and_then(Node::as_str) else {
            return;
        };
        let key = host::key(h, ns);
        let subsets = spec
            .get("subsets")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(|s| s.get("name").and_then(Node::scalar_text))
            .collect();
        let rule = self.rules.len();
        if key.starts_with('*') {
            self.rule_wildcards.push(rule);
        } else {
            self.rule_exact.entry(key.clone()).or_default().push(rule);
        }
        self.rules.push(DestinationRuleDef {
            object: i,
            namespace: ns.to_string(),
            host: key,
            export: ExportTo::from_node(spec.get("exportTo")),
            subsets,
        });
    }

    fn add_operator(&mut self, i: usize, obj: &Object) {
        let spec = obj.root.get("spec");
        let install_ns = spec
            .and_then(|s| s.get("namespace"))
            .and_then(Node::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| namespace_or_default(obj));
        let anchor = if spec.is_some() {
            FieldPath::parse_dotted("spec")
        } else {
            FieldPath::parse_dotted("kind")
        };
        self.installs.push(Install {
            object: i,
            anchor: anchor.clone(),
            namespace: install_ns,
        });

        // `spec.meshConfig` wins over the Helm values it is merged into.
        let mut config = MeshConfig::empty(i, MeshSource::Operator, anchor);
        let sources = ["spec.meshConfig", "spec.values.meshConfig"];
        for source in sources {
            let path = FieldPath::parse_dotted(source);
            if let Some(mesh) = obj.node(&path).filter(|n| n.is_map()) {
                if source == "spec.meshConfig" {
                    config.anchor = path.clone();
                }
                config.merge(mesh, |keys, _| (path.keys(keys), None));
            }
        }
        if config.egress.is_none() {
            let path = FieldPath::parse_dotted("spec.values.global.outboundTrafficPolicy.mode");
            config.egress = obj.node(&path).and_then(Node::as_str).map(|mode| Setting {
                value: mode.to_string(),
                path,
                line_in_text: None,
            });
        }
        self.configs.push(config);
    }

    fn add_config_map(&mut self, i: usize, obj: &Object) {
        let path = FieldPath::parse_dotted("data.mesh");
        self.installs.push(Install {
            object: i,
            anchor: path.clone(),
            namespace: namespace_or_default(obj),
        });
        let Some(text) = obj.node(&path).and_then(Node::as_str) else {
            return;
        };
        // The mesh configuration is YAML inside a string: read it with the same loader,
        // so settings inside it can be named by their line in the text.
        let parsed = parse_str(text, &Limits::default());
        if parsed.diagnostics.iter().any(|d| d.kind.is_error()) {
            return;
        }
        let mut config = MeshConfig::empty(i, MeshSource::ConfigMap, path.clone());
        if let Some(mesh) = parsed.documents.first().map(|d| &d.root) {
            config.merge(mesh, |_, entry| {
                (path.clone(), Some(entry.key_span.start.line))
            });
        }
        self.configs.push(config);
    }

    /// The root namespace of the mesh: `rootNamespace` from the mesh configuration, else
    /// the namespace the control plane is installed in, else `istio-system`.
    pub fn root_namespace(&self) -> &str {
        self.configs
            .iter()
            .find_map(|c| c.root_namespace.as_deref())
            .or_else(|| self.installs.first().map(|i| i.namespace.as_str()))
            .unwrap_or(DEFAULT_ROOT_NAMESPACE)
    }

    /// Resolves `host`, written in a route of namespace `from`.
    pub fn resolve(
        &self,
        services: &WorkloadIndex,
        objects: &[&Object],
        from: &str,
        host: &str,
    ) -> Lookup {
        let key = host::key(host, from);
        let mut hidden = None;
        // A ServiceEntry whose visibility from `from` the files cannot tell may define the
        // host: nothing can then be said against it.
        let mut maybe = false;
        for (e, catch_all) in self.entries_for(&key) {
            let export = self.entry_export(e);
            match export.visible(&e.namespace, from) {
                Some(true) => return Lookup::Defined,
                None => maybe = true,
                // An entry for every host (`*`) kept to its own namespace says nothing about
                // what other namespaces meant to reach.
                Some(false) if catch_all => {}
                Some(false) => {
                    hidden.get_or_insert(Lookup::Hidden {
                        object: e.object,
                        export: export.describe(),
                    });
                }
            }
        }
        let against = |verdict: Lookup| {
            if maybe {
                Lookup::Unknown
            } else {
                hidden.clone().unwrap_or(verdict)
            }
        };
        let service = |name: &str, ns: &str| self.service(services, objects, name, ns);
        match host::form(host, from) {
            HostForm::Service { name, namespace } => match service(&name, &namespace) {
                ServiceLookup::Found(s) => {
                    let export = self.service_export(objects[s]);
                    match export.visible(&namespace, from) {
                        Some(true) => Lookup::Defined,
                        None => Lookup::Unknown,
                        Some(false) => against(Lookup::Hidden {
                            object: s,
                            export: export.describe(),
                        }),
                    }
                }
                ServiceLookup::Absent(count) => against(Lookup::Missing {
                    namespace,
                    services: count,
                }),
                ServiceLookup::Unknown => against(Lookup::Unknown),
            },
            HostForm::Literal { name, namespace } => match service(&name, &namespace) {
                ServiceLookup::Found(s) => against(Lookup::Literal { service: s }),
                _ => against(Lookup::Unknown),
            },
            HostForm::Wildcard | HostForm::Other => against(Lookup::Unknown),
        }
    }

    /// Whether a DestinationRule visible from namespace `from` defines `subset` for the host
    /// `key` (as [`host::key`] gives it).
    pub fn subset(&self, from: &str, key: &str, subset: &str) -> SubsetLookup {
        let rules: Vec<&DestinationRuleDef> = self.rules_for(key).collect();
        let Some(first) = rules.first() else {
            return SubsetLookup::NoRule;
        };
        let visible: Vec<&&DestinationRuleDef> = rules
            .iter()
            // A rule whose visibility the files cannot tell is given the benefit of the doubt.
            .filter(|r| self.rule_export(r).visible(&r.namespace, from) != Some(false))
            .collect();
        if visible.is_empty() {
            return SubsetLookup::Hidden {
                rule: first.object,
                export: self.rule_export(first).describe(),
            };
        }
        if visible
            .iter()
            .any(|r| r.subsets.iter().any(|s| s == subset))
        {
            return SubsetLookup::Defined;
        }
        SubsetLookup::Missing {
            rules: visible.iter().map(|r| r.object).collect(),
        }
    }

    /// The DestinationRule written at object index `object`.
    pub fn rule(&self, object: usize) -> Option<&DestinationRuleDef> {
        self.rules.iter().find(|r| r.object == object)
    }

    /// The ServiceEntries that define the host `key`, each with whether it does so only
    /// through the catch-all host `*`.
    fn entries_for<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (&'a EntryHost, bool)> + 'a {
        let exact = self.entry_exact.get(key).map_or(&[][..], Vec::as_slice);
        let wild = self
            .entry_wildcards
            .iter()
            .filter(move |(pattern, _)| host::wildcard_covers(pattern, key))
            .map(|(pattern, e)| (*e, pattern == "*"));
        exact
            .iter()
            .map(|&e| (e, false))
            .chain(wild)
            .filter_map(|(e, catch_all)| self.entries.get(e).map(|entry| (entry, catch_all)))
    }

    fn rules_for<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a DestinationRuleDef> + 'a {
        let exact = self.rule_exact.get(key).map_or(&[][..], Vec::as_slice);
        let wild = self
            .rule_wildcards
            .iter()
            .filter(move |&&r| {
                self.rules
                    .get(r)
                    .is_some_and(|d| host::wildcard_covers(&d.host, key))
            })
            .copied();
        exact
            .iter()
            .copied()
            .chain(wild)
            .filter_map(|r| self.rules.get(r))
    }

    fn service(
        &self,
        services: &WorkloadIndex,
        objects: &[&Object],
        name: &str,
        ns: &str,
    ) -> ServiceLookup {
        let named = |list: &[usize]| {
            list.iter().copied().find(|&s| {
                objects
                    .get(s)
                    .and_then(|o| o.id.name.as_deref())
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        };
        // The wiring index finds a name at once; the list is walked only when another kind
        // called `Service` (Knative's) took the name first.
        let quick = services
            .named(ns, "Service", name)
            .filter(|&s| objects.get(s).is_some_and(|o| is_core_service(o)));
        let list = services.services(ns);
        if let Some(s) = quick.or_else(|| named(list)) {
            return ServiceLookup::Found(s);
        }
        if list.is_empty() {
            return ServiceLookup::Unknown;
        }
        // An object without a namespace lands in whichever namespace it is applied to.
        let elsewhere = if ns.is_empty() {
            self.service_names.contains(name)
        } else {
            named(services.services("")).is_some()
        };
        if elsewhere {
            return ServiceLookup::Unknown;
        }
        ServiceLookup::Absent(list.len())
    }

    fn service_export(&self, service: &Object) -> ExportTo {
        ExportTo::from_annotation(service.annotation(SERVICE_EXPORT_ANNOTATION))
            .or_else(|| self.configs.iter().find_map(|c| c.service_export.clone()))
            .unwrap_or_else(ExportTo::everywhere)
    }

    fn entry_export(&self, entry: &EntryHost) -> ExportTo {
        entry
            .export
            .clone()
            .or_else(|| self.configs.iter().find_map(|c| c.service_export.clone()))
            .unwrap_or_else(ExportTo::everywhere)
    }

    fn rule_export(&self, rule: &DestinationRuleDef) -> ExportTo {
        rule.export
            .clone()
            .or_else(|| self.configs.iter().find_map(|c| c.rule_export.clone()))
            .unwrap_or_else(ExportTo::everywhere)
    }
}

enum ServiceLookup {
    Found(usize),
    /// Not among the namespace's Services, of which there are this many.
    Absent(usize),
    Unknown,
}

impl MeshConfig {
    fn empty(object: usize, source: MeshSource, anchor: FieldPath) -> MeshConfig {
        MeshConfig {
            object,
            source,
            anchor,
            egress: None,
            root_namespace: None,
            service_export: None,
            rule_export: None,
        }
    }

    /// Takes the settings of the mesh configuration `mesh` that are not set yet. `locate`
    /// gives, for a setting's keys and node, its path in the object and its line in an
    /// embedded text.
    fn merge(&mut self, mesh: &Node, locate: impl Fn(&[&str], &Entry) -> (FieldPath, Option<u32>)) {
        if self.egress.is_none() {
            let keys = ["outboundTrafficPolicy", "mode"];
            let at = mesh.get(keys[0]).and_then(|p| p.entry(keys[1]));
            if let Some(entry) = at
                && let Some(mode) = entry.value.as_str()
            {
                let (path, line_in_text) = locate(&keys, entry);
                self.egress = Some(Setting {
                    value: mode.to_string(),
                    path,
                    line_in_text,
                });
            }
        }
        if self.root_namespace.is_none() {
            self.root_namespace = mesh
                .get("rootNamespace")
                .and_then(Node::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string);
        }
        // `defaultServiceExportTo` covers ServiceEntries too.
        let export = |key: &str| ExportTo::from_node(mesh.get(key));
        self.service_export = self
            .service_export
            .take()
            .or_else(|| export("defaultServiceExportTo"));
        self.rule_export = self
            .rule_export
            .take()
            .or_else(|| export("defaultDestinationRuleExportTo"));
    }
}

/// Whether `obj` is Istio's control plane Deployment, `istiod` or `istiod-<revision>`.
fn is_istiod(obj: &Object) -> bool {
    is_apps_kind(obj, &["Deployment"])
        && obj
            .id
            .name
            .as_deref()
            .is_some_and(|n| n == "istiod" || n.starts_with("istiod-"))
}

fn namespace_or_default(obj: &Object) -> String {
    obj.id
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_ROOT_NAMESPACE.to_string())
}
