//! The `serve` section of `.palisade.yaml`: what the webhook enforces where.
//!
//! Everything else in the file (rule selection, severities, overrides, suppressions, allowed
//! registries, pod kinds) drives `serve` exactly as it drives `scan`. This section adds what
//! only admission has: Pod Security levels per namespace, the mode of Palisade's other rules,
//! exemptions, mutation, and what to do when a rule fails.
//!
//! ```yaml
//! serve:
//!   defaults:                    # every namespace without an entry below
//!     enforce: baseline          # Pod Security level refused at admission
//!     enforce-version: latest
//!     audit: restricted          # written to the audit log
//!     warn: restricted           # returned to the client as warnings
//!     rules: warn                # Palisade's other rules: enforce, warn, audit or off
//!     mutate: false              # add safe defaults to Pods (see the README)
//!   namespaces:
//!     payments: {enforce: restricted, enforce-version: v1.30, rules: enforce, mutate: true}
//!   exemptions:
//!     usernames: ["system:serviceaccount:ci:deployer"]
//!     namespaces: [monitoring]
//!     runtime-classes: [kata]
//!   workloads: warn              # enforce: also refuse Deployments etc. at the enforce level
//!   annotation-suppressions: false
//!   on-rule-error: deny          # allow: admit when a rule fails on an enforced request
//! ```
//!
//! Namespace entries use the same keys as Pod Security Admission's namespace labels (without
//! the `pod-security.kubernetes.io/` prefix) and resolve the same way, so a namespace entry
//! that sets `enforce` alone also warns at that level.
//!
//! The section is read with the rest of the file, so `palisade scan` and `palisade config
//! show` refuse a mistake in it as `palisade serve` does, and without the webhook's TLS stack.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use palisade_load::{Node, Value};
use palisade_rules::PssLevel;

use crate::config::{ConfigError, Reader, Source, version_error, written};
use crate::psa::{LABEL_PREFIX, LevelVersion, NamespacePolicy, Version, policy_from_labels};

/// What happens to a finding of one of Palisade's own (non-PSS) rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Refuse the request.
    Enforce,
    /// Admit it with a warning to the client.
    Warn,
    /// Admit it and write the finding to the audit log.
    Audit,
    /// Do not report.
    Off,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "enforce" => Some(Mode::Enforce),
            "warn" => Some(Mode::Warn),
            "audit" => Some(Mode::Audit),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
            Mode::Off => "off",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the webhook does in one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceSettings {
    pub policy: NamespacePolicy,
    /// The mode of Palisade's rules outside the `pss` category.
    pub rules: Mode,
    pub mutate: bool,
}

/// Requests that skip every check.
#[derive(Debug, Clone, Default)]
pub struct Exemptions {
    pub usernames: HashSet<String>,
    pub namespaces: HashSet<String>,
    pub runtime_classes: HashSet<String>,
}

/// The resolved `serve` section.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub defaults: NamespaceSettings,
    pub namespaces: HashMap<String, NamespaceSettings>,
    pub exemptions: Exemptions,
    /// Refuse workload objects (Deployments, Jobs, …) whose pod template fails the enforce
    /// level. Off by default, as upstream: the pods they create are refused instead.
    pub enforce_workloads: bool,
    /// Let `suppress.palisade.dev/*` (and kube-linter, Checkov) annotations on the admitted
    /// object suppress findings. Off by default: workload authors must not exempt themselves.
    pub annotation_suppressions: bool,
    /// Refuse an enforced request when a rule fails while checking it.
    pub deny_on_rule_error: bool,
    /// Where each setting was written, by key (`defaults`, `namespaces.<name>`,
    /// `exemptions`, `workloads`, `annotation-suppressions`, `on-rule-error`); a key not
    /// here has its default.
    pub sources: BTreeMap<String, Source>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        let restricted = LevelVersion::new(PssLevel::Restricted, Version::Latest);
        ServeConfig {
            defaults: NamespaceSettings {
                policy: NamespacePolicy {
                    enforce: LevelVersion::new(PssLevel::Baseline, Version::Latest),
                    audit: restricted,
                    warn: restricted,
                },
                rules: Mode::Warn,
                mutate: false,
            },
            namespaces: HashMap::new(),
            exemptions: Exemptions::default(),
            enforce_workloads: false,
            annotation_suppressions: false,
            deny_on_rule_error: true,
            sources: BTreeMap::new(),
        }
    }
}

impl ServeConfig {
    /// The settings of one namespace.
    pub fn namespace(&self, name: &str) -> &NamespaceSettings {
        self.namespaces.get(name).unwrap_or(&self.defaults)
    }

    /// Reads the `serve` section; `path` is the configuration file, for messages, and `text`
    /// its contents, to quote values as written.
    pub(crate) fn read(path: &str, text: &str, node: &Node) -> Result<ServeConfig, ConfigError> {
        let mut c = ServeConfig::default();
        if node.is_null() {
            return Ok(c);
        }
        let r = Reader {
            path,
            text,
            file: Arc::from(path),
        };
        let keys = [
            "defaults",
            "namespaces",
            "exemptions",
            "workloads",
            "annotation-suppressions",
            "on-rule-error",
        ];
        let mut namespaces = None;
        for e in r.mapping(node, &keys, "the `serve` section")? {
            let v = &e.value;
            c.sources.insert(e.key.clone(), r.source(e.key_span));
            match e.key.as_str() {
                "defaults" => {
                    let builtin = c.defaults;
                    c.defaults = r.namespace(v, &builtin)?;
                }
                "namespaces" => namespaces = Some(v),
                "exemptions" => c.exemptions = r.exemptions(v)?,
                "workloads" => {
                    c.enforce_workloads = r.one_of(v, &["warn", "enforce"])? == "enforce"
                }
                "annotation-suppressions" => {
                    c.annotation_suppressions = v
                        .as_bool()
                        .ok_or_else(|| r.error(v.span, "expected true or false"))?
                }
                _ => c.deny_on_rule_error = r.one_of(v, &["deny", "allow"])? == "deny",
            }
        }
        // Namespace entries build on the defaults, wherever `defaults` is written.
        if let Some(v) = namespaces {
            c.sources.remove("namespaces");
            for e in r.mapping(v, &[], "`namespaces`")? {
                let settings = r.namespace(&e.value, &c.defaults)?;
                c.namespaces.insert(e.key.clone(), settings);
                c.sources
                    .insert(format!("namespaces.{}", e.key), r.source(e.key_span));
            }
        }
        Ok(c)
    }

    /// Every setting as `(name, value, source)`, for `palisade config show`; namespaces
    /// follow the defaults, one row each.
    pub fn describe(&self) -> Vec<(&'static str, String, String)> {
        let source = |key: &str| {
            self.sources
                .get(key)
                .map_or_else(|| Source::Default.to_string(), Source::to_string)
        };
        let mut out = vec![(
            "serve.defaults",
            self.defaults.to_string(),
            source("defaults"),
        )];
        let mut names: Vec<&String> = self.namespaces.keys().collect();
        names.sort();
        for name in names {
            out.push((
                "  namespace",
                format!("{name}: {}", self.namespaces[name]),
                source(&format!("namespaces.{name}")),
            ));
        }
        let sorted = |set: &HashSet<String>| {
            let mut items: Vec<&str> = set.iter().map(String::as_str).collect();
            items.sort_unstable();
            format!("[{}]", items.join(", "))
        };
        let x = &self.exemptions;
        out.extend([
            (
                "serve.exemptions",
                format!(
                    "usernames {}, namespaces {}, runtime-classes {}",
                    sorted(&x.usernames),
                    sorted(&x.namespaces),
                    sorted(&x.runtime_classes)
                ),
                source("exemptions"),
            ),
            (
                "serve.workloads",
                if self.enforce_workloads {
                    "enforce"
                } else {
                    "warn"
                }
                .into(),
                source("workloads"),
            ),
            (
                "serve.annotation-suppressions",
                self.annotation_suppressions.to_string(),
                source("annotation-suppressions"),
            ),
            (
                "serve.on-rule-error",
                if self.deny_on_rule_error {
                    "deny"
                } else {
                    "allow"
                }
                .into(),
                source("on-rule-error"),
            ),
        ]);
        out
    }
}

impl fmt::Display for NamespaceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.policy;
        write!(
            f,
            "enforce {}, audit {}, warn {}, rules {}, mutate {}",
            p.enforce, p.audit, p.warn, self.rules, self.mutate
        )
    }
}

const NAMESPACE_KEYS: &[&str] = &[
    "enforce",
    "enforce-version",
    "audit",
    "audit-version",
    "warn",
    "warn-version",
    "rules",
    "mutate",
];

/// The readers of the `serve` section, beside the rest of the configuration's.
impl Reader<'_> {
    /// A list of text, as a set.
    fn string_set(&self, node: &Node) -> Result<HashSet<String>, ConfigError> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .map(|n| {
                    n.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| self.error(n.span, "expected text"))
                })
                .collect(),
            _ => Err(self.error(node.span, "expected a list of text")),
        }
    }

    fn exemptions(&self, node: &Node) -> Result<Exemptions, ConfigError> {
        let mut x = Exemptions::default();
        let keys = ["usernames", "namespaces", "runtime-classes"];
        for e in self.mapping(node, &keys, "`exemptions`")? {
            let list = self.string_set(&e.value)?;
            match e.key.as_str() {
                "usernames" => x.usernames = list,
                "namespaces" => x.namespaces = list,
                _ => x.runtime_classes = list,
            }
        }
        Ok(x)
    }

    /// One namespace's settings on top of `base`. Levels and versions are checked strictly
    /// here, unlike labels on a live namespace: a typo in configuration is an error.
    fn namespace(
        &self,
        node: &Node,
        base: &NamespaceSettings,
    ) -> Result<NamespaceSettings, ConfigError> {
        let mut labels = Vec::new();
        let mut settings = *base;
        for e in self.mapping(node, NAMESPACE_KEYS, "namespace settings")? {
            let v = &e.value;
            match e.key.as_str() {
                // Unquoted `off` is a boolean in the YAML Kubernetes reads.
                "rules" if v.as_bool() == Some(false) => settings.rules = Mode::Off,
                "rules" => {
                    settings.rules =
                        Mode::parse(&self.one_of(v, &["enforce", "warn", "audit", "off"])?)
                            .unwrap_or(Mode::Warn)
                }
                "mutate" => {
                    settings.mutate = v
                        .as_bool()
                        .ok_or_else(|| self.error(v.span, "expected true or false"))?
                }
                key if key.ends_with("-version") => {
                    let text = written(v, self.text);
                    if Version::parse(&text).is_none() {
                        return Err(self.error(v.span, version_error(&text)));
                    }
                    labels.push((format!("{LABEL_PREFIX}{key}"), text));
                }
                key => {
                    let text = self.one_of(v, &["privileged", "baseline", "restricted"])?;
                    labels.push((format!("{LABEL_PREFIX}{key}"), text));
                }
            }
        }
        let (policy, _) = policy_from_labels(
            labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &base.policy,
        );
        settings.policy = policy;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    fn read(text: &str) -> Result<ServeConfig, ConfigError> {
        Config::parse(".palisade.yaml", text).map(|c| c.serve.value)
    }

    #[test]
    fn defaults_enforce_baseline_and_warn_restricted() {
        let c = read("serve: {}\n").unwrap();
        let ns = c.namespace("anything");
        assert_eq!(ns.policy.enforce.to_string(), "baseline:latest");
        assert_eq!(ns.policy.warn.to_string(), "restricted:latest");
        assert_eq!(ns.rules, Mode::Warn);
        assert!(!ns.mutate);
        assert!(!c.annotation_suppressions);
        assert!(c.deny_on_rule_error);
    }

    #[test]
    fn namespaces_build_on_the_defaults() {
        let c = read(
            "serve:\n  namespaces:\n    shop: {enforce: restricted, enforce-version: v1.30, rules: enforce, mutate: true}\n  defaults: {enforce: privileged, warn: baseline, rules: off}\n  exemptions: {usernames: [admin], runtime-classes: [kata]}\n  workloads: enforce\n  on-rule-error: allow\n",
        )
        .unwrap();
        let shop = c.namespace("shop");
        assert_eq!(shop.policy.enforce.to_string(), "restricted:v1.30");
        // `warn` was set by the defaults, not in this entry, so enforce raises it.
        assert_eq!(shop.policy.warn.to_string(), "restricted:v1.30");
        assert_eq!(shop.rules, Mode::Enforce);
        assert!(shop.mutate);
        let other = c.namespace("other");
        assert_eq!(other.policy.enforce.level, PssLevel::Privileged);
        assert_eq!(other.rules, Mode::Off);
        assert!(c.exemptions.usernames.contains("admin"));
        assert!(c.exemptions.runtime_classes.contains("kata"));
        assert!(c.enforce_workloads);
        assert!(!c.deny_on_rule_error);
    }

    #[test]
    fn settings_remember_where_they_were_written() {
        let c = read(
            "serve:\n  defaults: {enforce: restricted}\n  namespaces:\n    shop: {rules: enforce}\n    batch: {}\n",
        )
        .unwrap();
        let rows = c.describe();
        let row = |name: &str, starts: &str| {
            rows.iter()
                .find(|(k, v, _)| *k == name && v.starts_with(starts))
                .map(|(_, v, s)| (v.clone(), s.clone()))
                .unwrap_or_else(|| panic!("no {name} {starts} in {rows:?}"))
        };
        let (value, source) = row("serve.defaults", "");
        assert!(value.starts_with("enforce restricted:latest,"), "{value}");
        assert_eq!(source, ".palisade.yaml:2");
        let (value, source) = row("  namespace", "shop:");
        assert_eq!(
            value,
            "shop: enforce restricted:latest, audit restricted:latest, warn restricted:latest, \
             rules enforce, mutate false"
        );
        assert_eq!(source, ".palisade.yaml:4");
        assert_eq!(row("  namespace", "batch:").1, ".palisade.yaml:5");
        assert_eq!(row("serve.workloads", "").0, "warn");
        assert_eq!(row("serve.workloads", "").1, "default");
        assert_eq!(row("serve.on-rule-error", "").0, "deny");
    }

    #[test]
    fn mistakes_are_located_errors() {
        let e = read("serve:\n  namespaces:\n    shop: {enforce: strict}\n").unwrap_err();
        assert_eq!(e.span.unwrap().start.line, 3);
        assert!(e.message.contains("strict"), "{e}");
        let e = read("serve:\n  defaults: {enforce-version: 1.30}\n").unwrap_err();
        assert!(e.message.contains("v1.N"), "{e}");
        assert!(e.message.starts_with("`1.30` is not"), "{e}");
        assert!(e.message.contains("write `v1.30`"), "{e}");
        assert_eq!(e.span.unwrap().start.column, 31, "{e}");
        let e = read("serve:\n  namespaces:\n    shop:\n      warn-version: 1.20\n").unwrap_err();
        assert!(e.message.starts_with("`1.20` is not"), "{e}");
        assert_eq!(e.span.unwrap().start.line, 4);
        let e = read("serve:\n  mode: enforce\n").unwrap_err();
        assert!(e.message.contains("unknown key `mode`"), "{e}");
        let e = read("serve:\n  defaults: {rules: loud}\n").unwrap_err();
        assert!(e.message.contains("loud"), "{e}");
    }
}
