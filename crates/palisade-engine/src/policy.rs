//! What a team's configuration changes about a scan beyond rule selection: severity changes,
//! overrides for some paths or namespaces, suppressions and a baseline.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use palisade_load::Span;
use palisade_model::ObjectId;
use palisade_rules::Severity;

use crate::baseline::Baseline;
use crate::suppress::{Active, Date, Suppression, SuppressionKind};

/// Per-path and per-namespace changes: rules to skip and severities to change there.
#[derive(Debug, Clone, Default)]
pub struct Override {
    /// Globs relative to the configuration file's folder (`legacy/**`); empty: every path.
    pub paths: Vec<String>,
    /// Namespaces; empty: every namespace.
    pub namespaces: Vec<String>,
    pub ignore: Vec<&'static str>,
    pub severity: Vec<(&'static str, Severity)>,
}

/// A suppression written in the configuration file.
#[derive(Debug, Clone)]
pub struct ConfigSuppression {
    pub rules: Vec<&'static str>,
    pub paths: Vec<String>,
    pub namespaces: Vec<String>,
    pub kinds: Vec<String>,
    pub names: Vec<String>,
    pub reason: String,
    pub expires: Option<Date>,
    /// Where it is written, for messages.
    pub file: Arc<str>,
    pub span: Span,
}

/// Everything besides rule selection that a configuration decides.
#[derive(Debug, Default)]
pub struct Policy {
    /// Whether annotations on objects may suppress findings. An admission webhook turns this
    /// off so workload authors cannot exempt themselves.
    pub ignore_annotation_suppressions: bool,
    /// Severity changes for every finding of a rule.
    pub severity: Vec<(&'static str, Severity)>,
    pub overrides: Vec<Override>,
    pub suppressions: Vec<ConfigSuppression>,
    pub baseline: Option<Baseline>,
    /// Report suppressions that suppressed nothing.
    pub report_unused: bool,
    /// The folder that path globs are relative to (the configuration file's).
    pub base_dir: Option<PathBuf>,
    /// The date expiries are compared with; today when `None`.
    pub today: Option<Date>,
}

/// A [`Policy`] made ready for matching.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub ignore_annotations: bool,
    pub severity: Vec<(&'static str, Severity)>,
    pub overrides: Vec<(Option<GlobSet>, Override)>,
    pub suppressions: Vec<(Option<GlobSet>, ConfigSuppression, Active)>,
    pub expired: Vec<ConfigSuppression>,
    pub baseline: Option<Baseline>,
    pub report_unused: bool,
    pub base_dir: Option<PathBuf>,
    pub today: Date,
}

/// A path glob of the configuration, as it is matched.
fn glob(pattern: &str) -> Result<Glob, String> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("`{pattern}` is not a valid glob: {}", e.kind()))
}

/// Whether a path glob can be used; the error says why not.
pub(crate) fn check_glob(pattern: &str) -> Result<(), String> {
    glob(pattern).map(drop)
}

fn glob_set(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        builder.add(glob(p)?);
        // `dir/**` should match the folder's files however deep; `dir` alone its contents too.
        if !p.contains('*') {
            builder.add(
                Glob::new(&format!("{}/**", p.trim_end_matches('/'))).map_err(|e| e.to_string())?,
            );
        }
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

impl Policy {
    pub(crate) fn compile(self) -> Result<Compiled, String> {
        let today = self.today.unwrap_or_else(Date::today);
        let mut overrides = Vec::new();
        for o in self.overrides {
            overrides.push((glob_set(&o.paths)?, o));
        }
        let mut suppressions = Vec::new();
        let mut expired = Vec::new();
        for s in self.suppressions {
            if s.expires.is_some_and(|d| d < today) {
                expired.push(s);
                continue;
            }
            let globs = glob_set(&s.paths)?;
            let active = Active::of_rules(
                &s.rules,
                Suppression {
                    kind: SuppressionKind::Config,
                    reason: s.reason.clone(),
                    expires: s.expires,
                    file: s.file.clone(),
                    span: Some(s.span),
                },
                format!("the suppression of {}", s.rules.join(", ")),
            );
            suppressions.push((globs, s, active));
        }
        Ok(Compiled {
            ignore_annotations: self.ignore_annotation_suppressions,
            severity: self.severity,
            overrides,
            suppressions,
            expired,
            baseline: self.baseline,
            report_unused: self.report_unused,
            base_dir: self.base_dir.map(|d| d.canonicalize().unwrap_or(d)),
            today,
        })
    }
}

/// The path that globs are matched against: relative to the base folder when the file is
/// inside it, else as displayed.
pub(crate) fn match_path(base: Option<&Path>, display: &str) -> String {
    let Some(base) = base else {
        return display.to_string();
    };
    Path::new(display)
        .canonicalize()
        .ok()
        .and_then(|abs| {
            abs.strip_prefix(base)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .unwrap_or_else(|| display.to_string())
}

fn matches_globs(globs: &Option<GlobSet>, path: &str) -> bool {
    globs.as_ref().is_none_or(|g| g.is_match(path))
}

fn matches_list(list: &[String], value: Option<&str>) -> bool {
    list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x == v))
}

impl Compiled {
    /// The overrides that apply to `obj` in the file at `path` (as matched by [`match_path`]).
    pub fn overrides_for<'a>(
        &'a self,
        path: &'a str,
        obj: &'a ObjectId,
    ) -> impl Iterator<Item = &'a Override> {
        self.overrides.iter().filter_map(move |(globs, o)| {
            (matches_globs(globs, path) && matches_list(&o.namespaces, obj.namespace.as_deref()))
                .then_some(o)
        })
    }

    /// The configuration suppressions that apply to `obj` in the file at `path`.
    pub fn suppressions_for<'a>(
        &'a self,
        path: &'a str,
        obj: &'a ObjectId,
    ) -> impl Iterator<Item = &'a Active> {
        self.suppressions
            .iter()
            .filter_map(move |(globs, s, active)| {
                (matches_globs(globs, path)
                    && matches_list(&s.namespaces, obj.namespace.as_deref())
                    && matches_list(&s.kinds, Some(obj.kind.as_str()))
                    && matches_list(&s.names, obj.name.as_deref()))
                .then_some(active)
            })
    }
}
