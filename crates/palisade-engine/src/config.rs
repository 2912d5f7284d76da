//! The configuration file, `.palisade.yaml`.
//!
//! Found by walking up from the scanned path (or given with `--config`), it sets what the
//! command-line flags set, plus what only a file can hold: severity changes, overrides for some
//! paths or namespaces, and suppressions with reasons. A flag given on the command line
//! replaces the file's value for that setting. Every value remembers where it came from, so
//! `palisade config show` can say, and every mistake in the file — an unknown key, a value of
//! the wrong type, a rule that does not exist — is an error with the file, line and column.
//!
//! ```yaml
//! select: [pss, image, rbac]          # replaces the default rule set
//! extend-select: [image-not-digest-pinned]
//! ignore: [REL005]
//! severity: {HRD003: medium}
//! fail-on: high
//! format: sarif
//! pss-level: restricted
//! pss-version: v1.30
//! allowed-registries: [registry.example.com]
//! pod-kinds: ["Runner.ci.example.com=spec.pod"]
//! annotation-suppressions: true        # false: ignore suppress.palisade.dev/* annotations
//! policies: [policies/]                # custom rules: Rego modules, ValidatingAdmissionPolicies
//! overrides:
//!   - paths: ["legacy/**"]
//!     namespaces: [batch]
//!     ignore: [REL004]
//!     severity: {IMG001: low}
//! suppressions:
//!   - rules: [PSS001, PSS002]
//!     kinds: [DaemonSet]
//!     names: [node-exporter]
//!     namespaces: [monitoring]
//!     paths: ["monitoring/**"]
//!     reason: reads host metrics; reviewed by the platform team
//!     expires: 2027-06-30
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use palisade_load::{Limits, Node, Span, Value, parse_str};
use palisade_rules::Severity;

use crate::policy::{ConfigSuppression, Override, check_glob};
use crate::serve::ServeConfig;
use crate::suppress::{Date, resolve_rules};

/// The file name looked for.
pub const FILE_NAME: &str = palisade_load::CONFIG_FILE_NAME;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File { path: Arc<str>, line: u32 },
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{path}:{line}"),
            Source::Flag(flag) => f.write_str(flag),
        }
    }
}

/// A setting and where it came from.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Setting<T> {
    fn default(value: T) -> Self {
        Setting {
            value,
            source: Source::Default,
        }
    }

    /// Replaces the value with one given on the command line.
    pub fn set_by_flag(&mut self, value: T, flag: &'static str) {
        self.value = value;
        self.source = Source::Flag(flag);
    }
}

/// A configuration error, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub span: Option<Span>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(s) => write!(
                f,
                "{}:{}:{}: {}",
                self.path, s.start.line, s.start.column, self.message
            ),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    pub select: Setting<Vec<String>>,
    pub extend_select: Setting<Vec<String>>,
    pub ignore: Setting<Vec<String>>,
    pub severity: Setting<Vec<(&'static str, Severity)>>,
    pub fail_on: Setting<String>,
    pub format: Setting<String>,
    pub pss_level: Setting<String>,
    pub pss_version: Setting<String>,
    pub allowed_registries: Setting<Vec<String>>,
    pub pod_kinds: Setting<Vec<String>>,
    pub annotation_suppressions: Setting<bool>,
    pub overrides: Setting<Vec<Override>>,
    pub suppressions: Setting<Vec<ConfigSuppression>>,
    /// Custom rule files and folders (Rego modules, ValidatingAdmissionPolicies), as written.
    pub policies: Setting<Vec<String>>,
    /// The custom rules they hold, already in the catalog.
    pub custom_rules: Vec<&'static str>,
    /// The `serve` section: what the admission webhook enforces where. Read and checked
    /// with the rest of the file; only the webhook acts on it.
    pub serve: Setting<ServeConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            select: Setting::default(Vec::new()),
            extend_select: Setting::default(Vec::new()),
            ignore: Setting::default(Vec::new()),
            severity: Setting::default(Vec::new()),
            fail_on: Setting::default("low".into()),
            format: Setting::default("text".into()),
            pss_level: Setting::default("restricted".into()),
            pss_version: Setting::default("latest".into()),
            allowed_registries: Setting::default(Vec::new()),
            pod_kinds: Setting::default(Vec::new()),
            annotation_suppressions: Setting::default(true),
            overrides: Setting::default(Vec::new()),
            suppressions: Setting::default(Vec::new()),
            policies: Setting::default(Vec::new()),
            custom_rules: Vec::new(),
            serve: Setting::default(ServeConfig::default()),
        }
    }
}

const KEYS: &[&str] = &[
    "select",
    "extend-select",
    "ignore",
    "severity",
    "fail-on",
    "format",
    "pss-level",
    "pss-version",
    "allowed-registries",
    "pod-kinds",
    "annotation-suppressions",
    "overrides",
    "suppressions",
    "policies",
    "serve",
];

/// Looks for [`FILE_NAME`] in `start` (or its folder, for a file) and each parent folder.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            // Shown in messages as the user would write it: relative to the working
            // folder when it lies under it.
            let relative = std::env::current_dir()
                .and_then(|cwd| cwd.canonicalize())
                .ok()
                .and_then(|cwd| candidate.strip_prefix(cwd).ok().map(Path::to_path_buf));
            return Some(relative.unwrap_or(candidate));
        }
        dir = d.parent();
    }
    None
}

/// Reads the settings of a configuration file into values, each mistake a located error.
/// The `serve` section adds its own readers (`crate::serve`).
pub(crate) struct Reader<'a> {
    pub(crate) path: &'a str,
    /// The file's contents, to quote values as written.
    pub(crate) text: &'a str,
    pub(crate) file: Arc<str>,
}

/// A scalar as the user wrote it: `1.30`, not the number 1.3 YAML reads it as.
pub(crate) fn written(node: &Node, text: &str) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        _ => node
            .span
            .text_in(text)
            .map(str::to_string)
            .or_else(|| node.scalar_text())
            .unwrap_or_default(),
    }
}

/// Why `written` is not a Pod Security Standards version, with the spelling meant when it
/// is clear (`1.30` → `v1.30`).
pub(crate) fn version_error(written: &str) -> String {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let bare = written.trim_start_matches(['v', 'V']);
    let minor = bare
        .strip_prefix("1.")
        .map(|m| m.split('.').next().unwrap_or(m));
    let hint = match minor {
        Some(m) if digits(m) && bare.split('.').all(digits) => format!("; write `v1.{m}`"),
        _ => String::new(),
    };
    format!("`{written}` is not `latest` or `v1.N`{hint}")
}

impl Reader<'_> {
    pub(crate) fn error(&self, span: Span, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.to_string(),
            span: Some(span),
            message: message.into(),
        }
    }

    pub(crate) fn source(&self, span: Span) -> Source {
        Source::File {
            path: self.file.clone(),
            line: span.start.line,
        }
    }

    fn string(&self, node: &Node) -> Result<String, ConfigError> {
        match &node.value {
            Value::Str(s) => Ok(s.clone()),
            _ => Err(self.error(
                node.span,
                format!("expected text, found {}", node.describe()),
            )),
        }
    }

    fn strings(&self, node: &Node) -> Result<Vec<String>, ConfigError> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|n| self.string(n)).collect(),
            Value::Str(s) => Ok(vec![s.clone()]),
            _ => Err(self.error(
                node.span,
                format!("expected a list of text, found {}", node.describe()),
            )),
        }
    }

    /// Path globs, each checked where it is written.
    fn globs(&self, node: &Node) -> Result<Vec<String>, ConfigError> {
        let globs = self.strings(node)?;
        for (i, glob) in globs.iter().enumerate() {
            if let Err(message) = check_glob(glob) {
                let span = node.items().get(i).map_or(node.span, |n| n.span);
                return Err(self.error(span, message));
            }
        }
        Ok(globs)
    }

    fn rules(&self, node: &Node) -> Result<Vec<&'static str>, ConfigError> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let mut out = Vec::new();
        for item in items {
            let name = self.string(item)?;
            let ids = resolve_rules(&name);
            if ids.is_empty() {
                return Err(self.error(
                    item.span,
                    format!("`{name}` is not a rule id, rule name or category"),
                ));
            }
            out.extend(ids);
        }
        Ok(out)
    }

    fn selectors(&self, node: &Node) -> Result<Vec<String>, ConfigError> {
        let names = self.strings(node)?;
        for (i, name) in names.iter().enumerate() {
            if !crate::select::is_known(name, &palisade_rules::catalog()) {
                let span = node.items().get(i).map_or(node.span, |n| n.span);
                return Err(self.error(
                    span,
                    format!("`{name}` is not a rule id, rule name or category"),
                ));
            }
        }
        Ok(names)
    }

    fn severities(&self, node: &Node) -> Result<Vec<(&'static str, Severity)>, ConfigError> {
        if !node.is_map() {
            return Err(self.error(node.span, "expected a mapping of rule to severity"));
        }
        let mut out = Vec::new();
        for e in node.entries() {
            let ids = resolve_rules(&e.key);
            if ids.is_empty() {
                return Err(self.error(
                    e.key_span,
                    format!("`{}` is not a rule id, rule name or category", e.key),
                ));
            }
            let text = self.string(&e.value)?;
            let sev = Severity::parse(&text).ok_or_else(|| {
                self.error(
                    e.value.span,
                    format!("`{text}` is not a severity (low, medium, high, critical)"),
                )
            })?;
            out.extend(ids.into_iter().map(|id| (id, sev)));
        }
        Ok(out)
    }

    pub(crate) fn one_of(&self, node: &Node, allowed: &[&str]) -> Result<String, ConfigError> {
        if node.scalar_text().is_none() {
            return Err(self.error(node.span, format!("expected one of {}", allowed.join(", "))));
        }
        let text = written(node, self.text);
        if allowed.contains(&text.as_str()) {
            Ok(text)
        } else {
            Err(self.error(
                node.span,
                format!("`{text}` is not one of {}", allowed.join(", ")),
            ))
        }
    }

    /// The entries of a mapping; with `keys` empty, any key is allowed.
    pub(crate) fn mapping<'n>(
        &self,
        node: &'n Node,
        keys: &[&str],
        what: &str,
    ) -> Result<&'n [palisade_load::Entry], ConfigError> {
        if !node.is_map() {
            return Err(self.error(node.span, format!("expected {what} (a mapping)")));
        }
        for e in node.entries() {
            if !keys.is_empty() && !keys.contains(&e.key.as_str()) {
                return Err(self.error(
                    e.key_span,
                    format!(
                        "unknown key `{}` in {what}; known keys: {}",
                        e.key,
                        keys.join(", ")
                    ),
                ));
            }
        }
        Ok(node.entries())
    }

    fn overrides(&self, node: &Node) -> Result<Vec<Override>, ConfigError> {
        let mut out = Vec::new();
        for item in self.list(node)? {
            let mut o = Override::default();
            for e in self.mapping(
                item,
                &["paths", "namespaces", "ignore", "severity"],
                "an override",
            )? {
                match e.key.as_str() {
                    "paths" => o.paths = self.globs(&e.value)?,
                    "namespaces" => o.namespaces = self.strings(&e.value)?,
                    "ignore" => o.ignore = self.rules(&e.value)?,
                    _ => o.severity = self.severities(&e.value)?,
                }
            }
            out.push(o);
        }
        Ok(out)
    }

    fn list<'n>(&self, node: &'n Node) -> Result<&'n [Node], ConfigError> {
        match &node.value {
            Value::Seq(items) => Ok(items),
            _ => Err(self.error(
                node.span,
                format!("expected a list, found {}", node.describe()),
            )),
        }
    }

    fn suppressions(&self, node: &Node) -> Result<Vec<ConfigSuppression>, ConfigError> {
        let keys = [
            "rules",
            "paths",
            "namespaces",
            "kinds",
            "names",
            "reason",
            "expires",
        ];
        let mut out = Vec::new();
        for item in self.list(node)? {
            let span = item.entries().first().map_or(item.span, |e| e.key_span);
            let mut s = ConfigSuppression {
                rules: Vec::new(),
                paths: Vec::new(),
                namespaces: Vec::new(),
                kinds: Vec::new(),
                names: Vec::new(),
                reason: String::new(),
                expires: None,
                file: self.file.clone(),
                span,
            };
            for e in self.mapping(item, &keys, "a suppression")? {
                match e.key.as_str() {
                    "rules" => s.rules = self.rules(&e.value)?,
                    "paths" => s.paths = self.globs(&e.value)?,
                    "namespaces" => s.namespaces = self.strings(&e.value)?,
                    "kinds" => s.kinds = self.strings(&e.value)?,
                    "names" => s.names = self.strings(&e.value)?,
                    "reason" => s.reason = self.string(&e.value)?.trim().to_string(),
                    _ => {
                        let text = e.value.scalar_text().unwrap_or_default();
                        s.expires = Some(Date::parse(&text).ok_or_else(|| {
                            self.error(e.value.span, format!("`{text}` is not a date (YYYY-MM-DD)"))
                        })?);
                    }
                }
            }
            if s.rules.is_empty() {
                return Err(self.error(span, "a suppression needs `rules`"));
            }
            if s.reason.is_empty() {
                return Err(self.error(
                    span,
                    "a suppression needs a `reason`: write why the risk is accepted",
                ));
            }
            out.push(s);
        }
        Ok(out)
    }
}

/// Reads custom rule files and adds their rules to the catalog; returns their ids. Errors
/// name the policy file and the line in it.
#[cfg(feature = "policy")]
pub fn load_policies(paths: &[PathBuf]) -> Result<Vec<&'static str>, ConfigError> {
    let located = |e: palisade_policy::PolicyError| ConfigError {
        path: e.path,
        span: e.span,
        message: e.message,
    };
    let rules = palisade_policy::load(paths).map_err(located)?;
    palisade_rules::register_custom(&rules).map_err(|message| ConfigError {
        path: paths
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        span: None,
        message,
    })?;
    let mut ids: Vec<&'static str> = rules.iter().map(|r| r.meta.id).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Without the `policy` feature, custom rules cannot be read.
#[cfg(not(feature = "policy"))]
pub fn load_policies(paths: &[PathBuf]) -> Result<Vec<&'static str>, ConfigError> {
    match paths.first() {
        None => Ok(Vec::new()),
        Some(p) => Err(ConfigError {
            path: p.display().to_string(),
            span: None,
            message: "this palisade was built without custom rule support (feature `policy`)"
                .into(),
        }),
    }
}

impl Config {
    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_with_policies(path, &[])
    }

    /// Reads a configuration file, loading `extra` policy files (`--policy`) together with
    /// its own `policies:`, as one set.
    pub fn load_with_policies(path: &Path, extra: &[PathBuf]) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let fail = |message: String| ConfigError {
            path: shown.clone(),
            span: None,
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let text = palisade_load::source::decode(bytes).map_err(|d| ConfigError {
            path: shown.clone(),
            span: Some(d.span),
            message: d.message,
        })?;
        let mut config = Config::parse_with_policies(&shown, &text, extra)?;
        config.file = Some(path.to_path_buf());
        Ok(config)
    }

    /// The defaults, with the custom rules of `extra` policy files loaded.
    pub fn with_policies(extra: &[PathBuf]) -> Result<Config, ConfigError> {
        Ok(Config {
            custom_rules: load_policies(extra)?,
            ..Config::default()
        })
    }

    /// Parses configuration text; `path` is used in messages and sources.
    pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
        Config::parse_with_policies(path, text, &[])
    }

    /// Parses configuration text, loading `extra` policy files with its `policies:`.
    pub fn parse_with_policies(
        path: &str,
        text: &str,
        extra: &[PathBuf],
    ) -> Result<Config, ConfigError> {
        let parsed = parse_str(text, &Limits::default());
        // A repeated key is an error here, not a warning: which of two settings was meant
        // cannot be guessed.
        if let Some(d) = parsed
            .diagnostics
            .iter()
            .find(|d| d.kind.is_error() || d.kind == palisade_load::DiagnosticKind::DuplicateKey)
        {
            return Err(ConfigError {
                path: path.to_string(),
                span: Some(d.span),
                message: if d.kind == palisade_load::DiagnosticKind::DuplicateKey {
                    format!("{}; give each setting once", d.message)
                } else {
                    d.message.clone()
                },
            });
        }
        let r = Reader {
            path,
            text,
            file: Arc::from(path),
        };
        let Some(root) = parsed
            .documents
            .into_iter()
            .map(|d| d.root)
            .find(|n| !n.is_null())
        else {
            return Config::with_policies(extra);
        };
        let mut c = Config::default();
        let entries = r.mapping(&root, KEYS, "the configuration")?;
        // Custom rules first, all in one set: the rest of the file may name them.
        let mut files = Vec::new();
        if let Some(e) = entries.iter().find(|e| e.key == "policies") {
            let value = r.strings(&e.value)?;
            let base = Path::new(path).parent().unwrap_or(Path::new(""));
            for (i, p) in value.iter().enumerate() {
                let file = base.join(p);
                // A path that is not there is a mistake in this file: say where.
                if let Err(err) = std::fs::metadata(&file) {
                    let span = e.value.items().get(i).map_or(e.value.span, |n| n.span);
                    return Err(r.error(span, format!("cannot read `{p}`: {err}")));
                }
                files.push(file);
            }
            c.policies = Setting {
                value,
                source: r.source(e.key_span),
            };
        }
        files.extend_from_slice(extra);
        c.custom_rules = load_policies(&files)?;
        for e in entries {
            let src = r.source(e.key_span);
            let v = &e.value;
            match e.key.as_str() {
                "select" => {
                    c.select = Setting {
                        value: r.selectors(v)?,
                        source: src,
                    }
                }
                "extend-select" => {
                    c.extend_select = Setting {
                        value: r.selectors(v)?,
                        source: src,
                    }
                }
                "ignore" => {
                    c.ignore = Setting {
                        value: r.selectors(v)?,
                        source: src,
                    }
                }
                "severity" => {
                    c.severity = Setting {
                        value: r.severities(v)?,
                        source: src,
                    }
                }
                "fail-on" => {
                    let value = r.one_of(v, &["low", "medium", "high", "critical", "none"])?;
                    c.fail_on = Setting { value, source: src };
                }
                "format" => {
                    let value =
                        r.one_of(v, &["text", "json", "sarif", "junit", "github", "gitlab"])?;
                    c.format = Setting { value, source: src };
                }
                "pss-level" => {
                    let value = r.one_of(v, &["privileged", "baseline", "restricted"])?;
                    c.pss_level = Setting { value, source: src };
                }
                "pss-version" => {
                    let value = written(v, text);
                    if palisade_rules::PssVersion::parse(&value).is_none() {
                        return Err(r.error(v.span, version_error(&value)));
                    }
                    c.pss_version = Setting { value, source: src };
                }
                "allowed-registries" => {
                    c.allowed_registries = Setting {
                        value: r.strings(v)?,
                        source: src,
                    }
                }
                "pod-kinds" => {
                    let value = r.strings(v)?;
                    let mut table = palisade_model::PodKindTable::default();
                    for (i, spec) in value.iter().enumerate() {
                        if let Err(m) = table.add(spec) {
                            let span = v.items().get(i).map_or(v.span, |n| n.span);
                            return Err(r.error(span, m));
                        }
                    }
                    c.pod_kinds = Setting { value, source: src };
                }
                "annotation-suppressions" => {
                    let value = v
                        .as_bool()
                        .ok_or_else(|| r.error(v.span, "expected true or false"))?;
                    c.annotation_suppressions = Setting { value, source: src };
                }
                "overrides" => {
                    c.overrides = Setting {
                        value: r.overrides(v)?,
                        source: src,
                    }
                }
                "serve" => {
                    c.serve = Setting {
                        value: ServeConfig::read(path, text, v)?,
                        source: src,
                    }
                }
                "policies" => {}
                _ => {
                    c.suppressions = Setting {
                        value: r.suppressions(v)?,
                        source: src,
                    }
                }
            }
        }
        Ok(c)
    }

    /// The folder that path globs in the file are relative to.
    pub fn base_dir(&self) -> Option<PathBuf> {
        self.file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .map(|d| {
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d
                }
            })
    }

    /// Every setting as `(name, value, source)`, for `palisade config show`.
    pub fn describe(&self) -> Vec<(&'static str, String, String)> {
        let list = |v: &[String]| {
            if v.is_empty() {
                "[]".to_string()
            } else {
                format!("[{}]", v.join(", "))
            }
        };
        let mut out = vec![
            (
                "select",
                if self.select.value.is_empty() {
                    "(rules on by default)".into()
                } else {
                    list(&self.select.value)
                },
                self.select.source.to_string(),
            ),
            (
                "extend-select",
                list(&self.extend_select.value),
                self.extend_select.source.to_string(),
            ),
            (
                "ignore",
                list(&self.ignore.value),
                self.ignore.source.to_string(),
            ),
            (
                "severity",
                if self.severity.value.is_empty() {
                    "{}".into()
                } else {
                    format!(
                        "{{{}}}",
                        self.severity
                            .value
                            .iter()
                            .map(|(id, s)| format!("{id}: {s}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                self.severity.source.to_string(),
            ),
            (
                "fail-on",
                self.fail_on.value.clone(),
                self.fail_on.source.to_string(),
            ),
            (
                "format",
                self.format.value.clone(),
                self.format.source.to_string(),
            ),
            (
                "pss-level",
                self.pss_level.value.clone(),
                self.pss_level.source.to_string(),
            ),
            (
                "pss-version",
                self.pss_version.value.clone(),
                self.pss_version.source.to_string(),
            ),
            (
                "allowed-registries",
                list(&self.allowed_registries.value),
                self.allowed_registries.source.to_string(),
            ),
            (
                "pod-kinds",
                list(&self.pod_kinds.value),
                self.pod_kinds.source.to_string(),
            ),
            (
                "annotation-suppressions",
                self.annotation_suppressions.value.to_string(),
                self.annotation_suppressions.source.to_string(),
            ),
            (
                "overrides",
                format!("{} override(s)", self.overrides.value.len()),
                self.overrides.source.to_string(),
            ),
            (
                "suppressions",
                format!("{} suppression(s)", self.suppressions.value.len()),
                self.suppressions.source.to_string(),
            ),
            (
                "policies",
                if self.custom_rules.is_empty() {
                    list(&self.policies.value)
                } else {
                    format!(
                        "{} (custom rules: {})",
                        list(&self.policies.value),
                        self.custom_rules.join(", ")
                    )
                },
                self.policies.source.to_string(),
            ),
        ];
        for s in &self.suppressions.value {
            let expires = s
                .expires
                .map(|d| format!(", until {d}"))
                .unwrap_or_default();
            out.push((
                "  suppression",
                format!("{}: {}{expires}", s.rules.join(", "), s.reason),
                format!("{}:{}", s.file, s.span.start.line),
            ));
        }
        out.extend(self.serve.value.describe());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        Config::parse(".palisade.yaml", text).unwrap_err()
    }

    #[test]
    fn a_full_configuration_parses_with_sources() {
        let c = Config::parse(
            ".palisade.yaml",
            "select: [pss, image]\nignore: [REL005]\nseverity: {HRD003: medium}\nfail-on: high\npss-version: v1.30\nsuppressions:\n  - rules: [privileged-container]\n    kinds: [DaemonSet]\n    reason: node agent\n    expires: 2030-01-01\n",
        )
        .unwrap();
        assert_eq!(c.select.value, ["pss", "image"]);
        assert_eq!(c.ignore.source.to_string(), ".palisade.yaml:2");
        assert_eq!(c.severity.value, [("HRD003", Severity::Medium)]);
        assert_eq!(c.fail_on.value, "high");
        assert_eq!(c.suppressions.value[0].rules, ["PSS002"]);
        assert_eq!(c.suppressions.value[0].span.start.line, 7);
        assert_eq!(c.format.source, Source::Default);
    }

    #[test]
    fn unknown_keys_are_located_errors() {
        let e = err("select: [pss]\nselct: [image]\n");
        assert_eq!(e.span.unwrap().start.line, 2);
        assert!(e.message.contains("unknown key `selct`"), "{e}");
        assert!(e.to_string().starts_with(".palisade.yaml:2:1:"));
    }

    #[test]
    fn a_repeated_key_is_a_located_error() {
        let e = err("fail-on: high\nformat: json\nfail-on: none\n");
        assert_eq!(e.span.unwrap().start.line, 3);
        assert!(e.message.contains("`fail-on` appears twice"), "{e}");
    }

    #[test]
    fn bad_values_are_located_errors() {
        assert_eq!(err("fail-on: sometimes\n").span.unwrap().start.column, 10);
        assert!(
            err("ignore: [no-such-rule]\n")
                .message
                .contains("no-such-rule")
        );
        assert!(err("severity: {PSS002: huge}\n").message.contains("huge"));
        let e = err("pss-version: 1.30\n");
        assert_eq!(e.message, "`1.30` is not `latest` or `v1.N`; write `v1.30`");
        assert_eq!(e.span.unwrap().start.column, 14);
        let e = err("pss-version: \"1.30\"\n");
        assert!(e.message.ends_with("write `v1.30`"), "{e}");
        let e = err("pss-version: 2.0\n");
        assert_eq!(e.message, "`2.0` is not `latest` or `v1.N`");
        let e = err("suppressions:\n  - rules: [PSS002]\n");
        assert!(e.message.contains("reason"), "{e}");
        assert_eq!(e.span.unwrap().start.line, 2);
        assert!(
            err("suppressions:\n  - rules: [PSS002]\n    reason: x\n    expires: tomorrow\n")
                .message
                .contains("date")
        );
        assert!(
            err("overrides:\n  - paths: [a]\n    when: always\n")
                .message
                .contains("unknown key `when`")
        );
    }

    #[test]
    fn a_bad_glob_is_located_where_it_is_written() {
        let e = err("overrides:\n  - paths: [\"legacy/**\", \"[invalid\"]\n    ignore: [REL004]\n");
        assert!(e.message.contains("`[invalid` is not a valid glob"), "{e}");
        let span = e.span.expect("located");
        assert_eq!((span.start.line, span.start.column), (2, 26), "{e}");
        let e = err("suppressions:\n  - rules: [PSS002]\n    paths: [\"a/[b\"]\n    reason: x\n");
        assert_eq!(e.span.map(|s| s.start.line), Some(3), "{e}");
    }

    #[test]
    fn a_missing_policy_path_is_located_where_it_is_written() {
        let dir =
            std::env::temp_dir().join(format!("palisade-config-policies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(".palisade.yaml");
        std::fs::write(&file, "fail-on: high\npolicies:\n  - nonexistent/\n").unwrap();
        let e = Config::load(&file).unwrap_err();
        assert!(e.message.contains("`nonexistent/`"), "{e}");
        let span = e.span.expect("located");
        assert_eq!((span.start.line, span.start.column), (3, 5), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_that_is_not_utf8_is_located_at_the_first_bad_byte() {
        let dir =
            std::env::temp_dir().join(format!("palisade-config-latin1-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latin1.yaml");
        std::fs::write(
            &file,
            b"fail-on: high\nformat: text\nignore: []\n# caf\xe9\n",
        )
        .unwrap();
        let e = Config::load(&file).unwrap_err();
        let span = e.span.expect("located");
        assert_eq!((span.start.line, span.start.column), (4, 6), "{e}");
        assert!(e.message.contains("UTF-8"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_mistake_in_the_serve_section_is_an_error_of_the_file() {
        let e = err("serve:\n  defaults: {enforce: restrictd}\n");
        assert!(e.message.contains("`restrictd`"), "{e}");
        assert_eq!(e.span.map(|s| s.start.line), Some(2));
        let c = Config::parse(".palisade.yaml", "serve:\n  workloads: enforce\n").unwrap();
        assert!(c.serve.value.enforce_workloads);
        assert_eq!(c.serve.source.to_string(), ".palisade.yaml:1");
        assert!(
            c.describe().iter().any(|(k, v, s)| *k == "serve.workloads"
                && v == "enforce"
                && s == ".palisade.yaml:2")
        );
    }

    #[test]
    fn an_empty_file_is_the_default() {
        let c = Config::parse(".palisade.yaml", "# nothing yet\n").unwrap();
        assert_eq!(c.fail_on.value, "low");
    }
}
