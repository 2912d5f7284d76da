//! The engine: which rules run, on what, and what came out.
//!
//! [`Engine::new`] turns the user's choices ([`Selection`], [`Settings`]) into the list of rules
//! that run. [`Engine::scan`] loads every file in parallel, splits documents into objects, runs
//! the rules whose kinds match, turns each violation's field path into a source position, and
//! gathers the results into a [`ScanReport`] with a [`Summary`] and a compliance score. The same
//! [`Engine::check_object`] serves callers that already hold an object (an admission webhook).
//! Dockerfiles go through [`Engine::scan_dockerfile`] into the same reports (see the
//! `dockerfile` module for how their findings are located, suppressed and scored).

pub mod baseline;
pub mod config;
mod dockerfile;
mod identity;
mod objects;
mod policy;
pub mod psa;
mod score;
mod select;
pub mod serve;
pub mod suppress;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use palisade_load::{
    Candidate, Diagnostic, DiagnosticKind, FieldPath, FileKind, Limits, Node, Span,
    json_syntax_error, parse_str,
};
use palisade_model::{Object, ObjectId, PodKindTable, objects_from_document};
use palisade_rules::{Applies, Check, Cx, Rule, RuleMeta, Settings, Severity};
use rayon::prelude::*;

pub use baseline::Baseline;
pub use config::{Config, ConfigError, Source};
pub use dockerfile::{
    DockerfileOptions, DockerfileSite, Threshold, is_hadolint_code, load_hadolint_config,
};
pub use objects::{LoadedObjects, load_objects};
pub use policy::{ConfigSuppression, Override, Policy};
pub use score::{ObjectScore, SEVERITY_WEIGHTS, weight};
pub use select::{CodeFilter, Selection, SelectionError};
pub use serve::{Mode, ServeConfig};
pub use suppress::{Date, Suppression, SuppressionKind};

/// One problem found by one rule in one object, located in its file.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    pub file: Arc<str>,
    pub span: Span,
    /// The field the finding is about, from the object's root.
    pub field: FieldPath,
    pub resource: ObjectId,
    pub container: Option<String>,
    /// 0-based document index in the file, and the item index for `List` items.
    pub document: usize,
    pub list_item: Option<usize>,
    /// Why the finding does not count, when it is suppressed.
    pub suppression: Option<Arc<Suppression>>,
    /// For findings in a Dockerfile: the stage and instruction. Their `resource` has the kind
    /// `Dockerfile`, an empty `api_version` and no name; `field` is empty.
    pub dockerfile: Option<DockerfileSite>,
    /// Which cases of its rule the finding is, where the rule covers several checks of other
    /// scanners (see [`palisade_rules::compat`]).
    pub cases: Vec<String>,
    /// What identifies the finding inside its object across edits, for baselines and SARIF
    /// fingerprints: the field with the items of keyed lists named
    /// (`spec.containers[name=web].env[name=DB_PASSWORD].value`), or for a Dockerfile the
    /// stage, instruction and subject (`stage build: ARG GITHUB_TOKEN`). Never holds a value.
    pub identity: String,
}

/// A file that could not be (fully) loaded, or a warning about a file or a suppression.
#[derive(Debug, Clone)]
pub struct FileDiagnostic {
    pub file: Arc<str>,
    /// What kind of problem: `syntax`, `template`, `limit`, `read`, `duplicate-key`,
    /// `suppression-expired`, …
    pub code: &'static str,
    /// Errors mean the input could not be fully checked; warnings do not.
    pub error: bool,
    pub message: String,
    /// `None` when the problem is with the path itself (it does not exist).
    pub span: Option<Span>,
}

impl FileDiagnostic {
    pub fn is_error(&self) -> bool {
        self.error
    }
}

/// Everything one file produced.
#[derive(Debug, Default)]
pub struct FileReport {
    pub file: Arc<str>,
    /// The file's text, kept only when something in it will be quoted.
    pub text: Option<Arc<str>>,
    /// Spans of values that may hold secrets (Secret data, literal environment values).
    /// Anything that quotes the file must mask them.
    pub sensitive: Vec<Span>,
    pub objects: usize,
    pub not_kubernetes: usize,
    /// Findings that count.
    pub findings: Vec<Finding>,
    /// Findings a suppression or the baseline covers, each with its justification.
    pub suppressed: Vec<Finding>,
    pub diagnostics: Vec<FileDiagnostic>,
    pub scores: Vec<ObjectScore>,
    /// Objects no enabled rule applies to, by kind.
    pub not_checked: BTreeMap<String, usize>,
    /// ValidatingAdmissionPolicies and their bindings read from the file as custom rules.
    pub policies: usize,
    /// 1 for a Dockerfile, 0 otherwise.
    pub dockerfiles: usize,
    /// For a Dockerfile with a hadolint configuration that sets `failure-threshold`: the
    /// threshold its findings are held to when `--fail-on` is not given.
    pub fail_threshold: Option<Threshold>,
}

/// Totals over a scan.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub files: usize,
    pub objects: usize,
    pub not_kubernetes: usize,
    pub findings: usize,
    /// Findings per severity, indexed like [`Severity::ALL`].
    pub by_severity: [usize; 4],
    /// Findings covered by a suppression or the baseline.
    pub suppressed: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Objects no enabled rule applies to, by kind.
    pub not_checked: BTreeMap<String, usize>,
    /// ValidatingAdmissionPolicies and their bindings read from the files as custom rules.
    pub policies: usize,
    /// Overall compliance score, 0–100; `None` when no object was checked.
    pub score: Option<f64>,
    /// Dockerfiles scanned.
    pub dockerfiles: usize,
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub files: Vec<FileReport>,
    pub summary: Summary,
    /// The rules that ran, in id order.
    pub rules: Vec<&'static RuleMeta>,
    /// Diagnostics about the configuration rather than a scanned file (expired or unused
    /// suppressions in the configuration file, a baseline that matches nothing).
    pub other_diagnostics: Vec<FileDiagnostic>,
    /// The texts of the files `other_diagnostics` point into (the configuration file), by
    /// name, for quoting.
    pub other_texts: BTreeMap<Arc<str>, Arc<str>>,
}

impl ScanReport {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter())
    }

    pub fn diagnostics(&self) -> impl Iterator<Item = &FileDiagnostic> {
        self.files
            .iter()
            .flat_map(|f| f.diagnostics.iter())
            .chain(&self.other_diagnostics)
    }

    pub fn suppressed(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.suppressed.iter())
    }

    /// The highest severity among the findings.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings().map(|f| f.severity).max()
    }
}

/// The configured engine.
pub struct Engine {
    rules: Vec<&'static Rule>,
    settings: Settings,
    pod_kinds: PodKindTable,
    limits: Limits,
    policy: policy::Compiled,
    stdin_name: Option<String>,
    dockerfile: dockerfile::State,
    /// Whether the selection includes custom rules, so that ValidatingAdmissionPolicies
    /// found among the scanned files are evaluated too.
    custom_selected: bool,
}

impl Engine {
    pub fn new(
        selection: &Selection,
        settings: Settings,
        pod_kinds: PodKindTable,
    ) -> Result<Engine, SelectionError> {
        let rules = selection.resolve(&palisade_rules::catalog(), &settings)?;
        let dockerfile = dockerfile::State::new(selection, &settings)?;
        let custom_selected = selection.includes_category(palisade_rules::Category::Custom);
        Ok(Engine {
            rules,
            settings,
            pod_kinds,
            limits: Limits::default(),
            policy: Policy::default()
                .compile()
                .expect("the empty policy compiles"),
            stdin_name: None,
            dockerfile,
            custom_selected,
        })
    }

    /// The name standard input is reported under (default `<stdin>`).
    pub fn with_stdin_name(mut self, name: Option<String>) -> Self {
        self.stdin_name = name;
        self
    }

    /// Applies a team's policy: severity changes, overrides, suppressions, baseline.
    pub fn with_policy(mut self, policy: Policy) -> Result<Self, String> {
        self.policy = policy.compile()?;
        Ok(self)
    }

    /// Runs these rules too, beyond the selected part of the catalog.
    pub fn with_rules(mut self, rules: impl IntoIterator<Item = &'static Rule>) -> Self {
        self.rules.extend(rules);
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn pod_kinds(&self) -> &PodKindTable {
        &self.pod_kinds
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs every enabled rule that applies to `obj` and applies the policy's suppressions.
    /// Returns the findings (located in `file`), suppressed or not, warnings about
    /// suppressions, and the rules that applied, for scoring. Cross-object rules need the
    /// whole scan and do not run here.
    pub fn check_object(&self, obj: &Object, file: &Arc<str>) -> ObjectResult {
        let path = policy::match_path(self.policy.base_dir.as_deref(), file);
        let mut result = self.check_object_raw(obj, file, &path, &Pass::default());
        self.suppress(obj, file, &path, &mut result);
        result
    }

    /// Runs the object rules (and the pass's extra rules) on `obj`, without suppressions.
    /// When the pass keeps objects for cross-object rules, those whose kinds match count as
    /// applied too (their findings come later).
    fn check_object_raw(
        &self,
        obj: &Object,
        file: &Arc<str>,
        match_path: &str,
        pass: &Pass,
    ) -> ObjectResult {
        let overrides: Vec<_> = self.policy.overrides_for(match_path, &obj.id).collect();
        let mut result = ObjectResult::default();
        let memo = palisade_rules::SetShared::default();
        for &rule in self.rules.iter().chain(&pass.extra) {
            let runs = match rule.check {
                Check::Object(_) | Check::Custom(_) => true,
                Check::Set(_) if pass.keep => false,
                _ => continue,
            };
            if !rule.applies_to(obj) || overrides.iter().any(|o| o.ignore.contains(&rule.meta.id)) {
                continue;
            }
            result.applied.push(rule);
            if !runs {
                continue;
            }
            let configured = self.configured_severity(&overrides, rule.meta.id);
            let mut cx = Cx::with_memo(obj, &self.settings, &memo);
            rule.check.run_object(&mut cx);
            for v in cx.into_violations() {
                let severity = configured.or(v.severity).unwrap_or(rule.meta.severity);
                let mut f =
                    object_finding(rule, severity, v.message, v.path, v.container, obj, file);
                f.cases = v.cases;
                result.findings.push(f);
            }
        }
        result
    }

    /// The severity the team configured for `rule` on an object with these overrides, which
    /// wins over the rule's own judgement.
    pub(crate) fn configured_severity(
        &self,
        overrides: &[&Override],
        rule_id: &str,
    ) -> Option<Severity> {
        overrides
            .iter()
            .rev()
            .flat_map(|o| o.severity.iter())
            .chain(&self.policy.severity)
            .find(|(id, _)| *id == rule_id)
            .map(|(_, s)| *s)
    }

    /// Marks findings covered by an annotation, the configuration or the baseline.
    fn suppress(&self, obj: &Object, file: &Arc<str>, match_path: &str, result: &mut ObjectResult) {
        let annotations = if self.policy.ignore_annotations {
            Vec::new()
        } else {
            suppress::from_annotations(obj, file, self.policy.today, &mut result.diagnostics)
        };
        for f in &mut result.findings {
            let _ = suppress::apply(f, &annotations)
                || suppress::apply(f, self.policy.suppressions_for(match_path, &obj.id))
                || self.policy.baseline.as_ref().is_some_and(|b| b.claim(f));
        }
        if self.policy.report_unused {
            suppress::unused_warnings(&annotations, &mut result.diagnostics);
        }
    }

    /// Checks one file's text.
    pub fn scan_text(&self, file: &str, text: &str) -> FileReport {
        self.settle(self.load_text(Arc::from(file), Arc::from(text), &Pass::default(), false))
    }

    /// Parses one file's text and runs the object rules. Objects that cross-object rules
    /// read are kept, their suppressions and scores waiting for [`settle`](Self::settle)
    /// after those rules; the others are settled at once, so their trees are freed.
    ///
    /// `stdin` says the text came from standard input, where holding no Kubernetes object
    /// at all is an error.
    fn load_text(&self, file: Arc<str>, text: Arc<str>, pass: &Pass, stdin: bool) -> Loaded {
        let parsed = parse_str(&text, &self.limits);
        let mut report = FileReport {
            file: file.clone(),
            ..FileReport::default()
        };
        report.diagnostics = parsed
            .diagnostics
            .into_iter()
            .map(|d| located(&file, d))
            .collect();

        let match_path = policy::match_path(self.policy.base_dir.as_deref(), &file);
        let mut pending = Vec::new();
        let mut warned_template = !text.contains("{{");
        let mut lists = 0;
        for doc in parsed.documents {
            // A ConfigMap's data is opaque: templates there (Istio's injection template) are
            // the data itself.
            let config_map = doc.root.get("kind").and_then(Node::as_str) == Some("ConfigMap");
            if !warned_template
                && !config_map
                && let Some(span) = helm_directive(&doc.root)
            {
                warned_template = true;
                report.diagnostics.push(FileDiagnostic {
                    file: file.clone(),
                    code: "unrendered-template",
                    error: false,
                    message: "this value is an unrendered Helm directive (`.Values`, `.Release`, \
                              `include` …) and was checked as the literal text; render the chart \
                              first, e.g. `helm template … | palisade scan -`"
                        .into(),
                    span: Some(span),
                });
            }
            let found = objects_from_document(doc, &self.pod_kinds);
            report.not_kubernetes += found.not_kubernetes;
            lists += usize::from(found.list);
            for (span, message) in found.malformed {
                report.diagnostics.push(FileDiagnostic {
                    file: file.clone(),
                    code: "malformed-object",
                    error: false,
                    message,
                    span: Some(span),
                });
            }
            for obj in found.objects {
                report.objects += 1;
                sensitive_spans(&obj, &mut report.sensitive);
                let result = self.check_object_raw(&obj, &file, &match_path, pass);
                let done = Pending { obj, result };
                if pass.keep && palisade_rules::kinds::read_across_objects(&done.obj) {
                    pending.push(done);
                } else {
                    self.settle_object(&mut report, &match_path, done);
                }
            }
        }
        if stdin
            && report.objects + report.policies + lists == 0
            && !report.diagnostics.iter().any(|d| d.error)
        {
            report
                .diagnostics
                .push(objects::stdin_without_objects(file, true));
        }
        Loaded {
            report,
            text: Some(text),
            pending,
            match_path,
        }
    }

    /// Applies suppressions, scores the objects and sorts the findings of a loaded file.
    fn settle(&self, loaded: Loaded) -> FileReport {
        let Loaded {
            mut report,
            text,
            pending,
            match_path,
        } = loaded;
        for done in pending {
            self.settle_object(&mut report, &match_path, done);
        }

        dedup_and_sort(&mut report.findings);
        dedup_and_sort(&mut report.suppressed);
        if let Some(text) = text
            && (!report.findings.is_empty() || !report.diagnostics.is_empty())
        {
            report.text = Some(text);
        }
        report
    }

    /// Reads and checks one file.
    pub fn scan_file(&self, candidate: &Candidate) -> FileReport {
        let read = palisade_load::read(candidate, &self.limits);
        self.settle(self.load_file(candidate, read, &Pass::default()))
    }

    /// Applies suppressions to one object's findings and scores it.
    fn settle_object(&self, report: &mut FileReport, match_path: &str, done: Pending) {
        let Pending { obj, mut result } = done;
        let file = report.file.clone();
        self.suppress(&obj, &file, match_path, &mut result);
        report.diagnostics.extend(result.diagnostics);
        let (findings, suppressed): (Vec<_>, Vec<_>) = result
            .findings
            .into_iter()
            .partition(|f| f.suppression.is_none());
        let applied = result.applied;
        report.suppressed.extend(suppressed);
        // Rules about metadata alone (such as the namespace) fit any kind; an object
        // only counts as checked when a rule made for its kind looked at it.
        let checked = applied
            .iter()
            .any(|r| !matches!(r.meta.applies, Applies::Namespaced));
        if !checked {
            if self.custom_selected && is_admission_policy(&obj) {
                report.policies += 1;
            } else {
                *report.not_checked.entry(obj.id.kind.clone()).or_default() += 1;
            }
            report.findings.extend(findings);
            return;
        }
        report
            .scores
            .push(ObjectScore::compute(&obj, &applied, &findings));
        report.findings.extend(findings);
    }

    /// Whether standard input holds a Dockerfile: `--stdin-filename` gives it a Dockerfile's
    /// name, or its first instruction is `FROM` or `ARG` (or a parser directive comes
    /// first), which no Kubernetes manifest starts with.
    fn stdin_is_dockerfile(&self, text: &str) -> bool {
        if let Some(name) = &self.stdin_name {
            return palisade_load::is_dockerfile_name(std::path::Path::new(name));
        }
        let Some(first) = text
            .trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && (is_directive(l) || !l.starts_with('#')))
        else {
            return false;
        };
        if is_directive(first) {
            return true;
        }
        let word = first.split_whitespace().next().unwrap_or_default();
        ["from", "arg"].contains(&word.to_ascii_lowercase().as_str())
            && first.split_whitespace().nth(1).is_some()
    }

    /// The name a file is reported under.
    fn shown_name(&self, candidate: &Candidate) -> String {
        match (&candidate.kind, &self.stdin_name) {
            (FileKind::Stdin, Some(n)) => n.clone(),
            _ => display_path(&candidate.path),
        }
    }

    /// Runs the object rules on a file that was read (see [`load_text`](Self::load_text)).
    fn load_file(
        &self,
        candidate: &Candidate,
        read: Result<String, Diagnostic>,
        pass: &Pass,
    ) -> Loaded {
        let name = self.shown_name(candidate);
        let file: Arc<str> = Arc::from(name.as_str());
        let report = match read {
            // An empty pipe usually means the command before `|` failed.
            Ok(text)
                if candidate.kind == palisade_load::FileKind::Stdin && text.trim().is_empty() =>
            {
                FileReport {
                    diagnostics: vec![FileDiagnostic {
                        file: file.clone(),
                        code: DiagnosticKind::Read.as_str(),
                        error: true,
                        message: "standard input is empty; did the command before `|` fail?".into(),
                        span: None,
                    }],
                    file,
                    ..FileReport::default()
                }
            }
            // A manifest with nothing in it is worth a word: it may have been truncated.
            Ok(text) if candidate.kind == FileKind::Manifest && holds_nothing(&text) => {
                FileReport {
                    diagnostics: vec![FileDiagnostic {
                        file: file.clone(),
                        code: "empty-file",
                        error: false,
                        message: "this file holds no document (only blank lines, comments or \
                                  `---`); nothing in it was checked"
                            .into(),
                        span: None,
                    }],
                    file,
                    ..FileReport::default()
                }
            }
            Ok(text) if candidate.kind == FileKind::Dockerfile => {
                self.scan_dockerfile(&name, &text, Some(&candidate.path))
            }
            Ok(text) if candidate.kind == FileKind::Stdin && self.stdin_is_dockerfile(&text) => {
                self.scan_dockerfile(&name, &text, None)
            }
            Ok(text) => match is_json(candidate, &name, &text).then(|| json_syntax_error(&text)) {
                Some(Some(d)) => FileReport {
                    diagnostics: vec![located(&file, d)],
                    file,
                    text: Some(Arc::from(text)),
                    ..FileReport::default()
                },
                _ => {
                    let stdin = candidate.kind == FileKind::Stdin;
                    return self.load_text(file, Arc::from(text), pass, stdin);
                }
            },
            Err(d) => FileReport {
                diagnostics: vec![located(&file, d)],
                file,
                ..FileReport::default()
            },
        };
        Loaded::done(report)
    }

    /// Reads and parses files in parallel into Kubernetes objects, each with the name of its
    /// file, without running any rule: the input of analyses that answer questions about a
    /// whole set of objects (`palisade who-can`). Dockerfiles are skipped; what could not be
    /// read or parsed comes back as diagnostics, as `scan` reports it.
    pub fn load_objects(&self, candidates: &[Candidate]) -> LoadedObjects {
        load_objects(
            candidates,
            &self.pod_kinds,
            &self.limits,
            self.stdin_name.as_deref(),
        )
    }

    /// Scans files in parallel. `on_file` is called once per file as it finishes. When
    /// cross-object rules are enabled, the objects they read are kept until they have run
    /// over the whole set; suppressions and scores come after them, so they treat both
    /// kinds of finding alike.
    pub fn scan(&self, candidates: &[Candidate], on_file: &(dyn Fn() + Sync)) -> ScanReport {
        let set_rules: Vec<&'static Rule> = self
            .rules
            .iter()
            .copied()
            .filter(|r| r.check.is_set())
            .collect();
        // Every file is read once, before anything is checked: the policies among them
        // decide what runs on all of them.
        let texts: Vec<Result<String, Diagnostic>> = candidates
            .par_iter()
            .map(|c| palisade_load::read(c, &self.limits))
            .collect();
        let mut policy_problems = Vec::new();
        let extra = if self.custom_selected {
            self.policies_in_files(candidates, &texts, &mut policy_problems)
        } else {
            Vec::new()
        };
        let pass = Pass {
            keep: !set_rules.is_empty(),
            extra,
        };
        let mut loaded: Vec<Loaded> = candidates
            .par_iter()
            .zip(texts)
            .map(|(c, read)| {
                let l = self.load_file(c, read, &pass);
                on_file();
                l
            })
            .collect();
        for l in &mut loaded {
            l.report.diagnostics.extend(
                policy_problems
                    .iter()
                    .filter(|d| d.file == l.report.file)
                    .cloned(),
            );
        }
        if pass.keep {
            self.cross_object(&set_rules, &mut loaded);
        }
        let mut files: Vec<FileReport> = loaded.into_par_iter().map(|l| self.settle(l)).collect();
        files.extend(self.hadolint_config_reports());
        let mut report = self.finish(files);
        report.rules.extend(pass.extra.iter().map(|r| &r.meta));
        report.rules.sort_by_key(|m| m.id);
        report
    }

    /// The ValidatingAdmissionPolicies among the files to scan, as rules to run on every
    /// scanned object, as the API server would once they are applied. Only files that
    /// mention the kind are parsed for them (their bindings and parameter objects must be
    /// in such files too). Policies the configuration already loads are not run twice; a
    /// policy that cannot be used becomes an error of its file.
    #[cfg(feature = "policy")]
    fn policies_in_files(
        &self,
        candidates: &[Candidate],
        texts: &[Result<String, Diagnostic>],
        problems: &mut Vec<FileDiagnostic>,
    ) -> Vec<&'static Rule> {
        let found: Vec<(Arc<str>, Object)> = candidates
            .par_iter()
            .zip(texts)
            .filter(|(c, _)| c.kind != FileKind::Dockerfile)
            .filter_map(|(c, read)| Some((c, read.as_ref().ok()?)))
            .filter(|(_, text)| text.contains("ValidatingAdmissionPolicy"))
            .flat_map_iter(|(c, text)| {
                let file: Arc<str> = Arc::from(self.shown_name(c).as_str());
                parse_str(text, &self.limits)
                    .documents
                    .into_iter()
                    .flat_map(|doc| objects_from_document(doc, &self.pod_kinds).objects)
                    .map(move |obj| (file.clone(), obj))
                    .collect::<Vec<_>>()
            })
            .collect();
        let objects: Vec<(&str, &Object)> = found.iter().map(|(f, o)| (&**f, o)).collect();
        let (rules, errors) = palisade_policy::vap::rules_in_objects(&objects);
        for e in errors {
            problems.push(FileDiagnostic {
                file: Arc::from(e.path.as_str()),
                code: "policy",
                error: !e.warning,
                message: e.message,
                span: e.span,
            });
        }
        // A policy the configuration loads is in the catalog; selection, `--ignore` and
        // severities already decided whether it runs.
        let catalog = palisade_rules::catalog();
        rules
            .into_iter()
            .filter(|r| !catalog.iter().any(|known| known.meta.id == r.meta.id))
            .collect()
    }

    #[cfg(not(feature = "policy"))]
    fn policies_in_files(
        &self,
        _candidates: &[Candidate],
        _texts: &[Result<String, Diagnostic>],
        _problems: &mut Vec<FileDiagnostic>,
    ) -> Vec<&'static Rule> {
        Vec::new()
    }

    /// Runs the cross-object rules over every loaded object and adds their findings to the
    /// objects they name.
    fn cross_object(&self, rules: &[&'static Rule], loaded: &mut [Loaded]) {
        let index: Vec<(usize, usize)> = loaded
            .iter()
            .enumerate()
            .flat_map(|(i, l)| (0..l.pending.len()).map(move |j| (i, j)))
            .collect();
        let mut found = Vec::new();
        let mut deferred: Vec<(usize, &'static Rule)> = Vec::new();
        {
            let objects: Vec<&Object> = index
                .iter()
                .map(|&(i, j)| &loaded[i].pending[j].obj)
                .collect();
            let files: Vec<&str> = index
                .iter()
                .map(|&(i, _)| &*loaded[i].report.file)
                .collect();
            let shared = palisade_rules::SetShared::default();
            for &rule in rules {
                let Check::Set(check) = rule.check else {
                    continue;
                };
                let mut cx = palisade_rules::SetCx::new(&objects, &self.settings, &shared)
                    .with_files(&files);
                check(&mut cx);
                let (violations, left) = cx.into_parts();
                deferred.extend(left.into_iter().map(|k| (k, rule)));
                for v in violations {
                    let Some(&(i, _)) = index.get(v.object) else {
                        continue;
                    };
                    let obj = objects[v.object];
                    let l = &loaded[i];
                    let overrides: Vec<_> =
                        self.policy.overrides_for(&l.match_path, &obj.id).collect();
                    if overrides.iter().any(|o| o.ignore.contains(&rule.meta.id)) {
                        continue;
                    }
                    let severity = self
                        .configured_severity(&overrides, rule.meta.id)
                        .or(v.severity)
                        .unwrap_or(rule.meta.severity);
                    let f = object_finding(
                        rule,
                        severity,
                        v.message,
                        v.path,
                        v.container,
                        obj,
                        &l.report.file,
                    );
                    found.push((v.object, f));
                }
            }
        }
        for (k, f) in found {
            let (i, j) = index[k];
            loaded[i].pending[j].result.findings.push(f);
        }
        // A rule that left an object to another rule, and found nothing on it, did not
        // judge it: the object's score leaves that check out.
        for (k, rule) in deferred {
            let Some(&(i, j)) = index.get(k) else {
                continue;
            };
            let result = &mut loaded[i].pending[j].result;
            if !result
                .findings
                .iter()
                .any(|f| std::ptr::eq(f.rule, &rule.meta))
            {
                result.applied.retain(|r| !std::ptr::eq(*r, rule));
            }
        }
    }

    /// Computes the summary, and reports configuration suppressions that expired or (when
    /// asked) suppressed nothing.
    pub fn finish(&self, files: Vec<FileReport>) -> ScanReport {
        let mut other = Vec::new();
        for s in &self.policy.expired {
            other.push(FileDiagnostic {
                file: s.file.clone(),
                code: "suppression-expired",
                error: false,
                message: format!(
                    "the suppression of {} expired on {}; its findings are reported again",
                    s.rules.join(", "),
                    s.expires.map(|d| d.to_string()).unwrap_or_default()
                ),
                span: Some(s.span),
            });
        }
        if self.policy.report_unused {
            suppress::unused_warnings(
                self.policy.suppressions.iter().map(|(_, _, a)| a),
                &mut other,
            );
        }
        if let Some(b) = &self.policy.baseline {
            other.extend(b.diagnostics(&files));
        }
        let mut other_texts = BTreeMap::new();
        for d in other.iter().filter(|d| d.span.is_some()) {
            if !other_texts.contains_key(&d.file)
                && let Ok(text) = std::fs::read_to_string(&*d.file)
            {
                other_texts.insert(d.file.clone(), Arc::from(text));
            }
        }
        let mut summary = summarize(&files);
        summary.warnings += other.len();
        ScanReport {
            files,
            summary,
            rules: self.rules.iter().map(|r| &r.meta).collect(),
            other_diagnostics: other,
            other_texts,
        }
    }
}

/// A path as reports show it: as given, with `/` separators.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    text.replace('\\', "/")
}

/// Collects the spans of values that may hold secrets: every value of a Secret's `data` and
/// `stringData`, and every literal `env[].value` of every container.
fn sensitive_spans(obj: &Object, out: &mut Vec<Span>) {
    if obj.id.kind == "Secret" {
        for key in ["data", "stringData"] {
            if let Some(map) = obj.root.get(key) {
                out.extend(map.entries().iter().map(|e| e.value.span));
            }
        }
    }
    if matches!(obj.id.kind.as_str(), "Endpoints" | "EndpointSlice") {
        credential_scalars(&obj.root, out);
    }
    if let Some(pod) = &obj.pod {
        for c in &pod.containers {
            let env = obj.node(&c.path.key("env"));
            for var in env.map_or(&[][..], palisade_load::Node::items) {
                if let Some(value) = var.get("value") {
                    out.push(value.span);
                }
            }
        }
    }
}

/// Spans of the strings under `node` that carry a credential (`user:password@host`, a token).
fn credential_scalars(node: &palisade_load::Node, out: &mut Vec<Span>) {
    match &node.value {
        palisade_load::Value::Str(s) if palisade_rules::wiring::carries_credential(s) => {
            out.push(node.span);
        }
        palisade_load::Value::Map(entries) => {
            for e in entries {
                credential_scalars(&e.value, out);
            }
        }
        palisade_load::Value::Seq(items) => {
            for item in items {
                credential_scalars(item, out);
            }
        }
        _ => {}
    }
}

/// What one scan runs beyond the engine's rules, and whether it keeps objects for the
/// cross-object rules.
#[derive(Default)]
struct Pass {
    keep: bool,
    /// Rules found in the scanned files themselves (ValidatingAdmissionPolicies).
    extra: Vec<&'static Rule>,
}

/// One object whose findings are not yet suppressed and scored.
struct Pending {
    obj: Object,
    result: ObjectResult,
}

/// A file read and parsed, its objects checked by the object rules.
struct Loaded {
    report: FileReport,
    /// The file's text, for quoting; `None` once the report is final.
    text: Option<Arc<str>>,
    pending: Vec<Pending>,
    /// The file's path as configuration globs see it.
    match_path: String,
}

impl Loaded {
    /// A file whose report is already final (a Dockerfile, a file that could not be read).
    fn done(report: FileReport) -> Self {
        Loaded {
            report,
            text: None,
            pending: Vec::new(),
            match_path: String::new(),
        }
    }
}

/// A finding of `rule` on `obj` at `path`.
fn object_finding(
    rule: &'static Rule,
    severity: Severity,
    message: String,
    path: FieldPath,
    container: Option<String>,
    obj: &Object,
    file: &Arc<str>,
) -> Finding {
    Finding {
        rule: &rule.meta,
        severity,
        message,
        file: file.clone(),
        span: obj.locate(&path),
        identity: identity::field(&obj.root, &path),
        field: path,
        resource: obj.id.clone(),
        container,
        document: obj.document,
        list_item: obj.list_item,
        suppression: None,
        dockerfile: None,
        cases: Vec::new(),
    }
}

/// What checking one object produced.
#[derive(Debug, Default)]
pub struct ObjectResult {
    /// Every finding; suppressed ones carry their [`Suppression`].
    pub findings: Vec<Finding>,
    /// Warnings about the object's suppression annotations.
    pub diagnostics: Vec<FileDiagnostic>,
    /// The rules that applied to the object.
    pub applied: Vec<&'static Rule>,
}

/// A report for a path that could not be walked (it does not exist, a folder is unreadable).
pub fn walk_error_report(e: &palisade_load::WalkError) -> FileReport {
    let file: Arc<str> = Arc::from(display_path(&e.path).as_str());
    FileReport {
        diagnostics: vec![FileDiagnostic {
            file: file.clone(),
            code: if e.error {
                DiagnosticKind::Read.as_str()
            } else {
                "symlink-loop"
            },
            error: e.error,
            message: e.message.clone(),
            span: None,
        }],
        file,
        ..FileReport::default()
    }
}

pub(crate) fn located(file: &Arc<str>, d: Diagnostic) -> FileDiagnostic {
    let message = match d.kind {
        // What the API server does with the two values.
        palisade_load::DiagnosticKind::DuplicateKey => {
            format!("{}; Kubernetes keeps the last value", d.message)
        }
        _ => d.message,
    };
    FileDiagnostic {
        file: file.clone(),
        code: d.kind.as_str(),
        error: d.kind.is_error(),
        message,
        span: Some(d.span),
    }
}

pub(crate) fn dedup_and_sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (a.span.start, a.rule.id, &a.message).cmp(&(b.span.start, b.rule.id, &b.message))
    });
    findings.dedup_by(|a, b| {
        a.rule.id == b.rule.id
            && a.span == b.span
            && a.message == b.message
            && a.resource == b.resource
    });
}

fn summarize(files: &[FileReport]) -> Summary {
    let mut s = Summary {
        files: files.len(),
        ..Summary::default()
    };
    for f in files {
        s.objects += f.objects;
        s.dockerfiles += f.dockerfiles;
        s.not_kubernetes += f.not_kubernetes;
        s.findings += f.findings.len();
        s.suppressed += f.suppressed.len();
        for finding in &f.findings {
            s.by_severity[finding.severity as usize] += 1;
        }
        for d in &f.diagnostics {
            if d.is_error() {
                s.errors += 1;
            } else {
                s.warnings += 1;
            }
        }
        for (kind, n) in &f.not_checked {
            *s.not_checked.entry(kind.clone()).or_default() += n;
        }
        s.policies += f.policies;
    }
    s.score = score::overall(files.iter().flat_map(|f| f.scores.iter()));
    s
}

/// Whether a comment line is a Dockerfile parser directive (`# syntax=…`, `# escape=…`,
/// `# check=…`).
fn is_directive(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('#') else {
        return false;
    };
    let Some((key, _)) = rest.split_once('=') else {
        return false;
    };
    ["syntax", "escape", "check"].contains(&key.trim().to_ascii_lowercase().as_str())
}

/// Whether a file is held to JSON's grammar: a `.json` manifest, or standard input that
/// `--stdin-filename` names `.json` or that starts with `{`, as kubectl tells JSON from
/// YAML on its input.
fn is_json(candidate: &Candidate, shown_name: &str, text: &str) -> bool {
    let json_name = |name: &std::path::Path| {
        name.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    };
    match candidate.kind {
        FileKind::Manifest => json_name(&candidate.path),
        FileKind::Stdin => {
            json_name(std::path::Path::new(shown_name))
                || text
                    .trim_start_matches('\u{feff}')
                    .trim_start()
                    .starts_with('{')
        }
        FileKind::Dockerfile => false,
    }
}

/// Whether `obj` is a ValidatingAdmissionPolicy or a binding of one: the scan reads them as
/// custom rules (when the `custom` category is selected) rather than checking them.
fn is_admission_policy(obj: &Object) -> bool {
    obj.id
        .api_version
        .starts_with("admissionregistration.k8s.io/")
        && matches!(
            obj.id.kind.as_str(),
            "ValidatingAdmissionPolicy" | "ValidatingAdmissionPolicyBinding"
        )
}

/// Whether a YAML or JSON text has no document in it: only blank lines, comments and
/// document markers.
fn holds_nothing(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#') || l == "---" || l == "...")
}

/// Where the first string of `node` holds a Helm template directive: `{{ … }}` that reads
/// one of Helm's built-in objects or calls a named template. Other `{{ … }}` text (Prometheus
/// and Alertmanager templates, Argo parameters) is data, as it is to Kubernetes.
fn helm_directive(node: &Node) -> Option<Span> {
    match &node.value {
        palisade_load::Value::Str(s) if is_helm_directive(s) => Some(node.span),
        palisade_load::Value::Seq(items) => items.iter().find_map(helm_directive),
        palisade_load::Value::Map(entries) => entries.iter().find_map(|e| helm_directive(&e.value)),
        _ => None,
    }
}

fn is_helm_directive(text: &str) -> bool {
    const OBJECTS: &[&str] = &[
        ".Values",
        ".Release",
        ".Chart",
        ".Capabilities",
        ".Files",
        ".Template",
    ];
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let inner = &rest[open + 2..];
        let end = inner.find("}}").unwrap_or(inner.len());
        let directive = inner[..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        let names_object = OBJECTS.iter().any(|o| {
            directive.match_indices(o).any(|(at, _)| {
                let after = directive[at + o.len()..].chars().next();
                let before = directive[..at].chars().next_back();
                after.is_none_or(|c| !c.is_alphanumeric())
                    && before.is_none_or(|c| !c.is_alphanumeric() && c != '_')
            })
        });
        if names_object || directive.starts_with("include ") || directive.starts_with("template ") {
            return true;
        }
        rest = &inner[end..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(
            &Selection::default(),
            Settings::default(),
            PodKindTable::default(),
        )
        .unwrap()
    }

    #[test]
    fn findings_point_at_the_offending_key() {
        let r = engine().scan_text(
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n",
        );
        let f = r.findings.iter().find(|f| f.rule.id == "PSS002").unwrap();
        assert_eq!((f.span.start.line, f.span.start.column), (9, 7));
        assert_eq!(f.container.as_deref(), Some("a"));
        assert_eq!(f.resource.to_string(), "Pod/p");
    }

    #[test]
    fn helm_directives_left_in_values_are_a_warning_once_per_file() {
        let helm = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: \"{{ .Release.Namespace }}\"\nspec:\n  containers:\n  - name: a\n    image: \"x:{{- $.Values.tag -}}\"\n";
        let r = engine().scan_text("pod.yaml", helm);
        let warned: Vec<u32> = r
            .diagnostics
            .iter()
            .filter(|d| d.code == "unrendered-template")
            .map(|d| d.span.unwrap().start.line)
            .collect();
        assert_eq!(warned, [5]);
        assert!(!r.diagnostics.iter().any(|d| d.error));

        // Prometheus and Argo templates, and a ConfigMap's data, are data.
        for text in [
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {a: \"{{ $labels.instance }} {{ .Value }} {{ .Labels.job }}\", b: \"{{inputs.parameters.values}}\"}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  t: \"{{ .Values.global.hub }}\"\n",
        ] {
            let r = engine().scan_text("x.yaml", text);
            assert!(
                !r.diagnostics
                    .iter()
                    .any(|d| d.code == "unrendered-template"),
                "{text}"
            );
        }
        assert!(is_helm_directive("{{ include \"chart.labels\" . }}"));
        assert!(!is_helm_directive("{{ .ValuesFrom }} {{ x.Values }}"));
    }

    #[test]
    fn unknown_kinds_are_listed_as_not_checked() {
        let r = engine().scan_text(
            "x.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\nfoo: bar\n",
        );
        assert_eq!(r.objects, 1);
        assert_eq!(r.not_kubernetes, 1);
        assert_eq!(r.not_checked.get("Widget"), Some(&1));
    }

    #[test]
    fn errors_are_located_and_kept_with_the_text() {
        let r = engine().scan_text("bad.yaml", "a: [1, 2\n");
        assert_eq!(r.diagnostics.len(), 1);
        assert!(r.diagnostics[0].is_error());
        assert!(r.text.is_some());
    }
}
