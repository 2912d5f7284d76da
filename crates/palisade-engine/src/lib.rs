//! The engine: which rules run, on what, and what came out.
//!
//! [`Engine::new`] turns the user's choices ([`Selection`], [`Settings`]) into the list of rules
//! that run. [`Engine::scan`] loads every file in parallel, splits documents into objects, runs
//! the rules whose kinds match, turns each violation's field path into a source position, and
//! gathers the results into a [`ScanReport`] with a [`Summary`] and a compliance score. The same
//! [`Engine::check_object`] serves callers that already hold an object (an admission webhook).
//! Dockerfiles go through [`Engine::scan_dockerfile`] into the same reports (see the
//! `dockerfile` module for how their findings are located, suppressed and scored).

mod dockerfile;
mod score;
mod select;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use palisade_load::{
    Candidate, Diagnostic, DiagnosticKind, FieldPath, FileKind, Limits, Span, parse_str,
};
use palisade_model::{Object, ObjectId, PodKindTable, objects_from_document};
use palisade_rules::{Applies, Check, Cx, Rule, RuleMeta, Settings, Severity};
use rayon::prelude::*;

pub use dockerfile::{DockerfileOptions, DockerfileSite, Threshold};
pub use score::{ObjectScore, SEVERITY_WEIGHTS, weight};
pub use select::{Selection, SelectionError};

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
    /// For findings in a Dockerfile: the stage and instruction. Their `resource` has the kind
    /// `Dockerfile`, an empty `api_version` and no name; `field` is empty.
    pub dockerfile: Option<DockerfileSite>,
}

/// A file that could not be (fully) loaded, or a warning about it.
#[derive(Debug, Clone)]
pub struct FileDiagnostic {
    pub file: Arc<str>,
    pub kind: DiagnosticKind,
    pub message: String,
    /// `None` when the problem is with the path itself (it does not exist).
    pub span: Option<Span>,
}

impl FileDiagnostic {
    pub fn is_error(&self) -> bool {
        self.kind.is_error()
    }
}

/// Everything one file produced.
#[derive(Debug, Default)]
pub struct FileReport {
    pub file: Arc<str>,
    /// The file's text, kept only when something in it will be quoted.
    pub text: Option<Arc<str>>,
    pub objects: usize,
    pub not_kubernetes: usize,
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<FileDiagnostic>,
    pub scores: Vec<ObjectScore>,
    /// Objects no enabled rule applies to, by kind.
    pub not_checked: BTreeMap<String, usize>,
    /// 1 for a Dockerfile, 0 otherwise.
    pub dockerfiles: usize,
    /// Findings that suppressions (pragmas, configuration) removed.
    pub suppressed: usize,
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
    pub errors: usize,
    pub warnings: usize,
    /// Objects no enabled rule applies to, by kind.
    pub not_checked: BTreeMap<String, usize>,
    /// Overall compliance score, 0–100; `None` when no object was checked.
    pub score: Option<f64>,
    pub dockerfiles: usize,
    /// Findings removed by suppressions.
    pub suppressed: usize,
}

/// The result of a scan.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub files: Vec<FileReport>,
    pub summary: Summary,
    /// The rules that ran, in id order.
    pub rules: Vec<&'static RuleMeta>,
}

impl ScanReport {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter())
    }

    pub fn diagnostics(&self) -> impl Iterator<Item = &FileDiagnostic> {
        self.files.iter().flat_map(|f| f.diagnostics.iter())
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
    dockerfile: dockerfile::State,
}

impl Engine {
    pub fn new(
        selection: &Selection,
        settings: Settings,
        pod_kinds: PodKindTable,
    ) -> Result<Engine, SelectionError> {
        let rules = selection.resolve(&palisade_rules::catalog(), &settings)?;
        let dockerfile = dockerfile::State::new(selection, &settings)?;
        Ok(Engine {
            rules,
            settings,
            pod_kinds,
            limits: Limits::default(),
            dockerfile,
        })
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

    /// Runs every enabled rule that applies to `obj`. Returns the findings (located in
    /// `file`) and the rules that applied, for scoring.
    pub fn check_object(
        &self,
        obj: &Object,
        file: &Arc<str>,
    ) -> (Vec<Finding>, Vec<&'static Rule>) {
        let mut findings = Vec::new();
        let mut applied = Vec::new();
        for &rule in &self.rules {
            let Check::Object(check) = rule.check else {
                continue;
            };
            if !rule.meta.applies.matches(obj) {
                continue;
            }
            applied.push(rule);
            let mut cx = Cx::new(obj, &self.settings);
            check(&mut cx);
            for v in cx.into_violations() {
                findings.push(Finding {
                    rule: &rule.meta,
                    severity: rule.meta.severity,
                    message: v.message,
                    file: file.clone(),
                    span: obj.locate(&v.path),
                    field: v.path,
                    resource: obj.id.clone(),
                    container: v.container,
                    document: obj.document,
                    list_item: obj.list_item,
                    dockerfile: None,
                });
            }
        }
        (findings, applied)
    }

    /// Checks one file's text.
    pub fn scan_text(&self, file: &str, text: &str) -> FileReport {
        let file: Arc<str> = Arc::from(file);
        let parsed = parse_str(text, &self.limits);
        let mut report = FileReport {
            file: file.clone(),
            ..FileReport::default()
        };
        report.diagnostics = parsed
            .diagnostics
            .into_iter()
            .map(|d| located(&file, d))
            .collect();

        for doc in parsed.documents {
            let found = objects_from_document(doc, &self.pod_kinds);
            report.not_kubernetes += found.not_kubernetes;
            for obj in found.objects {
                report.objects += 1;
                let (findings, applied) = self.check_object(&obj, &file);
                // Rules about metadata alone (such as the namespace) fit any kind; an object
                // only counts as checked when a rule made for its kind looked at it.
                let checked = applied
                    .iter()
                    .any(|r| !matches!(r.meta.applies, Applies::Namespaced));
                if !checked {
                    *report.not_checked.entry(obj.id.kind.clone()).or_default() += 1;
                    report.findings.extend(findings);
                    continue;
                }
                report
                    .scores
                    .push(ObjectScore::compute(&obj, &applied, &findings));
                report.findings.extend(findings);
            }
        }

        dedup_and_sort(&mut report.findings);
        if !report.findings.is_empty() || !report.diagnostics.is_empty() {
            report.text = Some(Arc::from(text));
        }
        report
    }

    /// Reads and checks one file.
    pub fn scan_file(&self, candidate: &Candidate) -> FileReport {
        let name = display_path(&candidate.path);
        match palisade_load::read(candidate, &self.limits) {
            Ok(text) if candidate.kind == FileKind::Dockerfile => {
                self.scan_dockerfile(&name, &text, Some(&candidate.path))
            }
            Ok(text) => self.scan_text(&name, &text),
            Err(d) => {
                let file: Arc<str> = Arc::from(name.as_str());
                FileReport {
                    diagnostics: vec![located(&file, d)],
                    file,
                    ..FileReport::default()
                }
            }
        }
    }

    /// Scans files in parallel. `on_file` is called once per file as it finishes.
    pub fn scan(&self, candidates: &[Candidate], on_file: &(dyn Fn() + Sync)) -> ScanReport {
        let files: Vec<FileReport> = candidates
            .par_iter()
            .map(|c| {
                let r = self.scan_file(c);
                on_file();
                r
            })
            .collect();
        let mut files = files;
        files.extend(self.hadolint_config_reports());
        self.finish(files)
    }

    /// Adds walk errors and computes the summary.
    pub fn finish(&self, files: Vec<FileReport>) -> ScanReport {
        let summary = summarize(&files);
        ScanReport {
            files,
            summary,
            rules: self.rules.iter().map(|r| &r.meta).collect(),
        }
    }
}

/// A path as reports show it: as given, with `/` separators.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    text.replace('\\', "/")
}

/// A report for a path that could not be walked (it does not exist, a folder is unreadable).
pub fn walk_error_report(path: &Path, message: &str) -> FileReport {
    let file: Arc<str> = Arc::from(display_path(path).as_str());
    FileReport {
        diagnostics: vec![FileDiagnostic {
            file: file.clone(),
            kind: DiagnosticKind::Read,
            message: message.to_string(),
            span: None,
        }],
        file,
        ..FileReport::default()
    }
}

pub(crate) fn located(file: &Arc<str>, d: Diagnostic) -> FileDiagnostic {
    FileDiagnostic {
        file: file.clone(),
        kind: d.kind,
        message: d.message,
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
        s.suppressed += f.suppressed;
        s.not_kubernetes += f.not_kubernetes;
        s.findings += f.findings.len();
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
    }
    s.score = score::overall(files.iter().flat_map(|f| f.scores.iter()));
    s
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
