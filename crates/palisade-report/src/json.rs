//! The JSON report.
//!
//! Schema (version [`SCHEMA_VERSION`]); fields are only ever added, never renamed. Every key
//! shown is always present; a value that does not apply is `null`:
//!
//! ```text
//! { "schema_version": "1",
//!   "tool": { "name": "palisade", "version": "…" },
//!   "findings": [ { "rule", "name", "category", "severity", "message",
//!                   "location": { "path", "line", "column", "end_line", "end_column" },
//!                   "field", "resource": { "apiVersion", "kind", "namespace", "name" },
//!                   "container",
//!                   "dockerfile": { "stage", "stage_name", "instruction", "hadolint" },
//!                   "suppression": null } ],
//!   "errors":   [ { "kind", "message", "location" } ],
//!   "warnings": [ { "kind", "message", "location" } ],
//!   "suppressed": [ { …the finding fields…, "suppression": { "kind", "reason",
//!                   "expires", "location" } } ],
//!   "objects":  [ { "resource", "path", "line", "score" } ],
//!   "summary": { "files", "objects", "not_kubernetes", "findings",
//!                "by_severity": { "low", "medium", "high", "critical" },
//!                "suppressed", "errors", "warnings", "not_checked": { "<Kind>": n }, "policies",
//!                "score", "dockerfiles" } }
//! ```
//!
//! `findings` holds only the findings that count, with `suppression: null`; those covered by
//! a suppression (an annotation, a Dockerfile ignore pragma, the configuration, a
//! `.hadolint.yaml` or a baseline) are in `suppressed`, with `suppression.kind` one of
//! `annotation`, `config`, `baseline`; `suppression.expires` the expiry date
//! (`YYYY-MM-DD`) or `null`; and `suppression.location` where the suppression is written
//! (the annotation, the pragma, the configuration entry, the code in a `.hadolint.yaml` list;
//! for a baseline, the file with `line: null`). `container` is `null` when no container is involved,
//! `dockerfile` for findings outside Dockerfiles.
//!
//! Findings in Dockerfiles have `resource` `{ "apiVersion": null, "kind": "Dockerfile",
//! "namespace": null, "name": null }`, an empty `field`, and a `dockerfile` object: the
//! 0-based `stage` index (`null` before the first `FROM`), its `stage_name` (or `null`), the
//! `instruction` keyword (`RUN`) and `hadolint`, hadolint's code for the same finding (or
//! `null`). Each scanned Dockerfile is one entry of `objects` with that resource.
//! `summary.dockerfiles` counts Dockerfiles (not included in `objects`), and
//! `summary.suppressed` the findings removed by pragmas and configuration.
//!
//! Lines and columns are 1-based; columns count Unicode code points. `end_column` is
//! exclusive. A location without a line (a path that does not exist) has `line: null`.

use std::collections::BTreeMap;

use palisade_engine::{FileDiagnostic, Finding, ScanReport};
use palisade_load::{FieldPath, Span};
use palisade_model::ObjectId;
use palisade_rules::Severity;
use serde::Serialize;

use crate::Options;

pub const SCHEMA_VERSION: &str = "1";

#[derive(Serialize)]
struct Report<'a> {
    schema_version: &'static str,
    tool: Tool<'a>,
    findings: Vec<JsonFinding<'a>>,
    suppressed: Vec<JsonFinding<'a>>,
    errors: Vec<JsonDiagnostic<'a>>,
    warnings: Vec<JsonDiagnostic<'a>>,
    /// Every checked object with its own compliance score.
    objects: Vec<JsonObject<'a>>,
    summary: JsonSummary<'a>,
}

#[derive(Serialize)]
struct JsonObject<'a> {
    resource: Resource<'a>,
    path: &'a str,
    line: u32,
    score: f64,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Location<'a> {
    pub path: &'a str,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub end_line: Option<u32>,
    pub end_column: Option<u32>,
}

impl<'a> Location<'a> {
    pub fn new(path: &'a str, span: Option<Span>) -> Self {
        Location {
            path,
            line: span.map(|s| s.start.line),
            column: span.map(|s| s.start.column),
            end_line: span.map(|s| s.end.line),
            end_column: span.map(|s| s.end.column),
        }
    }
}

#[derive(Serialize)]
struct Resource<'a> {
    #[serde(rename = "apiVersion")]
    api_version: Option<&'a str>,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    category: &'static str,
    severity: &'static str,
    message: &'a str,
    location: Location<'a>,
    field: Shown<'a, FieldPath>,
    resource: Resource<'a>,
    container: Option<&'a str>,
    dockerfile: Option<JsonDockerfile<'a>>,
    suppression: Option<JsonSuppression<'a>>,
}

/// A value serialised as the string it displays as, written straight into the output.
struct Shown<'a, T>(&'a T);

impl<T: std::fmt::Display> Serialize for Shown<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    kind: &'static str,
    reason: &'a str,
    expires: Option<String>,
    location: Location<'a>,
}

#[derive(Serialize)]
struct JsonDockerfile<'a> {
    stage: Option<usize>,
    stage_name: Option<&'a str>,
    instruction: Option<&'static str>,
    hadolint: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    kind: &'static str,
    message: &'a str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    files: usize,
    objects: usize,
    not_kubernetes: usize,
    findings: usize,
    by_severity: BTreeMap<&'static str, usize>,
    suppressed: usize,
    errors: usize,
    warnings: usize,
    not_checked: &'a BTreeMap<String, usize>,
    policies: usize,
    score: Option<f64>,
    dockerfiles: usize,
}

fn resource(id: &ObjectId) -> Resource<'_> {
    Resource {
        api_version: Some(id.api_version.as_str()).filter(|v| !v.is_empty()),
        kind: &id.kind,
        namespace: id.namespace.as_deref(),
        name: id.name.as_deref(),
    }
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule: f.rule.id,
        name: f.rule.name,
        category: f.rule.category.as_str(),
        severity: f.severity.as_str(),
        message: &f.message,
        location: Location::new(&f.file, Some(f.span)),
        field: Shown(&f.field),
        resource: resource(&f.resource),
        container: f.container.as_deref(),
        suppression: f.suppression.as_deref().map(|s| JsonSuppression {
            kind: s.kind.as_str(),
            reason: &s.reason,
            expires: s.expires.map(|d| d.to_string()),
            location: Location::new(&s.file, s.span),
        }),
        dockerfile: f.dockerfile.as_ref().map(|d| JsonDockerfile {
            stage: d.stage,
            stage_name: d.stage_name.as_deref(),
            instruction: d.instruction,
            hadolint: d.hadolint,
        }),
    }
}

fn diagnostic(d: &FileDiagnostic) -> JsonDiagnostic<'_> {
    JsonDiagnostic {
        kind: d.code,
        message: &d.message,
        location: Location::new(&d.file, d.span),
    }
}

pub fn render(report: &ScanReport, options: &Options) -> Vec<u8> {
    let s = &report.summary;
    let out = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "palisade",
            version: &options.tool_version,
        },
        findings: report.findings().map(finding).collect(),
        suppressed: report.suppressed().map(finding).collect(),
        errors: report
            .diagnostics()
            .filter(|d| d.is_error())
            .map(diagnostic)
            .collect(),
        warnings: report
            .diagnostics()
            .filter(|d| !d.is_error())
            .map(diagnostic)
            .collect(),
        objects: report
            .files
            .iter()
            .flat_map(|file| {
                file.scores.iter().map(move |s| JsonObject {
                    resource: resource(&s.resource),
                    path: &file.file,
                    line: s.line,
                    score: (s.percent() * 10.0).round() / 10.0,
                })
            })
            .collect(),
        summary: JsonSummary {
            files: s.files,
            objects: s.objects,
            not_kubernetes: s.not_kubernetes,
            findings: s.findings,
            by_severity: Severity::ALL
                .iter()
                .map(|&sev| (sev.as_str(), s.by_severity[sev as usize]))
                .collect(),
            suppressed: s.suppressed,
            errors: s.errors,
            warnings: s.warnings,
            not_checked: &s.not_checked,
            policies: s.policies,
            score: s.score,
            dockerfiles: s.dockerfiles,
        },
    };
    // About what a finding and an object take once printed, so that the buffer is not
    // copied over and over as it grows.
    let estimate = 700 * (out.findings.len() + out.suppressed.len()) + 250 * out.objects.len();
    let mut bytes = Vec::with_capacity(estimate + 4096);
    serde_json::to_writer_pretty(&mut bytes, &out).expect("the report serialises");
    bytes.push(b'\n');
    bytes
}
