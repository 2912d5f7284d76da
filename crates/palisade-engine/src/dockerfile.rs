//! Dockerfiles through the engine.
//!
//! A Dockerfile is checked as one unit: every enabled Dockerfile rule runs on the whole file,
//! and the file counts as one checked object in the score (resource kind `Dockerfile`). Each
//! finding records the stage and instruction it is about ([`DockerfileSite`]).
//!
//! Suppressions, in the order they apply:
//!
//! 1. `# hadolint ignore=…` / `# palisade ignore=…` pragmas (next instruction, `stage`,
//!    `global`), unless the configuration sets `disable-ignore-pragma`;
//! 2. the `ignored` list of the hadolint configuration;
//! 3. `override` entries at level `ignore`.
//!
//! A code matches a finding when it is the rule's id or name, or the finding's own hadolint
//! code, or (for findings without one) any alias of the rule. Suppressed findings are kept
//! with their justification, as everywhere. With `report_unused`, each pragma code that names
//! a rule that ran and suppressed nothing is a warning at its comment. `override` changes severities with the mapping error → high, warning → medium,
//! info → low, style → low; `failure-threshold` maps the same way to a per-file threshold
//! ([`Threshold`]) that the command line applies when `--fail-on` is not given.
//!
//! The hadolint configuration is the one given explicitly, or else the nearest
//! `.hadolint.yaml` (or `.yml`) in the Dockerfile's folder or a parent folder. Its
//! `trustedRegistries` are added to the allowed registries and turn on
//! `base-image-registry-not-allowed` for that file, unless that rule was ignored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use palisade_dockerfile::hadolint::{self, HadolintConfig, Level};
use palisade_dockerfile::pragma::{self, Scope};
use palisade_load::{Diagnostic, DiagnosticKind, FieldPath};
use palisade_model::ObjectId;
use palisade_rules::{Check, DockerfileCx, Rule, RuleMeta, Settings, Severity};

use crate::suppress::{Suppression, SuppressionKind};
use crate::{
    CodeFilter, Engine, FileReport, Finding, ObjectScore, Selection, SelectionError,
    dedup_and_sort, located,
};

/// What the caller tells the engine about Dockerfiles.
#[derive(Debug, Clone)]
pub struct DockerfileOptions {
    /// `--build-arg NAME=VALUE` values.
    pub build_args: BTreeMap<String, String>,
    /// A hadolint configuration for every Dockerfile; when set, none is searched for.
    pub hadolint_config: Option<Arc<HadolintConfig>>,
    /// Whether to look for `.hadolint.yaml` beside and above each Dockerfile.
    pub find_hadolint_config: bool,
}

impl Default for DockerfileOptions {
    fn default() -> Self {
        DockerfileOptions {
            build_args: BTreeMap::new(),
            hadolint_config: None,
            find_hadolint_config: true,
        }
    }
}

/// Where in a Dockerfile a finding is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileSite {
    /// 0-based stage index; `None` before the first `FROM`.
    pub stage: Option<usize>,
    /// The stage's `AS` name.
    pub stage_name: Option<String>,
    /// The instruction keyword, `RUN`.
    pub instruction: Option<&'static str>,
    /// 0-based index of the instruction in the file.
    pub instruction_index: Option<usize>,
    /// hadolint's code for this finding, when hadolint has the same check.
    pub hadolint: Option<&'static str>,
    /// What the finding is about inside its instruction (a variable, package, program or
    /// flag name; never a value), as the rule says.
    pub subject: String,
}

impl DockerfileSite {
    /// `stage 1 (build), RUN` for messages.
    pub fn describe(&self) -> String {
        let stage = match (self.stage, &self.stage_name) {
            (Some(i), Some(n)) => format!("stage {i} ({n})"),
            (Some(i), None) => format!("stage {i}"),
            (None, _) => "the global scope".to_string(),
        };
        match self.instruction {
            Some(k) => format!("{stage}, `{k}`"),
            None => stage,
        }
    }
}

/// A failure threshold for one file's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Never,
    AtOrAbove(Severity),
}

/// hadolint levels as Palisade severities.
pub fn severity_of(level: Level) -> Option<Severity> {
    match level {
        Level::Error => Some(Severity::High),
        Level::Warning => Some(Severity::Medium),
        Level::Info | Level::Style => Some(Severity::Low),
        Level::Ignore => None,
    }
}

/// The resource every Dockerfile finding and score carries.
pub fn dockerfile_resource() -> ObjectId {
    ObjectId {
        api_version: String::new(),
        kind: "Dockerfile".into(),
        namespace: None,
        name: None,
    }
}

pub(crate) struct State {
    options: DockerfileOptions,
    /// `base-image-registry-not-allowed`, unless the selection ignores it.
    registry_rule: Option<&'static Rule>,
    /// Configuration found per folder.
    found: Mutex<HashMap<PathBuf, Option<Arc<HadolintConfig>>>>,
    /// Configuration files whose problems were already reported.
    reported: Mutex<HashSet<PathBuf>>,
    /// Reports for configuration files with problems.
    config_reports: Mutex<Vec<FileReport>>,
    /// The `ARG` names declared by the Dockerfiles scanned so far (kept only when build
    /// arguments were given, to tell which of them no Dockerfile reads).
    declared_args: Mutex<HashSet<String>>,
    /// The findings kept by hadolint code, when the selection names single codes.
    code_filter: CodeFilter,
}

impl State {
    pub fn new(selection: &Selection, settings: &Settings) -> Result<State, SelectionError> {
        let mut with_registry = selection.clone();
        with_registry
            .extend_select
            .push("base-image-registry-not-allowed".into());
        let registry_rule = with_registry
            .resolve(&palisade_rules::catalog(), settings)?
            .into_iter()
            .find(|r| r.meta.name == "base-image-registry-not-allowed");
        Ok(State {
            options: DockerfileOptions::default(),
            registry_rule,
            found: Mutex::new(HashMap::new()),
            reported: Mutex::new(HashSet::new()),
            config_reports: Mutex::new(Vec::new()),
            declared_args: Mutex::new(HashSet::new()),
            code_filter: selection.code_filter(&palisade_rules::catalog()),
        })
    }

    fn config_for(&self, path: Option<&Path>) -> Option<Arc<HadolintConfig>> {
        if let Some(c) = &self.options.hadolint_config {
            return Some(c.clone());
        }
        if !self.options.find_hadolint_config {
            return None;
        }
        let dir = path?.parent()?;
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let mut found = self.found.lock().ok()?;
        if let Some(c) = found.get(dir) {
            return c.clone();
        }
        let config = hadolint::find(dir).map(|p| Arc::new(load_hadolint_config(&p)));
        found.insert(dir.to_path_buf(), config.clone());
        drop(found);
        if let Some(c) = &config
            && !c.diagnostics.is_empty()
            && self
                .reported
                .lock()
                .is_ok_and(|mut r| r.insert(c.path.clone()))
        {
            let file: Arc<str> = Arc::from(crate::display_path(&c.path).as_str());
            let report = FileReport {
                diagnostics: c
                    .diagnostics
                    .iter()
                    .cloned()
                    .map(|d| located(&file, d))
                    .collect(),
                text: std::fs::read_to_string(&c.path).ok().map(Arc::from),
                file,
                ..FileReport::default()
            };
            if let Ok(mut reports) = self.config_reports.lock() {
                reports.push(report);
            }
        }
        config
    }

    /// Reports for hadolint configuration files that had problems.
    pub fn take_config_reports(&self) -> Vec<FileReport> {
        self.config_reports
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

/// Whether `code` (from a pragma or a configuration) names this finding.
fn names(code: &str, rule: &RuleMeta, finding_code: Option<&str>) -> bool {
    code.eq_ignore_ascii_case(rule.id)
        || code.eq_ignore_ascii_case(rule.name)
        || match finding_code {
            Some(c) => c.eq_ignore_ascii_case(code),
            None => rule.aliases.iter().any(|a| a.eq_ignore_ascii_case(code)),
        }
}

/// Codes that belong to hadolint's own catalog (`DL3047`, ShellCheck's `SC2086`): accepted in
/// pragmas and configuration even when no Palisade rule matches them.
pub fn is_hadolint_code(code: &str) -> bool {
    let upper = code.to_ascii_uppercase();
    let number = |prefix: &str| {
        upper
            .strip_prefix(prefix)
            .filter(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u32>().ok())
    };
    // hadolint's own codes are DL1xxx (the parser), DL3xxx (instructions) and DL4xxx
    // (general); ShellCheck's are SC1000–SC2xxx and SC3xxx.
    match (number("DL"), number("SC")) {
        (Some(n), _) => {
            (1000..1100).contains(&n) || (3000..3100).contains(&n) || (4000..4100).contains(&n)
        }
        (_, Some(n)) => (1000..4000).contains(&n),
        _ => false,
    }
}

/// The rules whose findings mark values to mask in quoted lines.
const SECRET_RULES: [&str; 2] = ["secret-in-arg-or-env", "credentials-in-run"];

/// From a secret rule's finding (the variable or command it names) to the end of its
/// instruction, continuation lines included: what is masked wherever a line is quoted.
fn to_instruction_end(
    df: &palisade_dockerfile::Dockerfile,
    v: &palisade_rules::DockerfileViolation,
) -> palisade_load::Span {
    let end = v
        .instruction
        .and_then(|i| df.instructions.get(i))
        .map_or(v.span.end, |ins| ins.span.end);
    let end = palisade_load::Pos {
        line: end.line,
        column: u32::MAX,
    };
    // A finding on the name of an `ENV`, `LABEL` or `ARG` pair names it in its message; the
    // masking starts at the pair's value.
    let start = v
        .instruction
        .and_then(|i| df.instructions.get(i))
        .and_then(|ins| match &ins.body {
            palisade_dockerfile::Body::Env(pairs) | palisade_dockerfile::Body::Label(pairs) => {
                pairs
                    .iter()
                    .find(|p| p.key_span == v.span)
                    .map(|p| p.value.span.start)
            }
            palisade_dockerfile::Body::Arg(decls) => decls
                .iter()
                .find(|d| d.name_span == v.span)
                // Without a default there is no value to mask.
                .map(|d| d.default.as_ref().map_or(end, |w| w.span.start)),
            _ => None,
        })
        .unwrap_or(v.span.start);
    palisade_load::Span::new(start, end)
}

/// Spans of the words of `df` that may hold a secret (see
/// [`palisade_rules::secrets::word_may_hold_secret`]): `RUN` arguments and assignments, and
/// the sources of `ADD` and `COPY`. Written and substituted values are both checked.
fn secret_words(df: &palisade_dockerfile::Dockerfile) -> Vec<palisade_load::Span> {
    use palisade_dockerfile::{Body, Source};
    use palisade_rules::secrets::word_may_hold_secret as secret;
    let mut out = Vec::new();
    for ins in &df.instructions {
        match &ins.body {
            Body::Run(run) => {
                let Some(script) = &run.script else { continue };
                for cmd in &script.commands {
                    let mut previous = Some(cmd.name.value.as_str());
                    for (name, w) in &cmd.assignments {
                        if secret(&format!("{name}={}", w.value), None) || secret(&w.raw, None) {
                            out.push(w.span);
                        }
                    }
                    for a in &cmd.args {
                        if secret(&a.raw, previous) || secret(&a.value, previous) {
                            out.push(a.span);
                        }
                        previous = Some(a.value.as_str());
                    }
                }
            }
            Body::Add(t) | Body::Copy(t) => {
                for source in &t.sources {
                    if let Source::Path(w) = source
                        && (secret(&w.raw, None) || secret(&w.value, None))
                    {
                        out.push(w.span);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Reads a hadolint configuration file, with a warning for each code in `ignored` or
/// `override` that names neither a Palisade rule nor one of hadolint's.
pub fn load_hadolint_config(path: &Path) -> HadolintConfig {
    let mut config = hadolint::load(path);
    let unknown: Vec<Diagnostic> = config
        .codes
        .iter()
        .filter(|(code, _)| !known(code))
        .map(|(code, span)| Diagnostic {
            kind: DiagnosticKind::UnknownRule,
            message: format!("`{code}` names no rule; it has no effect here"),
            span: *span,
        })
        .collect();
    config.diagnostics.extend(unknown);
    config
}

fn known(code: &str) -> bool {
    is_hadolint_code(code) || !palisade_rules::find_all(code).is_empty()
}

/// Warnings for the codes of pragmas that name a rule that ran and suppressed nothing. Codes
/// of hadolint rules Palisade does not have are accepted for hadolint's sake and not reported.
fn unused_pragma_codes(
    pragmas: &[pragma::Pragma],
    used: &[Vec<bool>],
    rules: &[&'static Rule],
    file: &Arc<str>,
    diagnostics: &mut Vec<crate::FileDiagnostic>,
) {
    for (p, used) in pragmas.iter().zip(used) {
        for (code, _) in p.codes.iter().zip(used).filter(|(_, used)| !**used) {
            let ran = rules.iter().any(|r| r.meta.answers_to(code));
            if !ran {
                continue;
            }
            diagnostics.push(crate::FileDiagnostic {
                file: file.clone(),
                code: "suppression-unused",
                error: false,
                message: format!(
                    "`{code}` in this `# {} ignore` pragma suppressed nothing; remove it if the risk is gone",
                    p.tool
                ),
                span: Some(p.span),
            });
        }
    }
}

impl Engine {
    /// Sets how Dockerfiles are read: build arguments and the hadolint configuration.
    pub fn with_dockerfile_options(mut self, options: DockerfileOptions) -> Self {
        self.dockerfile.options = options;
        self
    }

    /// Reports for hadolint configuration files that had problems; [`Engine::scan`] adds them.
    pub fn hadolint_config_reports(&self) -> Vec<FileReport> {
        self.dockerfile.take_config_reports()
    }

    /// The names of the given build arguments that no Dockerfile scanned so far declares with
    /// `ARG`, and so change nothing, sorted. The arguments every build has without an `ARG`
    /// (the proxy settings) are not among them.
    pub fn unused_build_args(&self) -> Vec<String> {
        const PREDEFINED: &[&str] = &[
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "FTP_PROXY",
            "NO_PROXY",
            "ALL_PROXY",
        ];
        let Ok(declared) = self.dockerfile.declared_args.lock() else {
            return Vec::new();
        };
        self.dockerfile
            .options
            .build_args
            .keys()
            .filter(|name| !declared.contains(*name))
            .filter(|name| !PREDEFINED.contains(&name.to_ascii_uppercase().as_str()))
            .cloned()
            .collect()
    }

    /// Checks one Dockerfile's text. `path` is where it was read from, to find a
    /// `.hadolint.yaml` near it.
    pub fn scan_dockerfile(&self, file: &str, text: &str, path: Option<&Path>) -> FileReport {
        let file: Arc<str> = Arc::from(file);
        let parse_options = palisade_dockerfile::Options {
            build_args: self.dockerfile.options.build_args.clone(),
        };
        let df = palisade_dockerfile::parse(text, &parse_options);
        let config = self.dockerfile.config_for(path);
        if !parse_options.build_args.is_empty()
            && let Ok(mut declared) = self.dockerfile.declared_args.lock()
        {
            for ins in &df.instructions {
                if let palisade_dockerfile::Body::Arg(decls) = &ins.body {
                    declared.extend(decls.iter().map(|d| d.name.clone()));
                }
            }
        }

        let mut report = FileReport {
            file: file.clone(),
            dockerfiles: 1,
            ..FileReport::default()
        };
        report.diagnostics = df
            .diagnostics
            .iter()
            .cloned()
            .map(|d| located(&file, d))
            .collect();

        // Rules and settings for this file: the configuration's overrides for its path apply as
        // they do to manifests.
        let match_path = crate::policy::match_path(self.policy.base_dir.as_deref(), &file);
        let resource = dockerfile_resource();
        let overrides: Vec<_> = self.policy.overrides_for(&match_path, &resource).collect();
        let mut settings = self.settings.clone();
        let mut rules: Vec<&'static Rule> = self
            .rules
            .iter()
            .copied()
            .filter(|r| matches!(r.check, Check::Dockerfile(_)))
            .filter(|r| !overrides.iter().any(|o| o.ignore.contains(&r.meta.id)))
            .collect();
        if let Some(c) = &config {
            settings
                .allowed_registries
                .extend(c.trusted_registries.iter().cloned());
            report.fail_threshold = c.failure_threshold.map(|l| match severity_of(l) {
                Some(s) => Threshold::AtOrAbove(s),
                None => Threshold::Never,
            });
        }
        if !settings.allowed_registries.is_empty()
            && let Some(r) = self.dockerfile.registry_rule
            && !rules.iter().any(|x| x.meta.id == r.meta.id)
        {
            rules.push(r);
        }
        if rules.is_empty() {
            if !report.diagnostics.is_empty() {
                report.text = Some(Arc::from(text));
            }
            return report;
        }

        // Run them.
        let mut findings = Vec::new();
        for &rule in &rules {
            let Check::Dockerfile(check) = rule.check else {
                continue;
            };
            let mut cx = DockerfileCx::new(&df, &settings);
            check(&mut cx);
            let configured = self.configured_severity(&overrides, rule.meta.id);
            let masks = SECRET_RULES.contains(&rule.meta.name);
            for v in cx.into_violations() {
                if masks {
                    report.sensitive.push(to_instruction_end(&df, &v));
                }
                if !self.dockerfile.code_filter.keeps(rule.meta.id, v.code) {
                    continue;
                }
                let instruction = v.instruction.and_then(|i| df.instructions.get(i));
                let stage = instruction.and_then(|i| i.stage);
                let site = DockerfileSite {
                    stage,
                    stage_name: stage
                        .and_then(|s| df.stages.get(s))
                        .and_then(|s| s.name.clone()),
                    instruction: instruction.map(|i| i.keyword.as_str()),
                    instruction_index: v.instruction,
                    hadolint: v.code,
                    subject: v.subject,
                };
                findings.push(Finding {
                    rule: &rule.meta,
                    severity: configured.unwrap_or(rule.meta.severity),
                    message: v.message,
                    file: file.clone(),
                    span: v.span,
                    field: FieldPath::default(),
                    identity: crate::identity::dockerfile(&site),
                    resource: dockerfile_resource(),
                    container: None,
                    document: 0,
                    list_item: None,
                    dockerfile: Some(site),
                    suppression: None,
                    cases: Vec::new(),
                });
            }
        }

        // Suppressions and severity overrides.
        let pragmas = if config.as_ref().is_some_and(|c| c.disable_ignore_pragma) {
            Vec::new()
        } else {
            pragma::pragmas(&df)
        };
        for p in &pragmas {
            for code in p.codes.iter().filter(|c| !known(c)) {
                report.diagnostics.push(located(
                    &file,
                    Diagnostic {
                        kind: DiagnosticKind::UnknownRule,
                        message: format!(
                            "`{code}` in this `{} ignore` pragma names no rule",
                            p.tool
                        ),
                        span: p.span,
                    },
                ));
            }
        }
        let config_file: Option<Arc<str>> = config
            .as_ref()
            .map(|c| Arc::from(c.path.to_string_lossy().as_ref()));
        // Which code of which pragma suppressed something, for `--report-unused-suppressions`.
        let mut used: Vec<Vec<bool>> = pragmas.iter().map(|p| vec![false; p.codes.len()]).collect();
        for f in &mut findings {
            let site = f.dockerfile.as_ref();
            let code = site.and_then(|s| s.hadolint);
            let mut pragma = None;
            for (k, p) in pragmas.iter().enumerate() {
                let applies = match p.scope {
                    Scope::Global => true,
                    Scope::Instruction(i) => {
                        i.is_some() && i == site.and_then(|s| s.instruction_index)
                    }
                    Scope::Stage(s) => s.is_some() && s == site.and_then(|x| x.stage),
                };
                if !applies {
                    continue;
                }
                for (c, text) in p.codes.iter().enumerate() {
                    if names(text, f.rule, code) {
                        used[k][c] = true;
                        pragma = pragma.or(Some(p));
                    }
                }
            }
            if let Some(p) = pragma {
                f.suppression = Some(Arc::new(Suppression {
                    kind: SuppressionKind::Annotation,
                    reason: format!("ignored by a `# {} ignore` pragma", p.tool),
                    expires: None,
                    file: file.clone(),
                    span: Some(p.span),
                }));
                continue;
            }
            let Some(c) = &config else { continue };
            // The suppression points at the code that made it, in the configuration file.
            let ignored_by_config = |by: &str| {
                Some(Arc::new(Suppression {
                    kind: SuppressionKind::Config,
                    reason: "ignored in the hadolint configuration".into(),
                    expires: None,
                    file: config_file.clone().unwrap_or_else(|| file.clone()),
                    span: c.codes.iter().find(|(x, _)| x == by).map(|(_, span)| *span),
                }))
            };
            if let Some(by) = c.ignored.iter().find(|x| names(x, f.rule, code)) {
                f.suppression = ignored_by_config(by);
                continue;
            }
            if let Some((level, by)) = c
                .overrides
                .iter()
                .rev()
                .find(|(_, x)| names(x, f.rule, code))
            {
                match severity_of(*level) {
                    // A severity set in `.palisade.yaml` wins over hadolint's level.
                    Some(s) if self.configured_severity(&overrides, f.rule.id).is_none() => {
                        f.severity = s
                    }
                    Some(_) => {}
                    None => f.suppression = ignored_by_config(by),
                }
            }
        }

        if self.policy.report_unused {
            unused_pragma_codes(&pragmas, &used, &rules, &file, &mut report.diagnostics);
        }

        // Then the team's own policy: configuration suppressions and the baseline.
        for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
            let _ = crate::suppress::apply(f, self.policy.suppressions_for(&match_path, &resource))
                || self.policy.baseline.as_ref().is_some_and(|b| b.claim(f));
        }
        let (active, suppressed): (Vec<_>, Vec<_>) =
            findings.into_iter().partition(|f| f.suppression.is_none());
        let mut findings = active;
        report.suppressed = suppressed;
        dedup_and_sort(&mut report.suppressed);

        // Values that may be secrets are masked wherever a line is quoted, whichever rules run:
        // the secret rules that were not selected run for their places alone.
        for rule in SECRET_RULES
            .into_iter()
            .filter(|name| !rules.iter().any(|r| r.meta.name == *name))
            .flat_map(palisade_rules::find_all)
        {
            let Check::Dockerfile(check) = rule.check else {
                continue;
            };
            let mut cx = DockerfileCx::new(&df, &settings);
            check(&mut cx);
            for v in cx.into_violations() {
                report.sensitive.push(to_instruction_end(&df, &v));
            }
        }

        // And every word that may hold a secret the rules have no finding for: a URL with a
        // password or a token, a header, a word after `--password` or `_authToken`.
        report.sensitive.extend(secret_words(&df));

        dedup_and_sort(&mut findings);
        if !df.stages.is_empty() {
            report.scores.push(ObjectScore::for_resource(
                dockerfile_resource(),
                1,
                &rules,
                &findings,
            ));
        }
        report.findings = findings;
        if !report.findings.is_empty() || !report.diagnostics.is_empty() {
            report.text = Some(Arc::from(text));
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_model::PodKindTable;

    fn engine() -> Engine {
        Engine::new(
            &Selection::default(),
            Settings::default(),
            PodKindTable::default(),
        )
        .unwrap()
    }

    fn ids(r: &FileReport) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn findings_are_located_and_scored() {
        let r = engine().scan_dockerfile(
            "Dockerfile",
            "FROM ubuntu AS base\nRUN apt-get update && apt-get install curl\n",
            None,
        );
        assert!(ids(&r).contains(&"DKR003"));
        let f = r.findings.iter().find(|f| f.rule.id == "DKR016").unwrap();
        assert_eq!((f.span.start.line, f.span.start.column), (2, 31));
        let site = f.dockerfile.as_ref().unwrap();
        assert_eq!(site.describe(), "stage 0 (base), `RUN`");
        assert_eq!(site.hadolint, Some("DL3014"));
        assert_eq!(r.scores.len(), 1);
        assert_eq!(r.dockerfiles, 1);
    }

    #[test]
    fn pragmas_suppress_and_are_counted() {
        let text = "# hadolint global ignore=DL3006\nFROM ubuntu\n\
                    # hadolint ignore=DL3014\nRUN apt-get install -y curl && apt-get install vim\n\
                    # palisade ignore=DKR999\nUSER app\n";
        let r = engine().scan_dockerfile("Dockerfile", text, None);
        let got = ids(&r);
        assert!(
            !got.contains(&"DKR003") && !got.contains(&"DKR016"),
            "{got:?}"
        );
        assert!(
            got.contains(&"DKR015"),
            "DL3014 does not suppress DL3008: {got:?}"
        );
        assert_eq!(r.suppressed.len(), 2);
        assert!(
            r.suppressed
                .iter()
                .all(|f| f.suppression.as_ref().unwrap().reason.contains("pragma"))
        );
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.diagnostics[0].code, DiagnosticKind::UnknownRule.as_str());
    }

    #[test]
    fn hadolint_config_ignores_overrides_and_trusts() {
        let config = hadolint::parse(
            Path::new(".hadolint.yaml"),
            "ignored: [DL3008]\noverride:\n  error: [DL3014]\ntrustedRegistries: [ghcr.io]\nfailure-threshold: error\n",
        );
        let e = engine().with_dockerfile_options(DockerfileOptions {
            hadolint_config: Some(Arc::new(config)),
            ..DockerfileOptions::default()
        });
        let r = e.scan_dockerfile(
            "Dockerfile",
            "FROM alpine:3.20\nRUN apt-get install curl\nUSER 1000\n",
            None,
        );
        let got = ids(&r);
        assert!(got.contains(&"DKR002"), "{got:?}");
        assert!(!got.contains(&"DKR015"), "{got:?}");
        let f = r.findings.iter().find(|f| f.rule.id == "DKR016").unwrap();
        assert_eq!(f.severity, Severity::High);
        assert_eq!(r.fail_threshold, Some(Threshold::AtOrAbove(Severity::High)));
    }

    #[test]
    fn pragma_codes_outside_hadolints_catalog_are_unknown() {
        let text = "FROM alpine:3.20\n# hadolint ignore=DL3047,SC2086,DL9999,SC9999\nRUN true\nUSER 1000\n";
        let r = engine().scan_dockerfile("Dockerfile", text, None);
        let messages: Vec<&str> = r.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("`DL9999`") && messages[1].contains("`SC9999`"));
    }

    #[test]
    fn hadolint_config_codes_that_name_no_rule_are_reported_where_written() {
        let dir = std::env::temp_dir().join(format!("palisade-hadolint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".hadolint.yaml");
        std::fs::write(
            &path,
            "ignored:\n  - DL3008\n  - DL9999\noverride:\n  error: [no-such-rule, DKR005]\n",
        )
        .unwrap();
        let config = load_hadolint_config(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        let unknown: Vec<(String, u32)> = config
            .diagnostics
            .iter()
            .filter(|d| d.kind == DiagnosticKind::UnknownRule)
            .map(|d| (d.message.clone(), d.span.start.line))
            .collect();
        assert_eq!(unknown.len(), 2, "{unknown:?}");
        assert!(
            unknown[0].0.contains("`DL9999`") && unknown[0].1 == 3,
            "{unknown:?}"
        );
        assert!(
            unknown[1].0.contains("`no-such-rule`") && unknown[1].1 == 5,
            "{unknown:?}"
        );
        // The known codes are still applied.
        assert_eq!(config.ignored, ["DL3008", "DL9999"]);
    }

    #[test]
    fn build_args_reach_from_lines() {
        let mut build_args = BTreeMap::new();
        build_args.insert("TAG".to_string(), "latest".to_string());
        let e = engine().with_dockerfile_options(DockerfileOptions {
            build_args,
            ..DockerfileOptions::default()
        });
        let text = "ARG TAG=3.20\nFROM alpine:$TAG\nUSER 1\n";
        assert!(ids(&engine().scan_dockerfile("D", text, None)).is_empty());
        assert_eq!(ids(&e.scan_dockerfile("D", text, None)), ["DKR003"]);
    }
}
